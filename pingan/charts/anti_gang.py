"""扫黑除恶 charts and labels: tallies by year and phase, per-10万 rankings, small multiples, phase ratios."""
from __future__ import annotations

import textwrap

import polars as pl
import plotly.graph_objects as go

from pingan import fmt, reference

from . import CATEGORICAL, NEUTRAL, TARGET, style

# The page's strings (Chinese first, English when the scope's language is 'en').
TEXT: dict[str, tuple[str, str]] = {
    "title": ("{name}扫黑除恶斗争成效", "Anti-gang campaign: {name}"),
    "phase": ("阶段", "Phase"),
    "phase_special": ("专项斗争({a}—{b}年)", "Special campaign ({a}–{b})"),
    "phase_routine": ("常态化({a}—{b}年)", "Routine phase ({a}–{b})"),
    "phase_all": ("全部({a}—{b}年)", "Whole campaign ({a}–{b})"),
    "phase_period": ("按侧栏期间", "Sidebar period"),
    "phase_rule": ("统计年份由上面的“阶段”决定,侧栏的期间在本页不参与统计;选“按侧栏期间”才按侧栏期间所跨的整年统计。",
                   "The phase above sets the years; the sidebar period is ignored here unless you pick "
                   "'sidebar period'."),
    "phase_help": ("扫黑除恶数据按年填报,文件也按阶段公布数字,所以本页以阶段为准(阶段优先于侧栏期间)。"
                   "选“按侧栏期间”时,取侧栏期间所跨的整年,并限于有数据的{a}—{b}年,例如 2022年第三季度按 2022 全年计。"
                   "逐年图始终显示全部年份,所选年份加底色。",
                   "Tallies are reported by year and the documents publish them by phase, so the phase wins over "
                   "the sidebar period. With 'sidebar period' the page counts the whole years the sidebar period "
                   "touches, within the data's {a}–{b} (2022Q3 counts as 2022). The by-year charts always show "
                   "every year and shade the selected ones."),
    "no_years": ("侧栏期间({p})与扫黑除恶数据的年份({a}—{b}年)没有交集。请调整侧栏期间或选择一个阶段。",
                 "The sidebar period ({p}) does not overlap the campaign data ({a}–{b}). Change the period or "
                 "pick a phase."),
    "no_data": ("所选地区没有扫黑除恶数据。", "No anti-gang data for this place."),
    "grp_gangs": ("打掉黑恶势力", "Gangs broken up"),
    "grp_cases": ("破案、抓人、追逃、追赃", "Cases, suspects, fugitives, assets"),
    "grp_umbrella": ("打伞破网与基层组织整顿", "Corruption, protection networks and grassroots Party organisations"),
    "hover_hint": ("将鼠标移到指标名旁的问号上,可看指标定义、每10万人数值,以及文件公开的数字和原文。",
                   "Hover over the question mark beside a name for its definition, the rate per 100k residents and the "
                   "published figure with its quote."),
    "pub_elsewhere": ("本地区的公开数字属于其他阶段:{phases}。切换阶段即可在数字旁看到原文。",
                      "This place's published figures belong to another phase: {phases}. Switch phase to see "
                      "them beside the counters."),
    "pub_delta": ("公开:{v} {mark}", "published: {v} {mark}"),
    "help_def": ("**定义**:{d}", "**Definition** (zh): {d}"),
    "help_rate": ("**每10万人**:{v}(2020年第七次全国人口普查常住人口 {p} 人)",
                  "**Per 100k residents**: {v} (2020 census population {p})"),
    "help_pub": ("**公开数字**:{v}({r},{period})", "**Published**: {v} ({r}, {period})"),
    "help_quote": ("原文:“{q}”", "Quote: “{q}”"),
    "help_match": ("仓库按同一地区、年份、口径汇总为 {w}:{m}", "The warehouse's sum for the same place, years and "
                   "definition is {w}: {m}"),
    "match_yes": ("与公开数字一致 ✓", "matches ✓"),
    "match_no": ("与公开数字不一致 ✗", "differs ✗"),
    "check_yes": ("✓ 一致", "✓ match"),
    "check_no": ("✗ 不一致", "✗ differs"),
    "help_nopub": ("本地区本阶段无公开数字。", "No published figure for this place and phase."),
    "table_tallies": ("明细表:各项战果、每10万人与公开数字", "Table: tallies, per 100k residents and published figures"),
    "sec_year": ("逐年战果与阶段", "By year and phase"),
    "sec_compare": ("公平比较:每10万人口", "Fair comparison: per 100k residents"),
    "sec_ratios": ("比值", "Ratios"),
    "pick_indicator": ("指标", "Indicator"),
    "compare_with": ("比较对象", "Compare"),
    "children": ("下级地区", "Sub-regions"),
    "peers": ("同级地区", "Peers"),
    "pop_note": ("每10万人 = 数量 ÷ 2020年第七次全国人口普查常住人口 × 100000;{years}合计。数量只有个位数时,"
                 "每10万人的数值受偶然因素影响大,请结合括号里的原始数量看。",
                 "Per 100k = count ÷ 2020 census resident population × 100,000; totals for {years}. Where the "
                 "counts are single digits the rate moves a lot by chance: read it with the raw count in brackets."),
    "pop_note_self": ("深色为本地区。", " The dark bar is this place."),
    "multiples": ("多项指标同时比较", "Several tallies at once"),
    "multiples_pick": ("小图指标", "Tallies in the small multiples"),
    "no_children": ("没有可比较的地区。", "No regions to compare."),
    "quotes_head": ("文件中的比值", "Ratios stated in the documents"),
    "quote_cannot": ("仓库暂时算不出这个比值:它需要{base}在{a}—{b}年(专项斗争之前的{n}年)的逐年数据,"
                     "而仓库的扫黑除恶数据从{first}年开始({held}/{n}年已有)。导入{a}—{b}年的同口径年度数据"
                     "(按县、按年)后,本页会自动计算:{p0}—{p1}年合计({pv}{unit})÷ {a}—{b}年合计。",
                     "The warehouse cannot compute this ratio yet: it needs {base} for {a}–{b} (the {n} years before "
                     "the campaign), and its anti-gang data start in {first} ({held} of {n} years held). Once those "
                     "yearly, county-level figures are imported the page computes it: the {p0}–{p1} total ({pv}) "
                     "÷ the {a}–{b} total."),
    "quote_can": ("仓库按同一口径计算为 {w} 倍(文件:{v} 倍)。", "The warehouse computes {w}× (document: {v}×)."),
    "no_quotes": ("本地区的文件没有使用“是前N年的几倍”这类比值;下面是仓库能算的比值。",
                  "This place's documents state no 'N times the prior years' ratio; below are the ratios the "
                  "warehouse can compute."),
    "phase_ratio_head": ("常态化与专项斗争:年均战果之比", "Routine vs special phase: yearly averages"),
    "ratios_head": ("所选年份的结构比值", "Ratios for the selected years"),
    "year_table": ("逐年明细表", "Table by year"),
    "rank_table": ("排名表", "Ranking table"),
    "phase_table": ("阶段对比表", "Phase comparison table"),
    "ratio_table": ("比值表", "Ratio table"),
    "ratio_help": ("= {num}({nv})÷ {den}({dv}),{years}合计。", "= {num} ({nv}) ÷ {den} ({dv}), totals for {years}."),
    "quote_table": ("文件比值表", "Document ratio table"),
    "q_prior_years": ("比较的前期年数", "Prior years compared"),
    "q_need_first_year": ("需要的起始年", "Needed from"),
    "q_need_last_year": ("需要的截止年", "Needed to"),
    "q_data_first_year": ("仓库数据起始年", "Data from"),
    "q_data_last_year": ("仓库数据截止年", "Data to"),
    "q_prior_years_held": ("已有前期年数", "Prior years held"),
    "q_period_value": ("期间合计", "Period total"),
    "cumulative": ("累计", "Cumulative"),
    # the phases' names: data/reference/campaign_phases.csv
    **{p: (zh, en) for p, zh, en in reference.campaign_phases().select("phase", "name_zh", "name_en").iter_rows()},
    "selected": ("所选年份", "Selected years"),
    "year": ("年份", "Year"),
}

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


