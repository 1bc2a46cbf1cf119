"""数据来源 (pages/sources.py): every published figure with its quote, beside the warehouse's value and a match mark
(the match itself is decided by pingan/rules.py when the snapshot is built: `matches` of sources_reconciliation)."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import queries
from ..i18n import Texts
from ..scope import Scope

TEXT = Texts({
    "title": ("公开数据来源与核对", "Published figures and reconciliation"),
    "intro": ("种子文件:2022年平安建设、市域社会治理工作总结汇编(9篇,涉及青海、宁夏、云南、大理州、玉林、濮阳、赣州、"
              "庆阳、陇南)。每个数字附原文引语;“校准”指演示数据按此数字生成,“仓库值”为数据仓库按同一地区、期间、口径"
              "的汇总。",
              "Seed: a 2022 compilation of nine work summaries. Each figure carries its quote; 'calibrated' figures "
              "are reproduced by the demo data; 'warehouse value' is the warehouse's aggregate for the same place, "
              "period and definition."),
    "n_published": ("公开数字", "Published figures"),
    "n_calibrated": ("已校准", "Calibrated"),
    "n_reproduced": ("仓库复现", "Reproduced"),
    "n_comparable": ("仓库可核对", "Comparable"),
    "article": ("文章", "Article"),
    "all_articles": ("全部文章", "All articles"),
    "show": ("显示", "Show"),
    "only_all": ("全部", "all"),
    "only_calibrated": ("仅已校准", "calibrated"),
    "only_comparable": ("仅可核对", "comparable"),
    "only_mismatch": ("仅不一致", "mismatch"),
    "search": ("搜索引语或指标", "Search quote or indicator"),
    "match": ("✅ 一致", "✅ match"),
    "differs": ("❌ 不一致", "❌ differs"),
    "col_figure_id": ("编号", "ID"),
    "col_article_name": ("文章", "Article"),
    "col_region_name": ("地区", "Region"),
    "col_indicator_name": ("指标", "Indicator"),
    "col_indicator": ("指标代码", "Code"),
    "col_published_value": ("公开值", "Published"),
    "col_unit": ("单位", "Unit"),
    "col_qualifier": ("限定", "Qualifier"),
    "col_period": ("期间", "Period"),
    "col_calibrated": ("已校准", "Calibrated"),
    "col_warehouse_value": ("仓库值", "Warehouse"),
    "col_status": ("核对", "Check"),
    "col_quote": ("原文引语", "Quote"),
    # The rule is pingan/rules.py (data/published/README.md, "Matching a figure"); this says it in a line.
    "rows": ("共 {n} 条。比较规则:精确数字按公开值的小数位四舍五入后比较;“以上”“超”要求仓库值不低于公开值;"
             "“余”“多”不低于公开值、不超过其末位数字加一;“约”按公开值末位四舍五入后相等;“近”不高于公开值、"
             "不低于其末位数字的一半;多年期间的“以上”比较其中最低的一年。",
             "{n} rows. Exact figures are compared at their published precision; 以上/超 require at least the figure; "
             "余/多 at least the figure and below one more unit of its last digit; 约 rounds to the figure at its "
             "last digit; 近 at most the figure and not below it by more than half its last digit; a multi-year "
             "以上 is compared with its lowest year."),
    "file": ("公开数据来源", "公开数据来源"),  # the download's file name stays Chinese in both languages
})

# The nine seed articles, in the order the filter lists them.
ARTICLES = {"qinghai": "青海", "ningxia": "宁夏", "yunnan": "云南", "dali": "大理州", "yulin": "玉林",
            "puyang": "濮阳", "ganzhou": "赣州", "qingyang": "庆阳", "longnan": "陇南"}
SHOW = ("all", "calibrated", "comparable", "mismatch")
COLUMNS = ("figure_id", "region_name", "indicator_name", "published_value", "unit", "qualifier", "warehouse_value",
           "status", "calibrated", "period", "quote", "article_name", "indicator")


@dataclass(frozen=True)
class Sources:
    n_published: int
    n_calibrated: int
    n_reproduced: int       # calibrated figures the warehouse matches
    n_comparable: int       # figures the warehouse has a value for
    table: pl.DataFrame     # COLUMNS, after the filters
    rows_caption: str


def calls(scope: Scope) -> list[tuple[str, dict]]:
    return [("sources_reconciliation", dict(region=scope.region))]


def _filtered(figs: pl.DataFrame, articles, show: str, text: str) -> pl.DataFrame:
    view = figs
    if articles:
        view = view.filter(pl.col("article").is_in(list(articles)))
    if show == "calibrated":
        view = view.filter(pl.col("calibrated"))
    elif show == "comparable":
        view = view.filter(pl.col("warehouse_value").is_not_null())
    elif show == "mismatch":
        view = view.filter(pl.col("matches") == False)  # noqa: E712  (null: nothing to compare, not a mismatch)
    if text:
        view = view.filter(pl.col("quote").str.contains(text, literal=True)
                           | pl.col("indicator").str.contains(text, literal=True)
                           | pl.col("indicator_name").fill_null("").str.contains(text, literal=True))
    return view


def build(scope: Scope, articles: tuple[str, ...] = (), show: str = "all", text: str = "") -> Sources:
    """The figures about the scope's place and below, the counts over all of them, and the table after the filters
    (articles, one of SHOW, a text searched in quote, indicator code and name)."""
    lang = scope.lang
    (figs,) = queries.run_many(calls(scope))
    calibrated = figs.filter(pl.col("calibrated"))
    view = _filtered(figs, articles, show, text).with_columns(
        pl.col("article").replace_strict(ARTICLES, default=pl.col("article")).alias("article_name"),
        pl.col("indicator_name").fill_null(pl.col("indicator")),
        pl.when(pl.col("matches").is_null()).then(pl.lit("—"))
        .when(pl.col("matches")).then(pl.lit(TEXT("match", lang)))
        .otherwise(pl.lit(TEXT("differs", lang))).alias("status"),
        (pl.col("period_start").dt.strftime("%Y-%m-%d") + " — " + pl.col("period_end").dt.strftime("%Y-%m-%d"))
        .alias("period"),
    ).select(COLUMNS)
    return Sources(
        n_published=figs.height,
        n_calibrated=calibrated.height,
        n_reproduced=calibrated.filter(pl.col("matches").fill_null(False)).height,
        n_comparable=figs.filter(pl.col("warehouse_value").is_not_null()).height,
        table=view,
        rows_caption=TEXT("rows", lang, n=view.height),
    )
