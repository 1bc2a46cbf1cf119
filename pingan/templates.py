"""Import templates: the columns each kind of county report has, and the XLSX/CSV files analysts fill in.

A template is one sheet with a Chinese header row (sheet 数据) and a second sheet 说明 that explains each
column (code, unit, definition, example). Aggregated reports are one row per region × period with one column per
catalog indicator; record-level dispute cases are one row per case. The importer matches uploaded headers against
the same column specs, so what the template says is what the importer accepts.

    python -m pingan.templates            # rewrites data/templates/ from data/reference/indicators.csv
"""
from __future__ import annotations

import argparse
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from . import config, reference

TEMPLATE_DIR = config.DATA_DIR / "templates"

# Computed from other columns (and the census population): a report must give the parts, never the ratio.
DERIVED = {
    "grids_per_10k": "网格总数与常住人口",
    "residents_per_grid": "网格总数与常住人口",
    "workers_per_grid": "网格员人数与网格总数",
    "grid_worker_fulltime_share": "专职网格员与网格员人数",
}
FACILITY_PREFIXES = ("center_", "onestop_", "police_room", "justice_office", "people_tribunal")

# Other headers reports use for an indicator (besides its name_zh and code).
INDICATOR_SYNONYMS = {
    "grid_count": ("网格数", "网格总数(个)"),
    "grid_worker_count": ("网格员", "网格员总数", "网格员数"),
    "grid_worker_fulltime": ("专职网格员数", "专职"),
    "grid_worker_parttime": ("兼职网格员数", "兼职"),
    "dispute_identified": ("排查", "排查数", "排查纠纷", "排查矛盾纠纷数", "登记"),
    "dispute_accepted": ("受理", "受理数", "受理纠纷"),
    "dispute_mediated": ("调解", "调解数", "调解纠纷"),
    "dispute_resolved": ("化解", "调解成功", "化解成功数", "化解数"),
    "dispute_followed_up": ("回访数",),
    "dispute_success_rate": ("化解成功率", "调解成功率"),
    "sat_public_safety": ("安全感", "群众安全感指数"),
    "sat_public_order": ("治安满意率", "社会治安满意度"),
}


@dataclass(frozen=True)
class Column:
    key: str                 # region, period, sample_size, case fields, or an indicator code
    header: str              # the Chinese header the template writes
    kind: str                # region | period | sample | text | date | category | channel | outcome | grid, or for
    #                          indicators count | rate | number | money
    required: bool
    unit: str
    definition: str
    example: str
    aliases: tuple[str, ...] = ()

    @property
    def is_indicator(self) -> bool:
        return self.kind in ("count", "rate", "number", "money")


@dataclass(frozen=True)
class Template:
    key: str
    title: str               # 矛盾纠纷排查化解(汇总)
    grain: str               # one row per …
    target: str              # observation | dispute_case
    columns: tuple[Column, ...]

    @property
    def file_stem(self) -> str:
        return f"import_{self.key}"


REGION = Column("region", "地区", "region", True, "", "地区代码(6位)或名称;名称可用简称(大理州、海西州、玉林),"
                "有歧义的名称(如“朝阳区”“大理”)须写代码或全称", "大理州 或 532900",
                ("地区名称", "地区代码", "行政区划", "行政区划代码", "区划代码", "区域", "单位", "填报单位", "县(市、区)",
                 "县市区", "市(州)", "县区"))
PERIOD = Column("period", "期间", "period", True, "", "统计期间:月(2022-07、2022年7月、2022/7)、季度(2022Q3、"
                "2022年第三季度)、半年(2022H1、2022年上半年)、年(2022、2022年)或同一年内的月份区间(2022年1-6月)",
                "2022-07", ("统计期间", "月份", "年份", "年度", "报告期", "统计时间", "时间", "统计月份"))
SAMPLE = Column("sample_size", "样本量", "sample", True, "人", "调查的有效样本数(受访人数),用于计算置信区间;"
                "本行各项比率共用此样本量", "1200", ("有效样本", "有效样本量", "样本数", "调查样本量", "受访人数"))

