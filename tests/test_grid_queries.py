"""Queries of the grid-coverage page against the small warehouse: published figures, sums and definitions."""
from __future__ import annotations

import polars as pl
import pytest

from conftest import published

COUNTS = ["grids", "comprehensive_grids", "dedicated_grids", "workers", "workers_fulltime", "workers_parttime",
          "grids_without_worker", "centers_prefecture", "centers_county", "centers_township", "centers_village",
          "onestop_centers", "police_rooms", "justice_offices", "tribunals", "counties", "counties_with_center",
          "counties_with_onestop", "townships", "townships_with_center", "townships_with_std_center", "villages",
          "villages_with_center", "villages_with_std_center", "population"]


def place(run_query, code: str, year: int = 2022) -> dict:
    """The place's own row (is_total) of grid_by_region."""
    df = run_query("grid_by_region", region=code, child_level="county", year=year).filter(pl.col("is_total"))
    assert df.height == 1 and df["code"][0] == code
    return df.row(0, named=True)


@pytest.mark.parametrize("code, column, figure_id", [
    ("530000", "grids", "yunnan_027"),  # 共划分网格39.2万个
    ("530000", "workers", "yunnan_028"),  # 配备专(兼)职网格员56.7万人
    ("530000", "center_township_coverage", "yunnan_026"),  # 三级综治中心建设达100%
    ("640000", "workers", "ningxia_012"),  # 配备网格员31620名
    ("640000", "centers_township", "ningxia_007"),  # 建成乡镇综治中心239个
    ("640000", "tribunals", "ningxia_008"),
    ("640000", "police_rooms", "ningxia_009"),
    ("640000", "justice_offices", "ningxia_010"),
    ("640000", "onestop_centers", "ningxia_011"),
    ("630100", "comprehensive_grids", "qinghai_002"),  # 西宁 3138个综合网格
    ("630100", "dedicated_grids", "qinghai_003"),  # 468个专属网格
    ("532900", "centers_county", "dali_027"),  # 大理 12县(市)、112个乡镇、1157个村
    ("532900", "centers_township", "dali_028"),
    ("532900", "centers_village", "dali_029"),
    ("410900", "centers_township", "puyang_019"),  # 濮阳
    ("410900", "centers_village", "puyang_020"),
    ("450900", "onestop_coverage", "yulin_037"),  # 玉林 市县两级100%覆盖
])
def test_place_reproduces_published_figure(run_query, code, column, figure_id):
    assert place(run_query, code)[column] == published(figure_id)


def test_same_definitions_as_reconciliation(run_query):
    """Every grid-domain figure the reconciliation computes equals this query's figure for the same place."""
    column = {"grid_count": "grids", "grid_comprehensive_count": "comprehensive_grids",
              "grid_dedicated_count": "dedicated_grids", "grid_worker_count": "workers",
              "center_county_count": "centers_county", "center_township_count": "centers_township",
              "center_village_count": "centers_village", "police_room_count": "police_rooms",
              "justice_office_count": "justice_offices", "people_tribunal_count": "tribunals",
              "onestop_center_count": "onestop_centers", "center_township_coverage": "center_township_coverage",
              "onestop_coverage": "onestop_coverage"}
    rec = run_query("sources_reconciliation", region="").filter(
        pl.col("indicator").is_in(list(column)) & pl.col("warehouse_value").is_not_null())
    assert rec.height >= 20
    for r in rec.iter_rows(named=True):
        mine = place(run_query, r["region_code"], r["period_end"].year)[column[r["indicator"]]]
        assert mine == pytest.approx(r["warehouse_value"]), r["figure_id"]


def test_sub_regions_add_up_to_the_place(run_query):
    whole = place(run_query, "530000")
    prefs = run_query("grid_by_region", region="530000", child_level="prefecture", year=2022)
    counties = run_query("grid_by_region", region="530000", child_level="county", year=2022)
    assert prefs.height == 16 + 1 and counties.height == 129 + 1
    assert prefs.filter(pl.col("is_total")).row(0) == counties.filter(pl.col("is_total")).row(0)
    prefs, counties = prefs.filter(~pl.col("is_total")), counties.filter(~pl.col("is_total"))
    for col in COUNTS:
        assert prefs[col].sum() == whole[col], col
        assert counties[col].sum() == whole[col], col
    assert whole["grids_per_10k"] == pytest.approx(10000 * whole["grids"] / whole["population"])
    assert whole["grid_without_worker_share"] == pytest.approx(100 * whole["grids_without_worker"] / whole["grids"])
    assert whole["center_standardized_rate_township"] == pytest.approx(
        100 * whole["centers_township_std"] / whole["centers_township"])


