"""The grid page's view model without AppTest: headline figures against published ones, ranking, map data,
breadcrumb and drill-down targets, gaps, and the queries the page runs."""
from __future__ import annotations

import polars as pl
import pytest

from conftest import published
from pingan.views import grid
from test_views_overview import make_scope


def figures(view: grid.Grid) -> dict[str, grid.Figure]:
    return {f.code: f for _, fs in view.headline for f in fs}


def own_row(run_query, region: str, level: str, year: int = 2022) -> dict:
    return run_query("grid_by_region", region=region, child_level=level, year=year).filter(
        pl.col("is_total")).row(0, named=True)


def test_calls_follow_the_map_level_and_the_layers(warehouse_built):
    assert grid.calls(make_scope("")) == [
        ("meta_indicators", {}),
        ("grid_by_region", {"region": "", "child_level": "province", "year": 2022}),
        ("grid_published", {"region": "", "year": 2022}),
        ("meta_regions_with_data", {}),
        ("grid_facility_points", {"region": "", "year": 2022, "max_level_rank": 1}),
        ("grid_by_township", {"region": "", "year": 2022}),
        ("grid_without_worker", {"region": "", "year": 2022, "max_rows": grid.GRIDS_LISTED}),
        ("grid_by_region", {"region": "", "child_level": "county", "year": 2022}),
    ]
    names = [n for n, _ in grid.calls(make_scope("530000"), "county", ["fill", "density"])]
    assert names == ["meta_indicators", "grid_by_region", "grid_published", "meta_regions_with_data",
                     "grid_density", "grid_by_township", "grid_without_worker"]  # counties are the map's level
    assert grid.calls(make_scope("530000"), "county", ["density"])[4][1]["cell_deg"] == grid.CELL_DEG["province"]


@pytest.mark.parametrize("region, choice, level", [
    ("", "county", "province"), ("530000", "prefecture", "prefecture"), ("530000", "county", "county"),
    ("530000", "township", "prefecture"), ("532900", "prefecture", "county"), ("532901", "prefecture", "county"),
])
def test_map_level(warehouse_built, region, choice, level):
    assert grid.map_level_of(make_scope(region), choice) == level


def test_yunnan_headline_is_the_published_one(warehouse_built, run_query):
    view = grid.build(make_scope("530000"))
    f = figures(view)
    assert view.title == "云南省网格覆盖与综治中心建设" and view.has_demo is True and view.records_note is None
    assert f["grid_count"].value == published("yunnan_027")
    assert f["grid_count"].published == "公开 39.2万个 :green[✓ 一致]" and f["grid_count"].matches is True
    assert f["grid_worker_count"].value == published("yunnan_028") and f["grid_worker_count"].shown == "56.7万人"
    assert f["center_township_coverage"].value == published("yunnan_026")
    assert f["center_township_coverage"].published == "公开 100% :green[✓ 一致]"
    assert [c for c, x in f.items() if x.published] == ["grid_count", "grid_worker_count", "center_township_coverage"]
    me = own_row(run_query, "530000", "prefecture")
    assert f["center_count"].value == sum(me[k] for k in grid.CENTRE_LEVELS)
    assert f["center_count"].help.endswith(f"。其中市级{me['centers_prefecture']}个")
    assert f["grid_comprehensive_count"].published is None and f["grid_comprehensive_count"].quote is None


def test_ningxia_facilities_match_their_published_figures(warehouse_built):
    f = figures(grid.build(make_scope("640000")))
    expected = {"grid_worker_count": "ningxia_012", "center_township_count": "ningxia_007",
                "police_room_count": "ningxia_009", "justice_office_count": "ningxia_010",
                "people_tribunal_count": "ningxia_008", "onestop_center_count": "ningxia_011"}
    assert {c for c, x in f.items() if x.published} == set(expected)
    for code, fid in expected.items():
        assert f[code].value == published(fid) and f[code].matches is True, code
    assert f["police_room_count"].shown == f"{published('ningxia_009'):,}个"


def test_ranking_and_its_chart(warehouse_built, run_query):
    view = grid.build(make_scope("530000"))
    rows = view.ranking.filter(pl.col("rank").is_not_null())
    values = rows["grids_per_10k"].to_list()
    assert rows["rank"].to_list() == [1 + sum(w > v for w in values) for v in values]  # higher is better
    assert rows.height == run_query("grid_by_region", region="530000", child_level="prefecture",
                                    year=2022).filter(~pl.col("is_total")).height
    total = view.ranking.row(-1, named=True)
    assert (total["code"], total["rank"], total["short_name"]) == ("530000", None, "合计:云南省")
    best = rows.sort("grids_per_10k", descending=True)["short_name"]
    assert view.rank_chart.layout.title.text == f"市(州)每万人网格数排名:{best[0]}最高,{best[-1]}最低"
    me = own_row(run_query, "530000", "prefecture")
    assert view.scope_metric == ("每万人网格数(云南省整体)", f"{me['grids_per_10k']:,.1f} 个/万人")
    children = run_query("grid_by_region", region="530000", child_level="prefecture", year=2022).filter(
        ~pl.col("is_total"))
    assert view.drill_options == ("",) + tuple(children["code"])  # in the query's order, not the ranking's
    assert view.table_tab == "市(州)排名" and view.table_download.basename == "云南省_每万人网格数"


def test_a_county_lists_its_townships(warehouse_built, run_query):
    view = grid.build(make_scope("532901"))
    towns = run_query("grid_by_township", region="532901", year=2022)
    assert view.towns.columns == ["name", "grids", "workers", "grids_without_worker", "has_std_center", "villages",
                                  "village_centers_std"]
    assert view.towns["name"].to_list() == towns["name"].to_list()
    assert view.ranking is None and view.rank_chart is None and view.map.outline is True
    assert view.table_tab == "大理市各乡镇(街道)" and view.table_download.basename == "大理市_乡镇网格"
    assert view.crumbs == (("", "全部"), ("530000", "云南"), ("532900", "大理州"), ("532901", "大理市"))


