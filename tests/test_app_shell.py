"""AppTest of the shell and the foundation pages: render, scope from the URL, bad input handled."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT


def app(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_renders_with_demo_badge(warehouse_built):
    at = app().run()
    assert not at.exception
    assert at.title[0].value.endswith("平安建设总览")
    assert any("演示数据" in m.value for m in at.markdown)
    assert len(at.metric) >= 12


def test_scope_change_changes_numbers(warehouse_built):
    at = app().run()
    everything = metric_values(at)
    at.sidebar.selectbox(key="scope_province").set_value("640000").run()
    assert not at.exception
    ningxia = metric_values(at)
    assert ningxia != everything
    assert at.query_params["region"] == ["640000"] or at.query_params["region"] == "640000"


def test_url_scope_and_period(warehouse_built):
    at = app({"region": "640000", "from": "2017", "to": "2021"}).run()
    assert not at.exception
    assert "宁夏回族自治区" in at.title[0].value
    values = metric_values(at)
    assert values["排查矛盾纠纷"] == "26.39万件"


@pytest.mark.parametrize("params, warning", [
    ({"region": "999999"}, "不存在"),
    ({"region": "abc'; drop table region; --"}, "不存在"),
    ({"from": "2022Q9"}, "无法识别的期间"),
    ({"from": "1800"}, "无法识别的期间"),
    ({"from": "2030", "to": "2031"}, "超出数据范围"),
])
def test_bad_url_falls_back_with_message(warehouse_built, params, warning):
    at = app(params).run()
    assert not at.exception
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.title[0].value.endswith("平安建设总览")


def test_sources_page_lists_quotes_and_matches(warehouse_built):
    at = app().run()
    at.switch_page(str(ROOT / "pages/sources.py")).run()
    assert not at.exception
    values = metric_values(at)
    reproduced, calibrated = values["仓库复现"].split(" / ")
    assert reproduced == calibrated
    assert int(values["公开数字"]) >= 250


def test_english_toggle(warehouse_built):
    at = app({"lang": "en"}).run()
    assert not at.exception
    assert at.title[0].value.startswith("Overview")


def test_scope_survives_a_page_switch(warehouse_built):
    at = app({"region": "640000", "from": "2017", "to": "2021"}).run()
    at.switch_page(str(ROOT / "pages/sources.py")).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="scope_province").value == "640000"
    at.switch_page(str(ROOT / "pages/overview.py")).run()
    assert "宁夏回族自治区" in at.title[0].value
    assert metric_values(at)["排查矛盾纠纷"] == "26.39万件"
