"""The command-centre wall (pages/screen.py): this year to the as-of date against the same span a year before.

`calls(region, level, as_of)` lists the queries the wall runs, in order; `build(...)` runs them and returns a `Wall`
of every figure it shows; `theme_view(wall, theme)` picks what the rotating theme puts on the map and the ranking.
The page turns these into HTML, charts and a map; nothing here imports Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from .. import fmt, i18n, periods, queries, rules
from ..i18n import Texts
from ..scope import LEVEL_CHILD

THEMES = ("overall", "disputes", "anti_gang", "satisfaction")

# The wall's URL options: name -> (default, lowest, highest); a value outside is clamped, a non-number ignored.
INT_OPTIONS = {"rotate": (60, 5, 3600), "refresh": (30, 2, 3600), "backlog": (50, 0, 10**7)}

TEXT = Texts({
    "theme_overall": ("综合态势", "Overview"),
    "theme_disputes": ("矛盾纠纷化解", "Dispute resolution"),
    "theme_anti_gang": ("扫黑除恶", "Anti-gang campaign"),
    "theme_satisfaction": ("安全感满意度", "Safety and satisfaction"),
    "m_success": ("矛盾纠纷化解成功率", "Dispute resolution success rate"),
    "m_backlog": ("受理超{days}天未结案件", "Cases open over {days} days"),
    "m_gangs": ("每10万人打掉涉黑涉恶团伙", "Gangs broken up per 100,000 people"),
    "m_safety": ("群众安全感", "Sense of public safety"),
    "u_grids": ("个", "grids"), "u_people": ("人", "people"), "u_cases": ("件", "cases"),
    "u_gangs": ("个", "gangs"), "u_crimes": ("起", "cases"),
    # one value of the theme's figure, a str.format pattern (read without placeholders filled)
    "f_success": ("{:.2f}%", "{:.2f}%"), "f_backlog": ("{:,.0f}件", "{:,.0f} cases"),
    "f_gangs": ("{:.2f}个", "{:.2f}"), "f_safety": ("{:.2f}%", "{:.2f}%"),
    "t_grid": ("网格化服务管理", "Grid management"),
    "t_success": ("{y}年矛盾纠纷化解成功率", "Dispute success rate {y}"),
    "t_gangs": ("{y}年打掉涉黑涉恶团伙", "Gangs broken up {y}"),
    "t_safety": ("{y}年群众安全感", "Sense of safety {y}"),
    "s_grid": ("网格员 {workers} · 较上年末 ", "Grid workers {workers} · vs last year-end "),
    "s_success": ("排查 {identified} · 目标 {target:g}% · ", "Registered {identified} · target {target:g}% · "),
    "s_gangs": ("破案 {cases} · 较上年 ", "Cases solved {cases} · vs last year "),
    "s_safety": ("目标 {target:g}% · 较上年 ", "Target {target:g}% · vs last year "),
    "pp": ("{d:+.{n}f} 个百分点", "{d:+.{n}f} pp"),
    "not_compared": ("(上年口径不同,不比较)", "(different basis last year, not compared)"),
    "a_below": ("低于目标", "Below target"), "a_backlog": ("积案", "Backlog"), "a_fell": ("下降最多", "Fell most"),
    "a_success": ("化解成功率", "success rate"), "a_safety": ("群众安全感", "sense of safety"),
    "a_target": ("(目标 {t:g}%)", " (target {t:g}%)"),
    "a_open": ("受理超{days}天未结", "open over {days} days"),
    "a_open_value": ("{n:,}件", "{n:,} cases"), "a_threshold": ("(阈值 {b:,}件)", " (threshold {b:,} cases)"),
    "a_success_fell": ("化解成功率较上年", "success rate vs last year"),
    "a_safety_fell": ("群众安全感较上年", "sense of safety vs last year"),
    "a_pp": ("{d:+.2f}个百分点", "{d:+.2f} pp"),
    "no_children": ("本级无下级地区,无下级预警", "No sub-regions at this level, no sub-region alerts"),
    "incomplete": ("下级地区数据不全,无法判断是否均达到目标",
                   "Sub-region figures are incomplete: cannot tell whether all meet their targets"),
    "all_clear": ("各下级地区均达到目标,暂无预警", "Every sub-region meets its targets: no alerts"),
    "unknown_region": ("地区代码“{code}”不存在,显示{where}", "Region code “{code}” does not exist; showing {where}"),
    "where_wall": ("本大屏范围", "this wall's scope"), "where_all": ("全部范围", "everything"),
    "outside": ("本大屏的地区范围是{name}({scope}),不能显示地区 {code},已显示{name}",
                "This wall's scope is {name} ({scope}); it cannot show region {code}, showing {name}"),
    "ranking": ("{y}年{label}排名", "{label} {y}: ranking"),
    "funnel": ("{y}年矛盾纠纷化解漏斗", "Dispute resolution funnel {y}"),
    "st_identified": ("排查", "Registered"), "st_accepted": ("受理", "Accepted"), "st_mediated": ("调解", "Mediated"),
    "st_resolved": ("化解成功", "Resolved"), "st_followed_up": ("回访", "Followed up"),
    "trend": ("近两年每月矛盾纠纷排查与化解(虚线:上年同月排查)",
              "Disputes registered and resolved each month, last two years (dotted: registered a year before)"),
    "tr_year_before": ("上年同月排查", "Registered a year before"),  # beside st_identified and st_resolved
})


@dataclass(frozen=True)
class Metric:
    """What a theme puts on the map and in the ranking."""
    column: str                 # column of screen_subregions
    text_key: str               # its label in TEXT
    format_key: str             # its number format in TEXT
    higher_is_better: bool
    target_code: str | None     # indicator code whose catalog target applies
    digits: int                 # class breaks and legend at this precision (2 for rates in %, else 1)


THEME_METRIC = {
    "overall": Metric("success_rate_pct", "m_success", "f_success", True, "dispute_success_rate", 2),
    "disputes": Metric("open_over_90d", "m_backlog", "f_backlog", False, None, 1),
    "anti_gang": Metric("gangs_per_100k", "m_gangs", "f_gangs", True, None, 1),
    "satisfaction": Metric("safety_pct", "m_safety", "f_safety", True, "sat_public_safety", 2),
}


@dataclass(frozen=True)
class Place:
    """The region the wall shows, after the link's choice is checked against the account's or token's scope."""
    region: str            # '' = everything
    row: dict | None       # its row of meta_regions_with_data
    notice: str            # why the link's region was not shown ('' when it was)

    @property
    def level(self) -> str:
        return self.row["level"] if self.row else "all"


