"""The overview's view model without AppTest: headline figures against published ones, changes, comparability,
the sub-regions below target, and the query list start-up pre-warms."""
from __future__ import annotations

import pytest

from conftest import published
from pingan import fmt, periods, queries, rules, startup
from pingan.scope import Scope
from pingan.views import overview


def make_scope(region: str = "", start: str = "2022", end: str | None = None, lang: str = "zh") -> Scope:
    """The Scope frame.scope_filter would give for this region and period (shared by the view-model tests)."""
    rows = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    r = rows.get(region)
    level = r["level"] if r else "all"
    prov = r["province_code"] if r else ""
    pref = (r["prefecture_code"] or "") if r and level != "province" else ""
    county = region if level == "county" else ""
    if level == "prefecture":
        pref = region
    name = r["name"] if r else ("全部地区" if lang == "zh" else "All regions")
    return Scope(region, name, level, periods.parse_range(start, end or start), lang, 2017, 2022, prov, pref, county)


def metrics(view: overview.Overview) -> dict[str, overview.Metric]:
    return {m.code: m for s in view.sections for m in s.metrics}


def test_calls_are_what_startup_prewarms_for_the_default_scope(warehouse_built):
    default = startup.default_view_calls()
    mine = overview.calls(make_scope(""))
    assert len(mine) == 11 and mine[-1][0] == "overview_below_target"
    assert default[3:3 + len(mine)] == mine


def test_calls_of_a_county_have_no_sub_regions(warehouse_built):
    names = [name for name, _ in overview.calls(make_scope("532901"))]
    assert names == ["grid_summary", "grid_summary", "region_population", "disputes_summary", "disputes_summary",
                     "antigang_summary", "antigang_summary", "satisfaction_summary", "satisfaction_summary",
                     "meta_indicators"]
    view = overview.build(make_scope("532901"))
    assert view.below is None and view.below_title is None


def test_calls_compare_a_multi_year_period_with_the_same_span_before(warehouse_built):
    calls = dict((f"{n}{i}", p) for i, (n, p) in enumerate(overview.calls(make_scope("640000", "2018", "2022"))))
    assert calls["antigang_summary5"] == {"region": "640000", "first_year": 2018, "last_year": 2022}
    assert calls["antigang_summary6"] == {"region": "640000", "first_year": 2013, "last_year": 2017}
    assert calls["grid_summary1"] == {"region": "640000", "year": 2017}
    assert calls["satisfaction_summary8"] == {"region": "640000", "year": 2021}


def test_yunnan_grid_figures_are_the_published_ones(warehouse_built):
    view = overview.build(make_scope("530000"))
    m = metrics(view)
    assert view.title == "云南省平安建设总览" and view.has_demo is True
    assert [s.title for s in view.sections] == ["网格化服务管理", "矛盾纠纷排查化解", "扫黑除恶", "群众安全感与满意度"]
    assert m["grid_count"].value == published("yunnan_027") and m["grid_count"].shown == "39.2万个"
    assert m["grid_worker_count"].value == published("yunnan_028") and m["grid_worker_count"].shown == "56.7万人"
    before = queries.run("grid_summary", region="530000", year=2021).row(0, named=True)["grids"]
    assert m["grid_count"].before == before
    assert m["grid_count"].delta == f"{(published('yunnan_027') - before) / before:+.1%} 较上期"


def test_grid_density_and_fulltime_share_from_the_summary(warehouse_built):
    m = metrics(overview.build(make_scope("530000")))
    g = queries.run("grid_summary", region="530000", year=2022).row(0, named=True)
    pop = queries.run("region_population", region="530000").row(0, named=True)["population"]
    assert m["grids_per_10k"].value == pytest.approx(g["grids"] / pop * 1e4)
    assert m["grids_per_10k"].shown == f"{g['grids'] / pop * 1e4:.1f}个/万人"
    assert m["grid_worker_fulltime_share"].shown == f"{100 * g['workers_fulltime'] / g['workers']:.1f}%"
    assert m["grids_per_10k"].delta is None and m["grids_per_10k"].before is None


