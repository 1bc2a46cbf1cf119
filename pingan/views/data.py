"""The data page (pages/data.py): who may import or roll back, and the tables it shows (files and problems of a
validation report, load history, snapshots, data composition), in the session's language.

Validation, loading and rollback themselves are the importer's (pingan/importer.py, pingan/ingest/); nothing
here imports Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ..i18n import Texts

TABLE_NAMES = Texts({"dispute_case": ("矛盾纠纷案件", "Dispute cases"), "grid": ("网格", "Grids"),
                     "facility": ("综治中心等设施", "Facilities"), "antigang_tally": ("扫黑除恶战果", "Anti-gang tallies"),
                     "survey_result": ("安全感与满意度调查", "Survey results"),
                     "observation": ("汇总报表(导入)", "Aggregated reports (imported)")})
# (action, status) of a load-history entry, in words
ACTIONS = Texts({("load", "loaded"): ("导入", "load"), ("load", "refused"): ("导入被拒绝", "load refused"),
                 ("load", "failed"): ("导入失败", "load failed"), ("rollback", "loaded"): ("回滚", "rollback")})
VIA = Texts({"page": ("页面", "page"), "cli": ("命令行", "command line")})
TEXT = Texts({
    "kind_obs": ("汇总报表", "aggregated report"), "kind_case": ("案件明细", "case records"),
    "err": ("错误", "error"), "warn": ("提示", "note"), "built": ("内置数据构建", "built from the bundled data"),
    "built_at": ("{at:%m月%d日 %H:%M}", "{at:%m-%d %H:%M}"),
})
# The validation report as a downloaded file: Chinese headers, whatever the page's language (the counties' files)
REPORT_HEADERS = {"severity": "类别", "file": "文件", "sheet": "工作表", "row": "行号", "column": "列", "value": "值",
                  "reason": "原因"}


@dataclass(frozen=True)
class Rights:
    """What the account may do on this page; importer.validate/load/rollback enforce the same."""
    who: str
    region: str            # the account's region scope ('' = everything)
    can_import: bool
    may_snapshots: bool    # sees the snapshots' rollback controls
    can_rollback: bool     # a snapshot holds every region: only an admin whose scope is everything rolls back


def rights(account) -> Rights:
    """An account's rights here; no account (never through app.py) is the local command line's."""
    region = account.region if account else ""
    may_snapshots = account is None or account.can("snapshots")
    return Rights(who=account.username if account else "local", region=region,
                  can_import=account is None or account.can("import"), may_snapshots=may_snapshots,
                  can_rollback=may_snapshots and not region)


def built_at(snap: dict) -> datetime:
    """When a snapshot was written: its name says so (snap-20221231T153012…), which survives copies."""
    try:
        return datetime.strptime(snap["name"][5:20], "%Y%m%dT%H%M%S")
    except ValueError:
        return snap["modified"]


def built_at_text(snap: dict | None, lang: str) -> str:
    return TEXT("built_at", lang, at=built_at(snap)) if snap else "—"


def loads_done(history: pl.DataFrame) -> int:
    """Successful loads in the load history."""
    return history.filter((pl.col("action") == "load") & (pl.col("status") == "loaded")).height


def report_files(report, lang: str) -> pl.DataFrame:
    """One row per uploaded file of a validation report: format, sheets with their rows and kind, size."""
    def kind(s: dict) -> str:
        return TEXT("kind_case" if s["kind"] == "dispute_case" else "kind_obs", lang)

    return pl.DataFrame([{
        "file": f["name"], "format": f["format"] or "—",
        "sheets": ";".join(f"{s['name'] or 'CSV'}:{s['rows']:,}({kind(s)})" for s in f["sheets"]) or "—",
        "rows": int(f.get("rows") or 0), "kb": f["bytes"] / 1024} for f in report.files])


def whole_file_errors(report, limit: int = 5) -> list[tuple[str, str]]:
    """(where, reason) of the errors that concern a whole file, sheet or column rather than a row."""
    whole = report.problems.filter((pl.col("severity") == "error") & pl.col("row").is_null())
    return [("".join(x for x in (r["file"], f" · {r['sheet']}" if r["sheet"] else "",
                                 f" · {r['column']}" if r["column"] else "")), r["reason"])
            for r in whole.head(limit).iter_rows(named=True)]


def report_problems(report, lang: str) -> pl.DataFrame:
    """The validation report's problems with the severity in words."""
    return report.problems.with_columns(
        pl.when(pl.col("severity") == "error").then(pl.lit(TEXT("err", lang))).otherwise(pl.lit(TEXT("warn", lang)))
        .alias("severity")).select("severity", "file", "sheet", "row", "column", "value", "reason")


def history_view(history: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The load history as shown: the action and its outcome in words, the size in KB, the channel in words."""
    def action(r: dict) -> str:
        key = (r["action"], r["status"])
        return ACTIONS(key, lang) if key in ACTIONS else r["action"]

    via = {k: VIA(k, lang) for k in VIA}
    return history.with_columns(
        pl.struct("action", "status").map_elements(action, return_dtype=pl.String).alias("action"),
        (pl.col("bytes") / 1024).alias("bytes"),
        pl.col("via").replace_strict(via, default=pl.col("via")).alias("via")).drop("status", "previous_snapshot")


def snapshot_origin(entry: dict | None, lang: str) -> str:
    """What made a snapshot: a load (its id, files and rows), a rollback's message, or the bundled data."""
    if not entry:
        return TEXT("built", lang)
    if entry.get("action") == "load":
        files = "、".join(f.get("name", "") for f in entry.get("files") or [])
        return f"{entry['load_id']} · {files} · {int(entry.get('rows_loaded') or 0):,}"
    return entry.get("message", "")


def snapshots_frame(snapshots: list[dict], origins: dict, lang: str) -> pl.DataFrame:
    return pl.DataFrame([{"name": s["name"], "modified": built_at(s), "mb": s["bytes"] / 1024 / 1024,
                          "current": s["current"], "origin": snapshot_origin(origins.get(s["name"]), lang)}
                         for s in snapshots],
                        schema={"name": pl.String, "modified": pl.Datetime("us"), "mb": pl.Float64,
                                "current": pl.Boolean, "origin": pl.String})


def composition_view(composition: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Rows per fact table, demo and imported, with the tables' names in words and the imported share."""
    names = {k: TABLE_NAMES(k, lang) for k in TABLE_NAMES}
    return composition.with_columns(
        pl.col("fact_table").replace_strict(names, default=pl.col("fact_table")).alias("fact_table"),
        (pl.col("rows_imported") / pl.when(pl.col("rows_total") > 0).then(pl.col("rows_total"))).alias("real_share"))
