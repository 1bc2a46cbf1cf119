"""Imports the reports counties send: read (XLSX, CSV in UTF-8/GBK), validate every row, load into a new snapshot.

    python -m pingan.importer FILE … [--dry-run] [--valid-only] [--report PROBLEMS.csv]

exits 0 when the files were loaded (with --dry-run: when they would be), 1 when refused, with the validation report.

Nothing is written until every row is valid, unless the caller explicitly loads only the valid rows. A load
copies the current snapshot, writes into the copy and switches to it atomically (warehouse.writable_copy), so a
viewer never sees half a load and a rollback is one step. Rows carry source = 'import:<load id>'.

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
import codecs
import csv
import difflib
import hashlib
import io
import re
import sys
import time
import unicodedata
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

from . import audit, loads, periods, rollups, safe, templates, warehouse

MAX_MB = 150
MAX_BYTES = MAX_MB * 1024 * 1024
# Bounds checked before a file is parsed, so that no upload can make validation eat the server's memory or time
# (a zip bomb, a line of 20,000 fields, a 10 MB cell). The widest template has 16 columns; Excel itself holds at
# most 32,767 characters in a cell; real workbooks inflate 5-20 times, a bomb ~1,000 times.
MAX_FIELDS = 1_000
MAX_CELL_CHARS = 32_767
MAX_UNZIPPED_MB = 500
MAX_ZIP_RATIO = 200
FUZZY_CHARS = 100  # longest text for which a "是否指…" suggestion is looked up
HEADER_SEARCH_ROWS = 15
SHOWN_PROBLEMS = 50
EARLIEST = date(1990, 1, 1)
DISPUTE_RECORD_INDICATORS = ("dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved",
                             "dispute_followed_up", "dispute_success_rate", "dispute_median_days")

# Tables an import writes: in every snapshot built since they were in schema.sql, and added to older ones on load.
IMPORT_TABLES_DDL = warehouse.schema_ddl("import_coverage", "observation_sample", "dispute_case_number")

PROBLEM_SCHEMA = {"file": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String,
                  "value": pl.String, "reason": pl.String, "severity": pl.String}
ROW_KEYS = ["_file", "_sheet", "_row"]
# where a duplicated key was seen first (aggregations over rows sorted by file, sheet, row)
FIRST_ROW = (pl.col("_file").first().alias("_f0"), pl.col("_sheet").first().alias("_s0"),
             pl.col("_row").first().alias("_r0"))


class Refused(RuntimeError):
    """A load that must not happen; the message is for the user."""


class FileProblem(ValueError):
    """A whole file that cannot be read; the message is for the user."""


# --------------------------------------------------------------------------------------------------
# Inputs and the report
# --------------------------------------------------------------------------------------------------
@dataclass
class Upload:
    """One file to import: its name, its size (known before reading) and how to get its bytes."""
    name: str
    size: int
    reader: object  # () -> bytes

    @classmethod
    def from_path(cls, path: str | Path) -> "Upload":
        p = Path(path)
        return cls(p.name, p.stat().st_size, p.read_bytes)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> "Upload":
        return cls(name, len(data), lambda: data)


@dataclass
class Report:
    """What validation found, and the rows ready to load."""
    snapshot: str
    files: list[dict]
    problems: pl.DataFrame
    observations: pl.DataFrame
    cases: pl.DataFrame
    raw: dict = field(repr=False)          # (file, sheet) -> original rows as text, with _row
    row_counts: dict = field(repr=False)   # (file, sheet) -> number of data rows
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return self.problems.filter(pl.col("severity") == "error").height

    @property
    def warnings(self) -> int:
        return self.problems.filter(pl.col("severity") == "warning").height

    @property
    def rows_total(self) -> int:
        return sum(self.row_counts.values())

    def _rejected_keys(self) -> tuple[pl.DataFrame, set]:
        err = self.problems.filter(pl.col("severity") == "error")
        whole = set(err.filter(pl.col("row").is_null()).select("file", "sheet").iter_rows())
        rows = (err.filter(pl.col("row").is_not_null())
                .group_by("file", "sheet", "row", maintain_order=True)
                .agg(pl.col("reason").str.join(";")).rename({"file": "_file", "sheet": "_sheet", "row": "_row"}))
        return rows, whole

    def _valid(self, df: pl.DataFrame) -> pl.DataFrame:
        if df.height == 0:
            return df
        rows, whole = self._rejected_keys()
        whole_files = {f for f, s in whole if s == ""}
        keep = df.filter(~pl.col("_file").is_in(list(whole_files)))
        for f, s in whole:
            keep = keep.filter(~((pl.col("_file") == f) & (pl.col("_sheet") == s)))
        return keep.join(rows.select(ROW_KEYS), on=ROW_KEYS, how="anti")

    def valid_observations(self) -> pl.DataFrame:
        return self._valid(self.observations)

    def valid_cases(self) -> pl.DataFrame:
        return self._valid(self.cases)

    @property
    def rows_valid(self) -> int:
        obs = self.valid_observations().select(ROW_KEYS).unique().height if self.observations.height else 0
        return obs + self.valid_cases().height

    def rejected_rows(self) -> pl.DataFrame:
        """The rows that will not load, as the user wrote them, with every reason (for download)."""
        rows, whole = self._rejected_keys()
        whole_reason = {}
        for r in self.problems.filter((pl.col("severity") == "error") & pl.col("row").is_null()).iter_rows(named=True):
            whole_reason.setdefault((r["file"], r["sheet"]), []).append(r["reason"])
        parts = []
        for (f, s), raw in self.raw.items():
            reason = whole_reason.get((f, s), []) + (whole_reason.get((f, ""), []) if s else [])
            if reason:
                part = raw.with_columns(pl.lit(";".join(reason)).alias("原因"))
            else:
                hit = rows.filter((pl.col("_file") == f) & (pl.col("_sheet") == s)).select("_row", "reason")
                part = raw.join(hit, on="_row", how="inner").rename({"reason": "原因"})
            if part.height:
                parts.append(part.select(pl.lit(f).alias("文件"), pl.lit(s).alias("工作表"),
                                         pl.col("_row").alias("行号"), pl.col("原因"),
                                         pl.exclude("_row", "原因")))
        if not parts:
            return pl.DataFrame(schema={"文件": pl.String, "工作表": pl.String, "行号": pl.Int64, "原因": pl.String})
        return pl.concat(parts, how="diagonal_relaxed").sort("文件", "工作表", "行号")


class _Problems:
    def __init__(self):
        self.frames: list[pl.DataFrame] = []
        self.rows: list[dict] = []

    def add(self, file: str, sheet: str, reason: str, row: int | None = None, column: str = "", value="",
            severity: str = "error") -> None:
        self.rows.append({"file": file, "sheet": sheet, "row": row, "column": column,
                          "value": "" if value is None else str(value)[:200], "reason": reason,
                          "severity": severity})

    def add_frame(self, df: pl.DataFrame, column, value: pl.Expr, reason: pl.Expr | str,
                  severity: str = "error") -> None:
        """One problem per row of df (which carries _file, _sheet, _row)."""
        if df.height == 0:
            return
        reason = pl.lit(reason) if isinstance(reason, str) else reason
        column = pl.lit(column) if isinstance(column, str) else column
        self.frames.append(df.select(
            pl.col("_file").alias("file"), pl.col("_sheet").alias("sheet"), pl.col("_row").cast(pl.Int64).alias("row"),
            column.cast(pl.String).alias("column"),
            value.cast(pl.String).fill_null("").str.slice(0, 200).alias("value"),
            reason.cast(pl.String).alias("reason"), pl.lit(severity).alias("severity")))

    def frame(self) -> pl.DataFrame:
        parts = [pl.DataFrame(self.rows, schema=PROBLEM_SCHEMA)] + [f.cast(PROBLEM_SCHEMA) for f in self.frames]
        return pl.concat(parts).unique(maintain_order=True).sort(
            "file", "sheet", "row", nulls_last=False, maintain_order=True)


# --------------------------------------------------------------------------------------------------
# Reading files: sniff what the bytes are, decode CSV, read every sheet of a workbook as text
# --------------------------------------------------------------------------------------------------
@dataclass
class Sheet:
    file: str
    name: str                 # '' for CSV
    cells: pl.DataFrame       # every cell as text, no header, columns c0..cn
    first_row: int            # spreadsheet row number of cells' first row
    bad_cells: list = field(default_factory=list)   # (row, col letter, kind, text) from the XML
    first_cols: dict = field(default_factory=dict)  # row -> index of its first valued cell (XML)
    encoding: str = ""
    cut_row: int | None = None  # index in cells of a last row cut in transfer (CSV), reported by map_sheet
    cut_value: str = ""


CORRUPT_XLSX = "Excel 文件已损坏或不完整(可能上传或复制时中断),无法打开;请重新保存后再上传。"
CUT_ROW_REASON = "文件末行不完整(可能在传输中被截断):该行未导入;请重新导出或重新上传完整的文件"


def check_size(up: Upload) -> None:
    if up.size > MAX_BYTES:
        raise FileProblem(f"文件大小为 {up.size / 1024 / 1024:,.1f} MB,超过上限 {MAX_MB} MB,未读取。"
                          f"请按月份或地区拆分成多个文件后再上传。")
    if up.size == 0:
        raise FileProblem("文件是空的(0 字节)。")


def sniff(data: bytes, name: str) -> str:
    """What the bytes are, whatever the file is called: xlsx | ods | xls | csv."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise FileProblem(CORRUPT_XLSX)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        if "word/document.xml" in names:
            raise FileProblem("这是 Word 文档,不是 Excel 或 CSV 表格;请把表格复制到 Excel 模板中。")
        raise FileProblem("这是一个压缩包,不是 Excel 或 CSV 表格;请解压后分别上传其中的表格。")
    if head.startswith(b"PK"):
        raise FileProblem(CORRUPT_XLSX)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data[:1 << 20]:
            raise FileProblem("Excel 文件设置了打开密码,无法读取;请取消密码后另存为 .xlsx 再上传。")
        return "xls"
    if head.startswith(b"%PDF"):
        raise FileProblem("这是 PDF 文件,不是 Excel 或 CSV 表格;请上传原始表格或按模板填写。")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        raise FileProblem("这是图片文件,不是 Excel 或 CSV 表格;请按模板填写数据后上传。")
    start = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise FileProblem("这是网页(HTML/XML)文件,只是扩展名为表格(常见于系统“导出 Excel”);"
                          "请用 Excel 打开后“另存为” .xlsx 再上传。")
    sample = data[:8192]
    if not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        odd, even = sample[1::2].count(b"\x00"), sample[0::2].count(b"\x00")
        if max(odd, even) > len(sample) // 20 and min(odd, even) * 10 < max(odd, even):
            raise FileProblem("文件是 UTF-16 编码但没有 BOM 标记,无法可靠识别;请在 Excel 中另存为“CSV UTF-8”。")
        if odd + even or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 20:
            raise FileProblem("文件不是 Excel 或 CSV 表格(内容是二进制数据);请上传 .xlsx、.xls 或 .csv 文件。")
    return "csv"


