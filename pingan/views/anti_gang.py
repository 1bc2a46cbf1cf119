"""View model of 扫黑除恶 (pages/anti_gang.py): campaign tallies by phase (专项斗争 / 常态化), year and region,
per 10万 residents, and ratios, as frames, figures and sentences.

The phase decides the years: 专项斗争, 常态化 and 全部 override the sidebar period (the tallies are annual and the
documents publish them by phase); "按侧栏期间" counts the whole years the sidebar period touches. `phases(scope)`
gives the phase choice, `build(scope, phase)` the page, `ranking` / `ranking_detail` / `multiples` the fair
comparison for the page's choices, `calls` the queries `build` runs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import plotly.graph_objects as go
import polars as pl

from .. import periods, queries
from ..charts import anti_gang as agc
from ..i18n import Texts
from ..scope import Scope

TEXT = Texts({
    "title": ("{name}扫黑除恶斗争成效", "Anti-gang campaign: {name}"),
    "phase": ("阶段", "Phase"),
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
    "selected": ("所选年份", "Selected years"),
    "year": ("年份", "Year"),
    "ratios_title": ("{head}({years})", "{head} ({years})"),
    "quote_line": ("> “{q}” —— {r},{p}", "> “{q}” — {r}, {p}"),
    # table columns
    "c_code": ("指标代码", "Code"), "c_indicator": ("指标", "Indicator"), "c_unit": ("单位", "Unit"),
    "c_total": ("{years}合计(按单位)", "Total {years} (unit)"),
    "c_per_100k": ("每10万人(按单位)", "Per 100k residents (unit)"),
    "c_published": ("公开数字(按单位)", "Published (unit)"), "c_qualifier": ("限定", "Qualifier"),
    "c_check": ("核对", "Check"), "c_quote": ("原文", "Quote"),
    "tallies_note": ("每10万人按2020年第七次全国人口普查常住人口 {p:,} 人计;资产单位为万元。",
                     "Per 100k uses the 2020 census resident population of {p:,}; assets in 10k yuan."),
    "c_rank_per_100k": ("每10万人名次", "Rank per 100k"), "c_region_code": ("代码", "Code"),
    "c_region": ("地区", "Region"), "c_rate_unit": ("每10万人({u})", "Per 100k ({u})"),
    "c_total_unit": ("{years}合计({u})", "Total ({u})"), "c_rank_value": ("总量名次", "Rank by total"),
    "c_population": ("常住人口(人,2020年普查)", "Residents (2020 census)"),
    "c_from": ("期间起", "From"), "c_to": ("期间止", "To"),
    "c_stated": ("文件比值(倍)", "Stated (×)"), "c_warehouse": ("仓库比值(倍)", "Warehouse (×)"),
    "c_base": ("比较的指标", "Indicator compared"), "c_figure_id": ("编号", "ID"),
    "c_special_total": ("专项斗争{a}—{b}年合计(按单位)", "Special {a}–{b} total (unit)"),
    "c_special_avg": ("专项斗争年均(按单位)", "Special yearly average"),
    "c_routine_total": ("常态化{a}—{b}年合计(按单位)", "Routine {a}–{b} total (unit)"),
    "c_routine_avg": ("常态化年均(按单位)", "Routine yearly average"),
    "c_routine_vs_special": ("常态化年均 ÷ 专项斗争年均(%)", "Routine ÷ special (%)"),
    "c_ratio": ("比值", "Ratio"), "c_value": ("数值", "Value"), "c_numerator": ("分子", "Numerator"),
    "c_numerator_value": ("分子合计(资产为元)", "Numerator total (assets in yuan)"),
    "c_denominator": ("分母", "Denominator"), "c_denominator_value": ("分母合计", "Denominator total"),
    "c_ratio_code": ("比值代码", "Code"),
    # download file names (the same in both languages, as before)
    "file_tallies": ("扫黑除恶战果_{r}_{a}-{b}", "扫黑除恶战果_{r}_{a}-{b}"),
    "file_years": ("扫黑除恶逐年_{r}", "扫黑除恶逐年_{r}"),
    "file_rank": ("扫黑除恶每10万人排名_{i}_{r}_{a}-{b}", "扫黑除恶每10万人排名_{i}_{r}_{a}-{b}"),
    "file_quotes": ("扫黑除恶文件比值_{r}", "扫黑除恶文件比值_{r}"),
    "file_phase": ("扫黑除恶阶段对比_{r}", "扫黑除恶阶段对比_{r}"),
    "file_ratios": ("扫黑除恶比值_{r}_{a}-{b}", "扫黑除恶比值_{r}_{a}-{b}"),
})

PHASES = ("special", "routine", "all", "period")
PHASE_DEFAULT = "all"
YEAR_INDICATOR_DEFAULT = "ag_criminal_cases"
RANK_INDICATOR_DEFAULT = "ag_gang_total"


@dataclass(frozen=True)
class Phases:
    """The phase choice: each phase's years as the data has them, and the labels."""
    by_year: pl.DataFrame
    spans: dict
    labels: dict
    help: str
    title: str
    no_data: str | None                 # the place has no anti-gang data: the page says so and stops


