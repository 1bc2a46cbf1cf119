"""Queries that read a rollup (pingan/rollups.py) where it can answer, and the facts otherwise: both paths give the
same answers, and DuckDB plans only the path that applies."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pingan import queries, warehouse

DAYS = "disputes_days_to_resolve"
# The guards of the two branches, as written in the query file (the test fails if they change).
DAYS_ROLLUP_GUARD = ("where ($region = '' or $region like '__0000')\n        and extract(day from $start) = 1\n"
                     "        and $end = last_day($end)\n")
DAYS_CASES_GUARD = ("where not (($region = '' or $region like '__0000') and extract(day from $start) = 1 "
                    "and $end = last_day($end))\n")


def _run_sql(text: str, params: dict) -> pl.DataFrame:
    cur = warehouse.cursor()
    try:
        return queries._plain_numbers(pl.from_arrow(cur.sql(text, params=params).to_arrow_table()))
    finally:
        cur.close()


def _fetch(text: str, params: dict) -> list[tuple]:
    cur = warehouse.cursor()
    try:
        return cur.execute(text, params).fetchall()
    finally:
        cur.close()


def _plan(text: str, params: dict) -> str:
    cur = warehouse.cursor()
    try:
        return "\n".join(row[1] for row in cur.execute("explain " + text, params).fetchall())
    finally:
        cur.close()


def _forced_to_cases(sql: str) -> str:
    """The same query with its rollup branch switched off and its case branch always on."""
    assert sql.count(DAYS_ROLLUP_GUARD) == 1 and sql.count(DAYS_CASES_GUARD) == 1, "the query's guards changed"
    return sql.replace(DAYS_ROLLUP_GUARD, "where false\n").replace(DAYS_CASES_GUARD, "where true\n")


def _whole_month_scopes():
    periods = {"2022": (date(2022, 1, 1), date(2022, 12, 31)), "2022H1": (date(2022, 1, 1), date(2022, 6, 30)),
               "2017-2022": (date(2017, 1, 1), date(2022, 12, 31)), "2021-02": (date(2021, 2, 1), date(2021, 2, 28)),
               "2020Q1": (date(2020, 1, 1), date(2020, 3, 31))}
    for region in ("", "640000", "450000", "630000"):
        for label, (start, end) in periods.items():
            for category in ("", "neighbour"):
                yield pytest.param(dict(region=region, start=start, end=end, category=category),
                                   id=f"{region or 'all'}-{label}-{category or 'any'}")


@pytest.mark.parametrize("params", list(_whole_month_scopes()))
def test_days_to_resolve_rollup_equals_the_cases(warehouse_built, params):
    sql = queries.load(DAYS).sql
    plan = _plan(sql, params)
    assert "dispute_resolve_days" in plan and "dispute_case" not in plan
    got = _run_sql(sql, params)
    expected = _run_sql(_forced_to_cases(sql), params)
    assert got.height > 0
    assert got.schema == expected.schema
    assert got.to_dicts() == expected.to_dicts()  # exactly: same counts, same interpolated days


@pytest.mark.parametrize("params", [
    dict(region="450900", start=date(2022, 1, 1), end=date(2022, 12, 31), category=""),      # a prefecture
    dict(region="640104", start=date(2022, 1, 1), end=date(2022, 6, 30), category=""),       # a county
    dict(region="", start=date(2022, 1, 1), end=date(2022, 12, 15), category=""),            # part of a month
    dict(region="640000", start=date(2022, 3, 10), end=date(2022, 12, 31), category="neighbour"),
], ids=["prefecture", "county", "all-part-month", "province-part-month"])
def test_days_to_resolve_counts_cases_where_the_rollup_cannot_answer(warehouse_built, params):
    sql = queries.load(DAYS).sql
    plan = _plan(sql, params)
    assert "dispute_case" in plan and "dispute_resolve_days" not in plan
    got = _run_sql(sql, params)
    assert got.height > 0
    assert got.to_dicts() == _run_sql(_forced_to_cases(sql), params).to_dicts()


def test_days_to_resolve_rollup_matches_percentile_cont_for_all_of_china(warehouse_built):
    """An oracle independent of both branches: DuckDB's own percentile_cont over every resolved case."""
    params = dict(region="", start=date(2021, 1, 1), end=date(2022, 12, 31), category="")
    got = _run_sql(queries.load(DAYS).sql, dict(params))
    for dim in ("channel", "category"):
        expected = {code: (n, med, p90) for code, n, med, p90 in _fetch(f"""
            select {dim}, count(*),
                percentile_cont(0.5) within group (order by closed_date - accepted_date),
                percentile_cont(0.9) within group (order by closed_date - accepted_date)
            from dispute_case
            where identified_date between $start and $end and outcome = 'resolved'
            group by {dim}""", {"start": params["start"], "end": params["end"]})}
        rows = got.filter(pl.col("dimension") == dim)
        assert rows.height == len(expected) > 0
        for row in rows.iter_rows(named=True):
            n, med, p90 = expected[row["code"]]
            assert row["resolved"] == n
            assert row["median_days"] == pytest.approx(med, abs=1e-9)
            assert row["p90_days"] == pytest.approx(p90, abs=1e-9)


