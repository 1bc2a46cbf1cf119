"""Run the dashboard's questions on Spark SQL: the same queries/*.sql, translated, over the Parquet export.

Selected with the setting `engine` = 'spark' (env PINGAN_ENGINE=spark); pingan.queries.run calls `run(query,
params)`. DuckDB stays the embedded default; nothing here is imported unless a deployment selects Spark.

- **Data**: the current snapshot exported as partitioned Parquet (pingan.export) into
  <state>/spark/<snapshot name>/ on first use and reused after (a new snapshot gets a new export; older exports
  are pruned). Every table of the manifest is registered as a temporary view with the manifest's column types
  (partition columns are never guessed from folder names; a derived partition column is dropped).
  PINGAN_SPARK_DATA may name an export made elsewhere (`python -m pingan.warehouse export …`, any path Spark
  reads: a cluster's HDFS/S3 location); then nothing is exported and the local snapshot is not needed for data.
- **SQL**: queries/spark/<name>.sql (Spark SQL, parameters written `:name`) when it exists, else queries/<name>.sql
  translated with sqlglot from DuckDB to Spark SQL, plus the rewrites sqlglot does not do by itself (see
  `translate`). Parameters are bound by Spark (`spark.sql(text, args=...)`, named parameter markers), never pasted.
- **Types**: the result is cast to exactly the column names and types the DuckDB path returns. They come from
  binding the DuckDB query on an empty in-memory copy of the schema (types in DuckDB are static, so this costs
  milliseconds and reads no data).
- **Session**: one per process, master from PINGAN_SPARK_MASTER (default local[2]); web UI off, driver bound to
  127.0.0.1, two shuffle partitions, ANSI mode off (x/0 is NULL as in DuckDB); extra settings as
  PINGAN_SPARK_CONF="key=value;key=value".
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from . import config, export, warehouse

SPARK_QUERIES_DIR = config.QUERIES_DIR / "spark"
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.filterPushdown": "true",
}

_lock = threading.RLock()
_spark = None
_registered: str | None = None  # the data folder whose tables are registered as views
_schema: dict[str, dict[str, str]] | None = None  # table -> column -> DuckDB type, from the manifest
_schema_hash = ""


class SparkQueryError(RuntimeError):
    """A query Spark could not run (the text it ran is in the message, for the operator)."""


# ------------------------------------------------------------------------------------------------
# session and data
# ------------------------------------------------------------------------------------------------
def master() -> str:
    return os.environ.get("PINGAN_SPARK_MASTER", "").strip() or "local[2]"


def _extra_conf() -> dict[str, str]:
    raw = os.environ.get("PINGAN_SPARK_CONF", "")
    out = {}
    for item in raw.split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def session():
    """The process's SparkSession (started on first use, ~5-15 s for the JVM)."""
    global _spark
    with _lock:
        if _spark is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            work = warehouse.spark_dir()  # Spark writes here only if someone creates a managed table
            builder = SparkSession.builder.master(master()).appName("pingan")
            conf = {**DEFAULT_CONF, "spark.sql.warehouse.dir": str(work / "spark-warehouse"), **_extra_conf()}
            for k, v in conf.items():
                builder = builder.config(k, v)
            _spark = builder.getOrCreate()
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark


def stop() -> None:
    """Stop the session (tests, benchmark); the next query starts a new one."""
    global _spark, _registered
    with _lock:
        if _spark is not None:
            _spark.stop()
        _spark, _registered = None, None


def data_folder() -> Path | str:
    """The export Spark reads: PINGAN_SPARK_DATA, else the current snapshot's own (made on first use)."""
    external = os.environ.get("PINGAN_SPARK_DATA", "").strip()
    if external:
        return external
    snap = warehouse.current_name()
    if snap is None:
        raise warehouse.WarehouseMissing("尚未构建数据仓库")
    folder = warehouse.spark_dir() / snap
    if (folder / export.MANIFEST).exists():
        return folder
    with warehouse.spark_lock():
        if not (folder / export.MANIFEST).exists():  # another process may have made it meanwhile
            export.export_parquet(folder)
        warehouse.prune_spark_exports(keep=snap)
    return folder


