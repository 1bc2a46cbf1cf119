"""The same questions on Spark (local[2]) as on DuckDB: every query, the pages' figures, the benchmark hook.

One SparkSession for the whole test session (started by the fixture `spark_ready`, about 10-60 s depending on
load); Java 17 must be on the PATH (apt: openjdk-17-jre-headless).
"""
from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pingan import bench, config, export, queries, spark_engine, warehouse

# Realistic values for every parameter name any query uses. A new parameter needs a line here: the test of a
# query with an unknown parameter fails and says which.
SAMPLE = {
    "region": "640000",            # 宁夏: a province with counties, prefectures and published figures
    "parent": "640000",
    "parent_region": "640000",
    "child_level": "county",
    "start": date(2022, 1, 1),
    "end": date(2022, 12, 31),
    "ya_start": date(2021, 1, 1),
    "ya_end": date(2021, 12, 31),
    "prev_start": date(2021, 1, 1),
    "prev_end": date(2021, 12, 31),
    "as_of": date(2022, 6, 30),    # mid-year: some cases still open
    "first_year": 2018,
    "last_year": 2022,
    "year": 2022,
    "category": "",
    "cell_deg": 0.25,
    "max_level_rank": 3,
    "max_rows": 200,
}
# A few queries again with other values, where a branch of the SQL only runs then.
EXTRA = [
    ("disputes_days_to_resolve", {"category": "neighbour", "region": "", "start": date(2021, 1, 1)}),
    ("grid_by_region", {"child_level": "all", "region": ""}),
    ("anti_gang_ranking", {"parent_region": "", "parent": "", "child_level": "province"}),
    ("disputes_success_by_subregion", {"child_level": "prefecture", "region": "450900"}),
]
CATALOG = [q.name for q in queries.catalog()]
FLOAT_TOL = 1e-9


@pytest.fixture(scope="session")
def spark_ready(warehouse_built):
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on the PATH: apt-get install -y openjdk-17-jre-headless")
    info = spark_engine.prepare()
    yield info
    spark_engine.stop()


def params_for(q, overrides: dict | None = None) -> dict:
    unknown = [p for p in q.params if p not in SAMPLE]
    if unknown:
        pytest.fail(f"query {q.name} has parameters with no sample value: {unknown}; add a realistic value "
                    f"for each to SAMPLE in tests/test_spark_engine.py")
    params = {p: SAMPLE[p] for p in q.params}
    params.update({k: v for k, v in (overrides or {}).items() if k in params})  # a renamed parameter: either name
    return params


def duckdb_result(q, params) -> pl.DataFrame:
    cur = warehouse.cursor()
    try:
        return queries._plain_numbers(pl.from_arrow(cur.sql(q.sql, params=params).to_arrow_table()))
    finally:
        cur.close()


def canonical(df: pl.DataFrame) -> pl.DataFrame:
    """Rows in a fixed order: exact columns first, floats last (a last-digit difference cannot reorder ties)."""
    exact = [c for c, t in df.schema.items() if not t.is_float()]
    floats = [c for c, t in df.schema.items() if t.is_float()]
    keys = exact + floats
    return df.sort(keys, nulls_last=True) if keys else df


def assert_same_rows(duck: pl.DataFrame, spark: pl.DataFrame, label: str) -> None:
    assert spark.columns == duck.columns, f"{label}: columns {spark.columns} != {duck.columns}"
    assert spark.schema == duck.schema, f"{label}: types {spark.schema} != {duck.schema}"
    assert spark.height == duck.height, f"{label}: {spark.height} rows on Spark, {duck.height} on DuckDB"
    a, b = canonical(duck), canonical(spark)
    for col, dtype in duck.schema.items():
        x, y = a[col], b[col]
        if dtype.is_float():
            x_, y_ = pl.col("x"), pl.col("y")
            ok = pl.DataFrame({"x": x, "y": y}).select(
                (x_.is_null() & y_.is_null())
                | ((x_ - y_).abs() <= FLOAT_TOL * (pl.max_horizontal(x_.abs(), y_.abs()) + 1.0)).fill_null(False)
            ).to_series()
            bad = (~ok).arg_true()
            assert bad.len() == 0, f"{label}.{col}: row {bad[0]}: DuckDB {x[bad[0]]} Spark {y[bad[0]]}"
        else:
            diff = (x.ne_missing(y)).arg_true()
            assert diff.len() == 0, f"{label}.{col}: row {diff[0]}: DuckDB {x[diff[0]]!r} Spark {y[diff[0]]!r}"


@pytest.mark.parametrize("name", CATALOG)
def test_spark_returns_the_same_rows_as_duckdb(name, spark_ready):
    q = queries.load(name)
    params = params_for(q)
    duck = duckdb_result(q, params)
    spark = spark_engine.run(q, params)
    assert_same_rows(duck, spark, name)


@pytest.mark.parametrize("name, overrides", EXTRA, ids=[e[0] for e in EXTRA])
def test_spark_same_rows_other_branches(name, overrides, spark_ready):
    q = queries.load(name)
    params = params_for(q, overrides)
    duck = duckdb_result(q, params)
    assert duck.height > 0, f"{name}: the sample gives no rows, so it tests nothing"
    assert_same_rows(duck, spark_engine.run(q, params), name)


def test_spark_session_is_local_and_quiet(spark_ready, monkeypatch):
    spark = spark_engine.session()
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark_ready["data"].startswith(str(config.state_dir() / "spark"))
    # the export of the current snapshot is reused, not made again
    monkeypatch.setattr(export, "export_parquet", lambda folder: pytest.fail(f"exported again into {folder}"))
    assert str(spark_engine.data_folder()) == spark_ready["data"]
    # partition columns are typed from the manifest, not guessed from folder names (640000 is text)
    types = dict(spark.table("dispute_case").dtypes)
    assert types["province_code"] == "string" and "year" not in types
    assert dict(spark.table("antigang_tally").dtypes)["year"] == "int"


