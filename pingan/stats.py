"""Statistics for survey rates: Wilson intervals, differences, rank ranges and streaks (pure functions).

A survey index is a proportion (positive answers ÷ respondents). Its 95% interval is the Wilson score
interval from the summed counts, which treats the respondents as a simple random sample: provincial
surveys are stratified by county, so the true interval is somewhat narrower, never much wider.
"""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import polars as pl

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054


def wilson(positive, n, z: float = Z95):
    """Wilson score interval (low, high) of a proportion, as fractions; NaN where n is 0.

    Works on scalars and on numpy arrays (element-wise). Wilson (1927); Newcombe (1998), method 3.
    """
    x = np.asarray(positive, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
        # at x = 0 (x = n) the bound is exactly 0 (1); the formula leaves rounding dust there
        low = np.where(m > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
        high = np.where(m > 0, np.where(x >= m, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def newcombe_diff(x1, n1, x2, n2, z: float = Z95):
    """Interval (low, high) of p1 − p2 for two independent proportions, as fractions.

    Newcombe's hybrid score interval (1998, method 10), built from the two Wilson intervals.
    """
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.asarray(x1, dtype=float) / np.asarray(n1, dtype=float)
        p2 = np.asarray(x2, dtype=float) / np.asarray(n2, dtype=float)
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def rank_ranges(low, high) -> tuple[list[int], list[int]]:
    """For each interval, the best and worst rank (1 = highest) consistent with all the intervals.

    A region can only be certainly behind another whose interval lies wholly above its own, so its
    best rank is 1 + that count; likewise its worst rank is n − the count of intervals wholly below.
    Regions whose intervals overlap cannot be told apart and share a rank range ("2–4").
    """
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    n = len(lo)
    best = [1 + int(np.sum(lo > hi[i])) for i in range(n)]
    worst = [n - int(np.sum(hi < lo[i])) for i in range(n)]
    return best, worst


def rank_label(best: int, worst: int) -> str:
    """'3' when the rank is certain, '2–4' when it is not."""
    return str(best) if best == worst else f"{best}–{worst}"


def versus_reference(low, high, reference) -> str:
    """'above' / 'below' when the whole interval lies above / below the reference value, else 'same'."""
    if reference is None or low is None or high is None or any(math.isnan(v) for v in (low, high, reference)):
        return "same"
    if low > reference:
        return "above"
    if high < reference:
        return "below"
    return "same"


def streak(values_by_year: dict[int, float], threshold: float, end_year: int) -> tuple[int, int | None]:
    """Consecutive years up to and including end_year with value ≥ threshold: (length, first year).

    A missing year breaks the streak. (0, None) when end_year itself misses the threshold.
    """
    length, year = 0, end_year
    while year in values_by_year and values_by_year[year] is not None and values_by_year[year] >= threshold:
        length += 1
        year -= 1
    return length, (year + 1 if length else None)


def with_wilson(df: pl.DataFrame, positive: str = "positive", n: str = "sample_size",
                prefix: str = "") -> pl.DataFrame:
    """Add <prefix>ci_low_pct and <prefix>ci_high_pct (Wilson 95%, in percent) from two count columns."""
    if df.height == 0:
        return df.with_columns(pl.lit(None, pl.Float64).alias(f"{prefix}ci_low_pct"),
                               pl.lit(None, pl.Float64).alias(f"{prefix}ci_high_pct"))
    low, high = wilson(df[positive].fill_null(0).to_numpy(), df[n].fill_null(0).to_numpy())
    return df.with_columns(pl.Series(f"{prefix}ci_low_pct", 100.0 * np.atleast_1d(low)).fill_nan(None),
                           pl.Series(f"{prefix}ci_high_pct", 100.0 * np.atleast_1d(high)).fill_nan(None))


def _change(low: float, high: float) -> str | None:
    if math.isnan(low) or math.isnan(high):
        return None
    return "up" if low > 0 else "down" if high < 0 else "same"


def compare(df: pl.DataFrame, reference: float | None) -> pl.DataFrame:
    """Sub-regions of one index: Wilson intervals, rank ranges, the verdict against a reference value (the
    parent's figure) and the year-on-year change with its Newcombe interval.

    df: one row per region with positive, sample_size, rate_pct and prev_positive, prev_sample_size,
    prev_rate_pct (null where the region was not surveyed the year before).
    Adds ci_low_pct, ci_high_pct, rank_best, rank_worst, rank_range, versus (above | same | below), gap_pts,
    yoy_pts, yoy_low_pts, yoy_high_pts and yoy_change (up | same | down, null without last year).
    """
    out = with_wilson(df)
    if out.height == 0:
        return out.with_columns(
            [pl.lit(None, pl.Int64).alias(c) for c in ("rank_best", "rank_worst")]
            + [pl.lit(None, pl.Utf8).alias(c) for c in ("rank_range", "versus", "yoy_change")]
            + [pl.lit(None, pl.Float64).alias(c) for c in ("gap_pts", "yoy_pts", "yoy_low_pts", "yoy_high_pts")])
    lo, hi = out["ci_low_pct"].to_list(), out["ci_high_pct"].to_list()
    best, worst = rank_ranges(lo, hi)

    def floats(col: str) -> np.ndarray:
        return out[col].cast(pl.Float64).fill_null(float("nan")).to_numpy()

    d_lo, d_hi = newcombe_diff(floats("positive"), floats("sample_size"),
                               floats("prev_positive"), floats("prev_sample_size"))
    d_lo, d_hi = np.atleast_1d(d_lo), np.atleast_1d(d_hi)
    ref = float("nan") if reference is None else float(reference)
    return out.with_columns(
        pl.Series("rank_best", best, pl.Int64),
        pl.Series("rank_worst", worst, pl.Int64),
        pl.Series("rank_range", [rank_label(b, w) for b, w in zip(best, worst)], pl.Utf8),
        pl.Series("versus", [versus_reference(a, b, ref) for a, b in zip(lo, hi)], pl.Utf8),
        (pl.col("rate_pct") - pl.lit(ref)).fill_nan(None).alias("gap_pts"),
        (pl.col("rate_pct") - pl.col("prev_rate_pct")).alias("yoy_pts"),
        pl.Series("yoy_low_pts", 100.0 * d_lo).fill_nan(None),
        pl.Series("yoy_high_pts", 100.0 * d_hi).fill_nan(None),
        pl.Series("yoy_change", [_change(a, b) for a, b in zip(d_lo, d_hi)], pl.Utf8),
    )


def streaks(trend: pl.DataFrame, key: str, threshold: float | None, end_year: int) -> pl.DataFrame:
    """Per key (a region code): streak_years and streak_start of `streak` over its (year, rate_pct) rows."""
    rows = []
    for (k,), part in trend.group_by([key], maintain_order=True):
        by_year = dict(zip(part["year"].to_list(), part["rate_pct"].to_list()))
        n, start = streak(by_year, threshold, end_year) if threshold is not None else (None, None)
        rows.append({key: k, "streak_years": n, "streak_start": start})
    return pl.DataFrame(rows, schema={key: trend.schema[key], "streak_years": pl.Int64, "streak_start": pl.Int64})


def pearson(x, y) -> float | None:
    """Pearson correlation of two equally long sequences; None with fewer than 3 pairs or no spread."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])
