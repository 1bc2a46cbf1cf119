"""Domain rules kept as data (data/reference) or in one column, and every user reading them from there."""
from __future__ import annotations

import csv
import re
import sys
from datetime import date

import pytest

from conftest import ROOT
from pingan import auth, config, demo, fmt, queries, reference, rules, sandbox, templates, warehouse
from pingan.ingest import validate

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import importer  # noqa: E402


def _sql(name: str) -> str:
    """A query's text without its comments."""
    text = (config.QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return "\n".join(line.split("--")[0] for line in text.splitlines())


def _fetch(sql: str, params: dict | None = None) -> list[tuple]:
    cur = warehouse.cursor()
    try:
        return cur.execute(sql, params or {}).fetchall()
    finally:
        cur.close()


# ---- indicator parts and sums ---------------------------------------------------------------------------------------

def test_indicator_parts_file_names_catalog_indicators():
    codes = set(reference.indicators()["code"])
    parts = reference.indicator_parts()
    assert set(parts["total"]) | set(parts["part"]) <= codes
    assert set(parts["rule"]) == {"sum", "at_least"}
    assert reference.parts_of("sum") == {
        "grid_count": ("grid_comprehensive_count", "grid_dedicated_count"),
        "grid_worker_count": ("grid_worker_fulltime", "grid_worker_parttime"),
        "ag_evil_group_gang": ("ag_evil_group", "ag_evil_gang"),
        "ag_gang_total": ("ag_black_org", "ag_evil_group", "ag_evil_gang")}
    assert reference.parts_of("at_least") == {
        "center_count": ("center_county_count", "center_township_count", "center_village_count")}
    assert list(reference.parts_of("sum", domain="anti_gang")) == ["ag_evil_group_gang", "ag_gang_total"]


def test_importer_demo_and_templates_read_the_parts():
    assert validate.SUM_RULES == reference.parts_of("sum")
    assert validate.AT_LEAST_RULES == reference.parts_of("at_least")
    assert demo.ANTIGANG_PARTS == reference.parts_of("sum", domain="anti_gang")
    rows = {r["code"]: r for r in reference.indicators().iter_rows(named=True)}
    assert templates.indicator_column(rows["grid_count"]).definition.endswith(";可不填,填写时须等于分项之和")
    assert not templates.indicator_column(rows["grid_comprehensive_count"]).definition.endswith("分项之和")


@pytest.mark.parametrize("name", ["anti_gang_by_year", "anti_gang_phase_compare", "anti_gang_ranking",
                                  "anti_gang_ratios", "anti_gang_published", "antigang_summary",
                                  "sources_reconciliation", "screen_subregions"])
def test_queries_take_the_sums_from_indicator_part(name):
    sql = _sql(name)
    assert "indicator_part" in sql
    # a part -> sum pair, or a list of a sum's parts, written again
    assert not re.search(r"\('ag_\w+',\s*'ag_(evil_group_gang|gang_total)'\)|in \('ag_(black_org|evil_group)',", sql)


def test_snapshot_parts_are_the_files(warehouse_built):
    got = _fetch("select total, part, rule from indicator_part")
    assert got == list(reference.indicator_parts().iter_rows())


# ---- campaign phases ------------------------------------------------------------------------------------------------

def test_campaign_phases_and_their_source():
    assert [(y, reference.phase_of(y)) for y in (2017, 2018, 2019, 2020, 2021, 2025)] == [
        (2017, "routine"), (2018, "special"), (2019, "special"), (2020, "special"), (2021, "routine"),
        (2025, "routine")]
    assert reference.campaign_years("special") == (2018, 2020)
    assert demo.phase_of is reference.phase_of
    seed = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "seeds").glob("*.txt")))
    for quote in reference.campaign_phases()["quote"]:
        assert seed.count(quote) == 1, quote


def test_every_tally_carries_its_years_phase(warehouse_built):
    rows = _fetch("select distinct year, phase from antigang_tally order by year")
    assert rows and all(phase == reference.phase_of(year) for year, phase in rows)
    assert {p for _, p in rows} == {"special", "routine"}


# ---- place rank and report precedence -------------------------------------------------------------------------------

def test_place_rank_of_every_level(warehouse_built):
    got = dict(_fetch("select code, rank from place_rank where code in ('', '530000', '532900', '532901')"))
    assert got == {"": 0, "530000": 1, "532900": 2, "532901": 3}
    assert _fetch("select count(*) from place_rank") == _fetch("select count(*) + 1 from region")


@pytest.mark.parametrize("table", ["dispute_month", "grid_year", "facility_year", "antigang_tally", "survey_result"])
def test_counts_from_rank_is_the_cover_rank_plus_one(warehouse_built, table):
    bad = _fetch(f"select count(*) from {table} where counts_from_rank <> coalesce(cover_rank + 1, 0)")
    assert bad == [(0,)]


