"""Export for a distributed engine, and translation of every query to Doris and StarRocks (no JVM needed)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pingan import export, queries, spark_engine, warehouse

FACTS = {"dispute_case", "grid", "facility", "antigang_tally", "survey_result"}
DIMENSIONS = {"region", "indicator", "dispute_category", "dispute_channel", "published_figure", "build_info"}
DATE_TYPES = {"date", "timestamp"}


@pytest.fixture(scope="module")
def exported(warehouse_built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("spark-export") / "export"
    rc = export.command(["export", "--format", "parquet", "--partition", "province,year", str(out)])
    assert rc == 0
    return out


def snapshot_tables() -> dict[str, int]:
    con = warehouse.cursor()
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'main'").fetchall()]
        return {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def test_spark_export_has_every_table_with_row_counts(exported, warehouse_built):
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["snapshot"] == warehouse_built.name
    assert manifest["build_info"]["complete"] == "true"
    counts = snapshot_tables()
    assert set(manifest["tables"]) == set(counts)
    for table, meta in manifest["tables"].items():
        assert meta["rows"] == counts[table], table
        back = duckdb.connect().execute(
            f"select count(*) from read_parquet('{exported / table}/**/*.parquet')").fetchone()[0]
        assert back == counts[table], table
        assert all(c["spark_type"] for c in meta["columns"])


def test_spark_export_partitions_facts_by_province_and_year(exported):
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    tables = manifest["tables"]
    for t in FACTS:
        assert tables[t]["kind"] == "fact" and tables[t]["partition_columns"] == ["province_code", "year"], t
        dirs = {p.parent.relative_to(exported / t).as_posix() for p in (exported / t).rglob("*.parquet")}
        assert all(re.fullmatch(r"province_code=\d{6}/year=\d{4}", d) for d in dirs), (t, sorted(dirs)[:3])
    for t in DIMENSIONS:
        assert tables[t]["kind"] == "dimension" and tables[t]["partition_columns"] == [], t
        assert [p.name for p in (exported / t).iterdir()] == ["data_0.parquet"]
    # dispute_case has no year column: the folders carry year(identified_date), which readers drop
    assert tables["dispute_case"]["derived_columns"] == {"year": "cast(year(identified_date) as integer)"}
    assert "year" not in [c["name"] for c in tables["dispute_case"]["columns"]]
    assert tables["antigang_tally"]["derived_columns"] == {}


def test_spark_export_partition_values_match_rows(exported, warehouse_built):
    """Each row sits in the folder of its own province and year (read back with hive partitioning)."""
    con = duckdb.connect()
    wrong = con.execute(f"""
        select count(*) from read_parquet('{exported}/dispute_case/*/*/*.parquet', hive_partitioning = true,
                                          hive_types = {{'province_code': varchar, 'year': integer}})
        where year <> year(identified_date) or province_code <> left(county_code, 2) || '0000'
    """).fetchone()[0]
    assert wrong == 0
    by_prov = dict(con.execute(f"""
        select province_code, count(*) from read_parquet('{exported}/survey_result/*/*/*.parquet',
            hive_partitioning = true, hive_types = {{'province_code': varchar, 'year': integer}}) group by 1
    """).fetchall())
    src = warehouse.cursor()
    assert by_prov == dict(src.execute("select province_code, count(*) from survey_result group by 1").fetchall())
    src.close()


def test_spark_export_refuses_a_foreign_folder_and_replaces_an_earlier_export(exported, tmp_path, capsys):
    foreign = tmp_path / "not-an-export"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert export.command(["export", "--format", "parquet", "--partition", "province,year", str(foreign)]) == 1
    assert "非空" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    again = tmp_path / "again"
    assert export.command(["export", "--partition", "none", str(again)]) == 0
    first = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert first["tables"]["dispute_case"]["partition_columns"] == []
    assert export.command(["export", "--partition", "province", str(again)]) == 0
    second = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert second["tables"]["dispute_case"]["partition_columns"] == ["province_code"]
    assert not (again / "dispute_case" / "data_0.parquet").exists()  # the earlier export is gone, not mixed in
    assert not list(tmp_path.glob(".again.*"))  # no temporary folder left behind


# ------------------------------------------------------------------------------------------------
# Doris / StarRocks: every query translates and round-trips
# ------------------------------------------------------------------------------------------------
CATALOG = [q.name for q in queries.catalog()]


@pytest.fixture(scope="module")
def schema(exported) -> dict:
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    return {t: {c["name"]: c["type"] for c in m["columns"]} for t, m in manifest["tables"].items()}


def date_params(q) -> dict[str, str]:
    """Which of a query's parameters are dates, from its header (`$start`, `$as_of` … are dates)."""
    from test_spark_engine import SAMPLE

    return {p: spark_engine._param_type(SAMPLE[p]) for p in q.params if p in SAMPLE}


@pytest.mark.parametrize("dialect", ["doris", "starrocks"])
@pytest.mark.parametrize("name", CATALOG)
def test_spark_and_mpp_dialects_translate_every_query(name, dialect, schema):
    q = queries.load(name)
    out = spark_engine.translate(q.sql, date_params(q), schema, dialect=dialect)
    once = sqlglot.parse_one(out, read=dialect).sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    twice = sqlglot.parse_one(once, read=dialect).sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert once == twice
    assert "FILTER(" not in once.upper()  # neither engine has aggregate FILTER: rewritten to CASE
    for p in q.params:
        assert f":{p}" in once  # parameters stay markers for the driver to bind
    assert "$" not in re.sub(r"'[^']*'", "", re.sub(r"/\*.*?\*/", "", once, flags=re.S))


def test_spark_translation_turns_date_differences_into_days(schema):
    q = queries.load("disputes_days_to_resolve")
    out = spark_engine.translate(q.sql, date_params(q), schema, dialect="spark")
    body = re.sub(r"/\*.*?\*/", "", out, flags=re.S)
    assert "DATEDIFF(closed_date, accepted_date)" in body
    assert "closed_date - accepted_date" not in body
    assert "b.median_hi - b.median_lo" in body  # a difference of day counts stays a subtraction
    backlog = spark_engine.translate(queries.load("disputes_backlog_by_county").sql, {"as_of": "date"}, schema)
    assert "DATEDIFF(CAST(:as_of AS DATE), accepted_date)" in backlog


def test_spark_translation_adds_a_province_predicate_for_partition_pruning(schema):
    q = queries.load("disputes_funnel_by_year")
    out = spark_engine.translate(q.sql, date_params(q), schema, dialect="spark")
    assert re.search(r":region = '' OR (m\.)?province_code = SUBSTRING\(:region, 1, 2\) \|\| '0000'", out)
    assert "FROM dispute_month AS m" in out  # the funnel reads the monthly rollup, partitioned like the cases
    # a test on the region table's own code (not partitioned, not a province prefix) gets none
    meta = spark_engine.translate(queries.load("region_population").sql, {}, schema)
    assert "'0000'" not in meta
