"""The dispute page's queries against the small warehouse: the seed's figures exactly, and internal consistency."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from conftest import published

Y2022 = {"start": date(2022, 1, 1), "end": date(2022, 12, 31)}
Y2021 = {"start": date(2021, 1, 1), "end": date(2021, 12, 31)}
YULIN_H1 = {"region": "450900", "start": date(2022, 1, 1), "end": date(2022, 6, 30)}


def funnel(run_query, category: str = "", **scope) -> dict:
    df = run_query("disputes_funnel_by_year", category=category, **scope)
    return df.filter(pl.col("case_year").is_null()).row(0, named=True)


def sql(warehouse_built, text: str, **params):
    """A reference answer computed independently of the query under test."""
    from pingan import warehouse

    cur = warehouse.cursor()
    try:
        return cur.execute(text, params).fetchall()
    finally:
        cur.close()


def test_yulin_first_half_2022(run_query):
    total = funnel(run_query, **YULIN_H1)
    assert (total["identified"], total["accepted"], total["resolved"]) == (7992, published("yulin_031"), published("yulin_032"))
    assert round(total["success_rate_pct"], 2) == published("yulin_033")
    # the definition the source did not use: 7,762 ÷ 7,792 = 99.6149…%
    assert round(100 * total["resolved"] / total["accepted"], 2) == 99.61


def test_ningxia_five_years_and_every_year_at_least_97(run_query):
    df = run_query("disputes_funnel_by_year", region="640000", start=date(2017, 1, 1), end=date(2021, 12, 31),
                   category="")
    years = df.filter(pl.col("case_year").is_not_null())
    assert years["case_year"].to_list() == [2017, 2018, 2019, 2020, 2021]
    assert df.filter(pl.col("case_year").is_null())["identified"][0] == published("ningxia_016")
    assert years["success_rate_pct"].min() >= published("ningxia_017")  # 97%以上
    for col in ("identified", "accepted", "mediated", "resolved", "followed_up"):  # rollup row = sum of years
        assert df.filter(pl.col("case_year").is_null())[col][0] == years[col].sum()


def test_ganzhou_and_puyang_2022(run_query):
    ganzhou = funnel(run_query, region="360700", **Y2022)
    assert (ganzhou["identified"], ganzhou["resolved"]) == (published("ganzhou_002"), published("ganzhou_003"))
    assert round(ganzhou["success_rate_pct"]) == published("ganzhou_004") and round(ganzhou["success_rate_pct"], 2) == 97.58
    puyang = funnel(run_query, region="410900", **Y2022)
    assert puyang["mediated"] >= published("puyang_025")  # 14.7万余
    assert round(puyang["success_rate_pct"], 1) == published("puyang_026")


@pytest.mark.parametrize("region", ["", "640000", "450900", "640104"])
def test_funnel_matches_shared_summary_and_stages_shrink(run_query, region):
    total = funnel(run_query, region=region, **Y2022)
    summary = run_query("disputes_summary", region=region, **Y2022).row(0, named=True)
    for col in ("identified", "accepted", "mediated", "resolved", "followed_up", "success_rate_pct", "has_demo"):
        assert total[col] == summary[col], col
    assert total["identified"] >= total["accepted"] >= total["mediated"] >= total["resolved"] >= \
        total["followed_up"] > 0


def test_category_filter_partitions_the_funnel(run_query):
    cats = run_query("disputes_by_category", region="640000", ya_start=Y2021["start"], ya_end=Y2021["end"],
                     **Y2022)
    assert cats.height == 10
    total = funnel(run_query, region="640000", **Y2022)
    parts = [funnel(run_query, category=c, region="640000", **Y2022) for c in cats["category"]]
    assert sum(p["identified"] for p in parts) == total["identified"] == cats["identified"].sum()
    assert sum(p["resolved"] for p in parts) == total["resolved"] == cats["resolved"].sum()
    wages = cats.filter(pl.col("category") == "wages").row(0, named=True)
    assert funnel(run_query, category="wages", region="640000", **Y2022)["identified"] == wages["identified"]
    assert 0 < wages["identified"] < total["identified"]


def test_category_growth_against_a_year_earlier(run_query):
    cats = run_query("disputes_by_category", region="360700", ya_start=Y2021["start"], ya_end=Y2021["end"],
                     **Y2022)
    assert cats["ya_identified"].sum() == funnel(run_query, region="360700", **Y2021)["identified"]
    assert round(cats["share_pct"].sum(), 6) == 100
    row = cats.row(0, named=True)
    assert row["yoy_pct"] == pytest.approx(100 * (row["identified"] - row["ya_identified"]) / row["ya_identified"])


def test_category_year_ago_may_overlap_a_multi_year_period(run_query):
    cats = run_query("disputes_by_category", region="640000", start=date(2018, 1, 1), end=date(2021, 12, 31),
                     ya_start=date(2017, 1, 1), ya_end=date(2020, 12, 31))
    assert cats["ya_identified"].sum() == funnel(run_query, region="640000", start=date(2017, 1, 1),
                                                 end=date(2020, 12, 31))["identified"]
    assert cats["identified"].sum() == funnel(run_query, region="640000", start=date(2018, 1, 1),
                                              end=date(2021, 12, 31))["identified"]


def test_channels_partition_the_funnel(run_query):
    chans = run_query("disputes_by_channel", region="450900", category="", **Y2022)
    total = funnel(run_query, region="450900", **Y2022)
    assert chans.height == 6
    assert chans["identified"].sum() == total["identified"]
    assert chans["accepted"].sum() == total["accepted"]
    assert chans["resolved"].sum() == total["resolved"]
    assert set(chans["name_zh"]) == {"人民调解", "行政调解", "司法调解", "诉前调解", "仲裁", "信访"}


def test_success_by_subregion_against_catalog_target(run_query):
    sub = run_query("disputes_success_by_subregion", region="640000", child_level="prefecture",
                    prev_start=Y2021["start"], prev_end=Y2021["end"], category="", **Y2022)
    target = run_query("meta_indicators").filter(pl.col("code") == "dispute_success_rate")["target"][0]
    assert sub["identified"].sum() == funnel(run_query, region="640000", **Y2022)["identified"]
    assert (sub["target_pct"] == target).all()
    assert (sub["below_target"] == (sub["success_rate_pct"] < target)).all()
    first = sub.row(0, named=True)
    mine = funnel(run_query, region=first["code"], **Y2022)
    before = funnel(run_query, region=first["code"], **Y2021)
    assert first["success_rate_pct"] == pytest.approx(mine["success_rate_pct"])
    assert first["change_pp"] == pytest.approx(mine["success_rate_pct"] - before["success_rate_pct"])
    assert sub["success_rate_pct"].to_list() == sorted(sub["success_rate_pct"].to_list(), reverse=True)


def test_success_by_subregion_obeys_category(run_query):
    args = dict(region="", child_level="province", prev_start=Y2021["start"], prev_end=Y2021["end"], **Y2022)
    everything = run_query("disputes_success_by_subregion", category="", **args)
    wages = run_query("disputes_success_by_subregion", category="wages", **args)
    assert wages["identified"].sum() < everything["identified"].sum()
    assert wages["identified"].sum() == funnel(run_query, category="wages", region="", **Y2022)["identified"]


@pytest.mark.parametrize("region", ["640000", "360700"])
def test_days_to_resolve_equals_percentile_cont(run_query, warehouse_built, region):
    days = run_query("disputes_days_to_resolve", region=region, category="", **Y2022)
    for dim in ("channel", "category"):
        expected = {code: (n, med, p90) for code, n, med, p90 in sql(warehouse_built, f"""
            select {dim}, count(*),
                percentile_cont(0.5) within group (order by closed_date - accepted_date),
                percentile_cont(0.9) within group (order by closed_date - accepted_date)
            from dispute_case
            where $region in (province_code, prefecture_code, county_code)
                and identified_date between $start and $end and outcome = 'resolved'
            group by {dim}""", region=region, **Y2022)}
        got = days.filter(pl.col("dimension") == dim)
        assert got.height == len(expected) > 0
        for row in got.iter_rows(named=True):
            n, med, p90 = expected[row["code"]]
            assert row["resolved"] == n
            assert row["median_days"] == pytest.approx(med, abs=1e-9)
            assert row["p90_days"] == pytest.approx(p90, abs=1e-9)


def test_monthly_trend_with_year_ago(run_query):
    trend = run_query("disputes_monthly_trend", region="640000", start=date(2022, 1, 1), end=date(2022, 12, 31),
                      ya_start=date(2021, 1, 1), category="")
    assert trend.height == 12
    assert trend["identified"].sum() == funnel(run_query, region="640000", **Y2022)["identified"]
    assert trend["ya_identified"].sum() == funnel(run_query, region="640000", **Y2021)["identified"]
    july = trend.filter(pl.col("month_start") == date(2022, 7, 1)).row(0, named=True)
    july_2021 = funnel(run_query, region="640000", start=date(2021, 7, 1), end=date(2021, 7, 31))
    assert july["ya_identified"] == july_2021["identified"]


@pytest.mark.parametrize("as_of", [date(2022, 12, 31), date(2021, 6, 30)])
def test_backlog_counts_cases_open_on_the_date(run_query, warehouse_built, as_of):
    backlog = run_query("disputes_backlog_by_county", region="640000", as_of=as_of, category="")
    (expected, over_90), = sql(warehouse_built, """
        select count(*), count(*) filter (where $as_of - accepted_date > 90)
        from dispute_case
        where province_code = '640000' and accepted_date <= $as_of
            and (closed_date is null or closed_date > $as_of)""", as_of=as_of)
    assert backlog["open_cases"].sum() == expected > 0
    assert backlog["age_over_90"].sum() == over_90
    buckets = backlog.select(pl.sum_horizontal("age_0_30", "age_31_60", "age_61_90", "age_over_90"))
    assert buckets.to_series().to_list() == backlog["open_cases"].to_list()


def test_backlog_today_is_accepted_with_no_outcome(run_query, warehouse_built):
    backlog = run_query("disputes_backlog_by_county", region="", as_of=date(2022, 12, 31), category="")
    (open_now,), = sql(warehouse_built, "select count(*) from dispute_case where accepted_date is not null "
                                        "and outcome is null")
    assert backlog["open_cases"].sum() == open_now


def test_oldest_open_cases(run_query):
    as_of = date(2022, 12, 31)
    oldest = run_query("disputes_oldest_open", region="640000", as_of=as_of, category="")
    backlog = run_query("disputes_backlog_by_county", region="640000", as_of=as_of, category="")
    assert oldest.height == min(500, backlog["open_cases"].sum())
    assert oldest["accepted_date"].to_list() == sorted(oldest["accepted_date"].to_list())
    assert oldest["age_days"][0] == backlog["oldest_days"].max()
    assert (oldest["age_days"] == oldest["accepted_date"].map_elements(lambda d: (as_of - d).days,
                                                                        return_dtype=pl.Int64)).all()
    wages = run_query("disputes_oldest_open", region="640000", as_of=as_of, category="wages")
    assert set(wages["category_zh"]) == {"劳资/追薪"}


def test_published_figures_reproduced_under_page_definitions(run_query):
    listed = run_query("disputes_published_list", region="")
    recon = run_query("sources_reconciliation", region="").filter(pl.col("indicator").str.starts_with("dispute_"))
    assert sorted(listed["figure_id"]) == sorted(recon["figure_id"]) and listed.height == 11
    places = listed.select("region_code", "period_start", "period_end").unique()
    checks = pl.concat([run_query("disputes_published_figures", region=r, start=a, end=b)
                        for r, a, b in places.iter_rows()])
    assert sorted(checks["figure_id"]) == sorted(listed["figure_id"])
    both = checks.join(recon.select("figure_id", pl.col("warehouse_value").alias("recon_value")), on="figure_id")
    assert (both["warehouse_value"].is_null() == both["recon_value"].is_null()).all()
    assert both.select((pl.col("warehouse_value") - pl.col("recon_value")).abs().max()).item() < 1e-9
    covered = checks.filter(pl.col("warehouse_value").is_not_null())
    assert covered["matches"].all() and covered.height == 10


def test_yulin_rate_is_over_identified_not_accepted(run_query):
    yulin = run_query("disputes_published_figures", region="450900", start=date(2022, 1, 1),
                      end=date(2022, 6, 30))
    assert sorted(yulin["figure_id"]) == ["yulin_031", "yulin_032", "yulin_033"]
    rate = yulin.filter(pl.col("figure_id") == "yulin_033").row(0, named=True)
    assert round(rate["rate_over_identified_pct"], 2) == rate["published_value"] == published("yulin_033")
    assert round(rate["rate_over_accepted_pct"], 2) == 99.61
    ningxia = run_query("disputes_published_figures", region="640000", start=date(2017, 1, 1),
                        end=date(2021, 12, 31))
    rate = ningxia.filter(pl.col("figure_id") == "ningxia_017").row(0, named=True)
    assert rate["warehouse_value"] == rate["lowest_year_rate_pct"] >= published("ningxia_017")


def test_nothing_published_for_most_places(run_query):
    assert set(run_query("disputes_published_list", region="450000")["region_code"]) == {"450900"}
    assert run_query("disputes_published_figures", region="640104", **Y2022).height == 0
