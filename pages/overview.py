"""总览: headline figures of the four domains for the scope and period, each against the previous period.

What it shows is decided in pingan/views/overview.py; this page lays it out."""
import streamlit as st

from pingan import frame, ui
from pingan.views import overview

scope = frame.scope_filter()
tr = ui.texts(overview.TEXT)
view = overview.build(scope)
frame.header(view.title, scope, view.has_demo)

for section in view.sections:
    st.subheader(section.title)
    for col, m in zip(st.columns(4), section.metrics):
        col.metric(m.label, m.shown, delta=m.delta, delta_color=m.delta_color, help=m.help)
st.caption(view.caption)

if view.below is not None:
    st.subheader(view.below_title)
    if view.below.height == 0:
        st.success(view.below_none)
    else:
        st.dataframe(
            view.below, hide_index=True, width="stretch",
            column_config={
                "name": st.column_config.TextColumn(tr("col_region")),
                "indicator_name": st.column_config.TextColumn(tr("col_indicator")),
                "value": st.column_config.NumberColumn(tr("col_value"), format="%.2f"),
                "target": st.column_config.NumberColumn(tr("col_target"), format="%.0f"),
                "gap": st.column_config.NumberColumn(tr("col_gap"), format="%+.2f"),
            })
        frame.downloads(view.below, tr("below_file"), scope.lang, key="below")