def _read_manifest(folder) -> dict:
    if isinstance(folder, Path) or "://" not in str(folder):
        return export.read_manifest(Path(folder))
    text = "\n".join(r.value for r in session().read.text(f"{folder}/{export.MANIFEST}").collect())
    return json.loads(text)


def _register(folder) -> None:
    """Register every table of the export as a temporary view (once per export)."""
    global _registered, _schema, _schema_hash
    key = str(folder)
    with _lock:
        if _registered == key:
            return
        spark = session()
        from pyspark.sql.types import StructType

        manifest = _read_manifest(folder)
        for table, meta in manifest["tables"].items():
            columns = [(c["name"], c["spark_type"]) for c in meta["columns"]]
            part = meta.get("partition_columns", [])
            types = dict(columns)
            fields = [(n, t) for n, t in columns if n not in part]
            fields += [(p, types.get(p, "int")) for p in part]  # a derived column (year) is an int
            schema = StructType.fromDDL(", ".join(f"`{n}` {t}" for n, t in fields)) if fields else StructType()
            path = f"{folder}/{meta['path']}"
            df = spark.read.schema(schema).option("basePath", path).parquet(path)
            df = df.select(*[n for n, _ in columns])  # table order; a derived partition column is dropped
            df.createOrReplaceTempView(table)
        _schema = {t: {c["name"]: c["type"] for c in m["columns"]} for t, m in manifest["tables"].items()}
        _schema_hash = hashlib.sha1(json.dumps(_schema, sort_keys=True).encode()).hexdigest()
        _registered = key


def prepare() -> dict:
    """Export (if needed), start the session and register the views; returns how long each step took."""
    t0 = time.perf_counter()
    folder = data_folder()
    t1 = time.perf_counter()
    session()
    t2 = time.perf_counter()
    _register(folder)
    t3 = time.perf_counter()
    return {"data": str(folder), "export_s": round(t1 - t0, 2), "session_s": round(t2 - t1, 2),
            "register_s": round(t3 - t2, 2)}


def table_schema() -> dict[str, dict[str, str]]:
    """table -> column -> DuckDB type of the registered export (for translation and the type oracle)."""
    if _schema is None:
        _register(data_folder())
    return _schema or {}


# ------------------------------------------------------------------------------------------------
# translation
# ------------------------------------------------------------------------------------------------
def _param_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    return "string"


def _signature(params: dict) -> tuple:
    return tuple(sorted((k, _param_type(v)) for k, v in params.items()))


def spark_variant(name: str) -> str | None:
    path = SPARK_QUERIES_DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8") if path.exists() else None


