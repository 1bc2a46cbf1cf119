"""Files and text that could attack the reader, and SQL downloads stamped and audited."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys

import openpyxl
import polars as pl
import pyarrow.parquet as pq
import pytest

from browser_util import CHROMIUM, private_state, start_server, stop
from conftest import ROOT
from pingan import audit, auth, frame, sandbox, stamped

FORMULAS = ['=HYPERLINK("http://127.0.0.1:8619/x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
ANALYST = auth.Account("wang", "analyst", "532900", "王伟")
LEADER = auth.Account("lead", "leader", "", "省领导")
# The stamp's one wording: account (display name), time, app, rows.
STAMP = re.compile(r"^导出:(?P<who>.+) · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · 平安驾驶舱 · (?P<rows>\d+) 行$")


def hostile_frame() -> pl.DataFrame:
    return pl.DataFrame({"name": FORMULAS + ["大理州"], "n": list(range(7)), "share": [0.5] * 7})


def read_xlsx(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple((c.value, c.data_type) for c in row) for row in ws.iter_rows()] for ws in wb}


def last_event() -> dict:
    files = sorted((audit._dir()).glob("audit-*.jsonl"))
    return json.loads(files[-1].read_text(encoding="utf-8").splitlines()[-1])


# ------------------------------------------------------------------------ 5a: exports neutralise formulas

def test_page_xlsx_export_has_no_formula_and_keeps_numbers():
    sheets = read_xlsx(frame.export_bytes(hostile_frame(), "审计日志", "xlsx", ANALYST))
    cells = [c for rows in sheets.values() for row in rows for c in row]
    assert [c for c in cells if c[1] == "f"] == []
    data = sheets["data"]
    # openpyxl leaves a carriage return in its XML escape _x000D_ (Excel reads it back as the character)
    assert [v.replace("_x000D_", "\r") for v, _ in (row[0] for row in data[1:])] == \
        ["'" + f for f in FORMULAS] + ["大理州"]
    assert [row[1] for row in data[1:]] == [(i, "n") for i in range(7)]
    assert data[1][2] == (0.5, "n")
    assert STAMP.match(sheets["导出信息"][0][0][0]).group("who") == "wang(王伟)"


def test_page_csv_export_quotes_formula_prefixes_and_ends_with_the_stamp():
    text = frame.export_bytes(hostile_frame(), "审计日志", "csv", ANALYST).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:8]] == ["'" + f for f in FORMULAS] + ["大理州"]
    assert [r[1] for r in rows[1:8]] == [str(i) for i in range(7)]
    m = STAMP.match(rows[-1][0].removeprefix("# "))
    assert m and m.group("who") == "wang(王伟)" and m.group("rows") == "7"


def test_a_stamp_with_a_hostile_account_name_stays_one_harmless_line():
    acct = auth.Account("=HYPERLINK(\"http://x\")", "analyst", "", "\r\n=1+1")
    text = frame.export_bytes(pl.DataFrame({"a": ["x"]}), "t", "csv", acct).decode("utf-8-sig")
    assert not [ln for ln in text.splitlines() if ln.startswith(stamped.safe.FORMULA_PREFIXES)]
    assert text.splitlines()[-1] == f"# {stamped.mark(acct.username, acct.display_name, 1)}"
    sheets = read_xlsx(frame.export_bytes(pl.DataFrame({"a": ["x"]}), "t", "xlsx", acct))
    assert sheets["导出信息"][0][0][1] == "s"


def test_column_names_are_neutralised_too():
    df = pl.DataFrame({"=cmd|' /C calc'!A0": ["a"], "'=cmd|' /C calc'!A0": ["b"]})
    out = stamped.neutral(df)
    assert out.columns == ["''=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"]  # quoted, and still two columns


def test_sql_result_exports_neutralise_cells_and_aliases(warehouse_built):
    res = sandbox.run("""select '=HYPERLINK(''http://x'',''点我'')' as "=HYPERLINK(""http://y"")",
                             '@SUM(A1)' as b, 42 as n, 'http://127.0.0.1:8619/a' as url""", {})
    sheets = read_xlsx(res.export("xlsx", stamped.mark("wang", "王伟", 1)))
    assert [c for rows in sheets.values() for row in rows for c in row if c[1] == "f"] == []
    assert sheets["结果"][0][0] == ("'=HYPERLINK(\"http://y\")", "s")
    assert sheets["结果"][1] == (("'=HYPERLINK('http://x','点我')", "s"), ("'@SUM(A1)", "s"), (42, "n"),
                                ("http://127.0.0.1:8619/a", "s"))
    wb = openpyxl.load_workbook(io.BytesIO(res.export("xlsx", "s")))
    assert not wb["结果"]["D2"].hyperlink  # a URL stays text, not a link the reader clicks
    rows = list(csv.reader(io.StringIO(res.export("csv", "s").decode("utf-8-sig"))))
    assert rows[:2] == [["'=HYPERLINK(\"http://y\")", "b", "n", "url"],
                        ["'=HYPERLINK('http://x','点我')", "'@SUM(A1)", "42", "http://127.0.0.1:8619/a"]]


# ------------------------------------------------------------------------ 6: SQL downloads stamped and audited

SQL = "select code, short_name from region where code like '5329%' order by code"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_sql_download_is_stamped_and_audited(warehouse_built, fmt):
    res = sandbox.run(SQL, {}, scope="532900")
    data = res.export_for(fmt, ANALYST, "532900")
    if fmt == "csv":
        mark = data.decode("utf-8-sig").splitlines()[-1].removeprefix("# ")
    elif fmt == "xlsx":
        mark = read_xlsx(data)["导出信息"][0][0][0]
    else:
        mark = pq.read_metadata(io.BytesIO(data)).metadata[b"pingan_export"].decode("utf-8")
    m = STAMP.match(mark)
    assert m and m.group("who") == "wang(王伟)" and int(m.group("rows")) == res.frame.height == 13
    event = last_event()
    assert (event["user"], event["role"], event["action"]) == ("wang", "analyst", "export")
    assert event["detail"] == {"what": "SQL", "rows": 13, "format": fmt, "scope": "532900", "truncated": False,
                               "sql_sha256": hashlib.sha256(SQL.encode()).hexdigest()}


def test_sql_download_refused_without_the_export_permission(warehouse_built):
    res = sandbox.run("select 1 as x", {})
    before = last_event() if sorted(audit._dir().glob("audit-*.jsonl")) else None
    with pytest.raises(PermissionError):
        res.export_for("csv", LEADER, "")
    assert (last_event() if before else None) == before


def test_page_and_sql_stamps_are_the_same_wording(warehouse_built):
    page = frame.export_bytes(pl.DataFrame({"x": [1]}), "t", "csv", ANALYST).decode("utf-8-sig").splitlines()[-1]
    sql = sandbox.run("select 1 as x", {}).export_for("csv", ANALYST, "").decode("utf-8-sig").splitlines()[-1]
    assert STAMP.sub("", page[2:]) == STAMP.sub("", sql[2:]) == ""
    assert STAMP.match(page[2:]).group("who", "rows") == STAMP.match(sql[2:]).group("who", "rows")


def test_cli_csv_is_neutralised_stamped_and_audited(warehouse_built):
    import getpass

    sql = "select '=1+1' as a, 5 as n"
    out = subprocess.run([sys.executable, "-m", "pingan.sql", sql, "--format", "csv"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["a,n", "'=1+1,5"]
    m = STAMP.match(out.stderr.strip().splitlines()[-1])
    assert m and m.group("who") == f"cli:{getpass.getuser()}(命令行)" and m.group("rows") == "1"
    event = last_event()
    assert (event["user"], event["action"]) == (f"cli:{getpass.getuser()}", "export")
    assert event["detail"]["sql_sha256"] == hashlib.sha256(sql.encode()).hexdigest()
    assert event["detail"]["format"] == "csv" and event["detail"]["scope"] == "全部"


# ------------------------------------------------------------------------ 5b: user-controlled text shown as text

HOSTILE = ("![x](http://127.0.0.1:8619-img.png) **粗体** [重新登录](http://x) <img src=x> :red[x] $x$ "
           "www.example.com a@b.com")
# What would render as an image, bold, a link, HTML, a colour or a formula if it reached Markdown unescaped.
LIVE = ["![x]", "](http", "**粗体**", "<img", ":red[x]", "$x$"]
AUTOLINK = re.compile(r"(?i)https?://|www\.|[-.\w+]@[-\w]")  # remark-gfm's autolink-literal patterns
MARKDOWN_ELEMENTS = ("markdown", "caption", "error", "warning", "info", "success", "toast", "exception")


def live(body: str) -> list[str]:
    """The LIVE markup in `body` whose first character is not backslash-escaped."""
    found = []
    for pattern in LIVE:
        start = body.find(pattern)
        while start != -1:
            slashes = len(body[:start]) - len(body[:start].rstrip("\\"))
            if slashes % 2 == 0:
                found.append(pattern)
                break
            start = body.find(pattern, start + 1)
    # GFM turns bare URLs and e-mail addresses into links after resolving escapes, so look at the resolved text
    if AUTOLINK.search(re.sub(r"\\(.)", r"\1", body)):
        found.append("autolink")
    return found


def rendered_markdown(at) -> list[str]:
    """The body of every element that renders Markdown, and every widget label (labels render Markdown too)."""
    bodies = [el.value for kind in MARKDOWN_ELEMENTS for el in at.get(kind)]
    for kind in ("button", "download_button", "text_input", "number_input", "date_input", "selectbox",
                 "multiselect", "radio", "checkbox", "text_area", "pills", "expander", "tab"):
        bodies += [getattr(el.proto, "label", "") for el in at.get(kind)]
    return bodies


def sql_page_after(sql: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(str(ROOT / "pages/sql.py")).run()
    at.session_state["sql_text"] = sql
    at.session_state["sql_ver"] = at.session_state["sql_ver"] + 1
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("sql", [
    f'selec "{HOSTILE}"',                                    # a syntax error that echoes the statement
    f'select "{HOSTILE}" from region',                       # a binder error naming the missing column
    f"select * from read_csv('{HOSTILE}')",                  # a refusal that names the file
    f"select cast('{HOSTILE}' as integer)",                 # a conversion error that echoes the value
])
def test_sql_page_errors_show_the_statement_as_text(warehouse_built, sql):
    at = sql_page_after(sql)
    assert at.error, "the statement should fail"
    bodies = rendered_markdown(at)
    assert [(b, live(b)) for b in bodies if live(b)] == []
    assert any("粗体" in b for b in bodies)  # the echo is there, escaped


def test_sql_page_result_aliases_and_values_are_text(warehouse_built):
    at = sql_page_after(f"""select '{HOSTILE}' as "{HOSTILE}", 1 as n""")
    assert [(b, live(b)) for b in rendered_markdown(at) if live(b)] == []
    at.tabs  # the chart tab is drawn at once in AppTest
    spec = json.dumps(json.loads(at.get("plotly_chart")[0].proto.spec), ensure_ascii=False)
    assert "<img" not in spec and "<a " not in spec and "&lt;img src=x&gt;" in spec


def test_a_link_with_hostile_region_and_period_is_echoed_as_text(warehouse_built):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["region"] = "![x](http://e/i.png)"       # region[:20] keeps all of it
    at.query_params["from"] = "[重新登录](http://x) **粗体**"
    at.run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("不存在或不在您的权限范围内" in w for w in warnings) and any("无法识别的期间" in w for w in warnings)
    assert [(b, live(b)) for b in rendered_markdown(at) if live(b)] == []


@pytest.mark.parametrize("text", ["http://127.0.0.1:8619/login", "HTTPS://x.y", "www.example.com", "a@b.com"])
def test_md_breaks_gfm_autolinks(text):
    from pingan import safe

    assert live(safe.md(text)) == []
    assert safe.md(text).replace(safe.WORD_JOINER, "").replace("\\", "") == text  # reads the same


# ------------------------------------------------------------------------ a real browser on a real server

BROWSER_SQL = ("select '<a href=\"http://127.0.0.1:8619/t\">点我</a> [重新登录](http://127.0.0.1:8619/login)' "
               "as \"<a href='http://127.0.0.1:8619/c'>列</a> ![y](http://127.0.0.1:8619-y.png)\", 1 as n")


def _run_in_editor(pg, sql: str, marker: str) -> None:
    """Type `sql` into the Ace editor and submit it with Ctrl+Enter, until the page says it ran *this* statement
    (a caption "… 运行 · <sql>" containing `marker`). Under a loaded machine the editor's iframe can be drawn before
    its component listens, and a key press then is lost: press again rather than wait forever."""
    import time

    for _ in range(240):
        editor = next((f for f in pg.frames if f.query_selector(".ace_editor")), None)
        if editor:
            break
        time.sleep(0.5)
    assert editor, "the SQL editor never appeared"
    ran = ("m => [...document.querySelectorAll(\"[data-testid='stCaptionContainer']\")]"
           ".some(e => e.innerText.includes('运行 ·') && e.innerText.includes(m))")
    for attempt in range(4):
        editor.click(".ace_content")
        editor.evaluate("t => ace.edit(document.querySelector('.ace_editor')).setValue(t, 1)", sql)
        pg.keyboard.press("Control+Enter")
        try:
            pg.wait_for_function(ran, arg=marker, timeout=45_000)
            return
        except Exception:
            if attempt == 3:
                raise


def test_sql_page_in_a_browser_shows_hostile_text_as_text_and_stamps_its_download(warehouse_built, tmp_path,
                                                                                  monkeypatch):
    from playwright.sync_api import sync_playwright

    # a private state folder with the session's snapshot: accounts other tests made must not put a login in front
    state = private_state(warehouse_built, tmp_path / "state")
    # up to 120 health checks half a second apart (each may wait 2 s for an answer on a loaded machine)
    proc, url = start_server(dict(os.environ, PINGAN_STATE_DIR=str(state)), port=8730, timeout_s=300, poll_s=0.5)
    asked = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            pg = browser.new_page(accept_downloads=True)
            pg.on("request", lambda r: asked.append(r.url) if ":8619" in r.url else None)
            pg.goto(url + "/", wait_until="load")
            pg.wait_for_selector("[data-testid='stSidebar']", timeout=90_000)
            pg.goto(url + "/sql", wait_until="load")
            found = {}
            for sql in (f"select * from read_csv('{HOSTILE}')", BROWSER_SQL):
                try:
                    _run_in_editor(pg, sql, "read_csv" if sql != BROWSER_SQL else "点我")
                except Exception:
                    pg.screenshot(path=str(tmp_path / "sql_fail.png"))
                    (tmp_path / "sql_fail.txt").write_text(pg.inner_text("body"), encoding="utf-8")
                    raise
                if sql == BROWSER_SQL:
                    pg.wait_for_selector("[data-testid='stDownloadButton']", timeout=60_000)
                    pg.get_by_role("tab", name="图表").click()
                    pg.wait_for_selector(".main-svg .xtick", timeout=30_000)
                else:
                    pg.wait_for_selector("[data-testid='stAlertContentError']", timeout=60_000)
                found[sql] = (pg.eval_on_selector_all("a", "els => els.map(e => e.href || e.getAttribute('xlink:href'))"
                                                      ".filter(h => h && h.includes(':8619'))"),
                              pg.eval_on_selector_all("img", "els => els.map(e => e.src).filter(s => s.includes(':8619'))"))
            with pg.expect_download() as dl:
                pg.locator("[data-testid='stDownloadButton'] button").first.click()
            path = tmp_path / "sql.csv"
            dl.value.save_as(path)
            browser.close()
    finally:
        stop(proc)
    assert found == {sql: ([], []) for sql in found}
    assert asked == []
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert STAMP.match(lines[-1].removeprefix("# ")).group("who", "rows") == ("local(本地演示)", "1")
    monkeypatch.setenv("PINGAN_STATE_DIR", str(state))  # the server's audit log
    event = last_event()
    assert (event["action"], event["detail"]["what"], event["detail"]["format"]) == ("export", "SQL", "csv")


def test_the_audit_log_export_keeps_a_typed_login_name_as_text():
    """The issue's example: a user name typed at the login form became a HYPERLINK formula in the admin's export."""
    typed = '=HYPERLINK("http://127.0.0.1:8619/x","重新登录")'
    audit.record(typed, "login_failed", {})
    log = audit.read()
    sheets = read_xlsx(frame.export_bytes(log, "审计日志", "xlsx", auth.LOCAL_DEMO))
    assert [c for rows in sheets.values() for row in rows for c in row if c[1] == "f"] == []
    users = [row[log.columns.index("user")][0] for row in sheets["data"][1:]]
    assert "'" + typed in users and typed not in users
