"""Published-figure matching: one semantics (pingan/rules.py, data/published/README.md) in Python and in every query."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pingan import config, rules, warehouse

# (warehouse value, published value, qualifier, decimals) -> matches
CASES = [
    # exact: equal once rounded to the figure's decimals
    (3138, 3138, "exact", 0, True),
    (3139, 3138, "exact", 0, False),
    (97.1221, 97.12, "exact", 2, True),
    (97.125, 97.12, "exact", 2, False),
    (99.7, 100, "exact", 0, True),       # "100%" is published without decimals: 99.7% rounds to it
    (99.4, 100, "exact", 0, False),
    # 余/多: at least the figure, below one more unit of its last non-zero digit
    (147000, 147000, "余", 0, True),     # 14.7万余件
    (147999, 147000, "余", 0, True),
    (148000, 147000, "余", 0, False),
    (146999, 147000, "余", 0, False),
    (3499, 3400, "多", 0, True),         # 3400多所
    (3500, 3400, "多", 0, False),
    (290000, 200000, "余", 0, True),     # 20余万: the last non-zero digit is the 十万
    # 以上/超: at least the figure, no upper bound
    (90.0, 90, "以上", 0, True),
    (99.9, 90, "以上", 0, True),
    (89.9, 90, "以上", 0, False),
    (75.69, 75.69, "以上", 2, True),
    (75.68, 75.69, "以上", 2, False),
    (10001, 10000, "超", 0, True),
    # 约: rounds to the figure at the unit of its last non-zero digit
    (13749, 13700, "约", 0, True),       # 1.37万: 13,650 to 13,749
    (13650, 13700, "约", 0, True),
    (13750, 13700, "约", 0, False),
    (13649, 13700, "约", 0, False),
    (21499, 21000, "约", 0, True),       # 2.1万名: within 500 (the grid page's old 5% let 22,050 through)
    (22050, 21000, "约", 0, False),
    (5_149_999_999, 5_100_000_000, "约", 0, True),  # 约51亿元
    (5_150_000_000, 5_100_000_000, "约", 0, False),
    # 近: at most the figure, and within half a unit of its last non-zero digit below it
    (50000, 50000, "近", 0, True),       # 近5万路
    (45000, 50000, "近", 0, True),
    (44999, 50000, "近", 0, False),
    (50001, 50000, "近", 0, False),
    # no warehouse value: no mark
    (None, 3138, "exact", 0, None),
]

# The one spelling of the interval test in the queries: "<value> >= <f>.match_from and (<f>.match_below is null or
# <value> < <f>.match_below)"
INTERVAL = re.compile(r"(\w+\.warehouse_value) >= (\w+)\.match_from and \(\2\.match_below is null or \1 < \2\.match_below\)")
USERS = ("anti_gang_published", "disputes_published_figures", "satisfaction_published", "sources_reconciliation")


@pytest.mark.parametrize("value, figure, qualifier, decimals, want", CASES)
def test_figure_matches(value, figure, qualifier, decimals, want):
    assert rules.figure_matches(value, figure, qualifier, decimals) is want


def test_the_sql_interval_agrees_with_the_python_function():
    con = duckdb.connect()
    con.execute("create table f (warehouse_value double, match_from double, match_below double)")
    for value, figure, qualifier, decimals, _ in CASES:
        con.execute("insert into f values (?, ?, ?)", [value, *rules.figure_bounds(figure, qualifier, decimals)])
    got = [r[0] for r in con.execute(
        "select case when f.warehouse_value is null then null else f.warehouse_value >= f.match_from "
        "and (f.match_below is null or f.warehouse_value < f.match_below) end from f").fetchall()]
    assert got == [c[-1] for c in CASES]


@pytest.mark.parametrize("name", USERS)
def test_queries_judge_a_figure_by_its_interval_only(name):
    sql = (config.QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    assert len(INTERVAL.findall(sql)) == 1
    assert not re.search(r"qualifier (in \(|= '(余|多|超|约|近)')", sql), "a second copy of the qualifiers' meaning"


def test_no_page_judges_a_figure_itself():
    for page in sorted(Path(config.ROOT, "pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"qualifier\"\] (in \(|== \"(余|多|以上|超|约|近)\")", text), page.name


@pytest.mark.parametrize(("value", "decimals", "step"), [
    (147000, 0, 1000), (200000, 0, 100000), (3138, 0, 1), (97.12, 2, 0.01), (94.7, 1, 0.1), (90, 0, 10),
    (5_100_000_000, 0, 100_000_000), (0, 1, 0.1)])
def test_figure_step(value, decimals, step):
    assert rules.figure_step(value, decimals) == pytest.approx(step)


def test_published_figure_rows_carry_their_interval(warehouse_built):
    con = warehouse.reader(warehouse_built)
    try:
        rows = con.execute("select value, qualifier, decimals, match_from, match_below from published_figure").fetchall()
    finally:
        con.close()
    assert len(rows) == 282
    assert all(rules.figure_bounds(v, q, d) == (lo, hi) for v, q, d, lo, hi in rows)


def test_every_query_mark_is_the_python_rule(run_query, warehouse_built):
    con = warehouse.reader(warehouse_built)
    try:
        fig = {r[0]: r[1:] for r in con.execute("select figure_id, value, qualifier, decimals from published_figure").fetchall()}
        disputes = con.execute("select distinct region_code, period_start, period_end from published_figure "
                               "where indicator like 'dispute_%'").fetchall()
        anti_gang = con.execute("select distinct f.region_code, year(f.period_start), year(f.period_end) "
                                "from published_figure as f join indicator as i on i.code = f.indicator "
                                "and i.domain = 'anti_gang'").fetchall()
    finally:
        con.close()
    frames = [run_query("sources_reconciliation", region=""), run_query("satisfaction_published", region="")]
    frames += [run_query("disputes_published_figures", region=r, start=a, end=b) for r, a, b in disputes]
    frames += [run_query("anti_gang_published", region=r, first_year=a, last_year=b) for r, a, b in anti_gang]
    marked = 0
    for df in frames:
        for row in df.iter_rows(named=True):
            assert row["matches"] == rules.figure_matches(row["warehouse_value"], *fig[row["figure_id"]]), row
            marked += row["matches"] is not None
    assert marked == 134  # every mark the four queries put on the small warehouse


def test_demo_targets_fall_inside_their_figures_interval():
    import numpy as np

    from pingan import demo_targets, reference

    rng = np.random.default_rng(7)
    targets = demo_targets.load_targets(reference.figures())
    counted = [t for t in targets if t.value == round(t.value) and t.decimals == 0]
    assert counted
    for t in counted:
        assert rules.figure_matches(t.count_value(rng), t.value, t.qualifier, t.decimals), t.figure_id


def test_backlog_threshold_is_the_snapshots(warehouse_built):
    con = warehouse.reader(warehouse_built)
    try:
        assert con.execute("select over_days from backlog_rule").fetchall() == [(rules.BACKLOG_OVER_DAYS,)]
    finally:
        con.close()


@pytest.mark.parametrize("name", ["disputes_backlog_by_county", "disputes_oldest_open", "screen_subregions"])
def test_backlog_queries_read_the_threshold(name):
    sql = (config.QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    code = "\n".join(line.split("--")[0] for line in sql.splitlines())
    assert "backlog_rule" in code and not re.search(r"\b90\b", code)

