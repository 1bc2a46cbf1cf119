"""Charts of the dispute resolution page (矛盾纠纷化解): funnel, success against target, composition, time, backlog."""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict

import polars as pl
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import fmt, rules
from ..i18n import Texts
from . import BAD, CATEGORICAL, GOOD, NEUTRAL, TARGET, style

# Labels the charts draw themselves (legends, axes); titles come from the view model.
TEXT = Texts({
    "before": ("上期", "Previous period"),
    "ya": ("去年同期", "Same period last year"),
    "ya_month": ("去年同月", "Same month last year"),
    "target": ("目标", "Target"),
    "rate_axis": ("化解成功率(%)", "Success rate (%)"),
    "count_axis": ("排查件数(件)", "Cases identified"),
    "orange_growing": ("排查件数(件)· 橙色为同比增长的类别", "Cases · orange = growing"),
    "red_below": ("排查件数(件)· 红色为成功率低于目标", "Cases · red = below target"),
    "days_axis": ("受理至化解天数(天)", "Days from acceptance to resolution"),
    "median": ("中位数", "Median"),
    "p90": ("P90(九成案件在此之内)", "P90 (90% of cases within)"),
    "cases": ("件", "cases"),
    "of_first": ("占排查", "of identified"),
    "of_prev": ("较上一环节", "of previous stage"),
    "yoy": ("同比", "YoY"),
    "rate": ("成功率", "success"),
    "open_axis": ("在办案件(件)", "Open cases"),
    "age_0_30": ("30天以内", "≤30 days"),
    "age_31_60": ("31—60天", "31–60 days"),
    "age_61_90": (f"61—{rules.BACKLOG_OVER_DAYS}天", f"61–{rules.BACKLOG_OVER_DAYS} days"),
    "age_over_90": (f"{rules.BACKLOG_OVER_DAYS}天以上", f"over {rules.BACKLOG_OVER_DAYS} days"),
    "below": ("低于目标", "Below target"),
    "meets": ("达到目标", "Meets target"),
    "with_change": (" {rate} ({change:+.2f}个百分点)", " {rate} ({change:+.2f} pp)"),
    "county_of": ("{county}({prefecture})", "{county} ({prefecture})"),
})
AGE_BUCKETS = ("age_0_30", "age_31_60", "age_61_90", "age_over_90")
_AGE_COLOURS = ("#56B4E9", "#0072B2", "#E69F00", BAD)


_memo: "OrderedDict[tuple, go.Figure]" = OrderedDict()
_memo_lock = threading.Lock()
_MEMO_MAX = 256


