"""扫黑除恶 charts and labels: tallies by year and phase, per-10万 rankings, small multiples, phase ratios."""
from __future__ import annotations

import textwrap

import polars as pl
import plotly.graph_objects as go

from pingan import fmt, reference
from pingan.i18n import Texts

from . import CATEGORICAL, NEUTRAL, TARGET, style

# The strings the charts draw themselves (titles, axes, legends); the page's own are in pingan/views/anti_gang.py.
TEXT = Texts({
    "phase_special": ("专项斗争({a}—{b}年)", "Special campaign ({a}–{b})"),
    "phase_routine": ("常态化({a}—{b}年)", "Routine phase ({a}–{b})"),
    "phase_all": ("全部({a}—{b}年)", "Whole campaign ({a}–{b})"),
    "phase_period": ("按侧栏期间", "Sidebar period"),
    "cumulative": ("累计", "Cumulative"),
    # the phases' names: data/reference/campaign_phases.csv
    **{p: (zh, en) for p, zh, en in reference.campaign_phases().select("phase", "name_zh", "name_en").iter_rows()},
    "u_yi": ("亿元", "100m yuan"), "u_wan": ("万元", "10k yuan"), "u_yuan": ("元", "yuan"),
    "rate_money": ("{v:,.2f}万元/10万人", "{v:,.2f} 10k yuan per 100k"),
    "rate_unit": ("{v:,.2f}{unit}/10万人", "{v:,.2f} {unit} per 100k"),
    "year_tick": ("{y}年", "{y}"),
    "cum_name": ("{c}:{n}", "{c}: {n}"),
    "gangs_title": ("专项斗争期间打掉黑恶团伙{s:,}个,常态化以来{r:,}个,累计{a:,}个",
                    "{s:,} gangs broken up in the special campaign, {r:,} since it became routine, {a:,} in all"),
    "gangs_axis": ("当年打掉(个)", "Broken up in the year"),
    "gangs_axis_cum": ("累计(个)", "Cumulative"),
    "ind_title": ("{name}:专项斗争年均{s},常态化年均{r}",
                  "{name}: {s} a year in the special campaign, {r} a year since"),
    "ind_axis": ("当年({u})", "In the year ({u})"),
    "ind_axis_cum": ("累计({u})", "Cumulative ({u})"),
    "rank_label": ("{n}", "{n} ({c})"),
    "rank_ties": ("{k}地并列", "{k} places tie"),
    "rank_title": ("每10万人{name}:{top}最高,{bottom}最低",
                   "{name} per 100k residents: highest in {top}, lowest in {bottom}"),
    "rank_axis": ("每10万人({u})", "Per 100k residents ({u})"),
    "rank_text": ("{r:,.2f}(共{w})", "{r:,.2f} ({w})"),
    "rank_hover": ("%{{y}}: %{{x:,.2f}}{u}/10万人 · %{{customdata}}<extra></extra>",
                   "%{{y}}: %{{x:,.2f}} {u} per 100k · %{{customdata}}<extra></extra>"),
    "facet_unit": ("<br>({u}/10万人)", "<br>({u} per 100k)"),
    "multiples_title": ("多项战果每10万人对比:地区按“{name}”排序",
                        "Several tallies per 100k residents, regions ordered by {name}"),
    "ratio_lead": ("常态化以来年均打掉黑恶团伙为专项斗争年均的{p:.0f}%",
                   "Since {r0} the yearly number of gangs broken up is {p:.0f}% of the special campaign's"),
    "ratio_lead_none": ("常态化以来年均战果与专项斗争年均之比", "Routine vs special yearly averages"),
    "ratio_title": ("{lead}({r0}—{r1}年 对 {s0}—{s1}年)", "{lead} ({r0}–{r1} vs {s0}–{s1})"),
    "ratio_axis": ("常态化年均 ÷ 专项斗争年均(%,虚线为100%)",
                   "Routine yearly average ÷ special yearly average (%, dashed = 100%)"),
})

