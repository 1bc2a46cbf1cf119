"""The wall's view model (pingan/views/screen.py) without AppTest: its queries, figures, alerts and options."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from conftest import published
from pingan import fmt
from pingan.views import screen as view

NINGXIA, YUNNAN, DALI, DALI_CITY = "640000", "530000", "532900", "532901"


def test_calls_of_the_default_wall_in_order():
    got = view.calls("", "all", date(2022, 12, 31))
    assert got == [
        ("meta_build_info", {}),
        ("grid_summary", {"region": "", "year": 2022}),
        ("grid_summary", {"region": "", "year": 2021}),
        ("disputes_summary", {"region": "", "start": date(2022, 1, 1), "end": date(2022, 12, 31)}),
        ("disputes_summary", {"region": "", "start": date(2021, 1, 1), "end": date(2021, 12, 28)}),
        ("antigang_summary", {"region": "", "first_year": 2022, "last_year": 2022}),
        ("antigang_summary", {"region": "", "first_year": 2021, "last_year": 2021}),
        ("satisfaction_summary", {"region": "", "year": 2022}),
        ("satisfaction_summary", {"region": "", "year": 2021}),
        ("meta_indicators", {}),
        ("screen_dispute_trend", {"region": "", "start": date(2021, 1, 1), "end": date(2022, 12, 31)}),
        ("screen_subregions", {"region": "", "child_level": "province", "start": date(2022, 1, 1),
                               "end": date(2022, 12, 31), "year": 2022, "as_of": date(2022, 12, 31)}),
        ("screen_subregions", {"region": "", "child_level": "province", "start": date(2021, 1, 1),
                               "end": date(2021, 12, 28), "year": 2021, "as_of": date(2021, 12, 28)}),
    ]


def test_calls_of_a_county_wall_have_no_sub_regions():
    got = view.calls(DALI_CITY, "county", date(2022, 6, 30))
    assert [name for name, _ in got] == ["meta_build_info", "grid_summary", "grid_summary", "disputes_summary",
                                         "disputes_summary", "antigang_summary", "antigang_summary",
                                         "satisfaction_summary", "satisfaction_summary", "meta_indicators",
                                         "screen_dispute_trend"]
    assert got[3][1] == {"region": DALI_CITY, "start": date(2022, 1, 1), "end": date(2022, 6, 30)}
    assert got[4][1] == {"region": DALI_CITY, "start": date(2021, 1, 1), "end": date(2021, 6, 28)}


def test_the_wall_runs_exactly_its_calls(warehouse_built, monkeypatch):
    from pingan import queries

    seen = []
    real_run, real_many = queries.run, queries.run_many
    monkeypatch.setattr(queries, "run", lambda name, **p: seen.append((name, p)) or real_run(name, **p))
    monkeypatch.setattr(queries, "run_many", lambda calls: seen.extend(calls) or real_many(calls))
    view.build(YUNNAN, "province")
    assert seen == view.calls(YUNNAN, "province", date(2022, 12, 31))


def test_ningxia_tiles_show_the_published_grid_workers(warehouse_built, run_query):
    wall = view.build(NINGXIA, "province")
    grid, success, gangs, safety = wall.tiles
    assert (wall.as_of, wall.year, wall.level, wall.child) == (date(2022, 12, 31), 2022, "province", "prefecture")
    assert [t.theme for t in wall.tiles] == ["overall", "disputes", "anti_gang", "satisfaction"]
    assert grid.title == "网格化服务管理"
    assert grid.detail == f"网格员 {fmt.count_zh(published('ningxia_012'), '人')} · 较上年末 "
    disputes = run_query("disputes_summary", region=NINGXIA, start=date(2022, 1, 1), end=date(2022, 12, 31))
    assert success.title == "2022年矛盾纠纷化解成功率"
    assert success.value == fmt.pct(disputes["success_rate_pct"][0])
    assert success.detail == f"排查 {fmt.count_zh(disputes['identified'][0], '件')} · 目标 97% · "
    total = run_query("antigang_summary", region=NINGXIA, first_year=2022, last_year=2022) \
        .filter(pl.col("indicator") == "ag_gang_total")["value"][0]
    assert gangs.title == "2022年打掉涉黑涉恶团伙" and gangs.value == fmt.count_zh(total, "个")
    assert safety.title == "2022年群众安全感" and safety.detail == "目标 90% · 较上年 "
    assert wall.has_demo is True and wall.demo["grid"] == (True, True)
    assert [stage for stage, _ in wall.funnel] == ["排查", "受理", "调解", "化解成功", "回访"]
    assert (wall.funnel_title, wall.trend_names) == ("2022年矛盾纠纷化解漏斗", ("排查", "化解成功", "上年同月排查"))
    assert wall.trend_title == "近两年每月矛盾纠纷排查与化解(虚线:上年同月排查)"
    assert wall.funnel[0][1] == disputes["identified"][0]
    assert wall.subs["code"].to_list() == ["640100", "640200", "640300", "640400", "640500"]


def test_the_wall_in_english(warehouse_built):
    wall = view.build(NINGXIA, "province", lang="en")
    assert [t.title for t in wall.tiles] == ["Grid management", "Dispute success rate 2022", "Gangs broken up 2022",
                                            "Sense of safety 2022"]
    workers = fmt.count_en(published("ningxia_012"), "people")
    assert wall.tiles[0].detail == f"Grid workers {workers} · vs last year-end "
    assert view.theme_view(wall, "disputes").ranking_title == "Cases open over 90 days 2022: ranking"


def test_a_county_wall_has_no_sub_regions_and_says_so(warehouse_built):
    wall = view.build(DALI_CITY, "county")
    assert wall.child is None and wall.subs is None and wall.subs_prev is None
    assert wall.alerts == () and wall.no_alert == ("本级无下级地区,无下级预警", "")


def test_theme_view_and_map_values_of_the_backlog(warehouse_built):
    wall = view.build(NINGXIA, "province")
    tv = view.theme_view(wall, "disputes")
    assert (tv.title, tv.label, tv.number_format, tv.target, tv.metric.column) == \
        ("矛盾纠纷化解", "受理超90天未结案件", "{:,.0f}件", None, "open_over_90d")
    assert tv.ranking_title == "2022年受理超90天未结案件排名"
    values, tips, cuts = view.map_values(wall, tv)
    backlog = dict(zip(wall.subs["code"].to_list(), wall.subs["open_over_90d"].to_list()))
    assert values == backlog
    assert tips["640100"] == f"银川\n受理超90天未结案件:{backlog['640100']:,}件"
    assert cuts == view.breaks(list(backlog.values()), 1)
    overall = view.theme_view(wall, "overall")
    assert (overall.label, overall.target, overall.metric.digits) == ("矛盾纠纷化解成功率", 97.0, 2)


SUBS = pl.DataFrame({"code": ["A", "B", "C"], "short_name": ["甲", "乙", "丙"],
                     "success_rate_pct": [95.0, 98.0, 96.5], "safety_pct": [91.0, 89.5, 92.0],
                     "open_over_90d": [12, 60, 80]})
PREV = pl.DataFrame({"code": ["A", "B", "C"], "success_rate_pct": [97.0, 97.5, 96.0], "safety_pct": [90.0, 90.0, 93.0]})
TARGETS = {"dispute_success_rate": 97.0, "sat_public_safety": 90.0}


def test_alerts_in_order_with_their_values():
    got = view.alerts(SUBS, PREV, TARGETS, 50, "zh")
    assert got == (
        view.Alert("低于目标", "甲", "化解成功率", "95.00%", "(目标 97%)"),
        view.Alert("低于目标", "丙", "化解成功率", "96.50%", "(目标 97%)"),
        view.Alert("低于目标", "乙", "群众安全感", "89.50%", "(目标 90%)"),
        view.Alert("积案", "丙", "受理超90天未结", "80件", "(阈值 50件)"),
        view.Alert("积案", "乙", "受理超90天未结", "60件", "(阈值 50件)"),
        view.Alert("下降最多", "甲", "化解成功率较上年", "-2.00个百分点"),
        view.Alert("下降最多", "丙", "群众安全感较上年", "-1.00个百分点"),
        view.Alert("下降最多", "乙", "群众安全感较上年", "-0.50个百分点"),
    )
    assert view.alerts(SUBS, None, TARGETS, 100, "zh")[-1] == view.Alert("低于目标", "乙", "群众安全感", "89.50%",
                                                                      "(目标 90%)")


def test_no_false_all_clear():
    assert view.no_alert_text(SUBS, "zh") == ("各下级地区均达到目标,暂无预警", "ok")
    missing = SUBS.with_columns(pl.lit(None, pl.Float64).alias("safety_pct"))
    assert view.no_alert_text(missing, "zh") == ("下级地区数据不全,无法判断是否均达到目标", "stale")
    assert view.no_alert_text(SUBS.head(0), "zh") == ("下级地区数据不全,无法判断是否均达到目标", "stale")
    assert view.no_alert_text(None, "zh") == ("本级无下级地区,无下级预警", "")


@pytest.mark.parametrize("now, before, kw, expected", [
    (110, 100, {}, view.Change("+10.0%", up=True, good=True)),
    (90, 100, {}, view.Change("-10.0%", up=False, good=False)),
    (95.5, 96.0, {"points": True, "digits": 2}, view.Change("-0.50 个百分点", up=False, good=False)),
    (12, 10, {"higher_is_better": False}, view.Change("+20.0%", up=True, good=False)),
    (110, 100, {"demo": (True, False)}, view.Change("(上年口径不同,不比较)", up=True, good=None)),
    (110, 0, {}, None),
    (None, 100, {}, None),
])
def test_change_against_last_year(now, before, kw, expected):
    assert view.change(now, before, **kw) == expected


def test_url_options_are_clamped_and_checked():
    assert view.options({}) == {"theme": "", "rotate": 60, "refresh": 30, "backlog": 50}
    assert view.options({"theme": "disputes", "rotate": "abc", "refresh": "1", "backlog": "-5"}) == \
        {"theme": "disputes", "rotate": 60, "refresh": 2, "backlog": 0}
    assert view.options({"theme": "nope", "rotate": "99999", "refresh": "45", "backlog": "7"}) == \
        {"theme": "", "rotate": 3600, "refresh": 45, "backlog": 7}


def test_rotating_theme():
    assert [view.rotating_theme("", 60, s) for s in (0, 59, 60, 179, 240)] == \
        ["overall", "overall", "disputes", "anti_gang", "overall"]
    assert view.rotating_theme("satisfaction", 60, 60) == "satisfaction"


def test_place_checks_the_link_against_the_scope(warehouse_built, run_query):
    regions = run_query("meta_regions_with_data")
    assert view.place(YUNNAN, regions) == view.Place(YUNNAN, regions.filter(pl.col("code") == YUNNAN)
                                                     .row(0, named=True), "")
    unknown = view.place("999999", regions)
    assert (unknown.region, unknown.row, unknown.notice) == ("", None, "地区代码“999999”不存在,显示全部范围")
    assert view.place("999999", regions, DALI).notice == "地区代码“999999”不存在,显示本大屏范围"
    outside = view.place(NINGXIA, regions, DALI)
    assert (outside.region, outside.level) == (DALI, "prefecture")
    assert outside.notice == f"本大屏的地区范围是大理白族自治州({DALI}),不能显示地区 {NINGXIA},已显示大理白族自治州"
    assert view.place("", regions, DALI).notice == "" and view.place("", regions, DALI).region == DALI
    assert view.place_name(unknown, "zh") == "全部地区" and view.place_name(outside, "zh") == "大理白族自治州"


def test_breaks_keep_the_figure_precision():
    assert view.breaks([90.21, 90.44, 91.0, 95.5, 97.25], 2) == [90.44, 91.0, 97.25]
    assert view.breaks([5, 5, 5], 1) == [] and view.breaks([3], 1) == []


def test_the_prewarm_list_ends_with_the_default_wall(warehouse_built):
    from pingan import startup

    wall = view.calls("", "all", view.as_of())
    assert startup.default_view_calls()[-len(wall):] == wall