def decode_text(data: bytes, strict: bool = True) -> tuple[bytes, str]:
    """UTF-8 bytes of a text file and the encoding it had: UTF-8 (with or without BOM), UTF-16, GB18030.

    With strict=False a file without a BOM is passed on as UTF-8 unchecked: polars checks it while parsing
    (much faster than decoding in Python) and the caller retries with strict=True when it was not UTF-8.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:], "UTF-8(带 BOM)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").encode("utf-8"), "UTF-16"
    if not strict:
        return data, "UTF-8"
    try:
        data.decode("utf-8")
        return data, "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8"), "GBK/GB18030"
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileProblem(f"无法识别文件编码:第 {line} 行的内容既不是 UTF-8 也不是 GBK/GB18030"
                          f"(可能是 Big5 或其他编码);请在 Excel 中另存为“CSV UTF-8”后再上传。") from None


def _delimiter(sample: str) -> tuple[str, int]:
    """The separator and the widest row among the first lines."""
    lines = sample.splitlines()[:50]
    best, width = ",", 1
    for sep in (",", "\t", ";", "|", "，"):
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)] if lines else [1]
        wide = max(counts or [1])
        if wide > width:
            best, width = sep, wide
    return best, width


def read_csv(file: str, data: bytes) -> list[Sheet]:
    try:
        return _read_text(file, *decode_text(data, strict=False))
    except _NotUtf8:
        return _read_text(file, *decode_text(data, strict=True))


class _NotUtf8(Exception):
    pass


@dataclass
class _CsvShape:
    cut_at: int | None = None      # byte offset where a last record cut inside an open quote starts
    cut_short: bool = False        # the last record lacks its newline and has fewer fields than the header
    cut_value: str = ""


def _csv_lines(text: bytes):
    """The lines of `text` as str, each with the byte offset where it ends (one pass, nothing copied whole)."""
    at = 0
    n = len(text)
    while at < n:
        end = text.find(b"\n", at)
        end = n if end < 0 else end + 1
        yield end, text[at:end].decode("utf-8", errors="replace")
        at = end


def scan_csv(text: bytes, sep: str) -> _CsvShape:
    """One linear pass before parsing: refuse too many fields per line or too long a cell; find a cut last row.

    Python's csv reader (C, non-strict, like polars it tolerates stray quotes) splits the records; the field size
    limit stops a huge cell without building it. A last record cut inside a quoted field is one whose text holds
    an odd number of quotes (RFC 4180 doubles quotes inside quotes).
    """
    end = [0]  # where the last line the reader took ends

    def tracked():
        for end[0], line in _csv_lines(text):
            yield line

    old = csv.field_size_limit(MAX_CELL_CHARS)
    widest, last, last_start, record_end = 0, [], 0, 0
    try:
        reader = csv.reader(tracked(), delimiter=sep, quotechar='"', strict=False)
        for i, row in enumerate(reader):
            if len(row) > MAX_FIELDS:
                raise FileProblem(f"第 {reader.line_num} 行有 {len(row):,} 个字段,超过上限 {MAX_FIELDS:,} 个,未读取;"
                                  f"请检查分隔符,或使用数据管理页提供的模板。")
            if i < HEADER_SEARCH_ROWS:
                widest = max(widest, len(row))
            last, last_start, record_end = row, record_end, end[0]
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise FileProblem(f"第 {reader.line_num} 行有一个单元格超过 {MAX_CELL_CHARS:,} 个字符的上限"
                              f"(Excel 单元格的最大长度),未读取。") from None
        raise FileProblem(f"CSV 文件格式有误,第 {reader.line_num} 行无法读取({str(exc)[:80]})。") from None
    finally:
        csv.field_size_limit(old)
    shape = _CsvShape()
    if not text or text.endswith((b"\n", b"\r")):
        return shape
    tail = text[last_start:]
    shape.cut_value = tail[:200].decode("utf-8", errors="replace")
    if tail.count(b'"') % 2:
        shape.cut_at = last_start
    elif 0 < len(last) < widest:
        shape.cut_short = True
    return shape


def _read_text(file: str, text: bytes, encoding: str) -> list[Sheet]:
    head = text[:1 << 16]
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if encoding == "UTF-8" and exc.start < len(head) - 4:
            raise _NotUtf8 from None
        sample = head.decode("utf-8", errors="ignore")
    sep, width = _delimiter(sample)
    if sep == "，":  # polars wants a one-byte separator: a full-width comma file is rare enough to convert
        text = text.replace("，".encode(), b",")
        sep = ","
    shape = scan_csv(text, sep)
    if shape.cut_at is not None:
        text = text[:shape.cut_at]  # an open quote would swallow nothing else, but polars refuses the whole file
    # One more column than the widest early row catches later rows with too many fields.
    names = ",".join(f"c{i}" for i in range(width + 1)).replace(",", sep).encode() + b"\n"
    try:
        cells = pl.read_csv(io.BytesIO(names + text), has_header=True, infer_schema=False, separator=sep,
                            truncate_ragged_lines=True, quote_char='"')
    except pl.exceptions.PolarsError as exc:
        if encoding == "UTF-8" and "utf-8" in str(exc).lower():
            raise _NotUtf8 from None
        raise FileProblem(f"CSV 文件格式有误,无法读取({str(exc).splitlines()[0][:120]});"
                          f"请检查引号是否成对。") from None
    sheet = Sheet(file, "", cells, 1, encoding=encoding)
    if shape.cut_at is not None or shape.cut_short:
        sheet.cut_row = cells.height if shape.cut_at is not None else cells.height - 1
        sheet.cut_value = shape.cut_value
    return [sheet]


_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _sheet_xml_paths(z: zipfile.ZipFile) -> dict[str, str]:
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iter(f"{{{ns['m']}}}sheet"):
        t = target.get(s.get(f"{{{ns['r']}}}id"), "")
        t = t.lstrip("/")
        out[s.get("name")] = t if t.startswith("xl/") else f"xl/{t}"
    return out


def _scan_sheet_xml(z: zipfile.ZipFile, path: str) -> tuple[int, dict, list]:
    """First valued row, first valued column of the early rows, and formula cells without a value or with an error.

    fastexcel drops the empty rows and columns before the first value and reads formulas without a saved result
    and error cells (#DIV/0!) as empty: the XML tells us where they were.
    """
    first_row, first_cols, bad = None, {}, []
    tail = b""
    with z.open(path) as fh:
        while True:
            chunk = fh.read(4 << 20)
            buf = tail + chunk
            cut = buf.rfind(b"</row>") + 6 if chunk else len(buf)
            if cut < 6 and chunk:
                tail = buf
                continue
            part, tail = buf[:cut], buf[cut:]
            if first_row is None or len(first_cols) < 40 or b"<f" in part or b't="e"' in part:
                for m in _CELL.finditer(part):
                    attrs, body = m.group(1), m.group(2) or b""
                    ref = _REF.search(attrs)
                    if not ref:
                        continue
                    letters, row = ref.group(1).decode(), int(ref.group(2))
                    kind = _TYPE.search(attrs)
                    kind = kind.group(1) if kind else b"n"
                    v = _VALUE.search(body)
                    valued = (v is not None and v.group(1) != b"") or b"<is>" in body
                    f = _FORMULA.search(body)
                    if kind == b"e":
                        bad.append((row, letters, "error", (v.group(1) if v else b"").decode(errors="ignore")))
                    elif f is not None and not valued:
                        bad.append((row, letters, "formula", (f.group(1) or b"").decode(errors="ignore")))
                    if valued and kind != b"e":
                        if first_row is None:
                            first_row = row
                        if row not in first_cols and len(first_cols) < 40:
                            first_cols[row] = col_index(letters)
            if not chunk:
                break
    return first_row or 1, first_cols, bad


SKIPPED_SHEETS = ("说明", "填表说明", "填报说明", "指标说明", "instructions", "readme")


def check_zip(data: bytes) -> None:
    """Refuse a workbook that would inflate beyond the bounds, judged from the zip directory, then by streaming.

    The directory's sizes can lie; Python's zip reader stops at the size it claims and then fails the CRC, so
    streaming every member in small chunks (nothing kept) proves the sizes before fastexcel inflates anything.
    """
    limit = MAX_UNZIPPED_MB << 20
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        members = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileProblem(CORRUPT_XLSX) from None
    total = sum(m.file_size for m in members)
    if total > limit:
        raise FileProblem(f"Excel 文件解压后为 {total / 1024 / 1024:,.0f} MB,超过上限 {MAX_UNZIPPED_MB} MB"
                          f"(可能是“压缩炸弹”),未读取;请按月份或地区拆分成多个文件后再上传。")
    for m in members:
        if m.file_size > 1 << 20 and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise FileProblem(f"Excel 文件中的“{m.filename[:80]}”压缩比为 {m.file_size // max(m.compress_size, 1):,} 倍,"
                              f"超过上限 {MAX_ZIP_RATIO} 倍(正常表格不会如此,可能是“压缩炸弹”),未读取。")
    seen = 0
    try:
        for m in members:
            with z.open(m) as fh:
                while chunk := fh.read(1 << 20):
                    seen += len(chunk)
                    if seen > limit:
                        raise FileProblem(f"Excel 文件解压后超过上限 {MAX_UNZIPPED_MB} MB,未读取;"
                                          f"请按月份或地区拆分成多个文件后再上传。")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        raise FileProblem(CORRUPT_XLSX) from None


def _check_cell_lengths(sheet: Sheet) -> None:
    """Excel holds at most MAX_CELL_CHARS characters in a cell; a longer one is not a report, and slows every check."""
    cells = sheet.cells
    if cells.width == 0 or cells.height == 0:
        return
    lengths = cells.select(pl.all().str.len_chars().max()).row(0)
    for j, n in enumerate(lengths):
        if n is not None and n > MAX_CELL_CHARS:
            i = cells.select(pl.col(f"c{j}").str.len_chars().arg_max()).item()
            raise FileProblem(f"工作表“{sheet.name}”第 {sheet.first_row + i} 行 {col_letters(j)} 列的单元格有 {n:,} 个字符,"
                              f"超过上限 {MAX_CELL_CHARS:,}(Excel 单元格的最大长度),未读取。")


def read_workbook(file: str, data: bytes, kind: str) -> list[Sheet]:
    import fastexcel

    if kind in ("xlsx", "ods"):
        check_zip(data)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = fastexcel.read_excel(data)
            names = reader.sheet_names
    except Exception as exc:  # calamine's errors are not one class; the message matters, not the type
        raise FileProblem(f"Excel 文件已损坏或不完整,无法打开({str(exc).splitlines()[0][:100]});"
                          "请在 Excel 中打开并重新保存后再上传。") from None
    facts = {}
    if kind == "xlsx":
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            for name, path in _sheet_xml_paths(z).items():
                if path in z.namelist():
                    facts[name] = _scan_sheet_xml(z, path)
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError, OSError):
            raise FileProblem(CORRUPT_XLSX) \
                from None
    out = []
    for name in names:
        if name.strip().lower() in SKIPPED_SHEETS or name.strip().endswith("说明"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cells = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except Exception as exc:
            raise FileProblem(f"工作表“{name}”无法读取({str(exc).splitlines()[0][:100]})。") from None
        cells = cells.rename({c: f"c{i}" for i, c in enumerate(cells.columns)})
        if cells.width > MAX_FIELDS:
            raise FileProblem(f"工作表“{name}”有 {cells.width:,} 列,超过上限 {MAX_FIELDS:,} 列,未读取。")
        first_row, first_cols, bad = facts.get(name, (1, {}, []))
        sheet = Sheet(file, name, cells, first_row, bad, first_cols, encoding=kind.upper())
        _check_cell_lengths(sheet)
        out.append(sheet)
    return out


def read_sheets(file: str, data: bytes) -> list[Sheet]:
    kind = sniff(data, file)
    if kind == "csv":
        return read_csv(file, data)
    return read_workbook(file, data, kind)


# --------------------------------------------------------------------------------------------------
# Values: numbers, periods, dates, regions (parsed once per distinct value, then joined back)
# --------------------------------------------------------------------------------------------------
_MISSING = {"", "-", "—", "--", "/", "无", "空", "不适用", "na", "n/a", "null", "none"}
_APPROX = re.compile(r"^(约|大约|近|超过|超|逾|将近)|(余|多|以上|左右|以下|上下)$")
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(亿|万)?(元|个|人|件|起|天|户|次|人次|名|%)?$")


def clean(s: str) -> str:
    """Full-width forms folded (NFKC: ２０２２ → 2022, ％ → %), all white space removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(s)))


