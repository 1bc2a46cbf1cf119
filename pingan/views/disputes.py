"""View model of 矛盾纠纷化解 (pages/disputes.py): the funnel against a comparison, success against target,
composition, time to resolve and the backlog, as frames, figures and sentences.

`options` gives the page's choices (categories, comparisons), `build` everything the page lays out, `calls` the
queries `build` runs. `account_region` is the region of the signed-in account ('' = everything): a 大理州 account
compares with its own counties, not with 昆明.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import plotly.graph_objects as go

from .. import fmt, periods, queries, rules
from ..charts import CATEGORICAL
from ..charts import disputes as charts
from ..i18n import Texts, t
from ..scope import Scope

TEXT = Texts({
    "title": ("{name}矛盾纠纷排查化解", "Dispute resolution: {name}"),
    "filters": ("本页筛选", "This page"),
    "category": ("纠纷类别", "Dispute category"),
    "all_categories": ("全部类别", "All categories"),
    "compare": ("对比对象", "Compare with"),
    "previous": ("上一期({p})", "Previous period ({p})"),
    "year_ago": ("去年同期({p})", "Same period last year ({p})"),
    "sibling": ("同期 {name}", "{name}, same period"),
    "only_category": ("以下件数和比率仅含“{c}”类纠纷(公开数字核对除外)。",
                      "Counts and rates below cover “{c}” disputes only (except the published-figure check)."),
    "formula": ("**{rate}** = {res} {r:,} 件 ÷ {idf} {i:,} 件 = **{v}**(目标 {t}%)。若以{acc} {a:,} 件为分母则为"
                " {alt},不是本指标的口径。所有件数按登记(排查)日期归入期间。",
                "**{rate}** = {res} {r:,} ÷ {idf} {i:,} = **{v}** (target {t}%). Dividing by {acc} ({a:,}) would "
                "give {alt}, which is not this indicator's definition. Cases count in the period of their "
                "identification date."),
    "still_open": ("本期登记的案件中有 {n:,} 件截至{d}仍在办理,计入分母;办结后成功率会变化。",
                   "{n:,} cases identified in the period were still open on {d}; they count in the denominator, "
                   "so the rate will change as they close."),
    "published": ("公开数字与数据仓库核对", "Published figures against the warehouse"),
    "published_note": ("公开数字为全部类别;仓库数字按同一地区、期间和口径汇总。",
                       "Published figures cover all categories; the warehouse figure uses the same place, period "
                       "and definition."),
    "match": ("✓ 一致", "✓ match"), "differs": ("✗ 不一致", "✗ differs"),
    "definitions": ("口径说明:每个比率是什么除以什么", "Definitions: what each rate divides by what"),
    "catalog_def": ("指标目录定义", "Catalog definitions"),
    "def_line": ("- **{name}**({unit}):{d}", "- **{name}** ({unit}): {d}"),
    "catalog_mismatch": ("指标目录对“{rate}”的定义与本页及公开数字所用口径(化解成功 ÷ 排查登记)不一致,"
                         "见下表核对;目录定义有待修订。",
                         "The catalog's definition of “{rate}” differs from the one this page and the published "
                         "figures use (resolved ÷ identified); see the check below. The catalog needs correcting."),
    "evidence": ("为什么分母是排查登记而不是受理:公开的化解成功率与两种算法的比较",
                 "Why the denominator is cases identified, not accepted: published rates under both definitions"),
    "evidence_note": ("“以上”类的多年公开数字与各年中最低的一年比较。",
                      "A multi-year “以上” (at least) figure is compared with its lowest year."),
    "s_funnel": ("① 排查 → 受理 → 调解 → 化解成功 → 回访", "① Identified → accepted → mediated → resolved → followed up"),
    "funnel_title": ("{name}{p}排查{i},化解成功{r}", "{name}, {p}: {i} identified, {r} resolved"),
    "no_compare": ("{name}{p}没有案件数据;可在左侧“对比对象”中改选去年同期或其他地区。",
                   "{name} has no cases in {p}; choose another comparison in the sidebar."),
    "stage": ("环节", "Stage"), "this": ("本期(件)", "This (cases)"), "this_conv": ("本期占排查(%)", "This: % of identified"),
    "other": ("对比(件)", "Comparison (cases)"), "other_conv": ("对比占排查(%)", "Comparison: % of identified"),
    "other_named": ("{name} · {p}(件)", "{name}, {p} (cases)"),
    "change": ("变化(%)", "Change (%)"),
    "by_year": ("逐年化解成功率", "Success rate year by year"),
    "years_ok": ("{name}{p}每年化解成功率均达到{t}%目标", "{name} met the {t}% target in every year of {p}"),
    "years_bad": ("{name}{p}有{k}个年度低于{t}%目标", "{name} missed the {t}% target in {k} year(s) of {p}"),
    "year": ("年度", "Year"),
    "s_target": ("② 化解成功率与目标", "② Success rate against target"),
    "in_period": ("{p}{title}", "{p}: {title}"),
    "below_k": ("{k}{lvl}低于{t}%的化解成功率目标", "{k} {lvl} below the {t}% success target"),
    "below_none": ("{k}{lvl}均达到{t}%的化解成功率目标", "All {k} {lvl} meet the {t}% success target"),
    "lvl_province": ("个省(区)", "provinces"), "lvl_prefecture": ("个市(州)", "prefectures"),
    "lvl_county": ("个县(市、区)", "counties"),
    "siblings_note": ("所选为县级地区:与同一市(州)的其他县(市、区)并列比较(▶ 为所选)。",
                      "A county is selected: it is ranked among the other counties of its prefecture (▶ marks it)."),
    "region": ("地区", "Region"),
    "rate_prev": ("上期成功率(%)", "Previous (%)"), "change_pp": ("变化(个百分点)", "Change (pp)"),
    "target_pct": ("目标(%)", "Target (%)"), "below": ("低于目标", "Below target"),
    "identified": ("排查(件)", "Identified (cases)"), "accepted": ("受理(件)", "Accepted (cases)"),
    "mediated": ("调解(件)", "Mediated (cases)"), "resolved": ("化解成功(件)", "Resolved (cases)"),
    "followed_up": ("回访(件)", "Followed up (cases)"), "rate": ("化解成功率(%)", "Success rate (%)"),
    "st_identified": ("排查", "Identified"), "st_accepted": ("受理", "Accepted"), "st_mediated": ("调解", "Mediated"),
    "st_resolved": ("化解成功", "Resolved"), "st_followed_up": ("回访", "Followed up"),
    "stage_metric": ("{name}({unit})", "{short} (cases)"),
    "rate_metric": ("{name}(%)", "Success rate (%)"),
    "delta_change": ("{v:+.1%} {vs}", "{v:+.1%} {vs}"),
    "delta_pp": ("{v:+.2f} 个百分点", "{v:+.2f} pp"),
    "share": ("占比(%)", "Share (%)"), "ya": ("去年同期排查(件)", "Same period last year (cases)"),
    "yoy": ("同比(%)", "YoY (%)"), "median_days": ("化解用时中位数(天)", "Median days"),
    "p90_days": ("化解用时P90(天)", "P90 days"),
    "s_mix": ("③ 纠纷类别、化解渠道与月度走势", "③ Categories, channels and the monthly trend"),
    "not_comparable": ("本期与上期一期是导入的数据、另一期是演示数据,不计算变化。",
                       "One of this period and the previous one is imported data, the other demo data: no change "
                       "is computed."),
    "stages_unknown": ("导入的汇总报表没有填写部分环节,这些环节显示为“—”,化解成功率也无法计算。",
                       "The imported report leaves some stages blank: they show as “—” and the success rate "
                       "cannot be computed."),
    "records_demo": ("以上总数来自导入的汇总报表;类别、渠道、用时和积压只能按案件明细统计,这里仍是演示数据。",
                     "The totals above come from imported reports; categories, channels, durations and the backlog "
                     "can only be counted from case records, which here are still demo data."),
    "cat_title": ("{top}纠纷最多;{grow}增长最快(同比{g})", "Most common: {top}<br>Fastest growing: {grow} ({g})"),
    "cat_title_na": ("{top}纠纷最多(上年同期无数据)", "Most common: {top}<br>(no data a year earlier)"),
    "cat_title_flat": ("{top}纠纷最多,各类纠纷均未增长", "Most common: {top}<br>No category grew"),
    "chan_title": ("{top}承担了{s}的矛盾纠纷", "{top}<br>handled {s} of the disputes"),
    "cat_tab": ("按类别", "By category"), "chan_tab": ("按渠道", "By channel"),
    "cat_col": ("类别", "Category"), "chan_col": ("渠道", "Channel"),
    "trend_title": ("{p}共排查{i},比上年同期{chg}", "{p}: {i} identified, {chg} on a year earlier"),
    "more": ("增加", "up "), "less": ("减少", "down "),
    "trend_title_na": ("{p}共排查{i}(上年同期无数据)", "{p}: {i} identified (no data a year earlier)"),
    "month": ("月份", "Month"), "by_month": ("按月明细", "Month by month"),
    "ya_month": ("去年同月排查(件)", "Same month last year (cases)"),
    "s_time": ("④ 化解用时与积案", "④ Time to resolve and backlog"),
    "days_title_chan": ("{slow}化解用时最长,中位数{d}天", "{slow} takes longest<br>median {d} days"),
    "days_title_cat": ("{slow}类纠纷化解用时最长,中位数{d}天", "{slow} disputes take longest<br>median {d} days"),
    "days_note": ("用时 = 结案日期 − 受理日期,仅计化解成功的案件;P90 表示九成案件在此天数之内化解。",
                  "Days = closing date − acceptance date of resolved cases; 90% of cases are resolved within P90."),
    "days_def": ("{note} {name}:{d}", "{note} {name}:{d}"),
    # the English page leaves the median's target out (its definition is Chinese only)
    "days_target": ("({target} ≤ {v:g} 天)", ""),
    "backlog_asof": ("截至{d}的在办案件(已受理、尚未办结)", "Open cases on {d} (accepted, not yet closed)"),
    "open_total": ("在办案件", "Open cases"),
    "in_cases": ("{label}(件)", "{label} (cases)"),
    "bucket_col": ("{label}(件)", "{label}"),
    "backlog_title": (f"截至{{d}}尚有{{n}}在办,其中受理超过{rules.BACKLOG_OVER_DAYS}天的{{m}}",
                      f"{{n}} open on {{d}}, {{m}} of them accepted over {rules.BACKLOG_OVER_DAYS} days ago"),
    "no_backlog": ("截至{d}没有在办案件。", "No open cases on {d}."),
    "county": ("县(市、区)", "County"), "prefecture": ("市(州)", "Prefecture"),
    "oldest": (f"最久未结的案件(最多{rules.OLDEST_OPEN_LISTED}件,按受理日期排序)",
               f"The oldest open cases (at most {rules.OLDEST_OPEN_LISTED}, by acceptance date)"),
    "case_id": ("案件编号", "Case ID"), "grid_id": ("网格编号", "Grid ID"),
    "identified_date": ("登记日期", "Identified"), "accepted_date": ("受理日期", "Accepted"),
    "mediated_date": ("调解日期", "Mediated"), "oldest_days": ("最久已受理天数(天)", "Oldest (days)"),
    "age_days": ("已受理天数(天)", "Days since acceptance"),
    "open_col": ("在办案件(件)", "Open cases"),
    "loading": ("正在汇总矛盾纠纷数据…", "Aggregating dispute cases…"),
    "published_col": ("公开数字", "Published"), "warehouse_col": ("仓库数字", "Warehouse"),
    "quote": ("原文", "Quote"), "check": ("核对", "Check"), "indicator": ("指标", "Indicator"),
    "period": ("期间", "Period"), "over_identified": ("化解成功÷排查(%)", "Resolved ÷ identified (%)"),
    "over_accepted": ("化解成功÷受理(%)", "Resolved ÷ accepted (%)"), "lowest_year": ("最低年度(%)", "Lowest year (%)"),
    "published_pct": ("公开成功率", "Published rate"),
    # download file names
    "file_evidence": ("化解成功率口径核对", "success_rate_check"),
    "file_funnel": ("矛盾纠纷漏斗对比", "dispute_funnel_comparison"),
    "file_years": ("逐年化解成功率", "success_by_year"),
    "file_rank": ("化解成功率与目标", "success_vs_target"),
    "file_cat": ("矛盾纠纷类别", "dispute_categories"),
    "file_chan": ("化解渠道", "dispute_channels"),
    "file_trend": ("月度走势", "monthly_trend"),
    "file_backlog": ("在办案件按县", "backlog_by_county"),
    "file_oldest": ("最久未结案件", "oldest_open_cases"),
})
STAGES = ("identified", "accepted", "mediated", "resolved", "followed_up")
DEFINITION_ORDER = ["dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved",
                    "dispute_followed_up", "dispute_success_rate", "dispute_median_days", "dispute_backlog_90d"]
COMPARE_DEFAULT = "previous"


@dataclass(frozen=True)
class Table:
    """A table the page shows (`frame`) and offers for download (`export`, the frame when None)."""
    frame: pl.DataFrame
    basename: str
    key: str
    export: pl.DataFrame | None = None


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class Options:
    """The page's own choices: categories (code → name, '' = all) and comparisons (option → label)."""
    categories: dict[str, str]
    compare: dict[str, str]


