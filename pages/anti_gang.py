"""扫黑除恶: campaign tallies by phase (专项斗争 / 常态化), year and region, per 10万 residents, and ratios.

The phase selector decides the years: 专项斗争, 常态化 and 全部 override the sidebar period (the tallies are
annual and the documents publish them by phase); "按侧栏期间" counts the whole years the sidebar period touches.
"""
from dataclasses import replace
from datetime import date

import polars as pl
import streamlit as st

from pingan import auth, frame, periods, queries
from pingan.charts import anti_gang as agc

scope = frame.scope_filter()
lang = scope.lang
zh = lang == "zh"


def tr(key: str, **kw) -> str:
    return agc.tr(key, lang, **kw)


by_year = queries.run("anti_gang_by_year", region=scope.region)
if by_year.height == 0:
    frame.header(tr("title", name=scope.name), scope, False)
    st.info(tr("no_data"))
    st.stop()

# --- phase and years ---------------------------------------------------------------------------------------
spans = agc.phase_years(by_year)
data_first, data_last = spans["all"]
PHASES = ["special", "routine", "all", "period"]
head = st.container()  # the title goes above the phase selector, but needs the years the selector gives
url_phase = st.query_params.get("phase", "")
if url_phase in PHASES and st.session_state.get("_ag_phase_url") != url_phase:
    st.session_state["ag_phase"] = url_phase
st.session_state.setdefault("ag_phase", "all")
phase = st.radio(tr("phase"), PHASES, key="ag_phase", horizontal=True,
                 format_func=lambda p: agc.phase_label(p, spans, lang),
                 help=tr("phase_help", a=data_first, b=data_last))
st.query_params["phase"] = phase
st.session_state["_ag_phase_url"] = phase
if phase == "period":
    first, last = max(scope.period.start.year, data_first), min(scope.period.end.year, data_last)
else:
    first, last = spans[phase]
view = replace(scope, period=periods.Period(date(first, 1, 1), date(last, 12, 31)))
if first > last:
    with head:
        frame.header(tr("title", name=scope.name), scope, bool(by_year["has_demo"].any()))
    st.info(tr("no_years", p=frame.period_label(scope.period, lang), a=data_first, b=data_last))
    st.stop()
years_label = frame.period_label(view.period, lang)

summary = queries.run("antigang_summary", region=scope.region, first_year=first, last_year=last)
published = queries.run("anti_gang_published", region=scope.region, first_year=first, last_year=last)
population = queries.run("region_population", region=scope.region)["population"][0]
catalog = {r["code"]: r for r in queries.run("meta_indicators").iter_rows(named=True)}
has_demo = bool(summary["has_demo"].any())

with head:
    frame.header(tr("title", name=scope.name), view, has_demo)
st.caption(tr("phase_rule"))

# --- 1. tallies ----------------------------------------------------------------------------------------------
values = {r["indicator"]: r for r in summary.iter_rows(named=True)}
pubs = {r["indicator"]: r for r in published.iter_rows(named=True)}


def per_100k(v):
    return None if v is None or not population else 1e5 * v / population


def counter_help(code: str, value) -> str:
    unit = catalog[code]["unit"]
    parts = [f"**{catalog[code]['name_zh' if zh else 'name_en']}**",
             tr("help_def", d=catalog[code]["definition_zh"]),
             tr("help_rate", v=agc.rate_text(per_100k(value), unit, lang), p=f"{population:,}")]
    pub = pubs.get(code)
    if pub is None:
        parts.append(tr("help_nopub"))
    else:
        period = frame.period_label(periods.Period(pub["period_start"], pub["period_end"]), lang)
        parts.append(tr("help_pub", v=agc.published_text(pub, lang), r=pub["region_name"], period=period))
        parts.append(tr("help_quote", q=pub["quote"]))
        if pub["matches"] is not None:
            parts.append(tr("help_match", w=agc.value_text(pub["warehouse_value"], unit, lang),
                            m=tr("match_yes" if pub["matches"] else "match_no")))
    return "\n\n".join(parts)