def _drop_time(raw: str) -> str:
    """'2022-07-15 00:00:00' (an Excel date cell read as text) → '2022-07-15'."""
    s = str(raw).strip()
    return re.split(r"[\sT]", s, maxsplit=1)[0] if re.search(r"\d:\d\d", s) else s


def parse_number(raw: str) -> tuple[float | None, str, str | None]:
    """(value, suffix, problem): '1,234' → 1234; '1.2万' → 12000; '97.5%' → 97.5 with suffix '%'."""
    s = clean(raw).replace(",", "").replace("，", "").replace("'", "")
    if s.lower() in _MISSING:
        return None, "", None
    if _APPROX.search(s):
        return None, "", f"“{raw}”不是确切数字(含“约”“余”“以上”之类),请填写确切数值"
    m = _NUMBER.match(s)
    if not m:
        return None, "", f"“{raw}”不是数字"
    v = float(m.group(1)) * {"亿": 1e8, "万": 1e4}.get(m.group(2) or "", 1.0)
    return v, (m.group(2) or "") + (m.group(3) or ""), None


_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def parse_period(raw: str) -> tuple[date | None, date | None, str | None]:
    """(start, end, problem) for 2022, 2022-07, 2022年7月, 2022/7, 202207, 2022Q3, 2022年第三季度, 2022H1, 2022年上半年,
    2022年1-6月."""
    s = clean(_drop_time(raw)).replace("—", "-").replace("–", "-").replace("~", "-").replace("至", "-")
    s = s.replace("到", "-")
    token = None
    if m := re.fullmatch(r"(\d{4})(年|年度)?", s):
        token = m.group(1)
    elif m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})(月份?)?", s):
        token = f"{m.group(1)}-{int(m.group(2)):02d}"
    elif m := re.fullmatch(r"(\d{4})(0[1-9]|1[0-2])", s):
        token = f"{m.group(1)}-{m.group(2)}"
    elif m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", s) or re.fullmatch(r"(\d{4})年?第?([一二三四1-4])季度?", s):
        token = f"{m.group(1)}Q{_CN_NUM[m.group(2)]}"
    elif m := re.fullmatch(r"(\d{4})-?[Hh]([12])", s):
        token = f"{m.group(1)}H{m.group(2)}"
    elif m := re.fullmatch(r"(\d{4})年?([上下])半年", s):
        token = f"{m.group(1)}H{1 if m.group(2) == '上' else 2}"
    elif m := re.fullmatch(r"(\d{4})年(\d{1,2})月?-(\d{1,2})月", s):
        a, b = int(m.group(2)), int(m.group(3))
        if not (1 <= a <= b <= 12):
            return None, None, f"无法识别的期间“{raw}”:月份区间应在同一年内从小到大"
        try:
            p = periods.parse_range(f"{m.group(1)}-{a:02d}", f"{m.group(1)}-{b:02d}")
            return p.start, p.end, None
        except periods.PeriodError as exc:
            return None, None, str(exc)
    elif m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s):
        if m.group(3) != "01":
            return None, None, f"期间“{raw}”是一个日期;请写月份(2022-07)、季度、半年或年份"
        token = f"{m.group(1)}-{m.group(2)}"
    if token is None:
        return None, None, (f"无法识别的期间“{raw}”:请写作 2022-07、2022年7月、2022/7、2022Q3、2022H1 或 2022")
    try:
        p = periods.parse_bound(token)
    except periods.PeriodError:
        return None, None, f"无法识别的期间“{raw}”:年份应在 1990—2100 之间,月份在 1—12 之间"
    return p.start, p.end, None


def parse_date(raw: str) -> tuple[date | None, str | None]:
    """(date, problem) for 2022-07-15, 2022/7/15, 2022.7.15, 2022年7月15日, 20220715, an Excel serial number."""
    s = clean(_drop_time(raw))
    if s.lower() in _MISSING:
        return None, None
    y = mo = d = None
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := re.fullmatch(r"(\d{5})(\.0+)?", s):
        n = int(m.group(1))
        if 32874 <= n <= 73051:  # Excel day numbers for 1990 … 2100
            return date(1899, 12, 30) + timedelta(days=n), None
    if y is None:
        return None, f"无法识别的日期“{raw}”:请写作 2022-07-15、2022/7/15 或 2022年7月15日"
    try:
        return date(y, mo, d), None
    except ValueError:
        return None, f"日期“{raw}”不存在"


@dataclass
class Reference:
    """What validation checks against, read once per snapshot."""
    regions: dict              # code -> dict(name, level, province_code, prefecture_code, in_scope)
    names: dict                # cleaned alias -> [codes]
    indicators: dict           # code -> row
    agg_headers: dict          # cleaned header -> Column
    case_headers: dict
    derived: dict              # cleaned header -> reason
    categories: dict           # cleaned name/code -> code
    channels: dict
    category_names: list
    channel_names: list


_ref_cache: dict[str, Reference] = {}


def _header_table(columns) -> dict:
    out = {}
    for c in columns:
        for text in (c.header, c.key, *c.aliases):
            out.setdefault(templates.normalise_header(text)[0].lower(), c)
    return out


def _code_table(rows: list[dict]) -> dict:
    out = {}
    for r in rows:
        keys = {r["code"], r["name_zh"], r["name_en"].lower()} | set(r["name_zh"].split("/"))
        for k in keys:
            out[clean(k).lower()] = r["code"]
            out[clean(k).lower() + "纠纷"] = r["code"]
            out[clean(k).lower() + "类"] = r["code"]
    return out


def reference(snapshot: str) -> Reference:
    if snapshot in _ref_cache:
        return _ref_cache[snapshot]
    cur = warehouse.cursor()
    try:
        regions = cur.sql("select code, name, short_name, level, province_code, prefecture_code, in_scope "
                          "from region").pl()
        aliases = cur.sql("select alias, code from region_alias").pl()
        indicators = cur.sql("select code, domain, name_zh, name_en, unit, direction, target, definition_zh "
                             "from indicator").pl()
        cats = cur.sql("select code, name_zh, name_en from dispute_category").pl()
        chans = cur.sql("select code, name_zh, name_en from dispute_channel").pl()
    finally:
        cur.close()
    names: dict[str, list] = {}
    for alias, code in aliases.iter_rows():
        lst = names.setdefault(clean(alias), [])
        if code not in lst:
            lst.append(code)
    tpls = templates.build(indicators)
    agg_cols = [c for t in tpls if t.target == "observation" for c in t.columns]
    case_cols = [c for t in tpls if t.target == "dispute_case" for c in t.columns]
    derived = {}
    ind = {r["code"]: r for r in indicators.iter_rows(named=True)}
    for code, parts in templates.DERIVED.items():
        if code in ind:
            for text in (ind[code]["name_zh"], code):
                derived[templates.normalise_header(text)[0].lower()] = f"“{ind[code]['name_zh']}”由{parts}计算得出,不导入;请删除该列"
    ref = Reference(
        regions={r["code"]: r for r in regions.iter_rows(named=True)}, names=names, indicators=ind,
        agg_headers=_header_table(agg_cols), case_headers=_header_table(case_cols), derived=derived,
        categories=_code_table(list(cats.iter_rows(named=True))),
        channels=_code_table(list(chans.iter_rows(named=True))),
        category_names=cats["name_zh"].to_list(), channel_names=chans["name_zh"].to_list())
    _ref_cache.clear()  # one snapshot at a time is enough
    _ref_cache[snapshot] = ref
    return ref


def _region_label(ref: Reference, code: str) -> str:
    r = ref.regions.get(code)
    return f"{r['name']}({code})" if r else code


def resolve_region(ref: Reference, raw: str, county_only: bool = False) -> tuple[str | None, str | None]:
    """(code, problem) for a six-digit code or a name, short names included; ambiguous names are refused."""
    s = clean(raw).replace("(", "(").replace(")", ")")
    if m := re.fullmatch(r"(\d{6})(0{6}|\.0+)?", s):
        code = m.group(1)
        if code not in ref.regions:
            return None, f"地区代码“{raw}”不存在"
        codes = [code]
    elif re.fullmatch(r"\d+(\.\d+)?", s):
        return None, f"地区代码“{raw}”不是6位数字"
    else:
        codes = ref.names.get(s, [])
        if not codes:
            # no place name is long: fuzzy matching a long text would only cost time (difflib indexes it whole)
            near = difflib.get_close_matches(s, list(ref.names), n=3, cutoff=0.6) if len(s) <= FUZZY_CHARS else []
            hint = f";是否指:{'、'.join(near)}?" if near else ""
            return None, f"地区“{raw}”不存在(请填写6位代码或正式名称){hint}"
    if county_only:
        counties = [c for c in codes if ref.regions[c]["level"] == "county"]
        if not counties:
            return None, f"“{raw}”不是县级地区(是 {'、'.join(_region_label(ref, c) for c in codes)});案件须填写所在县(市、区)"
        codes = counties
    if len(codes) > 1:
        return None, (f"地区名称“{raw}”有歧义,可能是:{'、'.join(_region_label(ref, c) for c in codes)};"
                      f"请改填6位地区代码")
    code = codes[0]
    if not ref.regions[code]["in_scope"]:
        return None, f"地区“{raw}”({code})不在本系统的统计范围内"
    return code, None


def _map_unique(df: pl.DataFrame, col: str, fn, outputs: dict) -> pl.DataFrame:
    """Apply fn to each distinct value of df[col] and join the results back as new columns."""
    return df.with_columns(_mapped(df, col, fn, outputs, pl.col(col)))


def _mapped(df: pl.DataFrame, col: str, fn, outputs: dict, source: pl.Expr) -> list[pl.Expr]:
    # A hash lookup per row (replace_strict) is much cheaper than a join on a million-row frame.
    uniq = df.get_column(col).drop_nulls().unique()
    results = [fn(v) for v in uniq.to_list()]
    return [source.replace_strict(uniq, pl.Series(name, [r[i] for r in results], dtype=dtype), default=None,
                                  return_dtype=dtype).alias(name)
            for i, (name, dtype) in enumerate(outputs.items())]


# --------------------------------------------------------------------------------------------------
# Sheets: find the header row, map the columns, cut out the data rows
# --------------------------------------------------------------------------------------------------
@dataclass
class Mapped:
    sheet: Sheet
    kind: str                  # observation | dispute_case
    header_row: int            # spreadsheet row number of the header
    columns: dict              # frame column -> (Column, unit in header, header text)
    data: pl.DataFrame         # data rows: mapped columns renamed to their keys, plus _file/_sheet/_row
    raw: pl.DataFrame          # the same rows as the user wrote them (original headers), plus _row


