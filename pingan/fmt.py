"""Numbers and dates as Chinese readers expect them: 万 and 亿, percentages, 2022年7月."""
from __future__ import annotations

import math
from datetime import date


def _trim(x: float, digits: int) -> str:
    s = f"{x:,.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def count_zh(value, unit: str = "", digits: int = 2) -> str:
    """26.39万件, 51亿元, 7,792起: 万 from 10万 up, 亿 from 1亿 up, exact below."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    a = abs(v)
    if a >= 1e8:
        s = _trim(v / 1e8, digits) + "亿"
    elif a >= 1e5:
        s = _trim(v / 1e4, digits) + "万"
    else:
        s = _trim(v, 0 if float(v).is_integer() else 1)
    return s + unit


def count_en(value, unit: str = "", digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    a = abs(v)
    if a >= 1e9:
        s = _trim(v / 1e9, digits) + " bn"
    elif a >= 1e6:
        s = _trim(v / 1e6, digits) + " m"
    else:
        s = _trim(v, 0 if float(v).is_integer() else 1)
    return f"{s} {unit}".strip()


def yuan_zh(value) -> str:
    """Money in 亿元 or 万元, as campaign reports state assets."""
    if value is None:
        return "—"
    v = float(value)
    if abs(v) >= 1e8:
        return _trim(v / 1e8, 2) + "亿元"
    if abs(v) >= 1e4:
        return _trim(v / 1e4, 2) + "万元"
    return _trim(v, 0) + "元"


def pct(value, digits: int = 2) -> str:
    """A percentage given as a number of percent (96.5 → 96.50%)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.{digits}f}%"


def change_ratio(now, before) -> float | None:
    """Relative change as a fraction, None when there is nothing to compare with."""
    if now is None or before in (None, 0):
        return None
    return (float(now) - float(before)) / float(before)


def date_zh(d: date | None) -> str:
    return "—" if d is None else f"{d.year}年{d.month}月{d.day}日"


def value(v, unit: str, lang: str = "zh", digits: int = 2) -> str:
    """Format a value by its catalog unit."""
    if unit == "%":
        return pct(v, digits)
    if unit == "元":
        return yuan_zh(v) if lang == "zh" else count_en(v, "yuan")
    if lang == "zh":
        return count_zh(v, unit if unit not in ("个/万人", "人/格") else "")
    return count_en(v)


# Where a document writes a figure's qualifier: before the number (约51亿元, 近5万路, 超90%), or after it, before the
# unit (14.7万余件, 3400多所) and after a percent sign (97%以上). "exact" is no qualifier.
QUALIFIER_BEFORE = ("约", "近", "超")


def with_qualifier(text: str, unit: str, qualifier: str, lang: str = "zh") -> str:
    """A published figure as the document writes it, from its formatted value `text` (ending in `unit` if any)."""
    if qualifier == "exact" or not qualifier:
        return text
    if lang != "zh":
        return f"{text} ({qualifier})"
    if qualifier in QUALIFIER_BEFORE:
        return qualifier + text
    if unit and unit != "%" and text.endswith(unit):
        return text[: -len(unit)] + qualifier + unit
    return text + qualifier
