"""The hostile-file corpus for the importer: how each bad file is made and what the report must say about it.

    python tests/bad_files/corpus.py      # (re)writes the small files of this folder

Small files are committed beside this script (open them in the 数据管理 page to see the report); the big ones (100,000
rows with one bad row at the end, a 200 MB upload) and the ones that depend on the warehouse's own rows are made
at test time in a temporary folder. Each case names the reason (a substring of the plain-Chinese message) and,
where the problem is in one cell, the row and the column the report must point at.
"""
from __future__ import annotations

import io
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # run as a script: the repository root holds pingan
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pingan.bench_files import AGG_HEADER, isolated_state, make_agg_csv, make_cases_csv  # noqa: F401, E402

HERE = Path(__file__).resolve().parent

AGG_ROWS = ("大理州,2022-07,1234,1200,1100,1000,97.5", "玉林,2022年8月,\"7,992\",7792,7780,7762,97.12",
            "海西州,2022/9,310,300,290,280,90.3")
CASE_HEADER = "案件编号,县(市、区),网格编号,纠纷类别,调解渠道,登记日期,受理日期,调解日期,办结日期,办理结果,回访日期"
CASE_ROW = "QY-{n},西峰区,,婚姻家庭,人民调解,2022-07-15,2022-07-16,2022-07-18,2022-07-20,化解成功,2022-08-01"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def agg(*rows: str, header: str = AGG_HEADER) -> bytes:
    return csv_bytes(header, *rows)


def cases(*rows: str) -> bytes:
    return csv_bytes(CASE_HEADER, *rows)


