"""The sources page's view model without AppTest: counts, filters and marks against data/published/figures.csv."""
from __future__ import annotations

import csv

import polars as pl
import pytest

from conftest import ROOT, published
from pingan import rules
from pingan.views import sources
from test_views_overview import make_scope


def csv_rows() -> list[dict]:
    with (ROOT / "data" / "published" / "figures.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_calls(warehouse_built):
    assert sources.calls(make_scope("532900")) == [("sources_reconciliation", {"region": "532900"})]


def test_counts_over_every_figure(warehouse_built):
    rows = csv_rows()
    view = sources.build(make_scope(""))
    assert view.n_published == len(rows)
    assert view.n_calibrated == sum(r["calibrated"] == "true" for r in rows)
    assert view.n_reproduced == view.n_calibrated
    assert view.table.columns == list(sources.COLUMNS) and view.table.height == len(rows)


def test_a_prefecture_sees_its_own_figures_and_its_counties(warehouse_built):
    view = sources.build(make_scope("532900"))
    expected = [r["figure_id"] for r in csv_rows() if r["region_code"][:4] == "5329"]
    assert sorted(view.table["figure_id"].to_list()) == sorted(expected)
    assert view.n_published == len(expected)


def test_every_comparable_figure_matches_by_the_rule(warehouse_built):
    by_id = {r["figure_id"]: r for r in csv_rows()}
    view = sources.build(make_scope(""), show="comparable")
    assert view.table.height == view.n_comparable and view.n_comparable > 0
    for r in view.table.iter_rows(named=True):
        value = by_id[r["figure_id"]]["value"]
        decimals = len(value.split(".")[1]) if "." in value else 0
        assert rules.figure_matches(r["warehouse_value"], r["published_value"], r["qualifier"], decimals), r
        assert r["status"] == "✅ 一致"
    assert sources.build(make_scope(""), show="mismatch").table.height == 0


def test_mismatch_filter_leaves_out_figures_without_a_value(warehouse_built):
    view = sources.build(make_scope(""), show="mismatch")
    assert view.rows_caption.startswith("共 0 条。比较规则:精确数字按公开值的小数位四舍五入后比较;")
    uncomparable = sources.build(make_scope("")).table.filter(pl.col("warehouse_value").is_null())
    assert set(uncomparable["status"]) == {"—"}


def test_article_and_text_filters(warehouse_built):
    view = sources.build(make_scope(""), articles=("dali",))
    assert view.table.height == sum(r["article"] == "dali" for r in csv_rows())
    assert set(view.table["article_name"]) == {"大理州"}
    view = sources.build(make_scope(""), text="3138个综合网格")
    row = view.table.row(0, named=True)
    assert view.table.height == 1 and row["figure_id"] == "qinghai_002"
    assert row["published_value"] == published("qinghai_002") and row["period"] == "2022-12-31 — 2022-12-31"
    assert row["indicator"] == "grid_comprehensive_count"
    assert sources.build(make_scope(""), articles=("dali",), show="calibrated").table.height == \
        sum(r["article"] == "dali" and r["calibrated"] == "true" for r in csv_rows())


def test_english(warehouse_built):
    view = sources.build(make_scope("", lang="en"), text="3138个综合网格")
    assert view.table["status"].to_list() == ["✅ match"]
    assert view.rows_caption.startswith("1 rows. Exact figures are compared at their published precision;")


@pytest.mark.parametrize("show, label_zh, label_en", [("all", "全部", "all"), ("mismatch", "仅不一致", "mismatch")])
def test_show_labels(show, label_zh, label_en):
    assert sources.TEXT.both(f"only_{show}") == (label_zh, label_en)
