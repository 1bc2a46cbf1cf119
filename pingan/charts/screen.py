"""Charts for the command-centre wall: dark, large type, no toolbar, readable from across the room."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .. import maps
from . import FONT_FAMILY

BG = "rgba(0,0,0,0)"
TEXT = "#e6edf7"
MUTED = "#8da2c0"
ACCENT = "#4fc3f7"
GOOD = "#5ec962"
BAD = "#ff7043"
GRID = "rgba(255,255,255,0.08)"


def dark(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 20, "color": TEXT}},
        font={"family": FONT_FAMILY, "size": 16, "color": TEXT},
        height=height, margin={"l": 8, "r": 16, "t": 44, "b": 8},
        paper_bgcolor=BG, plot_bgcolor=BG, showlegend=False,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right",
                "font": {"size": 15, "color": MUTED}},
        transition={"duration": 0},
    )
    fig.update_xaxes(gridcolor=GRID, zeroline=False, color=MUTED)
    fig.update_yaxes(gridcolor=GRID, zeroline=False, color=MUTED)
    return fig


def ranking(df: pl.DataFrame, value: str, label: str, title: str, height: int, target: float | None,
            fmt: str, higher_is_better: bool = True, top: int = 12) -> go.Figure:
    """Sub-regions ranked by one figure, best on top; those short of the target in the warning colour."""
    d = df.filter(pl.col(value).is_not_null()).sort(value, descending=higher_is_better).head(top)
    d = d.reverse()  # plotly draws the first bar at the bottom
    vals = d[value].to_list()
    colours = [BAD if target is not None and ((v < target) if higher_is_better else (v > target)) else ACCENT
               for v in vals]
    fig = go.Figure(go.Bar(x=vals, y=d[label].to_list(), orientation="h", marker_color=colours,
                           text=[fmt.format(v) for v in vals], textposition="outside", cliponaxis=False,
                           textfont={"size": 15, "color": TEXT}, hoverinfo="skip"))
    if target is not None:
        fig.add_vline(x=target, line={"color": "#ffd54f", "dash": "dash", "width": 2})
    if vals:
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.25 or abs(hi) * 0.05 or 1
        lower = lo - pad if target is None else min(lo, target) - pad
        fig.update_xaxes(range=[max(lower, 0) if lo >= 0 else lower, max(hi, target or hi) + pad], showticklabels=False)
    fig.update_yaxes(tickfont={"size": 16, "color": TEXT})
    return dark(fig, title, height)


def funnel(stages: list[tuple[str, int]], title: str, height: int, fmt) -> go.Figure:
    fig = go.Figure(go.Funnel(y=[s for s, _ in stages], x=[v for _, v in stages],
                              text=[fmt(v) for _, v in stages], textinfo="text+percent initial",
                              textfont={"size": 16, "color": "#0b1220"},
                              marker={"color": ["#4fc3f7", "#29b6f6", "#03a9f4", "#5ec962", "#9ccc65"]},
                              connector={"fillcolor": "rgba(79,195,247,0.15)"}, hoverinfo="skip"))
    fig.update_yaxes(tickfont={"size": 16, "color": TEXT})
    return dark(fig, title, height)


def trend(df: pl.DataFrame, title: str, height: int, names: tuple[str, str, str]) -> go.Figure:
    """Monthly disputes registered and resolved, with the same month a year before as a dotted line."""
    fig = go.Figure()
    x = df["month"].to_list()
    fig.add_trace(go.Scatter(x=x, y=df["identified_year_before"].to_list(), name=names[2], mode="lines",
                             line={"color": MUTED, "dash": "dot", "width": 2}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=df["identified"].to_list(), name=names[0], mode="lines",
                             line={"color": ACCENT, "width": 3}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=df["resolved"].to_list(), name=names[1], mode="lines",
                             line={"color": GOOD, "width": 3}, hoverinfo="skip"))
    fig.update_xaxes(tickformat="%Y年%-m月", tickfont={"size": 14})
    fig.update_yaxes(tickfont={"size": 14}, tickformat="~s")
    fig = dark(fig, title, height)
    fig.update_layout(showlegend=True)
    return fig


def wall_map(child: str | None, row: dict | None, regions: pl.DataFrame, values: dict, tips: dict,
             cuts: list[float], label: str, digits: int):
    """The wall's map: the sub-regions coloured by the theme's figure (with a legend), or a county's outline."""
    if child is None:  # a county: its own outline
        feats = maps.features("county", row["province_code"], {row["code"]})
        return maps.deck([maps.outline_layer(feats, maps.DARK)], maps.fit_view(maps.bounds(feats), 760, 560),
                         maps.DARK), ""
    province = row["province_code"] if row else ""
    codes = set(values)
    feats = maps.features(child, province, None if child == "province" else codes)
    colours = maps.ramp_for(len(cuts) + 1, maps.DARK.ramp)
    pts = regions.filter(pl.col("code").is_in(list(codes))).select("short_name", "lon", "lat") \
        .rename({"short_name": "name"}).to_dicts()
    layers = [maps.choropleth_layer(feats, values, tips, cuts, maps.DARK),
              maps.label_layer(pts, maps.DARK, size_px=15 if child != "county" else 13)]
    shown = [f for f in feats if f["properties"]["code"] in codes]
    view = maps.fit_view(maps.bounds(shown or feats), 760, 540)
    legend = maps.legend_html(label, maps.legend_entries(cuts, colours, "", digits,
                                                         single_value=next(iter(values.values()), None)),
                              maps.DARK)
    return maps.deck(layers, view, maps.DARK), legend