def _cell_text(v) -> str:
    return "" if v is None else str(v).strip()


def _match(ref: Reference, table: dict, text: str):
    whole, name, unit = templates.normalise_header(text)
    for key, u in ((whole.lower(), ""), (name.lower(), unit)):
        if key in table:
            return table[key], u
    return None


def _find_header(sheet: Sheet, ref: Reference) -> tuple[int, str] | None:
    best = (0, -1, "")
    rows = sheet.cells.head(HEADER_SEARCH_ROWS).rows()
    for i, row in enumerate(rows):
        texts = [_cell_text(v) for v in row if _cell_text(v)]
        agg_hits = (_match(ref, ref.agg_headers, t) for t in texts)
        case_hits = (_match(ref, ref.case_headers, t) for t in texts)
        agg = {hit[0].key for hit in agg_hits if hit}
        case = {hit[0].key for hit in case_hits if hit}
        for score, kind in ((len(case) + ({"case_no", "identified_date"} <= case), "dispute_case"),
                            (len(agg) + ({"region", "period"} <= agg), "observation")):
            if score > best[0]:
                best = (score, i, kind)
    if best[0] < 2:
        return None
    return best[1], best[2]


def _no_header_reason(sheet: Sheet, ref: Reference) -> str:
    first = [_cell_text(v) for v in (sheet.cells.row(0) if sheet.cells.height else ())]
    if any(resolve_region(ref, t)[0] for t in first if t):
        return "找不到表头行:第一行就是数据;请在数据上方加上模板的列名行(地区、期间…或案件编号、登记日期…)"
    reason = (f"找不到表头行:前 {HEADER_SEARCH_ROWS} 行中没有可识别的列名(如“地区”“期间”或“案件编号”“登记日期”);"
              f"请使用数据管理页提供的模板")
    if sheet.encoding == "GBK/GB18030":
        reason += "。文件已按 GBK/GB18030 解码,如果列名显示为乱码,说明文件是其他编码(如 Big5),请另存为“CSV UTF-8”"
    return reason


def map_sheet(sheet: Sheet, ref: Reference, problems: _Problems) -> Mapped | None:
    label = sheet.name
    if sheet.cells.height == 0 or sheet.cells.width == 0:
        return None
    found = _find_header(sheet, ref)
    if found is None:
        problems.add(sheet.file, label, _no_header_reason(sheet, ref))
        return None
    h, kind = found
    table = ref.case_headers if kind == "dispute_case" else ref.agg_headers
    header = [_cell_text(v) for v in sheet.cells.row(h)]
    above = [_cell_text(v) for v in sheet.cells.row(h - 1)] if h > 0 else [""] * len(header)
    body = sheet.cells.slice(h + 1)
    xml_offset = 0
    if sheet.first_cols:
        j0 = next((j for j, t in enumerate(header) if t), 0)
        xml_offset = sheet.first_cols.get(sheet.first_row + h, j0) - j0
    columns, seen, hints = {}, {}, {}
    ok = True
    last = max((j for j, t in enumerate(header) if t), default=-1)
    below = [_cell_text(v) for v in sheet.cells.row(h + 1)] if h + 1 < sheet.cells.height else []
    sub = [t for t in below if t and (_match(ref, ref.agg_headers, t) or _match(ref, ref.case_headers, t))]
    if len(sub) >= 2:
        problems.add(sheet.file, label, f"表头占了两行(第 {sheet.first_row + h} 行和第 {sheet.first_row + h + 1} 行,"
                     f"第二行有“{'”“'.join(sub[:3])}”)或有合并单元格;请改成模板那样的单行表头,每列一个列名",
                     column=f"表头第 {sheet.first_row + h + 1} 行")
        ok = False
    filled = {c: body.height - body.get_column(c).null_count() - (body.get_column(c) == "").sum() for c in body.columns}
    # A blank header over a column most rows fill is a header problem, not a few rows with an extra field.
    last = max([last] + [j for j, t in enumerate(header) if not t and filled.get(f"c{j}", 0) * 2 > body.height])
    header_row = sheet.first_row + h
    for j, text in enumerate(header):
        col = f"c{j}"
        letter = col_letters(j + xml_offset)
        has_data = filled.get(col, 0) > 0
        if not text:
            if has_data and j <= last:
                merged = bool(above[j]) or (j > 0 and bool(header[j - 1]))
                hint = (f"表头占了多行(上一行是“{above[j]}”)或有合并单元格" if above[j] else
                        "表头可能有合并单元格") if merged else "该列没有列名"
                problems.add(sheet.file, label, f"第 {letter} 列有数据但没有列名:{hint};请改成模板那样的单行表头,"
                             f"每列一个列名", column=f"{letter}列(表头第 {header_row} 行)")
                ok = False
            continue
        whole, bare = (x.lower() for x in templates.normalise_header(text)[:2])
        if whole in ref.derived or bare in ref.derived:
            problems.add(sheet.file, label, ref.derived.get(whole) or ref.derived[bare],
                         column=text, value=text)
            ok = False
            continue
        hit = _match(ref, table, text)
        if hit is None:
            other = _match(ref, ref.agg_headers if kind == "dispute_case" else ref.case_headers, text)
            if any(templates.normalise_header(text)[1].startswith(x) for x in templates.IGNORED_HEADERS):
                continue
            if other is not None and other[0].key not in ("region",):
                problems.add(sheet.file, label, f"列“{text}”属于另一种模板({'汇总报表' if kind == 'dispute_case' else '案件明细'}),"
                             f"不能与本表的列混在一起;请分成两个工作表或两个文件", column=text, value=text)
                ok = False
                continue
            if whole not in hints:  # a wide sheet repeats its unknown names: look each up once
                near = difflib.get_close_matches(whole, list(table), n=6, cutoff=0.5) if len(whole) <= FUZZY_CHARS else []
                hints[whole] = list(dict.fromkeys(table[n].header for n in near))[:2]
            near = hints[whole]
            hint = f";是否指“{'”或“'.join(near)}”?" if near else ""
            problems.add(sheet.file, label, f"无法识别的列“{text}”{hint}如不需要导入,请删除该列或把列名改为“备注”",
                         column=text, value=text)
            ok = False
            continue
        column, unit = hit
        if column.key in seen:
            problems.add(sheet.file, label, f"列“{column.header}”出现了两次(“{seen[column.key]}”和“{text}”)",
                         column=text, value=text)
            ok = False
            continue
        scale, unit_problem = _header_unit(column, unit)
        if unit_problem:
            problems.add(sheet.file, label, unit_problem, column=text, value=text)
            ok = False
            continue
        seen[column.key] = text
        columns[col] = (column, scale, text)
    keys = {c.key for c, _, _ in columns.values()}
    required = [c for c in (templates.CASE_COLUMNS if kind == "dispute_case" else (templates.REGION, templates.PERIOD))
                if c.required]
    for c in required:
        if c.key not in keys:
            problems.add(sheet.file, label, f"缺少必填列“{c.header}”(表头在第 {header_row} 行)", column=c.header)
            ok = False
    if kind == "observation":
        inds = [c for c, _, _ in columns.values() if c.is_indicator]
        if not inds:
            problems.add(sheet.file, label, "没有任何指标列;请使用模板中的指标列名")
            ok = False
        if any(c.key.startswith("sat_") for c in inds) and "sample_size" not in keys:
            problems.add(sheet.file, label, "有调查比率列,但缺少必填列“样本量”(计算置信区间需要)",
                         column="样本量")
            ok = False
    # Rows: number them as the spreadsheet does, drop the empty ones.
    mapped_cols = list(columns)
    present = set(body.columns)  # sets, not lists: a sheet may be a thousand columns wide
    used = [f"c{j}" for j, t in enumerate(header) if t and f"c{j}" in present]
    used_set = set(used)
    body = body.with_columns(
        *(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in body.columns),
        (pl.int_range(pl.len()) + header_row + 1).cast(pl.Int64).alias("_row"))
    key_cols = mapped_cols or used
    if key_cols:
        body = body.filter(~pl.all_horizontal(pl.col(c).is_null() for c in key_cols))
    counts = Counter(header)
    raw = body.select("_row", *(pl.col(f"c{j}").alias(_unique_name(header, j, counts)) for j in range(len(header))
                                if f"c{j}" in used_set))
    data = body.select(pl.lit(sheet.file).alias("_file"), pl.lit(label).alias("_sheet"), "_row",
                       *(pl.col(c).alias(columns[c][0].key) for c in mapped_cols))
    if body.height == 0:
        problems.add(sheet.file, label, f"表头(第 {header_row} 行)下面没有数据行")
        ok = False
    overflow = [c for c in body.columns if c.startswith("c") and c[1:].isdigit() and int(c[1:]) > last]
    for c in overflow:
        extra = body.select("_row", c).filter(pl.col(c).is_not_null())  # two columns, not the whole width
        if extra.height:
            problems.add_frame(extra.with_columns(pl.lit(sheet.file).alias("_file"), pl.lit(label).alias("_sheet")),
                               f"{col_letters(int(c[1:]) + xml_offset)}列", pl.col(c),
                               "该行的字段比表头多(可能是数字中的逗号没有加引号,或表头少了列名)")
    if sheet.cut_row is not None and sheet.cut_row > h:
        problems.add(sheet.file, label, CUT_ROW_REASON, row=sheet.first_row + sheet.cut_row, value=sheet.cut_value)
    _formula_problems(sheet, header, h, xml_offset, problems)
    if not ok:
        return Mapped(sheet, kind, header_row, {}, data.head(0), raw)
    return Mapped(sheet, kind, header_row, columns, data, raw)


def _unique_name(header: list[str], j: int, counts: Counter) -> str:
    name = header[j] or f"第{j + 1}列"
    return name if counts[header[j]] == 1 else f"{name}_{j + 1}"


def _header_unit(column: templates.Column, unit: str) -> tuple[float, str | None]:
    """The scale a header's unit implies ((万元) → 10000) or why it does not fit the column."""
    if not unit or not column.is_indicator:
        return 1.0, None
    u = unit.replace("%", "%")
    if column.kind == "rate":
        return (1.0, None) if u in ("%", "百分比") else (1.0, f"列“{column.header}”是比率(%),列名中的单位“{unit}”不符")
    base = column.unit
    if u == base or (column.kind == "count" and u in ("个", "人", "件", "起", "户", "名", "人次")):
        return 1.0, None
    if u in (f"万{base}", "万") or (column.kind == "count" and u.startswith("万")):
        return 1e4, None
    if u in (f"亿{base}", "亿"):
        return 1e8, None
    return 1.0, f"列“{column.header}”的单位应为“{base}”,列名中的单位“{unit}”不符"


def _formula_problems(sheet: Sheet, header: list[str], h: int, offset: int, problems: _Problems) -> None:
    for row, letters, kind, text in sheet.bad_cells:
        if row <= sheet.first_row + h:
            continue
        j = col_index(letters) - offset
        name = header[j] if 0 <= j < len(header) and header[j] else f"{letters}列"
        if kind == "error":
            reason = f"单元格 {letters}{row} 是错误值 {text}(公式出错);请更正公式或直接填写数值"
        else:
            reason = (f"单元格 {letters}{row} 是公式(={text[:40]}),但文件中没有保存计算结果(常见于程序生成的文件);"
                      f"请在 Excel 中打开、重新计算并保存,或直接填写数值")
        problems.add(sheet.file, sheet.name, reason, row=row, column=name,
                     value=f"={text}" if kind == "formula" else text)


