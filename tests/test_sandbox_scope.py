"""Region scope: a 大理州 (532900) analyst sees no other 云南 prefecture through any table, join or figure."""
from __future__ import annotations

import re

import duckdb
import pytest

from pingan import queries, sandbox
from pingan.warehouse import scoped

DALI = "532900"
OTHER_YUNNAN_NAMES = ["昆明", "曲靖", "玉溪", "保山", "昭通", "丽江", "普洱", "临沧", "楚雄", "红河", "文山",
                      "西双版纳", "德宏", "怒江", "迪庆"]


@pytest.fixture(scope="module")
def dali(warehouse_built):
    return scoped.extract_path(DALI)


@pytest.fixture(scope="module")
def extract(dali):
    con = duckdb.connect(str(dali), read_only=True)
    yield con
    con.close()


def _tables(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("select table_name, column_name, data_type from duckdb_columns() "
                       "where schema_name = 'main' order by table_name, column_index").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, d in rows:
        out.setdefault(t, []).append((c, d))
    return out


def test_every_fact_table_holds_only_dali_rows(extract):
    tables = _tables(extract)
    assert {"dispute_case", "grid", "facility", "survey_result", "antigang_tally", "township"} <= set(tables)
    for table, cols in tables.items():
        names = {c for c, _ in cols}
        if "prefecture_code" in names:
            bad = extract.execute(f'select count(*) from "{table}" where prefecture_code <> ?', [DALI]).fetchone()
            assert bad == (0,), table
        if "county_code" in names:
            bad = extract.execute(f'select count(*) from "{table}" where county_code not like ?', ["5329%"]).fetchone()
            assert bad == (0,), table
    assert extract.execute("select count(*) from dispute_case").fetchone()[0] > 0


def test_no_code_or_name_of_another_yunnan_prefecture_anywhere(extract):
    """Every text column of every table: no 53xxxx code outside 530000 and 5329xx, no other prefecture's name."""
    code = re.compile(r"\b53\d{4}\b")
    for table, cols in _tables(extract).items():
        for col, dtype in cols:
            if dtype != "VARCHAR":
                continue
            values = [v for (v,) in extract.execute(f'select distinct "{col}" from "{table}"').fetchall() if v]
            for v in values:
                for c in code.findall(v):
                    assert c == "530000" or c.startswith("5329"), (table, col, v)
                if table in ("region", "region_alias", "township") or col in ("region_name", "name"):
                    assert not any(n in v for n in OTHER_YUNNAN_NAMES), (table, col, v)


def test_region_table_is_the_scope_its_counties_and_its_province(extract):
    codes = {c for (c,) in extract.execute("select code from region").fetchall()}
    assert "530000" in codes and DALI in codes
    assert {c for c in codes if c not in ("530000", DALI)} == {c for c in codes if c.startswith("5329") and c != DALI}
    assert len(codes) == 2 + 12
    assert extract.execute("select count(*) from region where level = 'prefecture'").fetchone() == (1,)


def test_published_figures_are_dalis_only(extract, warehouse_built):
    mine = extract.execute("select count(*), count(*) filter (where region_code not like '5329%') "
                           "from published_figure").fetchone()
    src = duckdb.connect(str(warehouse_built), read_only=True, config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        expected = src.execute("select count(*) from published_figure where region_code like '5329%'").fetchone()[0]
        src_cols = _tables(src)
    finally:
        src.close()
    assert mine == (expected, 0) and expected > 0
    info = dict(extract.execute("select key, value from build_info where key like 'scope_%'").fetchall())
    assert info["scope_region"] == DALI and info["scope_level"] == "prefecture"
    # what was left out is only what cannot be cut to a prefecture: no region code at all (the import log, say),
    # or only a coarser one (a rollup by province holds other prefectures' cases in the same rows)
    codes = {"prefecture_code", "county_code", "region_code"}
    omitted = list(filter(None, info["scope_omitted"].split(",")))
    for table in omitted:
        assert not codes & {c for c, _ in src_cols[table]}, table
    assert "dispute_case" not in omitted and "dispute_month" in set(_tables(extract))
    assert set(_tables(extract)) | set(filter(None, info["scope_omitted"].split(","))) == set(src_cols)


@pytest.mark.parametrize("sql, expected", [
    ("select distinct prefecture_code from dispute_case", [(DALI,)]),
    ("select distinct r.prefecture_code from grid as g join region as r on r.code = g.county_code", [(DALI,)]),
    ("select count(*) from region where code = '530100'", [(0,)]),
    ("select count(*) from published_figure where region_code = '530000'", [(0,)]),
    ("select count(*) from survey_result where province_code = '530000' and prefecture_code <> '532900'", [(0,)]),
    ("select distinct prefecture_code from facility", [(DALI,)]),
])
def test_scoped_sandbox_sees_only_dali(warehouse_built, sql, expected):
    assert sandbox.run(sql, scope=DALI).rows == expected


def test_scoped_counts_equal_the_snapshots_dali_rows(warehouse_built):
    scoped_n = sandbox.run("select count(*) from dispute_case", scope=DALI).rows[0][0]
    full_n = sandbox.run("select count(*) from dispute_case where prefecture_code = $p", {"p": DALI}).rows[0][0]
    assert scoped_n == full_n > 0


def test_pages_reconciliation_runs_in_scope_and_shows_only_dali(warehouse_built):
    q = queries.load("sources_reconciliation")
    res = sandbox.run(q.sql, {"region": ""} if "region" in q.params else {}, scope=DALI)
    assert res.frame.height > 0
    assert all(code.startswith("5329") for code in res.frame["region_code"].to_list())


@pytest.mark.parametrize("sql, kind", [
    ("attach '/tmp/x.duckdb' as w", sandbox.StatementNotAllowed),
    ("select * from query_table('src.region')", sandbox.QueryFailed),
    ("select * from snapshot.region", sandbox.QueryFailed),
])
def test_scope_cannot_be_escaped(warehouse_built, sql, kind):
    with pytest.raises(kind):
        sandbox.run(sql, scope=DALI)


def test_scoped_database_list_names_only_the_extract(dali):
    # the worker's trusted diagnostics: untrusted SQL may not list database files (their paths are the server's)
    assert sandbox.worker_diagnostics(scope=DALI)["databases"] == [str(dali)]


@pytest.mark.parametrize("scope, column, value", [("532901", "county_code", "532901"),
                                                  ("640000", "province_code", "640000")])
def test_county_and_province_scopes(warehouse_built, scope, column, value):
    assert sandbox.run(f"select distinct {column} from dispute_case", scope=scope).rows == [(value,)]
    prefs = sandbox.run("select count(*) from region where level = 'prefecture'", scope=scope).rows[0][0]
    assert prefs == (1 if scope == "532901" else 5)


@pytest.mark.parametrize("scope", ["999999", "abc", "53290", "532900' or 1=1"])
def test_unknown_scope_is_refused(warehouse_built, scope):
    with pytest.raises(sandbox.ScopeRefused, match="数据范围"):
        sandbox.run("select 1", scope=scope)


def test_extract_is_built_once_and_reused(dali):
    mtime = dali.stat().st_mtime_ns
    assert scoped.extract_path(DALI) == dali
    assert dali.stat().st_mtime_ns == mtime


def test_unknown_tables_are_left_out(warehouse_built, tmp_path):
    """A table the rules cannot cut by region is not copied: leaving out is the safe default."""
    source = tmp_path / "source.duckdb"
    con = duckdb.connect(str(source))
    con.execute("attach ? as w (read_only)", [str(warehouse_built)])
    con.execute("create table region as select * from w.region")
    con.execute("create table build_info as select * from w.build_info")
    con.execute("create table dispute_case as select * from w.dispute_case where province_code = '530000'")
    con.execute("create table secret_notes as select '昆明 530100' as note")
    con.execute("create view kunming_cases as select * from dispute_case where prefecture_code = '530100'")
    con.execute("detach w")
    con.close()
    target = tmp_path / "dali.duckdb"
    scoped.build(source, target, DALI)
    out = duckdb.connect(str(target), read_only=True)
    try:
        tables = {t for (t,) in out.execute("select table_name from duckdb_tables()").fetchall()}
        assert "secret_notes" not in tables and "dispute_case" in tables
        assert out.execute("select count(*) from kunming_cases").fetchone() == (0,)  # the view, over Dali rows
        assert out.execute("select value from build_info where key = 'scope_omitted'").fetchone() == ("secret_notes",)
    finally:
        out.close()
