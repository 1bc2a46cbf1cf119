"""The benchmark at CI size: small scale, a few views, pandas on two questions, no PostgreSQL.

It runs the harness in-process against the test warehouse and checks that the report has every query the pages
ran (with p50/p95), a server-side time for every registered page, and no page error.
"""
from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT
from pingan import bench, bench_compare, timings


@pytest.fixture(scope="module")
def report(warehouse_built, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # a state folder of its own (sharing the snapshot file): what the benchmark writes stays out of the session's
    state = tmp_path_factory.mktemp("bench-state")
    (state / "warehouse").mkdir()
    (state / "warehouse" / warehouse_built.name).symlink_to(warehouse_built)
    (state / "warehouse" / "CURRENT").write_text(warehouse_built.name)
    t0 = time.perf_counter()
    rep = bench.run(scale="small", quick=True, out=out, state=str(state), repeats=3, budget_s=0.5,
                    combos=[bench.Combo("", "all", "latest year", "2022", "2022"),
                            bench.Combo("532900", "prefecture", "half year", "2022H1", "2022H1")],
                    compare=("pandas",), pandas_questions=("province_funnel", "success_by_prefecture"),
                    explain_top=2)
    rep["_elapsed"] = time.perf_counter() - t0
    rep["_out"] = out
    return rep


def test_report_files_are_written(report):
    folder = Path(report["folder"])
    assert folder.parent == report["_out"]
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    md = (folder / "report.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Warehouse", "## Queries", "## Pages", "## Map payload", "## Side by side"):
        assert heading in md
    assert data["scale"] == "small" and data["warehouse"]["rows"]["dispute_case"] > 0
    # A few seconds of work on a quiet machine; the bound only catches a runaway (the CI machine is shared).
    assert report["_elapsed"] < 300, report["_elapsed"]


def test_every_registered_page_ran_without_error(report):
    pages = bench.discover_pages()
    assert "pages/overview.py" in pages and len(pages) >= 2
    ran = {p["page"] for p in report["pages"]}
    assert ran == set(pages)
    for p in report["pages"]:
        assert not p["errors"], (p["page"], p["combo"], p["errors"])
        assert p["cold_ms"] > 0 and p["warm_ms"] > 0
    # The prefecture view really is a prefecture view (the URL reached the page).
    overview = [p for p in report["pages"] if p["page"] == "pages/overview.py" and p["region"] == "532900"]
    assert overview and "大理" in overview[0]["title"]
    assert {s["page"] for s in report["page_summary"]} == set(pages)


def test_every_discovered_query_is_timed(report):
    called = {t["name"] for t in report["query_runs"]}   # the distinct (query, parameters) the pages ran
    assert {"meta_regions_with_data", "disputes_summary", "grid_summary"} <= called
    names = {q["name"] for q in report["queries"]}
    assert names == called
    for q in report["queries"]:
        assert not q["errors"], (q["name"], q["errors"])
        assert q["p50_ms"] > 0 and q["worst_p95_ms"] >= q["p50_ms"] * 0.5
    for t in report["query_runs"]:
        assert t["runs"] >= 3 and t["p95_ms"] >= t["p50_ms"] > 0
    # Every query a page ran was recorded with the page that ran it.
    assert all(t["pages"] for t in report["query_runs"])
    # A province-level and a prefecture-level view ran different parameters.
    regions = {t["params"].get("region") for t in report["query_runs"] if "region" in t["params"]}
    assert {"", "532900"} <= regions


def test_hotspots_and_payload(report):
    assert len(report["hotspots"]) == 2
    assert all(h.get("hot") for h in report["hotspots"]), report["hotspots"]
    assert report["map_payload"]["synthetic"]["status"] == "measured"
    assert report["map_payload"]["pages"], "the grid page sends a map"


def test_pandas_answers_match_duckdb(report):
    qs = report["comparisons"]["questions"]
    assert [q["key"] for q in qs] == ["province_funnel", "success_by_prefecture"]
    for q in qs:
        assert q["pandas"]["same_answer"] is True, q
        assert q["pandas"]["p50_ms"] > 0 and q["pandas"]["ratio"] > 0


def test_percentile_and_verdict():
    assert bench.percentile([1, 2, 3, 4, 5], 50) == 3
    assert bench.percentile([10.0, 20.0], 95) == pytest.approx(19.5)
    rep = {"targets": bench.TARGETS, "warehouse": {"scale": "national"},
           "queries": [{"name": "fast", "worst_p95_ms": 20.0, "pass": True},
                       {"name": "slow", "worst_p95_ms": 250.0, "pass": False}],
           "page_summary": [], "first_start": {"build_seconds": 1.0, "first_app_run_s": 1.0, "total_s": 2.0,
                                                "applies": False},
           "map_payload": {"synthetic": {"status": "not yet measurable"}, "pages": []}}
    v = bench.verdict(rep)
    assert v[0]["met"] is False and v[0]["missed"] == ["slow"]
    assert any(x["measured"] == "not yet measurable" and x["met"] is None for x in v)


def test_translation_to_postgres():
    pg = bench_compare.translate("select x % 2 as m from t where a = $region and b like '%z' "
                                 "and d between $start and $end")
    assert "%(region)s" in pg and "%(start)s" in pg and "$" not in pg
    assert "x %% 2" in pg and "'%%z'" in pg
    # The page queries' region predicate becomes plain ORs PostgreSQL can serve from its indexes.
    from pingan import queries

    pg = bench_compare.translate(queries.load("disputes_summary").sql)
    assert "province_code = %(region)s" in pg


def test_combos_cover_scopes_and_periods():
    full = bench.combos_for(2022, quick=False)
    assert len(full) == 12
    assert {c.level for c in full} == {"all", "province", "prefecture", "county"}
    assert {(c.frm, c.to) for c in full} == {("2022", "2022"), ("2018", "2022"), ("2022H1", "2022H1")}
    assert len(bench.combos_for(2022, quick=True)) == 6
    assert bench.Combo("532900", "prefecture", "x", "2022", "2022").query_params() == \
        {"from": "2022", "to": "2022", "region": "532900"}
    assert date(2022, 1, 1).isoformat() in timings.params_text({"start": date(2022, 1, 1)})
    assert (ROOT / "app.py").exists()


def test_import_benchmark_runs_at_ci_size(warehouse_built):
    """`python -m pingan.bench_import` (1,000,000 rows at default scale) cannot rot: 3,000 rows here."""
    from pingan import bench_import

    state = warehouse_built.parent.parent
    before = (state / "warehouse" / "CURRENT").read_text(encoding="utf-8")
    r = bench_import.run(3_000, state)
    assert r["rows_loaded"] == 3_000 and r["validate_s"] >= 0 and r["load_s"] > 0
    assert [s["step"] for s in r["steps"]][-1] == "导入完成"
    assert (state / "warehouse" / "CURRENT").read_text(encoding="utf-8") == before  # the copy was written, not it
