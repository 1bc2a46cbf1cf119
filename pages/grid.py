"""网格覆盖: grids, grid workers and governance centres on an offline map, with drill-down and the gaps.

Decisions: grids and facilities are the stock at the end of the scope's last year (established_year <= year).
A click on a region (map or table) narrows the scope through the sidebar's own keys, in a callback, so the
URL keeps it; the map's widget key includes the scope, so an old selection never fires again after a move.
Page URL parameters: ind (indicator), maplevel (prefecture | county, for a province), layers (repeated).
"""
import polars as pl
import streamlit as st

from pingan import auth, fmt, frame, maps, queries, rules
from pingan.charts import grid as grid_charts

S = {
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
    "gap_none": ("没有缺口。", "No gaps."),
    "county_scope_table": ("{place}各乡镇(街道)", "Townships of {place}"),
    "map_credit": ("边界数据 © 天地图;人口:第七次全国人口普查(2020)分县资料。", "Boundaries © Tianditu; "
                   "population: 2020 census."),
    "village_est": ("村级覆盖率按“村级综治中心数与村(社区)数取小”逐县估算。",
                    "Village coverage is estimated per county as min(village centres, villages)."),
    "of_which_pref": ("其中市级{n}个", "incl. {n} prefecture-level"),
    "scope_figure": ("{place}整体", "{place} overall"),
    "target": ("目标", "Target"),
    "no_grid": ("所选范围没有网格数据。", "No grid data for this scope."),
}

INDICATORS = ["grids_per_10k", "residents_per_grid", "workers_per_grid", "grid_worker_fulltime_share",
              "grid_without_worker_share", "center_county_coverage", "center_township_coverage",
              "center_village_coverage", "center_standardized_rate_county", "center_standardized_rate_township",
              "center_standardized_rate_village", "onestop_coverage"]
UNIT_EN = {"个/万人": "per 10k residents", "人/格": "per grid"}
DIGITS = {"grids_per_10k": 1, "residents_per_grid": 0, "workers_per_grid": 2}
FACILITY_TYPES = ["center", "onestop", "police_room", "justice_office", "tribunal"]
LAYERS = ["fill", "labels", "density"] + FACILITY_TYPES
DEFAULT_LAYERS = ["fill", "labels", "center", "onestop"]
MAX_LEVEL_RANK = {"all": 1, "province": 3, "prefecture": 4, "county": 4}
CELL_DEG = {"all": 0.25, "province": 0.1, "prefecture": 0.05, "county": 0.02}
GRIDS_LISTED = 3000
MAP_WIDTH_PX, MAP_HEIGHT_PX = 560, 450  # the map column at 1440 px; fits the view and the simplification


def url_choice(param: str, key: str, options: list[str], default, multi: bool = False) -> None:
    """Copy this page's own URL parameter into its widget's state when the link changed (unknown values ignored).

    frame.scope_filter does the same for region/from/to/lang; `bind="query-params"` would write the translated
    labels into the URL, so it is not used."""
    raw = st.query_params.get(param)
    if raw is not None and raw != st.session_state.get(f"_url_{param}"):
        picked = [v for v in raw.split(",") if v in options]
        if multi:
            st.session_state[key] = picked
        elif picked:
            st.session_state[key] = picked[0]
    elif raw is None and f"_url_{param}" in st.session_state and st.session_state[f"_url_{param}"] is not None:
        st.session_state[key] = default  # the link dropped the parameter: back to the default
    if key not in st.session_state or (not multi and st.session_state[key] not in options):
        st.session_state[key] = default


def url_write(param: str, value, default, multi: bool = False) -> None:
    text = ",".join(value or []) if multi else value
    if value == default or (multi and sorted(value or []) == sorted(default)):
        st.query_params.pop(param, None)
        st.session_state[f"_url_{param}"] = None
    else:
        st.query_params[param] = text
        st.session_state[f"_url_{param}"] = text