counters = st.container(key="ag_counters")
counters.html(agc.counter_css(lang))
for group, codes in agc.COUNTER_GROUPS:
    counters.markdown(f"**{tr(group)}**")
    cols = counters.columns(5)
    for col, code in zip(cols, codes):
        row = values.get(code)
        value = row["value"] if row else 0
        pub = pubs.get(code)
        delta = None
        if pub is not None:
            delta = tr("pub_delta", v=agc.published_text(pub, lang),
                       mark="✓" if pub["matches"] else ("✗" if pub["matches"] is not None else ""))
        col.metric(catalog[code]["name_zh" if zh else "name_en"], agc.value_text(value, catalog[code]["unit"], lang),
                   delta=delta, delta_color="off", delta_arrow="off", help=counter_help(code, value), border=True)
st.caption(tr("hover_hint"))
if published.height == 0 and scope.region:
    elsewhere = [p for p in ("special", "routine", "all") if p != phase and spans.get(p)
                 and queries.run("anti_gang_published", region=scope.region, first_year=spans[p][0],
                                 last_year=spans[p][1]).height]
    if elsewhere:
        st.caption(tr("pub_elsewhere", phases="、".join(agc.phase_label(p, spans, lang) for p in elsewhere)))

tallies = (
    summary.join(published.select("indicator", "published_value", "qualifier", "matches", "quote"),
                 on="indicator", how="left")
    .with_columns((pl.col("value") * 1e5 / population if population else pl.lit(None)).alias("per_100k"),
                  pl.col("name_zh" if zh else "name_en").alias("name"),
                  pl.col("matches").replace_strict({True: tr("check_yes"), False: tr("check_no")}, default="—",
                                                   return_dtype=pl.String).alias("check"))
    .with_columns(pl.col("qualifier").replace("exact", ""))
    .select("name", "unit", "value", "per_100k", "published_value", "qualifier", "check", "quote", "indicator")
)
tallies = agc.yuan_rows_in_wan(tallies, ["value", "per_100k", "published_value"], lang)
# Tables sit in expanders that are filled only when opened: their Excel exports cost more than the page's queries.
box = st.expander(tr("table_tallies"), key="ag_box_tallies", on_change="rerun")
if box.open:
    with box:
        tally_cols = {
            "indicator": st.column_config.TextColumn("指标代码" if zh else "Code"),
            "name": st.column_config.TextColumn("指标" if zh else "Indicator"),
            "unit": st.column_config.TextColumn("单位" if zh else "Unit"),
            "value": st.column_config.NumberColumn(f"{years_label}合计(按单位)" if zh else f"Total {years_label} (unit)",
                                                   format="localized"),
            "per_100k": st.column_config.NumberColumn("每10万人(按单位)" if zh else "Per 100k residents (unit)",
                                                      format="%.2f"),
            "published_value": st.column_config.NumberColumn("公开数字(按单位)" if zh else "Published (unit)",
                                                             format="localized"),
            "qualifier": st.column_config.TextColumn("限定" if zh else "Qualifier"),
            "check": st.column_config.TextColumn("核对" if zh else "Check"),
            "quote": st.column_config.TextColumn("原文" if zh else "Quote", width="large"),
        }
        st.dataframe(tallies, hide_index=True, width="stretch", column_config=tally_cols)
        st.caption(f"每10万人按2020年第七次全国人口普查常住人口 {population:,} 人计;资产单位为万元。" if zh else
                   f"Per 100k uses the 2020 census resident population of {population:,}; assets in 10k yuan.")
        frame.downloads(tallies, f"扫黑除恶战果_{scope.region or '全部'}_{first}-{last}", lang, key="ag_tallies")

# --- 2. by year and phase --------------------------------------------------------------------------------------
st.subheader(tr("sec_year"))
st.plotly_chart(agc.by_year_gangs(by_year, spans, (first, last), lang), width="stretch", key="ag_year_gangs")
ind_codes = sorted(by_year["indicator"].unique().to_list())
name_of = {c: catalog[c]["name_zh" if zh else "name_en"] for c in ind_codes}
year_ind = st.selectbox(tr("pick_indicator"), ind_codes, index=ind_codes.index("ag_criminal_cases"),
                        format_func=name_of.get, key="ag_year_indicator")
st.plotly_chart(agc.by_year_indicator(by_year, year_ind, spans, (first, last), lang), width="stretch",
                key="ag_year_one")

