"""View model of 安全感与满意度 (pages/satisfaction.py): survey indices of a place and its sub-regions with 95%
intervals, ranks, change and streaks, as frames, figures and sentences.

The survey year is the end year of the scope's period; year-on-year compares with the survey of the year before.
Sub-regions are the scope's children; a county is compared with the other counties of its prefecture.
`build(scope)` gives the headline and what every section shares; `ranking`, `trend`, `scatter` and `table` give
one section for the page's choices (the ranked index, highlighted regions, the two scatter indices, all rows).
"""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from .. import fmt, queries, stats
from ..charts import satisfaction as charts
from ..i18n import Texts, t
from ..scope import Scope

TEXT = Texts({
    "title": ("{place}{year}年群众安全感与满意度", "Safety and satisfaction surveys: {place}, {year}"),
    "method": ("调查年度取所选期间的截止年份({year}年),同比为与{prev}年度调查相比。指数 = 肯定回答人数 ÷ 有效样本 × 100%,"
               "按样本量加权合计各县调查;95%置信区间为合计样本的 Wilson 区间(按简单随机抽样近似)。",
               "The survey year is the end year of the chosen period ({year}); year-on-year compares with {prev}. "
               "Index = positive answers ÷ valid respondents × 100%, counties summed by sample; the 95% interval is "
               "the Wilson interval of the summed counts (simple-random-sample approximation)."),
    "ci": ("95%区间 {lo}–{hi} · 样本 {n}人", "95% CI {lo}–{hi} · n = {n}"),
    "yoy_up": ("较{prev}年上升,超出抽样误差", "Up on {prev} beyond sampling error"),
    "yoy_down": ("较{prev}年下降,超出抽样误差", "Down on {prev} beyond sampling error"),
    "yoy_same": ("较{prev}年变化在抽样误差以内", "Change on {prev} within sampling error"),
    "yoy_none": ("{prev}年无此项调查", "Not surveyed in {prev}"),
    "pp": ("{v:+.2f} 个百分点", "{v:+.2f} pp"),
    "match": (":green[与仓库一致]", ":green[matches the warehouse]"),
    "differs": (":red[与仓库不一致]", ":red[differs from the warehouse]"),
    "uncheckable": ("仓库无法核对", "not comparable"),
    "published": ("**公开 {v}%**:“{quote}” · {mark}", "**Published {v}%**: “{quote}” · {mark}"),
    "streak": ("连续{n}年保持在{target}%以上({start}–{end}年{first})",
               "At or above {target}% for {n} years running ({start}–{end}{first})"),
    "streak_one": ("{end}年达到目标{target}%{first}", "At or above the {target}% target in {end}{first}"),
    "streak_first": (",调查始于{start}年", "; surveys start in {start}"),
    "first_survey": ("(首次调查)", " (first survey)"),
    "streak_none": (":red[{year}年低于目标{target}%]", ":red[Below the {target}% target in {year}]"),
    "pub_streak": ("**公开(截至{end}年)**:“{quote}” · {mark}", "**Published (to {end})**: “{quote}” · {mark}"),
    "target": ("目标 {v}%", "target {v}%"),
    "compare": ("各{child}比较", "The {child} compared"),
    "index": ("指数", "Index"),
    "rank_title": ("{year}年{parent}各{child}{ind}:{verdict}", "{ind} across {child} of {parent}, {year}: {verdict}"),
    "verdict": ("{a}个高于{ref}、{b}个低于{ref}(差距超出抽样误差)",
                "{a} above and {b} below {ref} beyond sampling error"),
    "verdict_none": ("与{ref}的差距均在抽样误差以内", "every gap to {ref} is within sampling error"),
    "above": ("高于{ref}(超出误差)", "Above {ref} (beyond error)"),
    "same": ("与{ref}无显著差异", "Not distinguishable from {ref}"),
    "below": ("低于{ref}(超出误差)", "Below {ref} (beyond error)"),
    "above_short": ("高于{ref}", "Above"), "same_short": ("差异不显著", "Not different"),
    "below_short": ("低于{ref}", "Below"),
    "published_mark": ("公开值", "Published"),
    "target_line": ("目标", "Target"),
    "hover_rate": ("指数", "Index"), "hover_ci": ("95%区间", "95% CI"), "hover_n": ("样本(人)", "Respondents"),
    "hover_rank": ("名次(区间)", "Rank (range)"),
    "hover_change": ("较{prev}年 {v:+.2f} 个百分点;{prev}年名次 {rank}(变化 {d:+d})",
                     "{v:+.2f} pp on {prev}; rank in {prev} {rank} (change {d:+d})"),
    "hover_none": ("{prev}年无此项调查", "Not surveyed in {prev}"),
    "prev_mark": ("{prev}年值", "{prev} value"),
    "rank_note": ("圆点为指数,横线为95%置信区间,短竖线为上年值;虚线为{ref}水平,点线为目标。名次按指数排列,括号内为名次区间:"
                  "区间相互重叠的地区无法区分先后,名次写作“2–4”。实心蓝点/方块表示区间整体高于/低于{ref}。",
                  "Dots are indices, bars 95% intervals, ticks last year's value; the dashed line is {ref}, the "
                  "dotted line the target. Ranks "
                  "follow the index; the bracket gives the rank range: regions whose intervals overlap cannot be "
                  "ordered, so their rank reads “2–4”. Filled blue dots / squares: the whole interval lies "
                  "above / below {ref}."),
    "trend": ("变化与连续达标", "Change and streaks"),
    "trend_title": ("{place}{ind}{first}–{year}年走势:{streak}", "{ind} in {place}, {first}–{year}: {streak}"),
    "trend_streak": ("已连续{n}年保持在{target}%以上", "{n} years running at or above {target}%"),
    "trend_one": ("{year}年达到目标{target}%", "at or above the {target}% target in {year}"),
    "trend_nostreak": ("{year}年低于目标{target}%", "below the {target}% target in {year}"),
    "trend_notarget": ("{year}年为{v}", "{v} in {year}"),
    "highlight": ("高亮下级地区", "Highlight sub-regions"),
    "highlight_hint": ("选择要突出显示的地区", "Choose regions to highlight"),
    "others": ("其他下级地区", "Other sub-regions"),
    "siblings": ("{parent}其他{child}", "Other {child} of {parent}"),
    "band": ("95%区间", "95% interval"),
    "trend_note": ("粗线为{place},浅色带为其95%置信区间;灰线为各下级地区(鼠标悬停可见名称)。",
                   "The thick line is {place} with its 95% band; grey lines are the sub-regions (hover for names)."),
    "scatter": ("两项指数对照", "One index against another"),
    "x_ind": ("横轴指数", "Horizontal index"),
    "y_ind": ("纵轴指数", "Vertical index"),
    "same_ind": ("请选择两项不同的指数。", "Choose two different indices."),
    "scatter_title": ("{year}年各{child}{x}与{y}:{rel}", "{x} against {y} across {child}, {year}: {rel}"),
    "rel_pos": ("{x}高的地区{y}也较高(相关系数 r = {r:.2f})", "higher {x} goes with higher {y} (r = {r:.2f})"),
    "rel_neg": ("{x}高的地区{y}反而较低(相关系数 r = {r:.2f})", "higher {x} goes with lower {y} (r = {r:.2f})"),
    "rel_none": ("两项指数关系不明显(相关系数 r = {r:.2f})", "no clear relation (r = {r:.2f})"),
    "rel_na": ("地区太少,无法判断关系", "too few regions to judge"),
    "scatter_note": ("点的面积表示样本量(两项调查平均,人),细线为各自的95%置信区间;虚线为{ref}水平({x} {vx},"
                     "{y} {vy})。",
                     "Point area shows respondents (mean of the two surveys); thin bars are 95% intervals; dashed "
                     "lines are {ref} ({x} {vx}, {y} {vy})."),
    "axis": ("{name}(%)", "{name} (%)"),
    "table": ("明细表", "Table"),
    "all_rows": ("表中显示全部指数", "Show every index in the table"),
    "table_note": ("{year}年调查;名次变化为正表示名次上升;同比判定依据 Newcombe 差值区间是否跨过 0。",
                   "Survey of {year}; a positive rank change is a rise; year-on-year verdicts use the Newcombe "
                   "interval of the difference."),
    "no_children": ("{place}没有可比较的下级地区。", "{place} has no sub-regions to compare."),
    "no_data": ("{place}{year}年没有满意度调查数据。", "No survey data for {place} in {year}."),
    "up": ("上升", "up"), "down": ("下降", "down"), "flat": ("误差内", "within error"),
    "col_ind": ("指数名称", "Index"), "col_rank": ("名次", "Rank"), "col_range": ("名次区间", "Rank range"),
    "col_region": ("地区", "Region"), "col_code": ("代码", "Code"), "col_rate": ("指数(%)", "Index (%)"),
    "col_lo": ("95%下限(%)", "95% low (%)"), "col_hi": ("95%上限(%)", "95% high (%)"),
    "col_n": ("样本(人)", "Respondents"), "col_gap": ("与{ref}差(百分点)", "Gap to {ref} (pp)"),
    "col_versus": ("与{ref}比较(超出误差)", "Versus {ref} (beyond error)"), "col_prev": ("{prev}年(%)", "{prev} (%)"),
    "col_yoy": ("同比(百分点)", "YoY (pp)"), "col_yoy_sig": ("同比判定", "YoY verdict"),
    "col_prev_rank": ("{prev}年名次", "Rank {prev}"), "col_rank_change": ("名次变化", "Rank change"),
    "col_streak": ("连续达标(年)", "Years at target"), "col_pub": ("公开值(%)", "Published (%)"),
    "child_province": ("省份", "provinces"), "child_prefecture": ("市(州)", "prefectures"),
    "child_county": ("县(市、区)", "counties"),
    "ref_all": ("总体", "all regions overall"),
    "ref_place": ("全市", "{short} overall"),
    "file": ("安全感与满意度_{short}_{year}", "satisfaction_{code}_{year}"),
})

