"""The satisfaction queries against the small warehouse: the seed's published survey figures, exactly."""
from __future__ import annotations

import polars as pl
import pytest

from conftest import published
from pingan import stats


def rates(df: pl.DataFrame, year: int) -> dict[str, float]:
    return dict(df.filter(pl.col("year") == year).select("indicator", "rate_pct").iter_rows())


@pytest.mark.parametrize("region, figures", [
    # 大理州 2021: 社会治安环境 99.24%, 安全感 96%, 执法 96.37%, 扫黑除恶 99.2%
    ("532900", {"sat_public_order": ("dali_001", 2), "sat_public_safety": ("dali_002", 0),
                "sat_law_enforcement": ("dali_003", 2), "sat_antigang": ("dali_004", 1)}),
    # 云南 2021: 法治建设 97.6%, 执法 95.92%, 安全感 95.86%
    ("530000", {"sat_rule_of_law": ("yunnan_001", 1), "sat_law_enforcement": ("yunnan_002", 2),
                "sat_public_safety": ("yunnan_003", 2)}),
    # 宁夏 2021: 扫黑除恶斗争成效群众满意度 97.37%
    ("640000", {"sat_antigang": ("ningxia_018", 2)}),
])
def test_region_trend_reproduces_published_2021(run_query, region, figures):
    got = rates(run_query("satisfaction_region_trend", region=region), 2021)
    for code, (figure_id, decimals) in figures.items():
        assert round(got[code], decimals) == published(figure_id), code


def test_region_trend_is_sample_weighted_with_counts(run_query):
    df = run_query("satisfaction_region_trend", region="532900")
    row = df.filter((pl.col("year") == 2021) & (pl.col("indicator") == "sat_public_safety")).row(0, named=True)
    assert row["rate_pct"] == pytest.approx(100.0 * row["positive"] / row["sample_size"])
    assert row["has_demo"] is True
    assert set(df["year"].unique()) == set(range(2010, 2023))
    # 扫黑除恶 is surveyed from 2018, 教育整顿 only in 2021
    assert df.filter(pl.col("indicator") == "sat_antigang")["year"].min() == 2018
    assert df.filter(pl.col("indicator") == "sat_team_rectification")["year"].to_list() == [2021]


def test_ningxia_safety_twelve_years_at_90(run_query):
    df = run_query("satisfaction_region_trend", region="640000").filter(pl.col("indicator") == "sat_public_safety")
    by_year = dict(df.select("year", "rate_pct").iter_rows())
    floor = published("ningxia_002")  # 安全感 90%以上, 2010-2021
    assert min(by_year[y] for y in range(2010, 2022)) >= floor
    assert stats.streak(by_year, floor, 2021) == (12, 2010)
    # 2022 continues the run exactly when the 2022 survey is at 90% or more
    assert stats.streak(by_year, floor, 2022) == ((13, 2010) if by_year[2022] >= floor else (0, None))


def test_subregions_add_up_to_the_parent(run_query):
    subs = run_query("satisfaction_subregions", region="530000", child_level="prefecture", year=2021)
    parent = run_query("satisfaction_region_trend", region="530000").filter(pl.col("year") == 2021)
    assert subs.filter(pl.col("indicator") == "sat_public_safety").height == 16  # 云南's 16 prefectures
    sums = subs.group_by("indicator").agg(pl.col("positive").sum(), pl.col("sample_size").sum())
    joined = sums.join(parent, on="indicator", suffix="_parent")
    assert joined.height == parent.height
    assert (joined["positive"] == joined["positive_parent"]).all()
    assert (joined["sample_size"] == joined["sample_size_parent"]).all()
    dali = subs.filter((pl.col("code") == "532900") & (pl.col("indicator") == "sat_public_order")).row(0, named=True)
    assert round(dali["rate_pct"], 2) == published("dali_001")
    assert dali["short_name"] == "大理州"


def test_subregions_rank_and_previous_year(run_query):
    subs = run_query("satisfaction_subregions", region="532900", child_level="county", year=2021)
    safety = subs.filter(pl.col("indicator") == "sat_public_safety").sort("rank")
    assert safety["rank"].to_list() == list(range(1, safety.height + 1))
    assert safety["rate_pct"].is_sorted(descending=True)
    assert safety["regions"].unique().to_list() == [safety.height]
    assert safety["prev_rate_pct"].null_count() == 0
    prev = run_query("satisfaction_subregions", region="532900", child_level="county", year=2020)
    prev_safety = dict(prev.filter(pl.col("indicator") == "sat_public_safety").select("code", "rank").iter_rows())
    assert dict(safety.select("code", "prev_rank").iter_rows()) == prev_safety
    rect = subs.filter(pl.col("indicator") == "sat_team_rectification")
    assert rect.height > 0 and rect["prev_rate_pct"].null_count() == rect.height  # not surveyed in 2020


def test_all_regions_compare_provinces(run_query):
    subs = run_query("satisfaction_subregions", region="", child_level="province", year=2021)
    assert set(subs["code"]) == {"630000", "640000", "530000", "450000", "410000", "360000", "620000"}


def test_subregion_trend_agrees_with_the_year_query(run_query):
    trend = run_query("satisfaction_subregion_trend", region="640000", child_level="prefecture")
    year = run_query("satisfaction_subregions", region="640000", child_level="prefecture", year=2021)
    a = trend.filter(pl.col("year") == 2021).select("code", "indicator", "positive", "sample_size").sort("code",
                                                                                                          "indicator")
    b = year.select("code", "indicator", "positive", "sample_size").sort("code", "indicator")
    assert a.equals(b)
    assert trend["year"].min() == 2010


def test_published_figures_beside_warehouse(run_query):
    figs = run_query("satisfaction_published", region="530000")
    assert set(figs["region_code"]) == {"530000", "532900"}  # 云南 and 大理州
    assert figs["matches"].all()
    calibrated = figs.filter(pl.col("calibrated"))
    assert set(calibrated["figure_id"]) == {"yunnan_001", "yunnan_002", "yunnan_003", "dali_001", "dali_002",
                                            "dali_003", "dali_004"}
    streak = run_query("satisfaction_published", region="640000").filter(pl.col("years") > 1).row(0, named=True)
    assert (streak["indicator"], streak["value"], streak["qualifier"]) == ("sat_public_safety", published("ningxia_002"), "以上")
    assert (streak["start_year"], streak["end_year"], streak["years"]) == (2010, 2021, 12)
    assert "连续12年保持在90%以上" in streak["quote"]
    assert streak["matches"] is True
    assert run_query("satisfaction_published", region="630000").height == 0  # 青海 publishes no survey figure


def test_published_warehouse_value_is_the_reconciliation_value(run_query):
    ours = dict(run_query("satisfaction_published", region="").select("figure_id", "warehouse_value").iter_rows())
    recon = run_query("sources_reconciliation", region="").filter(pl.col("figure_id").is_in(list(ours)))
    for fid, value in recon.select("figure_id", "warehouse_value").iter_rows():
        assert ours[fid] == pytest.approx(value), fid
