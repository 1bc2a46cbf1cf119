"""The SQL sandbox: results and limits, parameters, schema, exports, examples and concurrency."""
from __future__ import annotations

import io
import threading
import time
from datetime import date

import polars as pl
import pytest

from pingan import config, queries, sandbox


@pytest.fixture(scope="module")
def sb(warehouse_built):
    return sandbox


def test_result_has_rows_columns_types_and_elapsed(sb, run_query):
    res = sb.run("select code, short_name, population from region where code = '532900'")
    assert res.columns == ["code", "short_name", "population"]
    assert res.rows == [("532900", "大理州", res.rows[0][2])]
    assert res.types == ["VARCHAR", "VARCHAR", "BIGINT"]
    assert res.truncated is False and res.total_rows == 1
    assert 0 < res.elapsed_s < 5


def test_typical_aggregation_matches_the_pages_definition(sb, run_query):
    """The starter statement gives the same success rate as the disputes summary the pages use."""
    res = sb.run(sb.STARTER_SQL, {"start": date(2022, 1, 1), "end": date(2022, 12, 31)})
    by_prov = {r["province"]: r for r in res.frame.iter_rows(named=True)}
    assert set(by_prov) == {"青海", "宁夏", "云南", "广西", "河南", "江西", "甘肃"}
    page = run_query("disputes_summary", region="640000", start=date(2022, 1, 1), end=date(2022, 12, 31)).row(
        0, named=True)
    assert by_prov["宁夏"]["identified_cases"] == page["identified"]
    assert by_prov["宁夏"]["resolved_cases"] == page["resolved"]


def test_display_row_limit_truncates_and_counts_the_rest(sb):
    res = sb.run("select * from range(25000) as t(x)")
    assert res.frame.height == sb.DISPLAY_ROWS == 10_000
    assert res.truncated is True
    assert res.total_rows == 25_000
    assert res.rows[:2] == [(0,), (1,)]


def test_caller_may_lower_row_and_time_limits_never_raise(sb):
    res = sb.run("select * from range(100)", row_limit=7)
    assert res.frame.height == 7 and res.truncated and res.row_limit == 7
    res = sb.run("select 1", time_limit_s=3600, row_limit=10**9)
    assert res.time_limit_s == sb.TIME_LIMIT_S == 10.0
    assert res.row_limit == sb.EXPORT_ROWS == 1_000_000
    with pytest.raises(sb.QueryInterrupted, match="0.5 秒的时间上限"):
        sb.run("select count(*) from range(1000000000) a, range(1000000000) b", time_limit_s=0.5)


def test_interrupt_is_on_time(sb):
    started = time.perf_counter()
    with pytest.raises(sb.QueryInterrupted):
        sb.run("select count(*) from range(1000000000) a, range(1000000000) b", time_limit_s=1)
    assert time.perf_counter() - started < 2.5


def test_export_limit_is_a_million_rows(sb):
    res = sb.export("select * from range(1000005)")
    assert res.frame.height == 1_000_000 and res.truncated
    res = sb.export("select * from range(12345)")
    assert res.frame.height == 12_345 and not res.truncated


@pytest.mark.parametrize("sql", [
    "describe region", "show tables", "summarize indicator", "explain select count(*) from dispute_case",
    "pivot dispute_case on outcome in ('resolved', 'failed') using count(*) group by province_code",
    "from region limit 2", "values (1, 'a'), (2, 'b')", "(select 1) union all (select 2)",
    "select * from pragma_table_info('region')", "select 1 as a, 2 as a", "select ';' as semicolon;",
])
def test_read_only_forms_are_allowed(sb, sql):
    res = sb.run(sql)
    assert res.frame.height >= 1


def test_duplicate_column_names_are_kept_apart(sb):
    assert sb.run("select 1 as a, 2 as a").columns == ["a", "a_2"]


def test_named_parameters_bound_not_pasted(sb):
    res = sb.run("select count(*) as n from region where parent_code = $parent and level = $level",
                 {"parent": "532900", "level": "county", "unused": 1})
    assert res.rows == [(12,)]
    # a value that would be SQL if pasted is only a value
    res = sb.run("select count(*) from region where code = $code", {"code": "x' or '1'='1"})
    assert res.rows == [(0,)]
    with pytest.raises(sb.ParameterMissing, match=r"\$parent"):
        sb.run("select * from region where parent_code = $parent")


