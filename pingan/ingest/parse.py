"""Parsing cell text: numbers (1,234 / 1.2万 / 97.5%), periods (2022-07, 2022Q3, 2022年上半年 …), dates, cleaning;
and applying a parser once per distinct value of a column."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import polars as pl

from .. import periods

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



def map_unique(df: pl.DataFrame, col: str, fn, outputs: dict) -> pl.DataFrame:
    """Apply fn to each distinct value of df[col] and join the results back as new columns."""
    return df.with_columns(mapped_columns(df, col, fn, outputs, pl.col(col)))


def mapped_columns(df: pl.DataFrame, col: str, fn, outputs: dict, source: pl.Expr) -> list[pl.Expr]:
    # A hash lookup per row (replace_strict) is much cheaper than a join on a million-row frame.
    uniq = df.get_column(col).drop_nulls().unique()
    results = [fn(v) for v in uniq.to_list()]
    return [source.replace_strict(uniq, pl.Series(name, [r[i] for r in results], dtype=dtype), default=None,
                                  return_dtype=dtype).alias(name)
            for i, (name, dtype) in enumerate(outputs.items())]