ORDER = ("sat_public_safety", "sat_public_order", "sat_law_enforcement", "sat_antigang", "sat_rule_of_law",
         "sat_team_rectification")
SCATTER_DEFAULTS = (("x_ind", "sat_public_safety"), ("y_ind", "sat_law_enforcement"))
# How a report names the whole of a place: 全省, 全区, 全州, 全市 (the fallback), 全县.
REF_WORDS = (("自治区", "全区"), ("省", "全省"), ("地区", "全地区"), ("盟", "全盟"), ("州", "全州"), ("县", "全县"),
             ("旗", "全旗"), ("区", "全区"))
# The table's number columns and their formats (keys of TEXT; the page turns them into column settings).
TABLE_FORMATS = {"col_rank": "%d", "col_rate": "%.2f", "col_lo": "%.2f", "col_hi": "%.2f", "col_n": "localized",
                 "col_yoy": "%+.2f", "col_rank_change": "%+d", "col_streak": "%d", "col_pub": "%g"}


def ref_word(name: str, short: str, level: str, lang: str) -> str:
    """The words for the whole of the comparison's parent: 全省 … in Chinese, '云南 overall' in English."""
    if level == "all":
        return TEXT("ref_all", lang)
    if lang == "en":
        return TEXT("ref_place", lang, short=short)
    return next((word for suffix, word in REF_WORDS if name.endswith(suffix)), TEXT("ref_place", lang))


