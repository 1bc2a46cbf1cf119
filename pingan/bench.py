"""The benchmark: every query every page runs, timed at a chosen scale, against the design's targets.

    python -m pingan.bench [--scale national|default|small] [--quick] [--compare postgres,pandas] [--out DIR]
                           [--state DIR] [--build-log FILE] [--pg-sample K] [--pages grid,disputes] [--repeats N]

What it does, in order:
1. Finds the warehouse: `--state DIR`, else PINGAN_STATE_DIR when its snapshot has the asked scale, else
   bench-results/state-<scale>/ (built there with `python -m pingan.demo --scale <scale>` when missing; the build's
   time and peak memory are measured).
2. Discovers the queries: runs every registered page (pingan/nav.py's PAGES list, files that exist) through Streamlit's
   AppTest with realistic scopes (all, a province, a prefecture, a county) and periods (the latest year, five
   years, a half year), while `pingan.queries.run` is wrapped to record every (query, parameters) call. The same
   runs give each page's server-side run time: cold (query cache cleared) and warm (the same page again), and the
   map payload each page sends (the deck.gl JSON in the page's output).
3. Times each distinct (query, parameters) through the pages' own code path (`queries.run`) with the cache cleared
   before every run: p50 and p95 over N runs (20, or 5 with --quick; fewer when one run takes seconds, so a slow
   query cannot stall the run: the number of runs is reported). EXPLAIN ANALYZE of the slowest queries gives the
   operators where their time goes.
4. Optionally (--compare) the same SQL on PostgreSQL (translated with sqlglot) and the design's five questions in
   pandas over Parquet: see pingan/bench_compare.py.
5. Writes <out>/<timestamp>/report.md and report.json and prints the figures beside the targets.

Nothing here changes the warehouse: the snapshot is opened read-only, as the pages open it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import config
from .timings import jsonable, log, ms_text, params_text, percentile

ROOT = config.ROOT
DEFAULT_OUT = ROOT / "bench-results"

# The design's performance targets (DESIGN.md, "Performance targets").
TARGETS = {
    "query_p95_ms": 100.0,          # every page query, p95, national scale, this 2-core machine
    "page_ms": 500.0,               # a page's server-side run
    "first_start_s": 30.0,          # first start at the default scale (build + first page)
    "map_province_county_bytes": 1_000_000,   # one province at county level
    "map_all_counties_bytes": 5_000_000,      # all counties of China
}

# Realistic scopes: everything, a province (云南), a prefecture (大理州), a county (大理市).
SCOPES = (("", "all"), ("530000", "province"), ("532900", "prefecture"), ("532901", "county"))
# Page-specific variants worth measuring: (page file, scope level, extra query parameters, label).
VARIANTS = (("pages/grid.py", "province", {"maplevel": "county"}, "map at county level"),)


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------
def _params_key(params: dict) -> tuple:
    return tuple(sorted((k, jsonable(v) if not isinstance(v, list) else tuple(v)) for k, v in params.items()))


def maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kilobytes


def _registered(root: Path = ROOT) -> list[tuple]:
    from .nav import PAGES

    return [p for p in PAGES if (root / p[0]).exists()]


def discover_pages(root: Path = ROOT) -> list[str]:
    """The page files app.py registers (pingan/nav.py's PAGES), in order, that exist."""
    return [p[0] for p in _registered(root)]


def default_page(root: Path = ROOT) -> str:
    """The page a session lands on (url path '')."""
    return next(p[0] for p in _registered(root) if p[1] == "")


# --------------------------------------------------------------------------------------------------
# The warehouse: find or build, describe
# --------------------------------------------------------------------------------------------------
def _snapshot_scale(state: Path) -> str | None:
    from . import warehouse

    cur = state / "warehouse" / "CURRENT"
    if not cur.exists():
        return None
    path = state / "warehouse" / cur.read_text(encoding="utf-8").strip()
    try:
        con = warehouse.reader(path)
        try:
            row = con.execute("select value from build_info where key = 'scale'").fetchone()
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - a snapshot we cannot read is not one to reuse
        return None
    return row[0] if row else None


def build_state(state: Path, scale: str) -> dict:
    """Build a snapshot of `scale` into `state` in a child process; returns its wall time and peak memory."""
    state.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PINGAN_STATE_DIR=str(state))
    cmd = [sys.executable, "-m", "pingan.demo", "--scale", scale]
    timer = Path("/usr/bin/time")
    if timer.exists():
        cmd = [str(timer), "-v"] + cmd
    log(f"building the {scale} warehouse in {state} (this takes a while at national scale)")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    (state / "build.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"build failed ({proc.returncode}); see {state / 'build.log'}")
    return {"wall_s": round(wall, 1), "peak_rss_mb": _rss_from_log(proc.stderr) or
            round(maxrss_mb(resource.RUSAGE_CHILDREN), 1), "log": str(state / "build.log")}


def _rss_from_log(text: str) -> float | None:
    m = re.findall(r"Maximum resident set size \(kbytes\):\s*(\d+)", text or "")
    return round(int(m[-1]) / 1024.0, 1) if m else None


def _wall_from_log(text: str) -> float | None:
    m = re.findall(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([\d:.]+)", text or "")
    if not m:
        return None
    secs = 0.0
    for part in m[-1].split(":"):
        secs = secs * 60 + float(part)
    return round(secs, 1)


def resolve_state(scale: str, state: str | None, out_root: Path) -> tuple[Path, dict]:
    """Where the warehouse is, and what is known about its build (only when this run built it)."""
    if state:
        path = Path(state)
        if _snapshot_scale(path) is None:
            raise SystemExit(f"no usable warehouse in {path}")
        return path, {"reused": True}
    env = os.environ.get("PINGAN_STATE_DIR")
    if env and _snapshot_scale(Path(env)) == scale:
        return Path(env), {"reused": True}
    path = out_root / f"state-{scale}"
    if _snapshot_scale(path) == scale:
        return path, {"reused": True}
    return path, dict(build_state(path, scale), reused=False)


def upgrade_state(state: Path) -> str | None:
    """A reused warehouse written before the derived tables (pingan/rollups.py) gets them first, in a new snapshot
    of its own state folder (the one app.py would otherwise write at its first start): the measured pages must not
    pay, nor be refused, that one-time upgrade."""
    env = dict(os.environ, PINGAN_STATE_DIR=str(state))
    code = "from pingan import build; print(build.ensure() or '')"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"upgrading the warehouse in {state} failed: {proc.stderr[-500:]}")
    message = proc.stdout.strip()
    if message:
        log(f"{message} ({time.perf_counter() - t0:.0f} s)")
    return message or None


def describe_warehouse(state: Path, build_log: str | None, built: dict) -> dict:
    """Build time and size, rows per table, the build's peak memory."""
    from . import warehouse

    snap = warehouse.current_path()
    cur = warehouse.cursor()
    try:
        info = dict(cur.execute("select key, value from build_info").fetchall())
        tables = [r[0] for r in cur.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_type = 'BASE TABLE' order by table_name").fetchall()]
        rows = {t: cur.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    finally:
        cur.close()
    size = snap.stat().st_size
    wal = snap.with_name(snap.name + ".wal")
    out = {
        "state_dir": str(state), "snapshot": snap.name, "scale": info.get("scale"), "seed": info.get("seed"),
        "as_of": info.get("as_of"), "built_at": info.get("built_at"),
        "build_seconds": float(info["build_seconds"]) if info.get("build_seconds") else None,
        "bytes": size + (wal.stat().st_size if wal.exists() else 0), "rows": rows,
        "build_peak_rss_mb": built.get("peak_rss_mb"), "build_wall_s": built.get("wall_s"),
        "reused": built.get("reused", True),
    }
    if build_log and Path(build_log).exists():
        text = Path(build_log).read_text(encoding="utf-8", errors="replace")
        out["build_log"] = build_log
        out["build_peak_rss_mb"] = _rss_from_log(text) or out["build_peak_rss_mb"]
        out["build_wall_s"] = _wall_from_log(text) or out["build_wall_s"]
    return out


@contextmanager
def guard_warehouse():
    """Make sure the benchmark only reads the warehouse it was given: while it runs, a build is refused outright
    (build.ensure(), which app.py calls, would otherwise rebuild a snapshot it found broken)."""
    from . import build

    original_build = build.build_snapshot

    def refuse(*args, **kwargs):
        raise RuntimeError("pingan.bench never builds a warehouse while it measures one")

    build.build_snapshot = refuse
    try:
        yield
    finally:
        build.build_snapshot = original_build


# --------------------------------------------------------------------------------------------------
# Recording what the pages ask
# --------------------------------------------------------------------------------------------------
@dataclass
class Call:
    name: str
    params: dict
    ms: float


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)

    @contextmanager
    def wrapping(self):
        """Replace pingan.queries.run by a wrapper that records each call (pages look it up at call time)."""
        from . import queries

        original = queries.run

        def recorded(name, **params):
            t0 = time.perf_counter()
            try:
                return original(name, **params)
            finally:
                self.calls.append(Call(name, dict(params), (time.perf_counter() - t0) * 1000))

        original_many = queries.run_many

        def recorded_many(calls):
            t0 = time.perf_counter()
            try:
                return original_many(calls)
            finally:  # side by side: each call is charged its share of the batch's wall time
                share = (time.perf_counter() - t0) * 1000 / max(len(calls), 1)
                self.calls.extend(Call(name, dict(params), share) for name, params in calls)

        queries.run, queries.run_many = recorded, recorded_many
        try:
            yield original
        finally:
            queries.run, queries.run_many = original, original_many

    def take(self) -> list[Call]:
        out, self.calls = self.calls, []
        return out


@dataclass(frozen=True)
class Combo:
    """One realistic view: a scope, a period (URL bounds) and page-specific extras."""
    region: str
    level: str
    period_label: str
    frm: str
    to: str
    extra: tuple = ()
    note: str = ""

    def query_params(self) -> dict:
        qp = {"from": self.frm, "to": self.to}
        if self.region:
            qp["region"] = self.region
        qp.update(dict(self.extra))
        return qp

    def label(self) -> str:
        base = f"{self.level}{(' ' + self.region) if self.region else ''} · {self.period_label}"
        return base + (f" · {self.note}" if self.note else "")


def combos_for(last_year: int, quick: bool, scopes=SCOPES) -> list[Combo]:
    """The scope × period matrix: every scope with the latest year, five years and a half year (--quick: the
    latest year for every scope, plus five years and a half year for the prefecture)."""
    periods = [("latest year", str(last_year), str(last_year)),
               ("five years", str(last_year - 4), str(last_year)),
               ("half year", f"{last_year}H1", f"{last_year}H1")]
    out = []
    for region, level in scopes:
        for i, (label, frm, to) in enumerate(periods):
            if quick and i > 0 and level != "prefecture":
                continue
            out.append(Combo(region, level, label, frm, to))
    return out


def variant_combos(page: str, combos: list[Combo]) -> list[Combo]:
    extra = []
    for vpage, level, params, note in VARIANTS:
        if vpage != page:
            continue
        for c in combos:
            if c.level == level and c.period_label == "latest year":
                extra.append(Combo(c.region, c.level, c.period_label, c.frm, c.to, tuple(params.items()), note))
    return extra


def _deck_payloads(at) -> list[int]:
    """Bytes of each deck.gl map the page sent (Streamlit ships the deck's JSON as is)."""
    sizes = []
    for el in at.get("deck_gl_json_chart"):
        text = getattr(el.proto, "json", "") or ""
        sizes.append(len(text.encode("utf-8")))
    return sizes


def _exceptions(at) -> list[str]:
    out = []
    for e in at.exception:
        msg = getattr(e, "message", None) or str(getattr(e, "value", e))
        trace = [line.strip() for line in (getattr(e, "stack_trace", None) or []) if line.strip()]
        where = next((t for t in reversed(trace) if t.startswith("File ")), "").splitlines()[:1]
        where = where[0] if where else ""
        out.append(f"{msg} ({where})"[:400] if where else msg[:400])
    return out


@contextmanager
def error_details():
    """Page errors with their message and place (the app's config redacts them for users)."""
    from streamlit import config as st_config

    before = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "full")
    try:
        yield
    finally:
        st_config.set_option("client.showErrorDetails", before)


def run_pages(pages: list[str], combos: list[Combo], recorder: Recorder, timeout_s: float = 600.0) -> list[dict]:
    """Each page × combo through AppTest: cold (query cache cleared) and warm (the same run again)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from . import queries

    results = []
    registration = None  # a cheap view to land on before switching: the county, one month
    landing = default_page()
    for page in pages:
        for combo in combos + variant_combos(page, combos):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout_s)
            if page != landing:
                # st.navigation registers the pages during a run; land on the default page with a cheap view,
                # then switch. Setting the real URL afterwards is what following a link does.
                registration = registration or {"region": "532901", "from": f"{combo.to[:4]}-12",
                                                "to": f"{combo.to[:4]}-12"}
                for k, v in registration.items():
                    at.query_params[k] = v
                at.run()
                recorder.take()
                at.query_params.clear()
                at.switch_page(str(ROOT / page))
            for k, v in combo.query_params().items():
                at.query_params[k] = v
            queries.clear_cache()
            st.cache_data.clear()
            t0 = time.perf_counter()
            at.run()
            cold = (time.perf_counter() - t0) * 1000
            calls = recorder.take()
            errors = _exceptions(at)
            t0 = time.perf_counter()
            at.run()
            warm = (time.perf_counter() - t0) * 1000
            warm_calls = recorder.take()
            errors += [e for e in _exceptions(at) if e not in errors]
            payloads = _deck_payloads(at)
            row = {
                "page": page, "combo": combo.label(), "region": combo.region, "level": combo.level,
                "period": combo.period_label, "from": combo.frm, "to": combo.to, "extra": dict(combo.extra),
                "cold_ms": round(cold, 1), "warm_ms": round(warm, 1),
                "query_calls": len(calls), "distinct_queries": len({(c.name, _params_key(c.params)) for c in calls}),
                "cold_query_ms": round(sum(c.ms for c in calls), 1),
                "warm_query_calls": len(warm_calls),
                "title": at.title[0].value if len(at.title) else None,
                "map_payload_bytes": payloads, "errors": errors,
                "calls": [{"name": c.name, "params": c.params, "ms": round(c.ms, 2)} for c in calls + warm_calls],
            }
            results.append(row)
            flag = "ERROR " + errors[0][:80] if errors else ""
            log(f"page {page:24s} {combo.label():42s} cold {cold:8.0f} ms  warm {warm:7.0f} ms  "
                 f"{len(calls):3d} query calls {flag}")
    return results


# --------------------------------------------------------------------------------------------------
# Timing each distinct query
# --------------------------------------------------------------------------------------------------
def distinct_calls(page_rows: list[dict]) -> list[dict]:
    """Every distinct (query, parameters) the pages ran, with the pages and views that ran it."""
    seen: dict[tuple, dict] = {}
    for row in page_rows:
        for c in row["calls"]:
            key = (c["name"], _params_key(c["params"]))
            entry = seen.setdefault(key, {"name": c["name"], "params": c["params"], "pages": set(), "views": set()})
            entry["pages"].add(row["page"])
            entry["views"].add(row["combo"])
    return list(seen.values())


def time_query(run, name: str, params: dict, repeats: int, budget_s: float, min_runs: int = 3) -> dict:
    """Run a query `repeats` times with the cache cleared before each run (stop early past the time budget,
    after at least `min_runs` runs)."""
    from . import queries

    times, rows, error = [], None, None
    start = time.perf_counter()
    for i in range(repeats):
        queries.clear_cache()
        t0 = time.perf_counter()
        try:
            df = run(name, **params)
        except Exception as exc:  # noqa: BLE001 - reported, and fails the CI-sized run
            error = f"{type(exc).__name__}: {exc}"[:300]
            break
        times.append((time.perf_counter() - t0) * 1000)
        rows = df.height
        if i + 1 >= min_runs and time.perf_counter() - start > budget_s:
            break
    return {"runs": len(times), "rows": rows, "error": error,
            "p50_ms": round(percentile(times, 50), 2) if times else None,
            "p95_ms": round(percentile(times, 95), 2) if times else None,
            "min_ms": round(min(times), 2) if times else None,
            "max_ms": round(max(times), 2) if times else None}


def time_queries(distinct: list[dict], repeats: int, budget_s: float) -> list[dict]:
    from . import queries

    out = []
    for i, d in enumerate(sorted(distinct, key=lambda d: (d["name"], params_text(d["params"])))):
        res = time_query(queries.run, d["name"], d["params"], repeats, budget_s)
        out.append({"name": d["name"], "params": d["params"], "pages": sorted(d["pages"]),
                    "views": sorted(d["views"]), **res})
        if res["error"]:
            log(f"query {d['name']} ({params_text(d['params'])}) FAILED: {res['error']}")
        elif (i + 1) % 25 == 0 or i + 1 == len(distinct):
            log(f"timed {i + 1}/{len(distinct)} distinct (query, parameters)")
    return out


def per_query(timings: list[dict], target_ms: float) -> list[dict]:
    """One row per query: its parameter sets, median p50, worst p95 and the parameters of the worst."""
    by: dict[str, list[dict]] = {}
    for t in timings:
        by.setdefault(t["name"], []).append(t)
    out = []
    for name, ts in sorted(by.items()):
        ok = [t for t in ts if t["p95_ms"] is not None]
        worst = max(ok, key=lambda t: t["p95_ms"]) if ok else None
        out.append({
            "name": name, "param_sets": len(ts), "errors": [t["error"] for t in ts if t["error"]],
            "p50_ms": round(statistics.median(t["p50_ms"] for t in ok), 2) if ok else None,
            "worst_p50_ms": max(t["p50_ms"] for t in ok) if ok else None,
            "worst_p95_ms": worst["p95_ms"] if worst else None,
            "worst_params": worst["params"] if worst else None,
            "pages": sorted({p for t in ts for p in t["pages"]}),
            "pass": bool(ok) and len(ok) == len(ts) and worst["p95_ms"] < target_ms,
        })
    return out


# --------------------------------------------------------------------------------------------------
# EXPLAIN ANALYZE hot spots
# --------------------------------------------------------------------------------------------------
def _walk(op: dict, out: list[dict]) -> None:
    info = op.get("extra_info") or {}
    detail = []
    for k in ("Table", "Type", "Filters", "Expression", "Groups", "Aggregates", "Join Type", "Conditions",
              "Order By", "Partition By"):
        v = info.get(k)
        if v:
            detail.append(f"{k}: {v if isinstance(v, str) else '; '.join(map(str, v))}")
    rec = {"operator": op.get("name"), "ms": round(float(op.get("timing") or 0) * 1000, 2),
           "rows_out": op.get("intermediate_rows"), "detail": " | ".join(detail)[:400]}
    if "rows_scanned" in op:
        rec["rows_scanned"] = op["rows_scanned"]
        rec["row_groups"] = f"{op.get('row_groups_scanned')}/{op.get('total_row_groups_to_scan')}"
    out.append(rec)
    for child in op.get("children") or []:
        _walk(child, out)


def explain_hotspots(name: str, params: dict, top: int = 4) -> dict:
    """DuckDB's EXPLAIN ANALYZE (JSON) of one query: its total and the operators that take the most time."""
    from . import queries, warehouse

    q = queries.load(name)
    cur = warehouse.cursor()
    try:
        t0 = time.perf_counter()
        row = cur.execute("explain (analyze, format json) " + q.sql, params).fetchall()
        wall = (time.perf_counter() - t0) * 1000
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        cur.close()
    plan = json.loads(row[0][1])
    ops: list[dict] = []
    for op in plan.get("operator") or plan.get("children") or []:
        _walk(op, ops)
    ops = [o for o in ops if o["operator"] not in ("RESULT_COLLECTOR", "EXPLAIN_ANALYZE")]
    total = sum(o["ms"] for o in ops)
    hot = sorted(ops, key=lambda o: -o["ms"])[:top]
    for o in hot:
        o["share"] = round(o["ms"] / total, 3) if total else None
    return {"wall_ms": round(wall, 1), "operator_ms": round(total, 1), "hot": hot,
            "bytes_read": (plan.get("io") or {}).get("total_bytes_read")}


# --------------------------------------------------------------------------------------------------
# Map payloads
# --------------------------------------------------------------------------------------------------
SCREEN_WIDTH_PX = {"province": 560, "all": 1100}  # the grid page's map column at 1440 px; a wall map at 1920 px


def synthetic_map_payloads() -> dict:
    """Bytes of a choropleth deck built with pingan.maps for the design's scopes (a province at county level,
    all prefectures, all counties of China), when pingan.maps offers the functions to build one: with the
    boundary files as they are ('raw') and, where pingan.maps can, simplified to what the screen shows."""
    try:
        from . import maps

        needed = ("features", "choropleth_layer", "deck", "fit_view", "bounds")
        if not all(hasattr(maps, f) for f in needed):
            return {"status": "not yet measurable: pingan.maps has no " + ", ".join(
                f for f in needed if not hasattr(maps, f))}
    except Exception as exc:  # noqa: BLE001
        return {"status": f"not yet measurable: pingan.maps does not import ({type(exc).__name__})"}

    def payload(feats: list[dict]) -> int:
        # A tooltip as the grid page writes one (name, value, rank, population, grids).
        tips = {f["properties"]["code"]: f"{f['properties']['name']}\n每万人网格数:12.3 个\n排名:第12位 / 129\n"
                f"常住人口:45.6万人\n网格 1,234 个 · 网格员 2,345 人" for f in feats}
        values = {code: float(i % 97) for i, code in enumerate(tips)}
        cuts = [20.0, 40.0, 60.0, 80.0]
        layer = maps.choropleth_layer(feats, values, tips, cuts)
        d = maps.deck([layer], maps.fit_view(maps.bounds(feats)))
        return len(d.to_json().encode("utf-8"))

    simplify = hasattr(maps, "tolerance_for")

    def counties(province: str, width_px: int, box=None) -> list[dict]:
        if not simplify:
            return maps.features("county", province)
        box = box or maps.bounds(maps.features("county", province))
        return maps.features("county", province, tolerance=maps.tolerance_for(box, width_px))

    out = {"status": "measured", "simplified": simplify}
    try:
        provinces = sorted({f["properties"]["code"][:2] + "0000" for f in maps.features("province")})
        out["province_530000_counties_raw"] = payload(maps.features("county", "530000"))
        out["province_530000_counties"] = payload(counties("530000", SCREEN_WIDTH_PX["province"]))
        per_prov = {p: payload(counties(p, SCREEN_WIDTH_PX["province"])) for p in provinces
                    if maps.features("county", p)}
        biggest = max(per_prov, key=per_prov.get)
        out["largest_province_counties"] = {"province": biggest, "bytes": per_prov[biggest]}
        out["all_prefectures_raw"] = payload(maps.features("prefecture"))
        raw_all = [f for p in provinces for f in maps.features("county", p)]
        out["all_counties_raw"] = payload(raw_all)
        china = maps.bounds(maps.features("province"))
        out["all_counties"] = payload([f for p in provinces for f in counties(p, SCREEN_WIDTH_PX["all"], china)])
        out["all_counties_features"] = len(raw_all)
    except Exception as exc:  # noqa: BLE001
        out["status"] = f"partly measured: {type(exc).__name__}: {exc}"[:300]
    return out


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------
def run(scale: str = "default", quick: bool = False, compare: tuple[str, ...] = (), out: Path | None = None,
        state: str | None = None, build_log: str | None = None, repeats: int | None = None,
        pages: list[str] | None = None, combos: list[Combo] | None = None, budget_s: float | None = None,
        pg_sample: int = 1, pandas_questions: tuple[str, ...] | None = None, explain_top: int = 5,
        install_postgres: bool = True) -> dict:
    """Run the benchmark; returns the report (also written to <out>/<timestamp>/report.json and report.md)."""
    t_start = time.perf_counter()
    out_root = Path(out) if out else DEFAULT_OUT
    out_root.mkdir(parents=True, exist_ok=True)
    state_dir, built = resolve_state(scale, state, out_root)
    built["upgraded"] = upgrade_state(state_dir)
    # The pages write to the state folder (audit log, SQL history, the sandbox's link to the snapshot): run them
    # in a private folder whose warehouse/ only points at the measured snapshot, so that folder stays untouched.
    overlay = overlay_state(state_dir, out_root)
    previous_state = os.environ.get("PINGAN_STATE_DIR")
    os.environ["PINGAN_STATE_DIR"] = str(overlay)
    try:
        with guard_warehouse():
            return _measure(scale, quick, compare, out_root, state_dir, built, build_log, repeats, pages, combos,
                            budget_s, pg_sample, pandas_questions, explain_top, install_postgres, t_start)
    finally:
        if previous_state is None:
            os.environ.pop("PINGAN_STATE_DIR", None)
        else:
            os.environ["PINGAN_STATE_DIR"] = previous_state
        from . import queries

        queries.clear_cache()
        shutil.rmtree(overlay, ignore_errors=True)  # removes the links, never the snapshot they point at


def overlay_state(state_dir: Path, out_root: Path) -> Path:
    """A fresh state folder with warehouse/CURRENT and a symbolic link to `state_dir`'s current snapshot."""
    import tempfile

    name = (state_dir / "warehouse" / "CURRENT").read_text(encoding="utf-8").strip()
    overlay = Path(tempfile.mkdtemp(prefix="bench-state-", dir=str(out_root)))
    (overlay / "warehouse").mkdir()
    (overlay / "warehouse" / name).symlink_to((state_dir / "warehouse" / name).resolve())
    (overlay / "warehouse" / "CURRENT").write_text(name, encoding="utf-8")
    return overlay


def _measure(scale, quick, compare, out_root, state_dir, built, build_log, repeats, pages, combos, budget_s,
             pg_sample, pandas_questions, explain_top, install_postgres, t_start) -> dict:
    from . import queries, warehouse

    at_start = _load_and_memory()

    queries.clear_cache()
    warehouse.connection()  # opens the current snapshot of this state folder (read-only)
    wh = describe_warehouse(state_dir, build_log, built)
    if wh["scale"] != scale:
        log(f"note: the warehouse in {state_dir} has scale {wh['scale']!r}, not {scale!r}")
    last_year = int((wh["as_of"] or "2022-12-31")[:4])
    repeats = repeats or (5 if quick else 20)
    budget_s = budget_s if budget_s is not None else (1.0 if quick else 4.0)
    all_pages = discover_pages()
    page_list = [p for p in all_pages if not pages or Path(p).stem in pages or p in pages]
    combos = combos if combos is not None else combos_for(last_year, quick)
    log(f"warehouse {wh['snapshot']} ({wh['scale']}, {wh['bytes'] / 1e9:.2f} GB); pages: "
         f"{', '.join(Path(p).stem for p in page_list)}; {len(combos)} views each")

    # First start as a user meets it: the first app run in a fresh process (imports, connection, first page).
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    first_run_s = time.perf_counter() - t0
    first_errors = _exceptions(first)

    recorder = Recorder()
    with recorder.wrapping() as original_run, error_details():
        page_rows = run_pages(page_list, combos, recorder)
    distinct = distinct_calls(page_rows)
    log(f"{len(distinct)} distinct (query, parameters) from {len({d['name'] for d in distinct})} queries; "
         f"timing each {repeats}x (budget {budget_s:g} s per set)")
    timings = time_queries(distinct, repeats, budget_s)
    summary = per_query(timings, TARGETS["query_p95_ms"])
    slowest = sorted([s for s in summary if s["worst_p95_ms"] is not None], key=lambda s: -s["worst_p95_ms"])
    hotspots = []
    for s in slowest[:explain_top]:
        hotspots.append({"name": s["name"], "params": s["worst_params"], "p95_ms": s["worst_p95_ms"],
                         **explain_hotspots(s["name"], s["worst_params"])})
    _ = original_run
    payload = {"pages": _page_payloads(page_rows), "synthetic": synthetic_map_payloads()}

    comparisons = {}
    if compare:
        from . import bench_compare

        comparisons = bench_compare.compare(
            engines=tuple(compare), timings=timings, summary=summary, snapshot=warehouse.current_path(),
            out_dir=out_root, quick=quick, pg_sample=pg_sample, last_year=last_year,
            pandas_questions=pandas_questions, install=install_postgres)

    report = {
        "created": datetime.now().isoformat(timespec="seconds"), "scale": scale, "quick": quick,
        "machine": _machine(at_start), "targets": TARGETS, "warehouse": wh,
        "first_start": {"build_seconds": wh["build_seconds"], "first_app_run_s": round(first_run_s, 2),
                        "total_s": round((wh["build_seconds"] or 0) + first_run_s, 1),
                        "applies": wh["scale"] == "default", "errors": first_errors},
        "pages": [{k: v for k, v in r.items() if k != "calls"} for r in page_rows],
        "page_summary": _page_summary(page_rows),
        "queries": summary, "query_runs": timings, "hotspots": hotspots, "map_payload": payload,
        "comparisons": comparisons, "repeats": repeats, "budget_s": budget_s,
        "peak_rss_mb": round(maxrss_mb(), 1), "bench_seconds": round(time.perf_counter() - t_start, 1),
    }
    report["verdict"] = verdict(report)
    folder = out_root / datetime.now().strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=jsonable),
                                        encoding="utf-8")
    (folder / "report.md").write_text(markdown(report), encoding="utf-8")
    report["folder"] = str(folder)
    print_summary(report)
    return report