GANG_PARTS = list(reference.parts_of("sum")["ag_gang_total"])  # data/reference/indicator_parts.csv
COUNTER_GROUPS = [
    ("grp_gangs", ["ag_black_org", "ag_evil_group", "ag_evil_gang", "ag_evil_group_gang", "ag_gang_total"]),
    ("grp_cases", ["ag_criminal_cases", "ag_suspects", "ag_fugitives", "ag_assets_yuan"]),
    ("grp_umbrella", ["ag_umbrella_cases", "ag_umbrella_people", "ag_disciplined", "ag_transferred",
                      "ag_weak_party_orgs"]),
]
MULTIPLES_DEFAULT = ["ag_gang_total", "ag_criminal_cases", "ag_suspects", "ag_assets_yuan", "ag_umbrella_cases",
                     "ag_disciplined"]
UNIT_EN = {"个": "", "起": "cases", "人": "people", "件": "cases", "元": "yuan"}
PHASE_COLOUR = {"special": CATEGORICAL[0], "routine": CATEGORICAL[1]}
# Long indicator names (涉黑涉恶腐败和“保护伞”处理人数) wrap instead of being cut off, and the values shrink a
# little so that 1,555.58亿元 fits a fifth of the page. Scoped to the containers keyed ag_counters*.
_COUNTER_CSS = """<style>
[class*="st-key-ag_counters"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {
    white-space: normal; overflow: visible; text-overflow: clip; line-height: 1.3; }
[class*="st-key-ag_counters"] [data-testid="stMetricLabel"] { min-height: %(label)s; align-items: flex-start; }
[class*="st-key-ag_counters"] [data-testid="stMetricValue"] { font-size: %(value)s; }
[class*="st-key-ag_counters"] [data-testid="stMarkdownContainer"] p strong { font-size: 1.05rem; }
</style>"""


def counter_css(lang: str) -> str:
    """English names run to three lines and English units are longer: more label room, smaller values."""
    return _COUNTER_CSS % ({"label": "2.7em", "value": "1.9rem"} if lang == "zh"
                           else {"label": "4em", "value": "1.5rem"})


