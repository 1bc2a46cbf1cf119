"""Files handed to a reader (page tables, SQL results, the SQL command line): one home for how they are written.

Every such file
- has every text cell and column name neutralised (`safe.frame` / `safe.cell`), and an XLSX is written with
  xlsxwriter's string-to-formula and string-to-URL conversion off, so no text becomes a live formula or link;
- names the account and the time in one stamp line (`mark`): the CSV's last line (`# …`), the XLSX's second sheet
  导出信息, the Parquet file's metadata key `pingan_export`;
- is written to the audit log as an `export` event (`audit_export`) when it is generated, by whoever generates it.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime

import polars as pl

from . import audit, safe

APP_NAME = "平安驾驶舱"
NOTICE = "本文件含受控数据,请按规定使用和保管。"
INFO_SHEET = "导出信息"
PARQUET_KEY = "pingan_export"
REFUSED = ("导出需要分析员或管理员权限。", "Exporting needs the analyst or admin role.")
# A stamp is one line: a display name carrying a line break must not start a new CSV line (one that could begin
# with "=" and be run by a spreadsheet).
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def mark(username: str, display_name: str, rows: int, now: datetime | None = None) -> str:
    """The account and time stamp every export carries, e.g. 导出:wang(王伟) · 2026-01-05 09:30:00 · 平安驾驶舱 · 12 行."""
    who = _BREAKS.sub(" ", f"{username}({display_name})" if display_name else str(username))
    when = (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
    return safe.cell(f"导出:{who} · {when} · {APP_NAME} · {rows} 行")


def require(account) -> None:
    """Refuse (PermissionError) to write a file for an account without the export permission."""
    if not account.can("export"):
        raise PermissionError(REFUSED[0])


def audit_export(username: str, role: str, what: str, rows: int, fmt: str, **detail) -> None:
    """One `export` event: what was exported, how many rows, in which format (and what the caller adds)."""
    audit.record(username, "export", {"what": what, "rows": rows, "format": fmt, **detail}, role=role)


def sql_digest(sql: str) -> str:
    """SHA-256 of a statement's text, so an audited SQL export names exactly what ran without storing it twice."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


def neutral(df: pl.DataFrame) -> pl.DataFrame:
    """`df` with text cells and column names that a spreadsheet would run as formulas quoted."""
    out = safe.frame(df)
    names, seen = [], set(out.columns)
    for name in out.columns:
        new = safe.cell(name)
        while new != name and new in seen:  # a quoted name must not collide with another column's name
            new = "'" + new
        seen.add(new)
        names.append(new)
    return out.rename(dict(zip(out.columns, names))) if names != out.columns else out


def csv(df: pl.DataFrame, stamp: str) -> bytes:
    """UTF-8 with a BOM (so Excel reads Chinese), the stamp as the last line."""
    return neutral(df).write_csv(include_bom=True).encode("utf-8") + f"# {stamp}\n".encode("utf-8")


def xlsx(df: pl.DataFrame, stamp: str, worksheet: str = "data", autofit: bool = False) -> bytes:
    """The table on one sheet, the stamp and the notice on a second sheet 导出信息."""
    import xlsxwriter

    buf = io.BytesIO()
    # xlsxwriter's defaults turn "=…" strings into formulas and "http…" strings into links; polars only turns the
    # first off, and only in a workbook it opens itself.
    with xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_urls": False,
                                   "nan_inf_to_errors": True}) as wb:
        neutral(df).write_excel(wb, worksheet=worksheet, autofit=autofit)
        info = wb.add_worksheet(INFO_SHEET)
        info.write_string(0, 0, stamp)
        info.write_string(1, 0, NOTICE)
    return buf.getvalue()


def parquet(df: pl.DataFrame, stamp: str) -> bytes:
    """The frame as is (types, nested values kept: Parquet is not opened by a spreadsheet), stamp in the metadata."""
    buf = io.BytesIO()
    df.write_parquet(buf, metadata={PARQUET_KEY: stamp, "notice": NOTICE})
    return buf.getvalue()