def _load_and_memory() -> dict:
    """Load average (1, 5, 15 min) and available memory: the machine is shared, so say how busy it was."""
    try:
        load = [round(x, 1) for x in os.getloadavg()]
    except OSError:
        load = None
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"loadavg": load, "mem_available_gb": avail}


def _machine(at_start: dict) -> dict:
    import duckdb
    import streamlit

    return {"cpus": os.cpu_count(), "at_start": at_start, "at_end": _load_and_memory(),
            "python": sys.version.split()[0], "duckdb": duckdb.__version__, "streamlit": streamlit.__version__}


def _page_payloads(page_rows: list[dict]) -> list[dict]:
    return [{"page": r["page"], "view": r["combo"], "bytes": max(r["map_payload_bytes"])}
            for r in page_rows if r["map_payload_bytes"]]


def _page_summary(page_rows: list[dict]) -> list[dict]:
    by: dict[str, list[dict]] = {}
    for r in page_rows:
        by.setdefault(r["page"], []).append(r)
    out = []
    for page, rows in by.items():
        worst = max(rows, key=lambda r: r["cold_ms"])
        out.append({"page": page, "views": len(rows),
                    "cold_median_ms": round(statistics.median(r["cold_ms"] for r in rows), 1),
                    "cold_worst_ms": worst["cold_ms"], "cold_worst_view": worst["combo"],
                    "warm_median_ms": round(statistics.median(r["warm_ms"] for r in rows), 1),
                    "warm_worst_ms": max(r["warm_ms"] for r in rows),
                    "query_calls_max": max(r["query_calls"] for r in rows),
                    "errors": sorted({e for r in rows for e in r["errors"]}),
                    "pass": not any(r["errors"] for r in rows) and worst["cold_ms"] < TARGETS["page_ms"]})
    return out