@dataclass(frozen=True)
class Change:
    """A change against last year: `good` None when the two years are not comparable (demo beside imported)."""
    text: str
    up: bool
    good: bool | None


@dataclass(frozen=True)
class Tile:
    theme: str      # the tile is highlighted while this theme is on
    title: str
    value: str
    detail: str     # what the tile says under the value, before the change
    change: Change | None


@dataclass(frozen=True)
class Alert:
    tag: str        # 低于目标 / 积案 / 下降最多
    place: str
    what: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Wall:
    as_of: date
    year: int
    level: str
    child: str | None                     # the sub-regions' level, None for a county
    grid: tuple[dict, dict]               # this year, last year (grid_summary rows)
    disputes: tuple[dict, dict]           # disputes_summary rows
    antigang: tuple[dict, dict]           # indicator -> value
    survey: tuple[dict, dict]             # indicator -> rate_pct
    demo: dict                            # figure group -> (this year has demo rows, last year has demo rows)
    targets: dict                         # indicator code -> catalog target
    tiles: tuple[Tile, ...]
    trend: pl.DataFrame                   # screen_dispute_trend
    subs: pl.DataFrame | None             # screen_subregions this year, None for a county
    subs_prev: pl.DataFrame | None        # the same a year before
    alerts: tuple[Alert, ...]
    no_alert: tuple[str, str]             # (text, tone: '' | 'stale' | 'ok') when no alert fired
    funnel: tuple[tuple[str, int], ...]   # (stage, cases)
    funnel_title: str
    trend_title: str
    trend_names: tuple[str, str, str]     # registered, resolved, registered a year before
    has_demo: bool                        # any figure shown this year is demo data (the badge)
    loaded_at: datetime
    lang: str = "zh"


@dataclass(frozen=True)
class ThemeView:
    """What one theme shows: the ranking's and the map's figure, its label, format and target."""
    theme: str
    title: str                 # 综合态势 …
    metric: Metric
    label: str
    number_format: str         # str.format pattern of one value ("{:.2f}%")
    target: float | None
    ranking_title: str


def clamp_int(raw, default: int, lo: int, hi: int) -> int:
    """An integer URL option clamped to [lo, hi]; the default when it is not a number."""
    try:
        return max(lo, min(hi, int(raw if raw is not None else default)))
    except ValueError:
        return default


