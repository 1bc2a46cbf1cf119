"""Region scope and roles end to end: the query layer, every page, exports and start-up (pytest -k "scope or auth or role")."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pingan import auth, queries

DALI, YUNNAN, DALI_CITY = "532900", "530000", "532901"
PASSWORD = "Scope-Test-2022"


@pytest.fixture()
def as_account(monkeypatch):
    """Run queries as a given account (what app.py does for a logged-in session)."""
    def use(acct):
        monkeypatch.setattr(auth, "_provider", lambda: acct)
    return use


def test_scope_query_layer_pins_and_refuses(warehouse_built, as_account):
    whole = queries.run("disputes_summary", region=DALI, start=date(2021, 1, 1), end=date(2021, 12, 31))
    as_account(auth.Account("dali", "analyst", DALI))
    pinned = queries.run("disputes_summary", region="", start=date(2021, 1, 1), end=date(2021, 12, 31))
    assert pinned.row(0) == whole.row(0)  # '' (everything) means everything the account may see
    assert queries.run("disputes_summary", region=DALI_CITY, start=date(2021, 1, 1),
                       end=date(2021, 12, 31))["identified"][0] < whole["identified"][0]
    for outside in (YUNNAN, "640000", "530100"):
        with pytest.raises(queries.ScopeError, match="无权查看"):
            queries.run("disputes_summary", region=outside, start=date(2021, 1, 1), end=date(2021, 12, 31))


def test_scope_every_query_without_a_region_is_declared_unscoped(warehouse_built, as_account):
    as_account(auth.Account("dali", "analyst", DALI))
    for q in queries.catalog():
        if not any(p.endswith("region") for p in q.params):
            assert q.unscoped, f"{q.name} has no $region parameter and no '-- scope: none' header"


def test_scope_published_figures_of_other_regions_are_hidden(warehouse_built, as_account):
    as_account(auth.Account("dali", "analyst", DALI))
    figs = queries.run("sources_reconciliation", region="")
    assert figs.height > 0
    assert set(figs["region_code"].to_list()) == {DALI}
    with pytest.raises(queries.ScopeError):
        queries.run("sources_reconciliation", region=YUNNAN)


@pytest.fixture()
def accounts_state(warehouse_built, tmp_path, monkeypatch):
    """A state folder with accounts, sharing the session's warehouse snapshot."""
    (tmp_path / "warehouse").mkdir()
    os.symlink(warehouse_built, tmp_path / "warehouse" / warehouse_built.name)
    (tmp_path / "warehouse" / "CURRENT").write_text(warehouse_built.name)
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    auth.add_user("dali_analyst", PASSWORD, "analyst", DALI, "大理州分析员")
    auth.add_user("leader", PASSWORD, "leader", "", "省领导")
    return tmp_path


