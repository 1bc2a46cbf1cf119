"""Start-up pre-warm: after `streamlit run` has the warehouse ready, the landing page's and the wall's queries for
the default scope are cached and an SQL worker is ready; nothing of it ever stops start-up, nor runs in AppTest."""
from __future__ import annotations

import importlib.util
import sys

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pingan import queries, sandbox, startup


def _retire_idle_workers() -> None:
    with sandbox._pool:
        idle = list(sandbox._idle)
        sandbox._idle.clear()
    for worker in idle:
        worker.kill()


@pytest.fixture()
def engine_calls(monkeypatch):
    """Names of the queries that reach the engine (cache misses)."""
    calls = []
    real = queries._execute

    def execute(q, params, engine):
        calls.append(q.name)
        return real(q, params, engine)

    monkeypatch.setattr(queries, "_execute", execute)
    return calls


def test_after_a_prewarm_the_landing_page_and_the_wall_query_nothing(warehouse_built, engine_calls):
    queries.clear_cache()
    _retire_idle_workers()
    try:
        done = startup.prewarm()
        assert done["failed"] == [] and done["queries"] > 10 and done["sandbox"] is True
        with sandbox._pool:
            assert sandbox._idle, "an SQL worker is ready"
        warmed = len(engine_calls)
        engine_calls.clear()

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.run()  # the landing page (overview), default scope
        assert not at.exception and at.title and "总览" in at.title[0].value
        at.switch_page(str(ROOT / "pages/screen.py")).run()  # the wall, default scope
        assert not at.exception
        assert "全部地区" in "\n".join(str(h.proto.body) for h in at.get("html"))
        assert engine_calls == [], f"queries the pre-warm missed: {sorted(set(engine_calls))}"
        assert warmed == done["queries"]
    finally:
        _retire_idle_workers()
        queries.clear_cache()


def test_the_first_sql_statement_uses_the_warm_worker(warehouse_built, monkeypatch):
    _retire_idle_workers()
    try:
        startup.prewarm()
        started = []
        real = sandbox._Worker.__init__

        def spy(self):
            started.append(1)
            real(self)

        monkeypatch.setattr(sandbox._Worker, "__init__", spy)
        assert sandbox.run("select count(*) as n from region").frame["n"][0] > 0
        assert started == []
    finally:
        _retire_idle_workers()


def test_prewarm_logs_failures_and_goes_on(warehouse_built, monkeypatch, capsys):
    real = queries.run

    def flaky(name, **params):
        if name == "grid_summary":
            raise RuntimeError("disk unavailable")
        return real(name, **params)

    def no_worker(*a, **k):
        raise sandbox.SandboxBusy("查询进程没有按时启动,请稍后再试。")

    monkeypatch.setattr(queries, "run", flaky)
    monkeypatch.setattr(sandbox, "run", no_worker)
    queries.clear_cache()
    done = startup.prewarm()
    assert set(done["failed"]) == {"grid_summary"} and done["queries"] > 5 and done["sandbox"] is False
    err = capsys.readouterr().err
    assert "grid_summary" in err and "disk unavailable" in err and "SQL 查询进程未能启动" in err

    def broken(name, **params):
        raise RuntimeError("no warehouse")

    monkeypatch.setattr(queries, "run", broken)
    done = startup.prewarm()  # not even the list of queries: still no exception
    assert done["queries"] == 0
    queries.clear_cache()


def test_the_build_thread_prewarms_only_after_a_good_build(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(startup, "prewarm", lambda: ran.append("prewarm"))
    monkeypatch.setattr(startup.build, "ensure", lambda: None)
    startup._ensure_quietly(prewarm_after=True)
    assert ran == ["prewarm"]
    startup._ensure_quietly(prewarm_after=False)
    assert ran == ["prewarm"]

    def failed():
        raise RuntimeError("disk full")

    monkeypatch.setattr(startup.build, "ensure", failed)
    startup._ensure_quietly(prewarm_after=True)  # logs, does not raise, does not pre-warm
    assert ran == ["prewarm"] and "disk full" in capsys.readouterr().err
    t = startup.build_in_background(prewarm_after=True)
    t.join(10)
    assert not t.is_alive() and ran == ["prewarm"]


def test_streamlit_run_start_prewarms_and_apptest_does_not(warehouse_built, monkeypatch):
    started = []
    monkeypatch.setattr(startup, "check_or_exit", lambda: None)
    monkeypatch.setattr(startup, "build_in_background", lambda **kw: started.append(kw))
    monkeypatch.setattr(startup, "prewarm", lambda: started.append("prewarm"))

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()  # a session runs app.py as __main__
    assert not at.exception and started == []

    # `streamlit run app.py` imports app.py as a module (it defines an st.App): that is where the pre-warm starts
    spec = importlib.util.spec_from_file_location("pingan_app_under_test", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("pingan_app_under_test", None)
    assert started == [{"prewarm_after": True}]