def options(params: dict) -> dict:
    """The wall's own URL options (theme, rotate, refresh, backlog) from the link's parameters, validated."""
    theme = params.get("theme", "")
    out = {"theme": theme if theme in THEMES else ""}
    for name, (default, lo, hi) in INT_OPTIONS.items():
        out[name] = clamp_int(params.get(name), default, lo, hi)
    return out


def place(requested: str, regions: pl.DataFrame, account_region: str = "", lang: str = "zh") -> Place:
    """The region to show: the link's if it exists and lies in the account's scope, else the account's own."""
    by_code = {r["code"]: r for r in regions.iter_rows(named=True)}
    region, notice = requested, ""
    if region and region not in by_code:
        where = TEXT("where_wall" if account_region else "where_all", lang)
        notice = TEXT("unknown_region", lang, code=region[:20], where=where)
        region = ""
    if account_region and region and not queries.within(region, account_region):
        name = by_code[account_region]["name"] if account_region in by_code else account_region
        notice = TEXT("outside", lang, name=name, scope=account_region, code=region[:20])
        region = ""
    if account_region and not region:
        region = account_region
    return Place(region, by_code.get(region), notice)


def as_of() -> date:
    """The snapshot's as-of date: the wall's 'this year' ends there."""
    info = dict(queries.run("meta_build_info").iter_rows())
    return date.fromisoformat(info.get("as_of", "2022-12-31"))


def spans(as_of_: date) -> tuple[periods.Period, periods.Period]:
    """This year up to the as-of date, and the same span a year before (its day capped at 28: a date in any month)."""
    year = as_of_.year
    return (periods.Period(date(year, 1, 1), as_of_),
            periods.Period(date(year - 1, 1, 1), date(year - 1, as_of_.month, min(as_of_.day, 28))))


def calls(region: str, level: str, as_of_: date) -> list[tuple[str, dict]]:
    """The queries the wall runs for a region at `level`, in order: the build info, then one batch."""
    return [("meta_build_info", {})] + _batch(region, level, as_of_)


def _batch(region: str, level: str, as_of_: date) -> list[tuple[str, dict]]:
    cur, prev = spans(as_of_)
    year = as_of_.year
    child = LEVEL_CHILD[level]
    out = ([("grid_summary", dict(region=region, year=y)) for y in (year, year - 1)]
           + [("disputes_summary", dict(region=region, start=p.start, end=p.end)) for p in (cur, prev)]
           + [("antigang_summary", dict(region=region, first_year=y, last_year=y)) for y in (year, year - 1)]
           + [("satisfaction_summary", dict(region=region, year=y)) for y in (year, year - 1)]
           + [("meta_indicators", {}),
              ("screen_dispute_trend", dict(region=region, start=date(year - 1, 1, 1), end=as_of_))])
    if child:
        out += [("screen_subregions", dict(region=region, child_level=child, start=cur.start, end=cur.end,
                                           year=year, as_of=as_of_)),
                ("screen_subregions", dict(region=region, child_level=child, start=prev.start, end=prev.end,
                                           year=year - 1, as_of=prev.end))]
    return out


def build(region: str, level: str, backlog: int = INT_OPTIONS["backlog"][0], lang: str = "zh") -> Wall:
    """Every figure the wall shows for `region` (at `level`), alerts for a backlog over `backlog` cases."""
    as_of_ = as_of()
    year = as_of_.year
    child = LEVEL_CHILD[level]
    got = queries.run_many(_batch(region, level, as_of_))  # side by side: a refresh waits for the slowest query
    grid = tuple(df.row(0, named=True) for df in got[0:2])
    disputes = tuple(df.row(0, named=True) for df in got[2:4])
    antigang = tuple({r["indicator"]: r["value"] for r in df.iter_rows(named=True)} for df in got[4:6])
    survey = tuple({r["indicator"]: r["rate_pct"] for r in df.iter_rows(named=True)} for df in got[6:8])
    # which of this year's and last year's figures are demo data: an imported one beside a demo one is not compared
    demo = {"grid": tuple(r["has_demo"] for r in grid),
            "disputes": tuple(r["has_demo"] for r in disputes),
            "antigang": tuple(bool(df["has_demo"].any()) for df in got[4:6]),
            "survey": tuple(bool(df.filter(df["indicator"] == "sat_public_safety")["has_demo"].any())
                            for df in got[6:8])}
    targets = {r["code"]: r["target"] for r in got[8].iter_rows(named=True)}
    trend = got[9]
    subs, subs_prev = (got[10], got[11]) if child else (None, None)
    has_demo = bool(any(v[0] for v in demo.values()) or trend["has_demo"].any()
                    or (subs is not None and subs["has_demo"].any()))
    d0 = disputes[0]
    funnel = tuple((TEXT(f"st_{k}", lang), d0[k])
                   for k in ("identified", "accepted", "mediated", "resolved", "followed_up"))
    return Wall(as_of=as_of_, year=year, level=level, child=child, grid=grid, disputes=disputes,
                antigang=antigang, survey=survey, demo=demo, targets=targets,
                tiles=_tiles(grid, disputes, antigang, survey, demo, targets, year, lang),
                trend=trend, subs=subs, subs_prev=subs_prev,
                alerts=alerts(subs, subs_prev, targets, backlog, lang), no_alert=no_alert_text(subs, lang),
                funnel=funnel, funnel_title=TEXT("funnel", lang, y=year), trend_title=TEXT("trend", lang),
                trend_names=tuple(TEXT(k, lang) for k in ("st_identified", "st_resolved", "tr_year_before")),
                has_demo=has_demo, loaded_at=datetime.now(), lang=lang)


