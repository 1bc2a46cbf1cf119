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
    message = build.ensure()
    assert "损坏" in message and "重新构建" in message
    warehouse.check(warehouse.current_path())


def test_missing_snapshot_file_is_rebuilt(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "CURRENT").write_text("snap-gone.duckdb")
    assert "不存在" in build.ensure()


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
    assert build.ensure() is None
    assert warehouse.current_name() == name


# ---- a broken snapshot pointer or snapshot falls back to the newest intact snapshot

OLDER = "snap-20210101T000000000000-1.duckdb"
NEWER = "snap-20220101T000000000000-1.duckdb"


@pytest.fixture()
def two_snapshots(warehouse_built, tmp_path, monkeypatch):
    """A state folder with two intact snapshots, the newer one current; a demo build fails the test."""
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    snaps = tmp_path / "warehouse"
    snaps.mkdir()
    data = warehouse_built.read_bytes()
    for name in (OLDER, NEWER):
        (snaps / name).write_bytes(data)
    (snaps / "CURRENT").write_text(NEWER)

    def no_demo_build(**_):
        raise AssertionError("rebuilt demo data although an intact snapshot exists")

    monkeypatch.setattr(build, "build_snapshot", no_demo_build)
    return snaps


def _truncate(path, keep):
    with open(path, "r+b") as fh:
        fh.truncate(keep)


@pytest.mark.parametrize("damage", ["empty_current", "blank_current", "garbage_current", "path_in_current",
                                    "missing_current", "current_names_missing_file", "truncated_snapshot",
                                    "snapshot_cut_by_one_block", "garbage_snapshot", "incomplete_snapshot"])
def test_broken_current_falls_back_to_newest_intact_snapshot(two_snapshots, damage):
    snaps = two_snapshots
    current, newest = snaps / "CURRENT", snaps / NEWER
    if damage == "empty_current":
        current.write_bytes(b"")
    elif damage == "blank_current":
        current.write_text(" \n")
    elif damage == "garbage_current":
        current.write_bytes(b"\x00\xff\xfe garbage \x80")
    elif damage == "path_in_current":
        current.write_text("../../accounts.json")
    elif damage == "missing_current":
        current.unlink()
    elif damage == "current_names_missing_file":
        newest.unlink()
    elif damage == "truncated_snapshot":
        _truncate(newest, newest.stat().st_size // 2)
    elif damage == "snapshot_cut_by_one_block":
        _truncate(newest, newest.stat().st_size - 262144)
    elif damage == "garbage_snapshot":
        newest.write_bytes(b"this is not a database" * 1000)
    elif damage == "incomplete_snapshot":
        con = duckdb.connect(str(newest))
        con.execute("update build_info set value = 'false' where key = 'complete'")
        con.close()
    message = build.ensure()
    # a broken pointer falls back to the newest snapshot when that is intact; a broken snapshot to the one before
    expected, when = (NEWER, "2022-01-01") if damage.endswith("current") else (OLDER, "2021-01-01")
    assert warehouse.current_name() == expected
    assert f"已回退到 {expected}({when} 00:00:00)的快照" in message, message
    assert message.startswith("当前快照损坏(")
    assert "首次启动" not in message and "重新构建" not in message
    assert current.read_text() == expected
    assert dict(queries.run("meta_build_info").iter_rows())["complete"] == "true"
    assert build.ensure() is None  # repaired: the next start has nothing to say


def test_fallback_skips_broken_older_snapshots_too(two_snapshots):
    snaps = two_snapshots
    (snaps / NEWER).write_bytes(b"junk" * 100)
    newer_still_broken = "snap-20230101T000000000000-1.duckdb"
    (snaps / newer_still_broken).write_bytes(b"junk" * 100)
    (snaps / "CURRENT").write_text(newer_still_broken)
    assert f"已回退到 {OLDER}" in build.ensure()
    assert warehouse.current_name() == OLDER


def test_no_intact_snapshot_rebuilds_and_says_so(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / NEWER).write_bytes(b"junk" * 100)
    (tmp_path / "warehouse" / "CURRENT").write_text("")
    message = build.ensure()
    assert message == "快照指针 CURRENT 为空,且没有完好的快照可以回退,已用内置数据重新构建。"
    warehouse.check(warehouse.current_path())


def test_first_start_says_first_start(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    assert build.ensure() == "首次启动:已用内置数据构建数据仓库。"


def test_orphaned_building_files_are_removed_but_not_live_ones(two_snapshots):
    import os
    import subprocess
    import sys

    snaps = two_snapshots
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a pid that has exited
    orphan = snaps / f"snap-20220202T000000000000-{dead}.building"
    live = snaps / f"snap-20220202T000000000001-{os.getpid()}.building"
    stale_pointer = snaps / f"CURRENT.{dead}.tmp"
    for p in (orphan, live, stale_pointer):
        p.write_bytes(b"half a snapshot")
    # while another process holds the build lock, nothing is touched
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; fh = open(sys.argv[1], 'w'); fcntl.flock(fh, fcntl.LOCK_EX); print('held', flush=True);"
        " time.sleep(30)"), str(snaps / "build.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert warehouse.remove_orphans() == []
        assert orphan.exists() and live.exists()
    finally:
        holder.kill()
        holder.wait()
    assert build.ensure() is None
    assert not orphan.exists() and not stale_pointer.exists()
    assert live.exists()  # its writer (this process) is alive
