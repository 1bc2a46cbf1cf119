"""Queries written in SQL that DuckDB, Spark SQL and PostgreSQL (the benchmark's comparison) all run, with the same
answers in DuckDB as the DuckDB-only spelling they replace."""
from __future__ import annotations

import glob
from datetime import date
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from pingan import bench_compare, queries, warehouse

# (query, portable text in the file, the DuckDB-only text it replaced)
# anti_gang_published used to spell round(x, d) portably; it now compares with the figure's interval columns
# (pingan/rules.py), which every engine runs as written, so it has no DuckDB-only twin left (tests/test_rules.py
# pins its marks to the Python rule) and is only checked on PostgreSQL below.
REPLACED = {
    "anti_gang_ratio_quotes": [
        ("split_part(indicator, '_ratio_vs_prior_', 1)", "regexp_extract(indicator, '^(.*)_ratio_vs_prior_[0-9]+y$', 1)"),
        ("cast(replace(split_part(indicator, '_ratio_vs_prior_', 2), 'y', '') as integer)",
         "cast(regexp_extract(indicator, '_ratio_vs_prior_([0-9]+)y$', 1) as integer)"),
    ],
}


def _fetch(text: str, params: dict | None = None) -> list[tuple]:
    cur = warehouse.cursor()
    try:
        return cur.execute(text, params or {}).fetchall()
    finally:
        cur.close()


def _duckdb_only(name: str) -> str:
    sql = queries.load(name).sql
    for portable, original in REPLACED[name]:
        assert sql.count(portable) == 1, f"{name}: the portable text changed"
        sql = sql.replace(portable, original)
    return sql


def _published_params() -> list[dict]:
    rows = _fetch("""
        select distinct f.region_code, year(f.period_start), year(f.period_end)
        from published_figure as f join indicator as i on i.code = f.indicator and i.domain = 'anti_gang'
        order by all""")
    return [dict(region=r, first_year=a, last_year=b) for r, a, b in rows] + [
        dict(region="", first_year=2018, last_year=2020), dict(region="532901", first_year=2021, last_year=2022)]


def _ratio_params() -> list[dict]:
    rows = _fetch("select distinct region_code from published_figure where indicator like '%ratio_vs_prior%'")
    return [dict(region="")] + [dict(region=r) for r, in rows] + [dict(region="640104")]


def test_published_values_have_no_more_digits_than_their_decimals(warehouse_built):
    """What makes round(x * 10^d) / 10^d equal DuckDB's round(x, d) on these values."""
    assert _fetch("select count(*) from published_figure where value <> round(value, decimals)") == [(0,)]


def test_anti_gang_published_marks_figures(warehouse_built):
    portable = queries.load("anti_gang_published").sql
    matched = 0
    for params in _published_params():
        matched += sum(1 for row in _fetch(portable, params) if row[-1] is not None)
    assert matched > 10


def test_anti_gang_ratio_quotes_answers_as_before(warehouse_built):
    portable, original = queries.load("anti_gang_ratio_quotes").sql, _duckdb_only("anti_gang_ratio_quotes")
    for params in _ratio_params():
        assert _fetch(portable, params) == _fetch(original, params), params
    everything = _fetch(portable, {"region": ""})
    assert everything and all(row[4] == "ag_black_org" and row[12] == 10 for row in everything)


@pytest.mark.parametrize("name", ["anti_gang_published", *REPLACED])
def test_postgres_translation_uses_functions_postgres_has(name):
    tree = sqlglot.parse_one(bench_compare.translate(queries.load(name).sql).replace("%%", "%"), read="postgres")
    assert not list(tree.find_all(exp.RegexpExtract))
    assert all(r.args.get("decimals") is None for r in tree.find_all(exp.Round)), "round(x, d) is not in PostgreSQL"


def _canon(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 9)
    return value


@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                    reason="PostgreSQL is not installed (apt-get install -y postgresql): the benchmark installs it")
def test_same_rows_on_postgres(warehouse_built):
    """Run both queries on a private PostgreSQL cluster (as the benchmark does) over the tables they read."""
    duck = duckdb.connect()
    duck.execute(f"attach '{warehouse_built}' as w (read_only)")
    for table in ("published_figure", "indicator", "antigang_tally", "region", "indicator_part"):
        duck.execute(f"create table main.{table} as select * from w.main.{table}")
    duck.execute("detach w")
    with bench_compare.PgCluster(install=False) as pg:  # in /tmp: the postgres user must reach it
        bench_compare.load_postgres(pg, duck.cursor())
        for name, cases in (("anti_gang_published", _published_params()), ("anti_gang_ratio_quotes", _ratio_params())):
            pg_sql = bench_compare.translate(queries.load(name).sql)
            for params in cases:
                want = [tuple(_canon(v) for v in row) for row in _fetch(queries.load(name).sql, params)]
                got = [tuple(_canon(v) for v in row) for row in pg.conn.execute(pg_sql, params).fetchall()]
                assert got == want, (name, params)