def test_ningxia_campaign_totals_are_the_published_ones(warehouse_built):
    m = metrics(overview.build(make_scope("640000", "2018", "2022")))
    for code, fid in [("ag_gang_total", "ningxia_020"), ("ag_criminal_cases", "ningxia_021"),
                      ("ag_suspects", "ningxia_022")]:
        assert m[code].value == published(fid), code
    assert rules.figure_matches(m["ag_assets_yuan"].value, published("ningxia_023"), "约", 0)
    assert m["ag_gang_total"].shown == f"{published('ningxia_020')}个"


def test_yulin_half_year_disputes_are_the_published_ones(warehouse_built):
    m = metrics(overview.build(make_scope("450900", "2022H1")))
    assert m["dispute_accepted"].value == published("yulin_031")
    assert m["dispute_resolved"].value == published("yulin_032")
    rate = m["dispute_success_rate"]
    assert round(rate.value, 2) == published("yulin_033") and rate.shown == f"{published('yulin_033'):.2f}%"
    target = queries.run("meta_indicators").filter(code="dispute_success_rate")["target"][0]
    assert rate.label == f"矛盾纠纷化解成功率 · 目标 {target:g}%"
    before = queries.run("disputes_summary", region="450900", start=periods.parse_range("2021H2").start,
                         end=periods.parse_range("2021H2").end).row(0, named=True)["success_rate_pct"]
    assert rate.before == before and rate.delta == f"{rate.value - before:+.2f} 个百分点"


def test_dali_survey_figures_in_english(warehouse_built):
    view = overview.build(make_scope("532900", "2021", lang="en"))
    m = metrics(view)
    assert round(m["sat_public_order"].value, 2) == published("dali_001")
    assert m["sat_public_order"].delta_color == "normal"
    assert view.sections[3].title == "Safety and satisfaction"
    assert view.caption == ("Survey indices are for 2021 against 2020; other figures against the previous period of "
                            "the same length (2020). Grids are the stock at the end of the period.")
    change = fmt.change_ratio(m["grid_count"].value, m["grid_count"].before)
    assert m["grid_count"].delta == f"{change:+.1%} vs previous period"


def test_caption_in_chinese_names_the_previous_period(warehouse_built):
    view = overview.build(make_scope("532900", "2022H1"))
    assert view.caption == ("安全感与满意度为2022年度调查结果(按样本量加权),与2021年度相比;其余指标与上一同长期间"
                            f"({periods.label(periods.parse_range('2021H2'), 'zh')})相比。网格数为期末存量。")


def test_below_target_lists_sub_regions_with_their_gap(warehouse_built):
    view = overview.build(make_scope("530000"))
    assert view.below_title == "低于目标的下级地区"
    assert view.below.columns == ["name", "indicator_name", "value", "target", "gap"]
    oracle = queries.run("overview_below_target", region="530000", child_level="prefecture",
                         start=periods.parse_range("2022").start, end=periods.parse_range("2022").end, year=2022)
    assert view.below.equals(oracle.select(view.below.columns))
    for r in view.below.iter_rows(named=True):
        assert r["gap"] == pytest.approx(r["value"] - r["target"])


@pytest.mark.parametrize("now, before, expected", [
    ({"has_demo": True}, {"has_demo": True}, True),
    ({"has_demo": False}, {"has_demo": False}, True),
    ({"has_demo": False}, {"has_demo": True}, False),
    ({"has_demo": True}, {"has_demo": False}, False),
    ({"has_demo": True}, {"has_demo": None}, True),   # a period without data has nothing to mix
    ({"has_demo": False}, None, True),               # an indicator missing from one period
])
def test_pair_comparable(now, before, expected):
    assert overview.pair_comparable(now, before) is expected


def test_a_mixed_pair_shows_both_values_and_no_change():
    catalog = {"grid_count": {"name_zh": "网格总数", "name_en": "Grids", "unit": "个", "definition_zh": "定义",
                              "target": None, "direction": "higher"}}
    m = overview._Metrics(catalog, "zh").count("grid_count", 4321, 4000, comparable=False)
    assert (m.shown, m.delta, m.before) == ("4,321个", None, 4000)
    assert m.help == "定义。与上期不作比较:一期是导入的数据,另一期是演示数据。"
    m = overview._Metrics(catalog, "zh").count("grid_count", 4400, 4000)
    assert (m.delta, m.help) == ("+10.0% 较上期", "定义")
    assert fmt.change_ratio(4400, 4000) == pytest.approx(0.1)
