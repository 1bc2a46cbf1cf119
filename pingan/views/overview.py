"""总览 (pages/overview.py): headline figures of the four domains for the scope and period, each against the
previous period, and the sub-regions below target."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import fmt, periods, queries, rules
from ..i18n import Texts, pick, t
from ..scope import Scope

TEXT = Texts({
    "title": ("{place}平安建设总览", "Overview: {place}"),
    "grid_section": ("网格化服务管理", "Grid management"),
    "disputes_section": ("矛盾纠纷排查化解", "Dispute resolution"),
    "antigang_section": ("扫黑除恶", "Anti-gang campaign"),
    "satisfaction_section": ("群众安全感与满意度", "Safety and satisfaction"),
    "mixed": ("。与上期不作比较:一期是导入的数据,另一期是演示数据。",
              ". Not compared with the previous period: one of the two is imported data, the other demo data."),
    "points": ("{diff:+.2f} 个百分点", "{diff:+.2f} pp"),
    "target_suffix": (" · {target} {value:g}%", " · {target} {value:g}%"),
    "caption": ("安全感与满意度为{year}年度调查结果(按样本量加权),与{prev_year}年度相比;其余指标与上一同长期间"
                "({prev})相比。网格数为期末存量。",
                "Survey indices are for {year} against {prev_year}; other figures against the previous period of "
                "the same length ({prev}). Grids are the stock at the end of the period."),
    "below_title": ("低于目标的下级地区", "Sub-regions below target"),
    "below_none": ("所有下级地区均达到目标。", "Every sub-region meets its targets."),
    "below_file": ("低于目标的下级地区", "低于目标的下级地区"),  # the file name stays Chinese in both languages
    "col_region": ("地区", "Region"),
    "col_indicator": ("指标", "Indicator"),
    "col_value": ("实际(%)", "Actual (%)"),
    "col_target": ("目标(%)", "Target (%)"),
    "col_gap": ("差距(个百分点)", "Gap (pp)"),
})

ANTIGANG = ("ag_gang_total", "ag_criminal_cases", "ag_suspects", "ag_assets_yuan")
SATISFACTION = ("sat_public_safety", "sat_public_order", "sat_law_enforcement", "sat_antigang")
BELOW_COLUMNS = ("name", "indicator_name", "value", "target", "gap")


@dataclass(frozen=True)
class Metric:
    """One st.metric: what it shows (label, shown, delta, help) and the numbers behind it."""
    code: str
    label: str
    shown: str
    value: float | None
    before: float | None
    comparable: bool
    delta: str | None = None
    delta_color: str = "normal"
    help: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    metrics: tuple[Metric, ...]


@dataclass(frozen=True)
class Overview:
    title: str
    has_demo: bool
    sections: tuple[Section, ...]
    caption: str
    below_title: str | None       # None: the scope has no sub-regions (a county)
    below: pl.DataFrame | None    # sub-region, indicator, value, target, gap; empty: every one meets its target
    below_none: str


def _periods(scope: Scope) -> tuple[periods.Period, int, int, int]:
    """The previous period of the same length, and the scope's first year, last year and span in years."""
    first_y, last_y = scope.period.start.year, scope.period.end.year
    return scope.period.previous(), first_y, last_y, last_y - first_y + 1


def calls(scope: Scope) -> list[tuple[str, dict]]:
    """The queries the page runs, in order: the ten headline ones (side by side), then the sub-regions below target."""
    prev, first_y, last_y, span = _periods(scope)
    region, year = scope.region, scope.year
    out = [
        ("grid_summary", dict(region=region, year=year)),
        ("grid_summary", dict(region=region, year=prev.end.year)),
        ("region_population", dict(region=region)),
        ("disputes_summary", dict(region=region, start=scope.period.start, end=scope.period.end)),
        ("disputes_summary", dict(region=region, start=prev.start, end=prev.end)),
        ("antigang_summary", dict(region=region, first_year=first_y, last_year=last_y)),
        ("antigang_summary", dict(region=region, first_year=first_y - span, last_year=last_y - span)),
        ("satisfaction_summary", dict(region=region, year=year)),
        ("satisfaction_summary", dict(region=region, year=year - 1)),
        ("meta_indicators", {}),
    ]
    if scope.child_level:
        out.append(("overview_below_target", dict(region=region, child_level=scope.child_level,
                                                  start=scope.period.start, end=scope.period.end, year=year)))
    return out


def pair_comparable(now_row: dict | None, before_row: dict | None) -> bool:
    """A change may be shown unless one period is imported and the other demo (rules.comparable); an indicator
    missing from either period has nothing to mix."""
    if not now_row or not before_row:
        return True
    return rules.comparable(now_row.get("has_demo"), before_row.get("has_demo"))


