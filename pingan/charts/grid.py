"""Charts of the grid-coverage page: sub-regions ranked on one indicator, and the gaps counted per county."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from . import BAD, CATEGORICAL, NEUTRAL, TARGET, style


def ranked_bars(df: pl.DataFrame, value_col: str, name_col: str, title: str, unit: str, *,
                scope_value: float | None = None, scope_label: str = "", target: float | None = None,
                target_label: str = "", higher_is_better: bool = True, digits: int = 1,
                max_rows: int = 30) -> go.Figure:
    """Horizontal bars, best at the top, with the place's own figure and the target as lines.

    More than `max_rows` regions: the best and the worst halves (the table beside it lists them all)."""
    d = df.filter(pl.col(value_col).is_not_null()).sort(value_col, descending=higher_is_better)
    if d.height > max_rows:
        d = pl.concat([d.head(max_rows // 2), d.tail(max_rows // 2)])
    d = d.reverse()  # plotly draws the first row at the bottom
    below = [target is not None and ((v < target) if higher_is_better else (v > target))
             for v in d[value_col].to_list()]
    colours = [BAD if b else CATEGORICAL[0] for b in below]
    fig = go.Figure(go.Bar(
        x=d[value_col].to_list(), y=d[name_col].to_list(), orientation="h", marker_color=colours,
        text=[f"{v:,.{digits}f}" for v in d[value_col].to_list()], textposition="outside", cliponaxis=False,
        hovertemplate=f"%{{y}}: %{{x:,.{digits}f}} {unit}<extra></extra>"))
    if scope_value is not None:
        fig.add_vline(x=scope_value, line_dash="dash", line_color=NEUTRAL,
                      annotation_text=f"{scope_label} {scope_value:,.{digits}f}", annotation_position="top")
    if target is not None:
        fig.add_vline(x=target, line_color=TARGET, annotation_text=target_label, annotation_position="bottom")
    height = max(260, 22 * d.height + 110)
    style(fig, title, height=height, legend=False)
    fig.update_xaxes(title_text=unit, showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(showgrid=False, automargin=True)
    return fig


def gaps_by_county(df: pl.DataFrame, name_col: str, series: list[tuple[str, str]], title: str,
                   unit: str, max_rows: int = 20) -> go.Figure:
    """Grouped horizontal bars of gap counts per county (largest first); series: (column, label)."""
    first = series[0][0]
    d = df.sort(first, descending=True).head(max_rows).reverse()
    fig = go.Figure()
    for i, (col, label) in enumerate(series):
        fig.add_trace(go.Bar(x=d[col].to_list(), y=d[name_col].to_list(), orientation="h", name=label,
                             marker_color=CATEGORICAL[(i + 3) % len(CATEGORICAL)],
                             hovertemplate=f"%{{y}} · {label}: %{{x:,}} {unit}<extra></extra>"))
    style(fig, title, height=max(280, 26 * d.height * len(series) // 2 + 120))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=unit, showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(automargin=True)
    return fig
