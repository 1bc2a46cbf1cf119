"""Export the current snapshot as Parquet for a distributed engine (Spark, Doris, StarRocks).

`python -m pingan.warehouse export --format parquet --partition province,year DIR` writes

    DIR/manifest.json
    DIR/<table>/province_code=<code>/year=<yyyy>/data_0.parquet   fact tables (hive-style partitions)
    DIR/<table>/data_0.parquet                                     dimension tables (one file)

A *fact table* is one with a `province_code` column and a year: its own `year` column, else the year of its first
date column (dispute_case: identified_date, observation: period_start), else a `*_year` column (grid, facility:
established_year). A derived `year` exists only in the folder names: it is not a column of the table, and readers
drop it (the manifest lists it under `derived_columns`). Partition columns are not repeated inside the files (the
hive convention Spark, Doris `COLUMNS FROM PATH` and StarRocks `columns from path as` read), so a reader must take
their types from the manifest, not guess them from folder names (`province_code=640000` is text, not a number).

Every table of the snapshot is exported (found in the catalog, not listed here), so tables added later are exported
too. The manifest gives each table's columns with their DuckDB and Spark types, row counts, partition columns, the
snapshot's name and its build_info. The export goes to a temporary folder beside DIR and replaces DIR only when
complete; DIR may be empty, absent, or an earlier export (one with a manifest.json), never another folder.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from . import warehouse

MANIFEST = "manifest.json"
FORMAT_VERSION = 1

# DuckDB column type -> Spark SQL DDL type (what a reader declares; Doris/StarRocks use the same names but STRING
# for VARCHAR and DATETIME for TIMESTAMP).
_SPARK_TYPES = {
    "VARCHAR": "string", "BOOLEAN": "boolean", "TINYINT": "tinyint", "SMALLINT": "smallint", "INTEGER": "int",
    "BIGINT": "bigint", "HUGEINT": "decimal(38,0)", "UTINYINT": "smallint", "USMALLINT": "int",
    "UINTEGER": "bigint", "UBIGINT": "decimal(20,0)", "FLOAT": "float", "DOUBLE": "double", "DATE": "date",
    "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp", "BLOB": "binary",
}
_PARTITION_KEYS = {"province": "province_code", "year": "year"}
_CODE = re.compile(r"\d{6}")


class ExportError(RuntimeError):
    """The export could not be written; the message is for the operator."""


def spark_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t.lower()
    if t not in _SPARK_TYPES:
        raise ExportError(f"无法导出的列类型:{duck_type}")
    return _SPARK_TYPES[t]


@contextmanager
def snapshot_cursor():
    """A read-only cursor on the current snapshot (the process's shared connection) and the snapshot's name."""
    name = warehouse.current_name()
    if name is None:
        raise warehouse.WarehouseMissing("尚未构建数据仓库")
    cur = warehouse.cursor()
    try:
        yield cur, warehouse.snapshot_id()
    finally:
        cur.close()


def table_layout(columns: list[tuple[str, str]], partition: tuple[str, ...]) -> dict:
    """How one table is partitioned: kind, partition columns and any derived column (its SQL expression)."""
    names = [c for c, _ in columns]
    types = dict(columns)
    year_expr = None
    if "year" in types and types["year"].upper() in ("INTEGER", "BIGINT", "SMALLINT"):
        year_expr = "year"
    else:
        dates = [c for c in names if types[c].upper() == "DATE"]
        years = [c for c in names if c.endswith("_year") and types[c].upper() in ("INTEGER", "BIGINT", "SMALLINT")]
        if dates:
            year_expr = f"cast(year({dates[0]}) as integer)"
        elif years:
            year_expr = years[0]
    is_fact = "province_code" in types and year_expr is not None
    part, derived = [], {}
    if is_fact:
        for key in partition:
            col = _PARTITION_KEYS[key]
            part.append(col)
            if col == "year" and year_expr != "year":
                derived["year"] = year_expr
    return {"kind": "fact" if is_fact else "dimension", "partition_columns": part, "derived_columns": derived}


def _tables(cur) -> list[tuple[str, list[tuple[str, str]]]]:
    rows = cur.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_catalog = current_database() "
        "order by table_name, ordinal_position").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, col, typ in rows:
        out.setdefault(table, []).append((col, typ))
    return list(out.items())


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_parquet(dest: Path, partition: tuple[str, ...] = ("province", "year"), progress=None) -> dict:
    """Write every table of the current snapshot under `dest` (replaced when complete); returns the manifest."""
    for key in partition:
        if key not in _PARTITION_KEYS:
            raise ExportError(f"未知的分区键:{key}(可用:{', '.join(_PARTITION_KEYS)})")
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()) and not (dest / MANIFEST).exists():
        raise ExportError(f"目标文件夹非空且不是一次导出:{dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
    tmp.mkdir()
    started = time.monotonic()
    try:
        with snapshot_cursor() as (cur, snap):
            info = dict(cur.execute("select key, value from build_info order by key").fetchall()) \
                if _has_table(cur, "build_info") else {}
            tables = {}
            for table, columns in _tables(cur):
                t0 = time.monotonic()
                layout = table_layout(columns, partition)
                rows = cur.execute(f"select count(*) from {_quote(table)}").fetchone()[0]
                cols = ", ".join(_quote(c) for c, _ in columns)
                extra = "".join(f", {expr} as {_quote(name)}" for name, expr in layout["derived_columns"].items())
                select = f"select {cols}{extra} from {_quote(table)}"
                out = tmp / table
                part = layout["partition_columns"] if rows > 0 else []
                _copy(cur, table, select, out, part)
                files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
                tables[table] = {
                    "path": table,
                    "kind": layout["kind"],
                    "rows": int(rows),
                    "columns": [{"name": c, "type": t, "spark_type": spark_type(t)} for c, t in columns],
                    "partition_columns": layout["partition_columns"] if rows > 0 else [],
                    "derived_columns": layout["derived_columns"],
                    "files": len(files),
                    "bytes": sum((out / f).stat().st_size for f in files),
                    "seconds": round(time.monotonic() - t0, 2),
                }
                if progress:
                    progress(table, tables[table])
        manifest = {
            "format": "parquet",
            "format_version": FORMAT_VERSION,
            "snapshot": snap,
            "exported_at": datetime.now().isoformat(timespec="seconds"),
            "export_seconds": round(time.monotonic() - started, 2),
            "partition": list(partition),
            "build_info": info,
            "tables": tables,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _copy(cur, table: str, select: str, out: Path, part: list[str]) -> None:
    """Write one table: one province at a time when partitioned by province (the facts are sorted by province,
    so each pass reads only its own row groups, and DuckDB keeps a handful of partition writers open instead of
    provinces x years: a national export of 96 million cases stays within a few hundred MB)."""
    opts = "format parquet, compression snappy"
    if not part:  # one file, every column inside (an empty fact table has no partition folders to read)
        out.mkdir()
        cur.execute(f"copy ({select}) to {_sql_path(out / 'data_0.parquet')} ({opts})")
        return
    rest = [c for c in part if c != "province_code"]
    if "province_code" not in part:
        cur.execute(f"copy ({select}) to {_sql_path(out)} ({opts}, partition_by ({', '.join(map(_quote, rest))}))")
        return
    out.mkdir()
    codes = [r[0] for r in cur.execute(f"select distinct province_code from {_quote(table)} order by 1").fetchall()]
    for code in codes:
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise ExportError(f"{table} 的 province_code 不是六位代码:{code!r}")
        sub = f"select * from ({select}) where province_code = '{code}'"  # checked: six digits
        target = out / f"province_code={code}"
        cols = f"select * exclude (province_code) from ({sub})"
        if rest:
            cur.execute(f"copy ({cols}) to {_sql_path(target)} ({opts}, partition_by ({', '.join(map(_quote, rest))}))")
        else:
            target.mkdir()
            cur.execute(f"copy ({cols}) to {_sql_path(target / 'data_0.parquet')} ({opts})")


def _has_table(cur, name: str) -> bool:
    return bool(cur.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                            "and table_catalog = current_database() and table_name = ?", [name]).fetchone()[0])


def _replace(tmp: Path, dest: Path) -> None:
    """Swap the finished export into place (renames: a reader sees the old or the new export, never a mix)."""
    old = None
    if dest.exists():
        old = dest.parent / f".{dest.name}.old-{os.getpid()}-{int(time.time() * 1000)}"
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ExportError(f"没有导出清单:{path}")
    return json.loads(path.read_text(encoding="utf-8"))


def command(argv: list[str] | None = None) -> int:
    """`python -m pingan.warehouse export …` (pingan/warehouse/__main__.py hands its arguments here)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["export"]:
        return main(args[1:])
    print("用法:python -m pingan.warehouse export --format parquet --partition province,year DIR", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pingan.warehouse export",
        description="把当前快照的每张表导出为 Parquet(事实表按省、年分区)并写 manifest.json,供 Spark/Doris 集群加载。")
    parser.add_argument("--format", default="parquet", choices=["parquet"], help="文件格式(目前仅 parquet)")
    parser.add_argument("--partition", default="province,year",
                        help="事实表的分区键,逗号分隔:province、year;none = 不分区(默认 province,year)")
    parser.add_argument("dir", help="目标文件夹(不存在、为空或此前的一次导出)")
    args = parser.parse_args(argv)
    keys = () if args.partition.strip() in ("", "none") else \
        tuple(k.strip() for k in args.partition.split(",") if k.strip())

    def report(table, meta):
        parts = "/".join(meta["partition_columns"]) or "—"
        print(f"{table:<20} {meta['rows']:>12,} 行  {meta['files']:>5} 个文件  分区 {parts}  {meta['seconds']} s",
              file=sys.stderr)

    try:
        manifest = export_parquet(Path(args.dir), keys, progress=report)
    except (ExportError, warehouse.WarehouseMissing) as exc:
        print(f"导出失败:{exc}", file=sys.stderr)
        return 1
    print(f"已导出快照 {manifest['snapshot']}:{len(manifest['tables'])} 张表,"
          f"{sum(t['rows'] for t in manifest['tables'].values()):,} 行,{manifest['export_seconds']} s → "
          f"{Path(args.dir).resolve() / MANIFEST}")
    return 0