@dataclass(frozen=True)
class Counter:
    label: str
    value: str
    delta: str | None
    help: str


@dataclass(frozen=True)
class Quote:
    """A ratio the documents state ("是前三年的几倍"), and whether the warehouse can compute it."""
    markdown: str
    computed: bool
    message: str


@dataclass(frozen=True)
class AntiGang:
    title: str
    view: Scope                         # the scope with the phase's years: the header's period
    has_demo: bool
    no_years: str | None                # the sidebar period misses the data's years: the page says so and stops
    first: int = 0
    last: int = 0
    years_label: str = ""
    phase_rule: str = ""
    counter_groups: tuple = ()          # (heading, (Counter, …)) …
    hover_hint: str = ""
    pub_elsewhere: str | None = None
    tallies: pl.DataFrame | None = None
    tallies_note: str = ""
    gangs_chart: go.Figure | None = None
    names: dict | None = None           # indicator code -> name
    year_codes: tuple = ()
    by_year: pl.DataFrame | None = None
    spans: dict | None = None
    wide: pl.DataFrame | None = None
    money_unit: str = ""
    modes: tuple = ()                   # children and/or peers
    quotes: tuple = ()
    quote_table: pl.DataFrame | None = None
    no_quotes: str | None = None
    phase_chart: go.Figure | None = None
    phase_table: pl.DataFrame | None = None
    ratios: tuple = ()
    ratios_title: str = ""
    ratio_table: pl.DataFrame | None = None
    files: dict | None = None           # download file names by table
    catalog: dict | None = None


@dataclass(frozen=True)
class Ranking:
    frame: pl.DataFrame
    codes: tuple
    parent: str
    mode: str
    empty: str | None


@dataclass(frozen=True)
class RankDetail:
    chart: go.Figure
    note: str
    table: pl.DataFrame
    unit: str
    unit_label: str
    basename: str


def phases(scope: Scope) -> Phases:
    """The phases the data holds, labelled with their years; phase_years is the one place that reads them."""
    lang = scope.lang
    by_year = queries.run("anti_gang_by_year", region=scope.region)
    title = TEXT("title", lang, name=scope.name)
    if by_year.height == 0:
        return Phases(by_year, {}, {}, "", title, TEXT("no_data", lang))
    spans = agc.phase_years(by_year)
    a, b = spans["all"]
    return Phases(by_year, spans, {p: agc.phase_label(p, spans, lang) for p in PHASES},
                  TEXT("phase_help", lang, a=a, b=b), title, None)


def years(scope: Scope, spans: dict, phase: str) -> tuple[int, int]:
    """The years a phase counts: its own, or the whole years of the sidebar period within the data's."""
    if phase == "period":
        data_first, data_last = spans["all"]
        return max(scope.period.start.year, data_first), min(scope.period.end.year, data_last)
    return spans[phase]


def _parent_level(scope: Scope) -> dict:
    return {"province": "", "prefecture": scope.province, "county": scope.prefecture}


def modes(scope: Scope, account_region: str = "") -> tuple[str, ...]:
    """Compare with the sub-regions, and with the peers when the account may see their parent."""
    peers = scope.level != "all" and (not account_region
                                      or queries.within(_parent_level(scope)[scope.level], account_region))
    return tuple(([] if scope.child_level is None else ["children"]) + (["peers"] if peers else []))


def _ranking_call(scope: Scope, mode: str, first: int, last: int) -> tuple[str, dict]:
    if mode == "children":
        parent, child_level = scope.region, scope.child_level
    else:
        parent, child_level = _parent_level(scope)[scope.level], scope.level
    return "anti_gang_ranking", dict(parent_region=parent, child_level=child_level, first_year=first, last_year=last)


