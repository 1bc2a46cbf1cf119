"""AppTest of the 自助查询 page: running, refusals, a timeout, exports, examples, schema, history and scope."""
from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pingan import history, queries, safe, sandbox


def sql_page(state: dict | None = None, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(str(ROOT / "pages/sql.py")).run()
    assert not at.exception, at.exception
    return at


def set_sql(at: AppTest, text: str) -> None:
    """What loading text into the editor does: new text, new editor key."""
    at.session_state["sql_text"] = text
    at.session_state["sql_ver"] = at.session_state["sql_ver"] + 1


def run(at: AppTest) -> AppTest:
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def page(warehouse_built):
    return sql_page()


def test_page_shows_editor_schema_examples_and_limits(page):
    assert page.title[0].value == "自助查询"
    assert any("时间上限 10 秒" in c.value and "10,000 行" in c.value for c in page.caption)
    # the starter statement's $start/$end as date inputs, defaulting to the sidebar period
    assert {d.key for d in page.date_input} >= {"sql_p_start", "sql_p_end"}
    assert page.date_input(key="sql_p_end").value == date(2022, 12, 31)
    assert len(page.selectbox(key="sql_ex_name").options) == len(queries.catalog())
    assert page.button(key="sql_insert_table").label == "插入表名 dispute_case"
    assert any(i.value.startswith("输入语句后") for i in page.info)
    editor = page.get("component_instance")[0].proto
    args = json.loads(editor.json_args)
    assert editor.component_name == "streamlit_ace.streamlit_ace"
    assert args["mode"] == "sql" and args["defaultValue"] == sandbox.STARTER_SQL


def test_run_shows_rows_metrics_chart_downloads_and_history(warehouse_built, run_query):
    at = run(sql_page())
    m = metrics(at)
    assert m["返回行数"] == "7" and m["结果总行数"] == "7" and m["列数"] == "4"
    assert m["用时"].endswith("毫秒")
    frame = at.session_state["sql_result"]["result"].frame
    ningxia = frame.filter(frame["province"] == "宁夏").row(0, named=True)
    page_def = run_query("disputes_summary", region="640000", start=date(2022, 1, 1), end=date(2022, 12, 31))
    assert ningxia["identified_cases"] == page_def["identified"][0]
    assert len(at.dataframe) >= 4  # tables, columns, indicators … and the result
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "各province的identified_cases"
    labels = [b.proto.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(["CSV(Excel 可直接打开)", "Parquet", "Excel 文件"])
    last = history.recent("local", limit=1)[0]
    assert last["outcome"] == "ok" and last["rows"] == 7 and last["params"]["start"] == "2022-01-01"


def test_quick_chart_follows_the_chosen_columns(warehouse_built):
    at = run(sql_page())
    at.radio(key="sql_chart_kind").set_value("scatter").run()
    at.selectbox(key="sql_chart_x").set_value("identified_cases").run()
    at.multiselect(key="sql_chart_y").set_value(["success_rate_pct"]).run()
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["data"][0]["mode"] == "markers"
    assert chart["layout"]["title"]["text"] == "identified_cases与success_rate_pct的关系"


@pytest.mark.parametrize("sql, message", [
    ("drop table region", "已拒绝 DROP 语句"),
    ("select * from read_csv('/etc/passwd')", "已拒绝读取或写入文件“/etc/passwd”"),
    ("create temp table t as select 1", "临时表也不行"),
])
def test_refusal_is_shown_in_chinese_and_recorded(warehouse_built, sql, message):
    at = sql_page()
    set_sql(at, sql)
    run(at)
    assert safe.md(message) in at.error[0].value  # shown as text: the message echoes the statement
    assert not at.metric  # no result
    last = history.recent("local", limit=1)[0]
    assert last["outcome"] == "refused" and last["sql"] == sql


def test_syntax_error_shows_duckdbs_line(warehouse_built):
    at = sql_page()
    set_sql(at, "selec 1")
    run(at)
    assert at.error[0].value.startswith("SQL 语法错误")
    assert any('syntax error at or near "selec"' in c.value for c in at.code)


def test_timeout_with_a_lower_limit(warehouse_built):
    at = sql_page()
    at.number_input(key="sql_time_limit").set_value(1).run()
    set_sql(at, "select count(*) from range(1000000000) a, range(1000000000) b")
    run(at)
    assert "1 秒的时间上限" in at.error[0].value
    assert history.recent("local", limit=1)[0]["outcome"] == "interrupted"
    assert at.number_input(key="sql_time_limit").max == 10  # the page cannot raise the limit


def test_truncated_result_and_full_export(warehouse_built):
    at = sql_page()
    set_sql(at, "select * from range(25000) as t(x)")
    run(at)
    m = metrics(at)
    assert m["返回行数"] == "10,000" and m["结果总行数"] == "25,000"
    assert any("结果超过 10,000 行" in w.value for w in at.warning)
    assert not at.get("download_button")  # a truncated grid is not offered as the download
    at.button(key="sql_prepare_export").click().run()
    assert any("完整导出已就绪:25,000 行" in s.value for s in at.success)
    labels = [b.proto.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(["CSV(Excel 可直接打开)", "Parquet", "Excel 文件"])
    assert history.recent("local", limit=1)[0]["kind"] == "export"
    export = at.session_state["sql_export"]["result"]
    assert export.frame.height == 25_000
    assert export.export("csv", "stamp").startswith(b"\xef\xbb\xbfx\n0\n1\n")


def test_example_loads_with_its_parameters_and_runs(warehouse_built, run_query):
    at = sql_page()
    at.selectbox(key="sql_ex_name").set_value("disputes_summary").run()
    at.button(key="sql_ex_load").click().run()
    assert at.session_state["sql_text"] == queries.load("disputes_summary").sql
    assert at.text_input(key="sql_p_region").value == ""
    at.text_input(key="sql_p_region").set_value("450900").run()
    run(at)
    got = at.session_state["sql_result"]["result"].frame.row(0, named=True)
    want = run_query("disputes_summary", region="450900", start=date(2022, 1, 1), end=date(2022, 12, 31))
    assert got["identified"] == want["identified"][0] and got["resolved"] == want["resolved"][0]


def test_domain_filter_narrows_the_examples(warehouse_built):
    at = sql_page()
    at.selectbox(key="sql_ex_domain").set_value("grid").run()
    names = at.selectbox(key="sql_ex_name").options
    assert names and all("网格" in n for n in names)


def test_insert_table_name_appends_to_the_statement(warehouse_built):
    at = sql_page()
    set_sql(at, "select count(*) from")
    at.run()
    at.button(key="sql_insert_table").click().run()
    assert at.session_state["sql_text"] == "select count(*) from dispute_case"
    set_sql(at, "select")
    at.run()
    at.button_group(key="sql_pill_dispute_case").set_value("outcome").run()
    assert at.session_state["sql_text"] == "select outcome"
    assert at.button_group(key="sql_pill_dispute_case").value is None  # ready for the next click
    editor = json.loads(at.get("component_instance")[0].proto.json_args)
    assert editor["defaultValue"] == "select outcome"  # the editor shows the new text


def test_schema_lists_tables_with_chinese_descriptions_and_counts(page):
    tables = page.dataframe[0].value
    assert "dispute_case" in list(tables["table_name"])
    row = tables[tables["table_name"] == "region"].iloc[0]
    assert row["table_description"].startswith("行政区划") and row["rows"] > 3000


def test_history_row_runs_again(warehouse_built):
    at = sql_page()
    set_sql(at, "select 7 * 6 as answer")
    run(at)
    set_sql(at, "select 1")
    at.run()
    at.session_state["sql_hist_pick"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    at.button(key="sql_hist_rerun").click().run()
    assert at.session_state["sql_text"] == "select 7 * 6 as answer"
    assert at.session_state["sql_result"]["result"].rows == [(42,)]


def test_indicator_catalog_is_searchable(page, run_query):
    at = sql_page()
    at.text_input(key="sql_ind_search").set_value("安全感").run()
    inds = [d.value for d in at.dataframe if "target" in d.value.columns][0]
    catalog = {r["code"]: r for r in run_query("meta_indicators").iter_rows(named=True)}
    assert 0 < len(inds) < len(catalog)
    assert all("安全感" in catalog[c]["name_zh"] + catalog[c]["definition_zh"] for c in inds["code"])
    at.session_state["sql_ind_pick"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    code = inds["code"].iloc[0]
    assert any(catalog[code]["definition_zh"] in m.value for m in at.markdown)
    at.button(key="sql_insert_code").click().run()
    assert at.session_state["sql_text"].endswith(f" '{code}'")


def test_account_scope_restricts_every_result(warehouse_built):
    at = sql_page(state={"account_region": "532900"})
    assert any("大理白族自治州(532900)" in i.value for i in at.info)
    run(at)
    frame = at.session_state["sql_result"]["result"].frame
    assert frame["province"].to_list() == ["云南"]
    dali = sandbox.run("select count(*) from dispute_case where prefecture_code = '532900' "
                       "and identified_date between '2022-01-01' and '2022-12-31'").rows[0][0]
    assert frame["identified_cases"][0] == dali
    tables = at.dataframe[0].value
    assert tables[tables["table_name"] == "region"].iloc[0]["rows"] == 14


def test_english_labels(warehouse_built):
    at = sql_page(params={"lang": "en"})
    assert at.title[0].value == "Ad hoc SQL"
    assert at.button(key="sql_run").label == "Run"
