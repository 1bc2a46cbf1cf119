"""大屏: the command-centre wall. Dark, full screen, no scrolling; refreshes and rotates by itself.

URL: /screen?region=530000&theme=disputes&rotate=60&refresh=30&backlog=50
  region   scope (six-digit code; absent = everything in scope)
  theme    overall | disputes | anti_gang | satisfaction (absent: rotate through all four)
  rotate   seconds per theme (default 60); refresh: seconds between data refreshes (default 30)
  backlog  alert when a sub-region has more open cases older than 90 days than this (default 50)
The layout is drawn for 1920×1080 CSS pixels and doubled by CSS on walls 3000 pixels wide or more (4K).
"""
from __future__ import annotations

import html
import time
from datetime import date, datetime

import polars as pl
import streamlit as st

from pingan import auth, fmt, frame, maps, periods, queries, rules, safe
from pingan.charts import screen as charts

THEMES = ["overall", "disputes", "anti_gang", "satisfaction"]
THEME_ZH = {"overall": "综合态势", "disputes": "矛盾纠纷化解", "anti_gang": "扫黑除恶", "satisfaction": "安全感满意度"}
# (figure on the map and in the ranking, its label, format, higher is better, catalog code for the target)
THEME_METRIC = {
    "overall": ("success_rate_pct", "矛盾纠纷化解成功率", "{:.2f}%", True, "dispute_success_rate"),
    "disputes": ("open_over_90d", f"受理超{rules.BACKLOG_OVER_DAYS}天未结案件", "{:,.0f}件", False, None),
    "anti_gang": ("gangs_per_100k", "每10万人打掉涉黑涉恶团伙", "{:.2f}个", True, None),
    "satisfaction": ("safety_pct", "群众安全感", "{:.2f}%", True, "sat_public_safety"),
}

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


def _int_param(name: str, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(st.query_params.get(name, default))))
    except ValueError:
        return default


def _options() -> dict:
    try:
        regs = frame.regions()
        st.session_state["wall_regions"] = regs
    except Exception:  # the warehouse is briefly unavailable: keep what we knew
        regs = st.session_state.get("wall_regions", pl.DataFrame(schema={"code": pl.Utf8}))
    by_code = {r["code"]: r for r in regs.iter_rows(named=True)}
    region = st.query_params.get("region", "")
    notice = ""
    scope = getattr(auth.current_account(), "region", "")  # a scoped account or wall token: its region by default
    if region and region not in by_code:
        notice = f"地区代码“{region[:20]}”不存在,显示{'本大屏范围' if scope else '全部范围'}"
        region = ""
    if scope and region and not queries.within(region, scope):
        name = by_code[scope]["name"] if scope in by_code else scope
        notice = f"本大屏的地区范围是{name}({scope}),不能显示地区 {region[:20]},已显示{name}"
        region = ""
    if scope and not region:
        region = scope
    theme = st.query_params.get("theme", "")
    return {"region": region, "row": by_code.get(region), "theme": theme if theme in THEMES else "",
            "rotate": _int_param("rotate", 60, 5, 3600), "refresh": _int_param("refresh", 30, 2, 3600),
            "backlog": _int_param("backlog", 50, 0, 10**7), "notice": notice, "regions": regs}


def _level(row: dict | None) -> tuple[str, str | None]:
    if row is None:
        return "all", "province"
    return row["level"], frame.LEVEL_CHILD[row["level"]]


