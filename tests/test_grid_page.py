"""AppTest of the grid-coverage page through app.py: maps, indicator switching, drill-down, published figures."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, published

PAGE = str(ROOT / "pages/grid.py")


def grid_page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def layer(spec: dict, layer_id: str) -> dict | None:
    return next((x for x in spec["layers"] if x["id"] == layer_id), None)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def param(at: AppTest, key: str):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


def test_everything_shows_provinces_with_legend_labels_and_points(warehouse_built):
    at = grid_page()
    assert at.title[0].value == "全部地区网格覆盖与综治中心建设"
    spec = deck_spec(at)
    regions = layer(spec, "regions")["data"]["features"]
    assert len(regions) == 34                              # every province drawn, 27 of them grey
    grey = [f for f in regions if f["properties"]["fill"][:3] == [222, 222, 222]]
    assert len(grey) == 34 - 7
    assert len(layer(spec, "labels")["data"]) == 7
    assert layer(spec, "facility_center")["data"] and layer(spec, "boundary_lines")
    assert any("每万人网格数" in m.value and "background:rgb" in m.value for m in at.markdown)   # legend
    assert any("天地图" in c.value for c in at.caption)
    assert any("演示数据" in m.value for m in at.markdown)


@pytest.mark.parametrize("region, expected", [
    ("530000", {"网格总数": f"{published('yunnan_027') / 10_000}万个", "网格员人数": f"{published('yunnan_028') / 10_000}万人",
                "乡级综治中心覆盖率": f"{published('yunnan_026')}%"}),
    ("640000", {"网格员人数": f"{published('ningxia_012'):,}人", "乡级综治中心数": f"{published('ningxia_007')}个",
                "警务室数": f"{published('ningxia_009'):,}个", "司法所数": f"{published('ningxia_010')}个",
                "人民法庭数": f"{published('ningxia_008')}个", "一站式矛盾纠纷调解中心数": f"{published('ningxia_011')}个"}),
])
def test_headline_equals_published(warehouse_built, region, expected):
    at = grid_page({"region": region})
    shown = metrics(at)
    for label, value in expected.items():
        assert shown[label] == value, label
    marks = [c.value for c in at.caption if c.value.startswith("公开 ")]
    assert len(marks) == len(expected)
    assert all("一致" in p and "不一致" not in p for p in marks)


def test_indicator_switch_changes_map_table_and_url(warehouse_built):
    at = grid_page({"region": "530000"})
    before = layer(deck_spec(at), "regions")
    assert at.selectbox(key="grid_ind").value == "grids_per_10k"
    at.selectbox(key="grid_ind").set_value("center_standardized_rate_village").run()
    assert not at.exception
    after = layer(deck_spec(at), "regions")
    assert [f["properties"]["fill"] for f in after["data"]["features"]] != \
           [f["properties"]["fill"] for f in before["data"]["features"]]
    assert "村级综治中心规范化率" in after["data"]["features"][0]["properties"]["tip"]
    assert param(at, "ind") == "center_standardized_rate_village"
    assert any("村级综治中心规范化率" in m.label for m in at.metric)


def test_indicator_and_layers_from_the_link(warehouse_built):
    at = grid_page({"region": "530000", "ind": "onestop_coverage", "maplevel": "county",
                    "layers": "fill,density,tribunal"})
    spec = deck_spec(at)
    assert len(layer(spec, "regions")["data"]["features"]) == 129
    assert layer(spec, "grid_density") and layer(spec, "facility_tribunal")
    assert layer(spec, "labels") is None and layer(spec, "facility_center") is None
    assert "一站式调解中心覆盖率" in layer(spec, "regions")["data"]["features"][0]["properties"]["tip"]
    at = grid_page({"ind": "no_such_thing"})
    assert at.selectbox(key="grid_ind").value == "grids_per_10k"


def test_map_level_toggle(warehouse_built):
    at = grid_page({"region": "530000"})
    assert len(layer(deck_spec(at), "regions")["data"]["features"]) == 16
    at.button_group(key="grid_maplevel").set_value("county").run()
    assert not at.exception
    assert len(layer(deck_spec(at), "regions")["data"]["features"]) == 129
    assert param(at, "maplevel") == "county"
    at.button_group(key="grid_layers").set_value(["fill", "density"]).run()
    spec = deck_spec(at)
    assert layer(spec, "grid_density") and layer(spec, "facility_center") is None and layer(spec, "labels") is None
    assert param(at, "layers") == "fill,density"


def test_drill_down_and_breadcrumb_back_up(warehouse_built):
    at = grid_page({"region": "530000"})
    drill = [s for s in at.selectbox if s.key and s.key.startswith("grid_drill_")][0]
    drill.set_value("532900").run()
    assert not at.exception
    assert at.title[0].value.startswith("大理白族自治州")
    assert param(at, "region") == "532900"
    spec = deck_spec(at)
    assert len(layer(spec, "regions")["data"]["features"]) == 12
    assert any(p["r"] < 2 for p in layer(spec, "facility_center")["data"])   # village centres at this scope
    assert [b.label for b in at.button if b.key and b.key.startswith("crumb_")] == ["全部", "云南", "大理州"]
    at.button(key="crumb_1").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("云南省")
    assert param(at, "region") == "530000"
    at.button(key="crumb_0").click().run()
    assert at.title[0].value.startswith("全部地区")


def test_county_scope_lists_its_townships(warehouse_built):
    at = grid_page({"region": "532901"})
    assert at.title[0].value.startswith("大理市")
    spec = deck_spec(at)
    assert len(layer(spec, "regions")["data"]["features"]) == 1 and layer(spec, "outline")
    towns = at.dataframe[0].value
    assert len(towns) >= 10 and "has_std_center" in towns.columns


def test_gaps_and_downloads(warehouse_built):
    at = grid_page({"region": "640000"})
    caps = [c.value for c in at.caption]
    assert any("个乡镇(街道)尚无通过规范化验收的乡级综治中心(共243个乡镇)" in c for c in caps)
    assert any(c.startswith("共") and "个网格未配备网格员" in c for c in caps)
    assert len(at.get("download_button")) >= 8
    assert len(at.get("plotly_chart")) == 2


def test_payload_of_a_province_at_county_level_under_1mb(warehouse_built):
    at = grid_page({"region": "530000", "maplevel": "county",
                    "layers": "fill,labels,density,center,onestop,police_room,justice_office,tribunal"})
    assert len(at.get("deck_gl_json_chart")[0].proto.json.encode("utf-8")) < 1_000_000


def test_english(warehouse_built):
    at = grid_page({"region": "640000", "lang": "en"})
    assert at.title[0].value.startswith("Grid coverage and governance centres")
    assert "Grid workers" in metrics(at)


@pytest.fixture()
def dali_leader(warehouse_built, tmp_path, monkeypatch):
    """A state folder with one account (a leader scoped to 大理州) sharing the session's warehouse."""
    import os

    from pingan import auth

    (tmp_path / "warehouse").mkdir()
    os.symlink(warehouse_built, tmp_path / "warehouse" / warehouse_built.name)
    (tmp_path / "warehouse" / "CURRENT").write_text(warehouse_built.name)
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    auth.add_user("dali_leader", "Grid-Test-2022", "leader", "532900", "大理州领导")