class _Metrics:
    """Builds the metrics of one scope from the indicator catalog, in one language."""

    def __init__(self, catalog: dict[str, dict], lang: str):
        self.catalog, self.lang = catalog, lang

    def name(self, code: str) -> str:
        row = self.catalog[code]
        return pick(row["name_zh"], row["name_en"], self.lang)

    def _help(self, code: str, extra: str, comparable: bool) -> str:
        return f"{self.catalog[code]['definition_zh']}{extra}{'' if comparable else TEXT('mixed', self.lang)}"

    def count(self, code: str, now, before, comparable: bool = True) -> Metric:
        unit = self.catalog[code]["unit"]
        change = fmt.change_ratio(now, before) if comparable else None
        delta = None if change is None else f"{change:+.1%} {t('vs_previous', self.lang)}"
        return Metric(code, self.name(code), fmt.value(now, unit, self.lang), now, before, comparable, delta,
                      help=self._help(code, "", comparable))

    def rate(self, code: str, now, before, comparable: bool = True) -> Metric:
        row = self.catalog[code]
        delta = None
        if now is not None and before is not None and comparable:
            delta = TEXT("points", self.lang, diff=now - before)
        target = "" if row["target"] is None else \
            TEXT("target_suffix", self.lang, target=t("target", self.lang), value=row["target"])
        return Metric(code, self.name(code) + target, fmt.pct(now), now, before, comparable, delta,
                      "normal" if row["direction"] == "higher" else "inverse", self._help(code, "", comparable))

    def plain(self, code: str, value, shown: str) -> Metric:
        return Metric(code, self.name(code), shown, value, None, True, help=self.catalog[code]["definition_zh"])


def _by_indicator(df: pl.DataFrame) -> dict[str, dict]:
    return {r["indicator"]: r for r in df.iter_rows(named=True)}


def build(scope: Scope) -> Overview:
    """Everything the overview shows for the scope (its queries: `calls(scope)`)."""
    lang = scope.lang
    frames = queries.run_many(calls(scope))
    (grid_now, grid_prev, pop_df, disp_now, disp_prev, ag_now_df, ag_prev_df, sat_now_df, sat_prev_df,
     catalog_df) = frames[:10]
    grid_now, grid_prev = grid_now.row(0, named=True), grid_prev.row(0, named=True)
    pop = pop_df.row(0, named=True)["population"]
    disp_now, disp_prev = disp_now.row(0, named=True), disp_prev.row(0, named=True)
    ag_now, ag_prev = _by_indicator(ag_now_df), _by_indicator(ag_prev_df)
    sat_now, sat_prev = _by_indicator(sat_now_df), _by_indicator(sat_prev_df)
    catalog = {r["code"]: r for r in catalog_df.iter_rows(named=True)}
    m = _Metrics(catalog, lang)

    has_demo = bool(grid_now["has_demo"] or disp_now["has_demo"]
                    or any(r["has_demo"] for r in ag_now.values()) or any(r["has_demo"] for r in sat_now.values()))

    grid_cmp = pair_comparable(grid_now, grid_prev)
    per10k = grid_now["grids"] / pop * 10000 if pop else None
    share = (100.0 * grid_now["workers_fulltime"] / grid_now["workers"]) if grid_now["workers"] else None
    grid = (
        m.count("grid_count", grid_now["grids"], grid_prev["grids"], grid_cmp),
        m.count("grid_worker_count", grid_now["workers"], grid_prev["workers"], grid_cmp),
        m.plain("grids_per_10k", per10k, "—" if per10k is None else f"{per10k:.1f}{catalog['grids_per_10k']['unit']}"),
        m.plain("grid_worker_fulltime_share", share, fmt.pct(share, 1)),
    )
    disp_cmp = pair_comparable(disp_now, disp_prev)
    disputes = tuple(m.count(code, disp_now[col], disp_prev[col], disp_cmp) for code, col in (
        ("dispute_identified", "identified"), ("dispute_accepted", "accepted"), ("dispute_resolved", "resolved")))
    disputes += (m.rate("dispute_success_rate", disp_now["success_rate_pct"], disp_prev["success_rate_pct"],
                        disp_cmp),)
    # An indicator the period does not have counts as 0 now (the campaign had no such case) and as unknown before.
    antigang = tuple(m.count(code, ag_now.get(code, {}).get("value") or 0, ag_prev.get(code, {}).get("value"),
                             pair_comparable(ag_now.get(code), ag_prev.get(code))) for code in ANTIGANG)
    satisfaction = tuple(m.rate(code, sat_now.get(code, {}).get("rate_pct"), sat_prev.get(code, {}).get("rate_pct"),
                                pair_comparable(sat_now.get(code), sat_prev.get(code))) for code in SATISFACTION)
    sections = tuple(Section(TEXT(key, lang), ms) for key, ms in (
        ("grid_section", grid), ("disputes_section", disputes), ("antigang_section", antigang),
        ("satisfaction_section", satisfaction)))

    prev = scope.period.previous()
    caption = TEXT("caption", lang, year=scope.year, prev_year=scope.year - 1, prev=periods.label(prev, lang))
    below = frames[10].select(*BELOW_COLUMNS) if scope.child_level else None
    return Overview(TEXT("title", lang, place=scope.name), has_demo, sections, caption,
                    TEXT("below_title", lang) if scope.child_level else None, below, TEXT("below_none", lang))