money_div, money_unit = agc.money_scale(1e4, lang)  # the by-year table states assets in 万元
wide = (
    by_year.with_columns(pl.when(pl.col("unit") == "元").then(pl.col("value") / money_div)
                         .otherwise(pl.col("value")).alias("shown"),
                         (pl.col("name_zh" if zh else "name_en") + "(" +
                          pl.when(pl.col("unit") == "元").then(pl.lit(money_unit))
                          .otherwise(pl.col("unit").replace_strict(agc.UNIT_EN, default=pl.col("unit"))
                                     if not zh else pl.col("unit")) + ")").alias("column"),
                         pl.col("phase").replace_strict({p: agc.tr(p, lang) for p in ("special", "routine")},
                                                        default=pl.col("phase")).alias("phase_name"))
    .pivot(on="column", index=["year", "phase_name"], values="shown", aggregate_function="sum")
    .sort("year")
)
box = st.expander(tr("year_table"), key="ag_box_years", on_change="rerun")
if box.open:
    with box:
        st.dataframe(wide, hide_index=True, width="stretch", column_config={
            "year": st.column_config.NumberColumn(tr("year"), format="%d"),
            "phase_name": st.column_config.TextColumn(tr("phase")),
            **{c: st.column_config.NumberColumn(c, format="%.2f" if money_unit in c else "localized")
               for c in wide.columns if c not in ("year", "phase_name")},
        })
        frame.downloads(wide, f"扫黑除恶逐年_{scope.region or '全部'}", lang, key="ag_years")

# --- 3. fair comparison ------------------------------------------------------------------------------------------
st.subheader(tr("sec_compare"))
PARENT_LEVEL = {"province": "", "prefecture": scope.province, "county": scope.prefecture}
_acct = auth.current_account()
_peers_visible = scope.level != "all" and (_acct is None or not _acct.region
                                           or queries.within(PARENT_LEVEL[scope.level], _acct.region))
modes = ([] if scope.child_level is None else ["children"]) + (["peers"] if _peers_visible else [])
c1, c2 = st.columns([1, 2])
mode = c1.radio(tr("compare_with"), modes, key="ag_compare", horizontal=True, format_func=tr)
if mode == "children":
    parent, child_level = scope.region, scope.child_level
else:
    parent, child_level = PARENT_LEVEL[scope.level], scope.level
rank = queries.run("anti_gang_ranking", parent_region=parent, child_level=child_level, first_year=first, last_year=last)
rank_codes = sorted(rank["indicator"].unique().to_list())
if rank.height == 0:
    st.info(tr("no_children"))
else:
    rank_ind = c2.selectbox(tr("pick_indicator"), rank_codes, format_func=name_of.get, key="ag_rank_indicator",
                            index=rank_codes.index("ag_gang_total"))
    st.plotly_chart(agc.ranking_bars(rank, rank_ind, scope.region, lang), width="stretch", key="ag_rank_chart")
    st.caption(tr("pop_note", years=years_label) + (tr("pop_note_self") if mode == "peers" else ""))
    unit = catalog[rank_ind]["unit"]
    div, ulab = (1e4, "万元" if zh else "10k yuan") if unit == "元" else (1.0, agc.unit_label(unit, lang))
    rank_table = (
        rank.filter(pl.col("indicator") == rank_ind)
        .with_columns((pl.col("per_100k") / div).alias("per_100k"), (pl.col("value") / div).alias("value"))
        .select("rank_per_100k", "code", "short_name", "per_100k", "value", "rank_value", "population")
        .sort("rank_per_100k", "code")
    )
    box = st.expander(tr("rank_table"), key="ag_box_rank", on_change="rerun")
    if box.open:
        with box:
            st.dataframe(rank_table, hide_index=True, width="stretch", column_config={
                "rank_per_100k": st.column_config.NumberColumn("每10万人名次" if zh else "Rank per 100k", format="%d"),
                "code": st.column_config.TextColumn("代码" if zh else "Code"),
                "short_name": st.column_config.TextColumn("地区" if zh else "Region"),
                "per_100k": st.column_config.NumberColumn(f"每10万人({ulab})" if zh else f"Per 100k ({ulab})",
                                                          format="%.2f"),
                "value": st.column_config.NumberColumn(f"{years_label}合计({ulab})" if zh else f"Total ({ulab})",
                                                       format="%.2f" if unit == "元" else "localized"),
                "rank_value": st.column_config.NumberColumn("总量名次" if zh else "Rank by total", format="%d"),
                "population": st.column_config.NumberColumn("常住人口(人,2020年普查)" if zh
                                                            else "Residents (2020 census)", format="localized"),
            })
            frame.downloads(rank_table, f"扫黑除恶每10万人排名_{rank_ind}_{parent or '全国'}_{first}-{last}", lang,
                            key="ag_rank")
    st.markdown(f"##### {tr('multiples')}")
    picks = st.multiselect(tr("multiples_pick"), rank_codes, default=agc.MULTIPLES_DEFAULT,
                           format_func=name_of.get, key="ag_multiples", max_selections=8)
    if picks:
        st.plotly_chart(agc.small_multiples(rank, picks, rank_ind, scope.region, lang), width="stretch",
                        key="ag_multiples_chart")