def _frozen(value):
    if isinstance(value, pl.DataFrame):
        return ("df", tuple(value.columns), tuple(value.rows()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def memoised(fn):
    """Reuse a figure drawn from the same rows and words: plotly spends 10-50 ms validating each new figure.

    Streamlit only serialises the figure it is given (it does not change it), so sessions can share one.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = (fn.__name__, _frozen(args), tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
        with _memo_lock:
            if key in _memo:
                _memo.move_to_end(key)
                return _memo[key]
        fig = fn(*args, **kwargs)
        with _memo_lock:
            _memo[key] = fig
            while len(_memo) > _MEMO_MAX:
                _memo.popitem(last=False)
        return fig
    return wrapper


def label(key: str, lang: str) -> str:
    return TEXT(key, lang)


def count(v, lang: str, unit: bool = True) -> str:
    """A case count as a leader reads it: 26.39万件 / 263,900 cases."""
    if lang == "en":
        return fmt.count_en(v, "cases" if unit else "")
    return fmt.count_zh(v, "件" if unit else "")


def _style(fig: go.Figure, title: str, **kwargs) -> go.Figure:
    """The house style, with room for a title of two lines (English titles of half-width charts wrap)."""
    style(fig, title, **kwargs)
    if "<br>" in title:
        fig.update_layout(margin={"t": 95})
    return fig


def _share(part, whole) -> float | None:
    return None if not whole or part is None else 100.0 * part / whole


@memoised
def funnel(stages: list[tuple[str, int]], title: str, lang: str, colour: str = CATEGORICAL[0],
           height: int = 380) -> go.Figure:
    """排查 → 受理 → 调解 → 化解成功 → 回访, each stage with its count and its share of the first stage."""
    first = stages[0][1] if stages else 0
    text = []
    for i, (_, v) in enumerate(stages):
        if i == 0:
            text.append(count(v, lang))
        else:
            prev = stages[i - 1][1]
            text.append(f"{count(v, lang)} · {label('of_first', lang)} {fmt.pct(_share(v, first), 1)}"
                        f" · {label('of_prev', lang)} {fmt.pct(_share(v, prev), 1)}")
    fig = go.Figure(go.Funnel(
        y=[s for s, _ in stages], x=[v for _, v in stages], text=text, textinfo="text",
        textposition="inside", insidetextanchor="middle", marker={"color": colour},
        connector={"fillcolor": "#e8eef5"}, hovertemplate="%{y}: %{x:,}<extra></extra>",
        textfont={"color": "white", "size": 13}))
    _style(fig, title, height=height, legend=False)
    fig.update_yaxes(gridcolor="white")
    return fig


@memoised
def yearly_rates(df: pl.DataFrame, target: float | None, title: str, lang: str) -> go.Figure:
    """Success rate in each year of a multi-year period, with the target line (rows: case_year, success_rate_pct)."""
    years = [str(y) for y in df["case_year"].to_list()]
    rates = df["success_rate_pct"].to_list()
    colours = [BAD if target is not None and r is not None and r < target else GOOD for r in rates]
    fig = go.Figure(go.Scatter(
        x=years, y=rates, mode="lines+markers+text", text=[fmt.pct(r) for r in rates], textposition="top center",
        marker={"size": 11, "color": colours}, line={"color": NEUTRAL, "width": 1.5},
        customdata=df["identified"].to_list(), name=label("rate_axis", lang),
        hovertemplate="%{x}: %{y:.2f}% · %{customdata:,}<extra></extra>"))
    _target_hline(fig, target, lang)
    lo = min([r for r in rates if r is not None] + ([target] if target is not None else [])) - 0.6
    hi = max([r for r in rates if r is not None] + ([target] if target is not None else [])) + 0.6
    _style(fig, title, height=320, legend=False)
    fig.update_yaxes(range=[lo, min(hi, 100.5)], ticksuffix="%", title=label("rate_axis", lang))
    fig.update_xaxes(type="category")
    return fig


def _target_hline(fig: go.Figure, target: float | None, lang: str, **kw) -> None:
    if target is not None:
        fig.add_hline(y=target, line={"color": TARGET, "dash": "dash", "width": 1.5},
                      annotation_text=f"{label('target', lang)} {target:g}%", annotation_position="bottom right",
                      **kw)


@memoised
def success_dumbbell(df: pl.DataFrame, target: float | None, title: str, lang: str,
                     highlight: str = "") -> go.Figure:
    """Sub-regions ranked by success rate: previous period (hollow) → this period (filled), target line.

    Rows: code, short_name, success_rate_pct, prev_success_rate_pct, change_pp, identified, below_target.
    """
    d = df.filter(pl.col("success_rate_pct").is_not_null()).sort("success_rate_pct")
    names = [f"▶ {n}" if c == highlight else n for c, n in zip(d["code"].to_list(), d["short_name"].to_list())]
    now, before = d["success_rate_pct"].to_list(), d["prev_success_rate_pct"].to_list()
    seg_x, seg_y = [], []
    for n, a, b in zip(names, before, now):
        if a is not None:
            seg_x += [a, b, None]
            seg_y += [n, n, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=seg_x, y=seg_y, mode="lines", line={"color": "#cccccc", "width": 3},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=before, y=names, mode="markers", name=label("before", lang),
                             marker={"size": 9, "color": "white", "line": {"color": NEUTRAL, "width": 2}},
                             hovertemplate="%{y}: %{x:.2f}%<extra>" + label("before", lang) + "</extra>"))
    below = [bool(b) for b in d["below_target"].fill_null(False).to_list()]
    for flag, colour, key in ((False, GOOD, "meets"), (True, BAD, "below")):
        idx = [i for i, b in enumerate(below) if b == flag]
        if not idx:
            continue
        fig.add_trace(go.Scatter(
            x=[now[i] for i in idx], y=[names[i] for i in idx], mode="markers+text", name=label(key, lang),
            text=[_rate_with_change(now[i], d["change_pp"][i], lang) for i in idx], textposition="middle right",
            marker={"size": 12, "color": colour},
            customdata=[d["identified"][i] for i in idx],
            hovertemplate="%{y}: %{x:.2f}% · %{customdata:,}<extra></extra>"))
    if target is not None:
        fig.add_vline(x=target, line={"color": TARGET, "dash": "dash", "width": 1.5},
                      annotation_text=f"{label('target', lang)} {target:g}%", annotation_position="bottom right")
    values = [v for v in now + before if v is not None] + ([target] if target is not None else [])
    lo, hi = (min(values), max(values)) if values else (90, 100)
    _style(fig, title, height=max(300, 30 * len(names) + 130))
    fig.update_xaxes(range=[lo - 0.5, min(hi + 1.2, 101)], ticksuffix="%", title=label("rate_axis", lang),
                     showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(categoryorder="array", categoryarray=names, gridcolor="white")
    return fig


def _rate_with_change(rate, change, lang: str) -> str:
    if change is None:
        return f" {fmt.pct(rate)}"
    return TEXT("with_change", lang, rate=fmt.pct(rate), change=change)


@memoised
def category_bars(df: pl.DataFrame, title: str, lang: str, highlight: str = "") -> go.Figure:
    """Cases by category, growing categories in orange, with share and year-on-year change.

    Rows: category, name_zh, name_en, identified, share_pct, yoy_pct.
    """
    d = df.sort("identified")
    names = d["name_en" if lang == "en" else "name_zh"].to_list()
    yoy = d["yoy_pct"].to_list()
    colours = [CATEGORICAL[1] if (y or 0) > 0 else CATEGORICAL[0] for y in yoy]
    widths = [3 if c == highlight else 0 for c in d["category"].to_list()]
    text = [f"{count(v, lang, unit=lang == 'zh')} · {fmt.pct(s, 1)}"
            + ("" if y is None else f" · {label('yoy', lang)} {y:+.1f}%")
            for v, s, y in zip(d["identified"].to_list(), d["share_pct"].to_list(), yoy)]
    fig = go.Figure(go.Bar(
        x=d["identified"].to_list(), y=names, orientation="h", marker={"color": colours,
                                                                        "line": {"color": "#000000", "width": widths}},
        text=text, textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:,}<extra></extra>"))
    _style(fig, title, height=max(320, 34 * len(names) + 110), legend=False)
    top = max(d["identified"].to_list() or [1])
    axis = "orange_growing" if any(y is not None for y in yoy) else "count_axis"
    fig.update_xaxes(range=[0, top * 2.1], title=label(axis, lang), showticklabels=False)
    fig.update_yaxes(gridcolor="white")
    return fig


@memoised
def channel_bars(df: pl.DataFrame, target: float | None, title: str, lang: str) -> go.Figure:
    """Cases by channel with each channel's success rate. Rows: name_zh, name_en, identified, success_rate_pct."""
    d = df.sort("identified")
    names = d["name_en" if lang == "en" else "name_zh"].to_list()
    rates = d["success_rate_pct"].to_list()
    colours = [BAD if target is not None and r is not None and r < target else CATEGORICAL[0] for r in rates]
    text = [f"{count(v, lang, unit=lang == 'zh')} · {label('rate', lang)} {fmt.pct(r)}"
            for v, r in zip(d["identified"].to_list(), rates)]
    fig = go.Figure(go.Bar(
        x=d["identified"].to_list(), y=names, orientation="h", marker={"color": colours}, text=text,
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:,}<extra></extra>"))
    _style(fig, title, height=max(320, 34 * len(names) + 110), legend=False)
    top = max(d["identified"].to_list() or [1])
    fig.update_xaxes(range=[0, top * 1.9], title=label("red_below", lang), showticklabels=False)
    fig.update_yaxes(gridcolor="white")
    return fig


@memoised
def monthly_trend(df: pl.DataFrame, target: float | None, title: str, lang: str) -> go.Figure:
    """Cases per month against the same month a year earlier (top), success rate with the target (bottom).

    Rows: month_start, identified, ya_identified, success_rate_pct, ya_success_rate_pct, yoy_pct.
    """
    months = df["month_start"].to_list()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.08)
    fig.add_trace(go.Bar(x=months, y=df["identified"].to_list(), name=label("count_axis", lang),
                         marker={"color": CATEGORICAL[0]}, customdata=df["yoy_pct"].to_list(),
                         hovertemplate="%{x|%Y-%m}: %{y:,} · " + label("yoy", lang)
                         + " %{customdata:+.1f}%<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=months, y=df["ya_identified"].to_list(), name=label("ya_month", lang),
                             mode="lines", line={"color": CATEGORICAL[1], "dash": "dot", "width": 2},
                             hovertemplate="%{x|%Y-%m}: %{y:,}<extra>" + label("ya_month", lang) + "</extra>"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=months, y=df["success_rate_pct"].to_list(), name=label("rate_axis", lang),
                             mode="lines+markers", line={"color": CATEGORICAL[2], "width": 2},
                             hovertemplate="%{x|%Y-%m}: %{y:.2f}%<extra></extra>"), row=2, col=1)
    if target is not None:
        fig.add_hline(y=target, line={"color": TARGET, "dash": "dash", "width": 1.2}, row=2, col=1,
                      annotation_text=f"{label('target', lang)} {target:g}%", annotation_position="bottom right")
    _style(fig, title, height=480)
    fig.update_yaxes(title=label("count_axis", lang), row=1, col=1)
    fig.update_yaxes(title=label("rate_axis", lang), ticksuffix="%", row=2, col=1)
    fig.update_xaxes(tickformat="%Y-%m", row=2, col=1)
    return fig


@memoised
def days_to_resolve(df: pl.DataFrame, title: str, lang: str) -> go.Figure:
    """Median (dot) and P90 (diamond) days from acceptance to resolution.

    Rows: name_zh, name_en, median_days, p90_days.
    """
    d = df.sort("median_days")
    names = d["name_en" if lang == "en" else "name_zh"].to_list()
    med, p90 = d["median_days"].to_list(), d["p90_days"].to_list()
    seg_x, seg_y = [], []
    for n, a, b in zip(names, med, p90):
        seg_x += [a, b, None]
        seg_y += [n, n, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=seg_x, y=seg_y, mode="lines", line={"color": "#cccccc", "width": 4},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=med, y=names, mode="markers+text", name=label("median", lang),
                             text=[f"{m:.0f}" for m in med], textposition="middle left",
                             marker={"size": 11, "color": CATEGORICAL[0]},
                             hovertemplate="%{y}: %{x:.1f}<extra>" + label("median", lang) + "</extra>"))
    fig.add_trace(go.Scatter(x=p90, y=names, mode="markers+text", name=label("p90", lang),
                             text=[f"{p:.0f}" for p in p90], textposition="middle right",
                             marker={"size": 11, "color": CATEGORICAL[3], "symbol": "diamond"},
                             hovertemplate="%{y}: %{x:.1f}<extra>P90</extra>"))
    _style(fig, title, height=max(300, 34 * len(names) + 120))
    top = max([p for p in p90 if p is not None] or [1])
    fig.update_xaxes(range=[0, top * 1.15], title=label("days_axis", lang), showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(categoryorder="array", categoryarray=names, gridcolor="white")
    return fig


@memoised
def backlog_by_county(df: pl.DataFrame, title: str, lang: str, top: int = 15,
                      with_prefecture: bool = True) -> go.Figure:
    """Open cases of the counties with the most over the backlog threshold, stacked by age since acceptance.

    Rows: county_name, prefecture_name, age_0_30, age_31_60, age_61_90, age_over_90 (already ordered, worst first).
    """
    d = df.head(top).reverse()
    names = [c if not (with_prefecture and p) else TEXT("county_of", lang, county=c, prefecture=p)
             for c, p in zip(d["county_name"].to_list(), d["prefecture_name"].to_list())]
    fig = go.Figure()
    for key, colour in reversed(list(zip(AGE_BUCKETS, _AGE_COLOURS))):  # the oldest first, where ranks show
        fig.add_trace(go.Bar(x=d[key].to_list(), y=names, orientation="h", name=label(key, lang),
                             marker={"color": colour},
                             hovertemplate="%{y}: %{x:,}<extra>" + label(key, lang) + "</extra>"))
    _style(fig, title, height=max(320, 28 * len(names) + 130))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    fig.update_xaxes(title=label("open_axis", lang), showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(gridcolor="white")
    return fig