@dataclass(frozen=True)
class Headline:
    """One index of the scope itself: the metric, the lines under it and the published figures."""
    code: str
    label: str
    value: str
    delta: str | None
    help: str
    lines: str
    published: str | None
    claim: str | None


@dataclass(frozen=True)
class Satisfaction:
    title: str
    method: str
    has_demo: bool
    lang: str
    year: int
    codes: tuple[str, ...]              # the indices surveyed this year, in the page's order ('' when none)
    names: dict                         # index code -> name
    no_data: str | None                 # no survey in scope and year: the page says so and stops
    headline: tuple[Headline, ...]
    compare_head: str
    # what the sections share
    comp_short: str
    comp_region: str
    child_word: str
    ref_label: str
    mine: str | None                    # a county's short name among its siblings
    own_short: str
    targets: dict
    ref_now: dict
    own: pl.DataFrame
    sub_trend: pl.DataFrame
    table_all: pl.DataFrame


@dataclass(frozen=True)
class Ranking:
    chart: go.Figure | None
    note: str | None
    empty: str | None


@dataclass(frozen=True)
class Trend:
    names: tuple[str, ...]              # the sub-regions one may highlight
    chart: go.Figure | None
    note: str | None


@dataclass(frozen=True)
class Scatter:
    chart: go.Figure | None
    note: str | None
    message: str | None                 # the same index twice, or no sub-region


@dataclass(frozen=True)
class Table:
    frame: pl.DataFrame
    formats: dict                       # column label -> number format
    hidden: str                         # the code column: exported, not shown
    note: str
    basename: str


