"""The frame every page shares: the scope filter kept in the URL, headers, badges and exports."""
from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from . import auth, periods, queries, safe, stamped
from .i18n import pick, t
from .scope import LEVEL_CHILD, Scope  # noqa: F401  (pages and tests use frame.Scope)

_URL_KEYS = ("region", "from", "to", "lang")


def lang() -> str:
    return st.session_state.get("lang", "zh")


def regions() -> pl.DataFrame:
    return queries.run("meta_regions_with_data")


def data_years() -> tuple[int, int]:
    info = dict(queries.run("meta_build_info").iter_rows())
    years = queries.run("meta_data_years")
    first = int(years["first_year"][0] or 2017)
    last = int(info.get("as_of", "2022-12-31")[:4])
    return first, last


def _period_options(first: int, last: int) -> list[str]:
    out = []
    for y in range(last, first - 1, -1):
        out.append(str(y))
        out += [f"{y}H2", f"{y}H1", f"{y}Q4", f"{y}Q3", f"{y}Q2", f"{y}Q1"]
        out += [f"{y}-{m:02d}" for m in range(12, 0, -1)]
    return out


def _period_label(token: str, lang_: str) -> str:
    """A period option in words: 2022年上半年, 2022年第三季度, 2022年7月 … (in English the token itself)."""
    p = periods.parse_bound(token)
    if "H" in token or "Q" in token:
        return t(f"period_{token[4:].lower()}", lang_, y=p.start.year)
    return periods.label(p, lang_)


def _locked(regs: pl.DataFrame) -> dict[str, str]:
    """The levels an account's region scope fixes: {'province': '530000', 'prefecture': '532900'} …"""
    acct = auth.current_account()
    if acct is None or not acct.region:
        return {}
    row = regs.filter(pl.col("code") == acct.region)
    if row.height == 0:
        return {"province": acct.region}
    r = row.row(0, named=True)
    out = {"province": r["province_code"]}
    if r["level"] in ("prefecture", "county"):
        out["prefecture"] = r["prefecture_code"]
    if r["level"] == "county":
        out["county"] = r["code"]
    return out


def _apply_url(regs: pl.DataFrame, first: int, last: int) -> None:
    """Copy a link's region/from/to/lang into the widgets' state, refusing what does not exist."""
    qp = st.query_params
    url = tuple(qp.get(k, "") for k in _URL_KEYS)
    written = st.session_state.get("_url_written")
    if not any(url) or written == url:
        return
    if written is not None:
        # Later runs: a page switch may drop parameters from the address; only what the link states and
        # differs from what we wrote counts as a new request, the rest of the scope stays.
        changed = [k for k, v, w in zip(_URL_KEYS, url, written) if k in qp and v != w]
        if not changed:
            return
        url = tuple(v if k in qp else w for k, v, w in zip(_URL_KEYS, url, written))
    region, frm, to, lang_ = url
    st.session_state["lang"] = "en" if lang_ == "en" else "zh"
    msgs = []
    by_code = {r["code"]: r for r in regs.iter_rows(named=True)}
    acct = auth.current_account()
    outside = bool(region and acct is not None and acct.region and not queries.within(region, acct.region))
    if region and (region not in by_code or outside):  # unknown, or outside the account's scope
        msgs.append(t("unknown_region", st.session_state["lang"], code=safe.md(region[:20])))  # a link's text
        region = ""
    row = by_code.get(region)
    st.session_state["scope_province"] = row["province_code"] if row else ""
    st.session_state["scope_prefecture"] = (row["prefecture_code"] or "") if row and row["level"] != "province" else ""
    st.session_state["scope_county"] = region if row and row["level"] == "county" else ""
    options = _period_options(first, last)
    if frm or to:
        try:
            p = periods.parse_range(frm or to, to or None)
            a, b = periods.to_token(p)
            if a not in options or b not in options:
                msgs.append(t("period_clamped", st.session_state["lang"], first=first, last=last))
                a = a if a in options else str(first)
                b = b if b in options else str(last)
            st.session_state["scope_from"], st.session_state["scope_to"] = a, b
        except periods.PeriodError as exc:
            msgs.append(t("bad_period", st.session_state["lang"], msg=safe.md(exc)))  # echoes the link's from/to
    st.session_state["_url_messages"] = msgs


def _reset_below(*keys):
    def cb():
        for k in keys:
            st.session_state[k] = ""
    return cb


