"""Periods as Chinese users and our URLs write them: 2022, 2022-07, 2022Q3, 2022H1."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})[Hh]([12])$"), "half"),
]


class PeriodError(ValueError):
    """A period string that cannot be read; the message is in Chinese for the user."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> "Period":
        """The period of the same number of months immediately before this one."""
        n = self.months
        first = _add_months(self.start, -n)
        return Period(first, self.start - timedelta(days=1))

    def year_ago(self) -> "Period":
        return Period(_add_months(self.start, -12), _month_end(_add_months(self.end.replace(day=1), -12)))


def _add_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def parse_bound(text: str) -> Period:
    """Parse one bound (2022, 2022-07, 2022Q3, 2022H1) into the period it names."""
    text = (text or "").strip()
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if not 1990 <= year <= 2100:
            break
        if kind == "year":
            return Period(date(year, 1, 1), date(year, 12, 31))
        n = int(m.group(2))
        if kind == "month":
            if not 1 <= n <= 12:
                break
            first = date(year, n, 1)
            return Period(first, _month_end(first))
        if kind == "quarter":
            first = date(year, 3 * n - 2, 1)
            return Period(first, _month_end(date(year, 3 * n, 1)))
        first = date(year, 6 * n - 5, 1)
        return Period(first, _month_end(date(year, 6 * n, 1)))
    raise PeriodError(f"无法识别的期间“{text}”:请写作 2022、2022-07、2022Q3 或 2022H1")


def parse_range(start: str, end: str | None = None) -> Period:
    """Parse the URL's from/to into one inclusive period."""
    a = parse_bound(start)
    b = parse_bound(end) if end else a
    if b.end < a.start:
        raise PeriodError(f"期间起点“{start}”晚于终点“{end}”")
    return Period(a.start, b.end)


def label_zh(p: Period) -> str:
    """How a Chinese report writes a period: 2022年, 2022年1—6月, 2017—2021年, 2022年7月."""
    s, e = p.start, p.end
    full_years = s.month == 1 and s.day == 1 and e.month == 12 and e.day == 31
    if full_years:
        return f"{s.year}年" if s.year == e.year else f"{s.year}—{e.year}年"
    if s.year == e.year:
        if s.month == e.month:
            return f"{s.year}年{s.month}月"
        return f"{s.year}年{s.month}—{e.month}月"
    return f"{s.year}年{s.month}月—{e.year}年{e.month}月"


def label_en(p: Period) -> str:
    s, e = p.start, p.end
    if s.month == 1 and e.month == 12:
        return str(s.year) if s.year == e.year else f"{s.year}–{e.year}"
    return f"{s:%Y-%m}–{e:%Y-%m}" if (s.year, s.month) != (e.year, e.month) else f"{s:%Y-%m}"


def to_token(p: Period) -> tuple[str, str]:
    """The shortest from/to tokens that name this period in a URL."""
    def tok_start(d: date) -> str:
        return f"{d.year}" if d.month == 1 else f"{d.year}-{d.month:02d}"

    def tok_end(d: date) -> str:
        return f"{d.year}" if d.month == 12 else f"{d.year}-{d.month:02d}"

    return tok_start(p.start), tok_end(p.end)


def label(p: Period, lang: str) -> str:
    """How a period is written in `lang`: 2022年, 2022年1—6月 … or 2022, Jan–Jun 2022 …"""
    return label_zh(p) if lang == "zh" else label_en(p)