def verdict(report: dict) -> list[dict]:
    """Each target with the measured figure and whether it is met."""
    T = report["targets"]
    out = []
    qs = [q for q in report["queries"] if q["worst_p95_ms"] is not None]
    if qs:
        worst = max(qs, key=lambda q: q["worst_p95_ms"])
        missed = [q["name"] for q in report["queries"] if not q["pass"]]
        out.append({"target": f"every page query p95 < {T['query_p95_ms']:.0f} ms (national scale)",
                    "measured": f"worst {worst['worst_p95_ms']:.0f} ms ({worst['name']}); "
                                f"{len(qs) - len(missed)}/{len(report['queries'])} queries meet it",
                    "met": not missed, "missed": missed})
    ps = report["page_summary"]
    if ps:
        worst = max(ps, key=lambda p: p["cold_worst_ms"])
        warm_worst = max(ps, key=lambda p: p["warm_worst_ms"])
        out.append({"target": f"page server-side run < {T['page_ms']:.0f} ms",
                    "measured": f"worst cold {worst['cold_worst_ms']:.0f} ms ({Path(worst['page']).stem}, "
                                f"{worst['cold_worst_view']}); worst warm {warm_worst['warm_worst_ms']:.0f} ms "
                                f"({Path(warm_worst['page']).stem})",
                    "met": all(p["pass"] for p in ps),
                    "missed": [p["page"] for p in ps if not p["pass"]]})
    fs = report["first_start"]
    out.append({"target": f"first start < {T['first_start_s']:.0f} s (default scale)",
                "measured": f"build {fs['build_seconds']} s + first page {fs['first_app_run_s']} s = "
                            f"{fs['total_s']} s" + ("" if fs["applies"] else
                                                    f" (this run is at {report['warehouse']['scale']} scale)"),
                "met": (fs["total_s"] < T["first_start_s"]) if fs["applies"] else None})
    syn = report["map_payload"]["synthetic"]
    pages_pl = report["map_payload"]["pages"]
    prov = [p for p in pages_pl if "county level" in p["view"]]
    if syn.get("province_530000_counties") or prov:
        parts, sizes = [], []
        if prov:
            worst = max(prov, key=lambda p: p["bytes"])
            parts.append(f"{Path(worst['page']).stem} page, 云南 at county level (all layers): "
                         f"{worst['bytes'] / 1e6:.2f} MB")
            sizes.append(worst["bytes"])
        if syn.get("province_530000_counties"):
            lp = syn["largest_province_counties"]
            parts.append(f"choropleth alone: 云南 {syn['province_530000_counties'] / 1e6:.2f} MB, largest province "
                         f"({lp['province']}) {lp['bytes'] / 1e6:.2f} MB")
            sizes += [syn["province_530000_counties"], lp["bytes"]]
        out.append({"target": "map payload, one province at county level < 1 MB", "measured": "; ".join(parts),
                    "met": max(sizes) < T["map_province_county_bytes"]})
    else:
        out.append({"target": "map payload, one province at county level < 1 MB",
                    "measured": syn.get("status", "not yet measurable"), "met": None})
    if syn.get("all_counties"):
        out.append({"target": "map payload, all counties of China < 5 MB",
                    "measured": f"{syn['all_counties'] / 1e6:.2f} MB ({syn['all_counties_features']} counties"
                                + (", simplified to the screen; " + f"{syn['all_counties_raw'] / 1e6:.2f} MB raw)"
                                   if syn.get("simplified") else ")"),
                    "met": syn["all_counties"] < T["map_all_counties_bytes"]})
    else:
        out.append({"target": "map payload, all counties of China < 5 MB",
                    "measured": syn.get("status", "not yet measurable"), "met": None})
    return out