def scope_filter() -> Scope:
    """Render the sidebar scope filter (province → prefecture → county, period) and return the scope."""
    regs = regions()
    first, last = data_years()
    # A page switch makes new widgets that ignore the old widgets' values unless they are assigned
    # again before the widgets are drawn (Streamlit's documented multipage workaround); keep a copy too.
    for k, v in st.session_state.get("_scope_saved", {}).items():
        st.session_state[k] = st.session_state.get(k, v)
    _apply_url(regs, first, last)
    lang_ = st.session_state.setdefault("lang", "zh")
    st.session_state.setdefault("scope_from", str(last))
    st.session_state.setdefault("scope_to", str(last))
    lock = _locked(regs)
    for level, code in lock.items():  # an account's scope pins these levels, whatever the URL says
        key = f"scope_{level}"
        if not st.session_state.get(key) or level != "county" and st.session_state.get(key) != code:
            st.session_state[key] = code
    if lock and "county" not in lock and st.session_state.get("scope_county") and not queries.within(
            st.session_state["scope_county"], lock.get("prefecture") or lock["province"]):
        st.session_state["scope_county"] = ""
    names = dict(zip(regs["code"].to_list(), regs["short_name"].to_list()))  # the data has no English names
    names[""] = t("all", lang_)
    sb = st.sidebar
    with sb:
        st.markdown(f"**{t('scope', lang_)}**")
        provs = [lock["province"]] if "province" in lock else \
            [""] + regs.filter(pl.col("level") == "province")["code"].to_list()
        prov = st.selectbox(t("province", lang_), provs, key="scope_province",
                            format_func=lambda c: names.get(c, c), disabled="province" in lock,
                            on_change=_reset_below("scope_prefecture", "scope_county"))
        prefs = [lock["prefecture"]] if "prefecture" in lock else \
            [""] + (regs.filter((pl.col("level") == "prefecture") & (pl.col("province_code") == prov))
                    ["code"].to_list() if prov else [])
        if st.session_state.get("scope_prefecture", "") not in prefs:
            st.session_state["scope_prefecture"] = ""
        pref = st.selectbox(t("prefecture", lang_), prefs, key="scope_prefecture",
                            format_func=lambda c: names.get(c, c), disabled=not prov or "prefecture" in lock,
                            on_change=_reset_below("scope_county"))
        counties = [lock["county"]] if "county" in lock else \
            [""] + (regs.filter((pl.col("level") == "county") & (pl.col("prefecture_code") == pref))
                    ["code"].to_list() if pref else [])
        if st.session_state.get("scope_county", "") not in counties:
            st.session_state["scope_county"] = ""
        county = st.selectbox(t("county", lang_), counties, key="scope_county",
                              format_func=lambda c: names.get(c, c), disabled=not pref or "county" in lock)
        options = _period_options(first, last)
        for k in ("scope_from", "scope_to"):
            if st.session_state[k] not in options:
                st.session_state[k] = str(last)
        c1, c2 = st.columns(2)
        frm = c1.selectbox(t("period_from", lang_), options, key="scope_from",
                           format_func=lambda x: _period_label(x, lang_))
        to = c2.selectbox(t("period_to", lang_), options, key="scope_to",
                          format_func=lambda x: _period_label(x, lang_))
        period = periods.parse_range(frm, to) if periods.parse_bound(frm).start <= periods.parse_bound(to).end \
            else periods.parse_range(to, frm)
        st.radio(t("language", lang_), ["zh", "en"], key="lang", horizontal=True,
                 format_func=lambda x: t(f"language_name_{x}"))
    for msg in st.session_state.pop("_url_messages", []):
        st.warning(msg)
    region = county or pref or prov
    level = "county" if county else "prefecture" if pref else "province" if prov else "all"
    full = dict(zip(regs["code"].to_list(), regs["name"].to_list()))
    name = full.get(region, region) if region else t("all_regions", lang_)
    a, b = periods.to_token(period)
    written = (region, a, b, st.session_state["lang"])
    for k, v in zip(_URL_KEYS, written):
        if v and not (k == "lang" and v == "zh"):
            st.query_params[k] = v
        elif k in st.query_params:
            del st.query_params[k]
    st.session_state["_url_written"] = tuple(st.query_params.get(k, "") for k in _URL_KEYS)
    st.session_state["_scope_saved"] = {k: st.session_state[k] for k in (
        "scope_province", "scope_prefecture", "scope_county", "scope_from", "scope_to")}
    return Scope(region, name, level, period, st.session_state["lang"], first, last, prov, pref, county)


def period_label(p: periods.Period, lang_: str) -> str:
    return periods.label(p, lang_)


def header(title: str, scope: Scope, has_demo: bool) -> None:
    """Page title (a sentence with place and period), the demo badge and the data's as-of date."""
    st.title(title)
    cols = st.columns([6, 1])
    cols[0].caption(f"{scope.name} · {period_label(scope.period, scope.lang)}")
    if has_demo:
        with cols[1]:
            demo_badge(scope.lang)


def demo_badge(lang_: str) -> None:
    st.badge(t("demo_badge", lang_), color="orange", help=t("demo_help", lang_))


def downloads(df: pl.DataFrame, basename: str, lang_: str, key: str) -> None:
    """CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX of a table, generated only when clicked.

    Exports need the export permission; each file is written by `stamped` (formula prefixes neutralised, the
    account and time in a last CSV line or a second Excel sheet), and each download is written to the audit log."""
    acct = auth.current_account() or auth.LOCAL_DEMO
    if not acct.can("export"):
        st.caption(pick(*stamped.REFUSED, lang_))
        return
    c1, c2, _ = st.columns([1, 1, 4])

    def file(fmt_: str):
        def make() -> bytes:
            return export_bytes(df, basename, fmt_, acct)
        return make

    c1.download_button(t("download_csv", lang_), data=file("csv"), file_name=f"{basename}.csv", mime="text/csv",
                       on_click="ignore", key=f"{key}_csv")
    c2.download_button(t("download_xlsx", lang_), data=file("xlsx"), file_name=f"{basename}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", key=f"{key}_xlsx")


def export_bytes(df: pl.DataFrame, what: str, fmt_: str, acct: auth.Account) -> bytes:
    """One page table as a stamped csv or xlsx file for `acct`, recorded as an export event."""
    stamped.require(acct)
    stamp = stamped.mark(acct.username, acct.display_name, df.height)
    data = stamped.csv(df, stamp) if fmt_ == "csv" else stamped.xlsx(df, stamp)
    stamped.audit_export(acct.username, acct.role, what, df.height, fmt_)
    return data


def today() -> date:
    return date.today()