@dataclass(frozen=True)
class Disputes:
    title: str
    has_demo: bool                        # the demo badge in the header
    empty: bool                           # no case in scope and period: the page says so and stops
    only_category: str | None = None
    metrics: tuple[Metric, ...] = ()
    comparable: bool = True               # rules.comparable of this period and the previous one
    notes: tuple[str, ...] = ()           # captions under the metrics (not comparable, stages unknown)
    formula: str | None = None
    still_open: str | None = None
    published_here: pl.DataFrame | None = None   # indicator_name, published_text, warehouse_text, check, quote
    definitions: str = ""
    catalog_mismatch: str | None = None
    evidence: Table | None = None
    funnel: go.Figure | None = None
    funnel_other: go.Figure | None = None
    no_compare: str | None = None
    stages: Table | None = None
    other_label: str = ""
    years_title: str | None = None
    years_chart: go.Figure | None = None
    years: Table | None = None
    siblings_note: str | None = None
    rank_chart: go.Figure | None = None   # None: no sub-region has cases
    rank: Table | None = None
    records_demo: str | None = None       # composition from demo case records under imported totals
    name_col: str = "name_zh"
    cat_chart: go.Figure | None = None
    chan_chart: go.Figure | None = None
    categories: Table | None = None
    channels: Table | None = None
    trend_chart: go.Figure | None = None
    trend: Table | None = None
    days_charts: tuple[tuple[str, go.Figure], ...] = ()
    days_note: str = ""
    as_of: date | None = None
    backlog_head: str = ""
    no_backlog: str | None = None
    backlog_metrics: tuple[Metric, ...] = ()
    backlog_chart: go.Figure | None = None
    backlog: Table | None = None
    oldest: Table | None = None