# --- 4. ratios ---------------------------------------------------------------------------------------------------
st.subheader(tr("sec_ratios"))
quotes = queries.run("anti_gang_ratio_quotes", region=scope.region)
st.markdown(f"##### {tr('quotes_head')}")
if quotes.height == 0:
    st.caption(tr("no_quotes"))
for q in quotes.iter_rows(named=True):
    qp = frame.period_label(periods.Period(q["period_start"], q["period_end"]), lang)
    st.markdown(f"> “{q['quote']}” —— {q['region_name']},{qp}" if zh else
                f"> “{q['quote']}” — {q['region_name']}, {qp}")
    if q["warehouse_value"] is None:
        st.warning(tr("quote_cannot", base=q["base_name_zh" if zh else "base_name_en"], a=q["need_first_year"],
                      b=q["need_last_year"], n=q["prior_years"], first=q["data_first_year"] or "—",
                      held=q["prior_years_held"], p0=q["period_start"].year, p1=q["period_end"].year,
                      pv=f"{q['period_value'] or 0:,}", unit=agc.unit_label(catalog[q["base_indicator"]]["unit"], lang)
                      if q["base_indicator"] in catalog else ""))
    else:
        st.success(tr("quote_can", w=f"{q['warehouse_value']:.2f}", v=f"{q['published_value']:g}"))
if quotes.height:
    box = st.expander(tr("quote_table"), key="ag_box_quotes", on_change="rerun")
    if box.open:
        with box:
            quote_table = quotes.select(
                "quote", "region_name", "period_start", "period_end", "published_value", "warehouse_value",
                pl.col("base_name_zh" if zh else "base_name_en").alias("base_name"), "prior_years",
                "need_first_year", "need_last_year", "data_first_year", "data_last_year", "prior_years_held",
                "period_value", "figure_id", "indicator")
            st.dataframe(quote_table, hide_index=True, width="stretch", column_config={
                "quote": st.column_config.TextColumn("原文" if zh else "Quote", width="medium"),
                "region_name": st.column_config.TextColumn("地区" if zh else "Region"),
                "period_start": st.column_config.DateColumn("期间起" if zh else "From", format="YYYY-MM-DD"),
                "period_end": st.column_config.DateColumn("期间止" if zh else "To", format="YYYY-MM-DD"),
                "published_value": st.column_config.NumberColumn("文件比值(倍)" if zh else "Stated (×)", format="%.2f"),
                "warehouse_value": st.column_config.NumberColumn("仓库比值(倍)" if zh else "Warehouse (×)",
                                                                 format="%.2f"),
                "base_name": st.column_config.TextColumn("比较的指标" if zh else "Indicator compared"),
                **{c: st.column_config.NumberColumn(tr(f"q_{c}"), format="%d") for c in
                   ("prior_years", "need_first_year", "need_last_year", "data_first_year", "data_last_year",
                    "prior_years_held", "period_value")},
                "figure_id": st.column_config.TextColumn("编号" if zh else "ID"),
                "indicator": st.column_config.TextColumn("指标代码" if zh else "Code"),
            })
            frame.downloads(quote_table, f"扫黑除恶文件比值_{scope.region or '全部'}", lang, key="ag_quotes")

