"""Imports the reports counties send: read (XLSX, CSV in UTF-8/GBK), validate every row, load into a new snapshot.

    python -m pingan.importer FILE … [--dry-run] [--valid-only] [--report PROBLEMS.csv]

exits 0 when the files were loaded (with --dry-run: when they would be), 1 when refused, with the validation report.

Nothing is written until every row is valid, unless the caller explicitly loads only the valid rows. A load
copies the current snapshot, writes into the copy and switches to it atomically (warehouse.writable_copy), so a
viewer never sees half a load and a rollback is one step. Rows carry source = 'import:<load id>'.

The work is done by pingan/ingest/ (read, parse, catalog, headers, validate, load, worker); this module is
its public face, the names pages and tests use, and the command line.

Grain:
- aggregated reports (one row per region × period, one column per catalog indicator) → table `observation`,
  survey sample sizes → `observation_sample`, and `import_coverage` records which (region, period, indicator)
  are now real;
- record-level dispute cases (one row per case) → `dispute_case` with new case ids; the demo cases of the same
  county and month are deleted first (imported rows replace demo rows), and the county's own case numbers go to
  `dispute_case_number` so that a case loaded twice is refused.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

from . import audit, loads, safe, warehouse
from .ingest.catalog import Reference, reference, region_label, resolve_region  # noqa: F401
from .ingest.headers import Mapped, map_sheet  # noqa: F401
from .ingest.load import (DISPUTE_RECORD_INDICATORS, IMPORT_TABLES_DDL, ROLLBACK_SCOPED, Refused,  # noqa: F401
                          _audit_detail, load, rollback)
from .ingest.parse import clean, parse_date, parse_number, parse_period  # noqa: F401
from .ingest.read import (CUT_ROW_REASON, MAX_BYTES, MAX_CELL_CHARS, MAX_FIELDS, MAX_MB,  # noqa: F401
                          MAX_UNZIPPED_MB, MAX_ZIP_RATIO, FileProblem, Sheet, Upload, read_sheets, sniff)
from .ingest.validate import STAGE_CHAIN, SUM_RULES, Report, check_overlaps, validate  # noqa: F401

SHOWN_PROBLEMS = 50


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
SEVERITY_ZH = {"error": "错误", "warning": "提示"}


def format_report(report: Report, limit: int = SHOWN_PROBLEMS) -> str:
    lines = []
    for f in report.files:
        sheets = ";".join(f"{s['name'] or 'CSV'}: {s['rows']:,} 行({'案件明细' if s['kind'] == 'dispute_case' else '汇总报表'})"
                          for s in f["sheets"]) or "未读取"
        lines.append(f"文件 {f['name']}({f['bytes'] / 1024:,.1f} KB,{f['format'] or '—'}):{sheets}")
    lines.append(f"共 {report.rows_total:,} 行,可导入 {report.rows_valid:,} 行;错误 {report.errors:,} 处,提示 "
                 f"{report.warnings:,} 处;校验用时 {report.seconds:.1f} 秒")
    shown = report.problems.sort(pl.col("severity") != "error", maintain_order=True).head(limit)
    for r in shown.iter_rows(named=True):
        where = " ".join(x for x in (r["file"], f"工作表“{r['sheet']}”" if r["sheet"] else "",
                                     f"第 {r['row']} 行" if r["row"] is not None else "",
                                     f"列“{r['column']}”" if r["column"] else "") if x)
        value = f" 值“{r['value']}”" if r["value"] else ""
        lines.append(f"[{SEVERITY_ZH[r['severity']]}] {where}{value}:{r['reason']}")
    if report.problems.height > limit:
        lines.append(f"……另有 {report.problems.height - limit:,} 处问题;用 --report 文件名.csv 保存完整报告")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pingan.importer",
                                 description="校验并导入县级报表(XLSX、CSV:UTF-8/GBK);全部无误才导入。")
    ap.add_argument("files", nargs="+", type=Path, help="要导入的文件")
    ap.add_argument("--dry-run", action="store_true", help="只校验,不导入")
    ap.add_argument("--valid-only", action="store_true", help="有错误时只导入无误的行(被拒绝的行见 --rejected)")
    ap.add_argument("--report", type=Path, help="把完整的校验报告写入此 CSV 文件")
    ap.add_argument("--rejected", type=Path, help="把未导入的行写入此 CSV 文件")
    ap.add_argument("--who", help="记录在导入历史中的操作人(默认当前系统用户)")
    args = ap.parse_args(argv)
    uploads = []
    for p in args.files:
        if not p.is_file():
            print(f"文件不存在:{p}", file=sys.stderr)
            return 1
        uploads.append(Upload.from_path(p))
    if warehouse.current_name() is None:
        print("尚未构建数据仓库:请先运行 python -m pingan.demo 或启动应用。", file=sys.stderr)
        return 1

    def progress(frac, text):
        print(f"\r[{frac:4.0%}] {text:<40}", end="", file=sys.stderr, flush=True)

    report = validate(uploads, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(format_report(report))
    if args.report:
        safe.frame(report.problems).write_csv(args.report, include_bom=True)  # echoed cells: never formulas
    if args.rejected:
        safe.frame(report.rejected_rows()).write_csv(args.rejected, include_bom=True)
    if report.errors and not args.valid_only:
        print(f"未导入:有 {report.errors:,} 处错误。更正后重新导入,或加 --valid-only 只导入无误的行。", file=sys.stderr)
        if not args.dry_run:
            entry = {"action": "load", "status": "refused", "load_id": "", "at": datetime.now().isoformat(
                timespec="seconds"), "who": args.who or loads.who(), "via": "cli",
                "files": [{k: f[k] for k in ("name", "sha256", "bytes", "kind")} for f in report.files],
                "rows_loaded": 0, "rows_rejected": report.rows_total, "snapshot": None,
                "previous_snapshot": report.snapshot, "message": f"{report.errors} 处错误"}
            loads.record(entry)
            audit.record(entry["who"], "import_refused", _audit_detail(entry))
        return 1
    if args.dry_run:
        print(f"校验通过(--dry-run,未导入):可导入 {report.rows_valid:,} 行。")
        return 0
    try:
        entry = load(report, valid_only=args.valid_only, who=args.who, via="cli",
                     progress=progress if sys.stderr.isatty() else None)
    except Refused as exc:
        print(f"未导入:{exc}", file=sys.stderr)
        return 1
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"已导入 {entry['rows_loaded']:,} 行(导入编号 {entry['load_id']},替换演示案件 "
          f"{entry['demo_rows_replaced']:,} 件),新快照 {entry['snapshot']},用时 {entry['seconds']:.1f} 秒。")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
