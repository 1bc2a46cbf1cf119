"""Charts of the satisfaction page: ranked dots with 95% intervals, trend lines, one index against another."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from . import BAD, CATEGORICAL, NEUTRAL, TARGET, style

# Colour says how a sub-region compares with its parent once the survey's uncertainty is allowed for.
VERSUS_COLOUR = {"above": CATEGORICAL[0], "same": NEUTRAL, "below": CATEGORICAL[3]}
VERSUS_SYMBOL = {"above": "circle", "same": "circle-open", "below": "square"}
PUBLISHED_COLOUR = "#000000"
BAND_COLOUR = "rgba(0, 114, 178, 0.15)"


def _pct(v) -> str:
    return "—" if v is None else f"{v:.2f}%"


def _rule(axis: str, value: float, text: str, colour: str, dash: str, where: str) -> tuple[dict, dict]:
    """A reference line across the plot and its label, as plain layout dicts.

    (fig.add_vline does the same through plotly's shape machinery at ~15 ms a call; these cost nothing.)
    axis 'x' draws a vertical line at x = value, 'y' a horizontal one; where is 'top', 'bottom', 'left' or
    'right': the end of the line the label sits at, inside the plot.
    """
    line = {"color": colour, "width": 1.5, "dash": dash}
    if axis == "x":
        shape = {"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value, "y0": 0, "y1": 1,
                 "line": line, "layer": "below"}
        top = where == "top"
        label = {"xref": "x", "yref": "paper", "x": value, "y": 1 if top else 0, "text": text, "showarrow": False,
                 "xanchor": "center" if top else "left", "yanchor": "bottom",
                 "font": {"color": colour}}
    else:
        shape = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": value, "y1": value,
                 "line": line, "layer": "below"}
        label = {"xref": "paper", "yref": "y", "x": 0 if where == "left" else 1, "y": value, "text": text,
                 "showarrow": False, "xanchor": "left" if where == "left" else "right", "yanchor": "top",
                 "font": {"color": colour}}
    return shape, label


def _figure(traces: list[dict], rules: list[tuple[dict, dict]], title: str, *, height: int,
            show_legend: bool = True, **layout) -> go.Figure:
    """Traces and reference lines in the constructor, the house style, then this chart's own layout in one call.

    (Each update_* call walks plotly's validators; building in the constructor is several times cheaper.)
    """
    fig = go.Figure(data=traces, layout={"shapes": [r[0] for r in rules], "annotations": [r[1] for r in rules]})
    style(fig, title, height=height, legend=show_legend)
    fig.update_layout(**layout)
    return fig


def ranked_dots(df: pl.DataFrame, *, ref_value: float | None, ref_label: str, target: float | None, title: str,
                versus_names: dict[str, str], published_name: str, target_name: str, prev_name: str,
                hover: dict[str, str]) -> go.Figure:
    """One row per sub-region, best at the top: the index, its 95% interval, last year's value, the parent's line
    and the target.

    df needs: label (y axis text, unique), name, rate_pct, ci_low_pct, ci_high_pct, sample_size, rank_label,
    versus (above | same | below), change (hover text on the change since last year), prev_rate_pct and
    published_value (both null where there is none).
    """
    order = df["label"].to_list()
    prev = df.filter(pl.col("prev_rate_pct").is_not_null())
    traces = [] if prev.height == 0 else [{
        "type": "scatter", "x": prev["prev_rate_pct"].to_list(), "y": prev["label"].to_list(), "mode": "markers",
        "name": prev_name, "marker": {"symbol": "line-ns-open", "size": 12, "color": "#555555", "line": {"width": 2}},
        "hovertemplate": f"{prev_name} %{{x:.2f}}%<extra></extra>",
    }]
    for key in ("above", "same", "below"):
        part = df.filter(pl.col("versus") == key)
        if part.height == 0:
            continue
        traces.append({
            "type": "scatter", "x": part["rate_pct"].to_list(), "y": part["label"].to_list(), "mode": "markers",
            "name": versus_names[key],
            "marker": {"color": VERSUS_COLOUR[key], "size": 10, "symbol": VERSUS_SYMBOL[key],
                       "line": {"width": 2, "color": VERSUS_COLOUR[key]}},
            "error_x": {"type": "data", "symmetric": False, "color": VERSUS_COLOUR[key], "thickness": 2, "width": 0,
                        "array": (part["ci_high_pct"] - part["rate_pct"]).to_list(),
                        "arrayminus": (part["rate_pct"] - part["ci_low_pct"]).to_list()},
            "customdata": part.select("name", "ci_low_pct", "ci_high_pct", "sample_size", "rank_label",
                                      "change").rows(),
            "hovertemplate": (f"<b>%{{customdata[0]}}</b><br>{hover['rate']} %{{x:.2f}}%<br>"
                              f"{hover['ci']} %{{customdata[1]:.2f}}–%{{customdata[2]:.2f}}%<br>"
                              f"{hover['n']} %{{customdata[3]:,}}<br>{hover['rank']} %{{customdata[4]}}<br>"
                              "%{customdata[5]}<extra></extra>"),
        })
    pub = df.filter(pl.col("published_value").is_not_null())
    if pub.height:
        traces.append({
            "type": "scatter", "x": pub["published_value"].to_list(), "y": pub["label"].to_list(),
            "mode": "markers", "name": published_name,
            "marker": {"symbol": "diamond-open", "size": 14, "color": PUBLISHED_COLOUR, "line": {"width": 2}},
            "hovertemplate": f"{published_name} %{{x}}%<extra></extra>",
        })
    rules = []
    if ref_value is not None:
        rules.append(_rule("x", ref_value, f"{ref_label} {_pct(ref_value)}", TARGET, "dash", "top"))
    if target is not None:
        rules.append(_rule("x", target, f" {target_name} {target:g}%", BAD, "dot", "bottom"))
    return _figure(
        traces, rules, title, height=max(340, 150 + 30 * len(order)),
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "showgrid": True, "gridcolor": "#f2f2f2",
               "automargin": True},
        xaxis={"ticksuffix": "%", "showgrid": True, "gridcolor": "#eeeeee"},
        # legend under the plot: the reference line's label sits at the top
        margin={"t": 70, "b": 70},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.005, "xanchor": "left",
                "x": 0})


def trend(own: pl.DataFrame, children: pl.DataFrame, *, own_label: str, target: float | None, title: str,
          highlight: list[str], others_name: str, band_name: str, target_name: str) -> go.Figure:
    """The place's index by year with its 95% band, every sub-region as a thin grey line, chosen ones in colour.

    own needs year, rate_pct, ci_low_pct, ci_high_pct; children needs short_name, year, rate_pct.
    """
    traces = []
    for (name,), part in children.sort("year").group_by(["short_name"], maintain_order=True):
        if name in highlight:
            continue
        traces.append({
            "type": "scatter", "x": part["year"].to_list(), "y": part["rate_pct"].to_list(), "mode": "lines",
            "name": others_name, "legendgroup": "others", "showlegend": not traces,
            "line": {"color": "#c8c8c8", "width": 1},
            "hovertemplate": f"{name} %{{x}}: %{{y:.2f}}%<extra></extra>",
        })
    if own.height:
        years = own["year"].to_list()
        traces.append({
            "type": "scatter", "x": years + years[::-1],
            "y": own["ci_high_pct"].to_list() + own["ci_low_pct"].to_list()[::-1],
            "mode": "lines", "fill": "toself", "fillcolor": BAND_COLOUR, "line": {"width": 0}, "name": band_name,
            "hoverinfo": "skip",
        })
        traces.append({
            "type": "scatter", "x": years, "y": own["rate_pct"].to_list(), "mode": "lines+markers",
            "name": own_label, "line": {"color": CATEGORICAL[0], "width": 3}, "marker": {"size": 6},
            "hovertemplate": f"{own_label} %{{x}}: %{{y:.2f}}%<extra></extra>",
        })
    for i, name in enumerate(highlight):
        part = children.filter(pl.col("short_name") == name).sort("year")
        if part.height == 0:
            continue
        colour = CATEGORICAL[1 + i % (len(CATEGORICAL) - 1)]
        traces.append({
            "type": "scatter", "x": part["year"].to_list(), "y": part["rate_pct"].to_list(),
            "mode": "lines+markers", "name": name, "line": {"color": colour, "width": 2}, "marker": {"size": 5},
            "hovertemplate": f"{name} %{{x}}: %{{y:.2f}}%<extra></extra>",
        })
    rules = [] if target is None else [_rule("y", target, f"{target_name} {target:g}%", BAD, "dot", "left")]
    return _figure(traces, rules, title, height=420, xaxis={"dtick": 1, "tickformat": "d"},
                   yaxis={"ticksuffix": "%"}, margin={"t": 90})


def scatter(df: pl.DataFrame, *, x_name: str, y_name: str, ref_x: float | None, ref_y: float | None,
            ref_label: str, title: str, highlight: str | None, n_label: str, x_title: str, y_title: str) -> go.Figure:
    """Each sub-region at (index x, index y) with both 95% intervals; point area ∝ respondents.

    df needs short_name, x, x_low, x_high, y, y_low, y_high, sample_size.
    """
    sizes = df["sample_size"].cast(pl.Float64)
    biggest = float(sizes.max() or 1.0)
    colours = [CATEGORICAL[3] if n == highlight else CATEGORICAL[0] for n in df["short_name"].to_list()]
    # neighbours in x take turns above and below their point, so that close labels collide less
    order = df["x"].rank("ordinal").cast(pl.Int64).to_list()
    positions = ["top center" if k % 2 else "bottom center" for k in order]
    traces = [{
        "type": "scatter", "x": df["x"].to_list(), "y": df["y"].to_list(), "mode": "markers+text",
        "text": df["short_name"].to_list(), "textposition": positions,
        "textfont": {"size": 11, "color": "#333333"}, "showlegend": False,
        "marker": {"size": sizes.to_list(), "sizemode": "area", "sizeref": 2.0 * biggest / (36.0 ** 2),
                   "sizemin": 5, "color": colours, "opacity": 0.7, "line": {"width": 1, "color": "white"}},
        "error_x": {"type": "data", "symmetric": False, "color": "rgba(0,0,0,0.25)", "thickness": 1, "width": 0,
                    "array": (df["x_high"] - df["x"]).to_list(), "arrayminus": (df["x"] - df["x_low"]).to_list()},
        "error_y": {"type": "data", "symmetric": False, "color": "rgba(0,0,0,0.25)", "thickness": 1, "width": 0,
                    "array": (df["y_high"] - df["y"]).to_list(), "arrayminus": (df["y"] - df["y_low"]).to_list()},
        "customdata": df.select("short_name", "sample_size").rows(),
        "hovertemplate": (f"<b>%{{customdata[0]}}</b><br>{x_name} %{{x:.2f}}%<br>{y_name} %{{y:.2f}}%<br>"
                          f"{n_label} %{{customdata[1]:,}}<extra></extra>"),
    }]
    rules = []
    if ref_x is not None:
        rules.append(_rule("x", ref_x, ref_label, TARGET, "dash", "top"))
    if ref_y is not None:
        rules.append(_rule("y", ref_y, ref_label, TARGET, "dash", "left"))
    return _figure(traces, rules, title, height=520, show_legend=False,
                   xaxis={"title": {"text": x_title}, "ticksuffix": "%", "showgrid": True, "gridcolor": "#eeeeee"},
                   yaxis={"title": {"text": y_title}, "ticksuffix": "%"}, margin={"t": 70, "b": 50})