def test_parameter_names_kinds_and_binding():
    assert sandbox.parameters("select $b, $a from t where x = $b -- $zzz\n and y = '$q'") == ["b", "a"]
    assert sandbox.parameters("select from from") == []
    assert sandbox.param_kind("start") == "date" and sandbox.param_kind("ya_end") == "date"
    assert sandbox.param_kind("as_of") == "date"
    assert sandbox.param_kind("year") == "int" and sandbox.param_kind("max_rows") == "int"
    assert sandbox.param_kind("cell_deg") == "float"
    assert sandbox.param_kind("region") == "text" and sandbox.param_kind("parent_region") == "text"
    assert sandbox.bind_value("parent_region", "530000") == "530000"
    assert sandbox.bind_value("region", "530000") == "530000"
    assert sandbox.bind_value("year", " 2022 ") == 2022
    assert sandbox.bind_value("start", "2022-01-01") == date(2022, 1, 1)
    assert sandbox.bind_value("threshold", "12") == 12
    assert sandbox.bind_value("child_level", "county") == "county"
    with pytest.raises(sandbox.ParameterMissing, match="不是日期"):
        sandbox.bind_value("end", "last year")


def test_every_example_query_runs_in_the_sandbox(sb):
    """Each queries/*.sql, with its parameters bound, runs as an analyst would load it."""
    values = {"region": "640000", "parent_region": "640000", "start": date(2022, 1, 1), "end": date(2022, 12, 31),
              "as_of": date(2022, 12, 31), "prev_start": date(2021, 1, 1), "prev_end": date(2021, 12, 31),
              "ya_start": date(2021, 1, 1), "ya_end": date(2021, 12, 31), "year": 2022, "first_year": 2018,
              "last_year": 2022, "child_level": "prefecture", "category": "", "cell_deg": 0.1,
              "max_level_rank": 4, "max_rows": 50}
    catalog = queries.catalog()
    assert len(catalog) >= 12
    for q in catalog:
        assert set(sandbox.parameters(q.sql)) == set(q.params), q.name
        params = {}
        for name in q.params:  # a parameter added since: a value of its kind (text '' means "all")
            fallback = {"date": "2022-12-31", "int": "10", "float": "0.1", "text": ""}[sandbox.param_kind(name)]
            params[name] = values[name] if name in values else sandbox.bind_value(name, fallback)
        res = sb.run(q.sql, params)
        assert res.columns, q.name


def test_schema_lists_every_table_with_descriptions_and_counts(sb, run_query):
    schema = sb.schema()
    tables = set(schema["table_name"])
    assert {"region", "dispute_case", "grid", "facility", "survey_result", "antigang_tally",
            "published_figure", "indicator"} <= tables
    missing = schema.filter(pl.col("description") == "").select("table_name", "column_name").rows()
    assert missing == [], f"columns without a Chinese description in data/reference/columns.csv: {missing}"
    assert schema.filter(pl.col("table_description") == "").height == 0
    rows = dict(schema.select("table_name", "rows").unique().iter_rows())
    assert rows["indicator"] == run_query("meta_indicators").height
    assert schema.filter((pl.col("table_name") == "dispute_case") & (pl.col("column_name") == "outcome"))[
        "description"][0].startswith("结果")


def test_result_exports_csv_with_bom_xlsx_and_parquet(sb):
    res = sb.run("select code, name, population, [1, 2] as parts from region where parent_code = '532900' "
                 "order by code")
    csv = res.export("csv", "导出:测试")
    assert csv.startswith(b"\xef\xbb\xbf") and "大理市".encode() in csv
    assert b'"[1, 2]"' in csv  # nested values as JSON text
    back = pl.read_excel(io.BytesIO(res.export("xlsx", "导出:测试")))
    assert back.height == 12 and back["name"][0] == "大理市"
    parquet = pl.read_parquet(io.BytesIO(res.export("parquet", "导出:测试")))
    assert parquet.height == 12 and parquet["parts"].to_list()[0] == [1, 2]
    with pytest.raises(ValueError):
        res.export("pdf", "导出:测试")


def test_values_python_cannot_hold_become_text(sb):
    res = sb.run("select 'infinity'::date as d, '2022-07-01'::date as ok")
    assert res.rows == [("infinity", date(2022, 7, 1))]


