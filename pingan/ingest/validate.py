"""Validation: every row, value, region, scope and cross-row check of an upload, against the snapshot too (what is
already there, overlapping reports); nothing is written. The Report it returns is what load() loads."""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from .. import loads, regions, templates, warehouse
from .. import reference as reference_data  # `reference` here is the importer's region lookup (catalog)
from .catalog import Reference, reference, region_label, resolve_region
from .headers import Mapped, map_sheet
from .overlaps import partial_overlaps
from .parse import clean, map_unique, mapped_columns, parse_date, parse_number, parse_period
from .problems import FIRST_ROW, ROW_KEYS, Problems
from .read import FileProblem, Upload, check_size, read_sheets

EARLIEST = date(1990, 1, 1)


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



# --------------------------------------------------------------------------------------------------
# Aggregated reports: one row per region × period, indicators as columns
# --------------------------------------------------------------------------------------------------
# total: parts (data/reference/indicator_parts.csv). sum: when all are given, the total must equal their sum;
# at_least: the total must not be below their sum
SUM_RULES = reference_data.parts_of("sum")
AT_LEAST_RULES = reference_data.parts_of("at_least")
STAGE_CHAIN = ("dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved", "dispute_followed_up")
TOTAL_ROW = re.compile(r"^(合计|总计|小计|汇总|全部|总数|累计)$")


def _region_columns(df: pl.DataFrame, ref: Reference, source: str, county_only: bool) -> pl.DataFrame:
    def fn(v):
        code, problem = resolve_region(ref, v, county_only)
        r = ref.regions.get(code) if code else None
        return (code, problem, r["level"] if r else None, r["province_code"] if r else None,
                r["prefecture_code"] if r else None)
    return map_unique(df, source, fn, {"region_code": pl.String, "_region_err": pl.String, "level": pl.String,
                                        "province_code": pl.String, "prefecture_code": pl.String})


def validate_observations(parts: list[Mapped], ref: Reference, problems: Problems, today: date) -> pl.DataFrame:
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
        df = map_unique(df, "period", parse_period,
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
            df = map_unique(df, "sample_size", parse_number,
                             {"_n": pl.Float64, "_n_suffix": pl.String, "_n_err": pl.String})
            sample = df
        # Indicator cells, long: one row per (row, indicator).
        cols = {c.key: (c, scale, text) for c, scale, text in m.columns.values() if c.is_indicator}
        keep = ROW_KEYS + ["region", "period", "region_code", "level", "province_code", "prefecture_code",
                           "period_start", "period_end"]
        keep += ["_n", "_n_err", "sample_size"] if sample is not None else []
        long = df.unpivot(index=keep, on=list(cols), variable_name="indicator", value_name="raw")
        long = long.filter(pl.col("raw").is_not_null())
        long = map_unique(long, "raw", parse_number, {"value": pl.Float64, "_suffix": pl.String, "_err": pl.String})
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


def _check_values(long: pl.DataFrame, problems: Problems) -> None:
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


def _check_rows(long: pl.DataFrame, problems: Problems) -> None:
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


def validate_cases(parts: list[Mapped], ref: Reference, problems: Problems, today: date) -> pl.DataFrame:
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
    df = map_unique(df, "category", lambda v: (ref.categories.get(clean(v).lower()),), {"category_code": pl.String})
    problems.add_frame(df.filter(pl.col("category").is_not_null() & pl.col("category_code").is_null()), H["category"],
                       pl.col("category"), pl.format("纠纷类别“{}”不在目录中(可填:{})", pl.col("category"),
                                                     pl.lit("、".join(ref.category_names))))
    df = map_unique(df, "channel", lambda v: (ref.channels.get(clean(v).lower()),), {"channel_code": pl.String})
    problems.add_frame(df.filter(pl.col("channel").is_not_null() & pl.col("channel_code").is_null()), H["channel"],
                       pl.col("channel"), pl.format("调解渠道“{}”不在目录中(可填:{})", pl.col("channel"),
                                                    pl.lit("、".join(ref.channel_names))))
    df = map_unique(df, "outcome", lambda v: (templates.OUTCOMES.get(clean(v).lower()),), {"outcome_code": pl.String})
    problems.add_frame(df.filter(pl.col("outcome").is_not_null() & pl.col("outcome_code").is_null()), H["outcome"],
                       pl.col("outcome"), pl.format("办理结果“{}”无法识别(可填:化解成功、化解失败、撤回;在办案件不填)",
                                                    pl.col("outcome")))
    for c in DATE_COLUMNS:
        # ISO dates parse in bulk; only the other spellings go through parse_date, once per distinct value.
        df = df.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False).alias(f"{c}_d"))
        rest = df.filter(pl.col(c).is_not_null() & pl.col(f"{c}_d").is_null())
        if rest.height:
            d, err = mapped_columns(rest, c, parse_date, {f"{c}_d": pl.Date, f"_{c}_err": pl.String}, pl.col(c))
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


