"""Reading uploads: size and zip bounds, what the bytes are (sniff), text decoding, a bounded CSV scan, and every
sheet of a workbook as text cells. Nothing here knows the templates; a file that cannot be read is a FileProblem."""
from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

MAX_MB = 150
MAX_BYTES = MAX_MB * 1024 * 1024
# Bounds checked before a file is parsed, so that no upload can make validation eat the server's memory or time
# (a zip bomb, a line of 20,000 fields, a 10 MB cell). The widest template has 16 columns; Excel itself holds at
# most 32,767 characters in a cell; real workbooks inflate 5-20 times, a bomb ~1,000 times.
MAX_FIELDS = 1_000
MAX_CELL_CHARS = 32_767
MAX_UNZIPPED_MB = 500
MAX_ZIP_RATIO = 200
HEADER_SEARCH_ROWS = 15  # the header is looked for in the first rows; the CSV scan measures their width


class FileProblem(ValueError):
    """A whole file that cannot be read; the message is for the user."""


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


