"""扫黑除恶: campaign tallies by phase (专项斗争 / 常态化), year and region, per 10万 residents, and ratios.

The phase selector decides the years (URL `phase`); see pingan/views/anti_gang.py, which computes everything
shown: this file lays it out.
"""
import streamlit as st

from pingan import auth, frame, ui
from pingan.charts import anti_gang as agc
from pingan.views import anti_gang as view

tr = ui.texts(view.TEXT)
scope = frame.scope_filter()
lang = scope.lang
account = auth.current_account()
account_region = account.region if account is not None and account.region else ""
col = st.column_config

ph = view.phases(scope)
if ph.no_data:
    frame.header(ph.title, scope, False)
    st.info(ph.no_data)
    st.stop()

# --- phase and years ---------------------------------------------------------------------------------------
head = st.container()  # the title goes above the phase selector, but needs the years the selector gives
ui.url_choice("phase", "ag_phase", list(view.PHASES), view.PHASE_DEFAULT)
phase = st.radio(tr("phase"), view.PHASES, key="ag_phase", horizontal=True, format_func=ph.labels.get, help=ph.help)
ui.url_write("phase", phase, view.PHASE_DEFAULT)
v = view.build(scope, phase, ph)
with head:
    frame.header(v.title, v.view, v.has_demo)
if v.no_years:
    st.info(v.no_years)
    st.stop()
st.caption(v.phase_rule)


def table_box(key: str, title: str):
    """An expander filled only when opened: the tables' Excel exports cost more than the page's queries."""
    box = st.expander(title, key=key, on_change="rerun")
    return box if box.open else None


# --- 1. tallies ----------------------------------------------------------------------------------------------
counters = st.container(key="ag_counters")
counters.html(agc.counter_css(lang))
for heading, row in v.counter_groups:
    counters.markdown(f"**{heading}**")
    for c, m in zip(counters.columns(5), row):
        c.metric(m.label, m.value, delta=m.delta, delta_color="off", delta_arrow="off", help=m.help, border=True)
st.caption(v.hover_hint)
if v.pub_elsewhere:
    st.caption(v.pub_elsewhere)
if box := table_box("ag_box_tallies", tr("table_tallies")):
    with box:
        st.dataframe(v.tallies, hide_index=True, width="stretch", column_config={
            "indicator": col.TextColumn(tr("c_code")), "name": col.TextColumn(tr("c_indicator")),
            "unit": col.TextColumn(tr("c_unit")),
            "value": col.NumberColumn(tr("c_total", years=v.years_label), format="localized"),
            "per_100k": col.NumberColumn(tr("c_per_100k"), format="%.2f"),
            "published_value": col.NumberColumn(tr("c_published"), format="localized"),
            "qualifier": col.TextColumn(tr("c_qualifier")), "check": col.TextColumn(tr("c_check")),
            "quote": col.TextColumn(tr("c_quote"), width="large"),
        })
        st.caption(v.tallies_note)
        frame.downloads(v.tallies, v.files["tallies"], lang, key="ag_tallies")

# --- 2. by year and phase --------------------------------------------------------------------------------------
st.subheader(tr("sec_year"))
st.plotly_chart(v.gangs_chart, width="stretch", key="ag_year_gangs")
year_ind = st.selectbox(tr("pick_indicator"), v.year_codes, index=v.year_codes.index(view.YEAR_INDICATOR_DEFAULT),
                        format_func=v.names.get, key="ag_year_indicator")
st.plotly_chart(view.year_chart(v, year_ind, lang), width="stretch", key="ag_year_one")
if box := table_box("ag_box_years", tr("year_table")):
    with box:
        st.dataframe(v.wide, hide_index=True, width="stretch", column_config={
            "year": col.NumberColumn(tr("year"), format="%d"), "phase_name": col.TextColumn(tr("phase")),
            **{c: col.NumberColumn(c, format="%.2f" if v.money_unit in c else "localized")
               for c in v.wide.columns if c not in ("year", "phase_name")},
        })
        frame.downloads(v.wide, v.files["years"], lang, key="ag_years")

# --- 3. fair comparison ------------------------------------------------------------------------------------------
st.subheader(tr("sec_compare"))
c1, c2 = st.columns([1, 2])
mode = c1.radio(tr("compare_with"), view.modes(scope, account_region), key="ag_compare", horizontal=True,
                format_func=tr)
rank = view.ranking(scope, v, mode)
if rank.empty:
    st.info(rank.empty)