# --------------------------------------------------------------------------------------------------
# Aggregated reports: one row per region × period, indicators as columns
# --------------------------------------------------------------------------------------------------
SUM_RULES = {  # total: parts (when all are given, the total must equal their sum)
    "grid_count": ("grid_comprehensive_count", "grid_dedicated_count"),
    "grid_worker_count": ("grid_worker_fulltime", "grid_worker_parttime"),
    "ag_evil_group_gang": ("ag_evil_group", "ag_evil_gang"),
    "ag_gang_total": ("ag_black_org", "ag_evil_group", "ag_evil_gang"),
}
AT_LEAST_RULES = {"center_count": ("center_county_count", "center_township_count", "center_village_count")}
STAGE_CHAIN = ("dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved", "dispute_followed_up")
TOTAL_ROW = re.compile(r"^(合计|总计|小计|汇总|全部|总数|累计)$")


def _region_columns(df: pl.DataFrame, ref: Reference, source: str, county_only: bool) -> pl.DataFrame:
    def fn(v):
        code, problem = resolve_region(ref, v, county_only)
        r = ref.regions.get(code) if code else None
        return (code, problem, r["level"] if r else None, r["province_code"] if r else None,
                r["prefecture_code"] if r else None)
    return _map_unique(df, source, fn, {"region_code": pl.String, "_region_err": pl.String, "level": pl.String,
                                        "province_code": pl.String, "prefecture_code": pl.String})


def validate_observations(parts: list[Mapped], ref: Reference, problems: _Problems, today: date) -> pl.DataFrame:
    """Long rows (region, period, indicator, value, sample size) of every aggregated sheet; problems recorded."""
    out = []
    for m in parts:
        df = m.data
        if df.height == 0:
            continue
        totals = df.filter(pl.col("region").str.replace_all(r"\s", "").str.contains(TOTAL_ROW.pattern))
        problems.add_frame(totals, "地区", pl.col("region"), "合计行不导入(系统按下级地区自行汇总),已跳过", "warning")
        df = df.filter(~pl.col("_row").is_in(totals["_row"].implode()))
        problems.add_frame(df.filter(pl.col("region").is_null()), "地区", pl.lit(""),
                           "地区为空(如果是合并单元格,请取消合并并在每一行填写地区)")
        df = _region_columns(df, ref, "region", county_only=False)
        problems.add_frame(df.filter(pl.col("_region_err").is_not_null()), "地区", pl.col("region"),
                           pl.col("_region_err"))
        problems.add_frame(df.filter(pl.col("period").is_null()), "期间", pl.lit(""),
                           "期间为空(如果是合并单元格,请取消合并并在每一行填写期间)")
        df = _map_unique(df, "period", parse_period,
                         {"period_start": pl.Date, "period_end": pl.Date, "_period_err": pl.String})
        problems.add_frame(df.filter(pl.col("_period_err").is_not_null()), "期间", pl.col("period"),
                           pl.col("_period_err"))
        problems.add_frame(df.filter(pl.col("period_start") > today), "期间", pl.col("period"),
                           pl.format("期间在未来(晚于今天 {})", pl.lit(today.isoformat())))
        problems.add_frame(df.filter((pl.col("period_start") <= today) & (pl.col("period_end") > today)), "期间",
                           pl.col("period"), pl.format("期间尚未结束(截止 {}),请在期末之后报送",
                                                       pl.col("period_end").cast(pl.String)))
        sample = None
        if "sample_size" in df.columns:
            df = _map_unique(df, "sample_size", parse_number,
                             {"_n": pl.Float64, "_n_suffix": pl.String, "_n_err": pl.String})
            sample = df
        # Indicator cells, long: one row per (row, indicator).
        cols = {c.key: (c, scale, text) for c, scale, text in m.columns.values() if c.is_indicator}
        keep = ROW_KEYS + ["region", "period", "region_code", "level", "province_code", "prefecture_code",
                           "period_start", "period_end"]
        keep += ["_n", "_n_err", "sample_size"] if sample is not None else []
        long = df.unpivot(index=keep, on=list(cols), variable_name="indicator", value_name="raw")
        long = long.filter(pl.col("raw").is_not_null())
        long = _map_unique(long, "raw", parse_number, {"value": pl.Float64, "_suffix": pl.String, "_err": pl.String})
        meta = pl.DataFrame({"indicator": list(cols), "kind": [cols[k][0].kind for k in cols],
                             "scale": [cols[k][1] for k in cols], "header": [cols[k][2] for k in cols]})
        long = long.join(meta, on="indicator", how="left").with_columns(
            (pl.col("value") * pl.col("scale")).alias("value"))
        out.append((m, df, long))
    if not out:
        return pl.DataFrame()
    long = pl.concat([x[2] for x in out], how="diagonal_relaxed")
    _check_values(long, problems)
    _check_rows(long, problems)
    rows = pl.concat([x[1] for x in out], how="diagonal_relaxed")
    empty = rows.join(long.select(ROW_KEYS).unique(), on=ROW_KEYS, how="anti")
    problems.add_frame(empty.filter(pl.col("_region_err").is_null() & pl.col("region").is_not_null()), "", pl.lit(""),
                       "该行没有填写任何指标值,已跳过", "warning")
    if "_n" in long.columns:
        sat = long.filter(pl.col("indicator").str.starts_with("sat_"))
        n_rows = sat.select(ROW_KEYS + ["sample_size", "_n", "_n_err"]).unique(ROW_KEYS)
        problems.add_frame(n_rows.filter(pl.col("sample_size").is_null()), "样本量", pl.lit(""),
                           "样本量为空:有调查比率的行必须填写样本量")
        problems.add_frame(n_rows.filter(pl.col("_n_err").is_not_null()), "样本量", pl.col("sample_size"),
                           pl.col("_n_err"))
        problems.add_frame(n_rows.filter((pl.col("_n") < 1) | (pl.col("_n") != pl.col("_n").round(0))), "样本量",
                           pl.col("sample_size"), "样本量应为正整数")
    # Duplicates inside the upload: the same region, period and indicator twice.
    keyed = long.filter(pl.col("region_code").is_not_null() & pl.col("period_start").is_not_null())
    key = ["region_code", "period_start", "period_end", "indicator"]
    first = keyed.sort(ROW_KEYS).group_by(key, maintain_order=True).agg(
        *FIRST_ROW)
    dup = keyed.join(first, on=key).filter(
        (pl.col("_file") != pl.col("_f0")) | (pl.col("_sheet") != pl.col("_s0")) | (pl.col("_row") != pl.col("_r0")))
    dup_rows = dup.group_by(ROW_KEYS + ["_f0", "_s0", "_r0"], maintain_order=True).agg(
        pl.col("region").first(), pl.col("period").first(), pl.col("header").str.join("、").alias("headers"))
    problems.add_frame(dup_rows, "地区、期间", pl.format("{} {}", pl.col("region"), pl.col("period")), pl.format(
        "重复:与{}第 {} 行的地区、期间相同(指标:{})", _where(pl.col("_f0"), pl.col("_s0"), pl.col("_file")),
        pl.col("_r0"), pl.col("headers")))
    return long.select(ROW_KEYS + ["header", "raw", "region", "period", "region_code", "level", "province_code",
                                   "prefecture_code",
                                   "period_start", "period_end", "indicator", "value"]
                       + (["_n"] if "_n" in long.columns else [])).rename({"_n": "sample_size"}, strict=False)


def _where(f: pl.Expr, s: pl.Expr, this_file: pl.Expr) -> pl.Expr:
    return (pl.when(f != this_file).then(pl.format("文件“{}”", f)).otherwise(pl.lit(""))
            + pl.when(s != "").then(pl.format("工作表“{}”", s)).otherwise(pl.lit("")))


def _check_values(long: pl.DataFrame, problems: _Problems) -> None:
    v, kind = pl.col("value"), pl.col("kind")
    problems.add_frame(long.filter(pl.col("_err").is_not_null()), pl.col("header"), pl.col("raw"), pl.col("_err"))
    ok = long.filter(pl.col("_err").is_null())
    problems.add_frame(ok.filter((kind != "rate") & pl.col("_suffix").str.contains("%")), pl.col("header"),
                       pl.col("raw"), "该列不是比率,不能带 %")
    problems.add_frame(ok.filter((kind == "rate") & pl.col("_suffix").str.contains("[万亿]")), pl.col("header"),
                       pl.col("raw"), "比率不能带“万”“亿”")
    problems.add_frame(ok.filter(v < 0), pl.col("header"), pl.col("raw"), pl.format("不能为负数({})", pl.col("raw")))
    problems.add_frame(ok.filter((kind == "rate") & (v > 100)), pl.col("header"), pl.col("raw"),
                       pl.format("比率超过100%({})", pl.col("raw")))
    problems.add_frame(ok.filter((kind == "count") & (v >= 0) & ((v - v.round(0)).abs() > 1e-9)), pl.col("header"),
                       pl.col("raw"), pl.format("个数应为整数(“{}”)", pl.col("raw")))
    small = (ok.filter(kind == "rate").group_by("_file", "_sheet", "header")
             .agg(pl.col("value").max().alias("top"), pl.col("_row").min().alias("_row"), pl.len().alias("n"))
             .filter((pl.col("top") <= 1) & (pl.col("top") > 0) & (pl.col("n") >= 2)))
    problems.add_frame(small, pl.col("header"), pl.col("top").cast(pl.String),
                       "这一列的比率都不超过 1,是否填成了小数?比率应填百分数(如 97.5 表示 97.5%)", "warning")


def _check_rows(long: pl.DataFrame, problems: _Problems) -> None:
    """Rules across the indicators of one row: stage order, totals equal their parts."""
    bad_rows = long.filter(pl.col("_err").is_not_null() | (pl.col("value") < 0)).select(ROW_KEYS).unique()
    good = long.filter(pl.col("value").is_not_null()).join(bad_rows, on=ROW_KEYS, how="anti")
    if good.height == 0:
        return
    wide = good.pivot(on="indicator", index=ROW_KEYS, values="value", aggregate_function="first")
    header = good.group_by("_file", "_sheet", "indicator").agg(pl.col("header").first())
    names = {r["indicator"]: r["header"] for r in header.iter_rows(named=True)}

    def label(code):
        return templates.normalise_header(names.get(code, code))[1]

    present = [c for c in STAGE_CHAIN if c in wide.columns]
    for i, later in enumerate(present[1:], 1):
        # compare with the nearest earlier stage given on the same row
        earlier = pl.coalesce([pl.col(c) for c in reversed(present[:i])])
        name_earlier = pl.coalesce([pl.when(pl.col(c).is_not_null()).then(pl.lit(label(c)))
                                    for c in reversed(present[:i])])
        bad = wide.filter(pl.col(later) > earlier)
        problems.add_frame(bad, pl.lit(names.get(later, later)), pl.col(later).cast(pl.Int64).cast(pl.String),
                           pl.format("{}({})大于{}({})", pl.lit(label(later)), pl.col(later).cast(pl.Int64),
                                     name_earlier, earlier.cast(pl.Int64)))
    for total, parts in SUM_RULES.items():
        if total in wide.columns and all(p in wide.columns for p in parts):
            s = pl.sum_horizontal(pl.col(p) for p in parts)
            given = pl.all_horizontal(pl.col(p).is_not_null() for p in parts + (total,))
            bad = wide.filter(given & ((pl.col(total) - s).abs() > 1e-6))
            problems.add_frame(bad, pl.lit(names.get(total, total)), pl.col(total).cast(pl.String),
                               pl.format("{}({})不等于{}之和({})", pl.lit(label(total)), pl.col(total).cast(pl.Int64),
                                         pl.lit("、".join(label(p) for p in parts)), s.cast(pl.Int64)))
    for total, parts in AT_LEAST_RULES.items():
        if total in wide.columns and all(p in wide.columns for p in parts):
            s = pl.sum_horizontal(pl.col(p) for p in parts)
            given = pl.all_horizontal(pl.col(p).is_not_null() for p in parts + (total,))
            bad = wide.filter(given & (pl.col(total) < s))
            problems.add_frame(bad, pl.lit(names.get(total, total)), pl.col(total).cast(pl.String),
                               pl.format("{}({})小于{}之和({})", pl.lit(label(total)), pl.col(total).cast(pl.Int64),
                                         pl.lit("、".join(label(p) for p in parts)), s.cast(pl.Int64)))


