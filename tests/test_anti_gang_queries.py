"""The anti-gang page's queries against the small warehouse: the seed's published figures, exactly."""
from __future__ import annotations

import re

import polars as pl
import pytest

from conftest import ROOT, published

YUNNAN, DALI, NINGXIA, YULIN = "530000", "532900", "640000", "450900"
ANTI_GANG_QUERIES = ["anti_gang_by_year", "anti_gang_published", "anti_gang_ranking", "anti_gang_phase_compare",
                     "anti_gang_ratios", "anti_gang_ratio_quotes"]

# What the seed publishes, by figure id in data/published/figures.csv (the values are read from there).
PUBLISHED_IDS = {
    (YUNNAN, 2018, 2020): {"ag_black_org": "yunnan_004", "ag_evil_group": "yunnan_005", "ag_evil_gang": "yunnan_006",
                           "ag_suspects": "yunnan_007", "ag_fugitives": "yunnan_008",
                           "ag_criminal_cases": "yunnan_009", "ag_umbrella_cases": "yunnan_011",
                           "ag_disciplined": "yunnan_012", "ag_transferred": "yunnan_013",
                           "ag_weak_party_orgs": "yunnan_014"},
    (YUNNAN, 2021, 2022): {"ag_black_org": "yunnan_016", "ag_evil_group_gang": "yunnan_017",
                           "ag_suspects": "yunnan_018"},
    (DALI, 2018, 2020): {"ag_black_org": "dali_015", "ag_evil_group_gang": "dali_016", "ag_suspects": "dali_017",
                         "ag_criminal_cases": "dali_018", "ag_assets_yuan": "dali_019"},
    (DALI, 2021, 2022): {"ag_black_org": "dali_020", "ag_evil_group_gang": "dali_021"},
    (YULIN, 2021, 2022): {"ag_evil_group": "yulin_013", "ag_evil_gang": "yulin_014", "ag_criminal_cases": "yulin_015",
                          "ag_suspects": "yulin_016", "ag_assets_yuan": "yulin_017"},
    (NINGXIA, 2018, 2022): {"ag_gang_total": "ningxia_020", "ag_criminal_cases": "ningxia_021",
                            "ag_suspects": "ningxia_022", "ag_assets_yuan": "ningxia_023",
                            "ag_umbrella_cases": "ningxia_025", "ag_umbrella_people": "ningxia_026",
                            "ag_disciplined": "ningxia_027", "ag_transferred": "ningxia_028"},
}
PUBLISHED = {key: {code: published(fid) for code, fid in ids.items()} for key, ids in PUBLISHED_IDS.items()}
YN_BLACK, YN_EVIL_GROUP, YN_EVIL_GANG = (published(f"yunnan_{n:03d}") for n in (4, 5, 6))  # 2018-2020


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
    assert cum == YN_BLACK


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
    assert black["value"].sum() == YN_BLACK
    assert df.filter(pl.col("indicator") == "ag_evil_group_gang")["value"].sum() == YN_EVIL_GROUP + YN_EVIL_GANG
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
    assert ningxia["value"][0] == published("ningxia_020")
    counties = run_query("anti_gang_ranking", parent_region=DALI, child_level="county", first_year=2021, last_year=2022)
    black = counties.filter(pl.col("indicator") == "ag_black_org")
    assert black.height == 12 and black["value"].sum() == published("dali_020")
    assert set(black["code"].str.slice(0, 4).to_list()) == {"5329"}


def test_phase_compare_yearly_averages(run_query):
    df = run_query("anti_gang_phase_compare", region=YUNNAN)
    row = df.filter(pl.col("indicator") == "ag_black_org").row(0, named=True)
    assert (row["special_total"], row["routine_total"]) == (YN_BLACK, published("yunnan_016"))
    assert (row["special_first_year"], row["special_last_year"], row["routine_first_year"],
            row["routine_last_year"]) == (2018, 2020, 2021, 2022)
    assert row["routine_vs_special"] == pytest.approx((published("yunnan_016") / 2) / (YN_BLACK / 3))
    gg = df.filter(pl.col("indicator") == "ag_evil_group_gang").row(0, named=True)
    assert (gg["special_total"], gg["routine_total"]) == (YN_EVIL_GROUP + YN_EVIL_GANG, published("yunnan_017"))
    assert df.height == 14


def test_ratios_from_the_published_totals(run_query):
    nx = PUBLISHED[(NINGXIA, 2018, 2022)]
    ningxia = {r["ratio"]: r for r in run_query("anti_gang_ratios", region=NINGXIA, first_year=2018,
                                                  last_year=2022).iter_rows(named=True)}
    assert ningxia["people_per_umbrella_case"]["ratio_value"] == pytest.approx(
        nx["ag_umbrella_people"] / nx["ag_umbrella_cases"])
    assert ningxia["disciplined_per_umbrella_case"]["ratio_value"] == pytest.approx(
        nx["ag_disciplined"] / nx["ag_umbrella_cases"])
    assert ningxia["transferred_share"]["ratio_value"] == pytest.approx(
        100 * nx["ag_transferred"] / nx["ag_umbrella_people"])
    assert ningxia["assets_per_case"]["ratio_value"] == pytest.approx(nx["ag_assets_yuan"] / nx["ag_criminal_cases"] / 1e4)
    assert ningxia["assets_per_gang"]["ratio_value"] == pytest.approx(nx["ag_assets_yuan"] / nx["ag_gang_total"] / 1e4)
    assert ningxia["suspects_per_gang"]["ratio_value"] == pytest.approx(nx["ag_suspects"] / nx["ag_gang_total"])
    yn = PUBLISHED[(YUNNAN, 2018, 2020)]
    yunnan = {r["ratio"]: r for r in run_query("anti_gang_ratios", region=YUNNAN, first_year=2018,
                                                 last_year=2020).iter_rows(named=True)}
    assert yunnan["disciplined_per_umbrella_case"]["ratio_value"] == pytest.approx(
        yn["ag_disciplined"] / yn["ag_umbrella_cases"])
    assert yunnan["black_org_share"]["ratio_value"] == pytest.approx(
        100 * YN_BLACK / (YN_BLACK + YN_EVIL_GROUP + YN_EVIL_GANG))
    assert yunnan["disciplined_per_umbrella_case"]["numerator_name_zh"] == "党纪政务处分"


def test_ratio_quote_says_what_the_warehouse_lacks(run_query):
    df = run_query("anti_gang_ratio_quotes", region=NINGXIA)
    assert df.height == 1
    row = df.row(0, named=True)
    assert "1.62倍" in row["quote"] and row["published_value"] == published("ningxia_024")
    assert row["base_indicator"] == "ag_black_org" and row["prior_years"] == 10
    assert (row["need_first_year"], row["need_last_year"]) == (2008, 2017)
    assert row["data_first_year"] == 2018 and row["prior_years_held"] == 0
    assert row["warehouse_value"] is None
    black = run_query("antigang_summary", region=NINGXIA, first_year=2018, last_year=2022)
    assert row["period_value"] == black.filter(pl.col("indicator") == "ag_black_org")["value"][0]
    assert run_query("anti_gang_ratio_quotes", region=YUNNAN).height == 0
    assert run_query("anti_gang_ratio_quotes", region="").height == 1