# ------------------------------------------------------------------------------------------ data_sources_by_table
SOURCES = "data_sources_by_table"
SOURCES_ROLLUP_GUARD = "where extract(day from $start) = 1\n        and $end = last_day($end)\n"
SOURCES_CASES_GUARD = "where not (extract(day from $start) = 1 and $end = last_day($end))\n"


def _sources_forced_to_cases(sql: str) -> str:
    assert sql.count(SOURCES_ROLLUP_GUARD) == 1 and sql.count(SOURCES_CASES_GUARD) == 1, "the query's guards changed"
    return sql.replace(SOURCES_ROLLUP_GUARD, "where false\n").replace(SOURCES_CASES_GUARD, "where true\n")


def _dispute_case_plan(sql: str, params: dict) -> tuple[bool, bool]:
    plan = _plan(sql, params)
    return "dispute_case" in plan.replace("dispute_case_", ""), "dispute_month" in plan


WHOLE_MONTHS = {"2022": (date(2022, 1, 1), date(2022, 12, 31)), "2018-2022": (date(2018, 1, 1), date(2022, 12, 31)),
                "2022H1": (date(2022, 1, 1), date(2022, 6, 30)), "2019-07": (date(2019, 7, 1), date(2019, 7, 31))}


@pytest.mark.parametrize("region", ["", "640000", "450900", "640104", "530000"])
@pytest.mark.parametrize("period", list(WHOLE_MONTHS))
def test_source_composition_from_dispute_month_equals_the_cases(warehouse_built, region, period):
    start, end = WHOLE_MONTHS[period]
    params = dict(region=region, start=start, end=end)
    sql = queries.load(SOURCES).sql
    assert _dispute_case_plan(sql, params) == (False, True)
    got = _run_sql(sql, params)
    expected = _run_sql(_sources_forced_to_cases(sql), params)
    assert got.schema == expected.schema
    assert got.to_dicts() == expected.to_dicts()
    assert got.filter(pl.col("fact_table") == "dispute_case")["rows_total"][0] > 0


@pytest.mark.parametrize("start, end", [(date(2022, 1, 1), date(2022, 12, 15)), (date(2022, 3, 2), date(2022, 3, 31))])
def test_source_composition_counts_cases_for_part_months(warehouse_built, start, end):
    params = dict(region="640000", start=start, end=end)
    sql = queries.load(SOURCES).sql
    assert _dispute_case_plan(sql, params) == (True, False)
    assert _run_sql(sql, params).to_dicts() == _run_sql(_sources_forced_to_cases(sql), params).to_dicts()