def xlsx(rows: list[list], merge: str | None = None, extra_sheet: bool = False, title: str = "数据") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    if extra_sheet:
        wb.create_sheet("说明").append(["只有说明"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _good_xlsx() -> bytes:
    return xlsx([AGG_HEADER.split(","), ["大理州", "2022-07", 1234, 1200, 1100, 1000, 97.5]] * 1 +
                [["玉林", "2022-08", 7992, 7792, 7780, 7762, 97.12]] * 40)


def _only_instructions() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这里只有说明"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fake_old_excel_html() -> bytes:
    return ("<html><head><meta charset='utf-8'></head><body><table><tr><td>地区</td><td>期间</td></tr>"
            "<tr><td>大理州</td><td>2022-07</td></tr></table></body></html>").encode()


def _encrypted_like() -> bytes:
    # An OLE2 container with an EncryptedPackage stream name: what Excel writes for a password-protected file.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512


def _zip_of_csv() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("report.csv", agg(AGG_ROWS[0]))
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    file: str            # name of the bad file
    make: object         # () -> bytes
    reason: str          # substring of the reason the report must give
    row: int | None = None
    column: str | None = None


CASES = [
    Case("empty.csv", lambda: b"", "文件是空的"),
    Case("header_only.csv", lambda: csv_bytes(AGG_HEADER), "没有数据行"),
    Case("not_a_spreadsheet.xlsx", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "PDF"),
    Case("picture.csv", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "图片"),
    Case("binary_garbage.csv", lambda: random.Random(7).randbytes(4096), "二进制"),
    Case("truncated.xlsx", lambda: _good_xlsx()[:2500], "损坏或不完整"),
    Case("web_page_saved_as.xls", _fake_old_excel_html, "网页"),
    Case("password_protected.xlsx", _encrypted_like, "密码"),
    Case("zipped_csv.xlsx", _zip_of_csv, "压缩包"),
    Case("wrong_encoding_big5.csv", lambda: (AGG_HEADER + "\n" + AGG_ROWS[0] + "\n").encode("big5", errors="replace"),
         "编码"),
    Case("utf16_without_bom.csv", lambda: (AGG_HEADER + "\n" + AGG_ROWS[0] + "\n").encode("utf-16-le"), "UTF-16"),
    Case("no_header_row.csv", lambda: csv_bytes(*AGG_ROWS), "第一行就是数据"),
    Case("missing_period_column.csv", lambda: csv_bytes("地区,排查矛盾纠纷(件)", "大理州,12"), "缺少必填列“期间”",
         column="期间"),
    Case("missing_region_column.csv", lambda: csv_bytes("期间,排查矛盾纠纷(件),受理矛盾纠纷(件)", "2022-07,12,10"),
         "缺少必填列“地区”", column="地区"),
    Case("unknown_column.csv", lambda: agg(AGG_ROWS[0] + ",5", header=AGG_HEADER + ",化解成功数量"), "无法识别的列“化解成功数量”",
         column="化解成功数量"),
    Case("duplicate_columns.csv", lambda: csv_bytes("地区,期间,排查矛盾纠纷(件),排查(件)", "大理州,2022-07,1,2"),
         "出现了两次"),
    Case("derived_indicator.csv", lambda: csv_bytes("地区,期间,每万人网格数", "大理州,2022,12.5"), "计算得出"),
    Case("unit_mismatch.csv", lambda: csv_bytes("地区,期间,排查矛盾纠纷(%)", "大理州,2022-07,12"), "单位"),
    Case("merged_header.xlsx", lambda: xlsx([["地区", "期间", "矛盾纠纷(件)", None, None],
                                             [None, None, "排查", "受理", "化解"],
                                             ["大理州", "2022-07", 10, 9, 8]], merge="C1:E1"),
         "表头占了两行"),
    Case("merged_region_cells.xlsx", lambda: xlsx([AGG_HEADER.split(","),
                                                   ["大理州", "2022-07", 10, 9, 8, 7, 70],
                                                   [None, "2022-08", 10, 9, 8, 7, 70]], merge="A2:A3"),
         "合并单元格", row=3, column="地区"),
    Case("formula_without_value.xlsx", lambda: xlsx([AGG_HEADER.split(","),
                                                     ["大理州", "2022-07", 10, 9, 8, "=D2-2", 70]]),
         "没有保存计算结果", row=2, column="化解成功(件)"),
    Case("error_cell.xlsx", lambda: xlsx([AGG_HEADER.split(","), ["大理州", "2022-07", 10, 9, 8, 7, "#DIV/0!"]]),
         "错误值 #DIV/0!", row=2, column="矛盾纠纷化解成功率(%)"),
    Case("only_instructions_sheet.xlsx", _only_instructions, "没有数据"),
    Case("unknown_region.csv", lambda: agg(AGG_ROWS[0], "火星县,2022-07,1,1,1,1,100"), "地区“火星县”不存在", row=3,
         column="地区"),
    Case("ambiguous_region.csv", lambda: agg("朝阳区,2022-07,1,1,1,1,100"), "有歧义", row=2, column="地区"),
    Case("out_of_scope_region.csv", lambda: agg("香港,2022-07,1,1,1,1,100"), "不在本系统的统计范围", row=2),
    Case("bad_period.csv", lambda: agg("大理州,2022年13月,1,1,1,1,100"), "期间", row=2, column="期间"),
    Case("future_period.csv", lambda: agg("大理州,2099-07,1,1,1,1,100"), "期间在未来", row=2, column="期间"),
    Case("negative_count.csv", lambda: agg("大理州,2022-07,-5,1,1,1,100"), "不能为负数", row=2,
         column="排查矛盾纠纷(件)"),
    Case("rate_over_100.csv", lambda: agg("大理州,2022-07,10,9,8,7,103.5%"), "超过100%", row=2,
         column="矛盾纠纷化解成功率(%)"),
    Case("resolved_more_than_mediated.csv", lambda: agg("大理州,2022-07,100,90,80,85,85"), "化解成功(85)大于调解矛盾纠纷(80)",
         row=2, column="化解成功(件)"),
    Case("approximate_number.csv", lambda: agg("大理州,2022-07,约1200,1000,900,800,80"), "不是确切数字", row=2),
    Case("fractional_count.csv", lambda: agg("大理州,2022-07,12.5,10,9,8,80"), "应为整数", row=2),
    Case("not_a_number.csv", lambda: agg("大理州,2022-07,十二,10,9,8,80"), "不是数字", row=2),
    Case("totals_do_not_add_up.csv", lambda: csv_bytes("地区,期间,网格总数(个),综合网格数(个),专属网格数(个)",
                                                       "大理州,2022,100,60,30"), "不等于", row=2, column="网格总数(个)"),
    Case("survey_without_sample_size.csv", lambda: csv_bytes("地区,期间,群众安全感(%)", "大理州,2022,98.5"), "样本量"),
    Case("duplicate_rows.csv", lambda: agg(AGG_ROWS[0], AGG_ROWS[1], AGG_ROWS[0]), "重复:与第 2 行", row=4),
    Case("ragged_row.csv", lambda: agg(AGG_ROWS[0], "玉林,2022-08,7,992,7792,7780,7762,97.12"), "字段比表头多", row=3),
    Case("cases_bad_dates.csv", lambda: cases(CASE_ROW.format(n=1).replace("2022-07-16", "2022-07-01")),
         "受理日期早于登记日期", row=2, column="受理日期"),
    Case("cases_unknown_category.csv", lambda: cases(CASE_ROW.format(n=1).replace("婚姻家庭", "星际纠纷")), "不在目录中",
         row=2, column="纠纷类别"),
    Case("cases_prefecture_not_county.csv", lambda: cases(CASE_ROW.format(n=1).replace("西峰区", "庆阳市")),
         "不是县级地区", row=2),
    Case("cases_duplicate_number.csv", lambda: cases(CASE_ROW.format(n=1), CASE_ROW.format(n=1)), "案件编号重复", row=3),
    Case("cases_outcome_without_close.csv",
         lambda: cases(CASE_ROW.format(n=1).replace("2022-07-20,化解成功,2022-08-01", ",化解成功,")), "没有办结日期",
         row=2),
    Case("cases_future_date.csv", lambda: cases(CASE_ROW.format(n=1).replace("2022-", "2099-")), "日期在未来", row=2),
    Case("cases_bad_date.csv", lambda: cases(CASE_ROW.format(n=1).replace("2022-07-15", "2022-02-30")), "不存在", row=2,
         column="登记日期"),
    Case("cases_mixed_with_report_columns.csv", lambda: csv_bytes(CASE_HEADER + ",排查矛盾纠纷(件)",
                                                                   CASE_ROW.format(n=1) + ",5"), "另一种模板"),
]


def make_sparse(path: Path, size: int) -> Path:
    """A file of the given size that takes no disk space (its size is all the importer may look at)."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def write_all(folder: Path = HERE) -> list[Path]:
    out = []
    for c in CASES:
        p = folder / c.file
        p.write_bytes(c.make())
        out.append(p)
    return out


if __name__ == "__main__":
    for p in write_all():
        print(p.name, p.stat().st_size)


# --------------------------------------------------------------------------------------------------
# Files made to eat the server: generated at test time, never committed
# --------------------------------------------------------------------------------------------------
def make_xlsx_bomb(path: Path, uncompressed_mb: int = 3072, lie: bool = False) -> Path:
    """A valid-looking workbook whose one sheet inflates to `uncompressed_mb` MB (about 1,000 : 1 compression).

    With lie=True the zip directory and local header claim the sheet is 100 KB (a lying header).
    """
    base = zipfile.ZipFile(io.BytesIO(_good_xlsx()))
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    block = row * 1024
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in base.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, base.read(item))
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=uncompressed_mb >= 2048) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><sheetData>')
            for _ in range(max(1, (uncompressed_mb << 20) // len(block))):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    if lie:
        _claim_size(path, "xl/worksheets/sheet1.xml", 100 * 1024)
    return path


def _claim_size(path: Path, member: str, size: int) -> None:
    """Overwrite a member's uncompressed size in its local header and in the central directory."""
    import struct

    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member)
    name = member.encode()
    struct.pack_into("<I", data, info.header_offset + 22, size)            # local file header
    at = 0
    while True:                                                              # central directory entry
        at = data.index(b"PK\x01\x02", at)
        n = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + n]) == name:
            struct.pack_into("<I", data, at + 24, size)
            break
        at += 4
    path.write_bytes(bytes(data))