# --------------------------------------------------------------------------------------------------
# Record-level dispute cases
# --------------------------------------------------------------------------------------------------
DATE_COLUMNS = ("identified_date", "accepted_date", "mediated_date", "closed_date", "followup_date")
DATE_ORDER = (("accepted_date", "identified_date", "受理日期早于登记日期"),
              ("mediated_date", "accepted_date", "调解日期早于受理日期"),
              ("closed_date", "mediated_date", "办结日期早于调解日期"),
              ("closed_date", "accepted_date", "办结日期早于受理日期"),
              ("followup_date", "closed_date", "回访日期早于办结日期"))
CASE_HEADERS = {c.key: c.header for c in templates.CASE_COLUMNS}


def validate_cases(parts: list[Mapped], ref: Reference, problems: _Problems, today: date) -> pl.DataFrame:
    frames = [m.data for m in parts if m.data.height]
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal_relaxed")
    for c in ("grid_id", "accepted_date", "mediated_date", "closed_date", "outcome", "followup_date"):
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(c))
    H = CASE_HEADERS
    df = df.with_columns(pl.col("case_no").str.strip_chars())
    for col in ("case_no", "county", "category", "channel", "identified_date"):
        empty = df.filter(pl.col(col).is_null() | (pl.col(col).str.strip_chars(" \t\u3000") == "")
                          if col != "case_no" else pl.col("case_no").is_null() | (pl.col("case_no") == ""))
        problems.add_frame(empty, H[col], pl.lit(""), f"{H[col]}为空(必填"
                           f"{';如果是合并单元格,请取消合并并在每一行填写' if col == 'county' else ''})")
    problems.add_frame(df.filter(pl.col("case_no").str.len_chars() > 64), H["case_no"], pl.col("case_no"),
                       "案件编号超过 64 个字符")
    df = _region_columns(df, ref, "county", county_only=True)
    problems.add_frame(df.filter(pl.col("_region_err").is_not_null()), H["county"], pl.col("county"),
                       pl.col("_region_err"))
    df = _map_unique(df, "category", lambda v: (ref.categories.get(clean(v).lower()),), {"category_code": pl.String})
    problems.add_frame(df.filter(pl.col("category").is_not_null() & pl.col("category_code").is_null()), H["category"],
                       pl.col("category"), pl.format("纠纷类别“{}”不在目录中(可填:{})", pl.col("category"),
                                                     pl.lit("、".join(ref.category_names))))
    df = _map_unique(df, "channel", lambda v: (ref.channels.get(clean(v).lower()),), {"channel_code": pl.String})
    problems.add_frame(df.filter(pl.col("channel").is_not_null() & pl.col("channel_code").is_null()), H["channel"],
                       pl.col("channel"), pl.format("调解渠道“{}”不在目录中(可填:{})", pl.col("channel"),
                                                    pl.lit("、".join(ref.channel_names))))
    df = _map_unique(df, "outcome", lambda v: (templates.OUTCOMES.get(clean(v).lower()),), {"outcome_code": pl.String})
    problems.add_frame(df.filter(pl.col("outcome").is_not_null() & pl.col("outcome_code").is_null()), H["outcome"],
                       pl.col("outcome"), pl.format("办理结果“{}”无法识别(可填:化解成功、化解失败、撤回;在办案件不填)",
                                                    pl.col("outcome")))
    for c in DATE_COLUMNS:
        # ISO dates parse in bulk; only the other spellings go through parse_date, once per distinct value.
        df = df.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False).alias(f"{c}_d"))
        rest = df.filter(pl.col(c).is_not_null() & pl.col(f"{c}_d").is_null())
        if rest.height:
            d, err = _mapped(rest, c, parse_date, {f"{c}_d": pl.Date, f"_{c}_err": pl.String}, pl.col(c))
            df = df.with_columns(pl.coalesce(pl.col(f"{c}_d"), d).alias(f"{c}_d"),
                                 pl.when(pl.col(f"{c}_d").is_null()).then(err).alias(f"_{c}_err"))
        else:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(f"_{c}_err"))
        problems.add_frame(df.filter(pl.col(f"_{c}_err").is_not_null()), H[c], pl.col(c), pl.col(f"_{c}_err"))
        problems.add_frame(df.filter(pl.col(f"{c}_d") > today), H[c], pl.col(c),
                           pl.format("日期在未来(晚于今天 {})", pl.lit(today.isoformat())))
        problems.add_frame(df.filter(pl.col(f"{c}_d") < EARLIEST), H[c], pl.col(c), "日期早于 1990 年,请核对")
    for later, earlier, reason in DATE_ORDER:
        bad = df.filter(pl.col(f"{later}_d") < pl.col(f"{earlier}_d"))
        problems.add_frame(bad, H[later], pl.col(later), pl.format(f"{reason}({{}})", pl.col(earlier)))
    o = pl.col("outcome_code")
    rules = (
        (pl.col("mediated_date_d").is_not_null() & pl.col("accepted_date_d").is_null(), "mediated_date",
         "有调解日期但没有受理日期"),
        (o.is_not_null() & pl.col("closed_date_d").is_null(), "closed_date", "有办理结果但没有办结日期"),
        (o.is_null() & pl.col("outcome").is_null() & pl.col("closed_date_d").is_not_null(), "outcome",
         "有办结日期但没有办理结果(化解成功、化解失败或撤回)"),
        (o.is_not_null() & pl.col("accepted_date_d").is_null(), "accepted_date", "已办结的案件须有受理日期"),
        (o.is_in(["resolved", "failed"]) & pl.col("mediated_date_d").is_null(), "mediated_date",
         "化解成功或失败的案件须有调解日期"),
        (pl.col("followup_date_d").is_not_null() & (o.fill_null("") != "resolved"), "followup_date",
         "只有化解成功的案件才有回访日期"),
    )
    for cond, col, reason in rules:
        problems.add_frame(df.filter(cond), H[col], pl.col(col), reason)
    # Grids: optional, but when given they must exist in that county.
    df = df.with_columns(pl.col("grid_id").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False).alias("grid_id_n"))
    problems.add_frame(df.filter(pl.col("grid_id").is_not_null() & pl.col("grid_id_n").is_null()), H["grid_id"],
                       pl.col("grid_id"), "网格编号应为整数")
    ids = df.get_column("grid_id_n").drop_nulls().unique()
    if ids.len():
        known = _grid_counties(ids)
        df = df.join(known, left_on="grid_id_n", right_on="grid_id", how="left", maintain_order="left")
        problems.add_frame(df.filter(pl.col("grid_id_n").is_not_null() & pl.col("grid_county").is_null()), H["grid_id"],
                           pl.col("grid_id"), "网格编号不存在")
        elsewhere = df.filter(pl.col("grid_county").is_not_null() & pl.col("region_code").is_not_null()
                              & (pl.col("grid_county") != pl.col("region_code")))
        problems.add_frame(elsewhere, H["grid_id"], pl.col("grid_id"),
                           pl.format("网格属于另一个县(代码 {}),不属于本行的县(市、区)", pl.col("grid_county")))
    # Duplicate case numbers within a county, across every file of the upload.
    keyed = df.filter(pl.col("region_code").is_not_null() & pl.col("case_no").is_not_null())
    keyed = keyed.filter((pl.col("region_code") + "|" + pl.col("case_no")).is_duplicated())
    first = keyed.sort(ROW_KEYS).group_by("region_code", "case_no", maintain_order=True).agg(
        *FIRST_ROW,
        pl.len().alias("_n"))
    dup = keyed.join(first.filter(pl.col("_n") > 1), on=["region_code", "case_no"]).filter(
        (pl.col("_file") != pl.col("_f0")) | (pl.col("_sheet") != pl.col("_s0")) | (pl.col("_row") != pl.col("_r0")))
    problems.add_frame(dup, H["case_no"], pl.col("case_no"), pl.format(
        "案件编号重复:与{}第 {} 行同一县的案件编号相同", _where(pl.col("_f0"), pl.col("_s0"), pl.col("_file")),
        pl.col("_r0")))
    return df.select(
        ROW_KEYS + [pl.col("case_no"), pl.col("province_code"), pl.col("prefecture_code"),
                    pl.col("region_code").alias("county_code"), pl.col("grid_id_n").alias("grid_id"),
                    pl.col("category_code").alias("category"), pl.col("channel_code").alias("channel")]
        + [pl.col(f"{c}_d").alias(c) for c in DATE_COLUMNS] + [pl.col("outcome_code").alias("outcome")])


def _grid_counties(ids: pl.Series) -> pl.DataFrame:
    cur = warehouse.cursor()
    try:
        cur.register("_grid_ids", pl.DataFrame({"grid_id": ids}).to_arrow())
        return cur.sql("select g.grid_id, g.county_code as grid_county from grid as g "
                       "join _grid_ids as i on i.grid_id = g.grid_id").pl()
    finally:
        cur.close()


# --------------------------------------------------------------------------------------------------
# Against what is already in the warehouse
# --------------------------------------------------------------------------------------------------
def _table_exists(cur, name: str) -> bool:
    return bool(cur.execute("select count(*) from information_schema.tables where table_name = ?",
                            [name]).fetchall()[0][0])


def _load_label(source: str) -> str:
    load_id = source.split(":", 1)[1] if ":" in source else source
    e = loads.find(load_id)
    if e:
        files = "、".join(f.get("name", "") for f in e.get("files") or [])
        return f"导入 {load_id}(文件“{files}”,{str(e.get('at', ''))[:16].replace('T', ' ')})"
    return f"导入 {load_id}"