def _load(opt: dict) -> dict:
    """Every figure the wall shows, in as few queries as the page needs (cached per snapshot)."""
    info = dict(queries.run("meta_build_info").iter_rows())
    as_of = date.fromisoformat(info.get("as_of", "2022-12-31"))
    year = as_of.year
    cur = periods.Period(date(year, 1, 1), as_of)
    prev = periods.Period(date(year - 1, 1, 1), date(year - 1, as_of.month, min(as_of.day, 28)))
    region = opt["region"]
    level, child = _level(opt["row"])
    data = {"as_of": as_of, "year": year, "level": level, "child": child}
    start24 = date(year - 1, 1, 1)
    calls = ([("grid_summary", dict(region=region, year=y)) for y in (year, year - 1)]
             + [("disputes_summary", dict(region=region, start=p.start, end=p.end)) for p in (cur, prev)]
             + [("antigang_summary", dict(region=region, first_year=y, last_year=y)) for y in (year, year - 1)]
             + [("satisfaction_summary", dict(region=region, year=y)) for y in (year, year - 1)]
             + [("meta_indicators", {}), ("screen_dispute_trend", dict(region=region, start=start24, end=as_of))])
    if child:
        calls += [("screen_subregions", dict(region=region, child_level=child, start=cur.start, end=cur.end,
                                             year=year, as_of=as_of)),
                  ("screen_subregions", dict(region=region, child_level=child, start=prev.start, end=prev.end,
                                             year=year - 1, as_of=prev.end))]
    got = queries.run_many(calls)  # side by side: the wall's refresh waits for the slowest query, not the sum
    data["grid"] = [df.row(0, named=True) for df in got[0:2]]
    data["disputes"] = [df.row(0, named=True) for df in got[2:4]]
    data["antigang"] = [{r["indicator"]: r["value"] for r in df.iter_rows(named=True)} for df in got[4:6]]
    data["survey"] = [{r["indicator"]: r["rate_pct"] for r in df.iter_rows(named=True)} for df in got[6:8]]
    # which of this year's and last year's figures are demo data: an imported one beside a demo one is not compared
    data["demo"] = {"grid": [r["has_demo"] for r in data["grid"]],
                    "disputes": [r["has_demo"] for r in data["disputes"]],
                    "antigang": [bool(df["has_demo"].any()) for df in got[4:6]],
                    "survey": [bool(df.filter(df["indicator"] == "sat_public_safety")["has_demo"].any())
                               for df in got[6:8]]}
    data["catalog"] = {r["code"]: r for r in got[8].iter_rows(named=True)}
    data["trend"] = got[9]
    data["subs"], data["subs_prev"] = (got[10], got[11]) if child else (None, None)
    # the badge: any figure the wall shows this year is demo data (cards, trend, sub-regions)
    data["has_demo"] = bool(any(v[0] for v in data["demo"].values()) or data["trend"]["has_demo"].any()
                            or (data["subs"] is not None and data["subs"]["has_demo"].any()))
    data["loaded_at"] = datetime.now()
    return data


def _delta(now, before, unit: str = "%", digits: int = 1, higher_better: bool = True, demo=(False, False)) -> str:
    if now is None or before in (None, 0):
        return ""
    if bool(demo[0]) != bool(demo[1]):  # an imported figure beside a demo one
        return "(上年口径不同,不比较)"
    if unit == "pp":
        d = now - before
        text = f"{d:+.{digits}f} 个百分点"
    else:
        d = (now - before) / before
        text = f"{d:+.{digits}%}"
    good = (d >= 0) == higher_better
    return f'<span class="{"up" if good else "down"}">{"▲" if d >= 0 else "▼"} {text}</span>'


def _kpis(d: dict, theme: str) -> str:
    g0, g1 = d["grid"]
    s0, s1 = d["disputes"]
    a0, a1 = d["antigang"]
    v0, v1 = d["survey"]
    cat = d["catalog"]
    gangs0 = sum(a0.get(k, 0) for k in ("ag_black_org", "ag_evil_group", "ag_evil_gang"))
    gangs1 = sum(a1.get(k, 0) for k in ("ag_black_org", "ag_evil_group", "ag_evil_gang"))
    target_s = cat["dispute_success_rate"]["target"]
    target_v = cat["sat_public_safety"]["target"]
    y = d["year"]
    demo = d["demo"]
    d_grid = _delta(g0["grids"], g1["grids"], demo=demo["grid"])
    d_rate = _delta(s0["success_rate_pct"], s1["success_rate_pct"], "pp", 2, demo=demo["disputes"])
    d_gangs = _delta(gangs0, gangs1, demo=demo["antigang"])
    d_safety = _delta(v0.get("sat_public_safety"), v1.get("sat_public_safety"), "pp", 2, demo=demo["survey"])
    cards = [
        ("overall", "网格化服务管理", fmt.count_zh(g0["grids"], "个"),
         f"网格员 {fmt.count_zh(g0['workers'], '人')} · 较上年末 {d_grid}"),
        ("disputes", f"{y}年矛盾纠纷化解成功率", fmt.pct(s0["success_rate_pct"]),
         f"排查 {fmt.count_zh(s0['identified'], '件')} · 目标 {target_s:g}% · {d_rate}"),
        ("anti_gang", f"{y}年打掉涉黑涉恶团伙", fmt.count_zh(gangs0, "个"),
         f"破案 {fmt.count_zh(a0.get('ag_criminal_cases', 0), '起')} · 较上年 {d_gangs}"),
        ("satisfaction", f"{y}年群众安全感", fmt.pct(v0.get("sat_public_safety")),
         f"目标 {target_v:g}% · 较上年 {d_safety}"),
    ]
    return '<div class="kpis">' + "".join(
        f'<div class="kpi{" focus" if key == theme else ""}"><h4>{html.escape(title)}</h4>'
        f'<div class="big">{big}</div><div class="sub">{sub}</div></div>'
        for key, title, big, sub in cards) + "</div>"


