"""大屏: the command-centre wall. Dark, full screen, no scrolling; refreshes and rotates by itself.

URL: /screen?region=530000&theme=disputes&rotate=60&refresh=30&backlog=50
  region   scope (six-digit code; absent = everything in scope)
  theme    overall | disputes | anti_gang | satisfaction (absent: rotate through all four)
  rotate   seconds per theme (default 60); refresh: seconds between data refreshes (default 30)
  backlog  alert when a sub-region has more cases open beyond the backlog threshold (rules.BACKLOG_OVER_DAYS) than this (default 50)
The layout is drawn for 1920×1080 CSS pixels and doubled by CSS on walls 3000 pixels wide or more (4K).
"""
from __future__ import annotations

import html
import time

import polars as pl
import streamlit as st

from pingan import auth, frame, i18n, safe, ui
from pingan.charts import screen as charts
from pingan.views import screen as view

CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"], footer,
[data-testid="stSidebarNav"] { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1220 !important; color: #e6edf7; overflow: hidden !important; }
[data-testid="stMainBlockContainer"] { padding: 12px 20px 0 20px !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 8px !important; }
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
@media (min-width: 3000px) { [data-testid="stAppViewContainer"] { zoom: 2; } }
.wall-top { display:flex; align-items:baseline; justify-content:space-between; height:52px; }
.wall-title { font-size:34px; font-weight:700; letter-spacing:2px; color:#e6edf7; }
.wall-theme { font-size:24px; color:#4fc3f7; margin-left:24px; }
.wall-meta { font-size:20px; color:#8da2c0; }
.wall-ok { color:#5ec962; } .wall-stale { color:#ffb74d; }
.kpis { display:grid; grid-template-columns: repeat(4, 1fr); gap:14px; }
.kpi { background:#121c30; border:1px solid #1f2d4a; border-radius:10px; padding:10px 18px; height:118px; }
.kpi.focus { border-color:#4fc3f7; box-shadow: 0 0 0 1px #4fc3f7 inset; }
.kpi h4 { margin:0; font-size:20px; color:#8da2c0; font-weight:600; }
.kpi .big { font-size:44px; font-weight:700; color:#ffffff; line-height:1.15; }
.kpi .sub { font-size:18px; color:#c5d3e8; }
.up { color:#5ec962; } .down { color:#ff7043; }
.panel-title { font-size:20px; color:#e6edf7; font-weight:600; margin:0 0 4px 2px; }
.alerts { background:#121c30; border:1px solid #1f2d4a; border-radius:10px; padding:8px 14px; height:238px;
  overflow:hidden; }
.alert { font-size:17px; line-height:1.55; color:#e6edf7; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.alert b { color:#ff7043; } .alert i { color:#ffd54f; font-style:normal; }
.legend-wall { height:26px; overflow:hidden; }
</style>
"""

# The clock ticks in the browser: a server rerun every second would cost CPU all day.
CLOCK = """
<script>
(function(){
  const days = '日一二三四五六';
  function tick(){ const el = document.getElementById('wall-clock'); if (!el) return;
    const d = new Date(); const p = n => String(n).padStart(2,'0');
    el.textContent = d.getFullYear()+'年'+(d.getMonth()+1)+'月'+d.getDate()+'日 星期'+days[d.getDay()]+' '
      +p(d.getHours())+':'+p(d.getMinutes())+':'+p(d.getSeconds()); }
  if (!window.__wallClock) { window.__wallClock = setInterval(tick, 1000); }
  tick();
})();
</script>
"""


PAGE_TEXT = i18n.Texts({
    "updated": ("● 已更新 {at:%H:%M:%S}", "● Updated {at:%H:%M:%S}"),
    "stale": ("● 更新失败,显示 {at:%H:%M:%S} 的数据", "● Update failed, showing the data of {at:%H:%M:%S}"),
    "unavailable": ("数据暂不可用,稍后自动重试", "Data unavailable, retrying shortly"),
    "panel_failed": ("部分面板暂不可用,稍后自动重试", "Some panels are unavailable, retrying shortly"),
    "no_children": ("本级无下级地区", "No sub-regions at this level"),
    "alerts": ("预警({n})", "Alerts ({n})"),
})
tr = ui.texts(PAGE_TEXT)
CHART = {"displayModeBar": False, "staticPlot": True}
TONE = {"": "", "stale": ' style="color:#ffb74d"', "ok": ' style="color:#5ec962"'}


def _regions() -> pl.DataFrame:
    try:
        regs = frame.regions()
        st.session_state["wall_regions"] = regs
    except Exception:  # the warehouse is briefly unavailable: keep what we knew
        regs = st.session_state.get("wall_regions", pl.DataFrame(schema={"code": pl.Utf8}))
    return regs


def _change_html(c: view.Change | None) -> str:
    if c is None:
        return ""
    if c.good is None:
        return html.escape(c.text)
    return f'<span class="{"up" if c.good else "down"}">{"▲" if c.up else "▼"} {c.text}</span>'


def _tiles_html(wall: view.Wall, theme: str) -> str:
    return '<div class="kpis">' + "".join(
        f'<div class="kpi{" focus" if t.theme == theme else ""}"><h4>{html.escape(t.title)}</h4>'
        f'<div class="big">{t.value}</div><div class="sub">{t.detail}{_change_html(t.change)}</div></div>'
        for t in wall.tiles) + "</div>"


def _alert_html(a: view.Alert) -> str:
    return f'<b>{a.tag}</b> {html.escape(a.place)} {a.what} <i>{a.value}</i>{a.note}'


def _draw(wall: view.Wall, place: view.Place, regions: pl.DataFrame, theme: str, status: str) -> None:
    lang = wall.lang
    tv = view.theme_view(wall, theme)
    badge = f' · <span style="color:#ffb74d">{i18n.t("demo_badge", lang)}</span>' if wall.has_demo else ""
    st.html(f'<div class="wall-top"><div><span class="wall-title">{i18n.t("app_title", lang)} · '
            f'{html.escape(view.place_name(place, lang))}</span><span class="wall-theme">{tv.title}</span>'
            + (f'<span class="wall-meta wall-stale" style="margin-left:24px">{html.escape(place.notice)}</span>'
               if place.notice else "") + '</div>'
            f'<div class="wall-meta"><span id="wall-clock"></span> · {view.as_of_text(wall.as_of, lang)}{badge}'
            f' · {status}</div></div>')
    st.html(_tiles_html(wall, theme))
    left, mid, right = st.columns([0.9, 1.45, 0.95])
    with left:
        if wall.subs is not None and wall.subs.height:
            fig = charts.ranking(wall.subs, tv.metric.column, "short_name", tv.ranking_title, 560, tv.target,
                                 tv.number_format, higher_is_better=tv.metric.higher_is_better)
            st.plotly_chart(fig, width="stretch", config=CHART, key="wall_rank")
        else:
            st.html(f'<div class="panel-title">{tr("no_children")}</div>')
    with mid:
        values, tips, cuts = view.map_values(wall, tv) if wall.child else ({}, {}, [])
        deck, legend = charts.wall_map(wall.child, place.row, regions, values, tips, cuts, tv.label,
                                       tv.metric.digits)
        st.pydeck_chart(deck, height=530, key="wall_map")
        if legend:
            st.html(f'<div class="legend-wall">{legend}</div>')
    with right:
        st.plotly_chart(charts.funnel(list(wall.funnel), wall.funnel_title, 312,
                                      lambda v: view.count(v, "u_cases", lang)),
                        width="stretch", config=CHART, key="wall_funnel")
        text, tone = wall.no_alert
        body = "".join(f'<div class="alert">{_alert_html(a)}</div>' for a in wall.alerts[:7]) \
            or f'<div class="alert"{TONE[tone]}>{text}</div>'
        st.html(f'<div class="alerts"><div class="panel-title">{tr("alerts", n=len(wall.alerts))}</div>{body}</div>')
    st.plotly_chart(charts.trend(wall.trend, wall.trend_title, 262, wall.trend_names),
                    width="stretch", config=CHART, key="wall_trend")


# The wall has no widgets: its options are read from the link as it stands at each run (ui.url_choice copies a
# link into widget state and takes a list of options, which fits neither integers nor a page without widgets).
opt = view.options(dict(st.query_params))
regions = _regions()
place = view.place(st.query_params.get("region", ""), regions,
                   getattr(auth.current_account(), "region", ""),  # a scoped account or wall token: its region
                   ui.lang())
st.html(CSS)
st.html(CLOCK, unsafe_allow_javascript=True)
if place.notice:
    st.toast(safe.md(place.notice))


@st.fragment(run_every=min(opt["refresh"], opt["rotate"]))
def wall() -> None:
    # A fragment rerun does not run app.py: re-check the account or token here, and on refusal show no figure
    # (not even the last good ones).
    try:
        auth.check_session(st.session_state, touch=False)
    except auth.SessionEnded as exc:
        st.session_state.pop("wall_last", None)
        st.html(f'<div class="wall-title" style="margin-top:30vh;text-align:center">{html.escape(str(exc))}</div>')
        return
    theme = view.rotating_theme(opt["theme"], opt["rotate"], time.time())
    try:
        data = view.build(place.region, place.level, opt["backlog"], ui.lang())
        st.session_state["wall_last"] = data
        status = f'<span class="wall-ok">{tr("updated", at=data.loaded_at)}</span>'
    except Exception:  # never a traceback on the wall: keep the last good figures
        data = st.session_state.get("wall_last")
        if data is None:
            st.html(f'<div class="wall-title" style="margin-top:30vh;text-align:center">{tr("unavailable")}</div>')
            return
        status = f'<span class="wall-stale">{tr("stale", at=data.loaded_at)}</span>'
    try:
        _draw(data, place, regions, theme, status)
    except Exception:
        st.html(f'<div class="wall-meta">{tr("panel_failed")}</div>')


wall()
