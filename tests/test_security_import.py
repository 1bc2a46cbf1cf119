"""The importer cannot be turned against the server, a scoped admin stays inside its scope, a CSV cut in
transfer is never taken for a whole one. Hostile files are generated here (tests/bad_files/corpus.py)."""
from __future__ import annotations

import sys
import time

import polars as pl
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import importer  # noqa: E402
from pingan.ingest import read  # noqa: E402  (the bounds live here)


def validate(name: str, data: bytes, **kw) -> importer.Report:
    return importer.validate([importer.Upload.from_bytes(name, data)], **kw)


def errors(report: importer.Report) -> list[tuple]:
    return report.problems.filter(pl.col("severity") == "error").select("file", "row", "reason").rows()


# ------------------------------------------------------------------------------------------------ class 4: bounds
def test_zip_bomb_is_refused_from_its_directory(warehouse_built, tmp_path):
    path = corpus.make_xlsx_bomb(tmp_path / "bomb.xlsx", 50)
    t = time.perf_counter()
    report = importer.validate([importer.Upload.from_path(path)])
    assert time.perf_counter() - t < 5
    (file, row, reason), = errors(report)
    assert (file, row) == ("bomb.xlsx", None)
    assert "xl/worksheets/sheet1.xml" in reason and f"超过上限 {importer.MAX_ZIP_RATIO} 倍" in reason