def phase_years(by_year: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """First and last year of each phase as the data has them, plus the whole campaign."""
    spans = by_year.group_by("phase").agg(pl.col("year").min().alias("a"), pl.col("year").max().alias("b"))
    out = {r["phase"]: (r["a"], r["b"]) for r in spans.iter_rows(named=True)}
    out["all"] = (int(by_year["year"].min()), int(by_year["year"].max()))
    return out


def phase_label(phase: str, spans: dict[str, tuple[int, int]], lang: str) -> str:
    if phase in spans:
        a, b = spans[phase]
        return TEXT(f"phase_{phase}", lang, a=a, b=b)
    return TEXT("phase_period", lang)


def unit_label(unit: str, lang: str) -> str:
    return unit if lang == "zh" else UNIT_EN.get(unit, unit)


def money_scale(max_abs: float, lang: str) -> tuple[float, str]:
    """The divisor and unit that keep a yuan amount readable: 亿元, 万元 or 元."""
    if max_abs >= 1e8:
        return 1e8, TEXT("u_yi", lang)
    if max_abs >= 1e4:
        return 1e4, TEXT("u_wan", lang)
    return 1.0, TEXT("u_yuan", lang)


def per_100k_scale(unit: str, lang: str) -> tuple[float, str]:
    """Rates per 10万 residents state money in 万元, other tallies in their own unit."""
    return money_scale(1e4, lang) if unit == "元" else (1.0, unit_label(unit, lang))


def scale_for(unit: str, values, lang: str) -> tuple[float, str]:
    """Divisor and unit label for a series of values in the catalog's unit."""
    if unit == "元":
        vals = [abs(float(v)) for v in values if v is not None]
        return money_scale(max(vals, default=0.0), lang)
    return 1.0, unit_label(unit, lang)


def yuan_rows_in_wan(df: pl.DataFrame, columns: list[str], lang: str) -> pl.DataFrame:
    """Tables that mix units state money in 万元: rows whose unit is 元 are divided by 10,000."""
    money = pl.col("unit") == "元"
    return df.with_columns(
        *[pl.when(money).then(pl.col(c) / 1e4).otherwise(pl.col(c)).alias(c) for c in columns],
        pl.when(money).then(pl.lit(money_scale(1e4, lang)[1])).otherwise(pl.col("unit")).alias("unit"))


def ratio_text(v, unit: str) -> str:
    """A ratio with its unit: 22.6%, 1.55 人/件, 3,835 万元/个."""
    if v is None:
        return "—"
    if unit == "%":
        return f"{v:,.1f}%"
    return f"{v:,.0f} {unit}" if abs(v) >= 100 else f"{v:,.2f} {unit}"


def value_text(v, unit: str, lang: str) -> str:
    """One tally as a leader reads it: 7.16亿元, 13,700人, 166个."""
    if lang == "zh":
        return fmt.value(v, unit, "zh")
    return fmt.count_en(v, UNIT_EN.get(unit, unit))


def rate_text(v, unit: str, lang: str) -> str:
    """A per-10万 rate with its unit (money in 万元)."""
    if v is None:
        return "—"
    if unit == "元":
        return TEXT("rate_money", lang, v=v / 1e4)
    return TEXT("rate_unit", lang, v=v, unit=unit_label(unit, lang)).replace("  ", " ")


def published_text(pub: dict, lang: str) -> str:
    """A published figure as the document writes it: 约51亿元, 5000余起."""
    v = value_text(pub["published_value"], pub["unit"], lang) if lang == "zh" or pub["unit"] == "元" \
        else fmt.count_en(pub["published_value"])
    return fmt.with_qualifier(v, pub["unit"], pub["qualifier"], lang)


def wrap(text: str, width: int) -> str:
    """Break a long label into lines for a narrow facet title: Chinese every `width` characters, English at
    spaces every 2×`width`."""
    if " " in text:
        return "<br>".join(textwrap.wrap(text, 2 * width))
    if len(text) <= width:
        return text
    return "<br>".join(text[i:i + width] for i in range(0, len(text), width))


# The figures are built as one data list and one layout dict, then styled: every add_shape/update_layout call
# on a plotly Figure re-validates the layout, and a handful of them cost more than the page's queries.

def _phase_marks(boundary: float | None, years: list[int], selected: tuple[int, int],
                 lang: str) -> tuple[list[dict], list[dict], dict]:
    """Shapes, annotations and x axis that shade the selected years and mark 专项斗争 | 常态化 (both panels)."""
    lo, hi = min(years), max(years)
    shapes, notes = [], []
    if selected != (lo, hi):
        shapes.append({"type": "rect", "x0": selected[0] - 0.5, "x1": selected[1] + 0.5, "y0": 0, "y1": 1,
                       "xref": "x", "yref": "paper", "fillcolor": "#f0f0f0", "line": {"width": 0},
                       "layer": "below"})
    if boundary is not None:
        shapes.append({"type": "line", "x0": boundary, "x1": boundary, "y0": 0, "y1": 1, "xref": "x",
                       "yref": "paper", "line": {"dash": "dash", "color": TARGET, "width": 1}})
        for anchor, text in (("right", f"◀ {TEXT('special', lang)} "), ("left", f" {TEXT('routine', lang)} ▶")):
            notes.append({"x": boundary, "y": 1.0, "xref": "x", "yref": "paper", "xanchor": anchor,
                          "yanchor": "bottom", "showarrow": False, "text": text,
                          "font": {"size": 12, "color": TARGET}})
    xaxis = {"tickmode": "array", "tickvals": years, "range": [lo - 0.6, hi + 0.6],
             "ticktext": [TEXT("year_tick", lang, y=y) for y in years]}
    return shapes, notes, xaxis


def _two_panel_figure(data: list[dict], marks: tuple, bottom_title: str, top_title: str, title: str,
                      barmode: str | None = None) -> go.Figure:
    """Yearly bars below, the running total above, one shared year axis (cheaper than make_subplots)."""
    shapes, notes, xaxis = marks
    top = max([max((v for v in t["y"] if v is not None), default=0) for t in data if t.get("yaxis") == "y2"] + [1])
    layout = {
        "xaxis": xaxis,
        "yaxis": {"domain": [0.0, 0.6], "title": {"text": bottom_title}, "rangemode": "tozero",
                  "tickformat": ",~r"},
        "yaxis2": {"domain": [0.7, 1.0], "anchor": "x", "title": {"text": top_title}, "range": [0, 1.25 * top],
                   "tickformat": ",~r"},
        "shapes": shapes, "annotations": notes,
        "uniformtext": {"minsize": 10, "mode": "hide"},
        "barmode": barmode,
    }
    fig = style(go.Figure(data=data, layout=layout), title, height=500)
    fig.update_layout(margin={"t": 70, "b": 40},
                      legend={"y": -0.1, "yanchor": "top", "x": 0.5, "xanchor": "center", "traceorder": "normal"})
    return fig


def boundary_of(spans: dict[str, tuple[int, int]]) -> float | None:
    if "special" in spans and "routine" in spans:
        return (spans["special"][1] + spans["routine"][0]) / 2
    return None


def by_year_gangs(by_year: pl.DataFrame, spans: dict, selected: tuple[int, int], lang: str) -> go.Figure:
    """Stacked bars of 涉黑组织, 涉恶犯罪集团, 涉恶团伙 by year; above them the running totals."""
    name_col = "name_zh" if lang == "zh" else "name_en"
    years = sorted(by_year["year"].unique().to_list())
    unit = unit_label("个", lang)
    data = []
    for i, code in enumerate(GANG_PARTS):
        d = by_year.filter(pl.col("indicator") == code).sort("year")
        if d.height == 0:
            continue
        name = d[name_col][0]
        data.append({"type": "bar", "x": d["year"].to_list(), "y": d["value"].to_list(), "name": name,
                     "marker": {"color": CATEGORICAL[i]}, "text": d["value"].to_list(), "textposition": "inside",
                     "insidetextanchor": "middle", "textangle": 0, "legendgroup": code,
                     "hovertemplate": "%{x}: %{y:,}" + unit + "<extra>%{fullData.name}</extra>"})
        data.append({"type": "scatter", "x": d["year"].to_list(), "y": d["cumulative_value"].to_list(),
                     "yaxis": "y2", "mode": "lines+markers", "line": {"color": CATEGORICAL[i], "width": 1.5},
                     "marker": {"size": 5}, "legendgroup": code, "showlegend": False,
                     "hovertemplate": "%{x}: " + TEXT("cumulative", lang) + " %{y:,}" + unit + f"<extra>{name}</extra>"})
    tot = by_year.filter(pl.col("indicator") == "ag_gang_total").sort("year")
    data.append({"type": "scatter", "x": tot["year"].to_list(), "y": tot["cumulative_value"].to_list(), "yaxis": "y2",
                 "mode": "lines+markers+text",
                 "name": TEXT("cum_name", lang, c=TEXT("cumulative", lang), n=tot[name_col][0]),
                 "text": [f"{v:,}" for v in tot["cumulative_value"].to_list()], "textposition": "top center",
                 "cliponaxis": False, "line": {"color": "#000000", "width": 2.5}, "marker": {"size": 7},
                 "hovertemplate": "%{x}: %{y:,}" + unit + "<extra>%{fullData.name}</extra>"})
    per = {p: tot.filter(pl.col("phase") == p)["value"].sum() for p in ("special", "routine")}
    marks = _phase_marks(boundary_of(spans), years, selected, lang)
    title = TEXT("gangs_title", lang, s=per["special"], r=per["routine"], a=tot["value"].sum())
    return _two_panel_figure(data, marks, TEXT("gangs_axis", lang), TEXT("gangs_axis_cum", lang), title,
                             barmode="stack")


def _avg_text(v, unit: str, lang: str) -> str:
    """A yearly average: whole numbers from 10 up (约4,633起), one decimal below."""
    if v is None:
        return "—"
    if unit != "元" and abs(v) >= 10:
        v = round(v)
    elif unit != "元":
        v = round(v, 1)
    return value_text(v, unit, lang)


def by_year_indicator(by_year: pl.DataFrame, code: str, spans: dict, selected: tuple[int, int],
                      lang: str) -> go.Figure:
    """One tally by year, bars coloured by phase; above them its running total."""
    d = by_year.filter(pl.col("indicator") == code).sort("year")
    name = d["name_zh" if lang == "zh" else "name_en"][0]
    unit = d["unit"][0]
    div, ulab = scale_for(unit, d["cumulative_value"].to_list(), lang)
    hover = "%{x}: %{y:,.2f}" + ulab + "<extra>%{fullData.name}</extra>"
    data, avg = [], {}
    for phase in ("special", "routine"):
        p = d.filter(pl.col("phase") == phase)
        avg[phase] = p["value"].sum() / p.height if p.height else None
        if p.height == 0:
            continue
        ys = [v / div for v in p["value"].to_list()]
        data.append({"type": "bar", "x": p["year"].to_list(), "y": ys, "name": TEXT(phase, lang),
                     "marker": {"color": PHASE_COLOUR[phase]}, "text": [_num(v) for v in ys],
                     "textposition": "outside", "cliponaxis": False, "hovertemplate": hover})
    cum = [v / div for v in d["cumulative_value"].to_list()]
    data.append({"type": "scatter", "x": d["year"].to_list(), "y": cum, "yaxis": "y2", "mode": "lines+markers+text",
                 "name": TEXT("cumulative", lang), "text": [_num(v) for v in cum], "textposition": "top center",
                 "cliponaxis": False, "line": {"color": "#000000", "width": 2.5}, "marker": {"size": 7},
                 "hovertemplate": hover})
    marks = _phase_marks(boundary_of(spans), d["year"].to_list(), selected, lang)
    title = TEXT("ind_title", lang, name=name, s=_avg_text(avg["special"], unit, lang),
                 r=_avg_text(avg["routine"], unit, lang))
    return _two_panel_figure(data, marks, TEXT("ind_axis", lang, u=ulab), TEXT("ind_axis_cum", lang, u=ulab), title)


def _num(v: float) -> str:
    if v is None:
        return ""
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.2f}"


