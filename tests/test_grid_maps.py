"""pingan.maps without a warehouse: boundaries, classes, legend, layers, the offline deck and its payload."""
from __future__ import annotations

import json

import pytest

from pingan import maps


def test_boundaries_by_level_and_codes():
    assert len(maps.features("province")) == 34
    yunnan_prefs = maps.features("prefecture", codes={"532900", "530100"})
    assert sorted(f["properties"]["code"] for f in yunnan_prefs) == ["530100", "532900"]
    counties = maps.features("county", "530000")
    assert len(counties) == 129
    assert all(f["properties"]["code"].startswith("53") for f in counties)
    assert maps.features("county", "") == []
    with pytest.raises(ValueError):
        maps.features("township")


def test_simplified_boundaries_keep_regions_and_drop_vertices():
    def vertices(feats):
        return sum(len(ring) for f in feats for poly in (f["geometry"]["coordinates"]
                   if f["geometry"]["type"] == "MultiPolygon" else [f["geometry"]["coordinates"]]) for ring in poly)

    raw = maps.features("county", "530000")
    tol = maps.tolerance_for(maps.bounds(raw), 560)
    assert 0.01 < tol < 0.05
    simple = maps.features("county", "530000", tolerance=tol)
    assert [f["properties"] for f in simple] == [f["properties"] for f in raw]
    assert vertices(simple) < 0.6 * vertices(raw)
    assert raw[0]["geometry"] is not simple[0]["geometry"]          # the cached originals are untouched
    assert maps.features("county", "530000", tolerance=tol) == simple  # cached


def test_fit_view_centres_on_the_box():
    dali = maps.features("prefecture", codes={"532900"})
    w, s, e, n = maps.bounds(dali)
    assert 98 < w < e < 102 and 24 < s < n < 27.5
    v = maps.fit_view((w, s, e, n), 560, 580)
    assert w < v.longitude < e and s < v.latitude < n
    wide = maps.fit_view(maps.bounds(maps.features("province")), 560, 580)
    assert 2 < wide.zoom < v.zoom < 10


@pytest.mark.parametrize("values, cuts", [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [3, 5, 7, 9]),
    ([100.0, 100.0, 100.0], []),                       # coverage at 100% everywhere: one class
    ([0.5, 0.5, 1.0], [1.0]),
    ([None, 5.0], []),
])
def test_class_breaks(values, cuts):
    assert maps.class_breaks(values) == cuts


def test_class_of_and_legend():
    cuts = [10.0, 20.0]
    assert [maps.class_of(v, cuts) for v in (5, 10, 19.9, 20, 99, None)] == [0, 1, 1, 2, 2, None]
    colours = maps.ramp_for(3, maps.LIGHT.ramp)
    assert colours[0] == maps.LIGHT.ramp[0] and colours[-1] == maps.LIGHT.ramp[-1]
    entries = maps.legend_entries(cuts, colours, "%", 0)
    assert [label for _, label in entries] == ["< 10 %", "10 – 20 %", "≥ 20 %"]
    assert maps.legend_entries([], colours[:1], "%", 1, single_value=100.0)[0][1] == "100 %"
    html = maps.legend_html("乡级综治中心覆盖率", entries)
    assert "乡级综治中心覆盖率" in html and html.count("background:rgb") == 3


def test_choropleth_colours_values_and_greys_the_rest():
    feats = maps.features("county", "640000")
    code = feats[0]["properties"]["code"]
    layer = maps.choropleth_layer(feats, {code: 50.0}, {code: "x"}, [40.0, 60.0])
    spec = json.loads(maps.deck([layer], maps.fit_view(maps.bounds(feats))).to_json())
    data = spec["layers"][0]["data"]["features"]
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in data}
    assert fills[code][:3] == list(maps.ramp_for(3, maps.LIGHT.ramp)[1])
    assert sum(1 for f in fills.values() if f[:3] == list(maps.LIGHT.no_data)) == len(feats) - 1
    assert spec["layers"][0]["id"] == maps.REGIONS_LAYER


def test_deck_is_offline_and_compact():
    feats = maps.features("county", "530000")
    layers = [maps.choropleth_layer(feats, {}, {}, []),
              maps.label_layer([{"name": "昆明", "lon": 102.8, "lat": 25.0}])]
    d = maps.deck(layers, maps.fit_view(maps.bounds(feats)))
    text = d.to_json()
    spec = json.loads(text)
    # pydeck's placeholder for "no style given": Streamlit then draws no basemap when mapProvider is absent
    assert spec.get("mapStyle") in (None, "__MAP_STYLE__") and spec.get("mapProvider") is None
    assert "http" not in text
    assert "昆明" in text and "\n" not in text        # UTF-8, no indent
    assert len(text.encode("utf-8")) < 1_000_000  # the bytes Streamlit sends for this map
    assert spec["layers"][1]["characterSet"] == "auto"  # a constant, not a JS accessor
    dark = json.loads(maps.deck(layers, maps.fit_view(None), maps.DARK).to_json())
    assert dark["layers"][0]["id"] == "background"


def test_facility_layers_one_per_type():
    rows = [{"facility_type": "center", "admin_level": "county", "standardized": True, "name": "某县综治中心",
             "lon": 100.0, "lat": 25.0},
            {"facility_type": "tribunal", "admin_level": "township", "standardized": False, "name": "某人民法庭",
             "lon": 100.1, "lat": 25.1}]
    layers = maps.facility_layers(rows, {"center|county|1": "县级综治中心"}, types=("center", "tribunal"))
    assert [lyr.id for lyr in layers] == ["facility_center", "facility_tribunal"]
    assert layers[0].data[0]["tip"] == "某县综治中心\n县级综治中心"
    assert layers[0].data[0]["r"] > layers[1].data[0]["r"]


def test_density_cells_coloured_by_class():
    cells = [{"lon": 100.05, "lat": 25.05, "grids": 1, "workers": 1},
             {"lon": 100.15, "lat": 25.05, "grids": 50, "workers": 60}]
    layer = maps.density_layer(cells, 0.1, [10.0])
    assert layer.data[0]["c"][:3] != layer.data[1]["c"][:3]
    assert layer.pickable is False          # clicks go through to the region below


def test_labels_shortened_and_decluttered():
    assert maps.short_label("贡山独龙族怒族自治县") == "贡山县"
    assert maps.short_label("大理市") == "大理市"
    pts = [{"name": "甲", "lon": 100.0, "lat": 25.0, "priority": 1},
           {"name": "乙", "lon": 100.001, "lat": 25.0, "priority": 2},
           {"name": "丙", "lon": 101.0, "lat": 25.0, "priority": 0}]
    kept = maps.declutter(pts, zoom=7, size_px=12)
    assert [p["name"] for p in kept] == ["乙", "丙"]


def test_selected_code():
    state = {"selection": {"indices": {"regions": [3]},
                           "objects": {"regions": [{"type": "Feature", "properties": {"code": "532900"}}]}}}
    assert maps.selected_code(state) == "532900"
    assert maps.selected_code({"selection": {"indices": {}, "objects": {}}}) is None
    assert maps.selected_code(None) is None
    point = {"selection": {"indices": {"facility_center": [0]},
                           "objects": {"facility_center": [{"p": [100.0, 25.0], "code": "532901"}]}}}
    assert maps.selected_code(point) == "532901"
