"""Domain rules that several layers share, each defined once here (core layer: imports nothing of the package).

Published-figure matching: when does a warehouse value match a figure of the seed documents? The semantics are
documented in data/published/README.md ("Matching a figure"). Every figure gets a half-open interval
[match_from, match_below) at build time (columns of `published_figure`); the queries compare with those columns,
which PostgreSQL and Spark run as well as DuckDB, and Python code calls `figure_matches`.
"""
from __future__ import annotations

import math

# Qualifiers that only bound a figure from below: "90%以上" says nothing about how far above.
AT_LEAST = ("以上", "超")
# "14.7万余件", "3400多所": at least the figure, below one more unit of its last non-zero digit.
AND_SOME = ("余", "多")
# "约51亿元", "近5万路": the figure is the value rounded to the unit of its last non-zero digit.
ABOUT = "约"
NEARLY = "近"


# A figure bounded from below over several years ("连续12年保持在90%以上") claims each of its years, so a rate is
# checked against its lowest year rather than the period's pooled rate. The snapshot carries it as
# published_figure.holds_every_year (pingan/rollups.py), which the published-figure queries read.
EVERY_YEAR = AT_LEAST


def figure_step(value: float, decimals: int) -> float:
    """The unit of a figure's last non-zero digit: 12.3万 (123000) -> 1000, 45.67 -> 0.01, 0 -> 10^-decimals."""
    cents = round(abs(float(value)) * 10 ** decimals)  # the figure as a whole number of its smallest unit
    if cents == 0:
        return 10.0 ** -decimals
    zeros = 0
    while cents % 10 == 0:
        cents //= 10
        zeros += 1
    return 10.0 ** (zeros - decimals)


def figure_bounds(value: float, qualifier: str, decimals: int) -> tuple[float, float | None]:
    """[match_from, match_below) of the warehouse values that match a published figure (None: no upper bound)."""
    x = float(value)
    half_digit = 0.5 * 10.0 ** -decimals  # exact: equal once rounded to the figure's own decimals
    step = figure_step(x, decimals)
    if qualifier in AT_LEAST:
        return x, None
    if qualifier in AND_SOME:
        return x, x + step
    if qualifier == ABOUT:
        return x - step / 2, x + step / 2
    if qualifier == NEARLY:
        return x - step / 2, x + half_digit
    return x - half_digit, x + half_digit


def figure_matches(warehouse_value, value: float, qualifier: str, decimals: int) -> bool | None:
    """Whether a warehouse value matches a published figure; None when the warehouse has no value."""
    if warehouse_value is None or (isinstance(warehouse_value, float) and math.isnan(warehouse_value)):
        return None
    low, below = figure_bounds(value, qualifier, decimals)
    v = float(warehouse_value)
    return v >= low and (below is None or v < below)


# The backlog: a dispute case still open more than this many days after acceptance is overdue (catalog indicator
# dispute_backlog_90d, whose texts format this number). The snapshot carries it as table backlog_rule
# (pingan/rollups.py), which the queries join; the rollups split cases at it.
BACKLOG_OVER_DAYS = 90

# The oldest open cases listed for follow-up (queries/disputes_oldest_open.sql). Spark takes only a constant LIMIT,
# so the query writes this number itself; tests/test_rules.py checks the two agree.
OLDEST_OPEN_LISTED = 500


def comparable(now_has_demo, before_has_demo) -> bool:
    """Whether a change between two periods may be shown: both demo data or both imported (no demo rows).

    A change from generated demo figures to a county's imported report (or back) measures the switch of source,
    not the place; pages then show both values and no change. A period without data (None) compares with nothing
    to mix, so it does not make the pair incomparable."""
    if now_has_demo is None or before_has_demo is None:
        return True
    return bool(now_has_demo) == bool(before_has_demo)
