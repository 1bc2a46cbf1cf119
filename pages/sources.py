"""数据来源: every published figure with its quote, beside the warehouse's value and a match mark.

What it shows is decided in pingan/views/sources.py; this page lays it out."""
import streamlit as st

from pingan import frame, ui
from pingan.views import sources

scope = frame.scope_filter()
tr = ui.texts(sources.TEXT)

st.title(tr("title"))
st.caption(tr("intro"))

# The counts sit above the filters and count every figure of the scope, whatever the filters show: their
# columns are laid out first and filled once the view is built from the filters' values.
c = st.columns(4)
f1, f2, f3 = st.columns([2, 2, 3])
pick_articles = f1.multiselect(tr("article"), list(sources.ARTICLES), format_func=sources.ARTICLES.get,
                               key="src_articles", placeholder=tr("all_articles"))
show = f2.selectbox(tr("show"), sources.SHOW, key="src_only", format_func=lambda x: tr(f"only_{x}"))
text = f3.text_input(tr("search"), key="src_text")
view = sources.build(scope, tuple(pick_articles), show, text)

c[0].metric(tr("n_published"), f"{view.n_published}")
c[1].metric(tr("n_calibrated"), f"{view.n_calibrated}")
c[2].metric(tr("n_reproduced"), f"{view.n_reproduced} / {view.n_calibrated}")
c[3].metric(tr("n_comparable"), f"{view.n_comparable}")
st.dataframe(view.table, hide_index=True, width="stretch", height=560, column_config={
    "figure_id": st.column_config.TextColumn(tr("col_figure_id")),
    "article_name": st.column_config.TextColumn(tr("col_article_name")),
    "region_name": st.column_config.TextColumn(tr("col_region_name")),
    "indicator_name": st.column_config.TextColumn(tr("col_indicator_name")),
    "indicator": st.column_config.TextColumn(tr("col_indicator")),
    "published_value": st.column_config.NumberColumn(tr("col_published_value"), format="%g"),
    "unit": st.column_config.TextColumn(tr("col_unit")),
    "qualifier": st.column_config.TextColumn(tr("col_qualifier")),
    "period": st.column_config.TextColumn(tr("col_period")),
    "calibrated": st.column_config.CheckboxColumn(tr("col_calibrated")),
    "warehouse_value": st.column_config.NumberColumn(tr("col_warehouse_value"), format="%.2f"),
    "status": st.column_config.TextColumn(tr("col_status")),
    "quote": st.column_config.TextColumn(tr("col_quote"), width="large"),
})
st.caption(view.rows_caption)
frame.downloads(view.table, tr("file"), scope.lang, key="sources")