CASE_COLUMNS = (
    Column("case_no", "案件编号", "text", True, "", "本县(市、区)内唯一的案件编号;同一县内重复的编号视为重复案件",
           "QY-2022-000123", ("编号", "案件号", "纠纷编号", "案号")),
    Column("county", "县(市、区)", "region", True, "", "案件所在县级地区的代码(6位)或名称(须为县级)", "西峰区 或 621002",
           ("县市区", "县区", "地区", "地区代码", "县级地区", "行政区划代码", "所属县区")),
    Column("grid_id", "网格编号", "grid", False, "", "案件所属网格的编号(可不填;填写时须是该县的网格)", "804501",
           ("网格", "网格ID", "所属网格")),
    Column("category", "纠纷类别", "category", True, "", "纠纷类别名称或代码", "婚姻家庭",
           ("类别", "纠纷类型", "案件类别", "矛盾纠纷类别")),
    Column("channel", "调解渠道", "channel", True, "", "调解渠道名称或代码", "人民调解",
           ("渠道", "化解渠道", "调解方式", "化解方式")),
    Column("identified_date", "登记日期", "date", True, "", "排查发现并登记的日期;案件计入该日期所在期间",
           "2022-07-15", ("排查日期", "发现日期", "登记时间")),
    Column("accepted_date", "受理日期", "date", False, "", "受理日期,不早于登记日期;未受理则不填", "2022-07-16",
           ("受理时间",)),
    Column("mediated_date", "调解日期", "date", False, "", "组织调解的日期,不早于受理日期;撤回的案件可不填",
           "2022-07-20", ("调解时间",)),
    Column("closed_date", "办结日期", "date", False, "", "办结日期,不早于调解(或受理)日期;在办案件不填", "2022-07-28",
           ("结案日期", "办结时间", "结案时间")),
    Column("outcome", "办理结果", "outcome", False, "", "化解成功、化解失败或撤回;在办案件不填", "化解成功",
           ("结果", "化解结果", "调解结果", "办结结果")),
    Column("followup_date", "回访日期", "date", False, "", "化解成功后回访的日期,不早于办结日期", "2022-08-20",
           ("回访时间",)),
)

# Columns any report may carry that the importer ignores (notes, running numbers, who filled it in).
IGNORED_HEADERS = ("备注", "序号", "说明", "填报人", "联系电话", "审核人", "填报日期", "负责人", "统计人")

OUTCOMES = {"化解成功": "resolved", "成功": "resolved", "调解成功": "resolved", "resolved": "resolved",
            "化解失败": "failed", "失败": "failed", "调解不成功": "failed", "调解失败": "failed", "未化解": "failed",
            "failed": "failed", "撤回": "withdrawn", "撤诉": "withdrawn", "撤回申请": "withdrawn",
            "withdrawn": "withdrawn"}

_UNIT_KIND = {"%": "rate", "元": "money", "天": "number"}
_EXAMPLES = {"%": "97.5", "元": "3.5亿", "天": "12"}


def indicator_kind(unit: str) -> str:
    return _UNIT_KIND.get(unit, "count")


def indicator_column(row: dict) -> Column:
    unit = row["unit"]
    kind = indicator_kind(unit)
    definition = row["definition_zh"]
    if kind == "rate":
        definition += ";填百分数(97.5 或 97.5%),0—100"
    elif kind == "money":
        definition += ";可写 3.5亿、35000万 或 350000000"
    elif kind == "count":
        definition += ";非负整数,可带千分位(1,234)或写作 1.2万"
    if row["code"] in reference.parts_of("sum"):
        definition += ";可不填,填写时须等于分项之和"
    return Column(row["code"], f"{row['name_zh']}({unit})", kind, False, unit, definition,
                  _EXAMPLES.get(unit, "120"), (row["name_zh"], row["code"]) + INDICATOR_SYNONYMS.get(row["code"], ()))


def _template_of(code: str, domain: str) -> str:
    if domain == "grid":
        return "facilities" if code.startswith(FACILITY_PREFIXES) else "grid"
    return {"disputes": "dispute_stages", "anti_gang": "anti_gang", "satisfaction": "survey"}[domain]


TITLES = {
    "grid": ("网格与网格员", "每个地区、每个期间一行(期末存量)"),
    "facilities": ("综治中心与基层设施", "每个地区、每个期间一行(期末存量)"),
    "dispute_stages": ("矛盾纠纷排查化解(汇总)", "每个地区、每个期间(月或年)一行"),
    "anti_gang": ("扫黑除恶战果", "每个地区、每个期间(通常为年)一行"),
    "survey": ("群众安全感与满意度调查", "每个地区、每个年度一行"),
    "dispute_cases": ("矛盾纠纷案件明细", "每件矛盾纠纷一行"),
}


def build(indicators: pl.DataFrame) -> list[Template]:
    """The templates, from an indicator catalog (the snapshot's table or data/reference/indicators.csv)."""
    groups: dict[str, list[Column]] = {k: [] for k in TITLES if k != "dispute_cases"}
    for row in indicators.sort("code").iter_rows(named=True):
        if row["code"] in DERIVED:
            continue
        groups[_template_of(row["code"], row["domain"])].append(indicator_column(row))
    # The catalog file's order reads best (totals before parts, stages in order), whatever order we were given.
    canonical = reference.indicators()["code"].to_list()
    order = {code: i for i, code in enumerate(canonical + [c for c in indicators["code"].to_list()
                                                             if c not in canonical])}
    out = []
    for key, cols in groups.items():
        cols.sort(key=lambda c: order[c.key])
        base = (REGION, PERIOD, SAMPLE) if key == "survey" else (REGION, PERIOD)
        out.append(Template(key, TITLES[key][0], TITLES[key][1], "observation", base + tuple(cols)))
    out.append(Template("dispute_cases", TITLES["dispute_cases"][0], TITLES["dispute_cases"][1], "dispute_case",
                        CASE_COLUMNS))
    return out