def check_existing(obs: pl.DataFrame, cases: pl.DataFrame, files: list[dict], problems: _Problems) -> None:
    cur = warehouse.cursor()
    try:
        if obs.height:
            cur.register("_obs_keys", obs.select("region_code", "period_start", "period_end", "indicator").unique()
                         .to_arrow())
            have = cur.sql("select o.region_code, o.period_start, o.period_end, o.indicator, min(o.source) as source "
                           "from observation as o join _obs_keys as k using (region_code, period_start, period_end, "
                           "indicator) group by all").pl()
            if have.height:
                labels = {s: _load_label(s) for s in have["source"].unique().to_list()}
                hit = (obs.join(have, on=["region_code", "period_start", "period_end", "indicator"])
                       .with_columns(pl.col("source").replace_strict(labels, default=pl.col("source")).alias("_label"))
                       .group_by(ROW_KEYS, maintain_order=True)
                       .agg(pl.col("header").str.join("、"), pl.col("_label").first(),
                            pl.col("region").first(), pl.col("period").first()))
                problems.add_frame(hit, "地区、期间", pl.format("{} {}", pl.col("region"), pl.col("period")), pl.format(
                    "数据仓库中已有该地区、期间的数据(指标:{};来自{});如需更正,请先在“快照与回滚”中回滚那次导入",
                    pl.col("header"), pl.col("_label")))
        if cases.height and _table_exists(cur, "dispute_case_number"):
            cur.register("_case_keys", cases.filter(pl.col("county_code").is_not_null())
                         .select("county_code", "case_no").unique().to_arrow())
            have = cur.sql("select n.county_code, n.case_number as case_no, min(n.source) as source "
                           "from dispute_case_number as n join _case_keys as k "
                           "on k.county_code = n.county_code and k.case_no = n.case_number group by all").pl()
            if have.height:
                labels = {s: _load_label(s) for s in have["source"].unique().to_list()}
                hit = cases.join(have, on=["county_code", "case_no"]).with_columns(
                    pl.col("source").replace_strict(labels, default=pl.col("source")).alias("_label"))
                problems.add_frame(hit, CASE_HEADERS["case_no"], pl.col("case_no"), pl.format(
                    "该县的这个案件编号已在数据仓库中(来自{})", pl.col("_label")))
        if _table_exists(cur, "import_load"):
            for f in files:
                if not f.get("sha256"):
                    continue
                rows = cur.execute("select load_id, loaded_at from import_load where sha256 = ? limit 1",
                                   [f["sha256"]]).fetchall()
                row = rows[0] if rows else None
                if row:
                    problems.add(f["name"], "", f"同一文件(内容完全相同)已于 {str(row[1])[:16]} 导入过(导入编号 {row[0]})",
                                 severity="warning")
    finally:
        cur.close()


YEARLY_PREFIXES = {"ag_": "扫黑除恶战果", "sat_": "安全感、满意度调查"}


def check_yearly(obs: pl.DataFrame, problems: _Problems) -> None:
    """Anti-gang tallies and survey results are kept by year: their reports must cover whole calendar years."""
    if obs.height == 0:
        return
    whole_year = ((pl.col("period_start").dt.month() == 1) & (pl.col("period_start").dt.day() == 1)
                  & (pl.col("period_end").dt.month() == 12) & (pl.col("period_end").dt.day() == 31)
                  & (pl.col("period_start").dt.year() == pl.col("period_end").dt.year()))
    for prefix, what in YEARLY_PREFIXES.items():
        bad = (obs.filter(pl.col("indicator").str.starts_with(prefix) & pl.col("period_start").is_not_null()
                          & ~whole_year)
               .group_by(ROW_KEYS, maintain_order=True).agg(pl.col("period").first()))
        problems.add_frame(bad, "期间", pl.col("period"), pl.format(
            "{}按年度统计,期间请填写整年(如 2022);“{}”不是整年,季度或月度数据请合计为全年后再导入",
            pl.lit(what), pl.col("period")))


def check_derived_totals(obs: pl.DataFrame, problems: _Problems) -> None:
    """Anti-gang sums (集团+团伙, 合计) shown on the pages are added up from their parts: a total given without all
    of its parts is kept but shows nowhere, and the user should know."""
    if obs.height == 0:
        return
    given = obs.filter(pl.col("value").is_not_null())
    for total, parts in SUM_RULES.items():
        if not total.startswith("ag_"):
            continue
        rows = given.group_by(ROW_KEYS).agg(pl.col("indicator"), pl.col("header").filter(
            pl.col("indicator") == total).first().alias("total_header"), pl.col("raw").filter(
            pl.col("indicator") == total).first().alias("total_raw"))
        lacking = rows.filter(pl.col("indicator").list.contains(total)
                              & ~pl.all_horizontal(pl.col("indicator").list.contains(p) for p in parts))
        problems.add_frame(lacking, pl.col("total_header"), pl.col("total_raw"), pl.format(
            "合计类指标只用于核对:页面上的“{}”由各分项相加,这一行没有填全分项,导入后不会显示;请同时填写分项",
            pl.col("total_header")), "warning")


def check_overlaps(obs: pl.DataFrame, ref: Reference, problems: _Problems) -> None:
    """Reports must nest or be disjoint, within the file and with what was imported before (pingan/rollups.py).

    A county's July inside its prefecture's year is fine (counted once, through the wider report); a quarter and
    a July–November range of the same place, or a county's year and its prefecture's July, would be counted twice
    for the months they share. Only dispute stages can overlap in part: anti-gang tallies and surveys are whole
    years, grid and facility reports are stocks (the latest of a year counts). The stages form one group."""
    obs = obs.filter(pl.col("indicator").is_in(list(STAGE_CHAIN))) if obs.height else obs
    if obs.height == 0:
        return
    group = pl.lit("disputes")
    new = (obs.filter(pl.col("value").is_not_null())
           .select(*ROW_KEYS, "region", "period", "region_code", "province_code", "prefecture_code",
                   "period_start", "period_end", group.alias("grp"))
           .unique(subset=[*ROW_KEYS, "grp"], maintain_order=True))
    stages = ", ".join(f"'{c}'" for c in STAGE_CHAIN)
    cur = warehouse.cursor()
    try:
        cur.register("_new_keys", new.to_arrow())
        hits = cur.sql(f"""
            with earlier as (
                select distinct o.region_code, r.province_code, r.prefecture_code, o.period_start, o.period_end,
                       case when o.indicator in ({stages}) then 'disputes' else o.indicator end as grp
                from observation as o
                join region as r on r.code = o.region_code
                where o.source like 'import:%'
            ),
            every_key as (
                select region_code, province_code, prefecture_code, period_start, period_end, grp, false as old
                from _new_keys
                union
                select *, true from earlier
            )
            select n._file, n._sheet, n._row, n.region, n.period, b.region_code as other_region,
                   b.period_start as other_start, b.period_end as other_end, b.old
            from _new_keys as n
            join every_key as b
                on b.grp = n.grp
                and (b.region_code in (n.province_code, n.prefecture_code, n.region_code)
                     or n.region_code in (b.province_code, b.prefecture_code, b.region_code))
                and n.period_start <= b.period_end and b.period_start <= n.period_end
                and not (b.region_code = n.region_code and b.period_start = n.period_start
                         and b.period_end = n.period_end)
                and not ((b.region_code in (n.province_code, n.prefecture_code, n.region_code)
                          and b.period_start <= n.period_start and b.period_end >= n.period_end)
                         or (n.region_code in (b.province_code, b.prefecture_code, b.region_code)
                             and n.period_start <= b.period_start and n.period_end >= b.period_end))
            qualify row_number() over (partition by n._file, n._sheet, n._row order by b.old, b.region_code) = 1
        """).pl()
    finally:
        cur.close()
    if hits.height == 0:
        return
    labels = {c: _region_label(ref, c) for c in hits["other_region"].unique().to_list()}
    hits = hits.with_columns(
        pl.col("other_region").replace_strict(labels, default=pl.col("other_region")).alias("_other"),
        pl.when(pl.col("old")).then(pl.lit("已导入的")).otherwise(pl.lit("本次上传中")).alias("_where"))
    problems.add_frame(hits, "地区、期间", pl.format("{} {}", pl.col("region"), pl.col("period")), pl.format(
        "与{}“{} {}至{}”的报告部分重叠(既不包含它,也不被它包含),汇总时重叠的月份会重复计算;"
        "请改为互不重叠的期间,或者一份包含另一份(如各县的月报与全州的年报)",
        pl.col("_where"), pl.col("_other"), pl.col("other_start").cast(pl.String), pl.col("other_end").cast(pl.String)))


# --------------------------------------------------------------------------------------------------
# Validate: the whole report, before anything is written
# --------------------------------------------------------------------------------------------------
def _in_scope(ref: Reference, code: str, scope: str) -> bool:
    """Is region `code` the account's scope or inside it (the same ancestry queries.within reads)?"""
    r = ref.regions.get(code)
    return not scope or (r is not None and scope in (code, r["prefecture_code"], r["province_code"]))


def _outside_scope(ref: Reference, df: pl.DataFrame, column: str, scope: str) -> pl.DataFrame:
    if not scope or df.height == 0:
        return df.head(0)
    codes = [c for c in df.get_column(column).drop_nulls().unique().to_list() if not _in_scope(ref, c, scope)]
    return df.filter(pl.col(column).is_in(codes))


def scope_reason(ref: Reference, scope: str) -> pl.Expr:
    return pl.format("地区“{}”不在您的账户范围({}及其下级地区)内,不能导入", pl.col("_label"),
                     pl.lit(_region_label(ref, scope)))


def check_scope(obs: pl.DataFrame, cases: pl.DataFrame, ref: Reference, scope: str, problems: _Problems) -> None:
    """A scoped account imports only rows of its own region and below; the others are errors naming both."""
    for df, column, header in ((obs, "region_code", "地区"), (cases, "county_code", CASE_HEADERS["county"])):
        out = _outside_scope(ref, df, column, scope)
        if out.height:
            labels = {c: _region_label(ref, c) for c in out.get_column(column).unique().to_list()}
            out = (out.with_columns(pl.col(column).replace_strict(labels).alias("_label"))
                   .unique(ROW_KEYS, maintain_order=True))
            problems.add_frame(out, header, pl.col("_label"), scope_reason(ref, scope))


def validate(uploads: list[Upload], progress=None, today: date | None = None, region: str = "") -> Report:
    """Read and check every file; nothing is written. `region`: the account's scope ('' = everything)."""
    t0 = time.perf_counter()
    today = today or date.today()
    snapshot = warehouse.current_name()
    if snapshot is None:
        raise warehouse.WarehouseMissing("尚未构建数据仓库")
    ref = reference(snapshot)
    problems = _Problems()
    files, mapped, raw, counts = [], [], {}, {}
    names_seen: dict[str, int] = {}
    n = max(len(uploads), 1)
    for i, up in enumerate(uploads):
        name = up.name
        names_seen[name] = names_seen.get(name, 0) + 1
        if names_seen[name] > 1:
            name = f"{name} ({names_seen[name]})"
        info = {"name": name, "bytes": up.size, "sha256": "", "format": "", "sheets": [], "kind": ""}
        files.append(info)
        if progress:
            progress(0.05 + 0.5 * i / n, f"读取 {name}")
        try:
            check_size(up)
            data = up.reader()
            info["sha256"] = hashlib.sha256(data).hexdigest()
            if not data:
                raise FileProblem("文件是空的(0 字节)。")
            sheets = read_sheets(name, data)
            del data
        except FileProblem as exc:
            problems.add(name, "", str(exc))
            continue
        info["format"] = sheets[0].encoding if sheets else ""
        any_rows, before = False, len(problems.rows)
        for sheet in sheets:
            m = map_sheet(sheet, ref, problems)
            if m is None:
                continue
            any_rows = True
            mapped.append(m)
            raw[(name, sheet.name)] = m.raw
            counts[(name, sheet.name)] = m.raw.height
            info["sheets"].append({"name": sheet.name, "kind": m.kind, "rows": m.raw.height,
                                   "header_row": m.header_row})
        kinds = {s["kind"] for s in info["sheets"]}
        info["kind"] = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "")
        if not any_rows and len(problems.rows) == before:
            problems.add(name, "", "文件中没有数据(所有工作表都是空的,或只有“说明”表)")
    if progress:
        progress(0.6, "校验数据")
    obs = validate_observations([m for m in mapped if m.kind == "observation"], ref, problems, today)
    if progress:
        progress(0.75, "校验案件")
    cases = validate_cases([m for m in mapped if m.kind == "dispute_case"], ref, problems, today)
    if progress:
        progress(0.9, "与数据仓库核对")
    check_scope(obs, cases, ref, region, problems)
    check_existing(obs, cases, files, problems)
    check_yearly(obs, problems)
    check_derived_totals(obs, problems)
    check_overlaps(obs, ref, problems)
    report = Report(snapshot, files, problems.frame(), obs, cases, raw, counts)
    for info in files:
        keys = [(info["name"], s["name"]) for s in info["sheets"]]
        info["rows"] = sum(counts.get(k, 0) for k in keys)
    report.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, "校验完成")
    return report