def translate(sql: str, param_types: dict[str, str] | None = None,
              schema: dict[str, dict[str, str]] | None = None, dialect: str = "spark") -> str:
    """DuckDB SQL (with `$name` parameters) -> Spark SQL (or Doris/StarRocks) with `:name` markers.

    On top of sqlglot's dialect translation:
    - `date - date` is a number of days in DuckDB and an interval in Spark: rewritten to datediff(a, b) (days in
      Spark, Doris and StarRocks alike). Which operands are dates comes from sqlglot's type annotation over the
      export's schema and the parameters' types, one scope at a time, so that a CTE column computed as a
      difference of dates is known to be a number;
    - decimal literals (100.0) become DOUBLE: DuckDB divides them as doubles, Spark would keep DECIMAL(38,6) and
      MySQL-protocol engines four decimals;
    - Spark: round(x, d) with a column d (Spark wants a constant) becomes round(x * 10^d) / 10^d, which is how
      DuckDB rounds a double;
    - Doris/StarRocks: `agg(x) filter (where c)` becomes `agg(case when c then x end)` (no FILTER clause there).
    Parameters are left as markers (`:name`): Spark binds them (args=), SQLAlchemy's text() binds them for a
    MySQL-protocol connection to Doris/StarRocks.
    """
    param_types = param_types or {}
    tree = sqlglot.parse_one(sql, read="duckdb")
    for ph in list(tree.find_all(exp.Placeholder)):
        typ = param_types.get(ph.name)
        if typ in ("date", "timestamp"):  # typed, so that annotation sees a date (Spark binds it as a date anyway)
            ph.replace(exp.Cast(this=ph.copy(), to=exp.DataType.build(typ)))
    if schema:
        subs = list(tree.find_all(exp.Sub))
        for i, sub in enumerate(subs):
            sub.meta["pingan_sub"] = i
        date_subs = _date_differences(tree.copy(), schema)
        for sub in subs:  # rewritten in the original text: qualify's fully qualified form trips Spark 4's optimizer
            if sub.meta.get("pingan_sub") in date_subs:
                sub.replace(exp.Anonymous(this="datediff", expressions=[sub.left.copy(), sub.right.copy()]))
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_number and not lit.is_int and not isinstance(lit.parent, (exp.DataType, exp.DataTypeParam)):
            lit.replace(exp.Cast(this=lit.copy(), to=exp.DataType.build("double")))
    _province_pruning(tree)
    if dialect == "spark":
        for rnd in list(tree.find_all(exp.Round)):
            digits = rnd.args.get("decimals")
            if digits is not None and not isinstance(digits, exp.Literal):
                scale = exp.Pow(this=exp.Literal.number(10), expression=digits.copy())
                rnd.replace(exp.Div(
                    this=exp.Round(this=exp.Mul(this=exp.Paren(this=rnd.this.copy()), expression=scale.copy())),
                    expression=scale))
    if dialect in ("doris", "starrocks"):
        for flt in list(tree.find_all(exp.Filter)):
            _filter_to_case(flt)
        for win in list(tree.find_all(exp.Window)):
            _window_nulls_last(win)
    return tree.sql(dialect=dialect, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)


_CODE_COLUMNS = {"province_code", "prefecture_code", "county_code"}


def _province_pruning(tree: exp.Expression) -> None:
    """Add `(:p = '' or province_code = substr(:p, 1, 2) || '0000')` beside a region test on the code columns.

    The queries test a region as `$region in ('', province_code, prefecture_code, county_code)` or as ORs of
    equalities; a partitioned reader cannot prune folders with a predicate that mixes in non-partition columns, so
    every query would scan every province. A GB/T 2260 code starts with its province's two digits, so any row that
    passes the test has that province code: the added predicate changes no result, and once Spark has bound the
    parameter it folds to `province_code = '530000'`, which prunes to one province's folders.
    """
    for where in list(tree.find_all(exp.Where)):
        cond = where.this
        conjuncts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
        extra = []
        for c in conjuncts:
            found = _region_test(c)
            if found is not None:
                ph, col = found
                extra.append(exp.Paren(this=exp.or_(
                    exp.EQ(this=ph.copy(), expression=exp.Literal.string("")),
                    exp.EQ(this=col.copy(), expression=exp.DPipe(
                        this=exp.Substring(this=ph.copy(), start=exp.Literal.number(1),
                                           length=exp.Literal.number(2)),
                        expression=exp.Literal.string("0000"))))))
        if extra:
            where.set("this", exp.and_(cond.copy(), *extra))


