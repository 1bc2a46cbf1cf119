"""The anti-gang page's queries against the small warehouse: the seed's published figures, exactly."""
from __future__ import annotations

import re

import polars as pl
import pytest

from conftest import ROOT

YUNNAN, DALI, NINGXIA, YULIN = "530000", "532900", "640000", "450900"
ANTI_GANG_QUERIES = ["anti_gang_by_year", "anti_gang_published", "anti_gang_ranking", "anti_gang_phase_compare",
                     "anti_gang_ratios", "anti_gang_ratio_quotes"]

# What the seed publishes (figures.csv), written out so that a regression in data or SQL shows here.
PUBLISHED = {
    (YUNNAN, 2018, 2020): {"ag_black_org": 166, "ag_evil_group": 296, "ag_evil_gang": 508, "ag_suspects": 13700,
                           "ag_fugitives": 207, "ag_criminal_cases": 13900, "ag_umbrella_cases": 4026,
                           "ag_disciplined": 3689, "ag_transferred": 668, "ag_weak_party_orgs": 4125},
    (YUNNAN, 2021, 2022): {"ag_black_org": 7, "ag_evil_group_gang": 67, "ag_suspects": 1276},
    (DALI, 2018, 2020): {"ag_black_org": 8, "ag_evil_group_gang": 67, "ag_suspects": 1535,
                         "ag_criminal_cases": 1754, "ag_assets_yuan": 716_000_000},
    (DALI, 2021, 2022): {"ag_black_org": 1, "ag_evil_group_gang": 5},
    (YULIN, 2021, 2022): {"ag_evil_group": 2, "ag_evil_gang": 4, "ag_criminal_cases": 108, "ag_suspects": 142,
                          "ag_assets_yuan": 94_718_900},
    (NINGXIA, 2018, 2022): {"ag_gang_total": 133, "ag_criminal_cases": 2575, "ag_suspects": 2283,
                            "ag_assets_yuan": 5_100_000_000, "ag_umbrella_cases": 574, "ag_umbrella_people": 1203,
                            "ag_disciplined": 891, "ag_transferred": 58},
}


@pytest.mark.parametrize("name", ANTI_GANG_QUERIES)
def test_query_files_have_a_header(name):
    text = (ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("--")][:3]
    assert not header[0].lower().startswith("-- grain"), "first line is the title"
    assert header[1].startswith("-- grain:") and header[2].startswith("-- params:")
    declared = set(re.findall(r"\$([a-z_]+)", header[2]))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    assert declared == set(re.findall(r"\$([a-z_]+)", body))


@pytest.mark.parametrize("key", list(PUBLISHED))
def test_published_figures_match_the_warehouse(run_query, key):
    region, first, last = key
    df = run_query("anti_gang_published", region=region, first_year=first, last_year=last)
    got = dict(zip(df["indicator"], df["published_value"]))
    assert got == {k: float(v) for k, v in PUBLISHED[key].items()}
    assert df["matches"].to_list() == [True] * df.height
    assert dict(zip(df["indicator"], df["warehouse_value"])) == PUBLISHED[key]
    assert df["quote"].str.len_chars().min() > 0


def test_published_figures_need_the_exact_years_and_a_place(run_query):
    assert run_query("anti_gang_published", region=YUNNAN, first_year=2018, last_year=2022).height == 0
    assert run_query("anti_gang_published", region=YUNNAN, first_year=2019, last_year=2020).height == 0
    assert run_query("anti_gang_published", region="", first_year=2018, last_year=2020).height == 0


def test_by_year_sums_to_the_published_phase_totals(run_query):
    df = run_query("anti_gang_by_year", region=YUNNAN)
    assert sorted(df["year"].unique().to_list()) == [2018, 2019, 2020, 2021, 2022]
    phases = dict(df.select("year", "phase").unique().iter_rows())
    assert phases == {2018: "special", 2019: "special", 2020: "special", 2021: "routine", 2022: "routine"}
    for (region, first, last), figures in PUBLISHED.items():
        years = run_query("anti_gang_by_year", region=region).filter(pl.col("year").is_between(first, last))
        for code, value in figures.items():
            assert years.filter(pl.col("indicator") == code)["value"].sum() == value, (region, code)
    cum = df.filter((pl.col("indicator") == "ag_black_org") & (pl.col("year") == 2020))["cumulative_value"][0]
    assert cum == 166


def test_by_year_derived_sums_are_the_sums_of_their_parts(run_query):
    df = run_query("anti_gang_by_year", region=DALI)
    wide = df.pivot(on="indicator", index="year", values="value")
    assert (wide["ag_evil_group_gang"] == wide["ag_evil_group"] + wide["ag_evil_gang"]).all()
    assert (wide["ag_gang_total"] == wide["ag_black_org"] + wide["ag_evil_group"] + wide["ag_evil_gang"]).all()
    assert df["has_demo"].all()


