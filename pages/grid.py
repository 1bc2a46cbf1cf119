"""网格覆盖: grids, grid workers and governance centres on an offline map, with drill-down and the gaps.

What it shows is decided in pingan/views/grid.py; this page reads the widgets, lays the view out and draws the map.
A click on a region (map or table) narrows the scope through the sidebar's own keys, in a callback, so the
URL keeps it; the map's widget key includes the scope, so an old selection never fires again after a move.
Page URL parameters: ind (indicator), maplevel (prefecture | county, for a province), layers (repeated).
"""
import streamlit as st

from pingan import auth, frame, maps, ui
from pingan.views import grid

tr = ui.texts(grid.TEXT)


def goto(code: str) -> None:
    """Narrow (or widen) the scope to `code` through the sidebar filter's own keys (run as a callback)."""
    target = grid.drill_target(code)
    if target is not None:
        st.session_state["scope_province"], st.session_state["scope_prefecture"], \
            st.session_state["scope_county"] = target


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


def downloads(d: grid.Download) -> None:
    frame.downloads(d.frame, d.basename, scope.lang, key=d.key)


def col(label_key: str, kind=st.column_config.NumberColumn, **kw):
    return kind(tr(label_key), **kw)


scope = frame.scope_filter()
# Page parameters from the link first: the map level decides which sub-regions one query returns.
ui.url_choice("ind", "grid_ind", grid.INDICATORS, grid.INDICATORS[0])
ui.url_choice("maplevel", "grid_maplevel", grid.MAP_LEVELS, grid.MAP_LEVELS[0])
ui.url_choice("layers", "grid_layers", grid.LAYERS, grid.DEFAULT_LAYERS, multi=True)
acct = auth.current_account()
view = grid.build(scope, st.session_state["grid_ind"], st.session_state["grid_maplevel"],
                  st.session_state["grid_layers"], floor=acct.region if acct is not None and acct.region else "")

frame.header(view.title, scope, view.has_demo)
if view.records_note:
    st.caption(view.records_note)
# The headline figures sit two to a row beside the map: a smaller value font keeps 126.74万人 whole at 1440 px.
st.markdown("<style>[data-testid='stMetricValue']{font-size:1.7rem}</style>", unsafe_allow_html=True)

# Breadcrumb: 全部 › 云南 › 大理州 › 祥云县; every level above the current one is a button.
with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    for i, (code, label) in enumerate(view.crumbs):
        last = i == len(view.crumbs) - 1
        st.button(label, key=f"crumb_{i}", type="tertiary" if not last else "secondary", disabled=last,
                  on_click=goto, args=(code,))
        if not last:
            st.markdown("›")

if view.no_data:
    st.info(view.no_data)
    st.stop()

# ---------------------------------------------------------------------------------------------- controls
ctl = st.columns([3, 2, 2], vertical_alignment="bottom")
ind = ctl[0].selectbox(tr("indicator"), grid.INDICATORS, key="grid_ind", format_func=view.indicator_names.get)
if scope.level == "province":
    ctl[1].segmented_control(tr("maplevel"), grid.MAP_LEVELS, key="grid_maplevel", required=True,
                             format_func=lambda x: tr(f"level_{x}"))
with ctl[2].popover(tr("layers_button", n=len(st.session_state["grid_layers"])), width="stretch"):
    layers = st.pills(tr("layers"), grid.LAYERS, selection_mode="multi", key="grid_layers", format_func=tr)
ui.url_write("ind", ind, grid.INDICATORS[0])
ui.url_write("maplevel", st.session_state["grid_maplevel"], grid.MAP_LEVELS[0])
ui.url_write("layers", layers, grid.DEFAULT_LAYERS, multi=True)

# ---------------------------------------------------------------------------------------------- map
m = view.map
map_layers = [maps.choropleth_layer(list(m.features), m.values, m.tips, list(m.cuts), alpha=m.fill_alpha)]
if m.density:
    cells, cell, dcuts = m.density
    map_layers.append(maps.density_layer(cells, cell, list(dcuts), maps.LIGHT))
if m.facilities:
    points, ftips, types, scale = m.facilities
    map_layers += maps.facility_layers(points, ftips, maps.LIGHT, types, scale=scale)
if m.labels is not None:
    map_layers.append(maps.label_layer(m.labels, size_px=12, zoom=m.view.zoom))
if m.outline:
    map_layers.append(maps.outline_layer(list(m.features)))
if m.boundary_lines:
    map_layers.append(maps.boundary_lines_layer())

map_col, table_col = st.columns([3, 2], gap="medium")
with map_col:
    if m.legends:  # drawn above the map, compact, so that map and legend fit one 1440x900 screen
        st.markdown("".join(maps.legend_html(lg.title, list(lg.entries), shape=lg.shape) for lg in m.legends),
                    unsafe_allow_html=True)
    map_key = f"grid_map_{scope.region or 'all'}_{view.map_level}"
    st.pydeck_chart(maps.deck(map_layers, m.view), on_select=lambda: on_map_select(map_key),
                    selection_mode="single-object", key=map_key, height=grid.MAP_HEIGHT_PX)
    st.caption(m.caption)