def _bar_colours(codes: list[str], highlight: str) -> list[str]:
    """This place dark, the others light; all dark when this place is not among them (its sub-regions)."""
    if highlight not in codes:
        return [CATEGORICAL[0]] * len(codes)
    return [CATEGORICAL[0] if c == highlight else "#9ecae1" for c in codes]


def ranking_bars(rank: pl.DataFrame, code: str, highlight: str, lang: str) -> go.Figure:
    """Regions ranked by one tally per 10万 residents, the raw count printed beside each bar."""
    d = rank.filter(pl.col("indicator") == code).sort("per_100k", descending=False, nulls_last=False)
    name = d["name_zh" if lang == "zh" else "name_en"][0]
    unit = d["unit"][0]
    div, ulab = per_100k_scale(unit, lang)
    rates = [None if v is None else v / div for v in d["per_100k"].to_list()]
    labels = [TEXT("rank_label", lang, n=n, c=c) for n, c in zip(d["short_name"], d["code"])]
    raw = [value_text(v, unit, lang) for v in d["value"].to_list()]
    top, bottom = d["short_name"][-1], d["short_name"][0]
    ties = d.filter(pl.col("per_100k") == d["per_100k"].min()).height
    if ties > 1:
        bottom = TEXT("rank_ties", lang, k=ties)
    title = TEXT("rank_title", lang, name=name, top=top, bottom=bottom)
    xlab = TEXT("rank_axis", lang, u=ulab).replace(" ()", "")
    text = [TEXT("rank_text", lang, r=r, w=w) for r, w in zip(rates, raw)]
    hover = TEXT("rank_hover", lang, u=ulab)
    xmax = max([r for r in rates if r is not None], default=1.0) or 1.0
    data = [{"type": "bar", "x": rates, "y": labels, "orientation": "h",
             "marker": {"color": _bar_colours(d["code"].to_list(), highlight)}, "text": text,
             "textposition": "outside", "cliponaxis": False, "customdata": raw, "hovertemplate": hover}]
    layout = {"xaxis": {"title": {"text": xlab}, "range": [0, xmax * 1.35], "showgrid": True},
              "yaxis": {"automargin": True}}
    fig = style(go.Figure(data=data, layout=layout), title, height=max(320, 28 * d.height + 110), legend=False)
    fig.update_layout(xaxis={"showgrid": True, "gridcolor": "#eeeeee"}, yaxis={"showgrid": False})
    return fig


