"""AppTest of the 数据管理 page: upload, validation report, load, valid-only, size limit, history, rollback."""
from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, published

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import auth, importer, loads, safe, warehouse  # noqa: E402

PAGE = str(ROOT / "pages" / "data.py")


@pytest.fixture
def state(warehouse_built, tmp_path, monkeypatch):
    folder = corpus.isolated_state(warehouse_built, tmp_path / "state")
    monkeypatch.setenv("PINGAN_STATE_DIR", str(folder))
    return folder


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def buttons(at: AppTest) -> dict[str, object]:
    return {b.label: b for b in at.button}


def test_page_renders_with_templates_and_demo_badge(state):
    at = page()
    assert at.title[0].value.startswith("数据管理")
    assert any("演示数据" in m.value for m in at.markdown)
    m = metrics(at)
    assert m["保留的快照"] == "1" and m["成功导入(次)"] == "0" and m["本范围本期导入的数据行"] == "0"
    downloads = at.get("download_button")
    labels = [d.proto.label for d in downloads]
    assert labels.count("Excel") == 6 and labels.count("CSV") == 6
    assert at.file_uploader[0].proto.max_upload_size_mb == importer.MAX_MB  # the browser refuses bigger files
    assert f"{importer.MAX_MB} MB" in at.file_uploader[0].label
    assert any("还没有导入记录" in i.value for i in at.info)


def test_valid_upload_loads_and_shows_in_history(state):
    at = page()
    upload(at, "月报.csv", corpus.agg(*corpus.AGG_ROWS))
    assert any("校验通过" in s.value for s in at.success)
    assert not at.error
    before = warehouse.current_name()
    buttons(at)["导入 3 行"].click().run()
    assert not at.exception
    assert warehouse.current_name() != before
    assert any("已导入 3 行" in s.value for s in at.success)
    m = metrics(at)
    assert m["成功导入(次)"] == "1" and m["保留的快照"] == "2"
    assert m["本范围本期导入的数据行"] == "15"  # 3 regions × 5 indicators, all in 2022
    hist = loads.history()
    assert hist["files"].to_list() == ["月报.csv"] and hist["who"][0] == "local" and hist["via"][0] == "page"
    tables = [df.value for df in at.dataframe]
    assert any("月报.csv" in str(t) for t in tables)  # the history tab's table
    assert not at.file_uploader[0].value  # a fresh uploader after the load


def test_errors_block_the_load_until_valid_only_is_chosen(state):
    at = page()
    upload(at, "有错.csv", corpus.agg(*corpus.AGG_ROWS, "火星县,2022-07,1,1,1,1,100", "大理州,2022-10,5,5,5,9,100"))
    assert any("2 处错误" in e.value for e in at.error)
    report = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert len(report) == 2
    assert set(report["row"].tolist()) == {5, 6}
    assert "导入 3 行" not in buttons(at)
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels.count("下载 CSV") >= 2  # the report and the rejected rows
    at.checkbox(key="import_valid_only").check().run()
    before = warehouse.current_name()
    buttons(at)["导入 3 行"].click().run()
    assert not at.exception
    assert warehouse.current_name() != before
    entry = loads.history().row(0, named=True)
    assert entry["rows_loaded"] == 3 and entry["rows_rejected"] == 2


def test_upload_over_the_size_limit_is_refused_with_the_limit(state):
    at = page()
    upload(at, "全年案件.csv", b"\0" * (200 * 1024 * 1024))
    # the file name is shown as text: Markdown-escaped in the element's source (全年案件\.csv), as typed on screen
    assert any(safe.md("全年案件.csv") in e.value and f"超过上限 {importer.MAX_MB} MB" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("导入")]


def test_hostile_file_on_the_page(state):
    at = page()
    upload(at, "merged_header.xlsx", (ROOT / "tests/bad_files/merged_header.xlsx").read_bytes())
    report = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert any("表头占了两行" in r for r in report["reason"].tolist())
    assert any("没有任何可导入的行" in e.value for e in at.error)
    assert any("表头占了两行" in e.value for e in at.error)  # a whole-sheet problem is shown above the table


def test_rollback_from_the_page(state):
    first = warehouse.current_name()
    importer.load(importer.validate([importer.Upload.from_bytes("a.csv", corpus.agg(*corpus.AGG_ROWS))]))
    at = page()
    assert metrics(at)["成功导入(次)"] == "1"
    assert at.selectbox(key="rollback_target").value == first
    assert buttons(at)["回滚"].disabled
    at.checkbox(key="rollback_confirm").check().run()
    buttons(at)["回滚"].click().run()
    assert not at.exception
    assert warehouse.current_name() == first
    assert any("已回滚" in s.value for s in at.success)
    assert loads.history()["action"][0] == "rollback"
    assert metrics(at)["本范围本期导入的数据行"] == "0"