def guide(t: Template) -> pl.DataFrame:
    """The 说明 sheet: one row per column."""
    return pl.DataFrame({
        "列名": [c.header for c in t.columns],
        "代码": [c.key for c in t.columns],
        "必填": ["是" if c.required else "否" for c in t.columns],
        "单位": [c.unit for c in t.columns],
        "说明": [c.definition for c in t.columns],
        "示例": [c.example for c in t.columns],
    })


GENERAL_NOTES = (
    "填写说明:第一行为列名,请勿修改;每行一条记录;不要合并单元格,不要插入合计行。",
    "地区可填6位代码或名称(可用简称,如 大理州、海西州);名称有歧义时请填代码。",
    "数字可带千分位(1,234),可写 1.2万、3.5亿;比率填百分数(97.5 或 97.5%);不要填“约”“余”“以上”。",
    "日期写作 2022-07-15、2022/7/15 或 2022年7月15日;期间写作 2022-07、2022年7月、2022/7、2022Q3、2022H1 或 2022。",
    "可另存为 CSV(UTF-8 或 GBK 均可)。上传后先出校验报告,全部无误才会导入;导入生成新的数据快照,可回滚。",
)


def write_xlsx(t: Template, target) -> None:
    """Write the template workbook (sheet 数据 with the header, sheet 说明 with one row per column)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(target, {"in_memory": True})
    wb.set_properties({"title": f"{t.title} 导入模板", "created": datetime(2022, 12, 31)})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("数据")
    for j, c in enumerate(t.columns):
        ws.write_string(0, j, c.header, req if c.required else head)
        ws.set_column(j, j, max(10, min(28, len(c.header) * 2 + 2)))
        ws.write_comment(0, j, f"{'必填。' if c.required else ''}{c.definition}\n示例:{c.example}",
                         {"x_scale": 2, "y_scale": 2})
        choices = _choices(c)
        if choices:
            ws.data_validation(1, j, 1048575, j, {"validate": "list", "source": choices,
                                                   "error_type": "warning"})
    ws.freeze_panes(1, 0)
    gs = wb.add_worksheet("说明")
    g = guide(t)
    for i, note in enumerate((f"{t.title}:{t.grain}。必填列在“数据”表中以橙色标出。",) + GENERAL_NOTES):
        gs.write_string(i, 0, note)
    top = len(GENERAL_NOTES) + 2
    for j, name in enumerate(g.columns):
        gs.write_string(top, j, name, head)
    for i, row in enumerate(g.iter_rows()):
        for j, v in enumerate(row):
            gs.write_string(top + 1 + i, j, str(v), wrap)
    for j, width in enumerate((26, 26, 6, 8, 70, 18)):
        gs.set_column(j, j, width)
    wb.close()


def _choices(c: Column) -> list[str] | None:
    if c.kind == "outcome":
        return ["化解成功", "化解失败", "撤回"]
    if c.kind in ("category", "channel"):
        df = reference.categories() if c.kind == "category" else reference.channels()
        return df["name_zh"].to_list()
    return None


def xlsx_bytes(t: Template) -> bytes:
    buf = io.BytesIO()
    write_xlsx(t, buf)
    return buf.getvalue()


def csv_bytes(t: Template) -> bytes:
    """The header row as CSV, UTF-8 with a BOM so that Excel opens the Chinese correctly."""
    return ("\ufeff" + ",".join(c.header for c in t.columns) + "\r\n").encode("utf-8")


def write_all(folder: Path = TEMPLATE_DIR, indicators: pl.DataFrame | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for t in build(indicators if indicators is not None else reference.indicators()):
        for path, data in ((folder / f"{t.file_stem}.xlsx", xlsx_bytes(t)),
                           (folder / f"{t.file_stem}.csv", csv_bytes(t))):
            path.write_bytes(data)
            written.append(path)
    return written


def normalise_header(text) -> tuple[str, str, str]:
    """(whole, name, unit) of a header cell: spaces and required marks removed, full-width brackets folded.

    "排查矛盾纠纷(件)" gives name 排查矛盾纠纷 and unit 件; "县(市、区)" is matched whole first.
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).replace("*", "")
    s = s.replace("(必填)", "").replace("(选填)", "")
    m = re.match(r"^(.*?)\(([^()]*)\)$", s)
    if m and m.group(1):
        return s, m.group(1), m.group(2)
    return s, s, ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the import templates to data/templates/")
    ap.add_argument("--out", type=Path, default=TEMPLATE_DIR)
    args = ap.parse_args(argv)
    for p in write_all(args.out):
        print(p.relative_to(config.ROOT) if p.is_relative_to(config.ROOT) else p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