def small_multiples(rank: pl.DataFrame, codes: list[str], order_code: str, highlight: str,
                    lang: str) -> go.Figure:
    """Several tallies per 10万 residents side by side, regions in the order of the ranking tally."""
    order = (rank.filter(pl.col("indicator") == order_code)
             .sort("per_100k", descending=False, nulls_last=False)["code"].to_list())
    names = dict(zip(rank["code"].to_list(), rank["short_name"].to_list()))
    name_col = "name_zh" if lang == "zh" else "name_en"
    colours = _bar_colours(order, highlight)
    gap, n = 0.02, len(codes)
    width = (1.0 - gap * (n - 1)) / n
    data, notes = [], []
    layout = {"yaxis": {"automargin": True}}
    for i, code in enumerate(codes):
        d = rank.filter(pl.col("indicator") == code)
        unit = d["unit"][0]
        div, ulab = per_100k_scale(unit, lang)
        by_code = dict(zip(d["code"].to_list(), d["per_100k"].to_list()))
        data.append({"type": "bar", "orientation": "h", "xaxis": "x" if i == 0 else f"x{i + 1}", "yaxis": "y",
                     "x": [None if by_code.get(c) is None else by_code[c] / div for c in order],
                     "y": [names[c] for c in order], "marker": {"color": colours},
                     "hovertemplate": "%{y}: %{x:,.2f}" + ulab + "<extra>" + d[name_col][0] + "</extra>"})
        x0 = i * (width + gap)
        layout["xaxis" if i == 0 else f"xaxis{i + 1}"] = {
            "domain": [x0, x0 + width], "anchor": "y", "nticks": 3, "showgrid": True, "rangemode": "tozero"}
        notes.append({"x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": 12},
                      "text": wrap(d[name_col][0], 8) + TEXT("facet_unit", lang, u=ulab).replace("( ", "(")})
    layout["annotations"] = notes
    order_name = rank.filter(pl.col("indicator") == order_code)[name_col][0]
    title = TEXT("multiples_title", lang, name=order_name)
    fig = style(go.Figure(data=data, layout=layout), title, height=max(380, 24 * len(order) + 200), legend=False)
    fig.update_layout(margin={"t": 130}, yaxis={"showgrid": False})
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee")
    return fig


