"""pingan.stats against published values (Newcombe 1998) and independent characterisations."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pingan import stats


# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of seven methods.
# Statistics in Medicine 17:857-872, Table I, method 3 (score interval without continuity correction).
@pytest.mark.parametrize("x, n, low, high", [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_table(x, n, low, high):
    lo, hi = stats.wilson(x, n)
    assert round(lo, 4) == low
    assert round(hi, 4) == high


@pytest.mark.parametrize("x, n", [(81, 263), (15, 148), (1, 29), (7_540, 7_860), (990, 1_000)])
def test_wilson_bounds_solve_the_score_equation(x, n):
    # The Wilson bounds are the p where the score statistic equals z: (p̂ − p)² = z² p(1 − p) / n.
    p_hat = x / n
    for p in stats.wilson(x, n):
        assert (p_hat - p) ** 2 == pytest.approx(stats.Z95 ** 2 * p * (1 - p) / n, rel=1e-9)


def test_wilson_edges_and_arrays():
    assert stats.wilson(0, 20)[0] == 0.0
    assert stats.wilson(29, 29) == (pytest.approx(0.8830, abs=5e-5), 1.0)
    lo, hi = stats.wilson(np.array([81, 0, 5]), np.array([263, 0, 10]))
    assert round(lo[0], 4) == 0.2553 and math.isnan(lo[1]) and math.isnan(hi[1])
    assert lo[2] < 0.5 < hi[2]
    assert stats.Z95 == pytest.approx(1.959964, abs=1e-6)


# Newcombe RG (1998). Interval estimation for the difference between independent proportions: comparison of
# eleven methods. Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score, no continuity correction).
@pytest.mark.parametrize("x1, n1, x2, n2, low, high", [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (10, 10, 0, 20, 0.6791, 1.0000),
])
def test_newcombe_difference_matches_table(x1, n1, x2, n2, low, high):
    lo, hi = stats.newcombe_diff(x1, n1, x2, n2)
    assert round(lo, 4) == low
    assert round(hi, 4) == high


def test_rank_ranges_from_overlapping_intervals():
    # a is clearly first; b and c overlap each other; d overlaps c only; e is clearly last
    low = [95.0, 90.0, 89.0, 86.0, 70.0]
    high = [99.0, 93.0, 92.0, 89.5, 75.0]
    best, worst = stats.rank_ranges(low, high)
    assert best == [1, 2, 2, 3, 5]
    assert worst == [1, 3, 4, 4, 5]
    assert [stats.rank_label(b, w) for b, w in zip(best, worst)] == ["1", "2–3", "2–4", "3–4", "5"]


def test_versus_reference():
    assert stats.versus_reference(96.2, 97.0, 96.0) == "above"
    assert stats.versus_reference(94.0, 95.9, 96.0) == "below"
    assert stats.versus_reference(95.5, 96.5, 96.0) == "same"
    assert stats.versus_reference(95.5, 96.5, None) == "same"


def test_streak():
    ningxia = {y: 90.1 + 0.1 * (y - 2010) for y in range(2010, 2023)}
    assert stats.streak(ningxia, 90, 2021) == (12, 2010)
    assert stats.streak(ningxia, 90, 2022) == (13, 2010)
    dipped = {**ningxia, 2015: 89.9}
    assert stats.streak(dipped, 90, 2021) == (6, 2016)
    assert stats.streak(dipped, 90, 2015) == (0, None)
    gap = {y: 95.0 for y in (2018, 2019, 2021)}  # no survey in 2020: the run restarts
    assert stats.streak(gap, 90, 2021) == (1, 2021)
    assert stats.streak({2021: 90.0}, 90, 2021) == (1, 2021)  # "以上" includes the threshold


def test_compare_adds_intervals_ranks_verdicts_and_change():
    df = pl.DataFrame({
        "code": ["a", "b", "c"],
        "positive": [990, 950, 500], "sample_size": [1000, 1000, 1000], "rate_pct": [99.0, 95.0, 50.0],
        "prev_positive": [900, None, 500], "prev_sample_size": [1000, None, 1000],
        "prev_rate_pct": [90.0, None, 50.0],
    })
    out = stats.compare(df, 95.0).sort("code")
    lo, hi = stats.wilson(990, 1000)
    assert out["ci_low_pct"][0] == pytest.approx(100 * lo)
    assert out["ci_high_pct"][0] == pytest.approx(100 * hi)
    assert out["versus"].to_list() == ["above", "same", "below"]
    assert out["rank_range"].to_list() == ["1", "2", "3"]
    assert out["gap_pts"].to_list() == pytest.approx([4.0, 0.0, -45.0])
    assert out["yoy_change"].to_list() == ["up", None, "same"]
    assert out["yoy_pts"][0] == pytest.approx(9.0)
    d_lo, d_hi = stats.newcombe_diff(990, 1000, 900, 1000)
    assert out["yoy_low_pts"][0] == pytest.approx(100 * d_lo)
    assert out["yoy_high_pts"][0] == pytest.approx(100 * d_hi)
    assert stats.compare(df.head(0), 95.0).height == 0


def test_streaks_per_region_and_pearson():
    trend = pl.DataFrame({"code": ["a"] * 3 + ["b"] * 3, "year": [2019, 2020, 2021] * 2,
                          "rate_pct": [91.0, 92.0, 93.0, 91.0, 89.0, 93.0]})
    runs = {r["code"]: (r["streak_years"], r["streak_start"]) for r in
            stats.streaks(trend, "code", 90, 2021).iter_rows(named=True)}
    assert runs == {"a": (3, 2019), "b": (1, 2021)}
    assert stats.pearson([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert stats.pearson([1, 2, 3, 4], [8, 6, 4, 2]) == pytest.approx(-1.0)
    assert stats.pearson([1, 2], [1, 2]) is None
    assert stats.pearson([1, 1, 1], [1, 2, 3]) is None