def tr(key: str, lang: str, **kw) -> str:
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


def phase_years(by_year: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """First and last year of each phase as the data has them, plus the whole campaign."""
    spans = by_year.group_by("phase").agg(pl.col("year").min().alias("a"), pl.col("year").max().alias("b"))
    out = {r["phase"]: (r["a"], r["b"]) for r in spans.iter_rows(named=True)}
    out["all"] = (int(by_year["year"].min()), int(by_year["year"].max()))
    return out


def phase_label(phase: str, spans: dict[str, tuple[int, int]], lang: str) -> str:
    if phase in spans:
        a, b = spans[phase]
        return tr(f"phase_{phase}", lang, a=a, b=b)
    return tr("phase_period", lang)


def unit_label(unit: str, lang: str) -> str:
    return unit if lang == "zh" else UNIT_EN.get(unit, unit)


def money_scale(max_abs: float, lang: str) -> tuple[float, str]:
    """The divisor and unit that keep a yuan amount readable: 亿元, 万元 or 元."""
    if max_abs >= 1e8:
        return 1e8, "亿元" if lang == "zh" else "100m yuan"
    if max_abs >= 1e4:
        return 1e4, "万元" if lang == "zh" else "10k yuan"
    return 1.0, "元" if lang == "zh" else "yuan"


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
        return f"{v / 1e4:,.2f}万元/10万人" if lang == "zh" else f"{v / 1e4:,.2f} 10k yuan per 100k"
    return f"{v:,.2f}{unit}/10万人" if lang == "zh" else f"{v:,.2f} {UNIT_EN.get(unit, unit)} per 100k".replace("  ", " ")


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
        for anchor, text in (("right", f"◀ {tr('special', lang)} "), ("left", f" {tr('routine', lang)} ▶")):
            notes.append({"x": boundary, "y": 1.0, "xref": "x", "yref": "paper", "xanchor": anchor,
                          "yanchor": "bottom", "showarrow": False, "text": text,
                          "font": {"size": 12, "color": TARGET}})
    xaxis = {"tickmode": "array", "tickvals": years, "range": [lo - 0.6, hi + 0.6],
             "ticktext": [str(y) if lang == "en" else f"{y}年" for y in years]}
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
                     "hovertemplate": "%{x}: " + tr("cumulative", lang) + " %{y:,}" + unit + f"<extra>{name}</extra>"})
    tot = by_year.filter(pl.col("indicator") == "ag_gang_total").sort("year")
    data.append({"type": "scatter", "x": tot["year"].to_list(), "y": tot["cumulative_value"].to_list(), "yaxis": "y2",
                 "mode": "lines+markers+text",
                 "name": f"{tr('cumulative', lang)}:{tot[name_col][0]}" if lang == "zh"
                 else f"{tr('cumulative', lang)}: {tot[name_col][0]}",
                 "text": [f"{v:,}" for v in tot["cumulative_value"].to_list()], "textposition": "top center",
                 "cliponaxis": False, "line": {"color": "#000000", "width": 2.5}, "marker": {"size": 7},
                 "hovertemplate": "%{x}: %{y:,}" + unit + "<extra>%{fullData.name}</extra>"})
    per = {p: tot.filter(pl.col("phase") == p)["value"].sum() for p in ("special", "routine")}
    marks = _phase_marks(boundary_of(spans), years, selected, lang)
    if lang == "zh":
        title = (f"专项斗争期间打掉黑恶团伙{per['special']:,}个,常态化以来{per['routine']:,}个,"
                 f"累计{tot['value'].sum():,}个")
        return _two_panel_figure(data, marks, "当年打掉(个)", "累计(个)", title, barmode="stack")
    title = (f"{per['special']:,} gangs broken up in the special campaign, {per['routine']:,} since it became "
             f"routine, {tot['value'].sum():,} in all")
    return _two_panel_figure(data, marks, "Broken up in the year", "Cumulative", title, barmode="stack")


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
        data.append({"type": "bar", "x": p["year"].to_list(), "y": ys, "name": tr(phase, lang),
                     "marker": {"color": PHASE_COLOUR[phase]}, "text": [_num(v) for v in ys],
                     "textposition": "outside", "cliponaxis": False, "hovertemplate": hover})
    cum = [v / div for v in d["cumulative_value"].to_list()]
    data.append({"type": "scatter", "x": d["year"].to_list(), "y": cum, "yaxis": "y2", "mode": "lines+markers+text",
                 "name": tr("cumulative", lang), "text": [_num(v) for v in cum], "textposition": "top center",
                 "cliponaxis": False, "line": {"color": "#000000", "width": 2.5}, "marker": {"size": 7},
                 "hovertemplate": hover})
    marks = _phase_marks(boundary_of(spans), d["year"].to_list(), selected, lang)
    if lang == "zh":
        title = (f"{name}:专项斗争年均{_avg_text(avg['special'], unit, lang)},"
                 f"常态化年均{_avg_text(avg['routine'], unit, lang)}")
        return _two_panel_figure(data, marks, f"当年({ulab})", f"累计({ulab})", title)
    title = (f"{name}: {_avg_text(avg['special'], unit, lang)} a year in the special campaign, "
             f"{_avg_text(avg['routine'], unit, lang)} a year since")
    return _two_panel_figure(data, marks, f"In the year ({ulab})", f"Cumulative ({ulab})", title)


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
    div, ulab = (1e4, "万元" if lang == "zh" else "10k yuan") if unit == "元" else (1.0, unit_label(unit, lang))
    rates = [None if v is None else v / div for v in d["per_100k"].to_list()]
    labels = d["short_name"].to_list() if lang == "zh" else [f"{n} ({c})" for n, c in zip(d["short_name"], d["code"])]
    raw = [value_text(v, unit, lang) for v in d["value"].to_list()]
    top, bottom = d["short_name"][-1], d["short_name"][0]
    ties = d.filter(pl.col("per_100k") == d["per_100k"].min()).height
    if ties > 1:
        bottom = f"{ties}地并列" if lang == "zh" else f"{ties} places tie"
    if lang == "zh":
        title = f"每10万人{name}:{top}最高,{bottom}最低"
        xlab = f"每10万人({ulab})"
        text = [f"{r:,.2f}(共{w})" for r, w in zip(rates, raw)]
        hover = "%{y}: %{x:,.2f}" + ulab + "/10万人 · %{customdata}<extra></extra>"
    else:
        title = f"{name} per 100k residents: highest in {top}, lowest in {bottom}"
        xlab = f"Per 100k residents ({ulab})".replace(" ()", "")
        text = [f"{r:,.2f} ({w})" for r, w in zip(rates, raw)]
        hover = "%{y}: %{x:,.2f} " + ulab + " per 100k · %{customdata}<extra></extra>"
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
        div = 1e4 if unit == "元" else 1.0
        ulab = ("万元" if lang == "zh" else "10k yuan") if unit == "元" else unit_label(unit, lang)
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
                      "text": wrap(d[name_col][0], 8) + (f"<br>({ulab}/10万人)" if lang == "zh"
                                                         else f"<br>({ulab} per 100k)".replace("( ", "("))})
    layout["annotations"] = notes
    order_name = rank.filter(pl.col("indicator") == order_code)[name_col][0]
    title = (f"多项战果每10万人对比:地区按“{order_name}”排序" if lang == "zh"
             else f"Several tallies per 100k residents, regions ordered by {order_name}")
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
    if lang == "zh":
        lead = (f"常态化以来年均打掉黑恶团伙为专项斗争年均的{100 * gang['routine_vs_special'][0]:.0f}%"
                if gang.height else "常态化以来年均战果与专项斗争年均之比")
        title = f"{lead}({r0}—{r1}年 对 {s0}—{s1}年)"
        xlab = "常态化年均 ÷ 专项斗争年均(%,虚线为100%)"
    else:
        lead = (f"Since {r0} the yearly number of gangs broken up is {100 * gang['routine_vs_special'][0]:.0f}% "
                "of the special campaign's" if gang.height else "Routine vs special yearly averages")
        title = f"{lead} ({r0}–{r1} vs {s0}–{s1})"
        xlab = "Routine yearly average ÷ special yearly average (%, dashed = 100%)"
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
