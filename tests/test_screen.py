"""The command-centre wall: renders every theme with no exception, keeps figures when a query fails."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT


def wall(params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(str(ROOT / "pages/screen.py")).run()
    return at


def html_text(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


@pytest.mark.parametrize("theme, title", [("overall", "综合态势"), ("disputes", "矛盾纠纷化解"),
                                          ("anti_gang", "扫黑除恶"), ("satisfaction", "安全感满意度")])
def test_every_theme_renders(warehouse_built, theme, title):
    at = wall({"theme": theme, "region": "530000"})
    assert not at.exception
    text = html_text(at)
    assert title in text and "云南省" in text and "演示数据" in text
    assert len(at.get("plotly_chart")) == 3 and len(at.get("deck_gl_json_chart")) == 1


def test_wall_shows_the_published_scale_of_things(warehouse_built):
    at = wall({"theme": "overall", "region": "640000"})
    text = html_text(at)
    assert "宁夏回族自治区" in text and "预警" in text and "数据截至 2022年12月31日" in text


def test_unknown_region_falls_back_without_a_traceback(warehouse_built):
    at = wall({"region": "999999", "rotate": "abc"})
    assert not at.exception
    assert "全部地区" in html_text(at)


def test_a_failing_query_keeps_the_last_good_figures(warehouse_built, monkeypatch):
    at = wall({"theme": "disputes"})
    assert "已更新" in html_text(at)
    from pingan import queries

    def broken(*a, **k):
        raise RuntimeError("warehouse unavailable")

    monkeypatch.setattr(queries, "run", broken)
    at.run()
    assert not at.exception
    text = html_text(at)
    assert "更新失败" in text and "矛盾纠纷化解" in text