def check_existing(obs: pl.DataFrame, cases: pl.DataFrame, files: list[dict], problems: Problems) -> None:
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


def check_yearly(obs: pl.DataFrame, problems: Problems) -> None:
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


def check_derived_totals(obs: pl.DataFrame, problems: Problems) -> None:
    """Anti-gang sums (集团+团伙, 合计) shown on the pages are added up from their parts: a total given without all
    of its parts is kept but shows nowhere, and the user should know."""
    if obs.height == 0:
        return
    given = obs.filter(pl.col("value").is_not_null())
    for total, parts in reference_data.parts_of("sum", domain="anti_gang").items():  # sums the queries derive
        rows = given.group_by(ROW_KEYS).agg(pl.col("indicator"), pl.col("header").filter(
            pl.col("indicator") == total).first().alias("total_header"), pl.col("raw").filter(
            pl.col("indicator") == total).first().alias("total_raw"))
        lacking = rows.filter(pl.col("indicator").list.contains(total)
                              & ~pl.all_horizontal(pl.col("indicator").list.contains(p) for p in parts))
        problems.add_frame(lacking, pl.col("total_header"), pl.col("total_raw"), pl.format(
            "合计类指标只用于核对:页面上的“{}”由各分项相加,这一行没有填全分项,导入后不会显示;请同时填写分项",
            pl.col("total_header")), "warning")


def check_overlaps(obs: pl.DataFrame, ref: Reference, problems: Problems) -> None:
    """Reports must nest or be disjoint, within the file and with what was imported before (pingan/rollups.py).

    A county's July inside its prefecture's year is fine (counted once, through the wider report); a quarter and
    a July–November range of the same place, or a county's year and its prefecture's July, would be counted twice
    for the months they share. Only dispute stages can overlap in part: anti-gang tallies and surveys are whole
    years, grid and facility reports are stocks (the latest of a year counts). The stages form one group."""
    obs = obs.filter(pl.col("indicator").is_in(list(STAGE_CHAIN))) if obs.height else obs
    if obs.height == 0:
        return
    new = (obs.filter(pl.col("value").is_not_null() & pl.col("region_code").is_not_null()
                      & pl.col("period_start").is_not_null() & pl.col("period_end").is_not_null())
           .select(*ROW_KEYS, "region", "period", "region_code", "province_code", "prefecture_code",
                   "period_start", "period_end")
           .unique(subset=ROW_KEYS, maintain_order=True))
    cur = warehouse.cursor()
    try:
        stages = ", ".join(f"'{c}'" for c in STAGE_CHAIN)  # constants of this module, not user text
        earlier = cur.sql(f"""
            select distinct o.region_code, r.province_code, r.prefecture_code, o.period_start, o.period_end
            from observation as o
            join region as r on r.code = o.region_code
            where o.source like 'import:%' and o.indicator in ({stages})
        """).pl()
    finally:
        cur.close()
    hits = partial_overlaps(new, earlier)
    if hits.height == 0:
        return
    labels = {c: region_label(ref, c) for c in hits["other_region"].unique().to_list()}
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
def outside_scope(ref: Reference, df: pl.DataFrame, column: str, scope: str) -> pl.DataFrame:
    if not scope or df.height == 0:
        return df.head(0)
    codes = df.get_column(column).drop_nulls().unique().to_list()
    tree = regions.lineages((c, r["prefecture_code"], r["province_code"]) for c in codes if (r := ref.regions.get(c)))
    codes = [c for c in codes if not regions.within(c, scope, tree)]
    return df.filter(pl.col(column).is_in(codes))


def scope_reason(ref: Reference, scope: str) -> pl.Expr:
    return pl.format("地区“{}”不在您的账户范围({}及其下级地区)内,不能导入", pl.col("_label"),
                     pl.lit(region_label(ref, scope)))


def check_scope(obs: pl.DataFrame, cases: pl.DataFrame, ref: Reference, scope: str, problems: Problems) -> None:
    """A scoped account imports only rows of its own region and below; the others are errors naming both."""
    for df, column, header in ((obs, "region_code", "地区"), (cases, "county_code", CASE_HEADERS["county"])):
        out = outside_scope(ref, df, column, scope)
        if out.height:
            labels = {c: region_label(ref, c) for c in out.get_column(column).unique().to_list()}
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
    problems = Problems()
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


