"""Plotly charts in the house style; one module per domain beside this one (charts/disputes.py …)."""
from __future__ import annotations

import plotly.graph_objects as go

# System CJK fonts only (no web fonts: the users' network is air-gapped).
FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL = "Blues"
GOOD, BAD, NEUTRAL, TARGET = "#009E73", "#D55E00", "#7f8c8d", "#444444"


def style(fig: go.Figure, title: str, *, height: int = 420, legend: bool = True) -> go.Figure:
    """Title as a sentence, system CJK font, quiet grid, legend on top."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT_FAMILY, "size": 13},
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0, "title": None},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        separators=".,",
    )
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(gridcolor="#eeeeee", zeroline=False)
    return fig
