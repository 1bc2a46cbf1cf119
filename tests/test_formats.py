"""Periods as URLs write them, and numbers as Chinese readers expect them."""
from __future__ import annotations

from datetime import date

import pytest

from pingan import fmt, periods


@pytest.mark.parametrize("text, start, end", [
    ("2022", date(2022, 1, 1), date(2022, 12, 31)),
    ("2022-07", date(2022, 7, 1), date(2022, 7, 31)),
    ("2022-2", date(2022, 2, 1), date(2022, 2, 28)),
    ("2022Q3", date(2022, 7, 1), date(2022, 9, 30)),
    ("2022q1", date(2022, 1, 1), date(2022, 3, 31)),
    ("2022H1", date(2022, 1, 1), date(2022, 6, 30)),
    ("2020H2", date(2020, 7, 1), date(2020, 12, 31)),
])
def test_parse_bound(text, start, end):
    p = periods.parse_bound(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["", "22", "2022-13", "2022Q5", "2022H3", "1800", "二〇二二", "2022-07-01",
                                  "'; drop table x", "2022年"])
def test_parse_bound_refuses_with_chinese_message(text):
    with pytest.raises(periods.PeriodError, match="无法识别的期间"):
        periods.parse_bound(text)


def test_range_and_previous():
    p = periods.parse_range("2017", "2021")
    assert (p.start, p.end, p.months) == (date(2017, 1, 1), date(2021, 12, 31), 60)
    assert p.previous() == periods.Period(date(2012, 1, 1), date(2016, 12, 31))
    h1 = periods.parse_range("2022-01", "2022-06")
    assert h1.previous() == periods.Period(date(2021, 7, 1), date(2021, 12, 31))
    assert h1.year_ago() == periods.Period(date(2021, 1, 1), date(2021, 6, 30))
    with pytest.raises(periods.PeriodError):
        periods.parse_range("2022", "2021")


@pytest.mark.parametrize("p, zh, token", [
    (periods.parse_range("2022"), "2022年", ("2022", "2022")),
    (periods.parse_range("2017", "2021"), "2017—2021年", ("2017", "2021")),
    (periods.parse_range("2022-01", "2022-06"), "2022年1—6月", ("2022", "2022-06")),
    (periods.parse_range("2022-07"), "2022年7月", ("2022-07", "2022-07")),
])
def test_labels_and_tokens_round_trip(p, zh, token):
    assert periods.label_zh(p) == zh
    assert periods.to_token(p) == token
    assert periods.parse_range(*token) == p


@pytest.mark.parametrize("value, unit, text", [
    (263900, "件", "26.39万件"),
    (7792, "起", "7,792起"),
    (392000, "个", "39.2万个"),
    (5_100_000_000, "", "51亿"),
    (13700, "人", "13,700人"),
    (None, "件", "—"),
])
def test_count_zh(value, unit, text):
    assert fmt.count_zh(value, unit) == text


@pytest.mark.parametrize("value, text", [(716_000_000, "7.16亿元"), (94_718_900, "9,471.89万元"), (3000, "3,000元")])
def test_yuan_zh(value, text):
    assert fmt.yuan_zh(value) == text


def test_pct_and_change():
    assert fmt.pct(97.1221) == "97.12%"
    assert fmt.change_ratio(110, 100) == pytest.approx(0.1)
    assert fmt.change_ratio(5, 0) is None
