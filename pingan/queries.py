"""Finds queries/*.sql, checks their parameters, runs them (cached per snapshot) and returns polars frames.

Each file is one question. Its header comment gives a title line, then `-- grain:` and `-- params:`
lines. Parameters are DuckDB named parameters (`$region`), always bound, never pasted into the text.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from . import auth, config, regions, warehouse

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
# Results by (snapshot, engine, query, parameters), least recently used evicted beyond _CACHE_MAX. No time to
# live: a snapshot never changes once written (imports and rollbacks switch to another one, hence another key),
# so a result stays right for as long as its snapshot is current.
_cache: "OrderedDict[tuple, pl.DataFrame]" = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_MAX = 512
_PARALLEL = 2  # queries of one page run side by side (run_many); the machine the design targets has 2 cores
# Keys being computed: a second caller waits for the first (a visitor arriving while start-up pre-warms the same
# query does not run it again beside it on a 2-core machine).
_inflight: dict[tuple, threading.Event] = {}
_INFLIGHT_WAIT_S = 60.0


class QueryError(RuntimeError):
    """A query that could not run; the message is for the user."""


class ScopeError(QueryError):
    """A request for rows outside the account's region scope."""


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    grain: str
    domain: str
    header: str
    sql: str
    params: tuple[str, ...]
    unscoped: bool  # header says `-- scope: none`: no region-specific rows (catalogs, build info)


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
    unscoped = any(h.lower().replace(" ", "") == "scope:none" for h in header_lines)
    return Query(name, title, grain, domain, "\n".join(header_lines), text, params, unscoped)


def catalog() -> list[Query]:
    """Every query file, for the SQL page's examples and for tests."""
    return [load(p.stem) for p in sorted(config.QUERIES_DIR.glob("*.sql"))]


def _normalise(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def within(region: str, scope: str) -> bool:
    """Is `region` the scope itself or one of its sub-regions (regions.within over the current snapshot's tree)?"""
    return regions.within(region, scope, warehouse.region_lineages())


def enforce_scope(q: Query, params: dict) -> dict:
    """Limit a query to the current account's region scope; refuse what lies outside it.

    Every parameter whose name ends in `region` is checked; '' (everything) becomes the account's region.
    A query without a region parameter may run for a scoped account only if its header says it holds no
    region-specific rows (`-- scope: none`)."""
    acct = auth.current_account()
    if acct is None or not acct.region:
        return params
    region_params = [k for k in q.params if k.endswith("region")]
    if not region_params and not q.unscoped:
        raise ScopeError(f"查询 {q.name} 不按地区限定,您的账户(范围 {acct.region})不能使用")
    out = dict(params)
    for k in region_params:
        value = str(out.get(k) or "")
        if value == "":
            out[k] = acct.region
        elif not within(value, acct.region):
            raise ScopeError(f"无权查看该地区({value[:12]})的数据:您的账户范围是 {acct.region} 及其下级地区")
    return out


def run(name: str, **params) -> pl.DataFrame:
    """Run a named query with exactly its declared parameters; results are cached per snapshot."""
    return _run_prepared(*_prepare(name, params))


def run_many(calls: list[tuple[str, dict]]) -> list[pl.DataFrame]:
    """Several queries at once, in the order given: the ones not cached run side by side.

    A page's first view is mostly many small queries, each a few milliseconds of DuckDB and as many of planning
    and Python; two at a time fill both cores. The account's scope is checked here, in the caller's thread (the
    session), before anything runs."""
    prepared = [_prepare(name, params) for name, params in calls]
    if len(prepared) < 2 or str(config.setting("engine")) != "duckdb":
        return [_run_prepared(*p) for p in prepared]
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        futures = [pool.submit(_run_prepared, *p) for p in prepared]
        return [f.result() for f in futures]


def _prepare(name: str, params: dict) -> tuple[Query, dict, str, tuple]:
    q = load(name)
    missing = set(q.params) - set(params)
    extra = set(params) - set(q.params)
    if missing or extra:
        raise QueryError(f"查询 {name} 的参数不符:缺少 {sorted(missing)},多余 {sorted(extra)}")
    params = enforce_scope(q, params)
    snap = warehouse.snapshot_id()
    engine = str(config.setting("engine"))
    key = (snap, engine, name, tuple(sorted((k, _normalise(v)) for k, v in params.items())))
    return q, params, engine, key


def _run_prepared(q: Query, params: dict, engine: str, key: tuple) -> pl.DataFrame:
    deadline = time.monotonic() + _INFLIGHT_WAIT_S
    while True:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit
            running = _inflight.get(key)
            if running is None or time.monotonic() > deadline:
                done = _inflight[key] = threading.Event()
                break
        running.wait(max(0.0, deadline - time.monotonic()))  # then the result is cached, or it failed: run it here
    try:
        df = _plain_numbers(_execute(q, params, engine))
        with _cache_lock:
            _cache[key] = df
            while len(_cache) > _CACHE_MAX:
                _cache.popitem(last=False)
    finally:
        with _cache_lock:
            if _inflight.get(key) is done:
                del _inflight[key]
        done.set()
    return df


def _execute(q: Query, params: dict, engine: str) -> pl.DataFrame:
    if engine == "spark":
        from . import spark_engine  # only imported when a deployment selects it

        return spark_engine.run(q, params)
    cur = warehouse.cursor()
    try:
        return pl.from_arrow(cur.sql(q.sql, params=params).to_arrow_table())
    finally:
        cur.close()


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