def _alerts(d: dict, backlog: int) -> list[str]:
    subs, prev = d["subs"], d["subs_prev"]
    if subs is None or subs.height == 0:
        return []
    cat = d["catalog"]
    t_s, t_v = cat["dispute_success_rate"]["target"], cat["sat_public_safety"]["target"]
    out = []
    for r in subs.filter(pl.col("success_rate_pct") < t_s).sort("success_rate_pct").iter_rows(named=True):
        out.append(f'<b>低于目标</b> {html.escape(r["short_name"])} 化解成功率 <i>{r["success_rate_pct"]:.2f}%</i>'
                   f'(目标 {t_s:g}%)')
    for r in subs.filter(pl.col("safety_pct") < t_v).sort("safety_pct").iter_rows(named=True):
        out.append(f'<b>低于目标</b> {html.escape(r["short_name"])} 群众安全感 <i>{r["safety_pct"]:.2f}%</i>'
                   f'(目标 {t_v:g}%)')
    for r in subs.filter(pl.col("open_over_90d") > backlog).sort("open_over_90d", descending=True).iter_rows(named=True):
        out.append(f'<b>积案</b> {html.escape(r["short_name"])} 受理超{rules.BACKLOG_OVER_DAYS}天未结 '
                   f'<i>{r["open_over_90d"]:,}件</i>(阈值 {backlog:,}件)')
    if prev is not None and prev.height:
        joined = subs.join(prev.select("code", pl.col("success_rate_pct").alias("p_s"), pl.col("safety_pct").alias("p_v")),
                           on="code", how="inner").with_columns(
            (pl.col("success_rate_pct") - pl.col("p_s")).alias("d_s"), (pl.col("safety_pct") - pl.col("p_v")).alias("d_v"))
        for r in joined.filter(pl.col("d_s") < 0).sort("d_s").head(2).iter_rows(named=True):
            out.append(f'<b>下降最多</b> {html.escape(r["short_name"])} 化解成功率较上年 <i>{r["d_s"]:+.2f}个百分点</i>')
        for r in joined.filter(pl.col("d_v") < 0).sort("d_v").head(2).iter_rows(named=True):
            out.append(f'<b>下降最多</b> {html.escape(r["short_name"])} 群众安全感较上年 <i>{r["d_v"]:+.2f}个百分点</i>')
    return out


def _no_alert(d: dict) -> str:
    """What the alert panel says when no alert fired: an all-clear only when every sub-region has every figure
    the alerts test (a missing figure cannot be below target, so silence would be a false all-clear)."""
    subs = d["subs"]
    if subs is None:
        return '<div class="alert">本级无下级地区,无下级预警</div>'
    figures = ("success_rate_pct", "safety_pct", "open_over_90d")
    if subs.height == 0 or subs.select(pl.any_horizontal(pl.col(c).is_null() for c in figures)).to_series().any():
        return '<div class="alert" style="color:#ffb74d">下级地区数据不全,无法判断是否均达到目标</div>'
    return '<div class="alert" style="color:#5ec962">各下级地区均达到目标,暂无预警</div>'


def _breaks(values: list[float], digits: int, k: int = 4) -> list[float]:
    """Quantile class breaks at the figure's own precision (rates of 90.2% and 90.4% stay apart)."""
    vals = sorted(values)
    if len(vals) < 2 or vals[0] == vals[-1]:
        return []
    cuts: list[float] = []
    for i in range(1, k):
        c = round(vals[min(len(vals) - 1, round(i * len(vals) / k))], digits)
        if vals[0] < c <= vals[-1] and (not cuts or c > cuts[-1]):
            cuts.append(c)
    return cuts


def _map(d: dict, opt: dict, theme: str):
    subs, child = d["subs"], d["child"]
    metric, label, fmt_s, higher, target_code = THEME_METRIC[theme]
    row = opt["row"]
    if child is None:  # a county: its own outline
        feats = maps.features("county", row["province_code"], {row["code"]})
        return maps.deck([maps.outline_layer(feats, maps.DARK)], maps.fit_view(maps.bounds(feats), 760, 560),
                         maps.DARK), ""
    province = row["province_code"] if row else ""
    codes = set(subs["code"].to_list())
    feats = maps.features(child, province, None if child == "province" else codes)
    values = {r["code"]: r[metric] for r in subs.iter_rows(named=True)}
    tips = {r["code"]: f"{r['short_name']}\n{label}:" + ("—" if r[metric] is None else fmt_s.format(r[metric]))
            for r in subs.iter_rows(named=True)}
    cuts = _breaks([v for v in values.values() if v is not None], 2 if "%" in fmt_s else 1)
    colours = maps.ramp_for(len(cuts) + 1, maps.DARK.ramp)
    regs = opt["regions"]
    pts = regs.filter(pl.col("code").is_in(list(codes))).select("short_name", "lon", "lat") \
        .rename({"short_name": "name"}).to_dicts()
    layers = [maps.choropleth_layer(feats, values, tips, cuts, maps.DARK),
              maps.label_layer(pts, maps.DARK, size_px=15 if child != "county" else 13)]
    shown = [f for f in feats if f["properties"]["code"] in codes]
    view = maps.fit_view(maps.bounds(shown or feats), 760, 540)
    legend = maps.legend_html(label, maps.legend_entries(cuts, colours, "", 2 if "%" in fmt_s else 1,
                                                         single_value=next(iter(values.values()), None)),
                              maps.DARK)
    return maps.deck(layers, view, maps.DARK), legend


