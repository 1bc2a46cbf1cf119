"""Pages over a snapshot holding imported reports that leave figures blank: real figures shown, unknown ones as —."""
from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import importer  # noqa: E402

REPORTS = {
    "stages.csv": ("地区,期间,排查矛盾纠纷(件)", "大理州,2022,8888"),  # no accepted, resolved …
    "grid.csv": ("地区,期间,网格总数(个)", "大理州,2022,4321"),  # no workers
    "ag.csv": ("地区,期间,打掉涉黑组织(个)", "大理州,2022,2"),
    "survey.csv": ("地区,期间,样本量,群众安全感(%)", "大理州,2022,1500,98.1"),
    "facilities.csv": ("地区,期间,警务室数(个),县级综治中心数(个)", "大理州,2022,777,12"),  # no total, no others
}


@pytest.fixture(scope="module")
def imported(warehouse_built, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PINGAN_STATE_DIR", str(corpus.isolated_state(warehouse_built, tmp_path_factory.mktemp("s") / "state")))
    uploads = [importer.Upload.from_bytes(name, corpus.csv_bytes(*lines)) for name, lines in REPORTS.items()]
    report = importer.validate(uploads)
    assert report.errors == 0, report.problems
    importer.load(report)
    yield
    mp.undo()


@pytest.mark.parametrize("page", ["overview", "disputes", "grid", "anti_gang", "satisfaction", "screen", "data"])
@pytest.mark.parametrize("region", ["532900", "530000"])
def test_pages_render_with_partial_reports(imported, page, region):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    for k, v in {"region": region, "from": "2022", "to": "2022"}.items():
        at.query_params[k] = v
    at.switch_page(str(ROOT / f"pages/{page}.py")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # "render" means the page drew its figures: a blank reported figure reads —, never nan, None or a bare 0
    shown = [m.value for m in at.metric]
    if page == "screen":  # the wall draws its cards as HTML
        shown = [str(h.proto.body) for h in at.get("html") if 'class="kpis' in str(h.proto.body)]
    assert page == "data" or shown, "the page drew no figure"
    assert not [v for v in shown if v in ("", "0") or "nan" in v or "None" in v], shown


def test_overview_shows_the_reported_figures_and_dashes_for_the_blank_ones(imported):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    for k, v in {"region": "532900", "from": "2022", "to": "2022"}.items():
        at.query_params[k] = v
    at.switch_page(str(ROOT / "pages/overview.py")).run()
    m = {x.label: x.value for x in at.metric}
    assert m["网格总数"] == "4,321个" and m["网格员人数"] == "—"
    assert m["排查矛盾纠纷"] == "8,888件" and m["化解成功"] == "—"
    # 2022 is imported, 2021 demo: no change is computed between them
    deltas = {x.label: x.proto.delta for x in at.metric}
    assert deltas["网格总数"] == "" and deltas["排查矛盾纠纷"] == ""
    assert deltas["破获涉黑涉恶刑事案件"] != ""  # not reported: demo in both years, compared as before


def test_disputes_page_and_wall_do_not_compare_an_imported_year_with_a_demo_one(imported):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    for k, v in {"region": "532900", "from": "2022", "to": "2022"}.items():
        at.query_params[k] = v
    at.switch_page(str(ROOT / "pages/disputes.py")).run()
    assert any("不计算变化" in c.value for c in at.caption)
    assert {x.label: x.proto.delta for x in at.metric}["排查矛盾纠纷(件)"] == ""
    wall = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    wall.query_params["region"] = "532900"
    wall.switch_page(str(ROOT / "pages/screen.py")).run()
    assert not wall.exception
    body = "\n".join(str(h.proto.body) for h in wall.get("html"))
    assert "上年口径不同" in body
    assert "演示数据" in body  # the counties' ranking and the trend are still demo records
