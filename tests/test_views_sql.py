"""The SQL page's view functions (pingan/views/sql.py) without AppTest."""
from __future__ import annotations

from datetime import date

import polars as pl

from pingan import periods
from pingan.scope import Scope
from pingan.views import sql as view


def _scope(level="prefecture", region="532900", start="2022", end="2022") -> Scope:
    return Scope(region, "大理白族自治州", level, periods.parse_range(start, end), "zh", 2017, 2022, "530000",
                 region if level == "prefecture" else "", "")


def test_parameter_defaults_follow_the_scope():
    d = view.param_defaults(_scope(start="2022-01", end="2022-06"))
    assert d["region"] == d["parent"] == "532900"
    assert (d["start"], d["end"], d["as_of"]) == (date(2022, 1, 1), date(2022, 6, 30), date(2022, 6, 30))
    assert (d["prev_start"], d["prev_end"]) == (date(2021, 7, 1), date(2021, 12, 31))
    assert (d["ya_start"], d["ya_end"]) == (date(2021, 1, 1), date(2021, 6, 30))
    assert (d["year"], d["last_year"], d["first_year"], d["child_level"]) == (2022, 2022, 2022, "county")
    assert view.param_default("home_region", _scope()) == "532900"
    assert view.param_default("nothing_known", _scope()) is None
    assert view.param_default("child_level", _scope(level="county", region="532901")) == "county"
    assert view.param_default("child_level", _scope(level="all", region="")) == "province"


def test_example_domains_by_longest_prefix():
    assert view.example_domain("anti_gang_ranking", "x") == "anti_gang"
    assert view.example_domain("antigang_summary", "x") == "antigang"
    assert view.example_domain("screen_subregions", "screen") == "screen"
    assert view.domain_label("antigang", "zh") == "扫黑除恶" and view.domain_label("grid", "en") == "Grid"
    assert view.domain_label("screen", "zh") == "screen"


def test_preview_of_a_statement():
    sql = "-- 注释\nselect  a,\n   b\nfrom t -- tail\n"
    assert view.preview(sql) == "select a, b from t -- tail"
    assert view.preview("select " + "x" * 200, 20) == "select " + "x" * 13 + "…"


def test_history_frame():
    entries = [{"time": "2026-12-03T17:20:05", "outcome": "refused", "sql": "-- c\nselect 1", "rows": None,
                "elapsed_ms": None},
               {"time": "2026-12-03T17:19:00", "outcome": "ok", "sql": "select 2", "rows": 1, "elapsed_ms": 12.5},
               {"time": "2026-12-03T17:18:00", "outcome": "odd", "sql": "select 3", "rows": 0, "elapsed_ms": 3}]
    zh = view.history_frame(entries, "zh")
    assert zh.to_dicts() == [
        {"time": "12-03 17:20:05", "outcome": "已拒绝", "sql": "select 1", "rows": None, "elapsed_ms": 0.0},
        {"time": "12-03 17:19:00", "outcome": "成功", "sql": "select 2", "rows": 1, "elapsed_ms": 12.5},
        {"time": "12-03 17:18:00", "outcome": "odd", "sql": "select 3", "rows": 0, "elapsed_ms": 3.0}]
    assert view.history_frame(entries, "en")["outcome"].to_list() == ["refused", "ok", "odd"]
    assert view.history_frame([], "zh").schema == {"time": pl.Utf8, "outcome": pl.Utf8, "sql": pl.Utf8,
                                                   "rows": pl.Int64, "elapsed_ms": pl.Float64}


def test_indicator_search_and_number_formats():
    inds = pl.DataFrame({"code": ["a_rate", "b_count"], "name_zh": ["化解成功率", "网格数"], "name_en": ["Rate", None],
                         "definition_zh": ["成功/受理", None]})
    assert view.search_indicators(inds, "")["code"].to_list() == ["a_rate", "b_count"]
    assert view.search_indicators(inds, "网格")["code"].to_list() == ["b_count"]
    assert view.search_indicators(inds, "受理")["code"].to_list() == ["a_rate"]
    assert view.search_indicators(inds, "(")["code"].to_list() == []
    assert [view.number_format(n, t) for n, t in [("year", pl.Int32), ("region_code", pl.Int64),
                                                   ("cases", pl.Int64), ("code", pl.Float64)]] == \
        ["%d", "%d", "localized", "localized"]