def test_spark_binds_parameters_and_never_pastes_them(spark_ready):
    q = queries.load("region_population")
    text = spark_engine.spark_sql(q, {"region": "x"})
    assert ":region" in text and "640000" not in text
    hostile = "640000' or '1'='1"
    assert spark_engine.run(q, {"region": hostile}).equals(duckdb_result(q, {"region": hostile}))


def test_spark_variant_file_is_used_when_present(spark_ready, tmp_path, monkeypatch):
    """queries/spark/NAME.sql replaces the translation; it must give the same answer as the DuckDB query."""
    q = queries.load("disputes_summary")
    variant = ("select count(*) as identified, count(accepted_date) as accepted, count(mediated_date) as mediated,"
               " count_if(outcome = 'resolved') as resolved, count(followup_date) as followed_up,"
               " 100.0D * count_if(outcome = 'resolved') / nullif(count(*), 0) as success_rate_pct,"
               " bool_or(source = 'demo') as has_demo, 0 as report_rows from dispute_case"
               " where :region in ('', province_code, prefecture_code, county_code)"
               " and identified_date between :start and :end")
    (tmp_path / "disputes_summary.sql").write_text(variant, encoding="utf-8")
    monkeypatch.setattr(spark_engine, "SPARK_QUERIES_DIR", tmp_path)
    spark_engine._translated.cache_clear()
    try:
        params = params_for(q)
        assert spark_engine.spark_sql(q, params) == variant
        assert_same_rows(duckdb_result(q, params), spark_engine.run(q, params), "variant")
    finally:
        spark_engine._translated.cache_clear()


def test_spark_variants_have_a_query_beside_them():
    for path in sorted((config.QUERIES_DIR / "spark").glob("*.sql")):
        assert (config.QUERIES_DIR / path.name).exists(), f"{path.name}: no queries/{path.name} beside it"
        base = queries.load(path.stem)
        text = path.read_text(encoding="utf-8")
        for p in base.params:
            assert f":{p}" in text, f"{path.name}: parameter :{p} of the DuckDB query is missing"


def test_spark_timing_for_the_benchmark(spark_ready):
    calls = [("region_population", {"region": "640000"}),
             {"name": "disputes_summary", "params": params_for(queries.load("disputes_summary"))}]
    out = bench.time_queries_spark(calls, repeats=2)
    assert out["engine"] == "spark" and out["master"] == "local[2]"
    assert [r["name"] for r in out["queries"]] == ["region_population", "disputes_summary"]
    for r in out["queries"]:
        assert r["error"] is None and r["rows"] == 1 and r["runs"] == 2
        assert 0 < r["min_ms"] <= r["p50_ms"] <= r["max_ms"]


# ------------------------------------------------------------------------------------------------
# pages: the same figures with PINGAN_ENGINE=spark as with duckdb
# ------------------------------------------------------------------------------------------------
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


def render(page: str, engine: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("PINGAN_ENGINE", engine)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["region"] = "640000"
    at.run()
    if page != "overview.py":
        at.switch_page(str(ROOT / "pages" / page)).run()
    return at


def figures(at: AppTest) -> dict:
    return {
        "metrics": [(m.label, m.value, m.delta) for m in at.metric],
        "titles": [t.value for t in at.title],
        "tables": [tuple(d.value.shape) for d in at.dataframe],
        "warnings": [w.value for w in at.warning],
        "errors": [e.value for e in at.error],
    }


def stable_part(first: dict, second: dict) -> dict:
    """What two DuckDB renders agree on (an audit log or a clock on a page changes between renders)."""
    out = {}
    for key, items in first.items():
        other = second[key]
        out[key] = {i: v for i, v in enumerate(items) if i < len(other) and other[i] == v}
        out[key]["count"] = len(items) if len(items) == len(other) else None
    return out


@pytest.mark.parametrize("page", PAGES)
def test_spark_page_shows_the_same_figures(page, spark_ready, monkeypatch):
    duck = render(page, "duckdb", monkeypatch)
    assert not duck.exception, f"{page} on DuckDB: {duck.exception}"
    expected = stable_part(figures(duck), figures(render(page, "duckdb", monkeypatch)))
    spark = render(page, "spark", monkeypatch)
    assert not spark.exception, f"{page} on Spark: {spark.exception}"
    got = figures(spark)
    for key, want in expected.items():
        if want["count"] is not None:
            assert len(got[key]) == want["count"], f"{page}: {key}: {got[key]} != {figures(duck)[key]}"
        for i, value in want.items():
            if i != "count":
                assert i < len(got[key]) and got[key][i] == value, f"{page}: {key}[{i}]: Spark {got[key][i:i+1]} DuckDB {value}"
    if page in ("overview.py", "sources.py"):
        assert len(expected["metrics"]) - 1 >= 4  # the figures compared are there (not an empty page)


def test_spark_prunes_to_one_province(spark_ready):
    """The translated region test lets Spark read only the province's folders."""
    q = queries.load("disputes_summary")
    params = params_for(q)
    sdf = spark_engine.session().sql(spark_engine.spark_sql(q, params), args=params)
    plan = sdf._jdf.queryExecution().executedPlan().toString()
    assert "PartitionFilters: [" in plan and "(province_code#" in plan.split("PartitionFilters: [", 1)[1].split("]")[0]
    assert "640000" in plan.split("PartitionFilters: [", 1)[1].split("]")[0]