def test_gaps(warehouse_built, run_query):
    view = grid.build(make_scope("530000"))
    towns = run_query("grid_by_township", region="530000", year=2022)
    missing = towns.filter(~pl.col("has_std_center"))
    assert view.gap_towns.height == missing.height
    assert view.gap_towns_caption == (f"{missing.height}个乡镇(街道)尚无通过规范化验收的乡级综治中心(共{towns.height}个乡镇),"
                                      f"其中{missing.filter(pl.col('has_center')).height}个已建未规范化。")
    summary = run_query("grid_summary", region="530000", year=2022).row(0, named=True)  # the same count, another query
    n = summary["grids_without_worker"]
    assert view.no_worker_caption == (f"共{n:,}个网格未配备网格员(占{100 * n / summary['grids']:.2f}%);"
                                      f"按服务人口从多到少列出前{view.no_worker.height}个。")
    assert view.no_worker.height == min(n, grid.GRIDS_LISTED)
    assert set(view.no_worker["grid_type"]) <= {"综合网格", "专属网格"}
    counties = run_query("grid_by_region", region="530000", child_level="county", year=2022).filter(~pl.col("is_total"))
    gaps = (counties["townships"] - counties["townships_with_std_center"]).to_list()
    assert view.by_county["townships_gap"].to_list() == sorted(gaps, reverse=True)
    top = view.by_county.row(0, named=True)
    assert view.by_county_chart.layout.title.text == f"乡镇综治中心缺口最多的是{top['short_name']}({max(gaps)}个乡镇)"
    assert [d.key for d in view.gap_downloads] == ["gap_towns", "gap_grids", "gap_counties"]


def test_national_map_in_english(warehouse_built, run_query):
    view = grid.build(make_scope("", lang="en"), layers=["fill", "density", "police_room"])
    m = view.map
    assert view.title == "Grid coverage and governance centres: All regions" and view.unit == "per 10k residents"
    assert len(m.features) == 34 and m.boundary_lines is True and m.outline is False and m.labels is None
    assert m.fill_alpha == 110 and m.facilities[2:] == (("police_room",), 0.7) and m.density[1] == 0.25
    assert [lg.title for lg in m.legends] == ["Grids per 10k residents (per 10k residents)",
                                              "Grid density (grids per 0.25° cell)",
                                              "Facilities (bigger = higher level)"]
    assert m.caption == ("Grids, grid workers and facilities are the stock at the end of 2022 (by year established). "
                         "Click a region on the map or a row in the table to drill down; the path above goes back up. "
                         "Nationwide only prefecture-level facilities are shown; choose a province for county and "
                         "township ones. Boundaries © Tianditu; population: 2020 census.")
    jx = run_query("grid_by_region", region="", child_level="province", year=2022).filter(
        pl.col("code") == "360000").row(0, named=True)
    rank = view.ranking.filter(pl.col("code") == "360000")["rank"][0]
    assert m.tips["360000"] == (f"{jx['name']}\nGrids per 10k residents: {jx['grids_per_10k']:,.1f} per 10k residents\n"
                                f"Rank: {rank} of {view.ranking.height - 1}\n"
                                f"Population: {jx['population'] / 1e4:,.1f} ×10k\n"
                                f"{jx['grids']:,} grids · {jx['workers']:,} grid workers")
    assert m.values == dict(zip(view.ranking["code"][:-1], view.ranking["grids_per_10k"][:-1]))


def test_layers_off_leave_the_map_bare(warehouse_built):
    m = grid.build(make_scope("530000"), layers=[]).map
    assert (m.values, m.legends, m.density, m.facilities, m.labels, m.fill_alpha) == ({}, (), None, None, None, None)
    assert m.tips  # the regions still say what they are on hover


def test_standardised_rate_per_level_and_the_village_estimate_note(warehouse_built):
    view = grid.build(make_scope("532900"), indicator="center_village_coverage")
    assert view.map.caption.endswith("村级覆盖率按“村级综治中心数与村(社区)数取小”逐县估算。 "
                                     "边界数据 © 天地图;人口:第七次全国人口普查(2020)分县资料。")
    names = grid.build(make_scope("532900", lang="en")).indicator_names
    assert names["center_standardized_rate_village"].startswith("Village-level ")
    zh = grid.build(make_scope("532900")).indicator_names
    assert zh["center_standardized_rate_township"].startswith("乡级")
    assert grid.build(make_scope("532900"), indicator="bogus").indicator == grid.INDICATORS[0]


def test_no_grid_data(warehouse_built):
    view = grid.build(make_scope("530000", "2010"))
    assert view.no_data == "所选范围没有网格数据。" and view.map is None and view.headline == ()
    assert view.title == "云南省网格覆盖与综治中心建设"


@pytest.mark.parametrize("code, target", [
    ("", ("", "", "")), ("530000", ("530000", "", "")), ("532900", ("530000", "532900", "")),
    ("532901", ("530000", "532900", "532901")), ("999999", None),
])
def test_drill_target(warehouse_built, code, target):
    assert grid.drill_target(code) == target


def test_breadcrumb_stops_at_the_account_region(warehouse_built):
    regs = {"530000": "云南", "532900": "大理州", "532901": "大理市"}
    assert grid.crumbs(make_scope("532901"), regs, floor="532900") == (("532900", "大理州"), ("532901", "大理市"))
    assert grid.crumbs(make_scope("532900"), regs, lang="en") == (("", "All"), ("530000", "云南"), ("532900", "大理州"))
