"""Finds queries/*.sql, checks their parameters, runs them (cached per snapshot) and returns polars frames.

Each file is one question. Its header comment gives a title line, then `-- grain:` and `-- params:`
lines. Parameters are DuckDB named parameters (`$region`), always bound, never pasted into the text.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from . import config, warehouse

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_cache: "OrderedDict[tuple, tuple[float, pl.DataFrame]]" = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_MAX = 512


class QueryError(RuntimeError):
    """A query that could not run; the message is for the user."""


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    grain: str
    domain: str
    header: str
    sql: str
    params: tuple[str, ...]


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] if "--" in line and "'" not in line else line
                     for line in sql.splitlines())


@lru_cache(maxsize=None)
def load(name: str) -> Query:
    path = config.QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise QueryError(f"未知的查询:{name}")
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header_lines.append(line[2:].strip())
    title = header_lines[0] if header_lines else name
    grain = next((h.split(":", 1)[1].strip() for h in header_lines if h.lower().startswith("grain:")), "")
    params = tuple(sorted(set(_PARAM.findall(_strip_comments(text)))))
    domain = name.split("_", 1)[0]
    return Query(name, title, grain, domain, "\n".join(header_lines), text, params)


def catalog() -> list[Query]:
    """Every query file, for the SQL page's examples and for tests."""
    return [load(p.stem) for p in sorted(config.QUERIES_DIR.glob("*.sql"))]


def _normalise(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def run(name: str, **params) -> pl.DataFrame:
    """Run a named query with exactly its declared parameters; results are cached per snapshot."""
    q = load(name)
    missing = set(q.params) - set(params)
    extra = set(params) - set(q.params)
    if missing or extra:
        raise QueryError(f"查询 {name} 的参数不符:缺少 {sorted(missing)},多余 {sorted(extra)}")
    snap = warehouse.snapshot_id()
    key = (snap, str(config.setting("engine")), name, tuple(sorted((k, _normalise(v)) for k, v in params.items())))
    ttl = float(config.setting("query_cache_ttl_s"))
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < ttl:
            _cache.move_to_end(key)
            return hit[1]
    engine = str(config.setting("engine"))
    if engine == "spark":
        from . import spark_engine  # only imported when a deployment selects it

        df = spark_engine.run(q, params)
    else:
        cur = warehouse.cursor()
        try:
            df = pl.from_arrow(cur.sql(q.sql, params=params).to_arrow_table())
        finally:
            cur.close()
    df = _plain_numbers(df)
    with _cache_lock:
        _cache[key] = (now, df)
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return df


def _plain_numbers(df: pl.DataFrame) -> pl.DataFrame:
    """DuckDB sums integers into HUGEINT/DECIMAL; pages want plain integers and floats."""
    casts = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Int64 if (dtype.scale or 0) == 0 else pl.Float64))
        elif dtype == pl.Int128:
            casts.append(pl.col(name).cast(pl.Int64))
    return df.with_columns(casts) if casts else df


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