phase_cmp = queries.run("anti_gang_phase_compare", region=scope.region)
st.markdown(f"##### {tr('phase_ratio_head')}")
if phase_cmp.height:
    st.plotly_chart(agc.phase_ratio_bars(phase_cmp, lang), width="stretch", key="ag_phase_ratio")
    phase_table = agc.yuan_rows_in_wan(phase_cmp.select(
        pl.col("name_zh" if zh else "name_en").alias("name"), "unit", "special_total", "special_yearly_avg",
        "routine_total", "routine_yearly_avg", (pl.col("routine_vs_special") * 100).alias("routine_vs_special_pct"),
        "indicator"), ["special_total", "special_yearly_avg", "routine_total", "routine_yearly_avg"], lang)
    sa, sb = spans["special"]
    ra, rb = spans["routine"]
    box = st.expander(tr("phase_table"), key="ag_box_phase", on_change="rerun")
    if box.open:
        with box:
            st.dataframe(phase_table, hide_index=True, width="stretch", column_config={
                "indicator": st.column_config.TextColumn("指标代码" if zh else "Code"),
                "name": st.column_config.TextColumn("指标" if zh else "Indicator"),
                "unit": st.column_config.TextColumn("单位" if zh else "Unit"),
                "special_total": st.column_config.NumberColumn(
                    f"专项斗争{sa}—{sb}年合计(按单位)" if zh else f"Special {sa}–{sb} total (unit)", format="localized"),
                "special_yearly_avg": st.column_config.NumberColumn("专项斗争年均(按单位)" if zh
                                                                    else "Special yearly average", format="%.1f"),
                "routine_total": st.column_config.NumberColumn(
                    f"常态化{ra}—{rb}年合计(按单位)" if zh else f"Routine {ra}–{rb} total (unit)", format="localized"),
                "routine_yearly_avg": st.column_config.NumberColumn("常态化年均(按单位)" if zh
                                                                    else "Routine yearly average", format="%.1f"),
                "routine_vs_special_pct": st.column_config.NumberColumn("常态化年均 ÷ 专项斗争年均(%)" if zh
                                                                        else "Routine ÷ special (%)", format="%.1f"),
            })
            frame.downloads(phase_table, f"扫黑除恶阶段对比_{scope.region or '全部'}", lang, key="ag_phase")

ratios = queries.run("anti_gang_ratios", region=scope.region, first_year=first, last_year=last)
st.markdown(f"##### {tr('ratios_head')}({years_label})" if zh else f"##### {tr('ratios_head')} ({years_label})")
ratio_cols = st.container(key="ag_counters_ratios").columns(4)
for i, r in enumerate(ratios.iter_rows(named=True)):
    shown = agc.ratio_text(r["ratio_value"], r["unit_zh" if zh else "unit_en"])
    ratio_cols[i % 4].metric(r["name_zh" if zh else "name_en"], shown, help=tr(
        "ratio_help", num=r["numerator_name_zh" if zh else "numerator_name_en"],
        nv=agc.value_text(r["numerator_value"], catalog[r["numerator"]]["unit"], lang),
        den=r["denominator_name_zh" if zh else "denominator_name_en"],
        dv=agc.value_text(r["denominator_value"], catalog[r["denominator"]]["unit"], lang), years=years_label))
box = st.expander(tr("ratio_table"), key="ag_box_ratios", on_change="rerun")
if box.open:
    with box:
        ratio_table = ratios.select(
            pl.col("name_zh" if zh else "name_en").alias("name"), "ratio_value",
            pl.col("unit_zh" if zh else "unit_en").alias("unit"),
            pl.col("numerator_name_zh" if zh else "numerator_name_en").alias("numerator_name"), "numerator_value",
            pl.col("denominator_name_zh" if zh else "denominator_name_en").alias("denominator_name"),
            "denominator_value", "ratio")
        st.dataframe(ratio_table, hide_index=True, width="stretch", column_config={
            "name": st.column_config.TextColumn("比值" if zh else "Ratio", width="large"),
            "ratio_value": st.column_config.NumberColumn("数值" if zh else "Value", format="%.2f"),
            "unit": st.column_config.TextColumn("单位" if zh else "Unit"),
            "numerator_name": st.column_config.TextColumn("分子" if zh else "Numerator", width="medium"),
            "numerator_value": st.column_config.NumberColumn(
                "分子合计(资产为元)" if zh else "Numerator total (assets in yuan)", format="localized"),
            "denominator_name": st.column_config.TextColumn("分母" if zh else "Denominator", width="medium"),
            "denominator_value": st.column_config.NumberColumn("分母合计" if zh else "Denominator total",
                                                               format="localized"),
            "ratio": st.column_config.TextColumn("比值代码" if zh else "Code"),
        })
        frame.downloads(ratio_table, f"扫黑除恶比值_{scope.region or '全部'}_{first}-{last}", lang, key="ag_ratios")