def test_workbook_inflating_past_the_limit_is_refused(warehouse_built, tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_ZIP_RATIO", 10_000)
    monkeypatch.setattr(read, "MAX_UNZIPPED_MB", 40)
    path = corpus.make_xlsx_bomb(tmp_path / "bomb.xlsx", 50)
    (_, _, reason), = errors(importer.validate([importer.Upload.from_path(path)]))
    assert reason.startswith("Excel 文件解压后为 49 MB,超过上限 40 MB")


def test_lying_zip_directory_is_caught_while_streaming(warehouse_built, tmp_path):
    path = corpus.make_xlsx_bomb(tmp_path / "liar.xlsx", 50, lie=True)
    (_, _, reason), = errors(importer.validate([importer.Upload.from_path(path)]))
    assert reason.startswith("Excel 文件已损坏或不完整")


def test_line_with_too_many_fields_is_refused_naming_the_line(warehouse_built, tmp_path):
    path = corpus.make_wide_line(tmp_path / "wide.csv", 20_000)
    t = time.perf_counter()
    (file, row, reason), = errors(importer.validate([importer.Upload.from_path(path)]))
    assert time.perf_counter() - t < 5
    assert reason == f"第 2 行有 20,000 个字段,超过上限 {importer.MAX_FIELDS:,} 个,未读取;请检查分隔符,或使用数据管理页提供的模板。"


def test_validation_is_linear_in_fields_per_line(warehouse_built, monkeypatch):
    """Below the bound too: a header of 5,000 fields once took minutes (list scans per column)."""
    monkeypatch.setattr(read, "MAX_FIELDS", 10**6)
    data = ("地区,期间,排查矛盾纠纷(件)" + ",1" * 5000 + "\n").encode()
    t = time.perf_counter()
    validate("wide.csv", data)
    assert time.perf_counter() - t < 3


def test_csv_cell_over_excels_limit_is_refused(warehouse_built, tmp_path):
    path = corpus.make_big_cell(tmp_path / "cell.csv", 10)
    t = time.perf_counter()
    (_, row, reason), = errors(importer.validate([importer.Upload.from_path(path)]))
    assert time.perf_counter() - t < 5
    assert reason == "第 2 行有一个单元格超过 32,767 个字符的上限(Excel 单元格的最大长度),未读取。"


def test_cell_at_excels_limit_is_read(warehouse_built):
    report = validate("ok.csv", corpus.agg("大理州,2022-07,1,1,1,1,100,x", header=corpus.AGG_HEADER + ",备注")
                      .replace(b",x\n", b"," + b"x" * 32_767 + b"\n"))
    assert errors(report) == []


def test_xlsx_cell_over_excels_limit_is_refused(warehouse_built):
    assert errors(validate("ok.xlsx", corpus.long_cell_xlsx(32_767))) == []
    (_, _, reason), = errors(validate("cell.xlsx", corpus.long_cell_xlsx(40_000)))
    assert reason == "工作表“数据”第 2 行 H 列的单元格有 40,000 个字符,超过上限 32,767(Excel 单元格的最大长度),未读取。"


# ------------------------------------------------------------------------------------------------ class 10: cut CSV
@pytest.mark.parametrize("how, row, value", [("row", 4, "海西州,2022/9,310,300,290,"),
                                             ("quote", 5, '大理州,2022-10,"1,2')])
def test_csv_cut_mid_row_rejects_that_row(warehouse_built, tmp_path, how, row, value):
    report = importer.validate([importer.Upload.from_path(corpus.make_cut_csv(tmp_path / "cut.csv", how))])
    cut = report.problems.filter(pl.col("severity") == "error").select("row", "value", "reason").rows()
    assert cut == [(row, value, importer.CUT_ROW_REASON)]
    assert importer.CUT_ROW_REASON.startswith("文件末行不完整(可能在传输中被截断)")
    assert report.rows_valid == (3 if how == "quote" else 2)


def test_last_row_without_newline_but_complete_is_fine(warehouse_built):
    assert errors(validate("ok.csv", corpus.agg(*corpus.AGG_ROWS).rstrip(b"\n"))) == []


# ------------------------------------------------------------------------------------------------ class 3: scope
SCOPED = "532900"  # 大理州
KUNMING_AND_DALI = corpus.agg("五华区,2022-07,10,9,8,7,87.5", "大理市,2022-07,10,9,8,7,87.5")


@pytest.fixture
def state(warehouse_built, tmp_path, monkeypatch):
    folder = corpus.isolated_state(warehouse_built, tmp_path / "state")
    monkeypatch.setenv("PINGAN_STATE_DIR", str(folder))
    return folder


def test_scoped_validation_rejects_rows_outside_the_scope(state):
    report = validate("昆明大理.csv", KUNMING_AND_DALI, region=SCOPED)
    assert errors(report) == [("昆明大理.csv", 2, "地区“五华区(530102)”不在您的账户范围(大理白族自治州(532900)及其下级地区)内,不能导入")]
    assert report.rows_valid == 1
    assert errors(validate("昆明大理.csv", KUNMING_AND_DALI)) == []  # unscoped: both rows are fine


def test_scoped_validation_rejects_cases_outside_the_scope(state):
    report = validate("cases.csv", corpus.cases(corpus.CASE_ROW.format(n=1)), region=SCOPED)  # 西峰区 (甘肃)
    (_, row, reason), = errors(report)
    assert row == 2 and reason.startswith("地区“西峰区(621002)”不在您的账户范围")


def test_scoped_load_refuses_rows_outside_the_scope_whatever_the_report_says(state):
    from pingan import warehouse

    before = warehouse.current_name()
    report = validate("昆明大理.csv", KUNMING_AND_DALI)  # validated without a scope
    with pytest.raises(importer.Refused, match="不在您的账户范围"):
        importer.load(report, region=SCOPED)
    assert warehouse.current_name() == before
    entry = importer.load(validate("昆明大理.csv", KUNMING_AND_DALI, region=SCOPED), valid_only=True, region=SCOPED)
    assert entry["rows_loaded"] == 1


def test_scoped_rollback_is_refused(state):
    from pingan import warehouse

    first = warehouse.current_name()
    importer.load(validate("a.csv", corpus.agg(*corpus.AGG_ROWS)))
    second = warehouse.current_name()
    with pytest.raises(importer.Refused, match="只有不限地区"):
        importer.rollback(first, who="dali_admin", region=SCOPED)
    assert warehouse.current_name() == second
    importer.rollback(first, who="root")
    assert warehouse.current_name() == first


# ------------------------------------------------------------------------------------------------ class 4: the worker
def test_worker_returns_the_same_report(state):
    from pingan.ingest import worker as import_worker

    data = corpus.agg(*corpus.AGG_ROWS, "火星县,2022-07,1,1,1,1,100")
    here = validate("a.csv", data, region=SCOPED)
    there = import_worker.validate([importer.Upload.from_bytes("a.csv", data)], region=SCOPED)
    assert there.problems.equals(here.problems) and there.observations.equals(here.observations)
    assert (there.rows_valid, there.errors, there.files) == (here.rows_valid, here.errors, here.files)


def test_worker_is_killed_at_its_memory_limit(state, tmp_path, monkeypatch):
    import multiprocessing

    from pingan.ingest import worker as import_worker

    monkeypatch.setattr(read, "MAX_ZIP_RATIO", 10**6)   # let the bomb past the bounds: the limit must stop it
    monkeypatch.setattr(read, "MAX_UNZIPPED_MB", 10**6)
    path = corpus.make_xlsx_bomb(tmp_path / "bomb.xlsx", 300)
    with pytest.raises(import_worker.Stopped) as stopped:
        import_worker.validate([importer.Upload.from_path(path)], memory_mb=2000)
    assert str(stopped.value) == ("校验所需内存超过上限 2,000 MB,已停止(文件可能过大或结构异常);"
                                  "请按月份或地区拆分成多个文件后再上传。")
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("limit, alive, message", [
    (0.5, None, "校验超过时间上限 0.5 秒,已停止;请按月份或地区拆分成多个文件后再上传。"),  # spawning alone takes longer
    (60, lambda: False, "上传者已离开页面,校验已取消。"),
])
def test_worker_stops_on_time_and_when_the_session_goes(state, limit, alive, message):
    import multiprocessing

    from pingan.ingest import worker as import_worker

    t = time.perf_counter()
    with pytest.raises(import_worker.Stopped, match=message):
        import_worker.validate([importer.Upload.from_bytes("a.csv", corpus.agg(*corpus.AGG_ROWS))],
                               seconds=limit, alive=alive)
    assert time.perf_counter() - t < 3
    assert multiprocessing.active_children() == []


def test_session_is_alive_outside_streamlit():
    from pingan import ui

    assert ui.session_alive() is True
