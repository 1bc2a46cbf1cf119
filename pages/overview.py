"""总览: headline figures of the four domains for the scope and period, each against the previous period."""
import polars as pl
import streamlit as st

from pingan import fmt, frame, queries
from pingan.i18n import t

scope = frame.scope_filter()
lang = scope.lang
prev = scope.period.previous()
year, prev_year = scope.year, scope.year - 1

first_y, last_y = scope.period.start.year, scope.period.end.year
span = last_y - first_y + 1
# Fetched side by side (queries.run_many): a first view waits for the slowest query, not for their sum.
(grid_now, grid_prev, pop_df, disp_now, disp_prev, ag_now_df, ag_prev_df, sat_now_df, sat_prev_df,
 catalog_df) = queries.run_many([
    ("grid_summary", dict(region=scope.region, year=year)),
    ("grid_summary", dict(region=scope.region, year=prev.end.year)),
    ("region_population", dict(region=scope.region)),
    ("disputes_summary", dict(region=scope.region, start=scope.period.start, end=scope.period.end)),
    ("disputes_summary", dict(region=scope.region, start=prev.start, end=prev.end)),
    ("antigang_summary", dict(region=scope.region, first_year=first_y, last_year=last_y)),
    ("antigang_summary", dict(region=scope.region, first_year=first_y - span, last_year=last_y - span)),
    ("satisfaction_summary", dict(region=scope.region, year=year)),
    ("satisfaction_summary", dict(region=scope.region, year=prev_year)),
    ("meta_indicators", {}),
])
grid_now, grid_prev = grid_now.row(0, named=True), grid_prev.row(0, named=True)
pop = pop_df.row(0, named=True)["population"]
disp_now, disp_prev = disp_now.row(0, named=True), disp_prev.row(0, named=True)
ag_now = {r["indicator"]: r for r in ag_now_df.iter_rows(named=True)}
ag_prev = {r["indicator"]: r for r in ag_prev_df.iter_rows(named=True)}
sat_now = {r["indicator"]: r for r in sat_now_df.iter_rows(named=True)}
sat_prev = {r["indicator"]: r for r in sat_prev_df.iter_rows(named=True)}
catalog = {r["code"]: r for r in catalog_df.iter_rows(named=True)}

has_demo = bool(grid_now["has_demo"] or disp_now["has_demo"]
                or any(r["has_demo"] for r in ag_now.values()) or any(r["has_demo"] for r in sat_now.values()))
title = (f"{scope.name}平安建设总览" if lang == "zh" else f"Overview: {scope.name}")
frame.header(title, scope, has_demo)


def ind_name(code: str) -> str:
    row = catalog[code]
    return row["name_zh"] if lang == "zh" else row["name_en"]


MIXED = ("。与上期不作比较:一期是导入的数据,另一期是演示数据。" if lang == "zh" else
         ". Not compared with the previous period: one of the two is imported data, the other demo data.")


def mixed(now_row, prev_row) -> bool:
    """An imported figure beside a demo one: a change between them would mean nothing."""
    return bool(now_row and prev_row) and bool(now_row.get("has_demo")) != bool(prev_row.get("has_demo"))


def count_metric(col, code, now, before, unit=None, help_extra="", comparable=True):
    unit = unit if unit is not None else catalog[code]["unit"]
    change = fmt.change_ratio(now, before) if comparable else None
    delta = None if change is None else f"{change:+.1%} {t('vs_previous', lang)}"
    col.metric(ind_name(code), fmt.value(now, unit, lang), delta=delta,
               help=f"{catalog[code]['definition_zh']}{help_extra}{'' if comparable else MIXED}")


def rate_metric(col, code, now, before, comparable=True):
    target = catalog[code]["target"]
    delta = None
    if now is not None and before is not None and comparable:
        delta = f"{now - before:+.2f} 个百分点" if lang == "zh" else f"{now - before:+.2f} pp"
    tgt = f" · {t('target', lang)} {target:g}%" if target is not None else ""
    col.metric(ind_name(code) + tgt, fmt.pct(now), delta=delta,
               delta_color="normal" if catalog[code]["direction"] == "higher" else "inverse",
               help=catalog[code]["definition_zh"] + ("" if comparable else MIXED))


