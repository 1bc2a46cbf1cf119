"""The warehouse: calibrated demo data reproduces every published figure; snapshots switch atomically."""
from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from conftest import published
from pingan import build, config, queries, warehouse


def test_every_calibrated_figure_is_reproduced(run_query):
    figs = run_query("sources_reconciliation", region="")
    calibrated = figs.filter(pl.col("calibrated"))
    assert calibrated.height >= 70
    bad = calibrated.filter(~pl.col("matches").fill_null(False))
    assert bad.height == 0, bad.select("figure_id", "indicator", "published_value", "warehouse_value").to_dicts()


def test_uncalibrated_repeats_of_a_figure_match_too(run_query):
    figs = run_query("sources_reconciliation", region="")
    repeats = figs.filter(~pl.col("calibrated") & pl.col("warehouse_value").is_not_null()
                          & pl.col("indicator").str.starts_with("sat_"))
    assert repeats.height >= 3
    assert repeats["matches"].all()


def test_reconciliation_does_not_compare_periods_the_data_does_not_cover(run_query):
    figs = run_query("sources_reconciliation", region="")
    # 云南 "调处成功率达80%以上" is about 2012-2021; the demo data starts in 2017
    row = figs.filter(pl.col("article") == "yunnan").filter(pl.col("indicator") == "dispute_success_rate")
    assert row.height == 1 and row["warehouse_value"][0] is None


def test_ningxia_success_rate_at_least_97_every_year(run_query):
    for year in range(2017, 2022):
        row = run_query("disputes_summary", region="640000", start=date(year, 1, 1), end=date(year, 12, 31)).row(0, named=True)
        assert row["success_rate_pct"] >= published("ningxia_017"), (year, row)


def test_yulin_first_half_2022(run_query):
    row = run_query("disputes_summary", region="450900", start=date(2022, 1, 1), end=date(2022, 6, 30)).row(0, named=True)
    assert (row["accepted"], row["resolved"]) == (published("yulin_031"), published("yulin_032"))
    assert round(row["success_rate_pct"], 2) == published("yulin_033")
    assert row["identified"] >= row["accepted"] >= row["mediated"] >= row["resolved"] >= row["followed_up"]


def test_funnel_is_monotone_everywhere(warehouse_built):
    con = warehouse.cursor()
    bad = con.execute("""
        select count(*) from dispute_case
        where (accepted_date is not null and accepted_date < identified_date)
           or (mediated_date is not null and accepted_date is null)
           or (outcome = 'resolved' and mediated_date is null)
           or (followup_date is not null and outcome <> 'resolved')
           or (closed_date is not null and closed_date < accepted_date)
           or closed_date > date '2022-12-31'
    """).fetchone()[0]
    con.close()
    assert bad == 0


def test_facts_carry_their_source_and_sit_in_their_county(warehouse_built):
    con = warehouse.cursor()
    for table in ("grid", "facility", "dispute_case", "antigang_tally", "survey_result"):
        assert con.execute(f"select count(*) from {table} where source is null or source = ''").fetchone()[0] == 0
        orphans = con.execute(f"""select count(*) from {table} as f left join region as r
            on r.code = f.county_code and r.level = 'county'
            and r.prefecture_code = f.prefecture_code and r.province_code = f.province_code
            where r.code is null""").fetchone()[0]
        assert orphans == 0, table
    con.close()


def test_survey_samples_are_typical_of_provincial_surveys(warehouse_built):
    con = warehouse.cursor()
    lo, hi, bad = con.execute("""select min(sample_size), max(sample_size),
        count(*) filter (where positive > sample_size or positive < 0) from survey_result""").fetchone()
    con.close()
    assert 100 <= lo and hi <= 5000 and bad == 0


def test_generation_is_deterministic(warehouse_built, tmp_path, monkeypatch):
    digests = ["""select count(*), sum(hash(case_id, county_code, category, channel, identified_date,
                  accepted_date, closed_date, outcome)) from dispute_case""",
               "select count(*), sum(hash(grid_id, county_code, lon, lat, residents)) from grid",
               "select count(*), sum(hash(county_code, year, indicator, sample_size, positive)) from survey_result"]
    first = [warehouse.cursor().execute(q).fetchone() for q in digests]
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    build.build_snapshot(scale="small", seed=int(config.setting("demo_seed")))
    again = [warehouse.cursor().execute(q).fetchone() for q in digests]
    assert first == again


def test_corrupt_snapshot_is_rebuilt_with_a_message(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    snaps = tmp_path / "warehouse"
    snaps.mkdir()
    (snaps / "snap-20200101T000000-1.duckdb").write_bytes(b"this is not a database" * 100)
    (snaps / "CURRENT").write_text("snap-20200101T000000-1.duckdb")
    with pytest.raises(warehouse.WarehouseMissing, match="损坏"):
        warehouse.check(warehouse.current_path())
    message = warehouse.ensure()
    assert "损坏" in message and "重新构建" in message
    warehouse.check(warehouse.current_path())


def test_missing_snapshot_file_is_rebuilt(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "CURRENT").write_text("snap-gone.duckdb")
    assert "不存在" in warehouse.ensure()


def test_publish_switches_readers_and_rollback_returns(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    first = tmp_path / "warehouse" / "snap-20200101T000000000000-1.duckdb"
    first.write_bytes(warehouse_built.read_bytes())
    warehouse.publish(first)
    before = queries.run("meta_build_info")
    with warehouse.writable_copy() as (con, path):
        con.execute("update build_info set value = 'switched' where key = 'seed'")
    assert warehouse.current_name() == path.name
    after = dict(queries.run("meta_build_info").iter_rows())
    assert after["seed"] == "switched"
    assert dict(before.iter_rows())["seed"] != "switched"
    warehouse.rollback(first.name)
    assert dict(queries.run("meta_build_info").iter_rows())["seed"] != "switched"


def test_failed_write_leaves_current_snapshot_alone(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    first = tmp_path / "warehouse" / "snap-20200101T000000000000-1.duckdb"
    first.write_bytes(warehouse_built.read_bytes())
    warehouse.publish(first)
    with pytest.raises(RuntimeError):
        with warehouse.writable_copy() as (con, _):
            con.execute("delete from dispute_case")
            raise RuntimeError("half a load")
    assert warehouse.current_name() == first.name
    assert sorted(p.name for p in (tmp_path / "warehouse").glob("snap-*")) == [first.name]


def test_checking_the_open_snapshot_does_not_rebuild_it(warehouse_built):
    name = warehouse.current_name()
    warehouse.cursor().execute("select 1").fetchone()  # the process holds the snapshot open
    assert warehouse.ensure() is None
    assert warehouse.current_name() == name
