"""Accounts, roles, lock-out, screen tokens, sessions and the audit log (pytest -k "auth or role or scope")."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from pingan import audit, auth

SECRET = "Correct-Horse-9"


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    return tmp_path


def test_auth_login_with_the_right_password_only(state):
    auth.add_user("dali_analyst", SECRET, "analyst", "532900", "大理州分析员")
    acct = auth.authenticate("dali_analyst", SECRET)
    assert (acct.role, acct.region) == ("analyst", "532900")
    with pytest.raises(auth.AuthError, match="用户名或密码错误"):
        auth.authenticate("dali_analyst", "wrong-password")
    with pytest.raises(auth.AuthError, match="用户名或密码错误"):
        auth.authenticate("nobody", SECRET)


def test_auth_passwords_never_stored_in_clear(state):
    auth.add_user("leader1", SECRET, "leader")
    text = (state / "accounts.json").read_text(encoding="utf-8")
    assert SECRET not in text and "$argon2id$" in text


def test_auth_lockout_after_repeated_failures(state):
    auth.add_user("u1", SECRET, "leader")
    now = 1_000_000.0
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(auth.AuthError, match="用户名或密码错误"):
            auth.authenticate("u1", "bad-password", now=now)
    with pytest.raises(auth.AuthError, match="已锁定"):
        auth.authenticate("u1", "bad-password", now=now)
    with pytest.raises(auth.AuthError, match="已锁定"):  # even the right password while locked
        auth.authenticate("u1", SECRET, now=now + 60)
    assert auth.authenticate("u1", SECRET, now=now + auth.LOCK_SECONDS + 1).username == "u1"


def test_auth_disabled_and_deleted_accounts(state):
    auth.add_user("u2", SECRET, "analyst")
    auth.update_user("u2", disabled=True)
    with pytest.raises(auth.AuthError, match="停用"):
        auth.authenticate("u2", SECRET)
    auth.delete_user("u2")
    with pytest.raises(auth.AuthError, match="用户名或密码错误"):
        auth.authenticate("u2", SECRET)


@pytest.mark.parametrize("name, password, role, region, message", [
    ("a", SECRET, "leader", "", "用户名"),
    ("ok_name", "short", "leader", "", "至少需要 8 个字符"),
    ("ok_name", SECRET, "superuser", "", "未知角色"),
    ("ok_name", SECRET, "leader", "5329", "六位数字"),
])
def test_auth_refuses_bad_account_details(state, name, password, role, region, message):
    with pytest.raises(auth.AuthError, match=message):
        auth.add_user(name, password, role, region)


def test_role_permissions():
    assert auth.Account("x", "leader").can("view") and not auth.Account("x", "leader").can("export")
    assert auth.Account("x", "analyst").can("sql") and not auth.Account("x", "analyst").can("import")
    assert auth.Account("x", "admin").can("import") and auth.Account("x", "admin").can("accounts")
    screen = auth.Account("x", "screen")
    assert screen.can("screen") and not screen.can("view") and not screen.can("sql")


def test_auth_screen_token_digest_only_and_revocable(state):
    tid, token = auth.add_screen_token("530000", "省指挥中心")
    assert token not in (state / "accounts.json").read_text(encoding="utf-8")
    acct = auth.screen_account(token)
    assert (acct.role, acct.region) == ("screen", "530000")
    with pytest.raises(auth.AuthError):
        auth.screen_account(token + "x")
    auth.revoke_screen_token(tid)
    with pytest.raises(auth.AuthError, match="无效或已撤销"):
        auth.screen_account(token)


def test_auth_sessions_expire():
    assert not auth.session_expired(0, 100, now=200)
    assert auth.session_expired(0, 100, now=100 + auth.IDLE_SECONDS + 1)
    assert auth.session_expired(0, auth.MAX_SESSION_SECONDS, now=auth.MAX_SESSION_SECONDS + 1)


def test_auth_audit_log_is_chained_and_detects_tampering(state):
    audit.record("u1", "login", role="analyst")
    audit.record("u1", "sql", {"sql": "select 1", "rows": 1, "ms": 3}, role="analyst")
    audit.record("u1", "export", {"what": "结果", "rows": 10}, role="analyst")
    log = audit.read()
    assert log["action"].to_list() == ["export", "sql", "login"]
    assert audit.verify() == []
    f = next((state / "audit").glob("audit-*.jsonl"))
    lines = f.read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([lines[0], lines[2]]) + "\n", encoding="utf-8")  # a line removed
    assert audit.verify() != []


def test_auth_cli_adds_a_user_from_stdin_and_logs_without_the_password(state):
    env = {"PINGAN_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "pingan.auth", "add", "cli_user", "--role", "leader",
                        "--region", "640000", "--password-stdin"], input=SECRET + "\n", text=True,
                       capture_output=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert auth.authenticate("cli_user", SECRET).region == "640000"
    r = subprocess.run([sys.executable, "-m", "pingan.auth", "add", "cli_user", "--role", "leader",
                        "--password-stdin"], input=SECRET + "\n", text=True, capture_output=True, cwd=ROOT, env=env)
    assert r.returncode == 1 and "已存在" in r.stderr
    logged = "".join(p.read_text(encoding="utf-8") for p in (state / "audit").glob("*.jsonl"))
    assert "account_add" in logged and SECRET not in logged