def test_scope_changes_the_composition(state):
    at = page()

    def composition():
        df = next(df.value for df in at.dataframe if "fact_table" in df.value.columns)
        return dict(zip(df["fact_table"], df["rows_total"]))

    everything = composition()
    at.sidebar.selectbox(key="scope_province").set_value("640000").run()
    ningxia_2022 = composition()
    assert ningxia_2022["矛盾纠纷案件"] < everything["矛盾纠纷案件"]
    at.sidebar.selectbox(key="scope_from").set_value("2017").run()
    at.sidebar.selectbox(key="scope_to").set_value("2021").run()
    assert not at.exception
    assert composition()["矛盾纠纷案件"] == published("ningxia_016")  # 宁夏 2017—2021 排查 26.39万件


def test_english(state):
    at = page()
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value.startswith("Data:")
    assert "Snapshots kept" in metrics(at)


def test_role_without_import_permission_has_no_data_page(state):
    auth.add_user("viewer", "Viewer-Password-1", "analyst")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_input(key="login_user").input("viewer")
    at.text_input(key="login_password").input("Viewer-Password-1")
    at.button[0].click().run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not registered for analysts
        at.switch_page(PAGE)
    # and the login did go through: the analyst reaches the SQL page (checked second: after a switch_page run
    # AppTest lists every file of pages/ as registered)
    at.switch_page(str(ROOT / "pages/sql.py")).run()
    assert not at.exception and at.title[0].value == "自助查询"


def login(name: str, password: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_input(key="login_user").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_scoped_admin_imports_only_its_scope_and_cannot_roll_back(state):
    auth.add_user("dali_admin", "Dali-Password-1", "admin", region="532900")
    importer.load(importer.validate([importer.Upload.from_bytes("a.csv", corpus.agg(*corpus.AGG_ROWS))]))
    at = login("dali_admin", "Dali-Password-1")
    assert "rollback_go" not in [b.key for b in at.button]
    assert any(i.value.startswith("回滚会把所有地区的数据换成所选快照的数据,只有不限地区") for i in at.info)
    upload(at, "昆明.csv", corpus.agg("五华区,2022-07,10,9,8,7,87.5"))
    report = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert report["reason"].tolist() == ["地区“五华区(530102)”不在您的账户范围(大理白族自治州(532900)及其下级地区)内,不能导入"]
    assert not [b for b in at.button if b.label.startswith("导入")]


IMAGE_NAME = "![x](http://127.0.0.1:8619-img.png) **粗体**.csv"


@pytest.mark.parametrize("name, data, sheet", [
    (IMAGE_NAME, b"", ""),                                                     # a whole-file problem
    ("[重新登录](http://127.0.0.1:8619/login).csv", b"", ""),
    ("表.xlsx", corpus.xlsx([["x"], ["y"]], title="__粗体__ $x$ <b>"), "__粗体__ $x$ <b>"),  # a sheet name
    ("cells.csv", corpus.csv_bytes("地区,期间,**粗体**![x](http://127.0.0.1:8619-img.png)", "大理州,2022-07,1"),
     ""),                                                                      # an echoed header cell
], ids=["file_image", "file_link", "sheet", "echoed_cell"])
def test_file_and_sheet_names_are_shown_as_text(state, name, data, sheet):
    at = page()
    upload(at, name, data)
    shown = [e.value for e in at.error if "粗体" in e.value or "重新登录" in e.value]
    assert shown, [e.value for e in at.error]
    for text in shown:
        assert "](" not in text.replace("\\]\\(", "") and "**" not in text.replace("\\*\\*", "")
        assert "$x$" not in text and "<b>" not in text and "__粗体__" not in text
    if sheet:
        assert safe.md(sheet) in shown[0]
    elif name == "cells.csv":
        assert safe.md("无法识别的列“**粗体**![x](http://127.0.0.1:8619-img.png)”") in shown[0]
    else:
        assert shown[0].startswith(safe.md(name) + ":")


def test_validation_runs_in_a_worker_with_a_time_limit(state, monkeypatch):
    from pingan.ingest import worker as import_worker

    monkeypatch.setattr(import_worker, "SECONDS", 0.5)
    at = page()
    upload(at, "a.csv", corpus.agg(*corpus.AGG_ROWS))
    assert [e.value for e in at.error] == [safe.md("校验超过时间上限 0.5 秒,已停止;请按月份或地区拆分成多个文件后再上传。")]
    assert not [b for b in at.button if b.label.startswith("导入")]