def _region_test(node: exp.Expression):
    """(placeholder, province_code column) when `node` is a region test on code columns of one table."""
    node = node.unnest()
    ph, cols = None, []
    if isinstance(node, exp.In) and isinstance(node.this, exp.Placeholder):
        ph = node.this
        for e in node.expressions:
            if isinstance(e, exp.Literal) and e.is_string and e.name == "":
                continue
            if not (isinstance(e, exp.Column) and e.name in _CODE_COLUMNS):
                return None
            cols.append(e)
    elif isinstance(node, exp.Or):
        for term in node.flatten():
            term = term.unnest()
            if not isinstance(term, exp.EQ):
                return None
            sides = [term.this, term.expression]
            p = next((x for x in sides if isinstance(x, exp.Placeholder)), None)
            other = next((x for x in sides if x is not p), None)
            if p is None or (ph is not None and p.name != ph.name):
                return None
            ph = p
            if isinstance(other, exp.Literal) and other.is_string and other.name == "":
                continue
            if not (isinstance(other, exp.Column) and other.name in _CODE_COLUMNS):
                return None
            cols.append(other)
    else:
        return None
    if ph is None or len({c.table for c in cols}) != 1:
        return None
    province = next((c for c in cols if c.name == "province_code"), None)
    return (ph, province) if province is not None else None


def _window_nulls_last(win: exp.Window) -> None:
    """DuckDB sorts NULLs last; MySQL-protocol engines first, with no NULLS LAST in a window: an explicit key."""
    order = win.args.get("order")
    if order is None:
        return
    keys = []
    for o in order.expressions:
        if isinstance(o, exp.Ordered) and not o.args.get("nulls_first"):
            is_null = exp.Case(ifs=[exp.If(this=exp.Is(this=o.this.copy(), expression=exp.Null()),
                                           true=exp.Literal.number(1))], default=exp.Literal.number(0))
            keys.append(exp.Ordered(this=is_null, nulls_first=True))
            o = o.copy()
            o.set("nulls_first", not o.args.get("desc"))  # the target's own default: nothing left to emulate
        keys.append(o)
    order.set("expressions", keys)


def _filter_to_case(flt: exp.Filter) -> None:
    """agg(x) FILTER (WHERE c) -> agg(CASE WHEN c THEN x END); count(*) counts CASE WHEN c THEN 1 END."""
    agg, where = flt.this, flt.expression
    cond = where.this if isinstance(where, exp.Where) else where
    agg = agg.copy()
    arg = agg.this
    if isinstance(arg, exp.Distinct):
        arg.set("expressions", [exp.Case(ifs=[exp.If(this=cond.copy(), true=e.copy())])
                                for e in arg.expressions])
    else:
        value = exp.Literal.number(1) if arg is None or isinstance(arg, exp.Star) else arg.copy()
        agg.set("this", exp.Case(ifs=[exp.If(this=cond.copy(), true=value)]))
    flt.replace(agg)


def _date_differences(tree: exp.Expression, schema: dict) -> set[int]:
    """Tags (meta "pingan_sub") of the `a - b` nodes whose operands are both dates.

    Works on a qualified copy, one scope at a time in dependency order: once a CTE's difference of dates is
    rewritten to datediff (a number), the columns computed from it are no longer taken for dates."""
    tree = qualify(tree, schema=schema, dialect="duckdb", validate_qualify_columns=False,
                   quote_identifiers=False, identify=False)
    found: set[int] = set()
    for scope in traverse_scope(tree):
        annotate_types(tree, schema=schema, dialect="duckdb")
        for sub in list(scope.expression.find_all(exp.Sub)):
            if _owner(sub) is not scope.expression:
                continue
            lt, rt = sub.left.type, sub.right.type
            if lt is not None and rt is not None and lt.is_type(exp.DataType.Type.DATE) \
                    and rt.is_type(exp.DataType.Type.DATE):
                if "pingan_sub" in sub.meta:
                    found.add(sub.meta["pingan_sub"])
                sub.replace(exp.Anonymous(this="datediff", expressions=[sub.left.copy(), sub.right.copy()]))
    return found


def _owner(node: exp.Expression) -> exp.Expression | None:
    """The nearest enclosing SELECT (or set operation) of a node: the scope it is evaluated in."""
    parent = node.parent
    while parent is not None and not isinstance(parent, (exp.Select, exp.SetOperation)):
        parent = parent.parent
    return parent