def test_everything_is_the_seven_provinces(run_query):
    rows = run_query("grid_by_region", region="", child_level="province", year=2022)
    provs = rows.filter(~pl.col("is_total"))
    assert sorted(provs["code"].to_list()) == ["360000", "410000", "450000", "530000", "620000", "630000", "640000"]
    total = rows.filter(pl.col("is_total")).row(0, named=True)
    assert total["code"] == "" and total["grids"] == provs["grids"].sum()
    assert total["grids"] == run_query("grid_summary", region="", year=2022)["grids"][0]


def test_stock_grows_with_the_year(run_query):
    assert place(run_query, "530000", 2017)["grids"] < place(run_query, "530000", 2022)["grids"]


def test_townships_match_their_counties(run_query):
    towns = run_query("grid_by_township", region="532900", year=2022)
    counties = run_query("grid_by_region", region="532900", child_level="county", year=2022).filter(
        ~pl.col("is_total"))
    assert towns.height == 112
    per_county = towns.group_by("county_code").agg(
        pl.len().alias("townships"), pl.col("has_center").sum().alias("with_center"),
        pl.col("has_std_center").sum().alias("with_std"), pl.col("grids").sum().alias("grids"),
        pl.col("grids_without_worker").sum().alias("nw"))
    joined = counties.join(per_county, left_on="code", right_on="county_code")
    assert joined.height == 12
    assert (joined["townships"] == joined["townships_right"]).all()
    assert (joined["townships_with_center"] == joined["with_center"]).all()
    assert (joined["townships_with_std_center"] == joined["with_std"]).all()
    assert (joined["grids"] == joined["grids_right"]).all()
    assert (joined["grids_without_worker"] == joined["nw"]).all()
    assert set(towns["prefecture_name"].unique()) == {"大理州"}


def test_density_cells_hold_every_grid(run_query):
    whole = place(run_query, "532900")
    fine = run_query("grid_density", region="532900", year=2022, cell_deg=0.05)
    coarse = run_query("grid_density", region="532900", year=2022, cell_deg=0.2)
    assert fine["grids"].sum() == coarse["grids"].sum() == whole["grids"]
    assert fine["workers"].sum() == whole["workers"]
    assert fine.height > coarse.height > 1
    # cell centres sit on the half-cell lattice
    assert ((fine["lon"] / 0.05 - 0.5).round(6) % 1 == 0).all()


def test_facility_points_by_level(run_query):
    whole = place(run_query, "532900")
    pts = run_query("grid_facility_points", region="532900", year=2022, max_level_rank=4)
    counts = pts.filter(pl.col("facility_type") == "center").group_by("admin_level").len()
    by_level = dict(zip(counts["admin_level"], counts["len"]))
    assert by_level == {"prefecture": 1, "county": published("dali_027"),
                        "township": published("dali_028"), "village": published("dali_029")}
    assert pts.filter(pl.col("facility_type") == "police_room").height == whole["police_rooms"]
    upper = run_query("grid_facility_points", region="532900", year=2022, max_level_rank=2)
    assert set(upper["admin_level"].unique()) == {"prefecture", "county"}
    assert upper["lon"].is_not_null().all()


def test_grids_without_worker_largest_first(run_query):
    whole = place(run_query, "640000")
    rows = run_query("grid_without_worker", region="640000", year=2022, max_rows=50)
    assert rows.height == min(50, whole["grids_without_worker"])
    assert rows["residents"].to_list() == sorted(rows["residents"].to_list(), reverse=True)
    everything = run_query("grid_without_worker", region="640000", year=2022, max_rows=100000)
    assert everything.height == whole["grids_without_worker"]


def test_published_figures_of_exactly_the_place(run_query):
    ningxia = run_query("grid_published", region="640000", year=2022)
    assert dict(zip(ningxia["indicator"], ningxia["value"])) == {
        code: published(fid) for code, fid in [
            ("center_township_count", "ningxia_007"), ("people_tribunal_count", "ningxia_008"),
            ("police_room_count", "ningxia_009"), ("justice_office_count", "ningxia_010"),
            ("onestop_center_count", "ningxia_011"), ("grid_worker_count", "ningxia_012")]}
    assert run_query("grid_published", region="640000", year=2021).height == 0
    assert run_query("grid_published", region="", year=2022).height == 0