def _comparison(scope: Scope, regs: dict) -> tuple[str, str, str | None]:
    """The comparison: the scope's children, or for a county its sibling counties (mine: the county)."""
    if scope.level == "county":
        return scope.prefecture, "county", regs[scope.county]["short_name"]
    return scope.region, scope.child_level, None


def calls(scope: Scope) -> list[tuple[str, dict]]:
    """The queries `build` runs, in order."""
    regs = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    comp_region, child_level, _ = _comparison(scope, regs)
    out = [("meta_regions_with_data", {}), ("meta_indicators", {}),
           ("satisfaction_region_trend", dict(region=scope.region))]
    if comp_region != scope.region:
        out.append(("satisfaction_region_trend", dict(region=comp_region)))
    return out + [("satisfaction_subregions", dict(region=comp_region, child_level=child_level, year=scope.year)),
                  ("satisfaction_subregion_trend", dict(region=comp_region, child_level=child_level)),
                  ("satisfaction_published", dict(region=comp_region))]


def _streak_line(series: pl.DataFrame, target: float, year: int, lang: str) -> str:
    by_year = dict(zip(series["year"].to_list(), series["rate_pct"].to_list()))
    n, first = stats.streak(by_year, target, year)
    from_first = bool(n) and first == min(by_year)
    if not n:
        return TEXT("streak_none", lang, year=year, target=f"{target:g}")
    if n == 1:
        return TEXT("streak_one", lang, end=year, target=f"{target:g}",
                    first=TEXT("first_survey", lang) if from_first else "")
    return TEXT("streak", lang, n=n, target=f"{target:g}", start=first, end=year,
                first=TEXT("streak_first", lang, start=first) if from_first else "")


def pub_mark(matches, lang: str) -> str:
    if matches is None:
        return TEXT("uncheckable", lang)
    return TEXT("match" if matches else "differs", lang)


def _headline(code: str, catalog: dict, own: pl.DataFrame, now: dict, before: dict | None, figs: pl.DataFrame,
              year: int, lang: str) -> Headline:
    """An index with its interval, change beyond sampling error, streak and the published figures."""
    prev_year = year - 1
    target = catalog[code]["target"]
    name = catalog[code][f"name_{lang}"]
    lines = [TEXT("ci", lang, lo=fmt.pct(now["ci_low_pct"]), hi=fmt.pct(now["ci_high_pct"]),
                  n=f"{now['sample_size']:,}")]
    if before is None:
        lines.append(TEXT("yoy_none", lang, prev=prev_year))
    else:
        lo, hi = stats.newcombe_diff(now["positive"], now["sample_size"], before["positive"], before["sample_size"])
        lines.append(TEXT("yoy_up" if lo > 0 else "yoy_down" if hi < 0 else "yoy_same", lang, prev=prev_year))
    if target is not None:
        lines.append(_streak_line(own.filter(pl.col("indicator") == code), target, year, lang))
    annual = figs.filter((pl.col("years") == 1) & (pl.col("end_year") == year))
    published = claim = None
    if annual.height:
        # the same figure may be quoted twice in the seed: show the fuller sentence
        row = annual.sort(pl.col("quote").str.len_chars(), descending=True).row(0, named=True)
        published = TEXT("published", lang, v=f"{row['value']:g}", quote=row["quote"],
                         mark=pub_mark(row["matches"], lang))
    claims = figs.filter((pl.col("years") > 1) & (pl.col("end_year") <= year))
    if claims.height:
        row = claims.sort("end_year").row(-1, named=True)
        claim = TEXT("pub_streak", lang, end=row["end_year"], quote=row["quote"], mark=pub_mark(row["matches"], lang))
    return Headline(code, name + (f" · {TEXT('target', lang, v=f'{target:g}')}" if target is not None else ""),
                    fmt.pct(now["rate_pct"]),
                    None if before is None else TEXT("pp", lang, v=now["rate_pct"] - before["rate_pct"]),
                    catalog[code]["definition_zh"], "  \n".join(lines), published, claim)