def time_queries_spark(calls, repeats: int = 5, budget_s: float = 60.0, min_runs: int = 3) -> dict:
    """Time (query name, params) calls on Spark for the benchmark: median and p95 of `repeats` runs each.

    `calls` holds (name, params) pairs or dicts with "name" and "params". The first run of each call is a
    warm-up (parsing, planning, file listing) and is reported apart. Returns {"engine", "master", "spark_version",
    "setup": {...seconds}, "queries": [{"name", "params", "runs", "rows", "error", "p50_ms", "p95_ms", "min_ms",
    "max_ms", "first_ms"}]}, the same per-query keys as time_query.
    """
    from . import queries, spark_engine

    setup = spark_engine.prepare()
    out = []
    for call in calls:
        name, params = (call["name"], call["params"]) if isinstance(call, dict) else call
        params = dict(params)
        q = queries.load(name)
        times, rows, error, first = [], None, None, None
        start = time.perf_counter()
        try:
            t0 = time.perf_counter()
            df = spark_engine.run(q, params)
            first = (time.perf_counter() - t0) * 1000
            rows = df.height
            for i in range(repeats):
                t0 = time.perf_counter()
                spark_engine.run(q, params)
                times.append((time.perf_counter() - t0) * 1000)
                if i + 1 >= min_runs and time.perf_counter() - start > budget_s:
                    break
        except Exception as exc:  # noqa: BLE001 - reported per query
            error = f"{type(exc).__name__}: {exc}"[:300]
        out.append({"name": name, "params": params, "runs": len(times), "rows": rows, "error": error,
                    "first_ms": round(first, 2) if first is not None else None,
                    "p50_ms": round(statistics.median(times), 2) if times else None,
                    "p95_ms": round(percentile(times, 95), 2) if times else None,
                    "min_ms": round(min(times), 2) if times else None,
                    "max_ms": round(max(times), 2) if times else None})
    return {"engine": "spark", "master": spark_engine.master(), "spark_version": spark_engine.session().version, "setup": setup,
            "queries": out}


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------
def _mark(ok) -> str:
    return "—" if ok is None else ("✅" if ok else "❌")