def test_source_composition_with_imported_cases_and_reports(warehouse_built, tmp_path, monkeypatch):
    """Imported cases count as imported rows; an imported report (is_report rows of dispute_month) is no case."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
    import corpus

    from pingan import importer

    monkeypatch.setenv("PINGAN_STATE_DIR", str(corpus.isolated_state(warehouse_built, tmp_path / "state")))
    cases = [corpus.CASE_ROW.format(n=i) for i in range(30)]  # 西峰区 (621002), July 2022
    for data, name in ((corpus.cases(*cases), "cases.csv"), (corpus.agg(*corpus.AGG_ROWS), "report.csv")):
        report = importer.validate([importer.Upload.from_bytes(name, data)])
        assert report.errors == 0
        importer.load(report)
    sql = queries.load(SOURCES).sql
    for region in ("", "620000", "621000", "621002", "532900"):
        for start, end in ((date(2022, 1, 1), date(2022, 12, 31)), (date(2022, 7, 1), date(2022, 7, 31))):
            params = dict(region=region, start=start, end=end)
            got = _run_sql(sql, params)
            assert got.to_dicts() == _run_sql(_sources_forced_to_cases(sql), params).to_dicts(), params
            row = got.filter(pl.col("fact_table") == "dispute_case").row(0, named=True)
            assert row["rows_imported"] == (30 if region in ("", "620000", "621000", "621002") else 0)
            assert row["rows_total"] == row["rows_demo"] + row["rows_imported"]


BACKLOG_FROM_CASES = """
select
    case $child_level when 'province' then province_code when 'prefecture' then prefecture_code
                      else county_code end as code,
    count(*) as open_cases,
    count(*) filter (where $as_of - accepted_date > 90) as open_over_90d,  -- 受理超过90天: more than 90 days
from dispute_case
where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
    and accepted_date is not null and accepted_date <= $as_of
    and (closed_date is null or closed_date > $as_of)
    and identified_date >= $as_of - interval 3 year
group by 1
"""


@pytest.mark.parametrize("region, level", [("", "province"), ("530000", "prefecture"), ("532900", "county")])
@pytest.mark.parametrize("as_of", [date(2022, 12, 31), date(2021, 12, 28), date(2020, 3, 15), date(2017, 2, 1)])
def test_wall_backlog_from_the_daily_count_equals_the_cases(warehouse_built, region, level, as_of):
    """screen_subregions reads dispute_open_daily and dispute_long_open; the cases say the same on any day."""
    params = dict(region=region, child_level=level, year=as_of.year, start=date(as_of.year, 1, 1), end=as_of,
                  as_of=as_of)
    wall = queries.run("screen_subregions", **params).filter(pl.col("open_cases") > 0)
    cases = _run_sql(BACKLOG_FROM_CASES, dict(region=region, child_level=level, as_of=as_of))
    got = sorted(wall.select("code", "open_cases", "open_over_90d").rows())
    want = sorted(cases.rows())
    assert got == [r for r in want if r[0] in set(wall["code"])] and len(got) == len(want)
    assert sum(r[1] for r in want) > 0  # every day and scope has open cases: the comparison is never empty


OLDEST_FROM_CASES = """
select case_id, $as_of - accepted_date as age_days
from dispute_case
where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
    and identified_date <= $as_of and accepted_date <= $as_of
    and (closed_date is null or closed_date > $as_of)
    and ($category = '' or category = $category)
order by accepted_date, case_id
limit 500
"""


@pytest.mark.parametrize("region", ["", "530000", "532901"])
@pytest.mark.parametrize("as_of", [date(2022, 12, 31), date(2021, 6, 30), date(2018, 3, 31)])
@pytest.mark.parametrize("category", ["", "neighbour"])
def test_oldest_open_cases_from_the_long_open_table_equal_the_cases(warehouse_built, region, as_of, category):
    params = dict(region=region, as_of=as_of, category=category)
    got = queries.run("disputes_oldest_open", **params).select("case_id", "age_days").rows()
    want = _run_sql(OLDEST_FROM_CASES, params).rows()
    assert got == want
    if region != "532901":  # one county of the small warehouse may have nothing open on a day
        assert len(want) > 0