def tr(key: str, **kw) -> str:
    zh, en = S[key]
    text = en if st.session_state.get("lang", "zh") == "en" else zh
    return text.format(**kw) if kw else text


def goto(code: str) -> None:
    """Narrow (or widen) the scope to `code` through the sidebar filter's own keys (run as a callback)."""
    regs = frame.regions()
    if code:
        row = regs.filter(pl.col("code") == code)
        if row.height == 0:  # a grey region without data, or a stale click
            return
        r = row.row(0, named=True)
        prov, pref, cty = r["province_code"], (r["prefecture_code"] or ""), ""
        if r["level"] == "province":
            pref = ""
        if r["level"] == "county":
            cty = code
    else:
        prov = pref = cty = ""
    st.session_state["scope_province"] = prov
    st.session_state["scope_prefecture"] = pref
    st.session_state["scope_county"] = cty


def on_map_select(key: str) -> None:
    code = maps.selected_code(st.session_state.get(key))
    if code:
        goto(code)


def on_table_select(key: str, codes: list[str]) -> None:
    rows = st.session_state.get(key, {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(codes) and codes[rows[0]]:
        goto(codes[rows[0]])


def on_drill_choice(key: str) -> None:
    code = st.session_state.get(key)
    if code:
        goto(code)


scope = frame.scope_filter()
lang = scope.lang
zh = lang == "zh"
year = scope.year
catalog = {r["code"]: r for r in queries.run("meta_indicators").iter_rows(named=True)}


def ind_meta(code: str) -> dict:
    """Name, unit, direction, target and definition from the catalog (per-level standardised rates share one)."""
    if code.startswith("center_standardized_rate_"):
        level = code.rsplit("_", 1)[1]
        base = catalog["center_standardized_rate"]
        return {**base, "name_zh": tr_lang(f"lvl_{level}", "zh") + base["name_zh"],
                "name_en": f"{tr_lang(f'lvl_{level}', 'en')} {base['name_en'].lower()}"}
    return catalog[code]


def paren(text: str, note: str) -> str:
    return f"{text}({note})" if zh else f"{text} ({note})"


def tr_lang(key: str, lang_: str) -> str:
    return S[key][1 if lang_ == "en" else 0]


def ind_name(code: str) -> str:
    m = ind_meta(code)
    return m["name_zh"] if zh else m["name_en"]


# ---------------------------------------------------------------------------------------------- data
# Page parameters from the link first: the map level decides which sub-regions one query returns.
url_choice("ind", "grid_ind", INDICATORS, INDICATORS[0])
url_choice("maplevel", "grid_maplevel", ["prefecture", "county"], "prefecture")
url_choice("layers", "grid_layers", LAYERS, DEFAULT_LAYERS, multi=True)
map_level = st.session_state["grid_maplevel"] if scope.level == "province" else \
    {"all": "province", "prefecture": "county", "county": "county"}[scope.level]
# One row per sub-region at the map level plus the place's own row (is_total); a county's only sub-region
# with polygons is itself (its townships are listed in a table).
by_region = queries.run("grid_by_region", region=scope.region, child_level=map_level, year=year)
own = by_region.filter(pl.col("is_total"))
children = by_region.filter(~pl.col("is_total"))
published = queries.run("grid_published", region=scope.region, year=year)
regs = frame.regions()
names = dict(zip(regs["code"].to_list(), regs["short_name"].to_list()))

real_totals = bool(own.height and not own["grid_demo"][0])  # grid counts from imported reports
records_demo = bool(own.height and own["records_demo"][0])  # the grid points and densities behind the maps
frame.header(tr("title", place=scope.name), scope, bool(own.height and own["has_demo"][0]) or records_demo)
if real_totals and records_demo:
    st.caption(tr("records_demo_fac" if not own["facility_count_demo"][0] else "records_demo"))
# Sixteen headline figures in rows of six: a smaller value font keeps 126.74万人 whole at 1440 px.
st.markdown("<style>[data-testid='stMetricValue']{font-size:1.7rem}</style>", unsafe_allow_html=True)

# Breadcrumb: 全部 › 云南 › 大理州 › 祥云县; every level above the current one is a button.
acct = auth.current_account()
floor = acct.region if acct is not None and acct.region else ""  # an account sees its region and below only
crumbs = [("", tr("all"))] + [(c, names.get(c, c)) for c in (scope.province, scope.prefecture, scope.county) if c]
crumbs = [(c, label) for c, label in crumbs if not floor or (c and queries.within(c, floor))]
with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    for i, (code, label) in enumerate(crumbs):
        last = i == len(crumbs) - 1
        st.button(label, key=f"crumb_{i}", type="tertiary" if not last else "secondary", disabled=last,
                  on_click=goto, args=(code,))
        if not last:
            st.markdown("›")

if own.height == 0:
    st.info(tr("no_grid"))
    st.stop()
me = own.row(0, named=True)

# ---------------------------------------------------------------------------------------------- headline
pub = {r["indicator"]: r for r in published.iter_rows(named=True)}


def shown(code: str, value) -> str:
    unit = catalog[code]["unit"]
    if unit == "%":
        return fmt.pct(value, 1 if value is not None and value != round(value) else 0)
    return fmt.value(value, unit, lang)


def published_line(code: str, value) -> str | None:
    p = pub.get(code)
    if p is None:
        return None
    q = "" if p["qualifier"] == "exact" else p["qualifier"]
    v = p["value"]
    text = fmt.pct(v, p.get("decimals") or 0) if p["unit"] == "%" else fmt.value(v, p["unit"], lang)
    ok = bool(rules.figure_matches(value, v, p["qualifier"], p["decimals"]))  # no value: shown as differing
    mark = f":green[✓ {tr('match')}]" if ok else f":red[✗ {tr('differs')}]"
    return f"{tr('published')} {q}{text} {mark}"  # the quote is in the caption's help


def metric(col, code: str, value, extra_help: str = "") -> None:
    help_ = catalog[code]["definition_zh"] + (f"。{extra_help}" if extra_help else "")
    col.metric(ind_name(code), shown(code, value), help=help_)
    line = published_line(code, value)
    if line:
        col.caption(line, help=pub[code]["quote"])


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


def headline() -> None:
    """The place's figures by theme, two to a row (they sit beside the map), published figures under them."""
    for section, items in HEADLINE:
        st.markdown(f"**{tr(section)}**")
        for i in range(0, len(items), 2):
            cols = st.columns(2)
            for col, (code, key) in zip(cols, items[i:i + 2]):
                if key is None:
                    levels = [me[k] for k in ("centers_prefecture", "centers_county", "centers_township",
                                              "centers_village")]
                    total = None if None in levels else sum(levels)  # None: an imported report left one blank
                    metric(col, code, total, "" if me["centers_prefecture"] is None else
                           tr("of_which_pref", n=me["centers_prefecture"]))
                else:
                    metric(col, code, me[key])


# ---------------------------------------------------------------------------------------------- controls
ctl = st.columns([3, 2, 2], vertical_alignment="bottom")
ind = ctl[0].selectbox(tr("indicator"), INDICATORS, key="grid_ind", format_func=ind_name)
if scope.level == "province":
    map_level = ctl[1].segmented_control(tr("maplevel"), ["prefecture", "county"], key="grid_maplevel",
                                         required=True, format_func=lambda x: tr(f"level_{x}"))
with ctl[2].popover(tr("layers_button", n=len(st.session_state["grid_layers"])), width="stretch"):
    layers = st.pills(tr("layers"), LAYERS, selection_mode="multi", key="grid_layers", format_func=lambda x: tr(x))
url_write("ind", ind, INDICATORS[0])
url_write("maplevel", st.session_state["grid_maplevel"], "prefecture")
url_write("layers", layers, DEFAULT_LAYERS, multi=True)
layers = set(layers or [])
meta = ind_meta(ind)
unit = meta["unit"] if zh else UNIT_EN.get(meta["unit"], meta["unit"])
digits = DIGITS.get(ind, 1)
higher = meta["direction"] == "higher"

children = children.with_columns(
    pl.col(ind).rank(method="min", descending=higher).cast(pl.Int64).alias("rank"))
n_ranked = children.filter(pl.col(ind).is_not_null()).height

# ---------------------------------------------------------------------------------------------- map
if map_level == "province":
    boundary_args = ("province", "", None)
elif scope.level == "county":
    boundary_args = ("county", scope.province, {scope.county})
else:
    boundary_args = (map_level, scope.province, set(
        regs.filter((pl.col("level") == map_level) & ((pl.col("province_code") == scope.region)
                                                      | (pl.col("prefecture_code") == scope.region)))["code"]))
box = maps.bounds(maps.features(*boundary_args))
view = maps.fit_view(box, MAP_WIDTH_PX, MAP_HEIGHT_PX)
feats = maps.features(*boundary_args, tolerance=maps.tolerance_for(box, MAP_WIDTH_PX))
values = dict(zip(children["code"].to_list(), children[ind].to_list()))
cuts = maps.class_breaks(list(values.values()))
colours = maps.ramp_for(len(cuts) + 1, maps.LIGHT.ramp)


def region_tip(r: dict) -> str:
    v = r[ind]
    vtxt = "—" if v is None else f"{v:,.{digits}f} {unit}"
    pop = "—" if r["population"] is None else f"{r['population'] / 1e4:,.1f}"
    grids, workers = ("—" if r[k] is None else f"{r[k]:,}" for k in ("grids", "workers"))  # None: report left blank
    if zh:
        return (f"{r['name']}\n{ind_name(ind)}:{vtxt}\n排名:第{r['rank']}位 / {n_ranked}\n"
                f"常住人口:{pop}万人\n网格 {grids} 个 · 网格员 {workers} 人")
    return (f"{r['name']}\n{ind_name(ind)}: {vtxt}\nRank: {r['rank']} of {n_ranked}\n"
            f"Population: {pop} ×10k\n{grids} grids · {workers} grid workers")


tips = {r["code"]: region_tip(r) for r in children.iter_rows(named=True)}
map_layers = [maps.choropleth_layer(feats, values if "fill" in layers else {}, tips, cuts,
                                    alpha=None if "density" not in layers else 110)]
legends = []  # drawn above the map, compact, so that map and legend fit one 1440x900 screen
notes = [tr("stock", year=year), tr("click_hint")]
if "fill" in layers:
    entries = maps.legend_entries(cuts, colours, "", digits, single_value=next(iter(values.values()), None))
    legends.append(maps.legend_html(paren(ind_name(ind), unit),
                                    entries + [(maps.LIGHT.no_data, tr("no_data_legend"))]))
if "density" in layers:
    cell = CELL_DEG[scope.level]
    dens = queries.run("grid_density", region=scope.region, year=year, cell_deg=cell)
    dcuts = maps.class_breaks(dens["grids"].to_list())
    map_layers.append(maps.density_layer(dens.to_dicts(), cell, dcuts, maps.LIGHT))
    dcol = maps.ramp_for(len(dcuts) + 1, maps.LIGHT.density_ramp)
    legends.append(maps.legend_html(tr("density_legend", cell=cell), maps.legend_entries(dcuts, dcol, "", 0)))
shown_types = [t for t in FACILITY_TYPES if t in layers]
if shown_types:
    pts = queries.run("grid_facility_points", region=scope.region, year=year,
                      max_level_rank=MAX_LEVEL_RANK[scope.level])
    pts = pts.filter(pl.col("facility_type").is_in(shown_types)).with_columns(
        pl.col({"province": "province_code", "prefecture": "prefecture_code"}.get(map_level, "county_code"))
        .alias("code"))
    ftips = {f"{t}|{lv}|{s}": f"{tr('lvl_' + lv)}{tr(t)} · {tr('std_yes' if s else 'std_no')}"
             for t in FACILITY_TYPES for lv in ("prefecture", "county", "township", "village") for s in (0, 1)}
    map_layers += maps.facility_layers(pts.to_dicts(), ftips, maps.LIGHT, tuple(shown_types),
                                       scale=0.7 if scope.level == "all" else 1.0)
    legends.append(maps.legend_html(tr("facility_legend"),
                                    [(maps.FACILITY_COLOURS[t], tr(t)) for t in shown_types], shape="dot"))
    notes.append({1: tr("national_note"), 3: tr("village_note")}.get(MAX_LEVEL_RANK[scope.level], ""))
if "labels" in layers:
    label_rows = [{"name": r["short_name"], "lon": r["lon"], "lat": r["lat"], "priority": r["population"] or 0}
                  for r in children.iter_rows(named=True)]
    map_layers.append(maps.label_layer(label_rows, size_px=12, zoom=view.zoom))
if scope.level == "county":
    map_layers.append(maps.outline_layer(feats))
if scope.level == "all":
    map_layers.append(maps.boundary_lines_layer())  # 南海诸岛 and undetermined borders: a national map needs them

map_col, table_col = st.columns([3, 2], gap="medium")
with map_col:
    if legends:
        st.markdown("".join(legends), unsafe_allow_html=True)
    deck = maps.deck(map_layers, view)
    map_key = f"grid_map_{scope.region or 'all'}_{map_level}"
    st.pydeck_chart(deck, on_select=lambda: on_map_select(map_key), selection_mode="single-object",
                    key=map_key, height=MAP_HEIGHT_PX)
    if ind == "center_village_coverage":
        notes.append(tr("village_est"))
    st.caption(" ".join(n for n in notes if n) + " " + tr("map_credit"))

# ---------------------------------------------------------------------------------------------- table
kind = tr(f"level_{map_level}") if scope.level != "county" else tr("level_township")
with table_col:
    tab_figures, tab_table = st.tabs([tr("tab_figures"), tr("table_title", kind=kind) if scope.level != "county"
                                      else tr("county_scope_table", place=names.get(scope.region, scope.name))])
with tab_figures:
    headline()
with tab_table:
    if scope.level == "county":
        towns = queries.run("grid_by_township", region=scope.region, year=year)
        st.metric(paren(ind_name(ind), tr("scope_figure", place=scope.name)),
                  "—" if me[ind] is None else f"{me[ind]:,.{digits}f} {unit}")
        tshow = towns.select("name", "grids", "workers", "grids_without_worker", "has_std_center", "villages",
                             "village_centers_std")
        st.dataframe(tshow, hide_index=True, width="stretch", height=420, column_config={
            "name": st.column_config.TextColumn(tr("township_col")),
            "grids": st.column_config.NumberColumn(tr("grids_col"), format="%d"),
            "workers": st.column_config.NumberColumn(tr("workers_col"), format="%d"),
            "grids_without_worker": st.column_config.NumberColumn(tr("grids_nw_col"), format="%d"),
            "has_std_center": st.column_config.CheckboxColumn(tr("townships_std_col")),
            "villages": st.column_config.NumberColumn(tr("villages_col"), format="%d"),
            "village_centers_std": st.column_config.NumberColumn(tr("village_centres_std_col"), format="%d"),
        })
    else:
        scope_label = tr("scope_figure", place=scope.name)
        st.metric(paren(ind_name(ind), scope_label), "—" if me[ind] is None else f"{me[ind]:,.{digits}f} {unit}")
        table = children.sort("rank", nulls_last=True).select(
            "code", "rank", "short_name", ind, (pl.col("population") / 1e4).alias("population_10k"), "grids", "workers",
            "grids_without_worker")
        total = own.select(
            pl.lit(scope.region).alias("code"), pl.lit(None, dtype=pl.Int64).alias("rank"),
            pl.lit(tr("total_row", place=scope.name)).alias("short_name"), ind,
            (pl.col("population") / 1e4).alias("population_10k"), "grids", "workers", "grids_without_worker")
        table = pl.concat([table, total.cast(table.schema)])
        table_key = f"grid_table_{scope.region or 'all'}_{map_level}"
        codes = table["code"].to_list()
        st.dataframe(
            table.drop("code"), hide_index=True, width="stretch", height=460, key=table_key, placeholder="—",
            on_select=lambda: on_table_select(table_key, codes), selection_mode="single-row",
            column_config={
                "rank": st.column_config.NumberColumn(tr("rank"), format="%d", width=50),
                "short_name": st.column_config.TextColumn(tr("region"), width=90),
                ind: st.column_config.NumberColumn(paren(ind_name(ind), unit), format=f"%.{digits}f", width=130),
                "population_10k": st.column_config.NumberColumn(tr("population_10k"), format="%.1f"),
                "grids": st.column_config.NumberColumn(tr("grids_col"), format="%d"),
                "workers": st.column_config.NumberColumn(tr("workers_col"), format="%d"),
                "grids_without_worker": st.column_config.NumberColumn(tr("grids_nw_col"), format="%d"),
            })
        drill_key = f"grid_drill_{scope.region or 'all'}_{map_level}"
        st.selectbox(tr("drill"), [""] + children["code"].to_list(), key=drill_key,
                     format_func=lambda c: tr("drill_none") if not c else names.get(c, c),
                     on_change=on_drill_choice, args=(drill_key,))

# Under the map (beside the long figures tab): the ranking as a chart; then, full width (frame.downloads'
# buttons are cut short in a column), the exports of the table tab.
with map_col:
    if scope.level != "county" and n_ranked > 1:
        ranked = children.filter(pl.col(ind).is_not_null()).sort(ind, descending=higher)
        best, worst = ranked["short_name"][0], ranked["short_name"][-1]
        title = tr("rank_title" if higher else "rank_title_low", kind=kind, ind=ind_name(ind), best=best,
                   worst=worst)
        st.plotly_chart(grid_charts.ranked_bars(
            children, ind, "short_name", title, unit, scope_value=me[ind],
            scope_label=tr("scope_figure", place=scope.name), target=meta["target"],
            target_label=f"{tr('target')} {meta['target']:g}{unit}" if meta["target"] is not None else "",
            higher_is_better=higher, digits=digits, max_rows=24), width="stretch")
if scope.level == "county":
    frame.downloads(tshow, f"{scope.name}_乡镇网格", lang, key="towns")
else:
    frame.downloads(table.drop("code"), f"{scope.name}_{ind_name(ind)}", lang, key="ranking")

# ---------------------------------------------------------------------------------------------- gaps
st.subheader(tr("gaps"))
towns = queries.run("grid_by_township", region=scope.region, year=year)
tabs = st.tabs([tr("gap_townships"), tr("gap_grids"), tr("gap_counties")])
with tabs[0]:
    gap_t = towns.filter(~pl.col("has_std_center")).select(
        "name", "county_name", "prefecture_name", "has_center", "grids", "villages")
    st.caption(tr("gap_townships_cap", n=gap_t.height, total=towns.height,
                  built=gap_t.filter(pl.col("has_center")).height))
    if gap_t.height == 0:
        st.info(tr("gap_none"))
    else:
        st.dataframe(gap_t, hide_index=True, width="stretch", height=360, column_config={
            "name": st.column_config.TextColumn(tr("township_col")),
            "county_name": st.column_config.TextColumn(tr("county_col")),
            "prefecture_name": st.column_config.TextColumn(tr("prefecture_col")),
            "has_center": st.column_config.CheckboxColumn(tr("has_center_col")),
            "grids": st.column_config.NumberColumn(tr("grids_col"), format="%d"),
            "villages": st.column_config.NumberColumn(tr("villages_col"), format="%d"),
        })
        frame.downloads(gap_t, f"{scope.name}_乡镇缺规范化综治中心", lang, key="gap_towns")
with tabs[1]:
    no_worker = queries.run("grid_without_worker", region=scope.region, year=year, max_rows=GRIDS_LISTED)
    share = fmt.pct(me["grid_without_worker_share"], 2)
    n_without = me["grids_without_worker"]  # unknown (None) when a counted report leaves it blank
    st.caption(tr("gap_grids_cap", n="—" if n_without is None else f"{n_without:,}", share=share,
                  shown=no_worker.height))
    if no_worker.height == 0:
        st.info(tr("gap_none"))
    else:
        nw = no_worker.with_columns(
            pl.col("grid_type").replace_strict({"comprehensive": tr("comprehensive"),
                                                "dedicated": tr("dedicated")}, default=pl.col("grid_type")))
        nw = nw.select("grid_id", "grid_type", "residents", "established_year", "township_name", "county_name",
                       "prefecture_name")
        st.dataframe(nw, hide_index=True, width="stretch", height=360, column_config={
            "grid_id": st.column_config.NumberColumn(tr("grid_id_col"), format="%d"),
            "grid_type": st.column_config.TextColumn(tr("grid_type_col")),
            "residents": st.column_config.NumberColumn(tr("residents_col"), format="%d"),
            "established_year": st.column_config.NumberColumn(tr("established_col"), format="%d"),
            "township_name": st.column_config.TextColumn(tr("township_col")),
            "county_name": st.column_config.TextColumn(tr("county_col")),
            "prefecture_name": st.column_config.TextColumn(tr("prefecture_col")),
        })
        frame.downloads(nw, f"{scope.name}_无网格员网格", lang, key="gap_grids")
with tabs[2]:
    counties = children if map_level == "county" else queries.run(
        "grid_by_region", region=scope.region, child_level="county", year=year).filter(~pl.col("is_total"))
    by_county = counties.select(
        "short_name",
        (pl.col("townships") - pl.col("townships_with_std_center")).alias("townships_gap"),
        "townships",
        (pl.col("villages") - pl.col("villages_with_std_center")).alias("villages_gap"),
        "villages", "grids_without_worker", "grids").sort("townships_gap", descending=True)
    top = by_county.row(0, named=True)
    st.plotly_chart(grid_charts.gaps_by_county(
        by_county, "short_name", [("townships_gap", tr("townships_gap_col")),
                                  ("grids_without_worker", tr("grids_nw_col"))],
        tr("gap_counties_title", top=top["short_name"], n=top["townships_gap"]), "个" if zh else ""),
        width="stretch")
    st.caption(tr("gap_counties_cap"))
    st.dataframe(by_county, hide_index=True, width="stretch", height=360, column_config={
        "short_name": st.column_config.TextColumn(tr("county_col")),
        "townships_gap": st.column_config.NumberColumn(tr("townships_gap_col"), format="%d"),
        "townships": st.column_config.NumberColumn(tr("townships_col"), format="%d"),
        "villages_gap": st.column_config.NumberColumn(tr("villages_gap_col"), format="%d"),
        "villages": st.column_config.NumberColumn(tr("villages_col"), format="%d"),
        "grids_without_worker": st.column_config.NumberColumn(tr("grids_nw_col"), format="%d"),
        "grids": st.column_config.NumberColumn(tr("grids_col"), format="%d"),
    })
    frame.downloads(by_county, f"{scope.name}_按县缺口", lang, key="gap_counties")
