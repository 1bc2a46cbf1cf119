"""安全感与满意度: survey indices of a place and its sub-regions with 95% intervals, ranks, change and streaks.

URL: `ind` (the ranked index), `x_ind` / `y_ind` (scatter). Everything shown comes from
pingan/views/satisfaction.py; this file lays it out.
"""
import streamlit as st

from pingan import frame, ui
from pingan.views import satisfaction as view

tr = ui.texts(view.TEXT)
scope = frame.scope_filter()
v = view.build(scope)
codes = list(v.codes)

frame.header(v.title, scope, v.has_demo)
st.caption(v.method)
if v.no_data:
    st.info(v.no_data)
    st.stop()

# Headline: the scope's own indices, each with its interval, change, streak and the published figure.
per_row = 3
for start in range(0, len(v.headline), per_row):
    for col, h in zip(st.columns(per_row), v.headline[start:start + per_row]):
        with col:
            st.metric(h.label, h.value, delta=h.delta, help=h.help)
            st.caption(h.lines)
            for line in (h.published, h.claim):
                if line:
                    st.caption(line)

st.subheader(v.compare_head)
ui.url_choice("ind", "sat_ind", codes, codes[0])
ind = st.segmented_control(tr("index"), codes, key="sat_ind", format_func=v.names.get,
                           selection_mode="single") or codes[0]
ui.url_write("ind", ind, codes[0])
rank = view.ranking(v, ind)
if rank.empty:
    st.info(rank.empty)
else:
    st.plotly_chart(rank.chart, width="stretch", key="sat_rank_chart")
    st.caption(rank.note)

# Change: the scope's own line with its band, the sub-regions behind it, streak in the title.
st.subheader(tr("trend"))
names = list(view.trend(v, ind).names)
st.session_state["sat_highlight"] = [n for n in st.session_state.get("sat_highlight", []) if n in names]
pick = st.multiselect(tr("highlight"), names, key="sat_highlight", placeholder=tr("highlight_hint"))
line = view.trend(v, ind, pick)
if line.chart is not None:
    st.plotly_chart(line.chart, width="stretch", key="sat_trend_chart")
    st.caption(line.note)

# Two indices at once across the sub-regions.
st.subheader(tr("scatter"))
defaults = view.scatter_defaults(codes)
for key in ("x_ind", "y_ind"):
    ui.url_choice(key, f"sat_{key}", codes, defaults[key])
c1, c2 = st.columns(2)
x_ind = c1.selectbox(tr("x_ind"), codes, key="sat_x_ind", format_func=v.names.get)
y_ind = c2.selectbox(tr("y_ind"), codes, key="sat_y_ind", format_func=v.names.get)
ui.url_write("x_ind", x_ind, defaults["x_ind"])
ui.url_write("y_ind", y_ind, defaults["y_ind"])
pair = view.scatter(v, x_ind, y_ind)
if pair.message:
    st.info(pair.message)
elif pair.chart is not None:
    st.plotly_chart(pair.chart, width="stretch", key="sat_scatter_chart")
    st.caption(pair.note)

# Everything shown, as a sortable, exportable table.
st.subheader(tr("table"))
if v.table_all.height:
    show_all = st.toggle(tr("all_rows"), key="sat_all_rows")
    tab = view.table(v, ind, show_all)
    config = {name: st.column_config.NumberColumn(format=f) for name, f in tab.formats.items()}
    # the code goes into the export, not onto the screen, to keep the table within the page's width
    st.dataframe(tab.frame, hide_index=True, width="stretch", column_config=config,
                 column_order=[c for c in tab.frame.columns if c != tab.hidden],
                 height=min(38 + 35 * tab.frame.height, 640))  # every sub-region in view without scrolling
    st.caption(tab.note)
    frame.downloads(tab.frame, tab.basename, scope.lang, key="sat_table")
