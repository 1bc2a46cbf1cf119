"""Side by side for the benchmark: the same questions on PostgreSQL and in pandas over Parquet.

PostgreSQL: a private cluster (initdb into a temporary folder, run as the `postgres` OS user because root may not
run initdb; 127.0.0.1 on a free port; tuned for analytics: shared_buffers, work_mem, parallel workers), loaded
with COPY from CSV files DuckDB exports (province by province for the big tables, with progress), indexed on
the filter columns (province_code, prefecture_code, county_code, identified_date, year), VACUUM ANALYZE, then
stopped and deleted at the end. Every page query runs there as THE SAME SQL translated by sqlglot (DuckDB
dialect to postgres; `$name` parameters become psycopg's `%(name)s`, bound client-side so that PostgreSQL
plans with the actual values); what does not translate or run is reported with the reason.

pandas: the design's five questions ("Performance targets" in DESIGN.md) hand-written in pandas over Parquet
files exported once from the snapshot (filters pushed into read_parquet, which prunes row groups by their
statistics), timed in the same run as DuckDB and PostgreSQL, and checked to give the same answers.
"""
from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from .timings import log, ms_text, params_text, percentile

BIG_TABLE_ROWS = 2_000_000          # tables above this are exported and loaded province by province
INDEX_COLUMNS = ("province_code", "prefecture_code", "county_code", "identified_date", "year")
SAMPLED = {"dispute_case": "case_id", "grid": "grid_id"}   # --pg-sample K keeps rows whose id % K = 0
PG_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "20",
    "shared_buffers": "'2GB'",
    "effective_cache_size": "'8GB'",
    "work_mem": "'256MB'",
    "maintenance_work_mem": "'1GB'",
    "max_worker_processes": "4",
    "max_parallel_workers": "2",
    "max_parallel_workers_per_gather": "2",
    "max_parallel_maintenance_workers": "2",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "100",
    # Bulk-load settings: nothing here needs to survive a crash.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'20GB'",
    "checkpoint_timeout": "'30min'",
    "autovacuum": "off",
    "logging_collector": "off",
}
PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DATE": "date", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "SMALLINT": "smallint", "FLOAT": "real", "TIMESTAMP": "timestamp",
            "HUGEINT": "numeric", "TINYINT": "smallint"}


# --------------------------------------------------------------------------------------------------
# Translation
# --------------------------------------------------------------------------------------------------
def translate(sql: str) -> str:
    """DuckDB SQL → PostgreSQL with psycopg named placeholders (raises when sqlglot cannot translate it)."""
    import sqlglot

    out = sqlglot.transpile(sql, read="duckdb", write="postgres", comments=False,
                            unsupported_level=sqlglot.ErrorLevel.RAISE)
    if len(out) != 1:
        raise ValueError(f"{len(out)} statements")
    pg = out[0]
    # sqlglot writes DuckDB's $name as %(name)s; any other % (modulo, LIKE patterns) must be doubled for psycopg.
    pg = re.sub(r"%(?!\([a-z_][a-z0-9_]*\)s)", "%%", pg)
    left = re.findall(r"\$[a-z_][a-z0-9_]*", pg)
    if left:
        raise ValueError(f"parameters not translated: {sorted(set(left))}")
    return pg


