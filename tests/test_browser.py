"""Real Chromium: every registered page renders with no exception and asks no host but our own."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from browser_util import CHROMIUM, private_state, start_server, stop
from conftest import ROOT

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


_PIDS: dict[str, int] = {}


@pytest.fixture(scope="module")
def server(warehouse_built):
    proc, url = start_server(dict(os.environ))
    _PIDS[url] = proc.pid
    yield url
    stop(proc)


def _page_paths() -> list[str]:
    from pingan.nav import PAGES

    out = []
    for elt in PAGES:
        if (ROOT / elt[0]).exists():
            out.append(elt[1])
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_every_page_renders_offline(server, browser):
    host = urlsplit(server).netloc
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    off_host: list[str] = []
    page.on("request", lambda req: off_host.append(req.url)
            if urlsplit(req.url).scheme in ("http", "https", "ws", "wss") and urlsplit(req.url).netloc != host
            else None)
    page.goto(server + "/", wait_until="load")  # first: Streamlit #9992 on a fresh server's sub-path
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    problems = {}
    for path in _page_paths():
        page.goto(f"{server}/{path}", wait_until="load")
        # wait until the script has finished: no running indicator, the page's own content drawn
        page.wait_for_function("""() => { const m = document.querySelector("[data-testid='stMainBlockContainer']");
                                  return m && m.innerText.length > 40
                                      && (m.querySelector('h1') || m.querySelector('.wall-top')); }""",
                               timeout=90_000)
        exceptions = page.locator("[data-testid='stException']").count()
        text = page.inner_text("[data-testid='stMainBlockContainer']")
        if exceptions or "Traceback" in text or "Page not found" in text:
            problems[path or "/"] = text[:300]
    assert not problems, problems
    assert not off_host, off_host[:5]
    page.close()


def test_chinese_renders_with_a_cjk_font(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server + "/?region=640000&from=2017&to=2021", wait_until="load")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('26.39万件')", timeout=60_000)
    page.close()
    # the browser draws Chinese with a system CJK font (fonts-noto-cjk in CI), never a web font
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no CJK font installed: Chinese would render as boxes"


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_wall_fits_the_screen_without_scrolling(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + "/", wait_until="load")
    page.goto(server + "/screen?region=530000&theme=overall", wait_until="load")
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=90_000)
    page.wait_for_selector(".kpis", timeout=60_000)
    page.wait_for_timeout(1500)
    hidden = page.evaluate("""() => [document.scrollingElement.scrollWidth - innerWidth,
                                     document.scrollingElement.scrollHeight - innerHeight]""")
    assert hidden == [0, 0]
    # every panel lies inside the viewport
    boxes = page.evaluate("""() => [...document.querySelectorAll(
        "[data-testid='stPlotlyChart'], [data-testid='stDeckGlJsonChart'], .kpis, .alerts, .wall-top")]
        .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    assert len(boxes) >= 7
    for left, top, right, bottom in boxes:
        assert left >= 0 and top >= 0 and right <= width + 1 and bottom <= height + 1, (left, top, right, bottom)
    page.close()


def test_wall_refreshes_rotates_and_keeps_its_memory(server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(server + "/", wait_until="load")
    page.goto(server + "/screen?refresh=2&rotate=3", wait_until="load")
    page.wait_for_selector(".kpis", timeout=90_000)
    pid = _PIDS[server]
    page.wait_for_timeout(4000)
    rss_start = _rss_kb(pid)
    themes, figures = set(), set()
    for _ in range(10):
        page.wait_for_timeout(1500)
        themes.add(page.inner_text(".wall-theme"))
        figures.add(page.inner_text(".kpi .big"))
        assert page.locator("[data-testid='stException']").count() == 0
    assert len(themes) >= 3, themes          # it rotated
    assert len(figures) == 1, figures        # and the headline figure stayed put
    assert _rss_kb(pid) - rss_start < 60_000  # kB: no growth beyond noise over ~8 refreshes
    page.close()


def test_a_deep_link_as_the_first_request_of_a_fresh_server_goes_through_the_login(warehouse_built, browser,
                                                                                      tmp_path):
    """Streamlit #9992: before any session has run app.py, /screen or /grid ran that page file alone (no login).
    A wall reloading /screen after a restart is such a first request; app.py's start-up now closes the window."""
    state = private_state(warehouse_built, tmp_path / "state")
    env = dict(os.environ, PINGAN_STATE_DIR=str(state))
    subprocess.run([sys.executable, "-m", "pingan.auth", "add", "chief", "--role", "admin", "--password-stdin"],
                   input="a-long-pass-phrase-1\n", text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    proc, url = start_server(env)
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/grid?region=532900", wait_until="load")  # the very first request: a deep link
        page.wait_for_selector("input[type='password']", timeout=60_000)
        body = page.inner_text("body")
        assert "网格覆盖与综治中心建设" not in body  # the grid page did not run without a login
        assert page.locator("[data-testid='stMetric']").count() == 0
        page.close()
    finally:
        stop(proc)
