"""What happens once when the server starts (`streamlit run app.py` imports app.py as an st.App)."""
from __future__ import annotations

import sys
import threading
import time
from datetime import date

from . import auth, build

LOOPBACK = auth.LOOPBACK
REFUSAL = ("平安驾驶舱:尚未配置任何账户,不能在本机以外的地址({address})上提供服务。\n"
           "请先用 `python -m pingan.auth add 用户名 --role admin` 创建账户,或去掉 --server.address 在本机演示。\n"
           "Ping'an cockpit: no accounts are configured, so it will not serve on {address}; "
           "create one with `python -m pingan.auth add NAME --role admin`, or run locally.")


def bind_address() -> str:
    from streamlit import config

    return str(config.get_option("server.address") or "")


def check_or_exit(address: str | None = None) -> None:
    """Refuse to start on a non-local address while the app has no accounts, or with an unreadable accounts file."""
    address = bind_address() if address is None else address
    try:
        configured = auth.accounts_configured()
    except auth.AccountsUnreadable as exc:
        print(f"平安驾驶舱:{exc}", file=sys.stderr)
        sys.exit(2)
    if address not in LOOPBACK and not configured:
        print(REFUSAL.format(address=address or "0.0.0.0(全部地址)"), file=sys.stderr)
        sys.exit(2)


def decide_demo_mode(address: str | None = None) -> bool:
    """Decide once, at server start, whether anonymous visitors get the local demo admin (auth.demo_mode):
    only on a loopback address with no account; never again on this server once an account exists."""
    return auth.decide_demo_mode(bind_address() if address is None else address)


def navigation_only() -> None:
    """Make Streamlit treat pages/ as this app's st.navigation pages from the first request on.

    Until some session has run app.py (which calls st.navigation), Streamlit takes a folder named pages/ beside
    the main script for a multipage app of the old kind, and serves a deep link such as /grid or /screen by running
    that file alone: no login, no account scope, no wide layout (seen on a fresh server; Streamlit #9992). The wall
    reloading /screen?token=… after a restart is exactly such a first request. st.navigation itself sets this same
    class attribute; setting it at start-up closes the window."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def build_in_background(prewarm_after: bool = False) -> threading.Thread:
    """Build the warehouse while the server starts, so the first visitor waits less (sessions wait on
    the same build lock, with a spinner); with `prewarm_after`, the same thread then pre-warms (see prewarm)."""
    t = threading.Thread(target=_ensure_quietly, args=(prewarm_after,), name="warehouse-build", daemon=True)
    t.start()
    return t


def _ensure_quietly(prewarm_after: bool = False) -> None:
    try:
        message = build.ensure()
        if message:
            print(message, file=sys.stderr)
    except Exception as exc:  # the first session will show the error in the page
        print(f"数据仓库构建失败:{exc}", file=sys.stderr)
        return
    if prewarm_after:
        prewarm()


def default_view_calls() -> list[tuple[str, dict]]:
    """The queries the landing page (pages/overview.py) and the wall (pages/screen.py) run for the default scope
    (all regions, the latest year), page by page in the order they run them: the scope filter's, then each page's
    view model's own list (views.overview.calls, views.screen.calls). tests/test_startup_prewarm.py checks that
    after a pre-warm both pages run no query of their own."""
    from . import i18n, periods, queries
    from .scope import Scope
    from .views import overview, screen

    calls: list[tuple[str, dict]] = [("meta_regions_with_data", {}), ("meta_build_info", {}),
                                     ("meta_data_years", {})]  # the scope filter (frame.scope_filter)
    as_of = screen.as_of()
    first = int(queries.run("meta_data_years")["first_year"][0] or as_of.year)
    default = Scope("", i18n.t("all_regions"), "all", periods.parse_range(str(as_of.year), str(as_of.year)), "zh",
                    first, as_of.year, "", "", "")
    return calls + overview.calls(default) + screen.calls("", "all", as_of)


def prewarm() -> dict:
    """Run the default views' queries into the query cache and start an SQL sandbox worker (with the snapshot
    open), so that the first visitor of /, /screen or /sql pays none of it. Never raises: a failure is logged and
    the rest goes on (the page then runs that query itself, as it would without a pre-warm).

    Called by the background build thread of `streamlit run` only (app.py's st.App branch), never in an AppTest
    session. An idle sandbox worker exits after sandbox.WORKER_IDLE_S; the cached results stay for as long as the
    snapshot is current (pingan/queries.py)."""
    from . import queries, sandbox

    t0 = time.perf_counter()
    done = {"queries": 0, "failed": [], "sandbox": False}
    try:
        calls = default_view_calls()
    except Exception as exc:  # noqa: BLE001 - start-up goes on whatever happens here
        print(f"预热:无法列出默认视图的查询:{type(exc).__name__}: {exc}", file=sys.stderr)
        calls = []
    seen = set()
    for name, params in calls:
        key = (name, tuple(sorted(params.items())))
        if key in seen:
            continue
        seen.add(key)
        try:
            queries.run(name, **params)
            done["queries"] += 1
        except Exception as exc:  # noqa: BLE001
            done["failed"].append(name)
            print(f"预热:查询 {name} 失败:{type(exc).__name__}: {exc}", file=sys.stderr)
    try:
        sandbox.run("select 1", time_limit_s=sandbox.TIME_LIMIT_S)  # starts a worker and opens the snapshot in it
        done["sandbox"] = True
    except Exception as exc:  # noqa: BLE001
        print(f"预热:SQL 查询进程未能启动:{type(exc).__name__}: {exc}", file=sys.stderr)
    done["seconds"] = round(time.perf_counter() - t0, 2)
    print(f"预热完成:{done['queries']} 个查询,{len(done['failed'])} 个失败,SQL 查询进程"
          f"{'已就绪' if done['sandbox'] else '未就绪'},{done['seconds']} 秒", file=sys.stderr)
    return done