else:
    rank_ind = c2.selectbox(tr("pick_indicator"), rank.codes, format_func=v.names.get, key="ag_rank_indicator",
                            index=rank.codes.index(view.RANK_INDICATOR_DEFAULT))
    detail = view.ranking_detail(scope, v, rank, rank_ind)
    st.plotly_chart(detail.chart, width="stretch", key="ag_rank_chart")
    st.caption(detail.note)
    if box := table_box("ag_box_rank", tr("rank_table")):
        with box:
            st.dataframe(detail.table, hide_index=True, width="stretch", column_config={
                "rank_per_100k": col.NumberColumn(tr("c_rank_per_100k"), format="%d"),
                "code": col.TextColumn(tr("c_region_code")), "short_name": col.TextColumn(tr("c_region")),
                "per_100k": col.NumberColumn(tr("c_rate_unit", u=detail.unit_label), format="%.2f"),
                "value": col.NumberColumn(tr("c_total_unit", years=v.years_label, u=detail.unit_label),
                                          format="%.2f" if detail.unit == "元" else "localized"),
                "rank_value": col.NumberColumn(tr("c_rank_value"), format="%d"),
                "population": col.NumberColumn(tr("c_population"), format="localized"),
            })
            frame.downloads(detail.table, detail.basename, lang, key="ag_rank")
    st.markdown(f"##### {tr('multiples')}")
    picks = st.multiselect(tr("multiples_pick"), rank.codes, default=agc.MULTIPLES_DEFAULT,
                           format_func=v.names.get, key="ag_multiples", max_selections=8)
    if picks:
        st.plotly_chart(view.multiples(scope, rank, picks, rank_ind), width="stretch", key="ag_multiples_chart")

# --- 4. ratios ---------------------------------------------------------------------------------------------------
st.subheader(tr("sec_ratios"))
st.markdown(f"##### {tr('quotes_head')}")
if v.no_quotes:
    st.caption(v.no_quotes)
for q in v.quotes:
    st.markdown(q.markdown)
    (st.success if q.computed else st.warning)(q.message)
if v.quote_table is not None and (box := table_box("ag_box_quotes", tr("quote_table"))):
    with box:
        st.dataframe(v.quote_table, hide_index=True, width="stretch", column_config={
            "quote": col.TextColumn(tr("c_quote"), width="medium"), "region_name": col.TextColumn(tr("c_region")),
            "period_start": col.DateColumn(tr("c_from"), format="YYYY-MM-DD"),
            "period_end": col.DateColumn(tr("c_to"), format="YYYY-MM-DD"),
            "published_value": col.NumberColumn(tr("c_stated"), format="%.2f"),
            "warehouse_value": col.NumberColumn(tr("c_warehouse"), format="%.2f"),
            "base_name": col.TextColumn(tr("c_base")),
            **{c: col.NumberColumn(tr(f"q_{c}"), format="%d") for c in
               ("prior_years", "need_first_year", "need_last_year", "data_first_year", "data_last_year",
                "prior_years_held", "period_value")},
            "figure_id": col.TextColumn(tr("c_figure_id")), "indicator": col.TextColumn(tr("c_code")),
        })
        frame.downloads(v.quote_table, v.files["quotes"], lang, key="ag_quotes")

st.markdown(f"##### {tr('phase_ratio_head')}")
if v.phase_chart is not None:
    st.plotly_chart(v.phase_chart, width="stretch", key="ag_phase_ratio")
    (sa, sb), (ra, rb) = v.spans["special"], v.spans["routine"]
    if box := table_box("ag_box_phase", tr("phase_table")):
        with box:
            st.dataframe(v.phase_table, hide_index=True, width="stretch", column_config={
                "indicator": col.TextColumn(tr("c_code")), "name": col.TextColumn(tr("c_indicator")),
                "unit": col.TextColumn(tr("c_unit")),
                "special_total": col.NumberColumn(tr("c_special_total", a=sa, b=sb), format="localized"),
                "special_yearly_avg": col.NumberColumn(tr("c_special_avg"), format="%.1f"),
                "routine_total": col.NumberColumn(tr("c_routine_total", a=ra, b=rb), format="localized"),
                "routine_yearly_avg": col.NumberColumn(tr("c_routine_avg"), format="%.1f"),
                "routine_vs_special_pct": col.NumberColumn(tr("c_routine_vs_special"), format="%.1f"),
            })
            frame.downloads(v.phase_table, v.files["phase"], lang, key="ag_phase")

st.markdown(f"##### {v.ratios_title}")
ratio_cols = st.container(key="ag_counters_ratios").columns(4)
for i, m in enumerate(v.ratios):
    ratio_cols[i % 4].metric(m.label, m.value, help=m.help)
if box := table_box("ag_box_ratios", tr("ratio_table")):
    with box:
        st.dataframe(v.ratio_table, hide_index=True, width="stretch", column_config={
            "name": col.TextColumn(tr("c_ratio"), width="large"),
            "ratio_value": col.NumberColumn(tr("c_value"), format="%.2f"), "unit": col.TextColumn(tr("c_unit")),
            "numerator_name": col.TextColumn(tr("c_numerator"), width="medium"),
            "numerator_value": col.NumberColumn(tr("c_numerator_value"), format="localized"),
            "denominator_name": col.TextColumn(tr("c_denominator"), width="medium"),
            "denominator_value": col.NumberColumn(tr("c_denominator_value"), format="localized"),
            "ratio": col.TextColumn(tr("c_ratio_code")),
        })
        frame.downloads(v.ratio_table, v.files["ratios"], lang, key="ag_ratios")