def markdown(r: dict) -> str:
    wh = r["warehouse"]
    L = [f"# 平安驾驶舱 benchmark — {wh['scale']} scale, {r['created']}", "",
         f"Machine: {r['machine']['cpus']} cores shared with other work: load average (1/5/15 min) "
         f"{r['machine']['at_start']['loadavg']} at the start and {r['machine']['at_end']['loadavg']} at the end, "
         f"{r['machine']['at_start']['mem_available_gb']} GB memory available at the start; "
         f"Python {r['machine']['python']}, DuckDB {r['machine']['duckdb']}, Streamlit "
         f"{r['machine']['streamlit']}. Runs per query: {r['repeats']} (fewer when a set passed its "
         f"{r['budget_s']:g} s budget; `runs` says how many). Benchmark took {r['bench_seconds']:.0f} s; "
         f"peak memory of the benchmark process {r['peak_rss_mb']:,.0f} MB.", "",
         "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for v in r["verdict"]:
        L.append(f"| {v['target']} | {v['measured']} | {_mark(v['met'])} |")
    L += ["", "## Warehouse", "", "| item | value |", "|---|---|",
          f"| snapshot | `{wh['snapshot']}` ({wh['state_dir']}) |",
          f"| build time (build_info) | {wh['build_seconds']} s |"]
    if wh.get("build_wall_s"):
        L.append(f"| build wall time (incl. process start) | {wh['build_wall_s']} s |")
    if wh.get("build_peak_rss_mb"):
        L.append(f"| build peak memory (max RSS) | {wh['build_peak_rss_mb']:,.0f} MB |")
    L.append(f"| file size | {wh['bytes'] / 1e9:.2f} GB |")
    for t, n in sorted(wh["rows"].items(), key=lambda kv: -kv[1]):
        L.append(f"| rows: {t} | {n:,} |")

    L += ["", "## Queries (DuckDB, cache cleared before each run)", "",
          f"Target: p95 < {r['targets']['query_p95_ms']:.0f} ms at national scale. One row per query; "
          "`p50` is the median over its parameter sets, `worst p95` the slowest set.", "",
          "| query | param sets | p50 ms | worst p50 ms | worst p95 ms | worst parameters | pass |",
          "|---|---:|---:|---:|---:|---|:-:|"]
    for q in sorted(r["queries"], key=lambda q: -(q["worst_p95_ms"] or 1e9)):
        err = f" ⚠ {len(q['errors'])} failed" if q["errors"] else ""
        L.append(f"| `{q['name']}`{err} | {q['param_sets']} | {ms_text(q['p50_ms'])} | {ms_text(q['worst_p50_ms'])} | "
                 f"{ms_text(q['worst_p95_ms'])} | {params_text(q['worst_params'] or {})} | {_mark(q['pass'])} |")

    L += ["", "## Pages (server-side run, AppTest)", "",
          f"Target: < {r['targets']['page_ms']:.0f} ms. Cold = query cache cleared; warm = the same view again. "
          "`calls` = queries.run calls in the cold run (round trips, cache hits included).", "",
          "| page | views | cold median ms | cold worst ms (view) | warm median ms | warm worst ms | calls (max) "
          "| pass |", "|---|---:|---:|---|---:|---:|---:|:-:|"]
    for p in r["page_summary"]:
        err = f" ⚠ {p['errors'][0][:60]}" if p["errors"] else ""
        L.append(f"| {Path(p['page']).stem}{err} | {p['views']} | {ms_text(p['cold_median_ms'])} | "
                 f"{ms_text(p['cold_worst_ms'])} ({p['cold_worst_view']}) | {ms_text(p['warm_median_ms'])} | "
                 f"{ms_text(p['warm_worst_ms'])} | {p['query_calls_max']} | {_mark(p['pass'])} |")
    L += ["", "<details><summary>Every page × view</summary>", "",
          "| page | view | cold ms | of which queries ms | warm ms | calls | distinct | map bytes |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for p in r["pages"]:
        mb = ", ".join(f"{b:,}" for b in p["map_payload_bytes"]) or "—"
        L.append(f"| {Path(p['page']).stem} | {p['combo']} | {ms_text(p['cold_ms'])} | {ms_text(p['cold_query_ms'])} | "
                 f"{ms_text(p['warm_ms'])} | {p['query_calls']} | {p['distinct_queries']} | {mb} |")
    L += ["", "</details>", ""]

    fs = r["first_start"]
    L += ["## First start", "", f"Build {fs['build_seconds']} s (build_info of this snapshot) + first app run "
          f"{fs['first_app_run_s']} s (fresh process: imports, connection, overview page) = {fs['total_s']} s"
          + ("" if fs["applies"] else f" — the target applies to the default scale; this run is at "
             f"{wh['scale']} scale") + ".", ""]

    L += ["## Map payload", ""]
    syn = r["map_payload"]["synthetic"]
    if syn.get("status") == "measured":
        lp = syn["largest_province_counties"]
        shown = "simplified to the screen" if syn.get("simplified") else "boundary files as they are"
        L += ["| scope | bytes (raw boundaries) | bytes (" + shown + ") | target | met |", "|---|---:|---:|---:|:-:|",
              f"| one province at county level (云南 530000) | {syn['province_530000_counties_raw']:,} | "
              f"{syn['province_530000_counties']:,} | 1 MB | {_mark(syn['province_530000_counties'] < 1e6)} |",
              f"| largest province at county level ({lp['province']}) | — | {lp['bytes']:,} | 1 MB | "
              f"{_mark(lp['bytes'] < 1e6)} |",
              f"| all prefectures of China | {syn['all_prefectures_raw']:,} | — | — | — |",
              f"| all counties of China ({syn['all_counties_features']}) | {syn['all_counties_raw']:,} | "
              f"{syn['all_counties']:,} | 5 MB | {_mark(syn['all_counties'] < 5e6)} |", "",
              "Built with pingan.maps (choropleth layer with tooltips as the grid page writes them, compact JSON); "
              f"bytes = len(deck.to_json()); simplified with maps.tolerance_for at {SCREEN_WIDTH_PX['province']} px "
              f"(a province) and {SCREEN_WIDTH_PX['all']} px (China).", ""]
    else:
        L += [f"Synthetic decks: {syn.get('status')}", ""]
    if r["map_payload"]["pages"]:
        L += ["Maps the pages sent (deck.gl JSON in the page output):", "", "| page | view | bytes |",
              "|---|---|---:|"]
        for p in r["map_payload"]["pages"]:
            L.append(f"| {Path(p['page']).stem} | {p['view']} | {p['bytes']:,} |")
        L.append("")

    if r["hotspots"]:
        L += ["## Slowest queries: where the time goes (DuckDB EXPLAIN ANALYZE)", ""]
        for h in r["hotspots"]:
            L += [f"### `{h['name']}` — p95 {ms_text(h['p95_ms'])} ms ({params_text(h['params'] or {})})", ""]
            if h.get("error"):
                L += [f"EXPLAIN failed: {h['error']}", ""]
                continue
            L += ["| operator | ms | share | rows out | scanned | detail |", "|---|---:|---:|---:|---|---|"]
            for o in h["hot"]:
                scanned = f"{o['rows_scanned']:,} rows, row groups {o['row_groups']}" if "rows_scanned" in o else ""
                detail = o["detail"].replace("|", "/")
                L.append(f"| {o['operator']} | {ms_text(o['ms'])} | {o['share'] or 0:.0%} | {o['rows_out'] or 0:,} | "
                         f"{scanned} | {detail[:220]} |")
            L.append("")

    if r["comparisons"]:
        from . import bench_compare

        L += bench_compare.markdown(r["comparisons"])

    L += ["<details><summary>Every (query, parameters) timed</summary>", "",
          "| query | parameters | runs | rows | p50 ms | p95 ms |", "|---|---|---:|---:|---:|---:|"]
    for t in r["query_runs"]:
        L.append(f"| `{t['name']}` | {params_text(t['params'])} | {t['runs']} | {t['rows'] if t['rows'] is not None else '—'} | "
                 f"{ms_text(t['p50_ms'])} | {ms_text(t['p95_ms'])} |" + (f" ⚠ {t['error'][:80]}" if t["error"] else ""))
    L += ["", "</details>", ""]
    return "\n".join(L)


def print_summary(r: dict) -> None:
    print()
    print(f"== 平安驾驶舱 benchmark ({r['warehouse']['scale']} scale) ==")
    for v in r["verdict"]:
        print(f"  {_mark(v['met'])}  {v['target']:55s} {v['measured']}")
    print()
    print(f"  {'query':40s} {'p50 ms':>9s} {'worst p95':>10s}  target {r['targets']['query_p95_ms']:.0f} ms")
    for q in sorted(r["queries"], key=lambda q: -(q["worst_p95_ms"] or 1e9)):
        print(f"  {q['name']:40s} {ms_text(q['p50_ms']):>9s} {ms_text(q['worst_p95_ms']):>10s}  {_mark(q['pass'])}")
    print()
    print(f"  {'page':24s} {'cold med':>9s} {'cold worst':>11s} {'warm med':>9s}  target {r['targets']['page_ms']:.0f} ms")
    for p in r["page_summary"]:
        print(f"  {Path(p['page']).stem:24s} {ms_text(p['cold_median_ms']):>9s} {ms_text(p['cold_worst_ms']):>11s} "
              f"{ms_text(p['warm_median_ms']):>9s}  {_mark(p['pass'])}")
    if r["comparisons"]:
        from . import bench_compare

        bench_compare.print_summary(r["comparisons"])
    print()
    print(f"  report: {r['folder']}/report.md (and report.json); peak RSS {r['peak_rss_mb']:,.0f} MB; "
          f"{r['bench_seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pingan.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=["national", "default", "small"], default="default")
    ap.add_argument("--quick", action="store_true", help="5 runs per query and fewer views per page")
    ap.add_argument("--compare", default="", help="comma-separated: postgres,pandas")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default bench-results/)")
    ap.add_argument("--state", help="state folder of an existing warehouse to reuse (read-only)")
    ap.add_argument("--build-log", help="log of the build of that warehouse (for its wall time and peak memory)")
    ap.add_argument("--repeats", type=int, help="runs per (query, parameters); default 20, --quick 5")
    ap.add_argument("--budget", type=float, help="seconds per (query, parameters) before stopping early "
                                                 "(after 3 runs); default 4, --quick 1")
    ap.add_argument("--pages", help="only these pages (comma-separated stems: grid,disputes)")
    ap.add_argument("--pg-sample", type=int, default=1,
                    help="load only every K-th dispute case and grid into PostgreSQL (default 1 = all rows)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install PostgreSQL when missing")
    args = ap.parse_args(argv)
    # A TERM (kill PID) unwinds like Ctrl+C, so a PostgreSQL cluster the run started is stopped and deleted.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    compare = tuple(c.strip() for c in args.compare.split(",") if c.strip())
    unknown = set(compare) - {"postgres", "pandas"}
    if unknown:
        ap.error(f"unknown --compare engine(s): {', '.join(sorted(unknown))}")
    report = run(scale=args.scale, quick=args.quick, compare=compare, out=Path(args.out), state=args.state,
                 build_log=args.build_log, repeats=args.repeats, budget_s=args.budget,
                 pages=[p.strip() for p in args.pages.split(",")] if args.pages else None,
                 pg_sample=args.pg_sample, install_postgres=not args.no_install)
    failed = [p for p in report["pages"] if p["errors"]] + [q for q in report["query_runs"] if q["error"]]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
