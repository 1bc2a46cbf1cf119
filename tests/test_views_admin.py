"""The accounts page's view functions (pingan/views/admin.py) without AppTest, in a state folder of its own."""
from __future__ import annotations

import polars as pl
import pytest

from pingan import auth
from pingan.views import admin as view

PASSWORD = "Views-Admin-2026"
DALI = "532900"


@pytest.fixture()
def accounts(tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    root = auth.add_user("root", PASSWORD, "admin", "", "省管理员")
    auth.add_user("dali_admin", PASSWORD, "admin", DALI, "大理州管理员")
    auth.add_user("dali_analyst", PASSWORD, "analyst", DALI, "大理州分析员")
    return root


def test_users_frame_in_words(accounts):
    users = auth.list_users(actor=accounts)
    zh = view.users_frame(users, "zh")
    assert zh.columns == ["username", "display_name", "role_zh", "scope", "state", "failures", "created"]
    rows = {r["username"]: (r["role_zh"], r["scope"], r["state"], r["failures"]) for r in zh.iter_rows(named=True)}
    assert rows == {"root": ("管理员", "全部", "正常", 0), "dali_admin": ("管理员", DALI, "正常", 0),
                    "dali_analyst": ("分析员", DALI, "正常", 0)}
    en = view.users_frame(users, "en").filter(pl.col("username") == "root").row(0, named=True)
    assert (en["role_zh"], en["scope"], en["state"]) == ("admin", "everything", "active")


def test_edits_and_their_audit_detail(accounts):
    assert view.apply_edit("dali_analyst", "disable", "", accounts) == {"username": "dali_analyst",
                                                                         "action": "disable"}
    assert view.users_frame(auth.list_users(actor=accounts), "zh").filter(
        pl.col("username") == "dali_analyst")["state"].to_list() == ["停用"]
    assert view.apply_edit("dali_analyst", "role", " leader ", accounts) == {"username": "dali_analyst",
                                                                              "action": "role", "value": "leader"}
    assert view.apply_edit("dali_analyst", "password", "Another-Pass-2026", accounts) == {
        "username": "dali_analyst", "action": "password"}  # never the password itself
    scoped = auth.Account(username="dali_admin", role="admin", region=DALI, display_name="大理州管理员")
    with pytest.raises(auth.AuthError):
        view.apply_edit("root", "delete", "", scoped)
    assert view.apply_edit("dali_analyst", "delete", "", accounts) == {"username": "dali_analyst",
                                                                        "action": "delete"}
    assert {u["username"] for u in auth.list_users(actor=accounts)} == {"root", "dali_admin"}


def test_edit_labels_and_role_names():
    assert [view.edit_label(a, "zh") for a in view.EDITS] == ["停用", "启用", "重设密码", "修改角色", "修改地区范围", "删除"]
    assert view.role_name("analyst", "zh") == "分析员" and view.role_name("analyst", "en") == "analyst"