def date_text(d: date, lang: str) -> str:
    return fmt.date_zh(d) if lang == "zh" else d.isoformat()


def published_text(v, unit: str, qualifier: str, decimals: int, lang: str) -> str:
    """A figure as the source writes it: 26.39万件, 14.7万余件, 97%以上."""
    if unit == "%":
        text = fmt.pct(v, decimals)
    else:
        text = f"{fmt.count_zh(v)}{unit}" if lang == "zh" else fmt.count_en(v)
    return fmt.with_qualifier(text, unit, qualifier, lang)


class _Context:
    """What `options`, `calls` and `build` share: the catalog, the regions and who may see which of them."""

    def __init__(self, scope: Scope, account_region: str):
        self.scope = scope
        self.catalog = {r["code"]: r for r in queries.run("meta_indicators").iter_rows(named=True)}
        info = dict(queries.run("meta_build_info").iter_rows())
        self.data_as_of = date.fromisoformat(info.get("as_of", scope.period.end.isoformat()))
        self.as_of = min(scope.period.end, self.data_as_of)  # the backlog's date: the period's end, at most the data's
        regs = queries.run("meta_regions_with_data")
        self.regs = regs
        self.short = dict(zip(regs["code"].to_list(), regs["short_name"].to_list()))
        self.parent_of = dict(zip(regs["code"].to_list(), regs["parent_code"].to_list()))
        self._ancestors = {r["code"]: (r["code"], r["prefecture_code"], r["province_code"])
                           for r in regs.iter_rows(named=True)}
        self.account_region = account_region or ""

    def visible(self, code: str) -> bool:
        return not self.account_region or self.account_region in self._ancestors.get(code, ())

    def by_category_call(self) -> tuple[str, dict]:
        p = self.scope.period
        return ("disputes_by_category", dict(region=self.scope.region, start=p.start, end=p.end,
                                             ya_start=p.year_ago().start, ya_end=p.year_ago().end))

    def siblings(self) -> list[str]:
        scope = self.scope
        same = self.regs.filter((pl.col("level") == scope.level) & (pl.col("code") != scope.region))
        if scope.level in ("prefecture", "county"):
            same = same.filter(pl.col("parent_code") == self.parent_of.get(scope.region))
        return [] if scope.level == "all" else [c for c in same["code"].to_list() if self.visible(c)]

    def comparison(self, cmp: str) -> tuple[str, periods.Period]:
        """The region and period a choice compares with (an unknown choice: the previous period)."""
        p = self.scope.period
        region = cmp if cmp in self.siblings() else self.scope.region
        period = p.year_ago() if cmp == "year_ago" else p if region != self.scope.region else p.previous()
        return region, period

    def ranking(self) -> tuple[str, str, str]:
        """Where success is ranked: the scope's children, or a county among its prefecture's (marked)."""
        scope = self.scope
        if scope.level == "county" and self.visible(self.parent_of.get(scope.region, "")):
            return self.parent_of.get(scope.region, ""), "county", scope.region
        return scope.region, scope.child_level or "county", ""  # a county alone: itself

    def trend_start(self) -> date:
        p = self.scope.period
        months_back = p.end.year * 12 + p.end.month - 12  # the trend shows at least the twelve months to the end
        return min(p.start, date(months_back // 12, months_back % 12 + 1, 1))


def options(scope: Scope, account_region: str = "") -> Options:
    """The categories the page offers (in the order of their counts) and the comparisons (labelled)."""
    ctx = _Context(scope, account_region)
    name, params = ctx.by_category_call()
    by_cat = queries.run(name, **params)
    lang, p = scope.lang, scope.period
    cats = dict(zip(by_cat["category"].to_list(), by_cat[f"name_{lang}"].to_list()))
    compare = {"previous": TEXT("previous", lang, p=periods.label(p.previous(), lang)),
               "year_ago": TEXT("year_ago", lang, p=periods.label(p.year_ago(), lang))}
    compare.update({c: TEXT("sibling", lang, name=ctx.short.get(c, c)) for c in ctx.siblings()})
    return Options({"": TEXT("all_categories", lang), **cats}, compare)


def _calls_funnel(ctx: _Context, category: str, cmp: str) -> list[tuple[str, dict]]:
    p = ctx.scope.period
    region, period = ctx.comparison(cmp)
    return [("disputes_funnel_by_year", dict(region=ctx.scope.region, start=p.start, end=p.end, category=category)),
            ("disputes_funnel_by_year", dict(region=ctx.scope.region, start=p.previous().start,
                                             end=p.previous().end, category=category)),
            ("disputes_funnel_by_year", dict(region=region, start=period.start, end=period.end, category=category))]


def _calls_rank(ctx: _Context, category: str) -> tuple[str, dict]:
    p = ctx.scope.period
    region, level, _ = ctx.ranking()
    return ("disputes_success_by_subregion", dict(region=region, child_level=level, start=p.start, end=p.end,
                                                  prev_start=p.previous().start, prev_end=p.previous().end,
                                                  category=category))


def _calls_mix(ctx: _Context, category: str) -> list[tuple[str, dict]]:
    scope, p = ctx.scope, ctx.scope.period
    start = ctx.trend_start()
    return [
        ("disputes_by_channel", dict(region=scope.region, start=p.start, end=p.end, category=category)),
        ("disputes_days_to_resolve", dict(region=scope.region, start=p.start, end=p.end, category=category)),
        ("disputes_monthly_trend", dict(region=scope.region, start=start, end=p.end,
                                        ya_start=date(start.year - 1, start.month, 1), category=category)),
        ("disputes_backlog_by_county", dict(region=scope.region, as_of=ctx.as_of, category=category)),
        ("disputes_oldest_open", dict(region=scope.region, as_of=ctx.as_of, category=category))]


def _published_keys(ctx: _Context, published: pl.DataFrame) -> tuple[list, list]:
    """(place, start, end) of the figures checked here: this place and period, and every success-rate figure."""
    scope, p = ctx.scope, ctx.scope.period
    here = published.filter((pl.col("region_code") == scope.region) & (pl.col("period_start") == p.start)
                            & (pl.col("period_end") == p.end)).height
    rates = published.filter((pl.col("indicator") == "dispute_success_rate")
                             & (pl.col("period_start") >= date(scope.first_year, 1, 1)))
    evidence = list(rates.select("region_code", "period_start", "period_end").unique(maintain_order=True).iter_rows())
    return ([(scope.region, p.start, p.end)] if here else []), evidence


def _published_call(key) -> tuple[str, dict]:
    region, start, end = key
    return "disputes_published_figures", dict(region=region, start=start, end=end)


def calls(scope: Scope, category: str = "", cmp: str = COMPARE_DEFAULT,
          account_region: str = "") -> list[tuple[str, dict]]:
    """The queries `build` runs, in order (the published-figure checks depend on the published list)."""
    ctx = _Context(scope, account_region)
    published_list = ("disputes_published_list", dict(region=""))
    here, evidence = _published_keys(ctx, queries.run(published_list[0], **published_list[1]))
    return ([("meta_indicators", {}), ("meta_build_info", {}), ("meta_regions_with_data", {}),
             ctx.by_category_call()] + _calls_funnel(ctx, category, cmp) + [published_list]
            + [_published_call(k) for k in here] + [_published_call(k) for k in evidence]
            + [_calls_rank(ctx, category)] + _calls_mix(ctx, category))


def _published_frames(keys: list, lang: str) -> list[pl.DataFrame]:
    """Published figures beside the warehouse for each (place, start, end), fetched side by side."""
    frames = queries.run_many([_published_call(k) for k in keys])
    return [df.with_columns(pl.struct("published_value", "unit", "qualifier", "decimals").map_elements(
        lambda s: published_text(s["published_value"], s["unit"], s["qualifier"], s["decimals"], lang),
        return_dtype=pl.Utf8).alias("published_text")) for df in frames]


def _headline(ctx: _Context, total: dict, before: dict, lang: str) -> tuple[tuple[Metric, ...], bool]:
    """The five stages and the success rate, with their change on the previous period when comparable."""
    catalog = ctx.catalog
    ok = rules.comparable(total["has_demo"], before["has_demo"])
    vs = t("vs_previous", lang)
    out = []
    for key in STAGES:
        code = f"dispute_{key}"
        change = fmt.change_ratio(total[key], before[key]) if ok else None
        name = catalog[code][f"name_{lang}"]
        out.append(Metric(TEXT("stage_metric", lang, name=name, unit=catalog[code]["unit"],
                               short=TEXT(f"st_{key}", lang)),
                          charts.count(total[key], lang, unit=False),
                          None if change is None else TEXT("delta_change", lang, v=change, vs=vs),
                          catalog[code]["definition_zh"]))
    now, prev = total["success_rate_pct"], before["success_rate_pct"]
    rate = catalog["dispute_success_rate"]
    out.append(Metric(TEXT("rate_metric", lang, name=rate[f"name_{lang}"]), fmt.pct(now),
                      None if prev is None or now is None or not ok else TEXT("delta_pp", lang, v=now - prev),
                      rate["definition_zh"]))
    return tuple(out), ok


def build(scope: Scope, category: str = "", cmp: str = COMPARE_DEFAULT, account_region: str = "") -> Disputes:
    """Everything the disputes page shows for this scope, category ('' = all) and comparison."""
    lang, P = scope.lang, scope.period
    ctx = _Context(scope, account_region)
    catalog = ctx.catalog

    def tx(key: str, **kw) -> str:
        return TEXT(key, lang, **kw)

    def ind_name(code: str) -> str:
        return catalog[code][f"name_{lang}"]

    def in_period(title: str) -> str:
        return tx("in_period", p=periods.label(P, lang), title=title)

    target = catalog["dispute_success_rate"]["target"]
    plabel = periods.label(P, lang)
    count = charts.count

    name, params = ctx.by_category_call()
    by_cat = queries.run(name, **params)
    if P.year_ago().start < date(scope.first_year, 1, 1):  # the year before is not (wholly) in the data: no growth
        by_cat = by_cat.with_columns(pl.lit(None, pl.Int64).alias("ya_identified"),
                                     pl.lit(None, pl.Float64).alias("yoy_pct"))
    name_col = f"name_{lang}"
    cat_names = dict(zip(by_cat["category"].to_list(), by_cat[name_col].to_list()))
    cmp_region, cmp_period = ctx.comparison(cmp)
    place = scope.name if lang == "zh" else ctx.short.get(scope.region, scope.name)  # English titles: short names
    cmp_name = ctx.short.get(cmp_region, place) if cmp_region != scope.region else place

    # side by side (queries.run_many): a first view waits for the slowest, not the sum
    fy, prev, other = queries.run_many(_calls_funnel(ctx, category, cmp))
    total = fy.filter(pl.col("case_year").is_null()).row(0, named=True)
    before = prev.filter(pl.col("case_year").is_null()).row(0, named=True)
    other_total = other.filter(pl.col("case_year").is_null()).row(0, named=True)
    years = fy.filter(pl.col("case_year").is_not_null())

    records_demo = bool(by_cat["has_demo"].any())  # categories, channels, durations, backlog: case records only
    head = dict(title=tx("title", name=scope.name),
                has_demo=bool(total["has_demo"] or other_total["has_demo"] or records_demo))
    if total["identified"] == 0:
        return Disputes(empty=True, **head)

    # ---- headline ---------------------------------------------------------------------------------------------
    metrics, ok = _headline(ctx, total, before, lang)
    notes = ([] if ok else [tx("not_comparable")]) + \
        ([tx("stages_unknown")] if any(total[k] is None for k in STAGES) else [])  # a report leaving stages blank
    alt = fmt.pct(100.0 * total["resolved"] / total["accepted"]) \
        if total["accepted"] and total["resolved"] is not None else "—"
    formula = None if total["success_rate_pct"] is None else tx(
        "formula", rate=ind_name("dispute_success_rate"), res=ind_name("dispute_resolved"), r=total["resolved"],
        idf=ind_name("dispute_identified"), i=total["identified"], v=fmt.pct(total["success_rate_pct"]),
        t=f"{target:g}", acc=ind_name("dispute_accepted"), a=total["accepted"], alt=alt)
    still_open = tx("still_open", n=total["still_open"], d=date_text(ctx.data_as_of, lang)) \
        if total["still_open"] else None

    # ---- published figures for exactly this place and period; the success-rate evidence ----------------------
    published = queries.run("disputes_published_list", region="")  # every figure the account may see
    here_keys, evidence_keys = _published_keys(ctx, published)
    here = _published_frames(here_keys, lang)[0] if here_keys else pl.DataFrame()
    published_here = None
    if here.height:
        published_here = here.with_columns(
            pl.col(f"indicator_{lang}").alias("indicator_name"),
            pl.struct("warehouse_value", "unit").map_elements(
                lambda s: "—" if s["warehouse_value"] is None else fmt.pct(s["warehouse_value"])
                if s["unit"] == "%" else f"{s['warehouse_value']:,.0f}",
                return_dtype=pl.Utf8).alias("warehouse_text"),
            pl.when(pl.col("matches")).then(pl.lit(tx("match"))).when(pl.col("matches").not_())
            .then(pl.lit(tx("differs"))).otherwise(pl.lit("—")).alias("check"),
        ).select("indicator_name", "published_text", "warehouse_text", "check", "quote")
    definitions = "\n".join(
        tx("def_line", name=ind_name(code), unit=row["unit"], d=row["definition_zh"])
        for code, row in sorted(catalog.items(), key=lambda kv: DEFINITION_ORDER.index(kv[0])
                                if kv[0] in DEFINITION_ORDER else len(DEFINITION_ORDER))
        if row["domain"] == "disputes")
    mismatch = None if "排查" in catalog["dispute_success_rate"]["definition_zh"] else \
        tx("catalog_mismatch", rate=ind_name("dispute_success_rate"))
    checks = _published_frames(evidence_keys, lang)
    evidence = pl.concat(checks).filter(
        (pl.col("indicator") == "dispute_success_rate") & pl.col("rate_over_identified_pct").is_not_null()
    ).with_columns((pl.col("period_start").dt.strftime("%Y-%m") + " — " + pl.col("period_end").dt.strftime("%Y-%m"))
                   .alias("period")) if checks else pl.DataFrame()
    evidence_table = Table(evidence.select(
        "region_name", "period", "published_text", "rate_over_identified_pct", "lowest_year_rate_pct",
        "rate_over_accepted_pct", "identified", "accepted", "resolved"), tx("file_evidence"), "evidence",
        export=evidence.drop("period_start", "period_end", "published_text")) if evidence.height else None

    # ---- ① funnel beside the comparison ------------------------------------------------------------------------
    stage_names = [tx(f"st_{k}") for k in STAGES]
    cmp_label = periods.label(cmp_period, lang)
    funnel = charts.funnel([(n, total[k]) for n, k in zip(stage_names, STAGES) if total[k] is not None],
                           tx("funnel_title", name=place, p=plabel, i=count(total["identified"], lang),
                              r=count(total["resolved"], lang)), lang)
    funnel_other = charts.funnel(
        [(n, other_total[k]) for n, k in zip(stage_names, STAGES) if other_total[k] is not None],
        tx("funnel_title", name=cmp_name, p=cmp_label, i=count(other_total["identified"], lang),
           r=count(other_total["resolved"], lang)), lang, colour=CATEGORICAL[1]) if other_total["identified"] else None
    stage_table = pl.DataFrame({
        "stage": stage_names, "this": [total[k] for k in STAGES], "other": [other_total[k] for k in STAGES],
    }).with_columns(
        (100.0 * pl.col("this") / total["identified"]).alias("this_conv"),
        (100.0 * pl.col("other") / pl.lit(other_total["identified"] or None)).alias("other_conv"),
        (100.0 * (pl.col("this") - pl.col("other")) / pl.when(pl.col("other") > 0).then(pl.col("other"))).alias("change"),
    )
    stage_cols = ["stage", "this", "this_conv"] + (["other", "other_conv", "change"] if other_total["identified"] else [])

    years_parts = {}
    if years.height > 1:
        k_bad = years.filter(pl.col("success_rate_pct") < target).height if target is not None else 0
        yt = (tx("years_ok", name=place, p=plabel, t=f"{target:g}") if k_bad == 0 else
              tx("years_bad", name=place, p=plabel, k=k_bad, t=f"{target:g}"))
        years_parts = dict(years_title=yt, years_chart=charts.yearly_rates(years, target, yt, lang),
                           years=Table(years.select("case_year", "identified", "accepted", "resolved",
                                                    "success_rate_pct"), tx("file_years"), "years",
                                       export=years.drop("has_demo")))

    # ---- ② success by sub-region against the target --------------------------------------------------------------
    rank_region, rank_level, highlight = ctx.ranking()
    name, params = _calls_rank(ctx, category)
    sub = queries.run(name, **params)
    sub = sub.filter(pl.col("identified") > 0)
    rank_parts = {}
    if sub.height:
        k_below = sub.filter(pl.col("below_target")).height
        lvl = tx(f"lvl_{rank_level}")
        rt = in_period(tx("below_k", k=k_below, lvl=lvl, t=f"{target:g}") if k_below else
                       tx("below_none", k=sub.height, lvl=lvl, t=f"{target:g}"))
        has_prev = sub["prev_success_rate_pct"].null_count() < sub.height
        sub_cols = ["short_name", "identified", "resolved", "success_rate_pct"] + (
            ["prev_success_rate_pct", "change_pp"] if has_prev else []) + ["target_pct", "below_target"]
        rank_parts = dict(rank_chart=charts.success_dumbbell(sub, target, rt, lang, highlight),
                          rank=Table(sub.select(sub_cols), tx("file_rank"), "rank",
                                     export=sub.select(["code"] + sub_cols)))

    # ---- ③ composition: categories, channels, monthly trend -------------------------------------------------------
    by_chan, days, trend, backlog, oldest = queries.run_many(_calls_mix(ctx, category))
    growing = by_cat.filter(pl.col("yoy_pct") > 0).sort("yoy_pct", descending=True)
    top_cat = by_cat.row(0, named=True)[name_col]
    cat_title = in_period(tx("cat_title_na", top=top_cat) if by_cat["ya_identified"].null_count() else
                          tx("cat_title", top=top_cat, grow=growing[name_col][0], g=f"{growing['yoy_pct'][0]:+.1f}%")
                          if growing.height else tx("cat_title_flat", top=top_cat))
    chan_live = by_chan.filter(pl.col("identified") > 0)
    chan_chart = None
    if chan_live.height:
        top_chan = chan_live.row(0, named=True)
        chan_chart = charts.channel_bars(chan_live, target, in_period(tx(
            "chan_title", top=top_chan[name_col], s=fmt.pct(top_chan["share_pct"], 1))), lang)
    cat_cols = [name_col, "identified", "share_pct", "resolved", "success_rate_pct"] + (
        ["ya_identified", "yoy_pct"] if not by_cat["ya_identified"].null_count() else [])
    chan_days = days.filter(pl.col("dimension") == "channel").select(
        pl.col("code").alias("channel"), "median_days", "p90_days")
    chan_table = by_chan.join(chan_days, on="channel", how="left")
    chan_cols = [name_col, "identified", "share_pct", "accepted", "resolved", "success_rate_pct", "median_days",
                 "p90_days"]

    trend_parts = {}
    if trend.height:
        last12 = trend.tail(12)  # the headline speaks of the last twelve months, which always have a year before
        tp = periods.label(periods.Period(last12["month_start"][0], P.end), lang)
        ya_sum = last12["ya_identified"].sum() if last12["ya_identified"].null_count() == 0 else None
        chg = fmt.change_ratio(last12["identified"].sum(), ya_sum)
        tt = (tx("trend_title", p=tp, i=count(last12["identified"].sum(), lang),
                 chg=f"{tx('more') if chg >= 0 else tx('less')}{abs(chg):.1%}")
              if chg is not None else tx("trend_title_na", p=tp, i=count(last12["identified"].sum(), lang)))
        trend_parts = dict(trend_chart=charts.monthly_trend(trend, target, tt, lang),
                           trend=Table(trend.select("month_start", "identified", "ya_identified", "yoy_pct",
                                                    "resolved", "success_rate_pct"), tx("file_trend"), "trend"))

    # ---- ④ time to resolve and backlog ----------------------------------------------------------------------------
    days_charts = []
    for dim, key in (("channel", "days_title_chan"), ("category", "days_title_cat")):
        d = days.filter(pl.col("dimension") == dim)
        if d.height:
            slow = d.sort("median_days", descending=True).row(0, named=True)
            days_charts.append((dim, charts.days_to_resolve(
                d, in_period(tx(key, slow=slow[name_col], d=f"{slow['median_days']:.0f}")), lang)))
    median = catalog["dispute_median_days"]
    days_note = tx("days_def", note=tx("days_note"), name=ind_name("dispute_median_days"), d=median["definition_zh"]) \
        + (tx("days_target", target=t("target", lang), v=median["target"]) if median["target"] is not None else "")

    asof_text = date_text(ctx.as_of, lang)
    backlog_parts = {}
    if backlog.height == 0:
        backlog_parts["no_backlog"] = tx("no_backlog", d=asof_text)
    else:
        sums = backlog.select(pl.col(c).sum() for c in ("open_cases",) + charts.AGE_BUCKETS).row(0, named=True)
        over = catalog["dispute_backlog_90d"]
        bm = [Metric(tx("in_cases", label=tx("open_total")), count(sums["open_cases"], lang, unit=False))]
        bm += [Metric(tx("in_cases", label=charts.label(k, lang) if k != "age_over_90" else
                         ind_name("dispute_backlog_90d")), count(sums[k], lang, unit=False),
                      help=over["definition_zh"] if k == "age_over_90" else None) for k in charts.AGE_BUCKETS]
        backlog_cols = ["county_name", "prefecture_name", "open_cases", *charts.AGE_BUCKETS, "oldest_days"]
        oldest_cols = ["case_id", "county_name", "prefecture_name", "grid_id", f"category_{lang}", f"channel_{lang}",
                       "identified_date", "accepted_date", "mediated_date", "age_days"]
        backlog_parts = dict(
            backlog_metrics=tuple(bm),
            backlog_chart=charts.backlog_by_county(backlog, tx("backlog_title", d=asof_text, n=count(
                sums["open_cases"], lang), m=count(sums["age_over_90"], lang)), lang,
                with_prefecture=scope.level in ("all", "province")),
            backlog=Table(backlog.select(backlog_cols), tx("file_backlog"), "backlog",
                          export=backlog.select(["county_code"] + backlog_cols)),
            oldest=Table(oldest.select(oldest_cols), tx("file_oldest"), "oldest"))

    return Disputes(
        **head, empty=False,
        only_category=tx("only_category", c=cat_names[category]) if category else None,
        metrics=metrics, comparable=ok, notes=tuple(notes), formula=formula, still_open=still_open,
        published_here=published_here, definitions=definitions, catalog_mismatch=mismatch, evidence=evidence_table,
        funnel=funnel, funnel_other=funnel_other,
        no_compare=None if other_total["identified"] else tx("no_compare", name=cmp_name, p=cmp_label),
        stages=Table(stage_table.select(stage_cols), tx("file_funnel"), "funnel"),
        other_label=tx("other_named", name=cmp_name, p=cmp_label),
        **years_parts,
        siblings_note=tx("siblings_note") if highlight else None,
        **rank_parts,
        records_demo=tx("records_demo") if records_demo and not total["has_demo"] else None,
        name_col=name_col,
        cat_chart=charts.category_bars(by_cat, cat_title, lang, highlight=category), chan_chart=chan_chart,
        categories=Table(by_cat.select(cat_cols), tx("file_cat"), "cat", export=by_cat.select(["category"] + cat_cols)),
        channels=Table(chan_table.select(chan_cols), tx("file_chan"), "chan",
                       export=chan_table.select(["channel"] + chan_cols)),
        **trend_parts, days_charts=tuple(days_charts), days_note=days_note, as_of=ctx.as_of,
        backlog_head=tx("backlog_asof", d=asof_text), **backlog_parts)