def calls(scope: Scope, phase: str = PHASE_DEFAULT, mode: str | None = None,
          account_region: str = "") -> list[tuple[str, dict]]:
    """The queries `phases`, `build` and `ranking` run, in order (`mode` None: the first the page offers)."""
    out = [("anti_gang_by_year", dict(region=scope.region))]
    ph = phases(scope)
    if ph.no_data:
        return out
    first, last = years(scope, ph.spans, phase)
    if first > last:
        return out
    r = scope.region
    out += [("antigang_summary", dict(region=r, first_year=first, last_year=last)),
            ("anti_gang_published", dict(region=r, first_year=first, last_year=last)),
            ("region_population", dict(region=r)), ("meta_indicators", {})]
    if r and queries.run("anti_gang_published", region=r, first_year=first, last_year=last).height == 0:
        out += [("anti_gang_published", dict(region=r, first_year=ph.spans[p][0], last_year=ph.spans[p][1]))
                for p in ("special", "routine", "all") if p != phase and ph.spans.get(p)]
    out += [("anti_gang_ratio_quotes", dict(region=r)), ("anti_gang_phase_compare", dict(region=r)),
            ("anti_gang_ratios", dict(region=r, first_year=first, last_year=last))]
    offered = modes(scope, account_region)
    mode = mode if mode in offered else (offered[0] if offered else None)
    return out + [_ranking_call(scope, mode, first, last)]


def _per_100k(v, population):
    return None if v is None or not population else 1e5 * v / population


def _counter_help(code: str, value, catalog: dict, pub: dict | None, population, lang: str) -> str:
    """A counter's definition, rate per 10万 residents, and the published figure with its quote and check."""
    unit = catalog[code]["unit"]
    parts = [f"**{catalog[code][f'name_{lang}']}**",
             TEXT("help_def", lang, d=catalog[code]["definition_zh"]),
             TEXT("help_rate", lang, v=agc.rate_text(_per_100k(value, population), unit, lang), p=f"{population:,}")]
    if pub is None:
        parts.append(TEXT("help_nopub", lang))
    else:
        period = periods.label(periods.Period(pub["period_start"], pub["period_end"]), lang)
        parts.append(TEXT("help_pub", lang, v=agc.published_text(pub, lang), r=pub["region_name"], period=period))
        parts.append(TEXT("help_quote", lang, q=pub["quote"]))
        if pub["matches"] is not None:
            parts.append(TEXT("help_match", lang, w=agc.value_text(pub["warehouse_value"], unit, lang),
                              m=TEXT("match_yes" if pub["matches"] else "match_no", lang)))
    return "\n\n".join(parts)


def _counters(values: dict, pubs: dict, catalog: dict, population, lang: str) -> tuple:
    groups = []
    for group, codes in agc.COUNTER_GROUPS:
        row = []
        for code in codes:
            value = values[code]["value"] if code in values else 0
            pub = pubs.get(code)
            delta = None if pub is None else TEXT(
                "pub_delta", lang, v=agc.published_text(pub, lang),
                mark="✓" if pub["matches"] else ("✗" if pub["matches"] is not None else ""))
            row.append(Counter(catalog[code][f"name_{lang}"],
                               agc.value_text(value, catalog[code]["unit"], lang), delta,
                               _counter_help(code, value, catalog, pub, population, lang)))
        groups.append((TEXT(group, lang), tuple(row)))
    return tuple(groups)


def _quote(q: dict, catalog: dict, lang: str) -> Quote:
    qp = periods.label(periods.Period(q["period_start"], q["period_end"]), lang)
    md = TEXT("quote_line", lang, q=q["quote"], r=q["region_name"], p=qp)
    if q["warehouse_value"] is None:
        return Quote(md, False, TEXT(
            "quote_cannot", lang, base=q[f"base_name_{lang}"], a=q["need_first_year"],
            b=q["need_last_year"], n=q["prior_years"], first=q["data_first_year"] or "—", held=q["prior_years_held"],
            p0=q["period_start"].year, p1=q["period_end"].year, pv=f"{q['period_value'] or 0:,}",
            unit=agc.unit_label(catalog[q["base_indicator"]]["unit"], lang) if q["base_indicator"] in catalog else ""))
    return Quote(md, True, TEXT("quote_can", lang, w=f"{q['warehouse_value']:.2f}", v=f"{q['published_value']:g}"))