# --------------------------------------------------------------------------------------------------
# A private PostgreSQL cluster
# --------------------------------------------------------------------------------------------------
def _pg_bin(install: bool) -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found and install:
        log("PostgreSQL is missing: apt-get install -y postgresql")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        proc = subprocess.run(["apt-get", "install", "-y", "postgresql"], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "postgresql"], env=env, check=True, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """initdb + pg_ctl start in a temporary folder as the postgres OS user; stop and delete on exit."""

    def __init__(self, install: bool = True, base: Path | None = None):
        self.bin = _pg_bin(install)
        self.base = Path(tempfile.mkdtemp(prefix="pingan-pg-", dir=str(base) if base else None))
        self.data = self.base / "data"
        self.load_dir = self.base / "load"
        self.port = _free_port()
        self.conn = None
        self.version = None
        self._started = False

    def _as_postgres(self, *cmd: str) -> subprocess.CompletedProcess:
        user = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        return subprocess.run(user + list(cmd), capture_output=True, text=True, cwd=str(self.base))

    def __enter__(self) -> "PgCluster":
        os.chmod(self.base, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.load_dir.mkdir()
        os.chmod(self.load_dir, 0o755)
        atexit.register(self.close)
        proc = self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                 "-E", "UTF8", "--no-locale")
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed: {proc.stderr[-500:]}")
        settings = dict(PG_SETTINGS, port=str(self.port), unix_socket_directories=f"'{self.base}'")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# pingan.bench\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        proc = self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                                 "-w", "-t", "120", "start")
        if proc.returncode != 0:
            tail = (self.base / "server.log").read_text(errors="replace")[-800:] if (self.base / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {proc.stderr[-300:]} {tail}")
        self._started = True
        import psycopg

        self.conn = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                                    autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.version = self.conn.execute("show server_version").fetchone()[0]
        log(f"PostgreSQL {self.version} started on 127.0.0.1:{self.port} in {self.base}")
        return self

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001
                pass
            self.conn = None
        if self._started:
            self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self._started = False
        if self.base.exists():
            shutil.rmtree(self.base, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.close()

    def data_bytes(self) -> int:
        return int(self.conn.execute("select pg_database_size(current_database())").fetchone()[0])


def load_postgres(pg: PgCluster, duck_cur, sample: int = 1) -> dict:
    """Create every warehouse table in PostgreSQL, COPY the rows in, index the filter columns, VACUUM ANALYZE."""
    t_all = time.perf_counter()
    tables = [r[0] for r in duck_cur.execute(
        "select table_name from information_schema.tables where table_schema = 'main' and table_type = 'BASE TABLE' "
        "order by table_name").fetchall()]
    out = {"tables": {}, "sample": sample}
    for table in tables:
        cols = duck_cur.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'main' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()
        ddl = ", ".join(f'"{c}" {_pg_type(t)}' for c, t in cols)
        where = f"where {SAMPLED[table]} % {int(sample)} = 0" if sample > 1 and table in SAMPLED else ""
        n_total = duck_cur.execute(f'select count(*) from "{table}" {where}').fetchone()[0]
        colnames = {c for c, _ in cols}
        chunks = [None]
        if n_total > BIG_TABLE_ROWS and "province_code" in colnames:
            chunks = [r[0] for r in duck_cur.execute(
                f'select distinct province_code from "{table}" order by 1').fetchall()]
        t0 = time.perf_counter()
        loaded = 0
        with pg.conn.transaction():
            pg.conn.execute(f'create table "{table}" ({ddl})')
            for i, chunk in enumerate(chunks):
                path = pg.load_dir / f"{table}-{i}.csv"
                cond = [where[len("where "):]] if where else []
                params = []
                if chunk is not None:
                    cond.append("province_code = ?")
                    params.append(chunk)
                sel = f'select * from "{table}"' + (" where " + " and ".join(cond) if cond else "")
                duck_cur.execute(f"copy ({sel}) to '{path}' (format csv, header false)", params)
                os.chmod(path, 0o644)
                pg.conn.execute(f"copy \"{table}\" from '{path}' with (format csv, freeze)")
                path.unlink()
                if chunk is not None:
                    loaded = pg.conn.execute(f'select count(*) from "{table}"').fetchone()[0] if i == len(chunks) - 1 \
                        else loaded
                    el = time.perf_counter() - t0
                    log(f"  PostgreSQL load {table}: province {chunk} ({i + 1}/{len(chunks)}), {el:.0f} s")
        secs = time.perf_counter() - t0
        log(f"PostgreSQL loaded {table}: {n_total:,} rows in {secs:.1f} s")
        idx_t0 = time.perf_counter()
        made = []
        for col in INDEX_COLUMNS:
            if col in colnames:
                pg.conn.execute(f'create index on "{table}" ("{col}")')
                made.append(col)
        if table == "region":
            pg.conn.execute('create unique index on region (code)')
            made.append("code")
        pg.conn.execute(f'vacuum analyze "{table}"')
        idx_secs = time.perf_counter() - idx_t0
        if made:
            log(f"PostgreSQL indexed {table} on {', '.join(made)} and analyzed in {idx_secs:.1f} s")
        out["tables"][table] = {"rows": n_total, "load_s": round(secs, 1), "index_analyze_s": round(idx_secs, 1),
                                "indexes": made}
    out["total_s"] = round(time.perf_counter() - t_all, 1)
    out["bytes"] = pg.data_bytes()
    return out


def _pg_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "numeric")
    return PG_TYPES.get(t, "text")


def time_pg(pg: PgCluster, sql: str, params: dict, repeats: int, budget_s: float, timeout_s: float) -> dict:
    """Warm-up run, then up to `repeats` runs within `budget_s` (at least one)."""
    conn = pg.conn
    conn.execute(f"set statement_timeout = {int(timeout_s * 1000)}")
    times, rows, error, res, columns = [], None, None, None, []
    try:
        t0 = time.perf_counter()
        cur = conn.execute(sql, params)
        res = cur.fetchall()
        columns = [d.name for d in cur.description]
        first = (time.perf_counter() - t0) * 1000
        rows = len(res)
        start = time.perf_counter()
        if first / 1000 > budget_s:
            times.append(first)  # one run took the whole budget: that run is the figure
        else:
            for _ in range(repeats):
                t0 = time.perf_counter()
                conn.execute(sql, params).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
                if time.perf_counter() - start > budget_s and len(times) >= 1:
                    break
    except Exception as exc:  # noqa: BLE001 - reported per query
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        error = ("timeout: over " + f"{timeout_s:g} s") if "statement timeout" in msg else f"{type(exc).__name__}: {msg}"
        try:
            conn.rollback()
        except Exception:  # noqa: BLE001
            pass
    return {"runs": len(times), "rows": rows, "error": error,
            "p50_ms": round(percentile(times, 50), 2) if times else None,
            "p95_ms": round(percentile(times, 95), 2) if times else None,
            "result": [dict(zip(columns, r)) for r in res] if error is None and res is not None else None}


# --------------------------------------------------------------------------------------------------
# The design's five questions: DuckDB SQL (also translated for PostgreSQL) and pandas over Parquet
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    key: str
    title: str
    sql: str
    params: Callable[[int], dict]
    pandas: Callable[[Path, dict], "object"]
    check: tuple[str, ...]        # result columns compared across engines


def _year(last: int) -> dict:
    return {"start": date(last, 1, 1), "end": date(last, 12, 31)}


def _pd_read(pq: Path, columns: list[str], filters: list[tuple]):
    import pandas as pd

    return pd.read_parquet(pq / "dispute_case.parquet", columns=columns, filters=filters or None, engine="pyarrow")


def _pd_funnel(pq: Path, p: dict):
    import pandas as pd

    df = _pd_read(pq, ["accepted_date", "mediated_date", "outcome", "followup_date"],
                  [("province_code", "==", p["province"]), ("identified_date", ">=", p["start"]),
                   ("identified_date", "<=", p["end"])])
    return pd.DataFrame([{"identified": len(df), "accepted": int(df["accepted_date"].notna().sum()),
                          "mediated": int(df["mediated_date"].notna().sum()),
                          "resolved": int((df["outcome"] == "resolved").sum()),
                          "followed_up": int(df["followup_date"].notna().sum())}])


def _pd_success_by_prefecture(pq: Path, p: dict):
    df = _pd_read(pq, ["prefecture_code", "outcome"],
                  [("province_code", "==", p["province"]), ("identified_date", ">=", p["start"]),
                   ("identified_date", "<=", p["end"])])
    df["is_resolved"] = df["outcome"] == "resolved"
    g = df.groupby("prefecture_code", sort=True).agg(identified=("is_resolved", "size"),
                                                     resolved=("is_resolved", "sum")).reset_index()
    g["success_rate_pct"] = 100.0 * g["resolved"] / g["identified"]
    return g


def _pd_monthly_trend(pq: Path, p: dict):
    import pandas as pd

    df = _pd_read(pq, ["identified_date", "outcome"],
                  [("prefecture_code", "==", p["prefecture"]), ("identified_date", ">=", p["start"]),
                   ("identified_date", "<=", p["end"])])
    month = pd.to_datetime(df["identified_date"]).dt.to_period("M").dt.to_timestamp()
    g = pd.DataFrame({"month": month, "is_resolved": df["outcome"] == "resolved"}).groupby("month", sort=True)
    return g.agg(identified=("is_resolved", "size"), resolved=("is_resolved", "sum")).reset_index()


def _pd_per_grid(pq: Path, p: dict):
    df = _pd_read(pq, ["grid_id", "outcome"],
                  [("prefecture_code", "==", p["prefecture"]), ("identified_date", ">=", p["start"]),
                   ("identified_date", "<=", p["end"])])
    df["is_resolved"] = df["outcome"] == "resolved"
    return df.groupby("grid_id", sort=True).agg(cases=("is_resolved", "size"),
                                                resolved=("is_resolved", "sum")).reset_index()


def _pd_median_days(pq: Path, p: dict):
    import pandas as pd

    df = _pd_read(pq, ["channel", "category", "accepted_date", "closed_date"],
                  [("identified_date", ">=", p["start"]), ("identified_date", "<=", p["end"]),
                   ("outcome", "==", "resolved")])
    days = (pd.to_datetime(df["closed_date"]) - pd.to_datetime(df["accepted_date"])).dt.days
    g = pd.DataFrame({"channel": df["channel"], "category": df["category"], "days": days})
    return g.groupby(["channel", "category"], sort=True).agg(median_days=("days", "median"),
                                                            resolved=("days", "size")).reset_index()


QUESTIONS = (
    Question("province_funnel", "Funnel of one province, latest year (云南)",
             "select count(*) as identified, count(accepted_date) as accepted, count(mediated_date) as mediated,\n"
             "       count(*) filter (where outcome = 'resolved') as resolved, count(followup_date) as followed_up\n"
             "from dispute_case\nwhere province_code = $province and identified_date between $start and $end",
             lambda y: {"province": "530000", **_year(y)}, _pd_funnel,
             ("identified", "accepted", "mediated", "resolved", "followed_up")),
    Question("success_by_prefecture", "Success rate by prefecture of one province, latest year (云南)",
             "select prefecture_code, count(*) as identified,\n"
             "       count(*) filter (where outcome = 'resolved') as resolved,\n"
             "       100.0 * count(*) filter (where outcome = 'resolved') / count(*) as success_rate_pct\n"
             "from dispute_case\nwhere province_code = $province and identified_date between $start and $end\n"
             "group by prefecture_code order by prefecture_code",
             lambda y: {"province": "530000", **_year(y)}, _pd_success_by_prefecture,
             ("prefecture_code", "identified", "resolved", "success_rate_pct")),
    Question("monthly_trend_5y", "Monthly trend of one prefecture over five years (大理州)",
             "select date_trunc('month', identified_date) as month, count(*) as identified,\n"
             "       count(*) filter (where outcome = 'resolved') as resolved\n"
             "from dispute_case\nwhere prefecture_code = $prefecture and identified_date between $start and $end\n"
             "group by 1 order by 1",
             lambda y: {"prefecture": "532900", "start": date(y - 4, 1, 1), "end": date(y, 12, 31)},
             _pd_monthly_trend, ("month", "identified", "resolved")),
    Question("per_grid_counts", "Cases per grid of one prefecture, latest year (大理州)",
             "select grid_id, count(*) as cases, count(*) filter (where outcome = 'resolved') as resolved\n"
             "from dispute_case\nwhere prefecture_code = $prefecture and identified_date between $start and $end\n"
             "group by grid_id order by grid_id",
             lambda y: {"prefecture": "532900", **_year(y)}, _pd_per_grid, ("grid_id", "cases", "resolved")),
    Question("median_days_by_channel_category",
             "Median days from acceptance to resolution by channel and category, everywhere, latest year",
             "select channel, category,\n"
             "       percentile_cont(0.5) within group (order by closed_date - accepted_date) as median_days,\n"
             "       count(*) as resolved\n"
             "from dispute_case\nwhere identified_date between $start and $end and outcome = 'resolved'\n"
             "group by channel, category order by channel, category",
             lambda y: _year(y), _pd_median_days, ("channel", "category", "median_days", "resolved")),
)


def _canon(rows: list[dict], cols: tuple[str, ...]) -> list[tuple]:
    def c(v):
        if v is None:
            return None
        if hasattr(v, "isoformat"):
            return str(v)[:10]
        if isinstance(v, (int, float)) or type(v).__module__ == "numpy" or type(v).__name__ == "Decimal":
            return round(float(v), 6)
        return str(v)
    return sorted(tuple(c(r[k]) for k in cols) for r in rows)


def export_parquet(duck_cur, snapshot: Path, out_dir: Path) -> tuple[Path, float, bool]:
    """dispute_case as one Parquet file in warehouse order (row groups keep the region/date sort), once per snapshot."""
    folder = out_dir / f"parquet-{snapshot.stem}"
    target = folder / "dispute_case.parquet"
    if target.exists():
        return folder, 0.0, True
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tmp = folder / "dispute_case.parquet.tmp"
    duck_cur.execute(f"copy (select * from dispute_case) to '{tmp}' (format parquet, compression zstd, "
                     f"row_group_size 122880)")
    os.replace(tmp, target)
    return folder, time.perf_counter() - t0, False


def _time_callable(fn, repeats: int, budget_s: float, min_runs: int = 3) -> tuple[dict, object]:
    times, result = [], None
    start = time.perf_counter()
    for i in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        if i + 1 >= min_runs and time.perf_counter() - start > budget_s:
            break
    return {"runs": len(times), "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2)}, result


# --------------------------------------------------------------------------------------------------
# The comparison run
# --------------------------------------------------------------------------------------------------
def _pick_sets(timings: list[dict], quick: bool) -> list[dict]:
    """Per query: the slowest parameter set on DuckDB and (unless --quick) the median one."""
    by: dict[str, list[dict]] = {}
    for t in timings:
        if t["p50_ms"] is not None:
            by.setdefault(t["name"], []).append(t)
    out = []
    for name, ts in sorted(by.items()):
        ts = sorted(ts, key=lambda t: t["p50_ms"])
        picks = [ts[-1]] if quick else [ts[-1], ts[(len(ts) - 1) // 2]]
        seen = set()
        for t in picks:
            key = params_text(t["params"])
            if key not in seen:
                seen.add(key)
                out.append(t)
    return out


def compare(engines: tuple[str, ...], timings: list[dict], summary: list[dict], snapshot: Path, out_dir: Path,
            quick: bool, pg_sample: int, last_year: int, pandas_questions: tuple[str, ...] | None = None,
            install: bool = True) -> dict:
    import polars as pl

    from . import queries, warehouse

    repeats = 5 if quick else 10
    budget = 2.0 if quick else 10.0
    timeout = 30.0 if quick else 120.0
    result: dict = {"engines": list(engines), "repeats": repeats, "budget_s": budget, "pg_timeout_s": timeout}
    qs = [q for q in QUESTIONS if pandas_questions is None or q.key in pandas_questions]

    # DuckDB side of the five questions, through a cursor of the pages' connection.
    def duck(sql: str, params: dict):
        cur = warehouse.cursor()
        try:
            return pl.from_arrow(cur.sql(sql, params=params).to_arrow_table())
        finally:
            cur.close()

    questions = []
    for q in qs:
        params = q.params(last_year)
        stats, df = _time_callable(lambda: duck(q.sql, params), repeats, budget)
        questions.append({"key": q.key, "title": q.title, "sql": q.sql, "params": params, "duckdb": stats,
                          "_duck_rows": _canon(df.to_dicts(), q.check)})

    if "pandas" in engines:
        cur = warehouse.cursor()
        try:
            folder, secs, reused = export_parquet(cur, snapshot, out_dir)
        finally:
            cur.close()
        result["parquet"] = {"folder": str(folder), "export_s": round(secs, 1), "reused": reused,
                             "bytes": sum(p.stat().st_size for p in folder.glob("*.parquet"))}
        log(f"Parquet for pandas: {folder} ({result['parquet']['bytes'] / 1e9:.2f} GB"
             f"{', reused' if reused else f', exported in {secs:.0f} s'})")
        for entry, q in zip(questions, qs):
            try:
                stats, df = _time_callable(lambda: q.pandas(folder, entry["params"]), repeats, budget)
                entry["pandas"] = stats
                entry["pandas"]["same_answer"] = _canon(df.to_dict("records"), q.check) == entry["_duck_rows"]
            except Exception as exc:  # noqa: BLE001
                entry["pandas"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            log(f"pandas {q.key}: {entry['pandas']}")

    if "postgres" in engines:
        try:
            with PgCluster(install=install) as pg:
                cur = warehouse.cursor()
                try:
                    result["postgres_load"] = load_postgres(pg, cur, pg_sample)
                finally:
                    cur.close()
                result["postgres_version"] = pg.version
                result["postgres_settings"] = {k: v.strip("'") for k, v in PG_SETTINGS.items()}
                # The five questions
                for entry, q in zip(questions, qs):
                    try:
                        pg_sql = translate(q.sql)
                    except Exception as exc:  # noqa: BLE001
                        entry["postgres"] = {"error": f"translate: {exc}"[:300]}
                        continue
                    res = time_pg(pg, pg_sql, entry["params"], repeats, budget, timeout)
                    rows = res.pop("result")
                    if rows is not None:
                        res["same_answer"] = None if pg_sample > 1 else (
                            _canon(rows, q.check) == entry["_duck_rows"])
                    entry["postgres"] = res
                    log(f"PostgreSQL {q.key}: {res}")
                # Every page query (a slowest and a median parameter set of each)
                page_rows = []
                for t in _pick_sets(timings, quick):
                    row = {"name": t["name"], "params": t["params"], "duckdb_p50_ms": t["p50_ms"],
                           "duckdb_rows": t["rows"]}
                    try:
                        pg_sql = translate(queries.load(t["name"]).sql)
                    except Exception as exc:  # noqa: BLE001
                        row.update(translated=False, error=f"sqlglot: {exc}"[:300])
                        page_rows.append(row)
                        log(f"PostgreSQL {t['name']}: did not translate: {row['error']}")
                        continue
                    res = time_pg(pg, pg_sql, t["params"], repeats, budget, timeout)
                    res.pop("result")
                    row.update(translated=True, pg_p50_ms=res["p50_ms"], pg_runs=res["runs"], pg_rows=res["rows"],
                               error=res["error"])
                    row["ratio"] = round(res["p50_ms"] / t["p50_ms"], 1) if res["p50_ms"] and t["p50_ms"] else None
                    row["same_rows"] = None if pg_sample > 1 or res["rows"] is None else res["rows"] == t["rows"]
                    page_rows.append(row)
                    log(f"PostgreSQL {t['name']} ({params_text(t['params'])}): "
                         + (f"{res['p50_ms']:.0f} ms vs DuckDB {t['p50_ms']:.0f} ms" if res["p50_ms"] else
                            f"{res['error']}"))
                result["page_queries"] = page_rows
        except Exception as exc:  # noqa: BLE001 - the rest of the report is still worth writing
            result["postgres_error"] = f"{type(exc).__name__}: {exc}"[:500]
            log(f"PostgreSQL comparison failed: {result['postgres_error']}")

    for entry in questions:
        entry.pop("_duck_rows", None)
        d = entry["duckdb"]["p50_ms"]
        for eng in ("postgres", "pandas"):
            e = entry.get(eng)
            if e and e.get("p50_ms") and d:
                e["ratio"] = round(e["p50_ms"] / d, 1)
    result["questions"] = questions
    return result


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------
def _ratio(x) -> str:
    return "—" if x is None else f"{x:,.1f}×"


def markdown(c: dict) -> list[str]:
    L = ["## Side by side", ""]
    if c.get("postgres_version"):
        ld = c["postgres_load"]
        big = max(ld["tables"].items(), key=lambda kv: kv[1]["rows"])
        L += [f"PostgreSQL {c['postgres_version']} on 127.0.0.1 (private cluster; shared_buffers "
              f"{c['postgres_settings']['shared_buffers']}, work_mem {c['postgres_settings']['work_mem']}, "
              f"{c['postgres_settings']['max_parallel_workers_per_gather']} parallel workers per query, JIT default), "
              f"loaded with COPY in {ld['total_s']:,.0f} s ({big[0]}: {big[1]['rows']:,} rows"
              + (f", every {ld['sample']}th row only" if ld["sample"] > 1 else "") +
              f"), btree indexes on the filter columns, VACUUM ANALYZE; {ld['bytes'] / 1e9:.1f} GB on disk. "
              "Same SQL translated with sqlglot (duckdb → postgres), literals bound client-side. "
              f"p50 over up to {c['repeats']} runs after a warm-up run (a run longer than {c['budget_s']:g} s is "
              f"reported alone; timeout {c['pg_timeout_s']:g} s).", ""]
    elif c.get("postgres_error"):
        L += [f"PostgreSQL: not measured ({c['postgres_error']}).", ""]
    if c.get("parquet"):
        p = c["parquet"]
        L += [f"pandas {_pandas_version()} over Parquet (dispute_case, {p['bytes'] / 1e9:.2f} GB, zstd, row groups in "
              "warehouse order; filters pushed into read_parquet), read + compute timed each run.", ""]
    if c.get("questions"):
        L += ["### The design's questions", "",
              "| question | DuckDB p50 ms | PostgreSQL p50 ms | PG ÷ DuckDB | pandas p50 ms | pandas ÷ DuckDB | "
              "same answer |", "|---|---:|---:|---:|---:|---:|:-:|"]
        for q in c["questions"]:
            pg, pd_ = q.get("postgres") or {}, q.get("pandas") or {}
            same = [x.get("same_answer") for x in (pg, pd_) if x and "same_answer" in x]
            same_txt = "—" if not same or any(s is None for s in same) else ("✅" if all(same) else "❌")
            L.append(f"| {q['title']} | {ms_text(q['duckdb']['p50_ms'])} | "
                     f"{ms_text(pg.get('p50_ms')) if pg.get('p50_ms') else (pg.get('error', '—')[:40])} | "
                     f"{_ratio(pg.get('ratio'))} | "
                     f"{ms_text(pd_.get('p50_ms')) if pd_.get('p50_ms') else (pd_.get('error', '—')[:40])} | "
                     f"{_ratio(pd_.get('ratio'))} | {same_txt} |")
        L.append("")
    if c.get("page_queries"):
        L += ["### Every page query on PostgreSQL (the same SQL, translated)", "",
              "The slowest parameter set of each query on DuckDB" + ("" if c["repeats"] < 10 else
                                                                     " and its median one") + ".", "",
              "| query | parameters | DuckDB p50 ms | PostgreSQL p50 ms | ratio | rows agree | note |",
              "|---|---|---:|---:|---:|:-:|---|"]
        for r in c["page_queries"]:
            same = "—" if r.get("same_rows") is None else ("✅" if r["same_rows"] else "❌")
            note = "" if not r.get("error") else r["error"].replace("|", "/")[:120]
            L.append(f"| `{r['name']}` | {params_text(r['params'])} | {ms_text(r['duckdb_p50_ms'])} | "
                     f"{ms_text(r.get('pg_p50_ms'))} | {_ratio(r.get('ratio'))} | {same} | {note} |")
        failed = [r for r in c["page_queries"] if r.get("error")]
        L += ["", f"{len(failed)} of {len(c['page_queries'])} did not translate or run on PostgreSQL"
              + (": see the notes." if failed else "."), ""]
    return L


def _pandas_version() -> str:
    try:
        import pandas as pd

        return pd.__version__
    except Exception:  # noqa: BLE001
        return "?"


def print_summary(c: dict) -> None:
    if c.get("questions"):
        print()
        print(f"  {'question':34s} {'DuckDB':>9s} {'Postgres':>10s} {'ratio':>8s} {'pandas':>9s} {'ratio':>8s}")
        for q in c["questions"]:
            pg, pd_ = q.get("postgres") or {}, q.get("pandas") or {}
            print(f"  {q['key']:34s} {ms_text(q['duckdb']['p50_ms']):>9s} {ms_text(pg.get('p50_ms')):>10s} "
                  f"{_ratio(pg.get('ratio')):>8s} {ms_text(pd_.get('p50_ms')):>9s} {_ratio(pd_.get('ratio')):>8s}")
    if c.get("page_queries"):
        ok = [r for r in c["page_queries"] if r.get("ratio")]
        if ok:
            ratios = sorted(r["ratio"] for r in ok)
            print(f"  page queries on PostgreSQL: {len(ok)}/{len(c['page_queries'])} ran; ratio PG÷DuckDB median "
                  f"{ratios[len(ratios) // 2]:.1f}×, range {ratios[0]:.1f}×–{ratios[-1]:.1f}×")
    if c.get("postgres_error"):
        print(f"  PostgreSQL: {c['postgres_error']}")