def build(scope: Scope) -> Satisfaction:
    """The headline of the scope's own indices and the sub-region frames the sections draw from."""
    lang, year = scope.lang, scope.year
    prev_year = year - 1
    regs = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    comp_region, child_level, mine = _comparison(scope, regs)
    comp_level = regs[comp_region]["level"] if comp_region else "all"
    comp_short = regs[comp_region]["short_name"] if comp_region else t("all_regions", lang)
    ref_label = ref_word(regs[comp_region]["name"] if comp_region else "", comp_short, comp_level, lang)
    own_short = regs[scope.region]["short_name"] if scope.region else t("all_regions", lang)

    catalog = {r["code"]: r for r in queries.run("meta_indicators").filter(pl.col("domain") == "satisfaction")
               .iter_rows(named=True)}
    own = stats.with_wilson(queries.run("satisfaction_region_trend", region=scope.region))
    ref_trend = own if comp_region == scope.region else queries.run("satisfaction_region_trend", region=comp_region)
    subs = queries.run("satisfaction_subregions", region=comp_region, child_level=child_level, year=year)
    sub_trend = queries.run("satisfaction_subregion_trend", region=comp_region, child_level=child_level)
    published = queries.run("satisfaction_published", region=comp_region)

    own_now = {r["indicator"]: r for r in own.filter(pl.col("year") == year).iter_rows(named=True)}
    own_prev = {r["indicator"]: r for r in own.filter(pl.col("year") == prev_year).iter_rows(named=True)}
    ref_now = {r["indicator"]: r["rate_pct"] for r in ref_trend.filter(pl.col("year") == year).iter_rows(named=True)}
    codes = [c for c in ORDER if c in own_now and c in catalog] + \
        sorted(c for c in own_now if c in catalog and c not in ORDER)
    names = {c: r[f"name_{lang}"] for c, r in catalog.items()}

    mine_pub = published.filter(pl.col("region_code") == scope.region) if scope.region else published.head(0)
    headline = tuple(_headline(c, catalog, own, own_now[c], own_prev.get(c), mine_pub.filter(pl.col("indicator") == c),
                               year, lang) for c in codes)

    # Sub-regions of every index this year: intervals, rank ranges, verdicts against the parent, change, streaks.
    ann_pub = published.filter((pl.col("years") == 1) & (pl.col("end_year") == year)) \
        .group_by("region_code", "indicator").agg(pl.col("value").first().alias("published_value"))
    tables = []
    for code in codes:
        part = subs.filter(pl.col("indicator") == code)
        if part.height == 0:
            continue
        runs = stats.streaks(sub_trend.filter(pl.col("indicator") == code), "code", catalog[code]["target"], year)
        tables.append(
            stats.compare(part, ref_now.get(code))
            .join(runs, on="code", how="left")
            .join(ann_pub, left_on=["code", "indicator"], right_on=["region_code", "indicator"], how="left")
            .with_columns(pl.lit(names[code]).alias("indicator_name"),
                          (pl.col("prev_rank") - pl.col("rank")).alias("rank_change")))
    child_word = TEXT(f"child_{child_level}", lang)
    return Satisfaction(
        title=TEXT("title", lang, place=scope.name, year=year), method=TEXT("method", lang, year=year, prev=prev_year),
        has_demo=any(r["has_demo"] for r in own_now.values()) or bool(subs["has_demo"].any()),
        lang=lang, year=year, codes=tuple(codes), names=names,
        no_data=None if codes else TEXT("no_data", lang, place=scope.name, year=year),
        headline=headline, compare_head=TEXT("compare", lang, child=child_word),
        comp_short=comp_short, comp_region=comp_region, child_word=child_word, ref_label=ref_label, mine=mine,
        own_short=own_short, targets={c: r["target"] for c, r in catalog.items()}, ref_now=ref_now, own=own,
        sub_trend=sub_trend, table_all=pl.concat(tables, how="diagonal_relaxed") if tables else pl.DataFrame())


def scatter_defaults(codes) -> dict[str, str]:
    """The scatter's two indices when the link names none: 群众安全感 against 政法队伍执法满意率 when surveyed."""
    return {key: fallback if fallback in codes else codes[-1 if key == "y_ind" else 0]
            for key, fallback in SCATTER_DEFAULTS}