def test_no_query_ranks_levels_or_restates_precedence():
    for q in queries.catalog():
        sql = _sql(q.name)
        assert not re.search(r"when 'prefecture' then 2", sql), q.name
        assert "cover_rank" not in sql, f"{q.name}: precedence reads counts_from_rank (pingan/rollups.py)"


# ---- backlog threshold, list sizes, lock-out limits -----------------------------------------------------------------

def test_indicator_texts_format_the_backlog_threshold(monkeypatch):
    row = reference.indicators().filter(reference.pl.col("code") == "dispute_backlog_90d").row(0, named=True)
    assert (row["name_zh"], row["name_en"]) == ("超90天未结案件", "Open cases older than 90 days")
    monkeypatch.setattr(rules, "BACKLOG_OVER_DAYS", 60)
    row = reference.indicators().filter(reference.pl.col("code") == "dispute_backlog_90d").row(0, named=True)
    assert row["name_zh"] == "超60天未结案件"
    assert row["definition_zh"] == "截至统计日已受理、尚未办结且受理已超过60天的案件数"


def test_oldest_open_list_size_is_the_rules():
    sql = _sql("disputes_oldest_open")
    assert re.findall(r"limit (\d+)|< (\d+)", sql) == [("", str(rules.OLDEST_OPEN_LISTED)),
                                                       (str(rules.OLDEST_OPEN_LISTED), "")]


def test_lockout_text_formats_the_limits(monkeypatch):
    assert auth.lockout_rule() == "连续 5 次输错密码将锁定 15 分钟"
    monkeypatch.setattr(auth, "MAX_FAILURES", 3)
    monkeypatch.setattr(auth, "LOCK_SECONDS", 10 * 60)
    assert auth.lockout_rule() == "连续 3 次输错密码将锁定 10 分钟"
    assert "auth.lockout_rule(lang)" in (ROOT / "app.py").read_text(encoding="utf-8")


# ---- published figures: every-year claims and how a qualifier is written --------------------------------------------

def test_figures_claiming_every_year(warehouse_built):
    with (ROOT / "data" / "published" / "figures.csv").open(encoding="utf-8", newline="") as f:
        lower_bounded = sorted(r["figure_id"] for r in csv.DictReader(f) if r["qualifier"] in ("以上", "超"))
    got = [r[0] for r in _fetch("select figure_id from published_figure where holds_every_year order by figure_id")]
    assert got == lower_bounded
    assert _fetch("select count(*) from published_figure where holds_every_year is null") == [(0,)]
    for name in ("disputes_published_figures", "satisfaction_published", "sources_reconciliation"):
        sql = _sql(name)
        assert "holds_every_year" in sql and "'以上'" not in sql, name


@pytest.mark.parametrize("text, unit, qualifier, lang, want", [
    ("51亿元", "元", "约", "zh", "约51亿元"),
    ("5万路", "路", "近", "zh", "近5万路"),
    ("14.7万件", "件", "余", "zh", "14.7万余件"),
    ("3400所", "所", "多", "zh", "3400多所"),
    ("97%", "%", "以上", "zh", "97%以上"),
    ("90%", "%", "超", "zh", "超90%"),
    ("2,575起", "起", "exact", "zh", "2,575起"),
    ("2,575 cases", "起", "约", "en", "2,575 cases (约)"),
])
def test_with_qualifier_writes_figures_as_the_documents_do(text, unit, qualifier, lang, want):
    assert fmt.with_qualifier(text, unit, qualifier, lang) == want


# ---- the SQL page's starter follows the pages -----------------------------------------------------------------------

STAGES = ("地区,期间,排查矛盾纠纷(件),受理矛盾纠纷(件),调解矛盾纠纷(件),化解成功(件)", "大理州,2022,80000,78000,76000,60000")


def test_starter_success_rate_is_the_disputes_pages_on_imported_reports(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(corpus.isolated_state(warehouse_built, tmp_path / "state")))
    report = importer.validate([importer.Upload.from_bytes("stages.csv", corpus.csv_bytes(*STAGES))])
    assert report.errors == 0, report.problems
    importer.load(report)
    year = {"start": date(2022, 1, 1), "end": date(2022, 12, 31)}
    page = queries.run("disputes_summary", region="530000", **year).row(0, named=True)
    assert page["report_rows"] == 1
    starter = {r["province"]: r for r in sandbox.run(sandbox.STARTER_SQL, year).frame.iter_rows(named=True)}["云南"]
    assert (starter["identified_cases"], starter["resolved_cases"]) == (page["identified"], page["resolved"])
    assert starter["success_rate_pct"] == round(page["success_rate_pct"], 2)
    raw = sandbox.run("select round(100.0 * count(*) filter (where outcome = 'resolved') / count(*), 2) "
                      "from dispute_case where province_code = '530000' and identified_date between $start and $end",
                      year).rows[0][0]
    assert raw != starter["success_rate_pct"]  # the raw cases, as the starter read them before, disagree