st.subheader("网格化服务管理" if lang == "zh" else "Grid management")
c = st.columns(4)
grid_cmp = not mixed(grid_now, grid_prev)
count_metric(c[0], "grid_count", grid_now["grids"], grid_prev["grids"], comparable=grid_cmp)
count_metric(c[1], "grid_worker_count", grid_now["workers"], grid_prev["workers"], comparable=grid_cmp)
per10k = grid_now["grids"] / pop * 10000 if pop else None
c[2].metric(ind_name("grids_per_10k"), "—" if per10k is None else f"{per10k:.1f}{catalog['grids_per_10k']['unit']}",
            help=catalog["grids_per_10k"]["definition_zh"])
share = (100.0 * grid_now["workers_fulltime"] / grid_now["workers"]) if grid_now["workers"] else None
c[3].metric(ind_name("grid_worker_fulltime_share"), fmt.pct(share, 1),
            help=catalog["grid_worker_fulltime_share"]["definition_zh"])

st.subheader("矛盾纠纷排查化解" if lang == "zh" else "Dispute resolution")
c = st.columns(4)
disp_cmp = not mixed(disp_now, disp_prev)
count_metric(c[0], "dispute_identified", disp_now["identified"], disp_prev["identified"], comparable=disp_cmp)
count_metric(c[1], "dispute_accepted", disp_now["accepted"], disp_prev["accepted"], comparable=disp_cmp)
count_metric(c[2], "dispute_resolved", disp_now["resolved"], disp_prev["resolved"], comparable=disp_cmp)
rate_metric(c[3], "dispute_success_rate", disp_now["success_rate_pct"], disp_prev["success_rate_pct"],
            comparable=disp_cmp)

st.subheader("扫黑除恶" if lang == "zh" else "Anti-gang campaign")
c = st.columns(4)
for col, code in zip(c, ("ag_gang_total", "ag_criminal_cases", "ag_suspects", "ag_assets_yuan")):
    now = ag_now.get(code, {}).get("value")
    before = ag_prev.get(code, {}).get("value")
    count_metric(col, code, now or 0, before, comparable=not mixed(ag_now.get(code), ag_prev.get(code)))

st.subheader("群众安全感与满意度" if lang == "zh" else "Safety and satisfaction")
c = st.columns(4)
for col, code in zip(c, ("sat_public_safety", "sat_public_order", "sat_law_enforcement", "sat_antigang")):
    rate_metric(col, code, sat_now.get(code, {}).get("rate_pct"), sat_prev.get(code, {}).get("rate_pct"),
                comparable=not mixed(sat_now.get(code), sat_prev.get(code)))
st.caption(f"安全感与满意度为{year}年度调查结果(按样本量加权),与{prev_year}年度相比;其余指标与上一同长期间"
           f"({frame.period_label(prev, lang)})相比。网格数为期末存量。" if lang == "zh" else
           f"Survey indices are for {year} against {prev_year}; other figures against the previous period of the same "
           f"length ({frame.period_label(prev, lang)}). Grids are the stock at the end of the period.")

if scope.child_level:
    below = queries.run("overview_below_target", region=scope.region, child_level=scope.child_level,
                        start=scope.period.start, end=scope.period.end, year=year)
    st.subheader("低于目标的下级地区" if lang == "zh" else "Sub-regions below target")
    if below.height == 0:
        st.success("所有下级地区均达到目标。" if lang == "zh" else "Every sub-region meets its targets.")
    else:
        st.dataframe(
            below.select("name", "indicator_name", "value", "target", "gap"),
            hide_index=True, width="stretch",
            column_config={
                "name": st.column_config.TextColumn("地区" if lang == "zh" else "Region"),
                "indicator_name": st.column_config.TextColumn("指标" if lang == "zh" else "Indicator"),
                "value": st.column_config.NumberColumn("实际(%)" if lang == "zh" else "Actual (%)", format="%.2f"),
                "target": st.column_config.NumberColumn("目标(%)" if lang == "zh" else "Target (%)", format="%.0f"),
                "gap": st.column_config.NumberColumn("差距(个百分点)" if lang == "zh" else "Gap (pp)", format="%+.2f"),
            })
        frame.downloads(below, "低于目标的下级地区", lang, key="below")