def change(now, before, lang: str = "zh", points: bool = False, digits: int = 1, higher_is_better: bool = True,
           demo=(False, False)) -> Change | None:
    """This year against last: a relative change, or a difference in percentage points (`points`)."""
    if now is None or before in (None, 0):
        return None
    if not rules.comparable(*demo):
        return Change(TEXT("not_compared", lang), up=now >= before, good=None)
    if points:
        d = now - before
        text = TEXT("pp", lang, d=d, n=digits)
    else:
        d = (now - before) / before
        text = f"{d:+.{digits}%}"
    return Change(text, up=d >= 0, good=(d >= 0) == higher_is_better)


def count(value, unit_key: str, lang: str) -> str:
    """A count with its unit (件, 人 …) as a reader of `lang` expects it."""
    unit = TEXT(unit_key, lang)
    return fmt.count_zh(value, unit) if lang == "zh" else fmt.count_en(value, unit)


def _tiles(grid, disputes, antigang, survey, demo, targets, year: int, lang: str) -> tuple[Tile, ...]:
    (g0, g1), (s0, s1), (a0, a1), (v0, v1) = grid, disputes, antigang, survey
    target_s, target_v = targets["dispute_success_rate"], targets["sat_public_safety"]
    # ag_gang_total: the sum of its parts, made once by antigang_summary
    gangs0, gangs1 = a0.get("ag_gang_total", 0), a1.get("ag_gang_total", 0)
    return (
        Tile("overall", TEXT("t_grid", lang), count(g0["grids"], "u_grids", lang),
             TEXT("s_grid", lang, workers=count(g0["workers"], "u_people", lang)),
             change(g0["grids"], g1["grids"], lang, demo=demo["grid"])),
        Tile("disputes", TEXT("t_success", lang, y=year), fmt.pct(s0["success_rate_pct"]),
             TEXT("s_success", lang, identified=count(s0["identified"], "u_cases", lang), target=target_s),
             change(s0["success_rate_pct"], s1["success_rate_pct"], lang, True, 2, demo=demo["disputes"])),
        Tile("anti_gang", TEXT("t_gangs", lang, y=year), count(gangs0, "u_gangs", lang),
             TEXT("s_gangs", lang, cases=count(a0.get("ag_criminal_cases", 0), "u_crimes", lang)),
             change(gangs0, gangs1, lang, demo=demo["antigang"])),
        Tile("satisfaction", TEXT("t_safety", lang, y=year), fmt.pct(v0.get("sat_public_safety")),
             TEXT("s_safety", lang, target=target_v),
             change(v0.get("sat_public_safety"), v1.get("sat_public_safety"), lang, True, 2, demo=demo["survey"])),
    )


