"""网格覆盖 (pages/grid.py): grids, grid workers and governance centres on an offline map, with drill-down and gaps.

Decisions: grids and facilities are the stock at the end of the scope's last year (established_year <= year).
The map shows the sub-regions at the map level (provinces for everything; prefectures or counties for a province,
as the user picks; counties for a prefecture; the county itself for a county, whose townships are listed in a
table). This module decides what is shown; the page draws it (pydeck layers through pingan/maps.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from .. import fmt, maps, queries, rules
from ..charts import grid as grid_charts
from ..i18n import Texts, pick
from ..scope import Scope

TEXT = Texts({
    "title": ("{place}网格覆盖与综治中心建设", "Grid coverage and governance centres: {place}"),
    "records_demo": ("网格数、网格员数来自导入的报表;地图上的网格点、密度,以及综治中心等设施,仍按明细记录统计,是演示数据。",
                     "Grid and worker counts come from imported reports; the grid points and densities on the maps and "
                     "the centres and other facilities are counted from the records, which are demo data."),
    "records_demo_fac": ("网格数、网格员数和设施数来自导入的报表;地图上的网格点、密度和设施点,以及覆盖率、规范化率,"
                         "仍按明细记录统计,是演示数据。",
                         "Grid, worker and facility counts come from imported reports; the grid points, densities and "
                         "facility points on the maps, and the coverage and standardisation rates, are counted from "
                         "the records, which are demo data."),
    "stock": ("网格、网格员和各类设施均为截至{year}年底的存量(按建立年份统计)。",
              "Grids, grid workers and facilities are the stock at the end of {year} (by year established)."),
    "all": ("全部", "All"),
    "grids_section": ("网格与网格员", "Grids and grid workers"),
    "centres_section": ("综治中心", "Comprehensive governance centres"),
    "facilities_section": ("调解中心与基层政法设施", "Mediation centres and local justice facilities"),
    "published": ("公开", "Published"),
    "match": ("一致", "matches"),
    "differs": ("不一致", "differs"),
    "published_line": ("{published} {figure} {mark}", "{published} {figure} {mark}"),
    "mark_ok": (":green[✓ {match}]", ":green[✓ {match}]"),
    "mark_differs": (":red[✗ {differs}]", ":red[✗ {differs}]"),
    "indicator": ("地图指标", "Map indicator"),
    "maplevel": ("地图层级", "Map level"),
    "layers": ("图层", "Layers"),
    "layers_button": ("图层({n})", "Layers ({n})"),
    "tab_figures": ("主要数字", "Key figures"),
    "level_prefecture": ("市(州)", "Prefectures"),
    "level_county": ("县(市、区)", "Counties"),
    "level_province": ("省份", "Provinces"),
    "level_township": ("乡镇(街道)", "Townships"),
    "fill": ("区域填色", "Fill"),
    "labels": ("地名", "Names"),
    "density": ("网格密度", "Grid density"),
    "center": ("综治中心", "Governance centres"),
    "onestop": ("一站式调解中心", "One-stop centres"),
    "police_room": ("警务室", "Police rooms"),
    "justice_office": ("司法所", "Justice offices"),
    "tribunal": ("人民法庭", "Tribunals"),
    "lvl_prefecture": ("市级", "Prefecture-level"),
    "lvl_county": ("县级", "County-level"),
    "lvl_township": ("乡级", "Township-level"),
    "lvl_village": ("村级", "Village-level"),
    "std_yes": ("已通过规范化验收", "standardised"),
    "std_no": ("未通过规范化验收", "not standardised"),
    "facility_tip": ("{level}{kind} · {std}", "{level}{kind} · {std}"),
    "village_note": ("村级设施(村级综治中心、警务室)在选择市(州)或县后显示。",
                     "Village-level facilities (village centres, police rooms) show once a prefecture or county "
                     "is chosen."),
    "national_note": ("全国范围只显示市级设施;选择省份后显示县、乡级设施。",
                      "Nationwide only prefecture-level facilities are shown; choose a province for county and "
                      "township ones."),
    "click_hint": ("点击地图上的区域或表中的一行可下钻;上方路径可返回上级。",
                   "Click a region on the map or a row in the table to drill down; the path above goes back up."),
    "density_legend": ("网格密度(每格网格数,格宽{cell}°)", "Grid density (grids per {cell}° cell)"),
    "facility_legend": ("设施(点越大层级越高)", "Facilities (bigger = higher level)"),
    "no_data_legend": ("无数据", "No data"),
    "rank_title": ("{kind}{ind}排名:{best}最高,{worst}最低", "{ind} by {kind}: highest {best}, lowest {worst}"),
    "rank_title_low": ("{kind}{ind}排名:{best}最低(最好),{worst}最高", "{ind} by {kind}: best {best}, worst {worst}"),
    "table_title": ("{kind}排名", "Ranking of {kind}"),
    "total_row": ("合计:{place}", "Total: {place}"),
    "drill": ("下钻到", "Drill down to"),
    "drill_none": ("(选择下级地区)", "(choose a sub-region)"),
    "rank": ("排名", "Rank"),
    "region": ("地区", "Region"),
    "population_10k": ("常住人口(万人)", "Population (10k)"),
    "grids_col": ("网格数(个)", "Grids"),
    "workers_col": ("网格员(人)", "Grid workers"),
    "grids_nw_col": ("无网格员网格(个)", "Grids without a worker"),
    "townships_col": ("乡镇(街道)数", "Townships"),
    "townships_std_col": ("有规范化综治中心的乡镇", "Townships with a standardised centre"),
    "townships_gap_col": ("缺规范化综治中心的乡镇(个)", "Townships without a standardised centre"),
    "villages_col": ("村(社区)数", "Villages"),
    "villages_gap_col": ("缺规范化综治中心的村(社区)(个,估计)", "Villages without a standardised centre (est.)"),
    "village_centres_std_col": ("规范化村级综治中心(个)", "Standardised village centres"),
    "has_center_col": ("有乡级综治中心(未规范化)", "Has a township centre (not standardised)"),
    "county_col": ("县(市、区)", "County"),
    "prefecture_col": ("市(州)", "Prefecture"),
    "township_col": ("乡镇(街道)", "Township"),
    "grid_id_col": ("网格编号", "Grid ID"),
    "grid_type_col": ("类型", "Type"),
    "residents_col": ("服务人口(人)", "Residents"),
    "established_col": ("建立年份", "Established"),
    "comprehensive": ("综合网格", "comprehensive"),
    "dedicated": ("专属网格", "dedicated"),
    "gaps": ("缺口", "Gaps"),
    "gap_townships": ("乡镇缺规范化综治中心", "Townships without a standardised centre"),
    "gap_grids": ("无网格员的网格", "Grids without a worker"),
    "gap_counties": ("按县汇总", "By county"),
    "gap_townships_cap": ("{n}个乡镇(街道)尚无通过规范化验收的乡级综治中心(共{total}个乡镇),其中{built}个已建未规范化。",
                          "{n} of {total} townships have no standardised township centre; {built} have one not yet "
                          "standardised."),
    "gap_counties_cap": ("村(社区)缺口为估计值:村级综治中心只登记到乡镇,按“规范化村级中心数与村(社区)数取小”逐县估算。",
                         "Village gaps are estimates: village centres are recorded by township, so covered villages "
                         "= min(standardised village centres, villages) per county."),
    "gap_grids_cap": ("共{n}个网格未配备网格员(占{share});按服务人口从多到少列出前{shown}个。",
                      "{n} grids have no worker ({share}); the {shown} with most residents are listed."),
    "gap_counties_title": ("乡镇综治中心缺口最多的是{top}({n}个乡镇)",
                           "Most townships without a standardised centre: {top} ({n})"),
    "gap_unit": ("个", ""),
    "gap_none": ("没有缺口。", "No gaps."),
    "county_scope_table": ("{place}各乡镇(街道)", "Townships of {place}"),
    "map_credit": ("边界数据 © 天地图;人口:第七次全国人口普查(2020)分县资料。", "Boundaries © Tianditu; "
                   "population: 2020 census."),
    "village_est": ("村级覆盖率按“村级综治中心数与村(社区)数取小”逐县估算。",
                    "Village coverage is estimated per county as min(village centres, villages)."),
    "of_which_pref": ("其中市级{n}个", "incl. {n} prefecture-level"),
    "scope_figure": ("{place}整体", "{place} overall"),
    "target": ("目标", "Target"),
    "target_line": ("{target} {value:g}{unit}", "{target} {value:g}{unit}"),
    "no_grid": ("所选范围没有网格数据。", "No grid data for this scope."),
    "paren": ("{text}({note})", "{text} ({note})"),
    "tip": ("{name}\n{ind}:{value}\n排名:第{rank}位 / {n}\n常住人口:{pop}万人\n网格 {grids} 个 · 网格员 {workers} 人",
            "{name}\n{ind}: {value}\nRank: {rank} of {n}\nPopulation: {pop} ×10k\n"
            "{grids} grids · {workers} grid workers"),
    # Download file names stay Chinese in both languages.
    "file_towns": ("{place}_乡镇网格", "{place}_乡镇网格"),
    "file_ranking": ("{place}_{ind}", "{place}_{ind}"),
    "file_gap_towns": ("{place}_乡镇缺规范化综治中心", "{place}_乡镇缺规范化综治中心"),
    "file_gap_grids": ("{place}_无网格员网格", "{place}_无网格员网格"),
    "file_gap_counties": ("{place}_按县缺口", "{place}_按县缺口"),
})

INDICATORS = ["grids_per_10k", "residents_per_grid", "workers_per_grid", "grid_worker_fulltime_share",
              "grid_without_worker_share", "center_county_coverage", "center_township_coverage",
              "center_village_coverage", "center_standardized_rate_county", "center_standardized_rate_township",
              "center_standardized_rate_village", "onestop_coverage"]
UNIT_EN = {"个/万人": "per 10k residents", "人/格": "per grid"}
DIGITS = {"grids_per_10k": 1, "residents_per_grid": 0, "workers_per_grid": 2}
MAP_LEVELS = ["prefecture", "county"]  # the choice a province scope offers
FACILITY_TYPES = ["center", "onestop", "police_room", "justice_office", "tribunal"]
LAYERS = ["fill", "labels", "density"] + FACILITY_TYPES
DEFAULT_LAYERS = ["fill", "labels", "center", "onestop"]
# Facilities shown by scope: nationwide only prefecture-level ones (1), a province down to townships (3), below
# that villages too (4): more would not be readable, nor fit a map payload.
MAX_LEVEL_RANK = {"all": 1, "province": 3, "prefecture": 4, "county": 4}
CELL_DEG = {"all": 0.25, "province": 0.1, "prefecture": 0.05, "county": 0.02}
GRIDS_LISTED = 3000
MAP_WIDTH_PX, MAP_HEIGHT_PX = 560, 450  # the map column at 1440 px; fits the view and the simplification
FACILITY_LEVELS = ("prefecture", "county", "township", "village")

# The headline tab: (section, [(indicator, column of grid_by_region's own row)]); None: the sum of the levels.
HEADLINE = [
    ("grids_section", [("grid_count", "grids"), ("grid_comprehensive_count", "comprehensive_grids"),
                       ("grid_dedicated_count", "dedicated_grids"), ("grid_worker_count", "workers"),
                       ("grid_worker_fulltime", "workers_fulltime"), ("grid_worker_parttime", "workers_parttime")]),
    ("centres_section", [("center_count", None), ("center_county_count", "centers_county"),
                         ("center_township_count", "centers_township"), ("center_village_count", "centers_village"),
                         ("center_township_coverage", "center_township_coverage"),
                         ("center_village_coverage", "center_village_coverage")]),
    ("facilities_section", [("onestop_center_count", "onestop_centers"), ("onestop_coverage", "onestop_coverage"),
                            ("police_room_count", "police_rooms"), ("justice_office_count", "justice_offices"),
                            ("people_tribunal_count", "tribunals")]),
]
CENTRE_LEVELS = ("centers_prefecture", "centers_county", "centers_township", "centers_village")


@dataclass(frozen=True)
class Figure:
    """One headline metric, with the published figure under it when the seed has one."""
    code: str
    label: str
    value: float | None
    shown: str
    help: str
    published: str | None = None   # "公开 392,000个 :green[✓ 一致]"
    matches: bool | None = None    # None: no published figure
    quote: str | None = None


@dataclass(frozen=True)
class Legend:
    title: str
    entries: tuple[tuple[tuple[int, int, int], str], ...]
    shape: str = "square"


@dataclass(frozen=True)
class MapData:
    """What the map draws, layer by layer (None: the layer is off)."""
    features: tuple[dict, ...]
    view: object                          # pydeck ViewState fitted to the features
    values: dict                          # code -> indicator value, for the fill ({} when fill is off)
    tips: dict
    cuts: tuple[float, ...]
    fill_alpha: int | None                # lighter fill under the density cells
    density: tuple[list[dict], float, tuple[float, ...]] | None     # cells, cell width, class breaks
    facilities: tuple[list[dict], dict, tuple[str, ...], float] | None  # points, tips, types, scale
    labels: list[dict] | None
    outline: bool                         # a county: its border over the points
    boundary_lines: bool                  # nationwide: 南海诸岛 and undetermined borders
    legends: tuple[Legend, ...]
    caption: str


@dataclass(frozen=True)
class Download:
    frame: pl.DataFrame
    basename: str
    key: str


@dataclass(frozen=True)
class Grid:
    title: str
    has_demo: bool
    records_note: str | None              # counts imported, records demo
    crumbs: tuple[tuple[str, str], ...]   # (code, label), '' = everything
    map_level: str
    no_data: str | None                   # the scope has no grid data: the page shows this and stops
    indicator_names: dict
    indicator: str = ""
    unit: str = ""
    headline: tuple[tuple[str, tuple[Figure, ...]], ...] = ()
    map: MapData | None = None
    table_tab: str = ""
    scope_metric: tuple[str, str] = ("", "")  # label, value of the place's own figure
    towns: pl.DataFrame | None = None          # a county: its townships
    ranking: pl.DataFrame | None = None        # above a county: ranked sub-regions and the total row (with code)
    drill_options: tuple[str, ...] = ()
    names: dict | None = None                  # code -> short name
    rank_chart: go.Figure | None = None
    table_download: Download | None = None
    gap_towns: pl.DataFrame | None = None
    gap_towns_caption: str = ""
    no_worker: pl.DataFrame | None = None
    no_worker_caption: str = ""
    by_county: pl.DataFrame | None = None
    by_county_chart: go.Figure | None = None
    gap_downloads: tuple[Download, ...] = ()


def map_level_of(scope: Scope, choice: str = "prefecture") -> str:
    """The level the map shows: a province offers prefectures or counties (`choice`), the others have one."""
    if scope.level == "province":
        return choice if choice in MAP_LEVELS else MAP_LEVELS[0]
    return {"all": "province", "prefecture": "county", "county": "county"}[scope.level]


def _facility_types(layers) -> list[str]:
    return [t for t in FACILITY_TYPES if t in set(layers or [])]


def calls(scope: Scope, map_level: str = "prefecture", layers=DEFAULT_LAYERS) -> list[tuple[str, dict]]:
    """The queries the page runs, in order (after the scope filter's own)."""
    level = map_level_of(scope, map_level)
    layers = set(layers or [])
    region, year = scope.region, scope.year
    out = [("meta_indicators", {}),
           ("grid_by_region", dict(region=region, child_level=level, year=year)),
           ("grid_published", dict(region=region, year=year)),
           ("meta_regions_with_data", {})]
    if "density" in layers:
        out.append(("grid_density", dict(region=region, year=year, cell_deg=CELL_DEG[scope.level])))
    if _facility_types(layers):
        out.append(("grid_facility_points", dict(region=region, year=year,
                                                 max_level_rank=MAX_LEVEL_RANK[scope.level])))
    out += [("grid_by_township", dict(region=region, year=year)),
            ("grid_without_worker", dict(region=region, year=year, max_rows=GRIDS_LISTED))]
    if level != "county":
        out.append(("grid_by_region", dict(region=region, child_level="county", year=year)))
    return out


def drill_target(code: str) -> tuple[str, str, str] | None:
    """The sidebar's (province, prefecture, county) for a click on `code`; None for a region without data."""
    if not code:
        return "", "", ""
    row = queries.run("meta_regions_with_data").filter(pl.col("code") == code)
    if row.height == 0:  # a grey region without data, or a stale click
        return None
    r = row.row(0, named=True)
    prov, pref, cty = r["province_code"], (r["prefecture_code"] or ""), ""
    if r["level"] == "province":
        pref = ""
    if r["level"] == "county":
        cty = code
    return prov, pref, cty


def crumbs(scope: Scope, names: dict, floor: str = "", lang: str = "zh") -> tuple[tuple[str, str], ...]:
    """全部 › 云南 › 大理州 › 祥云县, without the levels above an account's own region (`floor`)."""
    out = [("", TEXT("all", lang))] + [(c, names.get(c, c)) for c in (scope.province, scope.prefecture, scope.county)
                                       if c]
    return tuple((c, label) for c, label in out if not floor or (c and queries.within(c, floor)))


class _Catalog:
    """Indicator names, units and formats from meta_indicators, in one language."""

    def __init__(self, catalog: dict[str, dict], lang: str):
        self.rows, self.lang = catalog, lang

    def meta(self, code: str) -> dict:
        """Name, unit, direction, target and definition (the per-level standardised rates share one row)."""
        if code.startswith("center_standardized_rate_"):
            level = code.rsplit("_", 1)[1]
            base = self.rows["center_standardized_rate"]
            return {**base, "name_zh": TEXT(f"lvl_{level}", "zh") + base["name_zh"],
                    "name_en": f"{TEXT(f'lvl_{level}', 'en')} {base['name_en'].lower()}"}
        return self.rows[code]

    def name(self, code: str) -> str:
        m = self.meta(code)
        return pick(m["name_zh"], m["name_en"], self.lang)

    def unit(self, code: str) -> str:
        unit = self.meta(code)["unit"]
        return pick(unit, UNIT_EN.get(unit, unit), self.lang)

    def shown(self, code: str, value) -> str:
        unit = self.rows[code]["unit"]
        if unit == "%":
            return fmt.pct(value, 1 if value is not None and value != round(value) else 0)
        return fmt.value(value, unit, self.lang)


def _figure(cat: _Catalog, pub: dict, code: str, value, extra_help: str = "") -> Figure:
    lang = cat.lang
    help_ = cat.rows[code]["definition_zh"] + (f"。{extra_help}" if extra_help else "")
    p = pub.get(code)
    if p is None:
        return Figure(code, cat.name(code), value, cat.shown(code, value), help_)
    v = p["value"]
    figure = fmt.with_qualifier(fmt.pct(v, p.get("decimals") or 0) if p["unit"] == "%" else
                                fmt.value(v, p["unit"], lang), p["unit"], p["qualifier"], lang)
    ok = bool(rules.figure_matches(value, v, p["qualifier"], p["decimals"]))  # no value: shown as differing
    mark = TEXT("mark_ok", lang, match=TEXT("match", lang)) if ok else \
        TEXT("mark_differs", lang, differs=TEXT("differs", lang))
    line = TEXT("published_line", lang, published=TEXT("published", lang), figure=figure, mark=mark)
    return Figure(code, cat.name(code), value, cat.shown(code, value), help_, line, ok, p["quote"])


def headline(cat: _Catalog, pub: dict, me: dict) -> tuple[tuple[str, tuple[Figure, ...]], ...]:
    """The place's figures by theme, with the published figures under them."""
    out = []
    for section, items in HEADLINE:
        figures = []
        for code, key in items:
            if key is None:
                levels = [me[k] for k in CENTRE_LEVELS]
                total = None if None in levels else sum(levels)  # None: an imported report left one blank
                figures.append(_figure(cat, pub, code, total, "" if me["centers_prefecture"] is None else
                                       TEXT("of_which_pref", cat.lang, n=me["centers_prefecture"])))
            else:
                figures.append(_figure(cat, pub, code, me[key]))
        out.append((TEXT(section, cat.lang), tuple(figures)))
    return tuple(out)


def _with_unit(value, digits: int, unit: str) -> str:
    return "—" if value is None else f"{value:,.{digits}f} {unit}"


def _boundaries(scope: Scope, map_level: str, regs: pl.DataFrame) -> tuple:
    if map_level == "province":
        return "province", "", None
    if scope.level == "county":
        return "county", scope.province, {scope.county}
    return map_level, scope.province, set(
        regs.filter((pl.col("level") == map_level) & ((pl.col("province_code") == scope.region)
                                                      | (pl.col("prefecture_code") == scope.region)))["code"])


def _map(scope: Scope, cat: _Catalog, ind: str, map_level: str, layers: set, children: pl.DataFrame,
         regs: pl.DataFrame, density: pl.DataFrame | None, points: pl.DataFrame | None) -> MapData:
    lang, digits, unit = cat.lang, DIGITS.get(ind, 1), cat.unit(ind)
    n_ranked = children.filter(pl.col(ind).is_not_null()).height
    boundary_args = _boundaries(scope, map_level, regs)
    box = maps.bounds(maps.features(*boundary_args))
    view = maps.fit_view(box, MAP_WIDTH_PX, MAP_HEIGHT_PX)
    feats = maps.features(*boundary_args, tolerance=maps.tolerance_for(box, MAP_WIDTH_PX))
    values = dict(zip(children["code"].to_list(), children[ind].to_list()))
    cuts = maps.class_breaks(list(values.values()))

    def tip(r: dict) -> str:
        pop = "—" if r["population"] is None else f"{r['population'] / 1e4:,.1f}"
        grids, workers = ("—" if r[k] is None else f"{r[k]:,}" for k in ("grids", "workers"))  # None: left blank
        return TEXT("tip", lang, name=r["name"], ind=cat.name(ind), value=_with_unit(r[ind], digits, unit),
                    rank=r["rank"], n=n_ranked, pop=pop, grids=grids, workers=workers)

    tips = {r["code"]: tip(r) for r in children.iter_rows(named=True)}
    legends, notes = [], [TEXT("stock", lang, year=scope.year), TEXT("click_hint", lang)]
    if "fill" in layers:
        colours = maps.ramp_for(len(cuts) + 1, maps.LIGHT.ramp)
        entries = maps.legend_entries(cuts, colours, "", digits, single_value=next(iter(values.values()), None))
        legends.append(Legend(TEXT("paren", lang, text=cat.name(ind), note=unit),
                              tuple(entries + [(maps.LIGHT.no_data, TEXT("no_data_legend", lang))])))
    dens = None
    if density is not None:
        cell = CELL_DEG[scope.level]
        dcuts = maps.class_breaks(density["grids"].to_list())
        dens = (density.to_dicts(), cell, tuple(dcuts))
        dcol = maps.ramp_for(len(dcuts) + 1, maps.LIGHT.density_ramp)
        legends.append(Legend(TEXT("density_legend", lang, cell=cell), tuple(maps.legend_entries(dcuts, dcol, "", 0))))
    facilities = None
    types = _facility_types(layers)
    if points is not None and types:
        pts = points.filter(pl.col("facility_type").is_in(types)).with_columns(
            pl.col({"province": "province_code", "prefecture": "prefecture_code"}.get(map_level, "county_code"))
            .alias("code"))
        ftips = {f"{t}|{lv}|{s}": TEXT("facility_tip", lang, level=TEXT(f"lvl_{lv}", lang), kind=TEXT(t, lang),
                                       std=TEXT("std_yes" if s else "std_no", lang))
                 for t in FACILITY_TYPES for lv in FACILITY_LEVELS for s in (0, 1)}
        facilities = (pts.to_dicts(), ftips, tuple(types), 0.7 if scope.level == "all" else 1.0)
        legends.append(Legend(TEXT("facility_legend", lang),
                              tuple((maps.FACILITY_COLOURS[t], TEXT(t, lang)) for t in types), shape="dot"))
        notes.append({1: TEXT("national_note", lang), 3: TEXT("village_note", lang)}.get(
            MAX_LEVEL_RANK[scope.level], ""))
    labels = None
    if "labels" in layers:
        labels = [{"name": r["short_name"], "lon": r["lon"], "lat": r["lat"], "priority": r["population"] or 0}
                  for r in children.iter_rows(named=True)]
    if ind == "center_village_coverage":
        notes.append(TEXT("village_est", lang))
    caption = " ".join(n for n in notes if n) + " " + TEXT("map_credit", lang)
    return MapData(tuple(feats), view, values if "fill" in layers else {}, tips, tuple(cuts),
                   None if "density" not in layers else 110, dens, facilities, labels, scope.level == "county",
                   scope.level == "all", tuple(legends), caption)


def _ranking(scope: Scope, ind: str, own: pl.DataFrame, children: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Sub-regions by rank, then the place's own total row (code = the place)."""
    table = children.sort("rank", nulls_last=True).select(
        "code", "rank", "short_name", ind, (pl.col("population") / 1e4).alias("population_10k"), "grids", "workers",
        "grids_without_worker")
    total = own.select(
        pl.lit(scope.region).alias("code"), pl.lit(None, dtype=pl.Int64).alias("rank"),
        pl.lit(TEXT("total_row", lang, place=scope.name)).alias("short_name"), ind,
        (pl.col("population") / 1e4).alias("population_10k"), "grids", "workers", "grids_without_worker")
    return pl.concat([table, total.cast(table.schema)])


def _rank_chart(scope: Scope, cat: _Catalog, ind: str, kind: str, children: pl.DataFrame, me: dict) -> go.Figure:
    lang, meta, unit = cat.lang, cat.meta(ind), cat.unit(ind)
    higher = meta["direction"] == "higher"
    ranked = children.filter(pl.col(ind).is_not_null()).sort(ind, descending=higher)
    best, worst = ranked["short_name"][0], ranked["short_name"][-1]
    title = TEXT("rank_title" if higher else "rank_title_low", lang, kind=kind, ind=cat.name(ind), best=best,
                 worst=worst)
    target = meta["target"]
    return grid_charts.ranked_bars(
        children, ind, "short_name", title, unit, scope_value=me[ind],
        scope_label=TEXT("scope_figure", lang, place=scope.name), target=target,
        target_label="" if target is None else TEXT("target_line", lang, target=TEXT("target", lang), value=target,
                                                    unit=unit),
        higher_is_better=higher, digits=DIGITS.get(ind, 1), max_rows=24)


def _gaps(scope: Scope, towns: pl.DataFrame, no_worker: pl.DataFrame, counties: pl.DataFrame, me: dict,
          lang: str) -> dict:
    gap_t = towns.filter(~pl.col("has_std_center")).select(
        "name", "county_name", "prefecture_name", "has_center", "grids", "villages")
    nw = no_worker.with_columns(
        pl.col("grid_type").replace_strict({"comprehensive": TEXT("comprehensive", lang),
                                            "dedicated": TEXT("dedicated", lang)}, default=pl.col("grid_type"))
    ).select("grid_id", "grid_type", "residents", "established_year", "township_name", "county_name",
             "prefecture_name")
    n_without = me["grids_without_worker"]  # unknown (None) when a counted report leaves it blank
    by_county = counties.select(
        "short_name",
        (pl.col("townships") - pl.col("townships_with_std_center")).alias("townships_gap"),
        "townships",
        (pl.col("villages") - pl.col("villages_with_std_center")).alias("villages_gap"),
        "villages", "grids_without_worker", "grids").sort("townships_gap", descending=True)
    top = by_county.row(0, named=True)
    chart = grid_charts.gaps_by_county(
        by_county, "short_name", [("townships_gap", TEXT("townships_gap_col", lang)),
                                  ("grids_without_worker", TEXT("grids_nw_col", lang))],
        TEXT("gap_counties_title", lang, top=top["short_name"], n=top["townships_gap"]), TEXT("gap_unit", lang))
    place = scope.name
    return dict(
        gap_towns=gap_t,
        gap_towns_caption=TEXT("gap_townships_cap", lang, n=gap_t.height, total=towns.height,
                               built=gap_t.filter(pl.col("has_center")).height),
        no_worker=nw,
        no_worker_caption=TEXT("gap_grids_cap", lang, n="—" if n_without is None else f"{n_without:,}",
                               share=fmt.pct(me["grid_without_worker_share"], 2), shown=no_worker.height),
        by_county=by_county, by_county_chart=chart,
        gap_downloads=(Download(gap_t, TEXT("file_gap_towns", lang, place=place), "gap_towns"),
                       Download(nw, TEXT("file_gap_grids", lang, place=place), "gap_grids"),
                       Download(by_county, TEXT("file_gap_counties", lang, place=place), "gap_counties")))


def build(scope: Scope, indicator: str = INDICATORS[0], map_level: str = "prefecture", layers=DEFAULT_LAYERS,
          floor: str = "") -> Grid:
    """Everything the grid page shows for the scope and the page's choices (queries: `calls`); `floor` is the
    account's own region (the breadcrumb does not go above it)."""
    lang = scope.lang
    ind = indicator if indicator in INDICATORS else INDICATORS[0]
    layers = set(layers or [])
    level = map_level_of(scope, map_level)
    todo = calls(scope, map_level, layers)
    # By query name, and grid_by_region by its level too (the map's sub-regions, and the counties of the gaps).
    frames = {(name, params.get("child_level")): df for (name, params), df in zip(todo, queries.run_many(todo))}
    frames = {name if name != "grid_by_region" else level_: df for (name, level_), df in frames.items()}
    cat = _Catalog({r["code"]: r for r in frames["meta_indicators"].iter_rows(named=True)}, lang)
    by_region, regs = frames[level], frames["meta_regions_with_data"]
    own = by_region.filter(pl.col("is_total"))
    names = dict(zip(regs["code"].to_list(), regs["short_name"].to_list()))
    ind_names = {code: cat.name(code) for code in INDICATORS}

    real_totals = bool(own.height and not own["grid_demo"][0])  # grid counts from imported reports
    records_demo = bool(own.height and own["records_demo"][0])  # the grid points and densities behind the maps
    note = None
    if real_totals and records_demo:
        note = TEXT("records_demo_fac" if not own["facility_count_demo"][0] else "records_demo", lang)
    head = dict(title=TEXT("title", lang, place=scope.name),
                has_demo=bool(own.height and own["has_demo"][0]) or records_demo, records_note=note,
                crumbs=crumbs(scope, names, floor, lang), map_level=level, indicator_names=ind_names)
    if own.height == 0:
        return Grid(no_data=TEXT("no_grid", lang), **head)

    me = own.row(0, named=True)
    meta, digits, unit = cat.meta(ind), DIGITS.get(ind, 1), cat.unit(ind)
    children = by_region.filter(~pl.col("is_total")).with_columns(
        pl.col(ind).rank(method="min", descending=meta["direction"] == "higher").cast(pl.Int64).alias("rank"))
    n_ranked = children.filter(pl.col(ind).is_not_null()).height
    pub = {r["indicator"]: r for r in frames["grid_published"].iter_rows(named=True)}
    map_data = _map(scope, cat, ind, level, layers, children, regs, frames.get("grid_density"),
                    frames.get("grid_facility_points"))

    kind = TEXT(f"level_{level}", lang) if scope.level != "county" else TEXT("level_township", lang)
    towns = frames["grid_by_township"]
    place_figure = TEXT("paren", lang, text=cat.name(ind), note=TEXT("scope_figure", lang, place=scope.name))
    table = dict(scope_metric=(place_figure, _with_unit(me[ind], digits, unit)))
    if scope.level == "county":
        tshow = towns.select("name", "grids", "workers", "grids_without_worker", "has_std_center", "villages",
                             "village_centers_std")
        table.update(table_tab=TEXT("county_scope_table", lang, place=names.get(scope.region, scope.name)),
                     towns=tshow, table_download=Download(tshow, TEXT("file_towns", lang, place=scope.name), "towns"))
    else:
        ranking = _ranking(scope, ind, own, children, lang)
        table.update(table_tab=TEXT("table_title", lang, kind=kind), ranking=ranking,
                     drill_options=("",) + tuple(children["code"].to_list()),
                     rank_chart=_rank_chart(scope, cat, ind, kind, children, me) if n_ranked > 1 else None,
                     table_download=Download(ranking.drop("code"),
                                             TEXT("file_ranking", lang, place=scope.name, ind=cat.name(ind)),
                                             "ranking"))
    counties = children if level == "county" else frames["county"].filter(~pl.col("is_total"))
    return Grid(no_data=None, indicator=ind, unit=unit, headline=headline(cat, pub, me), map=map_data, names=names,
                **head, **table, **_gaps(scope, towns, frames["grid_without_worker"], counties, me, lang))
