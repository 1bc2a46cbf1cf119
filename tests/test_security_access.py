"""Access: revoked access ends at once, no accounts never means open admin, scoped admins stay in
their scope, logging in under a crowd, the wall token's region, user text shown as text."""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pingan import audit, auth

DALI, DALI_CITY, YUNNAN, KUNMING = "532900", "532901", "530000", "530100"
PASSWORD = "Access-Test-2022"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    auth._throttle.clear()
    yield
    auth._throttle.clear()


@pytest.fixture()
def state(warehouse_built, tmp_path, monkeypatch):
    """A state folder sharing the session's warehouse snapshot, with no account yet."""
    (tmp_path / "warehouse").mkdir()
    os.symlink(warehouse_built, tmp_path / "warehouse" / warehouse_built.name)
    (tmp_path / "warehouse" / "CURRENT").write_text(warehouse_built.name)
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def _accounts_files(tmp_path_factory) -> dict[str, bytes]:
    """The four accounts, made once per module: each add_user pays Argon2 (~0.2 s), ~50 tests use them."""
    folder = tmp_path_factory.mktemp("accounts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINGAN_STATE_DIR", str(folder))
        auth.add_user("root", PASSWORD, "admin", "", "省管理员")
        auth.add_user("dali_admin", PASSWORD, "admin", DALI, "大理州管理员")
        auth.add_user("dali_analyst", PASSWORD, "analyst", DALI, "大理州分析员")
        auth.add_user("km_analyst", PASSWORD, "analyst", KUNMING, "昆明市分析员")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".created")}


@pytest.fixture()
def accounts(state, _accounts_files):
    """The state folder with the four accounts, written now (a fresh file and creation marker, as add_user leaves)."""
    for name, content in _accounts_files.items():
        (state / name).write_bytes(content)
        os.chmod(state / name, 0o600)
    return state


