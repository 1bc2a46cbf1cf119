"""What validation checks against, read once per snapshot: regions and their names, indicators, the template
header tables, dispute categories and channels; and resolving a region as the user wrote it."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .. import templates, warehouse
from .parse import clean

FUZZY_CHARS = 100  # longest text for which a "是否指…" suggestion is looked up

@dataclass
class Reference:
    """What validation checks against, read once per snapshot."""
    regions: dict              # code -> dict(name, level, province_code, prefecture_code, in_scope)
    names: dict                # cleaned alias -> [codes]
    indicators: dict           # code -> row
    agg_headers: dict          # cleaned header -> Column
    case_headers: dict
    derived: dict              # cleaned header -> reason
    categories: dict           # cleaned name/code -> code
    channels: dict
    category_names: list
    channel_names: list


_ref_cache: dict[str, Reference] = {}


def _header_table(columns) -> dict:
    out = {}
    for c in columns:
        for text in (c.header, c.key, *c.aliases):
            out.setdefault(templates.normalise_header(text)[0].lower(), c)
    return out


def _code_table(rows: list[dict]) -> dict:
    out = {}
    for r in rows:
        keys = {r["code"], r["name_zh"], r["name_en"].lower()} | set(r["name_zh"].split("/"))
        for k in keys:
            out[clean(k).lower()] = r["code"]
            out[clean(k).lower() + "纠纷"] = r["code"]
            out[clean(k).lower() + "类"] = r["code"]
    return out


def reference(snapshot: str) -> Reference:
    if snapshot in _ref_cache:
        return _ref_cache[snapshot]
    cur = warehouse.cursor()
    try:
        regions = cur.sql("select code, name, short_name, level, province_code, prefecture_code, in_scope "
                          "from region").pl()
        aliases = cur.sql("select alias, code from region_alias").pl()
        indicators = cur.sql("select code, domain, name_zh, name_en, unit, direction, target, definition_zh "
                             "from indicator").pl()
        cats = cur.sql("select code, name_zh, name_en from dispute_category").pl()
        chans = cur.sql("select code, name_zh, name_en from dispute_channel").pl()
    finally:
        cur.close()
    names: dict[str, list] = {}
    for alias, code in aliases.iter_rows():
        lst = names.setdefault(clean(alias), [])
        if code not in lst:
            lst.append(code)
    tpls = templates.build(indicators)
    agg_cols = [c for t in tpls if t.target == "observation" for c in t.columns]
    case_cols = [c for t in tpls if t.target == "dispute_case" for c in t.columns]
    derived = {}
    ind = {r["code"]: r for r in indicators.iter_rows(named=True)}
    for code, parts in templates.DERIVED.items():
        if code in ind:
            for text in (ind[code]["name_zh"], code):
                derived[templates.normalise_header(text)[0].lower()] = f"“{ind[code]['name_zh']}”由{parts}计算得出,不导入;请删除该列"
    ref = Reference(
        regions={r["code"]: r for r in regions.iter_rows(named=True)}, names=names, indicators=ind,
        agg_headers=_header_table(agg_cols), case_headers=_header_table(case_cols), derived=derived,
        categories=_code_table(list(cats.iter_rows(named=True))),
        channels=_code_table(list(chans.iter_rows(named=True))),
        category_names=cats["name_zh"].to_list(), channel_names=chans["name_zh"].to_list())
    _ref_cache.clear()  # one snapshot at a time is enough
    _ref_cache[snapshot] = ref
    return ref


def region_label(ref: Reference, code: str) -> str:
    r = ref.regions.get(code)
    return f"{r['name']}({code})" if r else code


def resolve_region(ref: Reference, raw: str, county_only: bool = False) -> tuple[str | None, str | None]:
    """(code, problem) for a six-digit code or a name, short names included; ambiguous names are refused."""
    s = clean(raw).replace("(", "(").replace(")", ")")
    if m := re.fullmatch(r"(\d{6})(0{6}|\.0+)?", s):
        code = m.group(1)
        if code not in ref.regions:
            return None, f"地区代码“{raw}”不存在"
        codes = [code]
    elif re.fullmatch(r"\d+(\.\d+)?", s):
        return None, f"地区代码“{raw}”不是6位数字"
    else:
        codes = ref.names.get(s, [])
        if not codes:
            # no place name is long: fuzzy matching a long text would only cost time (difflib indexes it whole)
            near = difflib.get_close_matches(s, list(ref.names), n=3, cutoff=0.6) if len(s) <= FUZZY_CHARS else []
            hint = f";是否指:{'、'.join(near)}?" if near else ""
            return None, f"地区“{raw}”不存在(请填写6位代码或正式名称){hint}"
    if county_only:
        counties = [c for c in codes if ref.regions[c]["level"] == "county"]
        if not counties:
            return None, f"“{raw}”不是县级地区(是 {'、'.join(region_label(ref, c) for c in codes)});案件须填写所在县(市、区)"
        codes = counties
    if len(codes) > 1:
        return None, (f"地区名称“{raw}”有歧义,可能是:{'、'.join(region_label(ref, c) for c in codes)};"
                      f"请改填6位地区代码")
    code = codes[0]
    if not ref.regions[code]["in_scope"]:
        return None, f"地区“{raw}”({code})不在本系统的统计范围内"
    return code, None