def alerts(subs, prev, targets: dict, backlog: int, lang: str) -> tuple[Alert, ...]:
    """Sub-regions below a target, over the backlog threshold, and the two that fell most since last year."""
    if subs is None or subs.height == 0:
        return ()
    t_s, t_v = targets["dispute_success_rate"], targets["sat_public_safety"]
    below, days = TEXT("a_below", lang), rules.BACKLOG_OVER_DAYS
    out = [Alert(below, r["short_name"], TEXT("a_success", lang), f"{r['success_rate_pct']:.2f}%",
                 TEXT("a_target", lang, t=t_s))
           for r in subs.filter(pl.col("success_rate_pct") < t_s).sort("success_rate_pct").iter_rows(named=True)]
    out += [Alert(below, r["short_name"], TEXT("a_safety", lang), f"{r['safety_pct']:.2f}%",
                  TEXT("a_target", lang, t=t_v))
            for r in subs.filter(pl.col("safety_pct") < t_v).sort("safety_pct").iter_rows(named=True)]
    out += [Alert(TEXT("a_backlog", lang), r["short_name"], TEXT("a_open", lang, days=days),
                  TEXT("a_open_value", lang, n=r["open_over_90d"]), TEXT("a_threshold", lang, b=backlog))
            for r in subs.filter(pl.col("open_over_90d") > backlog).sort("open_over_90d", descending=True)
            .iter_rows(named=True)]
    if prev is not None and prev.height:
        joined = subs.join(prev.select("code", pl.col("success_rate_pct").alias("p_s"),
                                       pl.col("safety_pct").alias("p_v")), on="code", how="inner").with_columns(
            (pl.col("success_rate_pct") - pl.col("p_s")).alias("d_s"),
            (pl.col("safety_pct") - pl.col("p_v")).alias("d_v"))
        fell = TEXT("a_fell", lang)
        for col, what in (("d_s", "a_success_fell"), ("d_v", "a_safety_fell")):
            out += [Alert(fell, r["short_name"], TEXT(what, lang), TEXT("a_pp", lang, d=r[col]))
                    for r in joined.filter(pl.col(col) < 0).sort(col).head(2).iter_rows(named=True)]
    return tuple(out)


def no_alert_text(subs, lang: str) -> tuple[str, str]:
    """What the alert panel says when no alert fired: an all-clear only when every sub-region has every figure
    the alerts test (a missing figure cannot be below target, so silence would be a false all-clear)."""
    if subs is None:
        return TEXT("no_children", lang), ""
    figures = ("success_rate_pct", "safety_pct", "open_over_90d")
    if subs.height == 0 or subs.select(pl.any_horizontal(pl.col(c).is_null() for c in figures)).to_series().any():
        return TEXT("incomplete", lang), "stale"
    return TEXT("all_clear", lang), "ok"


def theme_view(wall: Wall, theme: str) -> ThemeView:
    """The rotating theme's figure for the ranking and the map."""
    m = THEME_METRIC[theme]
    lang = wall.lang
    label = TEXT(m.text_key, lang, days=rules.BACKLOG_OVER_DAYS)
    return ThemeView(theme=theme, title=TEXT(f"theme_{theme}", lang), metric=m, label=label,
                     number_format=TEXT(m.format_key, lang),
                     target=wall.targets[m.target_code] if m.target_code else None,
                     ranking_title=TEXT("ranking", lang, y=wall.year, label=label))


def rotating_theme(fixed: str, rotate_s: int, now_s: float) -> str:
    """The theme on screen at `now_s` (seconds since the epoch): the link's, else one every `rotate_s` seconds."""
    return fixed or THEMES[int(now_s // rotate_s) % len(THEMES)]


def breaks(values: list[float], digits: int, k: int = 4) -> list[float]:
    """Quantile class breaks at the figure's own precision (rates of 90.2% and 90.4% stay apart)."""
    vals = sorted(values)
    if len(vals) < 2 or vals[0] == vals[-1]:
        return []
    cuts: list[float] = []
    for i in range(1, k):
        c = round(vals[min(len(vals) - 1, round(i * len(vals) / k))], digits)
        if vals[0] < c <= vals[-1] and (not cuts or c > cuts[-1]):
            cuts.append(c)
    return cuts


def map_values(wall: Wall, view: ThemeView) -> tuple[dict, dict, list[float]]:
    """The map's figure per sub-region, its tooltip, and the class breaks."""
    col = view.metric.column
    rows = list(wall.subs.iter_rows(named=True))
    values = {r["code"]: r[col] for r in rows}
    tips = {r["code"]: f"{r['short_name']}\n{view.label}:"
            + ("—" if r[col] is None else view.number_format.format(r[col])) for r in rows}
    return values, tips, breaks([v for v in values.values() if v is not None], view.metric.digits)


def place_name(p: Place, lang: str) -> str:
    return p.row["name"] if p.row else i18n.t("all_regions", lang)


def as_of_text(d: date, lang: str) -> str:
    return i18n.t("as_of", lang, date=fmt.date_zh(d) if lang == "zh" else d.isoformat())