def login(user: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert at.text_input(key="login_user") is not None  # accounts exist: a login comes first
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_auth_login_required_and_wrong_password_refused(accounts_state):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    assert [t.value for t in at.title] == ["平安驾驶舱"] and not at.metric
    at.text_input(key="login_user").input("leader")
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert any("用户名或密码错误" in e.value for e in at.error)
    logged = (accounts_state / "audit").glob("*.jsonl")
    text = "".join(p.read_text(encoding="utf-8") for p in logged)
    assert "login_failed" in text and "not-the-password" not in text


PAGES = ["pages/overview.py", "pages/grid.py", "pages/disputes.py", "pages/anti_gang.py",
         "pages/satisfaction.py", "pages/sources.py", "pages/screen.py"]


@pytest.mark.parametrize("page", PAGES)
def test_scope_each_page_stays_inside_the_account_scope(accounts_state, page):
    if not (ROOT / page).exists():
        pytest.fail(f"{page} is missing")
    at = login("dali_analyst", {"region": YUNNAN})
    at.switch_page(str(ROOT / page)).run()
    assert not at.exception, at.exception
    assert not any("无权查看" in e.value for e in at.error), [e.value for e in at.error]
    if page != "pages/screen.py":
        assert at.sidebar.selectbox(key="scope_province").value == YUNNAN
        assert at.sidebar.selectbox(key="scope_prefecture").value == DALI
        assert at.sidebar.selectbox(key="scope_province").disabled


def test_scope_a_link_to_another_region_is_refused(accounts_state):
    at = login("dali_analyst", {"region": "640000"})
    assert any("不在您的权限范围内" in w.value or "不存在" in w.value for w in at.warning)
    assert "大理" in at.title[0].value


def test_role_leader_cannot_export(accounts_state):
    at = login("leader")
    at.switch_page(str(ROOT / "pages/sources.py")).run()
    assert not at.get("download_button")
    assert any("导出需要" in c.value for c in at.caption)


def test_role_analyst_export_carries_the_account(accounts_state, as_account):
    at = login("dali_analyst")
    at.switch_page(str(ROOT / "pages/sources.py")).run()
    assert at.get("download_button")


def navigation_pages(at: AppTest) -> set[str]:
    """The page files st.navigation registered in the last run (AppTest keeps no public list of them)."""
    return {Path(str(info["script_path"])).stem for info in at._registered_pages.values() if info.get("script_path")}


def test_role_pages_follow_the_role(accounts_state):
    """A leader's navigation holds the viewing pages only; an analyst's adds the SQL page, not import or admin."""
    viewing = {"overview", "grid", "disputes", "anti_gang", "satisfaction", "screen", "sources"}
    leader = login("leader")
    # read straight after login: after a switch_page run AppTest also lists the files of pages/
    assert navigation_pages(leader) == viewing
    leader.switch_page(str(ROOT / "pages/sources.py")).run()
    assert not leader.exception
    analyst = login("dali_analyst")
    assert navigation_pages(analyst) == viewing | {"sql"}
    analyst.switch_page(str(ROOT / "pages/sql.py")).run()
    assert not analyst.exception


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_auth_refuses_to_serve_beyond_this_machine_without_accounts(tmp_path):
    env = dict(os.environ, PINGAN_STATE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address",
                        "0.0.0.0", "--server.port", str(_free_port()), "--server.headless", "true"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "尚未配置任何账户" in r.stderr


def test_auth_serves_beyond_this_machine_once_accounts_exist(accounts_state):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address",
                             "0.0.0.0", "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import urllib.request

        deadline = time.time() + 60
        ok = False
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    ok = r.read().strip() == b"ok"
                    break
            except OSError:
                time.sleep(0.5)
        assert ok, proc.stderr.read().decode() if proc.poll() is not None else "no health answer"
    finally:
        proc.terminate()
        proc.wait(10)


def test_scope_sql_page_queries_the_region_extract(accounts_state):
    at = login("dali_analyst")
    at.switch_page(str(ROOT / "pages/sql.py")).run()
    assert not at.exception
    assert at.session_state["account_region"] == DALI
    assert any(DALI in i.value for i in at.info)


def test_scope_sql_sandbox_cannot_reach_other_regions(warehouse_built):
    from pingan import sandbox

    res = sandbox.run("select distinct prefecture_code from dispute_case order by 1", {}, scope=DALI)
    assert res.frame["prefecture_code"].to_list() == [DALI]
    figs = sandbox.run("select distinct region_code from published_figure", {}, scope=DALI)
    assert set(figs.frame["region_code"].to_list()) <= {DALI}


def test_auth_every_audited_action_lands_in_the_log(accounts_state):
    from pingan import audit, history

    at = login("dali_analyst")
    at.switch_page(str(ROOT / "pages/sources.py")).run()
    history.record("dali_analyst", "select 1", {}, outcome="ok", elapsed_s=0.01, rows=1, scope=DALI)
    actions = set(audit.read()["action"].to_list())
    assert {"login", "page_view", "sql"} <= actions
