"""Checks of the committed reference data (data/reference/), built by scripts/build_reference.py."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

REPO = Path(__file__).resolve().parents[1]
REF = REPO / "data" / "reference"
COUNTY_DIR = REF / "boundaries" / "counties"
FOCUS_PROVINCES = ["630000", "640000", "530000", "450000", "410000", "360000", "620000"]


def read_csv(name: str) -> list[dict]:
    with (REF / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=None)
def regions() -> tuple[dict, ...]:
    return tuple(read_csv("regions.csv"))


@lru_cache(maxsize=None)
def by_code() -> dict[str, dict]:
    return {r["code"]: r for r in regions()}


@lru_cache(maxsize=None)
def county_features(province: str) -> tuple[dict, ...]:
    path = COUNTY_DIR / f"{province}.geojson"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["features"])


def test_regions_file_is_utf8_without_bom():
    raw = (REF / "regions.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")  # strict: any byte that is not UTF-8 raises here
    assert text.split("\n", 1)[0].split(",")[:4] == ["code", "name", "short_name", "level"]
    assert "宁夏回族自治区" in text


def test_codes_unique_and_six_digits():
    codes = [r["code"] for r in regions()]
    assert len(codes) == len(set(codes))
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_31_mainland_provinces_in_scope():
    provinces = [r for r in regions() if r["level"] == "province"]
    in_scope = [r for r in provinces if r["in_scope"] == "true"]
    assert len(in_scope) == 31
    for r in provinces:
        expected = "false" if r["code"][:2] in {"71", "81", "82"} else "true"
        assert r["in_scope"] == expected, r["code"]


def test_every_county_has_prefecture_and_province():
    idx = by_code()
    counties = [r for r in regions() if r["level"] == "county"]
    assert len(counties) > 2800
    for r in counties:
        pref = idx.get(r["prefecture_code"])
        prov = idx.get(r["province_code"])
        assert pref is not None and pref["level"] == "prefecture", r
        assert prov is not None and prov["level"] == "province", r
        assert pref["province_code"] == r["province_code"], r
        assert r["parent_code"] == r["prefecture_code"], r
    for r in regions():
        if r["level"] == "prefecture":
            assert idx[r["province_code"]]["level"] == "province", r
            assert r["parent_code"] == r["province_code"], r
        if r["level"] == "province":
            assert r["parent_code"] == "", r


def test_county_directly_under_province_points_to_pseudo_prefecture():
    idx = by_code()
    for code in ["419001", "429004", "110105", "500101", "500229"]:
        pref = idx[idx[code]["prefecture_code"]]
        assert pref["level"] == "prefecture" and pref["synthetic"] == "true", code


def test_dali_prefecture():
    idx = by_code()
    dali = idx["532900"]
    assert dali["name"] == "大理白族自治州"
    assert dali["short_name"] == "大理州"
    kids = [r for r in regions() if r["level"] == "county" and r["prefecture_code"] == "532900"]
    assert len(kids) == 12


@pytest.mark.parametrize("code,short", [
    ("632800", "海西州"), ("532300", "楚雄州"), ("450900", "玉林"), ("530000", "云南"), ("640000", "宁夏"),
    ("450000", "广西"), ("630100", "西宁"), ("542500", "阿里地区"), ("450924", "兴业县"),
])
def test_short_names(code, short):
    assert by_code()[code]["short_name"] == short


def test_aliases_unambiguous_for_common_forms():
    codes = defaultdict(set)
    for a in read_csv("region_aliases.csv"):
        codes[a["alias"]].add(a["code"])
    assert codes["大理州"] == {"532900"}
    assert codes["海西州"] == {"632800"}
    assert codes["玉林"] == {"450900"}
    assert codes["宁夏"] == {"640000"}


def test_aliases_complete_and_without_duplicates():
    rows = read_csv("region_aliases.csv")
    pairs = [(a["alias"], a["code"]) for a in rows]
    assert len(pairs) == len(set(pairs))
    idx = by_code()
    aliases = {(a["alias"], a["code"]) for a in rows}
    for a in rows:
        assert a["code"] in idx and a["level"] == idx[a["code"]]["level"], a
    for r in regions():
        if r["synthetic"] == "false":
            assert (r["name"], r["code"]) in aliases, r["code"]
            assert (r["short_name"], r["code"]) in aliases, r["code"]
    # ambiguous aliases are kept visible
    chaoyang = {a["code"] for a in rows if a["alias"] == "朝阳区"}
    assert {"110105", "220104"} <= chaoyang


def test_total_county_population():
    total = sum(int(r["population"]) for r in regions() if r["level"] == "county" and r["population"])
    assert 1.38e9 <= total <= 1.42e9


def test_population_sums_and_no_zero():
    idx = by_code()
    for r in regions():
        if r["population"]:
            assert int(r["population"]) > 0, r["code"]
    pref_sum = defaultdict(int)
    for r in regions():
        if r["level"] == "prefecture" and r["population"]:
            pref_sum[r["province_code"]] += int(r["population"])
    for code, total in pref_sum.items():
        assert int(idx[code]["population"]) == total, code


def test_townships():
    rows = read_csv("townships.csv")
    assert 38_000 <= len(rows) <= 39_500
    idx = by_code()
    codes = [t["code"] for t in rows]
    assert len(codes) == len(set(codes))
    for t in rows:
        assert len(t["code"]) in (9, 12) and t["code"].startswith(t["county_code"]), t
        assert idx[t["county_code"]]["level"] in ("county", "prefecture"), t


@pytest.mark.parametrize("province", FOCUS_PROVINCES)
def test_focus_province_county_boundaries_cover_counties(province):
    counties = {r["code"] for r in regions() if r["level"] == "county" and r["province_code"] == province}
    drawn = {f["properties"]["code"] for f in county_features(province)}
    assert len(counties & drawn) >= 0.95 * len(counties)


def test_county_files_small_and_codes_are_counties():
    files = sorted(COUNTY_DIR.glob("*.geojson"))
    assert len(files) >= 31
    idx = by_code()
    for path in files:
        assert path.stat().st_size < 1_000_000, path.name
        for f in county_features(path.stem):
            code = f["properties"]["code"]
            assert code in idx and idx[code]["level"] == "county", (path.name, code)
            assert idx[code]["province_code"] == path.stem, (path.name, code)
            assert f["properties"]["name"] == idx[code]["name"]


def test_remapped_boundary_codes():
    drawn = {f["properties"]["code"] for p in ["540000", "460000"] for f in county_features(p)}
    assert {"540481", "540581", "460302", "460303"} <= drawn
    assert not {"540422", "540530", "460321", "460322"} & drawn


@pytest.mark.parametrize("province", FOCUS_PROVINCES)
def test_focus_province_centroids_inside_polygons(province):
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in county_features(province)}
    for r in regions():
        if r["level"] == "county" and r["province_code"] == province and r["geom_source"] == "polygon":
            pt = Point(float(r["lon"]), float(r["lat"]))
            assert geoms[r["code"]].contains(pt), r["code"]


def test_province_and_prefecture_boundaries():
    idx = by_code()
    for name, level in [("provinces.geojson", "province"), ("prefectures.geojson", "prefecture")]:
        feats = json.loads((REF / "boundaries" / name).read_text(encoding="utf-8"))["features"]
        codes = {f["properties"]["code"] for f in feats}
        expected = {r["code"] for r in regions() if r["level"] == level}
        assert expected <= codes, name
        assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in feats)
        for f in feats:
            c = f["properties"]["code"]
            assert c in idx or c == "710000", c  # Taiwan is drawn although the code list has no row for it