def build(scope: Scope, phase: str = PHASE_DEFAULT, ph: Phases | None = None) -> AntiGang:
    """The page for a phase (`ph`: the result of `phases(scope)`, when the page has it already)."""
    lang = scope.lang
    zh = lang == "zh"
    name = f"name_{lang}"
    ph = ph or phases(scope)
    spans, by_year = ph.spans, ph.by_year
    data_first, data_last = spans["all"]
    first, last = years(scope, spans, phase)
    view = replace(scope, period=periods.Period(date(first, 1, 1), date(last, 12, 31)))
    if first > last:
        return AntiGang(ph.title, scope, bool(by_year["has_demo"].any()), TEXT(
            "no_years", lang, p=periods.label(scope.period, lang), a=data_first, b=data_last))
    years_label = periods.label(view.period, lang)
    r = scope.region

    summary = queries.run("antigang_summary", region=r, first_year=first, last_year=last)
    published = queries.run("anti_gang_published", region=r, first_year=first, last_year=last)
    population = queries.run("region_population", region=r)["population"][0]
    catalog = {row["code"]: row for row in queries.run("meta_indicators").iter_rows(named=True)}

    # --- 1. tallies -------------------------------------------------------------------------------------------
    values = {row["indicator"]: row for row in summary.iter_rows(named=True)}
    pubs = {row["indicator"]: row for row in published.iter_rows(named=True)}
    elsewhere = None
    if published.height == 0 and r:
        other = [p for p in ("special", "routine", "all") if p != phase and spans.get(p)
                 and queries.run("anti_gang_published", region=r, first_year=spans[p][0],
                                 last_year=spans[p][1]).height]
        if other:
            elsewhere = TEXT("pub_elsewhere", lang, phases="、".join(agc.phase_label(p, spans, lang) for p in other))
    tallies = (
        summary.join(published.select("indicator", "published_value", "qualifier", "matches", "quote"),
                     on="indicator", how="left")
        .with_columns((pl.col("value") * 1e5 / population if population else pl.lit(None)).alias("per_100k"),
                      pl.col(name).alias("name"),
                      pl.col("matches").replace_strict({True: TEXT("check_yes", lang), False: TEXT("check_no", lang)},
                                                       default="—", return_dtype=pl.String).alias("check"))
        .with_columns(pl.col("qualifier").replace("exact", ""))
        .select("name", "unit", "value", "per_100k", "published_value", "qualifier", "check", "quote", "indicator")
    )
    tallies = agc.yuan_rows_in_wan(tallies, ["value", "per_100k", "published_value"], lang)

    # --- 2. by year and phase ---------------------------------------------------------------------------------
    money_div, money_unit = agc.money_scale(1e4, lang)  # the by-year table states assets in 万元
    wide = (
        by_year.with_columns(pl.when(pl.col("unit") == "元").then(pl.col("value") / money_div)
                             .otherwise(pl.col("value")).alias("shown"),
                             (pl.col(name) + "(" +
                              pl.when(pl.col("unit") == "元").then(pl.lit(money_unit))
                              .otherwise(pl.col("unit").replace_strict(agc.UNIT_EN, default=pl.col("unit"))
                                         if not zh else pl.col("unit")) + ")").alias("column"),
                             pl.col("phase").replace_strict({p: agc.TEXT(p, lang) for p in ("special", "routine")},
                                                            default=pl.col("phase")).alias("phase_name"))
        .pivot(on="column", index=["year", "phase_name"], values="shown", aggregate_function="sum")
        .sort("year")
    )
    year_codes = tuple(sorted(by_year["indicator"].unique().to_list()))

    # --- 4. ratios --------------------------------------------------------------------------------------------
    quotes = queries.run("anti_gang_ratio_quotes", region=r)
    quote_table = quotes.select(
        "quote", "region_name", "period_start", "period_end", "published_value", "warehouse_value",
        pl.col(f"base_name_{lang}").alias("base_name"), "prior_years",
        "need_first_year", "need_last_year", "data_first_year", "data_last_year", "prior_years_held",
        "period_value", "figure_id", "indicator") if quotes.height else None
    phase_cmp = queries.run("anti_gang_phase_compare", region=r)
    phase_table = agc.yuan_rows_in_wan(phase_cmp.select(
        pl.col(name).alias("name"), "unit", "special_total", "special_yearly_avg",
        "routine_total", "routine_yearly_avg", (pl.col("routine_vs_special") * 100).alias("routine_vs_special_pct"),
        "indicator"), ["special_total", "special_yearly_avg", "routine_total", "routine_yearly_avg"], lang) \
        if phase_cmp.height else None
    ratios = queries.run("anti_gang_ratios", region=r, first_year=first, last_year=last)
    ratio_counters = tuple(Counter(
        row[f"name_{lang}"], agc.ratio_text(row["ratio_value"], row[f"unit_{lang}"]),
        None, TEXT("ratio_help", lang, num=row[f"numerator_name_{lang}"],
                   nv=agc.value_text(row["numerator_value"], catalog[row["numerator"]]["unit"], lang),
                   den=row[f"denominator_name_{lang}"],
                   dv=agc.value_text(row["denominator_value"], catalog[row["denominator"]]["unit"], lang),
                   years=years_label)) for row in ratios.iter_rows(named=True))
    ratio_table = ratios.select(
        pl.col(name).alias("name"), "ratio_value", pl.col(f"unit_{lang}").alias("unit"),
        pl.col(f"numerator_name_{lang}").alias("numerator_name"), "numerator_value",
        pl.col(f"denominator_name_{lang}").alias("denominator_name"),
        "denominator_value", "ratio")

    place = r or "全部"
    return AntiGang(
        title=ph.title, view=view, has_demo=bool(summary["has_demo"].any()), no_years=None, first=first, last=last,
        years_label=years_label, phase_rule=TEXT("phase_rule", lang),
        counter_groups=_counters(values, pubs, catalog, population, lang), hover_hint=TEXT("hover_hint", lang),
        pub_elsewhere=elsewhere, tallies=tallies, tallies_note=TEXT("tallies_note", lang, p=population),
        gangs_chart=agc.by_year_gangs(by_year, spans, (first, last), lang),
        names={c: catalog[c][name] for c in catalog}, year_codes=year_codes, by_year=by_year, spans=spans,
        wide=wide, money_unit=money_unit,
        quotes=tuple(_quote(q, catalog, lang) for q in quotes.iter_rows(named=True)), quote_table=quote_table,
        no_quotes=None if quotes.height else TEXT("no_quotes", lang),
        phase_chart=agc.phase_ratio_bars(phase_cmp, lang) if phase_cmp.height else None, phase_table=phase_table,
        ratios=ratio_counters, ratios_title=TEXT("ratios_title", lang, head=TEXT("ratios_head", lang),
                                                 years=years_label),
        ratio_table=ratio_table, catalog=catalog,
        files={"tallies": TEXT("file_tallies", lang, r=place, a=first, b=last),
               "years": TEXT("file_years", lang, r=place), "quotes": TEXT("file_quotes", lang, r=place),
               "phase": TEXT("file_phase", lang, r=place), "ratios": TEXT("file_ratios", lang, r=place, a=first,
                                                                          b=last)})