def test_ranking_per_100k_and_children_add_up(run_query):
    df = run_query("anti_gang_ranking", parent_region=YUNNAN, child_level="prefecture", first_year=2018, last_year=2020)
    black = df.filter(pl.col("indicator") == "ag_black_org")
    assert black.height == 16 and black["regions"].to_list() == [16] * 16
    assert black["value"].sum() == 166
    assert df.filter(pl.col("indicator") == "ag_evil_group_gang")["value"].sum() == 296 + 508
    for row in df.iter_rows(named=True):
        assert row["per_100k"] == pytest.approx(row["value"] * 100000 / row["population"])
    ordered = black.sort("rank_per_100k")
    assert ordered["per_100k"].to_list() == sorted(ordered["per_100k"].to_list(), reverse=True)
    assert ordered["rank_per_100k"][0] == 1
    by_value = black.sort("rank_value")
    assert by_value["value"].to_list() == sorted(by_value["value"].to_list(), reverse=True)


def test_ranking_levels(run_query):
    provinces = run_query("anti_gang_ranking", parent_region="", child_level="province", first_year=2018, last_year=2022)
    assert provinces.filter(pl.col("indicator") == "ag_gang_total").height == 7
    ningxia = provinces.filter((pl.col("code") == NINGXIA) & (pl.col("indicator") == "ag_gang_total"))
    assert ningxia["value"][0] == 133
    counties = run_query("anti_gang_ranking", parent_region=DALI, child_level="county", first_year=2021, last_year=2022)
    black = counties.filter(pl.col("indicator") == "ag_black_org")
    assert black.height == 12 and black["value"].sum() == 1
    assert set(black["code"].str.slice(0, 4).to_list()) == {"5329"}


def test_phase_compare_yearly_averages(run_query):
    df = run_query("anti_gang_phase_compare", region=YUNNAN)
    row = df.filter(pl.col("indicator") == "ag_black_org").row(0, named=True)
    assert (row["special_total"], row["routine_total"]) == (166, 7)
    assert (row["special_first_year"], row["special_last_year"], row["routine_first_year"],
            row["routine_last_year"]) == (2018, 2020, 2021, 2022)
    assert row["routine_vs_special"] == pytest.approx((7 / 2) / (166 / 3))
    gg = df.filter(pl.col("indicator") == "ag_evil_group_gang").row(0, named=True)
    assert (gg["special_total"], gg["routine_total"]) == (296 + 508, 67)
    assert df.height == 14


def test_ratios_from_the_published_totals(run_query):
    ningxia = {r["ratio"]: r for r in run_query("anti_gang_ratios", region=NINGXIA, first_year=2018,
                                                  last_year=2022).iter_rows(named=True)}
    assert ningxia["people_per_umbrella_case"]["ratio_value"] == pytest.approx(1203 / 574)
    assert ningxia["disciplined_per_umbrella_case"]["ratio_value"] == pytest.approx(891 / 574)
    assert ningxia["transferred_share"]["ratio_value"] == pytest.approx(100 * 58 / 1203)
    assert ningxia["assets_per_case"]["ratio_value"] == pytest.approx(5.1e9 / 2575 / 1e4)
    assert ningxia["assets_per_gang"]["ratio_value"] == pytest.approx(5.1e9 / 133 / 1e4)
    assert ningxia["suspects_per_gang"]["ratio_value"] == pytest.approx(2283 / 133)
    yunnan = {r["ratio"]: r for r in run_query("anti_gang_ratios", region=YUNNAN, first_year=2018,
                                                 last_year=2020).iter_rows(named=True)}
    assert yunnan["disciplined_per_umbrella_case"]["ratio_value"] == pytest.approx(3689 / 4026)
    assert yunnan["black_org_share"]["ratio_value"] == pytest.approx(100 * 166 / (166 + 296 + 508))
    assert yunnan["disciplined_per_umbrella_case"]["numerator_name_zh"] == "党纪政务处分"


def test_ratio_quote_says_what_the_warehouse_lacks(run_query):
    df = run_query("anti_gang_ratio_quotes", region=NINGXIA)
    assert df.height == 1
    row = df.row(0, named=True)
    assert "1.62倍" in row["quote"] and row["published_value"] == 1.62
    assert row["base_indicator"] == "ag_black_org" and row["prior_years"] == 10
    assert (row["need_first_year"], row["need_last_year"]) == (2008, 2017)
    assert row["data_first_year"] == 2018 and row["prior_years_held"] == 0
    assert row["warehouse_value"] is None
    black = run_query("antigang_summary", region=NINGXIA, first_year=2018, last_year=2022)
    assert row["period_value"] == black.filter(pl.col("indicator") == "ag_black_org")["value"][0]
    assert run_query("anti_gang_ratio_quotes", region=YUNNAN).height == 0
    assert run_query("anti_gang_ratio_quotes", region="").height == 1