def ranking(v: Satisfaction, ind: str) -> Ranking:
    """The sub-regions ranked on one index, with intervals, the parent's level and the verdicts in the title."""
    lang, prev_year = v.lang, v.year - 1

    def tr(key: str, **kw) -> str:
        return TEXT(key, lang, **kw)

    view = v.table_all.filter(pl.col("indicator") == ind) if v.table_all.height else v.table_all
    if view.height == 0:
        return Ranking(None, None, tr("no_children", place=v.comp_short))
    view = view.sort("rank", "code")
    counts = view["versus"].value_counts()
    n_of = dict(zip(counts["versus"].to_list(), counts["count"].to_list()))
    verdict = tr("verdict", a=n_of.get("above", 0), b=n_of.get("below", 0), ref=v.ref_label) \
        if n_of.get("above") or n_of.get("below") else tr("verdict_none", ref=v.ref_label)
    marker = pl.lit("") if v.mine is None else \
        pl.when(pl.col("short_name") == v.mine).then(pl.lit("▶ ")).otherwise(pl.lit(""))
    dots = view.with_columns(
        pl.concat_str(marker, pl.col("short_name"), pl.lit("  ("), pl.col("rank_range"), pl.lit(")")).alias("label"),
        pl.col("short_name").alias("name"), pl.col("rank_range").alias("rank_label"),
        pl.struct("yoy_pts", "rank_change", "prev_rank").map_elements(
            lambda r: tr("hover_none", prev=prev_year) if r["yoy_pts"] is None else
            tr("hover_change", prev=prev_year, v=r["yoy_pts"], rank=r["prev_rank"], d=r["rank_change"] or 0),
            return_dtype=pl.Utf8).alias("change"))
    fig = charts.ranked_dots(
        dots, ref_value=v.ref_now.get(ind), ref_label=v.ref_label, target=v.targets[ind],
        title=tr("rank_title", year=v.year, parent=v.comp_short, child=v.child_word, ind=v.names[ind],
                 verdict=verdict),
        versus_names={k: tr(k, ref=v.ref_label) for k in ("above", "same", "below")},
        published_name=tr("published_mark"), target_name=tr("target_line"), prev_name=tr("prev_mark", prev=prev_year),
        hover={"rate": tr("hover_rate"), "ci": tr("hover_ci"), "n": tr("hover_n"), "rank": tr("hover_rank")})
    return Ranking(fig, tr("rank_note", ref=v.ref_label), None)


def trend(v: Satisfaction, ind: str, highlight: list[str] = ()) -> Trend:
    """The scope's own line with its band, the sub-regions behind it (some highlighted), the streak in the title."""
    lang, year = v.lang, v.year

    def tr(key: str, **kw) -> str:
        return TEXT(key, lang, **kw)

    own_line = v.own.filter((pl.col("indicator") == ind) & (pl.col("year") <= year)).sort("year")
    kids_line = v.sub_trend.filter((pl.col("indicator") == ind) & (pl.col("year") <= year))
    if v.mine:
        kids_line = kids_line.filter(pl.col("short_name") != v.mine)
    names = tuple(sorted(set(kids_line["short_name"].to_list())))
    if own_line.height == 0:
        return Trend(names, None, None)
    target = v.targets[ind]
    by_year = dict(zip(own_line["year"].to_list(), own_line["rate_pct"].to_list()))
    n_run, _ = stats.streak(by_year, target, year) if target is not None else (0, None)
    if target is None:
        streak_text = tr("trend_notarget", year=year, v=fmt.pct(by_year.get(year)))
    elif n_run == 0:
        streak_text = tr("trend_nostreak", year=year, target=f"{target:g}")
    elif n_run == 1:
        streak_text = tr("trend_one", year=year, target=f"{target:g}")
    else:
        streak_text = tr("trend_streak", n=n_run, target=f"{target:g}")
    fig = charts.trend(
        own_line, kids_line, own_label=v.own_short, target=target, highlight=[n for n in highlight if n in names],
        title=tr("trend_title", place=v.own_short, ind=v.names[ind], first=int(own_line["year"].min()), year=year,
                 streak=streak_text),
        others_name=tr("siblings", parent=v.comp_short, child=v.child_word) if v.mine else tr("others"),
        band_name=tr("band"), target_name=tr("target_line"))
    return Trend(names, fig, tr("trend_note", place=v.own_short))