def _draw(d: dict, opt: dict, theme: str, status: str) -> None:
    place = opt["row"]["name"] if opt["row"] else "全部地区"
    badge = ' · <span style="color:#ffb74d">演示数据</span>' if d["has_demo"] else ""
    st.html(f'<div class="wall-top"><div><span class="wall-title">平安驾驶舱 · {html.escape(place)}</span>'
            f'<span class="wall-theme">{THEME_ZH[theme]}</span>'
            + (f'<span class="wall-meta wall-stale" style="margin-left:24px">{html.escape(opt["notice"])}</span>'
               if opt["notice"] else "") + '</div>'
            f'<div class="wall-meta"><span id="wall-clock"></span> · 数据截至 {fmt.date_zh(d["as_of"])}{badge}'
            f' · {status}</div></div>')
    st.html(_kpis(d, theme))
    left, mid, right = st.columns([0.9, 1.45, 0.95])
    metric, label, fmt_s, higher, target_code = THEME_METRIC[theme]
    target = d["catalog"][target_code]["target"] if target_code else None
    with left:
        if d["subs"] is not None and d["subs"].height:
            fig = charts.ranking(d["subs"], metric, "short_name", f"{d['year']}年{label}排名", 560, target, fmt_s,
                                 higher_is_better=higher)
            st.plotly_chart(fig, width="stretch", config={"displayModeBar": False, "staticPlot": True},
                            key="wall_rank")
        else:
            st.html('<div class="panel-title">本级无下级地区</div>')
    with mid:
        deck, legend = _map(d, opt, theme)
        st.pydeck_chart(deck, height=530, key="wall_map")
        if legend:
            st.html(f'<div class="legend-wall">{legend}</div>')
    with right:
        s0 = d["disputes"][0]
        stages = [("排查", s0["identified"]), ("受理", s0["accepted"]), ("调解", s0["mediated"]),
                  ("化解成功", s0["resolved"]), ("回访", s0["followed_up"])]
        st.plotly_chart(charts.funnel(stages, f"{d['year']}年矛盾纠纷化解漏斗", 312, lambda v: fmt.count_zh(v, "件")),
                        width="stretch", config={"displayModeBar": False, "staticPlot": True}, key="wall_funnel")
        alerts = _alerts(d, opt["backlog"])
        body = "".join(f'<div class="alert">{a}</div>' for a in alerts[:7]) or _no_alert(d)
        st.html(f'<div class="alerts"><div class="panel-title">预警({len(alerts)})</div>{body}</div>')
    st.plotly_chart(charts.trend(d["trend"], "近两年每月矛盾纠纷排查与化解(虚线:上年同月排查)", 262,
                                 ("排查", "化解成功", "上年同月排查")),
                    width="stretch", config={"displayModeBar": False, "staticPlot": True}, key="wall_trend")


opt = _options()
st.html(CSS)
st.html(CLOCK, unsafe_allow_javascript=True)
if opt["notice"]:
    st.toast(safe.md(opt["notice"]))


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
    theme = opt["theme"] or THEMES[int(time.time() // opt["rotate"]) % len(THEMES)]
    try:
        data = _load(opt)
        st.session_state["wall_last"] = data
        status = f'<span class="wall-ok">● 已更新 {data["loaded_at"]:%H:%M:%S}</span>'
    except Exception:  # never a traceback on the wall: keep the last good figures
        data = st.session_state.get("wall_last")
        if data is None:
            st.html('<div class="wall-title" style="margin-top:30vh;text-align:center">数据暂不可用,稍后自动重试</div>')
            return
        status = f'<span class="wall-stale">● 更新失败,显示 {data["loaded_at"]:%H:%M:%S} 的数据</span>'
    try:
        _draw(data, opt, theme, status)
    except Exception:
        st.html('<div class="wall-meta">部分面板暂不可用,稍后自动重试</div>')


wall()