# --------------------------------------------------------------------------------------------------
# Load: into a copy of the current snapshot, switched to atomically
# --------------------------------------------------------------------------------------------------
def _per_file_rows(report: Report, obs: pl.DataFrame, cases: pl.DataFrame) -> dict[str, int]:
    out: dict[str, int] = {}
    if obs.height:
        for f, n in obs.select(ROW_KEYS).unique().group_by("_file").len().iter_rows():
            out[f] = out.get(f, 0) + n
    if cases.height:
        for f, n in cases.group_by("_file").len().iter_rows():
            out[f] = out.get(f, 0) + n
    return out


def load(report: Report, valid_only: bool = False, who: str | None = None, via: str = "cli",
         progress=None, region: str = "") -> dict:
    """Write the report's rows into a new snapshot and make it current; returns the history entry.

    `region` is the loading account's scope: checked again here, whatever scope the report was validated for."""
    if report.errors and not valid_only:
        raise Refused(f"校验发现 {report.errors} 处错误,未导入任何数据。")
    obs, cases = report.valid_observations(), report.valid_cases()
    if region:
        ref = reference(report.snapshot)
        outside = sorted(set(_outside_scope(ref, obs, "region_code", region).get_column("region_code").to_list()
                             if obs.height else []) |
                         set(_outside_scope(ref, cases, "county_code", region).get_column("county_code").to_list()
                             if cases.height else []))
        if outside:
            raise Refused(f"有 {len(outside)} 个地区不在您的账户范围({_region_label(ref, region)}及其下级地区)内"
                          f"(如 {_region_label(ref, outside[0])}),未导入任何数据;请重新校验。")
    if obs.height == 0 and cases.height == 0:
        raise Refused("没有可导入的有效行。")
    if warehouse.current_name() != report.snapshot:
        raise Refused("校验之后数据仓库已经更新(另一次导入或回滚),请重新校验后再导入。")
    t0 = time.perf_counter()
    load_id = loads.new_id()
    source = f"import:{load_id}"
    per_file = _per_file_rows(report, obs, cases)
    rejected = report.rejected_rows()
    rejected_per_file = dict(rejected.group_by("文件").len().iter_rows()) if rejected.height else {}
    entry = {"action": "load", "load_id": load_id, "at": datetime.now().isoformat(timespec="seconds"),
             "who": who or loads.who(), "via": via, "mode": "valid_only" if report.errors else "all",
             "previous_snapshot": report.snapshot,
             "files": [{"name": f["name"], "sha256": f["sha256"], "bytes": f["bytes"], "kind": f["kind"],
                        "rows_loaded": per_file.get(f["name"], 0), "rows_rejected": rejected_per_file.get(f["name"], 0),
                        "demo_rows_replaced": 0} for f in report.files],
             "rows_loaded": sum(per_file.values()), "rows_rejected": rejected.height}
    if progress:
        progress(0.05, "复制当前快照")
    try:
        with warehouse.writable_copy() as (con, path):
            if warehouse.current_name() != report.snapshot:
                raise Refused("校验之后数据仓库已经更新(另一次导入或回滚),请重新校验后再导入。")
            con.execute(IMPORT_TABLES_DDL)
            if obs.height:
                if progress:
                    progress(0.2, "写入汇总数据")
                _load_observations(con, obs, source)
            replaced = 0
            if cases.height:
                replaced = _load_cases(con, cases, source, progress)
                by_file = dict(cases.group_by("_file").len().iter_rows())
                if len(by_file) == 1:
                    for f in entry["files"]:
                        if f["name"] in by_file:
                            f["demo_rows_replaced"] = replaced
            entry["demo_rows_replaced"] = replaced
            entry["snapshot"] = path.name
            if progress:
                progress(0.8, "重算汇总表")
            rollups.refresh(con)
            if progress:
                progress(0.9, "保存快照")
            loads.write_summary(con, entry, path.name)
            con.execute("insert or replace into build_info values ('last_import', ?)", [load_id])
    except Refused:
        raise
    except Exception as exc:
        entry.update(status="failed", message=f"{exc.__class__.__name__}: {exc}"[:500],
                     seconds=round(time.perf_counter() - t0, 2), snapshot=None)
        loads.record(entry)
        audit.record(entry["who"], "import_refused", _audit_detail(entry))
        raise
    entry.update(status="loaded", seconds=round(time.perf_counter() - t0, 2))
    loads.record(entry)
    audit.record(entry["who"], "import", _audit_detail(entry))
    if progress:
        progress(1.0, "导入完成")
    return entry


def _load_observations(con, obs: pl.DataFrame, source: str) -> None:
    frame = obs.select("region_code", "province_code", "period_start", "period_end", "indicator", "value",
                       *(["sample_size"] if "sample_size" in obs.columns else []), "level", "prefecture_code")
    con.register("_obs", frame.to_arrow())
    con.execute("insert into observation (region_code, province_code, period_start, period_end, indicator, value, "
                "source) select region_code, province_code, period_start, period_end, indicator, value, ? "
                "from _obs order by province_code, region_code, period_start, indicator", [source])
    if "sample_size" in frame.columns:
        con.execute("insert into observation_sample select region_code, period_start, period_end, indicator, "
                    "cast(sample_size as integer), ? from _obs where indicator like 'sat\\_%' escape '\\' "
                    "and sample_size is not null", [source])
    con.execute("insert into import_coverage select region_code, level, province_code, "
                "case when level = 'province' then null else prefecture_code end, "
                "case when level = 'county' then region_code end, period_start, period_end, indicator, "
                "'observation', ? from _obs", [source])
    con.unregister("_obs")


def _load_cases(con, cases: pl.DataFrame, source: str, progress=None) -> int:
    """Delete the demo cases of the same counties and months, then append the imported ones; returns rows deleted.

    New case ids continue above the current maximum, in the order the facts are sorted (province, prefecture,
    county, date), so the appended rows keep the zone maps useful.
    """
    start = con.execute("select coalesce(max(case_id), 0) from dispute_case").fetchall()[0][0]
    # County codes are hierarchical (province and prefecture are their prefixes), so one integer key sorts the
    # rows as the table is sorted; a stable sort keeps the file's order within a county and day.
    key = pl.col("county_code").cast(pl.Int64) * 1_000_000 + pl.col("identified_date").cast(pl.Int32)
    frame = (cases.select(ROW_KEYS + ["case_no", "province_code", "prefecture_code", "county_code", "grid_id",
                                      "category", "channel", *DATE_COLUMNS, "outcome"])
             .sort(key, maintain_order=True)
             .with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + start + 1).alias("case_id")))
    con.register("_cases", frame.to_arrow())
    con.execute("create temp table _months as select distinct county_code, "
                "cast(date_trunc('month', identified_date) as date) as month_start, "
                "cast(last_day(identified_date) as date) as month_end from _cases")
    if progress:
        progress(0.2, "删除同县同月的演示案件")
    replaced = con.execute("delete from dispute_case as d using _months as m where d.source = 'demo' "
                           "and d.county_code = m.county_code "
                           "and d.identified_date between m.month_start and m.month_end").fetchall()[0][0]
    if progress:
        progress(0.45, f"写入 {cases.height:,} 件案件")
    con.execute("insert into dispute_case (case_id, province_code, prefecture_code, county_code, grid_id, category, "
                "channel, identified_date, accepted_date, mediated_date, closed_date, outcome, followup_date, source) "
                "select case_id, province_code, prefecture_code, county_code, grid_id, category, channel, "
                "identified_date, accepted_date, mediated_date, closed_date, outcome, followup_date, ? from _cases",
                [source])
    con.execute("insert into dispute_case_number select case_id, county_code, case_no, ? from _cases", [source])
    con.execute("insert into import_coverage select m.county_code, 'county', r.province_code, r.prefecture_code, "
                "m.county_code, m.month_start, m.month_end, i.indicator, 'dispute_case', ? "
                "from _months as m join region as r on r.code = m.county_code "
                "cross join (select unnest(?::varchar[]) as indicator) as i",
                [source, list(DISPUTE_RECORD_INDICATORS)])
    con.unregister("_cases")
    con.execute("drop table _months")
    return int(replaced)


ROLLBACK_SCOPED = ("回滚会把所有地区的数据换成所选快照的数据,只有不限地区(范围“全部”)的管理员可以回滚;"
                   "您的账户范围是 {region}。如需撤销本地区的某次导入,请联系不限地区的管理员。")


def rollback(name: str, who: str | None = None, via: str = "page", region: str = "") -> dict:
    """Make an earlier snapshot current again and record it in the load history.

    A snapshot holds every region, so a rollback is refused to an account scoped to one (`region` not '')."""
    if region:
        audit.record(who or loads.who(), "rollback_refused", {"snapshot": name, "region": region, "via": via})
        raise Refused(ROLLBACK_SCOPED.format(region=region))
    previous = warehouse.current_name()
    warehouse.rollback(name)
    # A snapshot written before the current derived tables (pingan/rollups.py) gets them at once, in a new
    # snapshot holding the same facts: the pages read them, and a running server would not upgrade it itself.
    upgraded = warehouse.ensure()
    current = warehouse.current_name()
    entry = {"action": "rollback", "status": "loaded", "load_id": "",
             "at": datetime.now().isoformat(timespec="seconds"),
             "who": who or loads.who(), "via": via, "snapshot": current, "previous_snapshot": previous, "files": [],
             "message": f"回滚到 {name}" + (f"(补建汇总表后为 {current})" if current != name else "")}
    if upgraded:
        entry["upgraded"] = upgraded
    loads.record(entry)
    audit.record(entry["who"], "rollback", {"snapshot": name, "previous_snapshot": previous, "via": via})
    return entry


def _audit_detail(entry: dict) -> dict:
    return {k: entry.get(k) for k in ("load_id", "status", "via", "mode", "rows_loaded", "rows_rejected",
                                      "demo_rows_replaced", "snapshot", "previous_snapshot", "message")} | {
        "files": [{k: f.get(k) for k in ("name", "sha256", "bytes")} for f in entry.get("files") or []]}


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