def scatter(v: Satisfaction, x_ind: str, y_ind: str) -> Scatter:
    """Two indices at once across the sub-regions, with the correlation said in words."""
    lang = v.lang

    def tr(key: str, **kw) -> str:
        return TEXT(key, lang, **kw)

    if x_ind == y_ind:
        return Scatter(None, None, tr("same_ind"))
    if not v.table_all.height:
        return Scatter(None, None, None)
    cols = ["code", "short_name", "rate_pct", "ci_low_pct", "ci_high_pct", "sample_size"]
    xs = v.table_all.filter(pl.col("indicator") == x_ind).select(cols)
    ys = v.table_all.filter(pl.col("indicator") == y_ind).select(cols)
    pair = xs.join(ys, on=["code", "short_name"], suffix="_y").select(
        "short_name",
        pl.col("rate_pct").alias("x"), pl.col("ci_low_pct").alias("x_low"), pl.col("ci_high_pct").alias("x_high"),
        pl.col("rate_pct_y").alias("y"), pl.col("ci_low_pct_y").alias("y_low"),
        pl.col("ci_high_pct_y").alias("y_high"),
        ((pl.col("sample_size") + pl.col("sample_size_y")) / 2).round(0).cast(pl.Int64).alias("sample_size"))
    if pair.height == 0:
        return Scatter(None, None, tr("no_children", place=v.comp_short))
    r = stats.pearson(pair["x"].to_list(), pair["y"].to_list())
    names_xy = {"x": v.names[x_ind], "y": v.names[y_ind]}
    rel = tr("rel_na") if r is None else tr("rel_pos" if r >= 0.5 else "rel_neg" if r <= -0.5 else "rel_none",
                                            r=r, **names_xy)
    fig = charts.scatter(
        pair, x_name=names_xy["x"], y_name=names_xy["y"], ref_x=v.ref_now.get(x_ind), ref_y=v.ref_now.get(y_ind),
        ref_label=v.ref_label, highlight=v.mine, n_label=tr("hover_n"),
        x_title=tr("axis", name=names_xy["x"]), y_title=tr("axis", name=names_xy["y"]),
        title=tr("scatter_title", year=v.year, child=v.child_word, rel=rel, **names_xy))
    note = tr("scatter_note", ref=v.ref_label, vx=fmt.pct(v.ref_now.get(x_ind)), vy=fmt.pct(v.ref_now.get(y_ind)),
              **names_xy)
    return Scatter(fig, note, None)


def table(v: Satisfaction, ind: str, show_all: bool = False) -> Table | None:
    """Everything shown, one row per sub-region (and index when `show_all`), columns named in the page's language."""
    if not v.table_all.height:
        return None
    lang, prev_year, ref = v.lang, v.year - 1, v.ref_label

    def tr(key: str, **kw) -> str:
        return TEXT(key, lang, **kw)

    rows = (v.table_all if show_all else v.table_all.filter(pl.col("indicator") == ind)).sort("indicator", "rank",
                                                                                              "code")
    yoy_word = {"up": tr("up"), "down": tr("down"), "same": tr("flat")}
    out = rows.select(
        pl.col("rank").alias(tr("col_rank")),
        pl.col("rank_range").alias(tr("col_range")),
        pl.col("short_name").alias(tr("col_region")),
        pl.col("rate_pct").round(2).alias(tr("col_rate")),
        pl.col("ci_low_pct").round(2).alias(tr("col_lo")),
        pl.col("ci_high_pct").round(2).alias(tr("col_hi")),
        pl.col("sample_size").alias(tr("col_n")),
        pl.col("gap_pts").round(2).alias(tr("col_gap", ref=ref)),
        pl.col("versus").replace_strict({k: tr(f"{k}_short", ref=ref) for k in ("above", "same", "below")})
        .alias(tr("col_versus", ref=ref)),
        pl.col("prev_rate_pct").round(2).alias(tr("col_prev", prev=prev_year)),
        pl.col("yoy_pts").round(2).alias(tr("col_yoy")),
        pl.col("yoy_change").replace_strict(yoy_word, default=None).alias(tr("col_yoy_sig")),
        pl.col("prev_rank").alias(tr("col_prev_rank", prev=prev_year)),
        pl.col("rank_change").alias(tr("col_rank_change")),
        pl.col("streak_years").alias(tr("col_streak")),
        pl.col("published_value").alias(tr("col_pub")),
        pl.col("code").alias(tr("col_code")),
    )
    if show_all:
        out = out.insert_column(0, rows["indicator_name"].alias(tr("col_ind")))
    formats = {tr(k): f for k, f in TABLE_FORMATS.items()}
    formats.update({tr("col_gap", ref=ref): "%+.2f", tr("col_prev", prev=prev_year): "%.2f",
                    tr("col_prev_rank", prev=prev_year): "%d"})
    return Table(out, formats, tr("col_code"), tr("table_note", year=v.year),
                 tr("file", short=v.comp_short, code=v.comp_region or "all", year=v.year))
