"""矛盾纠纷化解: the funnel against a second period or region, success against target, composition, time, backlog.

Page parameters kept in the URL besides the shared scope: `category` (a dispute category code) and `cmp`
(`previous`, `year_ago` or the six-digit code of a sibling region). Everything shown comes from
pingan/views/disputes.py; this file lays it out.
"""
import streamlit as st

from pingan import auth, frame, ui
from pingan.charts import disputes as charts
from pingan.i18n import t
from pingan.views import disputes as view

tr = ui.texts(view.TEXT)
scope = frame.scope_filter()
lang = scope.lang
account = auth.current_account()
account_region = account.region if account is not None and account.region else ""


def number(key: str, fmt_: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(tr(key), format=fmt_)


def text(key: str) -> st.column_config.TextColumn:
    return st.column_config.TextColumn(tr(key))


def date_col(key: str, fmt_: str = "YYYY-MM-DD") -> st.column_config.DateColumn:
    return st.column_config.DateColumn(tr(key), format=fmt_)


# Every table's columns, by column name: the same name means the same thing (and unit) everywhere on the page.
COLUMNS = {
    **{k: number(k, "localized") for k in view.STAGES},
    "success_rate_pct": number("rate", "%.2f"), "share_pct": number("share", "%.1f"),
    "ya_identified": number("ya", "localized"), "yoy_pct": number("yoy", "%+.1f"),
    "median_days": number("median_days", "%.1f"), "p90_days": number("p90_days", "%.1f"),
    "case_year": number("year", "%d"), "region_name": text("region"), "short_name": text("region"),
    "period": text("period"), "stage": text("stage"), "this": number("this", "localized"),
    "this_conv": number("this_conv", "%.2f"), "other_conv": number("other_conv", "%.2f"),
    "change": number("change", "%+.1f"), "published_text": text("published_pct"),
    "rate_over_identified_pct": number("over_identified", "%.2f"),
    "lowest_year_rate_pct": number("lowest_year", "%.2f"),
    "rate_over_accepted_pct": number("over_accepted", "%.2f"),
    "prev_success_rate_pct": number("rate_prev", "%.2f"), "change_pp": number("change_pp", "%+.2f"),
    "target_pct": number("target_pct", "%g"), "below_target": st.column_config.CheckboxColumn(tr("below")),
    "month_start": date_col("month", "YYYY-MM"),
    "county_name": text("county"), "prefecture_name": text("prefecture"), "open_cases": number("open_col", "localized"),
    "oldest_days": number("oldest_days", "%d"), "case_id": number("case_id", "%d"), "grid_id": number("grid_id", "%d"),
    "identified_date": date_col("identified_date"), "accepted_date": date_col("accepted_date"),
    "mediated_date": date_col("mediated_date"), "age_days": number("age_days", "%d"),
    **{f"{k}_{lang}": text(key) for k, key in (("category", "cat_col"), ("channel", "chan_col"))},
}


def table(tab: view.Table, height: int | str = "auto", where=st, **columns) -> None:
    """A sortable table (in `where`) with the page's column names and units; its CSV/Excel downloads below."""
    where.dataframe(tab.frame, hide_index=True, width="stretch", height=height,
                    column_config={**COLUMNS, **columns}, key=f"{tab.key}_table")
    frame.downloads(tab.frame if tab.export is None else tab.export, tab.basename, lang, key=tab.key)


def metric(where, m: view.Metric) -> None:
    where.metric(m.label, m.value, delta=m.delta, help=m.help)


# ---- page filters (sidebar, under the shared scope), kept in the link --------------------------------------------
with st.spinner(tr("loading")):
    opts = view.options(scope, account_region)
ui.url_choice("category", "disputes_category", list(opts.categories), "")
ui.url_choice("cmp", "disputes_cmp", list(opts.compare), view.COMPARE_DEFAULT)
with st.sidebar:
    st.markdown(f"**{tr('filters')}**")
    category = st.selectbox(tr("category"), list(opts.categories), key="disputes_category",
                            format_func=opts.categories.get)
    cmp = st.selectbox(tr("compare"), list(opts.compare), key="disputes_cmp", format_func=opts.compare.get)
ui.url_write("category", category, "")
ui.url_write("cmp", cmp, view.COMPARE_DEFAULT)

with st.spinner(tr("loading")):
    v = view.build(scope, category, cmp, account_region)
frame.header(v.title, scope, v.has_demo)
if v.empty:
    st.info(t("no_data", lang))
    st.stop()
if v.only_category:
    st.caption(v.only_category)

# ---- headline: the five stages and the success rate, against the previous period ---------------------------------
for col, m in zip(st.columns([1, 1, 1, 1, 1, 1.3]), v.metrics):
    metric(col, m)
for note in v.notes:
    st.caption(note)
if v.formula:
    st.markdown(v.formula)
if v.still_open:
    st.caption(v.still_open)

# ---- published figures for exactly this place and period -----------------------------------------------------------
if v.published_here is not None:
    with st.container(border=True):
        st.markdown(f"**{tr('published')}**")
        st.dataframe(v.published_here, hide_index=True, width="stretch", column_config={
            "indicator_name": text("indicator"), "published_text": text("published_col"),
            "warehouse_text": text("warehouse_col"), "check": text("check"),
            "quote": st.column_config.TextColumn(tr("quote"), width="large")})
        st.caption(tr("published_note"))

# ---- definitions ---------------------------------------------------------------------------------------------------
with st.expander(tr("definitions")):
    st.markdown(f"**{tr('catalog_def')}**")
    st.markdown(v.definitions)
    if v.catalog_mismatch:
        st.warning(v.catalog_mismatch, icon="⚠️")
    if v.evidence is not None:
        st.markdown(f"**{tr('evidence')}**")
        st.caption(tr("evidence_note"))
        table(v.evidence)

# ---- ① funnel, side by side with the comparison ---------------------------------------------------------------------
st.subheader(tr("s_funnel"))
c1, c2 = st.columns(2)
c1.plotly_chart(v.funnel, key="funnel_main", width="stretch")
if v.funnel_other is not None:
    c2.plotly_chart(v.funnel_other, key="funnel_other", width="stretch")
else:
    c2.info(v.no_compare)
table(v.stages, other=st.column_config.NumberColumn(v.other_label, format="localized"))

if v.years is not None:
    st.markdown(f"**{tr('by_year')}**")
    y1, y2 = st.columns(2)
    y1.plotly_chart(v.years_chart, key="years_chart", width="stretch")
    table(v.years, where=y2)

# ---- ② success by sub-region against the target ---------------------------------------------------------------------
st.subheader(tr("s_target"))
if v.siblings_note:
    st.caption(v.siblings_note)
if v.rank is None:
    st.info(t("no_data", lang))
else:
    st.plotly_chart(v.rank_chart, key="rank_chart", width="stretch")
    table(v.rank)

# ---- ③ composition: categories, channels, monthly trend -------------------------------------------------------------
st.subheader(tr("s_mix"))
if v.records_demo:
    frame.demo_badge(lang)
    st.caption(v.records_demo)
c1, c2 = st.columns(2)
c1.plotly_chart(v.cat_chart, key="cat_chart", width="stretch")
if v.chan_chart is not None:
    c2.plotly_chart(v.chan_chart, key="chan_chart", width="stretch")
tab_cat, tab_chan = st.tabs([tr("cat_tab"), tr("chan_tab")])
with tab_cat:
    table(v.categories, **{v.name_col: text("cat_col")})
with tab_chan:
    table(v.channels, **{v.name_col: text("chan_col")})

if v.trend is not None:
    st.plotly_chart(v.trend_chart, key="trend_chart", width="stretch")
    with st.expander(tr("by_month")):
        table(v.trend, ya_identified=number("ya_month", "localized"))

# ---- ④ time to resolve and backlog ----------------------------------------------------------------------------------
st.subheader(tr("s_time"))
days_cols = dict(zip(("channel", "category"), st.columns(2)))
for dim, fig in v.days_charts:
    days_cols[dim].plotly_chart(fig, key=f"days_{dim}", width="stretch")
st.caption(v.days_note)

st.markdown(f"**{v.backlog_head}**")
if v.no_backlog:
    st.info(v.no_backlog)
else:
    for col, m in zip(st.columns(5), v.backlog_metrics):
        metric(col, m)
    st.plotly_chart(v.backlog_chart, key="backlog_chart", width="stretch")
    table(v.backlog, **{k: st.column_config.NumberColumn(tr("bucket_col", label=charts.label(k, lang)),
                                                         format="localized") for k in charts.AGE_BUCKETS})
    st.markdown(f"**{tr('oldest')}**")
    table(v.oldest, height=420)