# ---------------------------------------------------------------------------------------------- table
with table_col:
    tab_figures, tab_table = st.tabs([tr("tab_figures"), view.table_tab])
with tab_figures:  # the place's figures by theme, two to a row (they sit beside the map)
    for section, figures in view.headline:
        st.markdown(f"**{section}**")
        for i in range(0, len(figures), 2):
            for c, f in zip(st.columns(2), figures[i:i + 2]):
                c.metric(f.label, f.shown, help=f.help)
                if f.published:
                    c.caption(f.published, help=f.quote)  # the quote is in the caption's help
with tab_table:
    st.metric(*view.scope_metric)
    if view.towns is not None:
        st.dataframe(view.towns, hide_index=True, width="stretch", height=420, column_config={
            "name": col("township_col", st.column_config.TextColumn),
            "grids": col("grids_col", format="%d"),
            "workers": col("workers_col", format="%d"),
            "grids_without_worker": col("grids_nw_col", format="%d"),
            "has_std_center": col("townships_std_col", st.column_config.CheckboxColumn),
            "villages": col("villages_col", format="%d"),
            "village_centers_std": col("village_centres_std_col", format="%d"),
        })
    else:
        table_key = f"grid_table_{scope.region or 'all'}_{view.map_level}"
        codes = view.ranking["code"].to_list()
        st.dataframe(
            view.ranking.drop("code"), hide_index=True, width="stretch", height=460, key=table_key, placeholder="—",
            on_select=lambda: on_table_select(table_key, codes), selection_mode="single-row",
            column_config={
                "rank": col("rank", format="%d", width=50),
                "short_name": col("region", st.column_config.TextColumn, width=90),
                ind: st.column_config.NumberColumn(tr("paren", text=view.indicator_names[ind], note=view.unit),
                                                   format=f"%.{grid.DIGITS.get(ind, 1)}f", width=130),
                "population_10k": col("population_10k", format="%.1f"),
                "grids": col("grids_col", format="%d"),
                "workers": col("workers_col", format="%d"),
                "grids_without_worker": col("grids_nw_col", format="%d"),
            })
        drill_key = f"grid_drill_{scope.region or 'all'}_{view.map_level}"
        st.selectbox(tr("drill"), list(view.drill_options), key=drill_key,
                     format_func=lambda c: tr("drill_none") if not c else view.names.get(c, c),
                     on_change=on_drill_choice, args=(drill_key,))

# Under the map (beside the long figures tab): the ranking as a chart; then, full width (frame.downloads'
# buttons are cut short in a column), the exports of the table tab.
with map_col:
    if view.rank_chart is not None:
        st.plotly_chart(view.rank_chart, width="stretch")
downloads(view.table_download)

# ---------------------------------------------------------------------------------------------- gaps
st.subheader(tr("gaps"))
gap_towns, gap_grids, gap_counties = view.gap_downloads
tabs = st.tabs([tr("gap_townships"), tr("gap_grids"), tr("gap_counties")])
with tabs[0]:
    st.caption(view.gap_towns_caption)
    if view.gap_towns.height == 0:
        st.info(tr("gap_none"))
    else:
        st.dataframe(view.gap_towns, hide_index=True, width="stretch", height=360, column_config={
            "name": col("township_col", st.column_config.TextColumn),
            "county_name": col("county_col", st.column_config.TextColumn),
            "prefecture_name": col("prefecture_col", st.column_config.TextColumn),
            "has_center": col("has_center_col", st.column_config.CheckboxColumn),
            "grids": col("grids_col", format="%d"),
            "villages": col("villages_col", format="%d"),
        })
        downloads(gap_towns)
with tabs[1]:
    st.caption(view.no_worker_caption)
    if view.no_worker.height == 0:
        st.info(tr("gap_none"))
    else:
        st.dataframe(view.no_worker, hide_index=True, width="stretch", height=360, column_config={
            "grid_id": col("grid_id_col", format="%d"),
            "grid_type": col("grid_type_col", st.column_config.TextColumn),
            "residents": col("residents_col", format="%d"),
            "established_year": col("established_col", format="%d"),
            "township_name": col("township_col", st.column_config.TextColumn),
            "county_name": col("county_col", st.column_config.TextColumn),
            "prefecture_name": col("prefecture_col", st.column_config.TextColumn),
        })
        downloads(gap_grids)
with tabs[2]:
    st.plotly_chart(view.by_county_chart, width="stretch")
    st.caption(tr("gap_counties_cap"))
    st.dataframe(view.by_county, hide_index=True, width="stretch", height=360, column_config={
        "short_name": col("county_col", st.column_config.TextColumn),
        "townships_gap": col("townships_gap_col", format="%d"),
        "townships": col("townships_col", format="%d"),
        "villages_gap": col("villages_gap_col", format="%d"),
        "villages": col("villages_col", format="%d"),
        "grids_without_worker": col("grids_nw_col", format="%d"),
        "grids": col("grids_col", format="%d"),
    })
    downloads(gap_counties)
