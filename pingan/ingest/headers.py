"""Mapping a sheet to a template: find the header row, match each header to a column (and its unit), cut out the
data rows numbered as the spreadsheet numbers them; header problems are recorded, not raised."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

import polars as pl

from .. import templates
from .catalog import FUZZY_CHARS, Reference, resolve_region
from .problems import Problems
from .read import CUT_ROW_REASON, HEADER_SEARCH_ROWS, Sheet, col_index, col_letters

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


def map_sheet(sheet: Sheet, ref: Reference, problems: Problems) -> Mapped | None:
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


def _formula_problems(sheet: Sheet, header: list[str], h: int, offset: int, problems: Problems) -> None:
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