def phase_ratio_bars(phase: pl.DataFrame, lang: str) -> go.Figure:
    """常态化 yearly average as a share of the 专项斗争 yearly average, per tally."""
    d = phase.filter(pl.col("routine_vs_special").is_not_null()).sort("routine_vs_special")
    name_col = "name_zh" if lang == "zh" else "name_en"
    pct = [100 * v for v in d["routine_vs_special"].to_list()]
    gang = d.filter(pl.col("indicator") == "ag_gang_total")
    s0, s1 = d["special_first_year"][0], d["special_last_year"][0]
    r0, r1 = d["routine_first_year"][0], d["routine_last_year"][0]
    lead = TEXT("ratio_lead", lang, p=100 * gang["routine_vs_special"][0], r0=r0) if gang.height \
        else TEXT("ratio_lead_none", lang)
    title = TEXT("ratio_title", lang, lead=lead, r0=r0, r1=r1, s0=s0, s1=s1)
    xlab = TEXT("ratio_axis", lang)
    data = [{"type": "bar", "x": pct, "y": d[name_col].to_list(), "orientation": "h",
             "marker": {"color": CATEGORICAL[1]}, "text": [f"{v:.0f}%" for v in pct], "textposition": "outside",
             "cliponaxis": False, "hovertemplate": "%{y}: %{x:.1f}%<extra></extra>"}]
    layout = {"xaxis": {"title": {"text": xlab}, "range": [0, max(pct + [100]) * 1.2], "showgrid": True},
              "yaxis": {"automargin": True},
              "shapes": [{"type": "line", "x0": 100, "x1": 100, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                          "line": {"dash": "dash", "color": NEUTRAL}}]}
    fig = style(go.Figure(data=data, layout=layout), title, height=max(320, 26 * d.height + 110), legend=False)
    fig.update_layout(xaxis={"showgrid": True, "gridcolor": "#eeeeee"}, yaxis={"showgrid": False})
    return fig
