"""Per-scope extracts: a DuckDB file holding only one region's rows, for analysts whose account has a scope.

A scoped analyst's SQL runs against <state>/scoped/<snapshot>-<region>.duckdb instead of the snapshot, so no
statement, join or function can reach another region's rows: they are not in the file. The extract is built on
demand from the current snapshot and reused until the snapshot changes (then it is rebuilt under a new name and
the old one removed). What goes in, table by table:

- `region`: the scope's own row, everything below it, and its ancestors (the province a prefecture belongs to);
  never a sibling (大理州 does not see 昆明).
- a table with the scope level's code column (`province_code`, `prefecture_code`, `county_code`): rows where that
  column equals the scope (facts are sorted by these columns, so the copy prunes well);
- otherwise a table with `county_code`, `region_code` or `prefecture_code` (published figures, observations,
  county-only tables): rows whose code, the finest of these, is the scope or below it, so a province-wide
  figure does not reach a prefecture account;
- `region_alias`: names of the regions kept;
- the small catalogs in DIMENSIONS: copied whole;
- any other table (one added later that we do not know how to cut): left out, and listed in
  build_info under `scope_omitted`. Leaving out is the safe default.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from .. import config, warehouse

# the domain rules as data (rollups.RULE_FRAMES, backlog_rule) are catalogs too: the example queries join them
DIMENSIONS = ("indicator", "dispute_category", "dispute_channel", "build_info", "backlog_rule", "place_level",
              "indicator_part", "campaign_phase")
LEVEL_COLUMN = {"province": "province_code", "prefecture": "prefecture_code", "county": "county_code"}
_CODE = re.compile(r"^[0-9]{6}$")


class ScopeUnknown(ValueError):
    """The scope code is not a province, prefecture or county of the warehouse."""


def scoped_dir() -> Path:
    path = config.state_dir() / "scoped"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lock():
    return warehouse.file_lock(scoped_dir() / "build.lock")


def extract_path(region: str) -> Path:
    """The extract of `region` for the current snapshot, built first if it does not exist yet."""
    if not _CODE.match(region or ""):
        raise ScopeUnknown(f"范围代码“{str(region)[:20]}”不是六位行政区划代码")
    source = warehouse.current_path()
    if source is None:
        raise warehouse.WarehouseMissing("尚未构建数据仓库")
    target = scoped_dir() / f"{source.stem}-{region}.duckdb"
    if target.exists():
        return target
    with _lock():
        if not target.exists():  # another thread or process may have built it while we waited
            tmp = target.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            try:
                build(source, tmp, region)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, target)
            _prune(source.stem)
    return target


def _prune(current_stem: str) -> None:
    """Remove extracts of older snapshots; a query still reading one keeps its open file on Linux."""
    for p in scoped_dir().glob("snap-*.duckdb"):
        if not p.name.startswith(current_stem + "-"):
            p.unlink(missing_ok=True)


def build(source: Path, target: Path, region: str) -> None:
    """Write into `target` only the rows of `source` that belong to `region` (see the module docstring)."""
    con = warehouse.writer(target)
    try:
        # ATTACH reads the snapshot read-only inside this connection, beside the app's own read-only one.
        con.execute("attach ? as src (read_only)", [str(source)])
        found = con.execute("select level from src.region where code = ?", [region]).fetchone()
        if found is None or found[0] not in LEVEL_COLUMN:
            raise ScopeUnknown(f"范围代码 {region} 不是数据仓库中的省、市(州)或县(市、区)")
        level = found[0]
        level_col = LEVEL_COLUMN[level]
        _copy_regions(con, region)
        omitted = []
        for table, columns in _tables(con).items():
            if table == "region":
                continue
            if table in ("region_alias", "place_rank"):  # place_rank: also '' (all of China)
                where = "code in (select code from main.region)" + (" or code = ''" if table == "place_rank" else "")
            elif level_col in columns:
                where = f"{level_col} = $region"
            elif finer := next((c for c in ("county_code", "region_code", "prefecture_code") if c in columns), None):
                where = f"{finer} in (select code from main.region where is_scope)"
            elif table in DIMENSIONS:
                where = "true"
            else:
                omitted.append(table)
                continue
            # table names come from the snapshot's own catalog, quoted; the region is bound
            params = {"region": region} if "$region" in where else {}
            con.execute(f"create table main.{_q(table)} as select * from src.main.{_q(table)} where {where}", params)
        con.execute("alter table main.region drop column is_scope")
        _copy_views(con)
        if "build_info" in _tables(con, con.execute("select current_database()").fetchone()[0]):
            con.executemany("insert into main.build_info values (?, ?)", [
                ("scope_region", region), ("scope_level", level), ("scope_source", source.name),
                ("scope_omitted", ",".join(omitted))])
        con.execute("detach src")
        con.execute("checkpoint")
    finally:
        con.close()


def _copy_regions(con: duckdb.DuckDBPyConnection, region: str) -> None:
    """The scope, everything below it (is_scope) and its ancestors, in the snapshot's order."""
    con.execute("""
        create table main.region as
        with me as (select code, province_code, prefecture_code from src.region where code = $region)
        select r.*,
            (r.code = $region or r.province_code = $region or r.prefecture_code = $region
             or r.parent_code = $region) as is_scope
        from src.region as r
        where r.code = $region
            or r.province_code = $region
            or r.prefecture_code = $region
            or r.parent_code = $region
            or r.code in (select province_code from me)
            or r.code in (select prefecture_code from me)
    """, {"region": region})


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, database: str = "src") -> dict[str, set[str]]:
    rows = con.execute("""
        select t.table_name, list(c.column_name order by c.column_index)
        from duckdb_tables() as t
        join duckdb_columns() as c
            on c.database_name = t.database_name and c.schema_name = t.schema_name
            and c.table_name = t.table_name
        where t.database_name = ? and t.schema_name = 'main'
        group by t.table_name
        order by t.table_name
    """, [database]).fetchall()
    return {name: set(cols) for name, cols in rows}


def _copy_views(con: duckdb.DuckDBPyConnection) -> None:
    """Views of the snapshot, recreated over the extract's tables (a view that no longer binds is left out)."""
    for (sql,) in con.execute("""
        select sql from duckdb_views() where database_name = 'src' and schema_name = 'main' and not internal
    """).fetchall():
        try:
            con.execute(sql)
        except duckdb.Error:
            pass