def login(user: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "login_user" not in [getattr(w, "key", None) for w in at.text_input], "still on the login form"
    return at


def next_run(at: AppTest) -> AppTest:
    """The session's next full run (app.py first). In AppTest a plain at.run() after st.navigation re-runs only the
    page, like a fragment rerun does on a server, so a new AppTest carries the session over."""
    nxt = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k in ("account", "login_at", "last_seen"):
        if k in at.session_state:
            nxt.session_state[k] = at.session_state[k]
    return nxt.run()


def on_login_form(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["平安驾驶舱"] and not at.metric


def html_text(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


# ---------------------------------------------------------------------------------------------------------
# 1. Revoked access ends on the next run and the next wall refresh
# ---------------------------------------------------------------------------------------------------------
REVOCATIONS = {
    "disabled": (lambda: auth.update_user("dali_analyst", disabled=True), "已被停用"),
    "deleted": (lambda: auth.delete_user("dali_analyst"), "已被删除"),
    "password": (lambda: auth.update_user("dali_analyst", password="Another-Pass-1"), "密码已被修改"),
    "role": (lambda: auth.update_user("dali_analyst", role="leader"), "角色已变更"),
    "scope": (lambda: auth.update_user("dali_analyst", region=DALI_CITY), "地区范围已变更"),
}


@pytest.mark.parametrize("reason", list(REVOCATIONS))
def test_access_a_revoked_session_ends_on_its_next_run(accounts, reason):
    at = login("dali_analyst")
    assert at.metric, "the overview did not render"
    change, message = REVOCATIONS[reason]
    change()
    at = next_run(at)
    assert on_login_form(at)
    assert [w.value for w in at.warning] == [auth.ENDED[reason]] and message in auth.ENDED[reason]
    events = audit.read().filter(pl.col("action") == "session_revoked")
    assert events["user"].to_list() == ["dali_analyst"]
    assert json.loads(events["detail"][0]) == {"reason": reason}


def test_access_an_unchanged_session_keeps_running(accounts):
    at = login("dali_analyst")
    auth.update_user("km_analyst", disabled=True)  # someone else's change
    at = next_run(at)
    assert at.metric and not at.warning


@pytest.mark.parametrize("change, reason", [
    (lambda tid, token: auth.revoke_screen_token(tid), "token_revoked"),
    (lambda tid, token: (auth.revoke_screen_token(tid), _same_id_token(tid)), "token_revoked"),
    (lambda tid, token: _token_region(tid, DALI_CITY), "token_changed"),
])
def test_access_check_session_refuses_a_changed_wall_token(accounts, change, reason):
    tid, token = auth.add_screen_token(DALI, "大理州指挥中心")
    acct = auth.screen_account(token)
    state = {"account": acct, "account_active": acct, "login_at": 0.0, "last_seen": 0.0, "wall_last": "x"}
    assert auth.check_session(dict(state)) == acct  # a wall token does not idle out
    change(tid, token)
    with pytest.raises(auth.SessionEnded, match=auth.ENDED[reason]):
        auth.check_session(state)
    assert "account" not in state and "account_active" not in state


def _same_id_token(tid: str) -> None:
    with auth._locked_store() as data:  # a new token that happens to get the old id
        data["tokens"][tid] = {"sha256": "0" * 64, "region": DALI, "label": "x", "created": "2022-01-01T00:00:00"}


def _token_region(tid: str, region: str) -> None:
    with auth._locked_store() as data:
        data["tokens"][tid]["region"] = region


@pytest.mark.parametrize("user", ["token", "dali_analyst"])
def test_access_the_wall_refresh_rechecks_and_drops_the_last_figures(accounts, user):
    tid, token = auth.add_screen_token(DALI, "大理州指挥中心")
    if user == "token":
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.query_params["token"] = token
        at.run()
    else:
        at = login(user)
        at.switch_page(str(ROOT / "pages/screen.py")).run()
    assert "已更新" in html_text(at)
    auth.revoke_screen_token(tid) if user == "token" else auth.update_user(user, disabled=True)
    at.run()  # in AppTest this re-runs the page without app.py: what a wall refresh (the fragment) does
    text = html_text(at)
    assert auth.ENDED["token_revoked" if user == "token" else "disabled"] in text
    assert "已更新" not in text and "更新失败" not in text and not at.get("plotly_chart")
    assert "wall_last" not in at.session_state


def test_access_sessions_expire_in_check_session(accounts):
    acct = auth.authenticate("dali_analyst", PASSWORD)
    state = {"account": acct, "login_at": 0.0, "last_seen": 0.0}
    with pytest.raises(auth.SessionEnded, match="会话已过期"):
        auth.check_session(state, now=auth.IDLE_SECONDS + 1)


def test_access_the_session_holds_a_fingerprint_not_the_hash(accounts):
    acct = auth.authenticate("dali_analyst", PASSWORD)
    stored = json.loads((accounts / "accounts.json").read_text(encoding="utf-8"))["users"]["dali_analyst"]["hash"]
    assert acct.fingerprint and acct.fingerprint not in stored and stored not in repr(acct)


# ---------------------------------------------------------------------------------------------------------
# 2. No accounts never means open admin on a running server
# ---------------------------------------------------------------------------------------------------------
def test_access_demo_mode_only_on_loopback_and_never_again_once_accounts_existed(state):
    assert auth.decide_demo_mode("0.0.0.0") is False and auth.demo_mode() is False
    assert auth.decide_demo_mode("127.0.0.1") is True and auth.demo_mode() is True
    auth.add_user("clerk", PASSWORD, "analyst", DALI)
    assert auth.demo_mode() is False
    auth.delete_user("clerk")  # the last account (no unscoped admin existed, so this is allowed)
    assert auth.demo_mode() is False
    (state / "accounts.json").write_text("{}", encoding="utf-8")
    assert auth.demo_mode() is False


@pytest.mark.parametrize("how", ["page_delete", "cli_delete", "emptied"])
def test_access_deleting_every_account_asks_for_one_not_demo_admin(state, how):
    auth.decide_demo_mode("127.0.0.1")
    auth.add_user("clerk", PASSWORD, "analyst", DALI)
    if how == "page_delete":
        auth.delete_user("clerk")
    elif how == "cli_delete":
        r = subprocess.run([sys.executable, "-m", "pingan.auth", "delete", "clerk"], cwd=ROOT,
                           env=dict(os.environ), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    else:
        (state / "accounts.json").write_text('{"users": {}, "tokens": {}}', encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not at.exception and not at.metric
    assert [e.value for e in at.error] == [
        "尚无可用账户:请管理员在服务器上运行 `python -m pingan.auth add 用户名 --role admin` 创建。"]
    assert not any("本地演示模式" in i.value for i in at.sidebar.info)


def test_access_a_demo_session_ends_when_the_first_account_appears(state):
    auth.decide_demo_mode("127.0.0.1")
    state_ = {"account_active": auth.LOCAL_DEMO}
    assert auth.check_session(state_) is auth.LOCAL_DEMO
    auth.add_user("root", PASSWORD, "admin")
    with pytest.raises(auth.SessionEnded, match="本地演示模式已结束"):
        auth.check_session(state_)


def test_access_demo_first_account_must_be_an_unscoped_admin(state):
    auth.decide_demo_mode("127.0.0.1")
    with pytest.raises(auth.AuthError, match="第一个账户必须是地区范围为全部的管理员"):
        auth.add_user("clerk", PASSWORD, "analyst", "", actor=auth.LOCAL_DEMO)
    assert auth.add_user("root", PASSWORD, "admin", "", actor=auth.LOCAL_DEMO).role == "admin"


@pytest.mark.parametrize("change", [
    lambda: auth.delete_user("root"),
    lambda: auth.update_user("root", disabled=True),
    lambda: auth.update_user("root", role="analyst"),
    lambda: auth.update_user("root", region=DALI),
])
def test_access_the_last_unscoped_admin_stays(accounts, change):
    with pytest.raises(auth.AuthError, match="最后一个可用的全部范围管理员"):
        change()
    users = {u["username"]: u for u in auth.list_users()}
    assert (users["root"]["role"], users["root"]["region"], users["root"]["disabled"]) == ("admin", "", False)
    auth.add_user("root2", PASSWORD, "admin")
    change()  # with a second one, the first may go
    after = {u["username"]: u for u in auth.list_users()}.get("root")
    assert after is None or (after["role"], after["region"], after["disabled"]) != ("admin", "", False)


@pytest.mark.parametrize("cmd", ["delete", "disable"])
def test_access_cli_refuses_the_last_unscoped_admin(accounts, cmd):
    r = subprocess.run([sys.executable, "-m", "pingan.auth", cmd, "root"], cwd=ROOT, env=dict(os.environ),
                       capture_output=True, text=True)
    assert r.returncode == 1 and "最后一个可用的全部范围管理员" in r.stderr
    assert "root" in {u["username"] for u in auth.list_users() if not u["disabled"]}


@pytest.mark.parametrize("content", ["{not json", '["users"]', '{"users": []}'])
def test_access_an_unreadable_accounts_file_fails_closed(state, content):
    auth.decide_demo_mode("127.0.0.1")
    (state / "accounts.json").write_text(content, encoding="utf-8")
    with pytest.raises(auth.AccountsUnreadable):
        auth.demo_mode()
    with pytest.raises(auth.AccountsUnreadable):
        auth.authenticate("root", PASSWORD)
    with pytest.raises(auth.AccountsUnreadable):
        auth.add_user("root", PASSWORD, "admin")
    assert (state / "accounts.json").read_text(encoding="utf-8") == content  # never overwritten
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert not at.exception and not at.metric
    assert len(at.error) == 1 and "账户文件" in at.error[0].value


# ---------------------------------------------------------------------------------------------------------
# 3. A scoped admin manages accounts, tokens and reads audit events inside its scope only
# ---------------------------------------------------------------------------------------------------------
def dali_admin() -> auth.Account:
    return auth.authenticate("dali_admin", PASSWORD)


@pytest.mark.parametrize("action", [
    lambda a: auth.add_user("evil_root", PASSWORD, "admin", "", actor=a),
    lambda a: auth.add_user("km_admin", PASSWORD, "admin", KUNMING, actor=a),
    lambda a: auth.add_user("yn_admin", PASSWORD, "admin", YUNNAN, actor=a),
    lambda a: auth.add_user("nowhere", PASSWORD, "leader", "999999", actor=a),
    lambda a: auth.update_user("km_analyst", password="Taken-Over-1", actor=a),
    lambda a: auth.update_user("root", disabled=True, actor=a),
    lambda a: auth.update_user("dali_analyst", region="", actor=a),
    lambda a: auth.update_user("dali_analyst", region=KUNMING, actor=a),
    lambda a: auth.delete_user("km_analyst", actor=a),
    lambda a: auth.add_screen_token("", "全省", actor=a),
    lambda a: auth.add_screen_token(KUNMING, "昆明", actor=a),
])
def test_scope_admin_refused_outside_its_scope(accounts, action):
    before = (accounts / "accounts.json").read_text(encoding="utf-8")
    with pytest.raises(auth.AuthError, match="账户范围"):
        action(dali_admin())
    after = json.loads((accounts / "accounts.json").read_text(encoding="utf-8"))
    assert {k: v["hash"] for k, v in after["users"].items()} == \
        {k: v["hash"] for k, v in json.loads(before)["users"].items()}
    assert {k: (v["region"], v["disabled"]) for k, v in after["users"].items()} == \
        {k: (v["region"], v["disabled"]) for k, v in json.loads(before)["users"].items()}
    assert after["tokens"] == json.loads(before)["tokens"]


def test_scope_admin_manages_inside_its_scope(accounts):
    a = dali_admin()
    assert auth.add_user("dali_city", PASSWORD, "leader", DALI_CITY, actor=a).region == DALI_CITY
    auth.update_user("dali_analyst", region=DALI_CITY, actor=a)
    auth.delete_user("dali_city", actor=a)
    tid, _ = auth.add_screen_token(DALI, "大理州", actor=a)
    km_tid, _ = auth.add_screen_token(KUNMING, "昆明")
    assert [t["id"] for t in auth.list_screen_tokens(actor=a)] == [tid]
    with pytest.raises(auth.AuthError, match="账户范围"):
        auth.revoke_screen_token(km_tid, actor=a)
    assert [u["username"] for u in auth.list_users(actor=a)] == ["dali_admin", "dali_analyst"]
    assert auth.visible_users(a) == {"dali_admin", "dali_analyst", f"screen:{tid}"}
    assert auth.visible_users(auth.authenticate("root", PASSWORD)) is None


def test_scope_admin_audit_tab_shows_its_scope_only(accounts):
    audit.record("root", "account_add", {"username": "x"}, role="admin")
    audit.record("km_analyst", "sql", {"sql": "select 1"}, role="analyst")
    audit.record("dali_analyst", "sql", {"sql": "select 2"}, role="analyst")
    audit.record("nobody", "login_failed", {"reason": "x"})
    at = login("dali_admin")
    at.switch_page(str(ROOT / "pages/admin.py")).run()
    assert not at.exception
    shown = set(at.dataframe[-1].value["user"].to_list())
    assert shown == {"dali_admin", "dali_analyst"}
    assert set(at.dataframe[0].value["username"].to_list()) == {"dali_admin", "dali_analyst"}


# ---------------------------------------------------------------------------------------------------------
# 8. Logging in under a crowd
# ---------------------------------------------------------------------------------------------------------
class CountingHasher:
    """Argon2 stand-in: counts verifications, how many ran at once, and whether the account lock was free."""

    def __init__(self, real, lock_path, delay=0.0):
        self.real, self.lock_path, self.delay = real, lock_path, delay
        self.calls, self.running, self.max_running, self.lock_free = 0, 0, 0, []
        self._m = threading.Lock()

    def verify(self, hashed, password):
        with self._m:
            self.calls += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            with open(self.lock_path, "a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fh, fcntl.LOCK_UN)
                    self.lock_free.append(True)
                except BlockingIOError:
                    self.lock_free.append(False)
            time.sleep(self.delay)
            return self.real.verify(hashed, password)
        finally:
            with self._m:
                self.running -= 1

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture()
def hasher(accounts, monkeypatch):
    h = CountingHasher(auth._hasher, accounts / "accounts.lock")
    monkeypatch.setattr(auth, "_hasher", h)
    return h


def test_login_throttled_per_name_without_argon2(hasher):
    t0 = time.time()
    for i in range(auth.THROTTLE_PER_NAME):
        with pytest.raises(auth.AuthError, match="用户名或密码错误"):
            auth.authenticate("no_such_user", "guess-guess", now=t0 + i, client="ip:10.0.0.1")
    calls = hasher.calls
    assert calls == auth.THROTTLE_PER_NAME  # unknown names pay the same Argon2 cost
    with pytest.raises(auth.AuthError, match=r"^尝试过于频繁,请 50 秒后再试$"):
        auth.authenticate("no_such_user", "guess-guess", now=t0 + 10, client="ip:10.0.0.2")
    assert hasher.calls == calls
    with pytest.raises(auth.AuthError, match="用户名或密码错误"):  # the oldest attempt has left the window
        auth.authenticate("no_such_user", "guess-guess", now=t0 + auth.THROTTLE_WINDOW_S, client="ip:10.0.0.2")


def test_login_throttled_per_client_without_argon2(hasher):
    for i in range(auth.THROTTLE_PER_CLIENT):
        with pytest.raises(auth.AuthError, match="用户名或密码错误"):
            auth.authenticate(f"spray{i}", "guess-guess", client="ip:10.0.0.9")
    calls = hasher.calls
    with pytest.raises(auth.AuthError, match="尝试过于频繁"):
        auth.authenticate("dali_analyst", PASSWORD, client="ip:10.0.0.9")
    assert hasher.calls == calls
    assert auth.authenticate("dali_analyst", PASSWORD, client="ip:10.0.0.10").username == "dali_analyst"


def test_login_successes_do_not_use_up_the_quota(hasher):
    for _ in range(auth.THROTTLE_PER_NAME + 3):
        assert auth.authenticate("dali_analyst", PASSWORD, client="ip:10.0.0.3").username == "dali_analyst"


@pytest.mark.parametrize("name, password", [("dali_analyst", PASSWORD), ("dali_analyst", "wrong-password"),
                                            ("ghost", "wrong-password")])
def test_login_argon2_runs_outside_the_account_file_lock(hasher, name, password):
    try:
        auth.authenticate(name, password, client="ip:10.2.0.1")
    except auth.AuthError:
        pass
    assert hasher.lock_free == [True]


def test_login_argon2_bounded(hasher):
    hasher.delay = 0.05
    errors = []

    def attempt(i):
        try:
            auth.authenticate("dali_analyst" if i % 2 else f"ghost{i}", "wrong-password", client=f"ip:10.1.0.{i}")
        except auth.AuthError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.calls == 8 and hasher.max_running == auth.ARGON2_SLOTS
    assert len(errors) == 8


# ---------------------------------------------------------------------------------------------------------
# 10. The wall of a scoped token shows its region, and no false all-clear
# ---------------------------------------------------------------------------------------------------------
def token_wall(token: str, params: dict | None = None) -> AppTest:
    """/screen?token=…&region=… opened directly (the address a wall is given)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["token"] = token
    at.run()
    at.query_params["token"] = token
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.switch_page(str(ROOT / "pages/screen.py")).run()


def wall_title(at: AppTest) -> str:
    import re

    m = re.search(r'class="wall-title">([^<]*)<', html_text(at))
    return m.group(1) if m else ""


def test_wall_token_defaults_to_its_region(accounts):
    _, token = auth.add_screen_token(DALI, "大理州指挥中心")
    at = token_wall(token)
    assert not at.exception
    assert wall_title(at) == "平安驾驶舱 · 大理白族自治州"


@pytest.mark.parametrize("other", [YUNNAN, KUNMING, "640000"])
def test_wall_token_asked_for_another_region_names_and_shows_its_own(accounts, other):
    _, token = auth.add_screen_token(DALI, "大理州指挥中心")
    at = token_wall(token, {"region": other})
    assert not at.exception
    assert wall_title(at) == "平安驾驶舱 · 大理白族自治州"
    assert "数据暂不可用" not in html_text(at) and "已更新" in html_text(at)
    assert f"本大屏的地区范围是大理白族自治州({DALI}),不能显示地区 {other},已显示大理白族自治州" in html_text(at)


def test_wall_no_all_clear_when_sub_region_figures_are_missing(warehouse_built, monkeypatch):
    from pingan import queries

    real = queries.run_many

    def missing(calls):
        got = real(calls)
        figures = {"success_rate_pct": None, "safety_pct": None, "open_over_90d": None}
        return [df.with_columns(**{c: pl.lit(v, df.schema[c]) for c, v in figures.items()})
                if name == "screen_subregions" else df for (name, _), df in zip(calls, got)]

    monkeypatch.setattr(queries, "run_many", missing)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["region"] = YUNNAN
    at.query_params["theme"] = "overall"
    at.run()
    at.switch_page(str(ROOT / "pages/screen.py")).run()
    text = html_text(at)
    assert "各下级地区均达到目标" not in text
    assert "下级地区数据不全,无法判断是否均达到目标" in text


# ---------------------------------------------------------------------------------------------------------
# Text a user controls is shown as text
# ---------------------------------------------------------------------------------------------------------
HOSTILE = "![x](http://127.0.0.1:8619/img.png) **粗体** [重新登录](http://evil/)"


def test_user_text_display_name_shown_as_text(accounts):
    auth.add_user("odd_name", PASSWORD, "leader", DALI, HOSTILE)
    at = login("odd_name")
    captions = [c.value for c in at.sidebar.caption if "领导" in c.value]
    assert captions and "![x](" not in captions[0] and "**" not in captions[0] and "\\!\\[x\\]" in captions[0]


def test_user_text_admin_errors_echo_input_as_text(accounts):
    at = login("root")
    at.switch_page(str(ROOT / "pages/admin.py")).run()
    form = at.get("form")
    assert form
    at.text_input[4].input(HOSTILE)  # the edit form's new value
    at.selectbox[2].set_value("role")
    at.button[1].click().run()
    assert at.error, [e.value for e in at.error]
    assert "![x](" not in at.error[0].value and "\\*\\*粗体\\*\\*" in at.error[0].value