@lru_cache(maxsize=512)
def _translated(name: str, sql: str, signature: tuple, schema_key: str) -> str:
    variant = spark_variant(name)
    if variant is not None:
        return variant
    return translate(sql, dict(signature), table_schema())


def spark_sql(query, params: dict) -> str:
    """The Spark SQL text a query runs as (variant file or translation), for these parameters' types."""
    return _translated(query.name, query.sql, _signature(params), _schema_key())


def _schema_key() -> str:
    table_schema()
    return _schema_hash


# ------------------------------------------------------------------------------------------------
# result types: what the DuckDB path would return
# ------------------------------------------------------------------------------------------------
_oracle_lock = threading.Lock()
_oracle = None
_oracle_key = None


def _duck_oracle():
    """An in-memory DuckDB with the export's tables, empty: binds a query to learn its result types."""
    global _oracle, _oracle_key
    schema = table_schema()
    key = _schema_key()
    if _oracle is None or _oracle_key != key:
        con = warehouse.memory()
        for table, cols in schema.items():
            body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
            con.execute(f'create table "{table}" ({body})')
        _oracle, _oracle_key = con, key
    return _oracle


@lru_cache(maxsize=512)
def _duck_schema(sql: str, signature: tuple, schema_key: str, sample: tuple) -> tuple:
    with _oracle_lock:
        cur = _duck_oracle().cursor()
        try:
            empty = pl.from_arrow(cur.sql(sql, params=dict(sample)).to_arrow_table())
        finally:
            cur.close()
    out = []
    for name, dtype in empty.schema.items():
        if isinstance(dtype, pl.Decimal):
            dtype = pl.Int64 if (dtype.scale or 0) == 0 else pl.Float64
        elif dtype == pl.Int128:
            dtype = pl.Int64
        out.append((name, dtype))
    return tuple(out)


def duckdb_result_schema(query, params: dict) -> list[tuple[str, pl.DataType]]:
    sample = tuple(sorted(params.items(), key=lambda kv: kv[0]))
    return list(_duck_schema(query.sql, _signature(params), _schema_key(), sample))


def _conform(df: pl.DataFrame, target: list[tuple[str, pl.DataType]]) -> pl.DataFrame:
    if df.width != len(target):
        raise SparkQueryError(f"Spark 返回 {df.width} 列,DuckDB 返回 {len(target)} 列")
    df = df.rename({old: new for old, (new, _) in zip(df.columns, target) if old != new})
    casts = []
    for name, dtype in target:
        have = df.schema[name]
        if have == dtype:
            continue
        if dtype == pl.Null:
            continue
        if isinstance(have, pl.Decimal) and dtype.is_integer():
            casts.append(pl.col(name).cast(pl.Int128).cast(dtype))
        else:
            casts.append(pl.col(name).cast(dtype))
    return df.with_columns(casts) if casts else df


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
def _spark_value(value):
    if isinstance(value, (list, tuple)):
        raise SparkQueryError("Spark 引擎不支持列表参数")
    return value


def run(query, params: dict) -> pl.DataFrame:
    """Run one query (a pingan.queries.Query) on Spark and return what the DuckDB path would return."""
    folder = data_folder()
    _register(folder)
    text = spark_sql(query, params)
    target = duckdb_result_schema(query, params)
    args = {k: _spark_value(v) for k, v in params.items()}
    try:
        sdf = session().sql(text, args=args) if args else session().sql(text)
        table = sdf.toArrow()
    except Exception as exc:  # py4j / analysis errors: keep the message, add which query
        raise SparkQueryError(f"Spark 无法运行查询 {query.name}:{str(exc).splitlines()[0][:500]}") from exc
    df = pl.from_arrow(table)
    if isinstance(df, pl.Series):
        df = df.to_frame()
    return _conform(df, target)
