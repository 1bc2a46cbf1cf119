"""The data page's view functions (pingan/views/data.py) without AppTest."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import polars as pl

from pingan import auth
from pingan.views import data as view


def _acct(role: str, region: str = "") -> auth.Account:
    return auth.Account(username=f"u_{role}", role=role, region=region, display_name=role)


def test_rights_by_role_and_scope():
    assert view.rights(None) == view.Rights("local", "", True, True, True)
    admin = view.rights(_acct("admin"))
    assert (admin.who, admin.can_import, admin.may_snapshots, admin.can_rollback) == ("u_admin", True, True, True)
    scoped = view.rights(_acct("admin", "532900"))
    assert (scoped.region, scoped.can_import, scoped.may_snapshots, scoped.can_rollback) == \
        ("532900", True, True, False)
    analyst = view.rights(_acct("analyst"))
    assert (analyst.can_import, analyst.may_snapshots, analyst.can_rollback) == (False, False, False)


def test_snapshot_times_and_origins():
    snap = {"name": "snap-20221231T153012-abc", "modified": datetime(2020, 1, 1)}
    assert view.built_at(snap) == datetime(2022, 12, 31, 15, 30, 12)
    assert view.built_at({"name": "copied", "modified": datetime(2020, 1, 1)}) == datetime(2020, 1, 1)
    assert view.built_at_text(snap, "zh") == "12月31日 15:30" and view.built_at_text(snap, "en") == "12-31 15:30"
    assert view.built_at_text(None, "zh") == "—"
    load = {"action": "load", "load_id": "L7", "files": [{"name": "a.xlsx"}, {"name": "b.csv"}], "rows_loaded": 1200}
    assert view.snapshot_origin(load, "zh") == "L7 · a.xlsx、b.csv · 1,200"
    assert view.snapshot_origin({"action": "rollback", "message": "回滚到 x"}, "zh") == "回滚到 x"
    assert view.snapshot_origin(None, "zh") == "内置数据构建" and view.snapshot_origin(None, "en") == \
        "built from the bundled data"
    frame = view.snapshots_frame([dict(snap, bytes=3 * 1024 * 1024, current=True)], {snap["name"]: load}, "zh")
    assert frame.to_dicts() == [{"name": snap["name"], "modified": datetime(2022, 12, 31, 15, 30, 12), "mb": 3.0,
                                 "current": True, "origin": "L7 · a.xlsx、b.csv · 1,200"}]


HISTORY = pl.DataFrame({"action": ["load", "load", "rollback", "purge"], "status": ["loaded", "refused", "loaded", "x"],
                        "bytes": [2048, 1024, 0, 0], "via": ["page", "cli", "page", "api"],
                        "previous_snapshot": ["a", "b", "c", "d"]})


def test_history_in_words():
    assert view.loads_done(HISTORY) == 1
    zh = view.history_view(HISTORY, "zh")
    assert zh.columns == ["action", "bytes", "via"]
    assert zh.to_dicts() == [{"action": "导入", "bytes": 2.0, "via": "页面"},
                             {"action": "导入被拒绝", "bytes": 1.0, "via": "命令行"},
                             {"action": "回滚", "bytes": 0.0, "via": "页面"},
                             {"action": "purge", "bytes": 0.0, "via": "api"}]
    assert view.history_view(HISTORY, "en")["action"].to_list() == ["load", "load refused", "rollback", "purge"]


def test_composition_names_and_imported_share():
    comp = pl.DataFrame({"fact_table": ["dispute_case", "observation", "other"], "rows_total": [200, 0, 10],
                         "rows_demo": [150, 0, 10], "rows_imported": [50, 0, 0]})
    got = view.composition_view(comp, "zh")
    assert got["fact_table"].to_list() == ["矛盾纠纷案件", "汇总报表(导入)", "other"]
    assert got["real_share"].to_list() == [0.25, None, 0.0]
    assert view.composition_view(comp, "en")["fact_table"].to_list()[:2] == ["Dispute cases",
                                                                            "Aggregated reports (imported)"]


def test_validation_report_tables():
    problems = pl.DataFrame({"severity": ["error", "warning", "error"], "file": ["a.csv", "a.csv", "b.xlsx"],
                             "sheet": [None, None, "数据"], "row": [None, 3, None], "column": [None, "期间", "地区"],
                             "value": [None, "2022", None], "reason": ["无法解码", "写法不规范", "缺少必填列"]})
    report = SimpleNamespace(problems=problems, files=[
        {"name": "a.csv", "format": "csv", "sheets": [{"name": "", "rows": 1500, "kind": "observation"}],
         "rows": 1500, "bytes": 2048},
        {"name": "b.xlsx", "format": None, "sheets": [], "rows": None, "bytes": 512}])
    assert view.report_files(report, "zh").to_dicts() == [
        {"file": "a.csv", "format": "csv", "sheets": "CSV:1,500(汇总报表)", "rows": 1500, "kb": 2.0},
        {"file": "b.xlsx", "format": "—", "sheets": "—", "rows": 0, "kb": 0.5}]
    assert view.whole_file_errors(report) == [("a.csv", "无法解码"), ("b.xlsx · 数据 · 地区", "缺少必填列")]
    assert view.report_problems(report, "zh")["severity"].to_list() == ["错误", "提示", "错误"]
    assert view.report_problems(report, "en")["severity"].to_list() == ["error", "note", "error"]