def test_long_sandbox_query_does_not_block_the_pages(sb):
    """A query from one user runs on its own cursor; another user's page query is not delayed."""
    done = {}

    def long_query():
        t0 = time.perf_counter()
        try:
            sb.run("select count(*) from range(1000000000) a, range(1000000000) b", time_limit_s=6)
        except sb.QueryInterrupted:
            done["interrupted_after"] = time.perf_counter() - t0

    # two sandbox workers ready (MAX_WORKERS), as on a server that has been up a while
    warmups = [threading.Thread(target=sb.run, args=("select 1",)) for _ in range(sb.MAX_WORKERS)]
    for t in warmups:
        t.start()
    for t in warmups:
        t.join()
    worker = threading.Thread(target=long_query)
    worker.start()
    time.sleep(0.3)  # the long query is running
    queries.clear_cache()
    t0 = time.perf_counter()
    df = queries.run("disputes_summary", region="450900", start=date(2022, 1, 1), end=date(2022, 12, 31))
    page_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    other = sb.run("select count(*) from region")  # a second analyst, on the other worker
    sandbox_s = time.perf_counter() - t1
    still_running = worker.is_alive()
    worker.join()
    print(f"page query {page_s:.3f} s, second sandbox query {sandbox_s:.3f} s")
    assert df.height == 1 and other.rows[0][0] > 3000
    # both finished while the long statement was still running: nobody waited for it
    assert still_running, "the long statement ended before the other queries returned"
    assert page_s < 2.0 and sandbox_s < 5.0, (page_s, sandbox_s)
    assert 5.5 < done["interrupted_after"] < 6 + sb.GRACE_S + 1


def test_statements_run_in_worker_processes_with_locked_settings(sb, run_query):
    """The app's own process keeps its page connection; the sandbox's locked one lives in a worker."""
    from pingan import warehouse

    warehouse.connection()
    assert sb.run("select count(*) from indicator").rows[0][0] == run_query("meta_indicators").height
    assert sb.database_path("").parent == config.state_dir() / "sandbox"
    # read through the worker's trusted diagnostics: untrusted SQL may not read settings (they name server paths)
    settings = sb.worker_diagnostics()["settings"]
    assert {k: settings[k] for k in ("enable_external_access", "lock_configuration", "threads")} == {
        "enable_external_access": "false", "lock_configuration": "true", "threads": "1"}
    with pytest.raises(sb.ServerInfoRefused):
        sb.run("select name, value from duckdb_settings()")


def test_worker_that_does_not_stop_is_killed_and_replaced(sb, monkeypatch):
    """Some statements ignore DuckDB's interrupt (one huge scalar call): the app kills the worker at limit + grace.

    Simulated deterministically: the worker is told a 10 s limit, the app waits only 0.5 s + 0.5 s."""
    monkeypatch.setattr(sb, "GRACE_S", 0.5)
    request = {"kind": "run", "path": str(sb.database_path("")), "params": {}, "row_limit": 10, "limit_s": 10,
               "count_rows": False, "scope": "",
               "sql": "select count(*) from range(1000000000) a, range(1000000000) b"}
    started = time.perf_counter()
    with pytest.raises(sb.QueryInterrupted, match="已强制结束"):
        sb._call(request, 0.5)
    assert time.perf_counter() - started < 3
    assert sb.run("select 42").rows == [(42,)]


def test_huge_scalar_call_never_runs_much_past_the_limit(sb):
    """Whether DuckDB's interrupt catches it or the worker is killed, the caller waits at most limit + grace."""
    sb.run("select 1")
    started = time.perf_counter()
    try:
        sb.run("select len(range(0, 30000000)) as n", time_limit_s=1)
    except (sb.QueryInterrupted, sb.MemoryLimitExceeded):
        pass
    assert time.perf_counter() - started < 1 + sb.GRACE_S + 1.5


def test_worker_recovers_after_running_out_of_memory(sb):
    """A worker that ran out of memory is replaced: the next statements, several in a row, still run."""
    with pytest.raises(sb.MemoryLimitExceeded):
        sb.run("select len(string_agg(repeat('x', 1000000), '')) from range(3000)")
    for _ in range(5):
        assert sb.run("select count(*) from region").rows[0][0] > 3000
    with pytest.raises(sb.QueryInterrupted):  # and its time limit still works
        sb.run("select count(*) from range(1000000000) a, range(1000000000) b", time_limit_s=0.5)


def test_address_space_cap_stops_a_giant_allocation_at_once(sb):
    sb.run("select 1")  # a worker is up: time only the statement
    started = time.perf_counter()
    with pytest.raises(sb.MemoryLimitExceeded):
        sb.run("select len(range(0, 300000000))")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("sql", ["explain analyze select count(*) from region",
                                 "explain (analyze) select 1", "EXPLAIN (FORMAT JSON) select * from region limit 1",
                                 "explain /* c */ analyze -- c\n with t as (select 1 as x) select x from t",
                                 "explain analyze describe region", "explain analyze summarize select 1 as x"])
def test_explain_of_a_select_is_allowed(sb, sql):
    assert sb.run(sql).frame.height >= 1
