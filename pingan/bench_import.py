"""Times the import of a large record-level dispute file (target: 1,000,000 rows in under 60 s at default scale)
and the validation of a large aggregated report (target: 100,000 rows in under 10 s).

    python -m pingan.bench_import [--rows 1000000] [--report-rows 100000] [--only cases|reports]
                                  [--scale default] [--state DIR] [--out bench-results]

Works on a copy of the warehouse's current snapshot in a temporary state folder (the measured warehouse is never
written), generates a valid CSV of that many cases over counties of the warehouse (the generator of the
importer's tests use too, pingan/bench_files.py), then validates and loads it as the page does, recording how
long each step of the progress bar took. The report case validates (nothing is loaded) an aggregated report of
county × month rows of the dispute stages, the shape whose overlap check was once quadratic. Prints a table and
writes import-<time>.json (and import-reports-<time>.json) beside the other reports.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from . import bench_files, config

DEFAULT_OUT = config.ROOT / "bench-results"
TARGET_S = 60.0
REPORT_TARGET_S = 10.0
MONTHS_PER_REGION = 276  # bench_files.make_agg_csv: every month of 2000-2022 for one region, then the next



def _counties(snapshot: Path, k: int = 6) -> list[str]:
    from . import warehouse

    con = warehouse.reader(snapshot)
    try:
        return [r[0] for r in con.execute(
            "select county_code from dispute_case group by county_code order by count(*) desc limit ?", [k]
        ).fetchall()]
    finally:
        con.close()


def _all_counties(snapshot: Path) -> list[str]:
    from . import warehouse

    con = warehouse.reader(snapshot)
    try:
        return [r[0] for r in con.execute(
            "select code from region where level = 'county' and in_scope order by code").fetchall()]
    finally:
        con.close()


def run(rows: int, state: Path, out: Path | None = None, year: int = 2022) -> dict:
    """Validate and load `rows` generated cases into a copy of `state`'s current snapshot; returns the timings."""
    snapshot = state / "warehouse" / (state / "warehouse" / "CURRENT").read_text(encoding="utf-8").strip()
    counties = _counties(snapshot)
    previous = os.environ.get("PINGAN_STATE_DIR")
    with tempfile.TemporaryDirectory(prefix="pingan-import-bench-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        folder = bench_files.isolated_state(snapshot, tmp / "state")
        copy_s = time.perf_counter() - t0
        path = bench_files.make_cases_csv(tmp / f"cases_{rows}.csv", rows, counties, year=year)
        file_mb = round(path.stat().st_size / 2**20, 1)
        os.environ["PINGAN_STATE_DIR"] = str(folder)
        try:
            from . import importer, queries, warehouse

            queries.clear_cache()
            steps: list[tuple[float, str]] = []
            start = time.perf_counter()

            def progress(frac, text):
                steps.append((time.perf_counter() - start, text))

            report = importer.validate([importer.Upload.from_path(path)], progress=progress)
            validate_s = time.perf_counter() - start
            if report.errors:
                raise RuntimeError(f"generated file has {report.errors} errors")
            load_start = time.perf_counter()
            entry = importer.load(report, who="bench", via="cli", progress=progress)
            load_s = time.perf_counter() - load_start
            total_s = time.perf_counter() - start
            cur = warehouse.cursor()
            try:
                imported = cur.execute("select count(*) from dispute_case where source = ?",
                                       [f"import:{entry['load_id']}"]).fetchone()[0]
            finally:
                cur.close()
        finally:
            if previous is None:
                os.environ.pop("PINGAN_STATE_DIR", None)
            else:
                os.environ["PINGAN_STATE_DIR"] = previous
    result = {
        "at": datetime.now().isoformat(timespec="seconds"), "rows": rows, "file_mb": file_mb,
        "counties": counties, "snapshot": snapshot.name,
        "snapshot_copy_s": round(copy_s, 1), "validate_s": round(validate_s, 1), "load_s": round(load_s, 1),
        "total_s": round(total_s, 1), "target_s": TARGET_S, "met": total_s < TARGET_S,
        "rows_loaded": imported, "demo_rows_replaced": entry["demo_rows_replaced"],
        "steps": [{"at_s": round(t, 1), "step": s} for t, s in steps],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"import-{datetime.now():%Y%m%dT%H%M%S}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def run_reports(rows: int, state: Path, out: Path | None = None) -> dict:
    """Validate an aggregated report of `rows` county × month rows against a copy of `state`'s current snapshot."""
    snapshot = state / "warehouse" / (state / "warehouse" / "CURRENT").read_text(encoding="utf-8").strip()
    counties = _all_counties(snapshot)
    previous = os.environ.get("PINGAN_STATE_DIR")
    with tempfile.TemporaryDirectory(prefix="pingan-import-bench-") as tmp:
        tmp = Path(tmp)
        folder = bench_files.isolated_state(snapshot, tmp / "state")
        path = bench_files.make_agg_csv(tmp / f"report_{rows}.csv", rows, counties)
        os.environ["PINGAN_STATE_DIR"] = str(folder)
        try:
            from . import importer, queries

            queries.clear_cache()
            steps: list[tuple[float, str]] = []
            start = time.perf_counter()

            def progress(frac, text):
                steps.append((time.perf_counter() - start, text))

            report = importer.validate([importer.Upload.from_path(path)], progress=progress)
            validate_s = time.perf_counter() - start
        finally:
            if previous is None:
                os.environ.pop("PINGAN_STATE_DIR", None)
            else:
                os.environ["PINGAN_STATE_DIR"] = previous
    if report.errors:
        raise RuntimeError(f"generated report has {report.errors} errors")
    result = {
        "at": datetime.now().isoformat(timespec="seconds"), "report_rows": report.rows_total,
        "counties": min(len(counties), -(-rows // MONTHS_PER_REGION)), "snapshot": snapshot.name,
        "validate_s": round(validate_s, 1), "target_s": REPORT_TARGET_S, "met": validate_s < REPORT_TARGET_S,
        "steps": [{"at_s": round(t, 1), "step": s} for t, s in steps],
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"import-reports-{datetime.now():%Y%m%dT%H%M%S}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="case rows of the record-level file")
    ap.add_argument("--report-rows", type=int, default=100_000, help="rows of the aggregated report")
    ap.add_argument("--only", choices=["cases", "reports"], help="run one of the two cases")
    ap.add_argument("--scale", default="default", choices=["default", "small", "national"])
    ap.add_argument("--state", help="state folder of an existing warehouse (its snapshot is copied, never written)")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)
    from . import bench

    out = Path(args.out)
    state, _ = bench.resolve_state(args.scale, args.state, out)
    bench.upgrade_state(state)
    met = True
    if args.only != "reports":
        r = run(args.rows, state, out)
        print(f"导入 {r['rows']:,} 行案件明细({r['file_mb']} MB,{len(r['counties'])} 个县):"
              f"校验 {r['validate_s']} 秒,写入新快照 {r['load_s']} 秒,合计 {r['total_s']} 秒"
              f"(目标 < {TARGET_S:g} 秒:{'达到' if r['met'] else '未达到'});替换演示案件 {r['demo_rows_replaced']:,} 件;"
              f"峰值内存 {r['peak_rss_mb']:,} MB")
        for s in r["steps"]:
            print(f"  {s['at_s']:7.1f} s  {s['step']}")
        met = met and r["met"]
    if args.only != "cases":
        r = run_reports(args.report_rows, state, out)
        print(f"校验 {r['report_rows']:,} 行汇总报表({r['counties']} 个县 × 月份):{r['validate_s']} 秒"
              f"(目标 < {REPORT_TARGET_S:g} 秒:{'达到' if r['met'] else '未达到'})")
        for s in r["steps"]:
            print(f"  {s['at_s']:7.1f} s  {s['step']}")
        met = met and r["met"]
    return 0 if met else 1

if __name__ == "__main__":
    sys.exit(main())