def year_chart(v: AntiGang, code: str, lang: str) -> go.Figure:
    """One tally by year, coloured by phase, the selected years shaded."""
    return agc.by_year_indicator(v.by_year, code, v.spans, (v.first, v.last), lang)


def ranking(scope: Scope, v: AntiGang, mode: str) -> Ranking:
    """The regions compared per 10万 residents: the scope's children, or its peers under the same parent."""
    query, params = _ranking_call(scope, mode, v.first, v.last)
    rank = queries.run(query, **params)
    return Ranking(rank, tuple(sorted(rank["indicator"].unique().to_list())), params["parent_region"], mode,
                   TEXT("no_children", scope.lang) if rank.height == 0 else None)


def ranking_detail(scope: Scope, v: AntiGang, rank: Ranking, code: str) -> RankDetail:
    """One tally ranked per 10万 residents: the chart, its note and the table (money in 万元)."""
    lang = scope.lang
    unit = v.catalog[code]["unit"]
    div, ulab = agc.per_100k_scale(unit, lang)
    table = (
        rank.frame.filter(pl.col("indicator") == code)
        .with_columns((pl.col("per_100k") / div).alias("per_100k"), (pl.col("value") / div).alias("value"))
        .select("rank_per_100k", "code", "short_name", "per_100k", "value", "rank_value", "population")
        .sort("rank_per_100k", "code")
    )
    note = TEXT("pop_note", lang, years=v.years_label) + (TEXT("pop_note_self", lang) if rank.mode == "peers" else "")
    return RankDetail(agc.ranking_bars(rank.frame, code, scope.region, lang), note, table, unit, ulab,
                      TEXT("file_rank", lang, i=code, r=rank.parent or "全国", a=v.first, b=v.last))


def multiples(scope: Scope, rank: Ranking, picks: list[str], code: str) -> go.Figure:
    """Several tallies per 10万 residents side by side, regions in the order of `code`."""
    return agc.small_multiples(rank.frame, picks, code, scope.region, scope.lang)