def test_scoped_account_stays_in_its_region(dali_leader):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["region"] = "530000"                  # a link above the account's region
    at.run()
    at.text_input(key="login_user").input("dali_leader")
    at.text_input(key="login_password").input("Grid-Test-2022")
    at.button[0].click().run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("大理白族自治州")
    assert [b.label for b in at.button if b.key and b.key.startswith("crumb_")] == ["大理州"]   # no way up
    assert len(layer(deck_spec(at), "regions")["data"]["features"]) == 12
    assert len(at.get("download_button")) == 0          # a leader views; exporting needs the analyst role


def test_imported_grid_report_on_the_page(warehouse_built, tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
    import corpus

    from pingan import importer

    monkeypatch.setenv("PINGAN_STATE_DIR", str(corpus.isolated_state(warehouse_built, tmp_path / "state")))
    data = corpus.csv_bytes("地区,期间,网格总数(个),网格员人数(人)", "大理州,2021,4321,5678")
    importer.load(importer.validate([importer.Upload.from_bytes("dali.csv", data)]))
    at = grid_page({"region": "532900", "from": "2021", "to": "2021"})
    m = metrics(at)
    assert m["网格总数"] == "4,321个" and m["网格员人数"] == "5,678人"
    assert any("网格数、网格员数来自导入的报表" in c.value for c in at.caption)
