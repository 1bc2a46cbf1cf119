"""Plotly charts in the house style; one module per domain beside this one (charts/disputes.py …)."""
from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl
import plotly.io as pio

# System CJK fonts only (no web fonts: the users' network is air-gapped).
FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GOOD, BAD, NEUTRAL, TARGET = "#009E73", "#D55E00", "#7f8c8d", "#444444"


# The house style as a plotly template (plotly's default one, which the charts were designed on, plus ours),
# registered once and made the default: every new figure starts from it at no cost, where setting the dozen layout
# properties on each figure cost plotly about 12 ms of validation a chart (ten charts on the disputes page).
TEMPLATE = go.layout.Template(pio.templates["plotly"])
TEMPLATE.layout.update({
    "font": {"family": FONT_FAMILY, "size": 13},
    "title": {"x": 0, "xanchor": "left", "font": {"size": 16}},
    "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    "hoverlabel": {"font": {"family": FONT_FAMILY}},
    "separators": ".,",
    "xaxis": {"showgrid": False, "zeroline": False},
    "yaxis": {"gridcolor": "#eeeeee", "zeroline": False},
})
pio.templates["pingan"] = TEMPLATE
pio.templates.default = "pingan"


def style(fig: go.Figure, title: str, *, height: int = 420, legend: bool = True) -> go.Figure:
    """Title as a sentence, system CJK font, quiet grid, legend on top (the default TEMPLATE), at a height."""
    fig.update_layout(title_text=title, height=height, showlegend=legend)
    return fig


def plain(text: str) -> str:
    """`text` shown as written in a plotly title, tick, legend or hover label (plotly renders a subset of HTML there:
    <a href> links, <b>, <br>, <span style>), for text a user or a file controls."""
    return html.escape(str(text), quote=False)


def plain_frame(df: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """`df` with its text values made `plain`, and plotly express `labels` that show each column name as written."""
    text = [c for c, t in df.schema.items() if t == pl.Utf8 or t == pl.Categorical]
    out = df.with_columns(pl.col(c).cast(pl.Utf8).str.replace_all("&", "&amp;", literal=True)
                          .str.replace_all("<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)
                          for c in text)
    return out, {c: plain(c) for c in df.columns}