def make_wide_line(path: Path, fields: int = 20_000) -> Path:
    """A report whose one data row has `fields` fields (about 40 KB)."""
    path.write_bytes(csv_bytes(AGG_HEADER, "大理州,2022-07" + ",1" * (fields - 2)))
    return path


def make_big_cell(path: Path, mb: int = 10) -> Path:
    """A report with one cell of `mb` MB in the region column."""
    path.write_bytes(csv_bytes(AGG_HEADER, "大" * (mb * 1024 * 1024 // 3) + ",2022-07,1,1,1,1,100"))
    return path


def make_cut_csv(path: Path, how: str) -> Path:
    """A report whose last row was cut in transfer: mid-row (no trailing newline) or inside an open quote."""
    whole = agg(*AGG_ROWS).decode("utf-8").rstrip("\n")
    if how == "quote":
        text = whole + '\n大理州,2022-10,"1,2'
    else:
        text = whole[: whole.rfind(",") - 3]  # "海西州,2022/9,310,300,2" — two fields short, no newline
    path.write_bytes(text.encode("utf-8"))
    return path


def long_cell_xlsx(chars: int) -> bytes:
    """A report workbook whose 备注 cell holds `chars` characters (written as XML: openpyxl would cut it to 32,767)."""
    head = "".join(f'<c r="{chr(65 + j)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                   for j, h in enumerate(AGG_HEADER.split(",") + ["备注"]))
    body = "".join(f'<c r="{chr(65 + j)}2" t="inlineStr"><is><t>{v}</t></is></c>'
                   for j, v in enumerate(["大理州", "2022-07", "1", "1", "1", "1", "100", "y" * chars]))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData><row r="1">{head}</row><row r="2">{body}</row></sheetData>'
             '</worksheet>').encode()
    base = zipfile.ZipFile(io.BytesIO(_good_xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in base.infolist():
            out.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else base.read(item))
    return buf.getvalue()
