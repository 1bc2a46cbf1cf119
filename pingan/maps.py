"""Offline maps with pydeck: a choropleth from our own boundary files, facility points, grid density and a legend.

No basemap and no request to another host: `map_provider=None`, `map_style` never set, boundaries from
data/reference/boundaries/ (© 天地图, credit it under every map). Every colour and the background come from a
`MapTheme`, so the big screen can draw the same map on a dark background (`DARK`).

pydeck turns every plain string argument into a JS accessor; constants are passed quoted ("'pixels'").

Payload: pydeck serialises with indent=2 and ASCII escapes, which triples a boundary file; `CompactDeck` writes
compact UTF-8 JSON instead (Streamlit sends whatever `to_json()` returns).

A scope's map on the dark wall (what pages/grid.py does, minus points and drill-down):

    box = maps.bounds(maps.features("county", "530000"))       # or ("prefecture", "", codes) …
    view = maps.fit_view(box, 1200, 700)
    feats = maps.features("county", "530000", tolerance=maps.tolerance_for(box, 1200))
    cuts = maps.class_breaks(list(values.values()))             # values: {code: number}
    deck = maps.deck([maps.choropleth_layer(feats, values, tips, cuts, maps.DARK),
                      maps.label_layer(label_rows, maps.DARK, zoom=view.zoom)], view, maps.DARK)
    st.pydeck_chart(deck, height=700)
    st.markdown(maps.legend_html(title, maps.legend_entries(cuts, maps.ramp_for(len(cuts) + 1, maps.DARK.ramp)),
                                 maps.DARK), unsafe_allow_html=True)
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from functools import lru_cache

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from . import config

REGIONS_LAYER = "regions"     # fixed id: a click comes back as selection.objects["regions"]
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif"

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class MapTheme:
    background: RGB | None          # None: the page shows through
    ramp: tuple[RGB, ...]           # sequential, light to dark, colour-blind safe
    density_ramp: tuple[RGB, ...]
    no_data: RGB
    line: RGB
    label: RGB
    label_halo: RGB
    text: str                       # legend text colour (CSS)
    fill_alpha: int = 215
    tooltip_bg: str = "#1f2430"
    tooltip_fg: str = "#ffffff"


# ColorBrewer YlGnBu (colour-blind safe) on white; viridis on the dark wall.
LIGHT = MapTheme(
    background=None,
    ramp=((255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148)),
    density_ramp=((254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)),
    no_data=(222, 222, 222), line=(255, 255, 255), label=(33, 33, 33), label_halo=(255, 255, 255),
    text="#333333")
DARK = MapTheme(
    background=(11, 18, 32),
    ramp=((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)),
    density_ramp=((254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)),
    no_data=(45, 52, 66), line=(11, 18, 32), label=(235, 235, 235), label_halo=(11, 18, 32),
    text="#e6e6e6", fill_alpha=230, tooltip_bg="#f0f0f0", tooltip_fg="#111111")

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and apart from both ramps.
FACILITY_COLOURS: dict[str, RGB] = {
    "center": (213, 94, 0),          # vermillion: 综治中心 (size by level)
    "onestop": (204, 121, 167),      # reddish purple: 一站式矛盾纠纷调解中心
    "police_room": (0, 114, 178),    # blue: 警务室
    "justice_office": (0, 158, 115), # bluish green: 司法所
    "tribunal": (0, 0, 0),           # black: 人民法庭
}
LEVEL_RADIUS_PX = {"prefecture": 6.5, "county": 4.5, "township": 2.0, "village": 1.4}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON is compact UTF-8 (no indent, no \\u escapes): a third of pydeck's own size."""

    def to_json(self):
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)


# --------------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _geojson(relpath: str) -> tuple[dict, ...]:
    path = config.BOUNDARIES_DIR / relpath
    if not path.exists():
        return ()
    with open(path, encoding="utf-8") as fh:
        return tuple(json.load(fh)["features"])


def features(level: str, province: str = "", codes: set[str] | frozenset[str] | None = None,
             tolerance: float = 0.0) -> list[dict]:
    """Boundary features (properties code, name) of one level; counties need their province's code.

    `codes` keeps only those regions (a province's prefectures, a prefecture's counties). `tolerance` (degrees)
    simplifies them together (shared borders stay shared): fewer vertices than the screen can show make a
    smaller payload and a faster click (deck.gl picks on pointer-down; with software WebGL a 129-county
    province took 0.4 s, longer than a tap may last, so the click was lost)."""
    codes = frozenset(codes) if codes is not None else None
    if tolerance > 0:
        return list(_simplified(level, province, codes, round(tolerance, 4)))
    return _features(level, province, codes)


@lru_cache(maxsize=128)
def _simplified(level: str, province: str, codes: frozenset[str] | None, tolerance: float) -> tuple[dict, ...]:
    import shapely
    from shapely.geometry import mapping, shape

    feats = _features(level, province, codes)
    if not feats:
        return ()
    geoms = shapely.coverage_simplify([shape(f["geometry"]) for f in feats], tolerance)
    return tuple({"type": "Feature", "properties": dict(f["properties"]),
                  "geometry": json.loads(json.dumps(mapping(g)))} for f, g in zip(feats, geoms))


def tolerance_for(box: tuple[float, float, float, float] | None, width_px: int) -> float:
    """About 1.5 screen pixels in degrees when `box` fills `width_px`: simplification nobody can see."""
    if box is None:
        return 0.0
    return 1.5 * (box[2] - box[0]) / max(width_px, 1)


def _features(level: str, province: str, codes: frozenset[str] | None) -> list[dict]:
    if level == "province":
        feats = _geojson("provinces.geojson")
    elif level == "prefecture":
        feats = _geojson("prefectures.geojson")
    elif level == "county":
        feats = _geojson(f"counties/{province[:2]}0000.geojson") if province else ()
    else:
        raise ValueError(f"unknown level: {level}")
    return [f for f in feats if codes is None or f["properties"]["code"] in codes]


def bounds(feats: list[dict]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the features' outer rings."""
    xs, ys = [], []
    for f in feats:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            for x, y in poly[0]:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_view(box: tuple[float, float, float, float] | None, width_px: int = 720, height_px: int = 560,
             padding: float = 0.92) -> pdk.ViewState:
    """A flat view that shows the whole box (Web Mercator, deck.gl's 512-pixel world)."""
    if box is None:
        return pdk.ViewState(longitude=104.0, latitude=35.0, zoom=3.0, min_zoom=2, max_zoom=14)
    w, s, e, n = box
    lon_frac = max(e - w, 0.01) / 360.0
    y_frac = max(_merc_y(n) - _merc_y(s), 0.0002) / (2 * math.pi)
    zoom = min(math.log2(width_px * padding / (512 * lon_frac)), math.log2(height_px * padding / (512 * y_frac)))
    lat_c = math.degrees(math.atan(math.sinh((_merc_y(n) + _merc_y(s)) / 2)))
    return pdk.ViewState(longitude=round((w + e) / 2, 4), latitude=round(lat_c, 4), zoom=round(zoom, 2),
                         min_zoom=2, max_zoom=14, pitch=0, bearing=0)


# --------------------------------------------------------------------------------------------------
# Classes and colours
# --------------------------------------------------------------------------------------------------
def _nice(x: float) -> float:
    """Round a break to two significant digits (83.03 → 83, 0.0264 → 0.026)."""
    if x == 0 or not math.isfinite(x):
        return x
    digits = 1 - int(math.floor(math.log10(abs(x))))
    return round(x, digits)


def class_breaks(values: list[float], k: int = 5) -> list[float]:
    """Thresholds t1 < … < t(k-1) at quantiles of the values (equal-count classes), rounded.

    Class i holds values in [t(i), t(i+1)); fewer thresholds when values repeat (coverage at 100%)."""
    vals = sorted(v for v in values if v is not None and math.isfinite(v))
    if len(vals) < 2 or vals[0] == vals[-1]:
        return []
    cuts = []
    for i in range(1, k):
        q = vals[min(len(vals) - 1, int(round(i * len(vals) / k)))]
        c = _nice(q)
        if vals[0] < c <= vals[-1] and (not cuts or c > cuts[-1]):
            cuts.append(c)
    return cuts


def class_of(value: float | None, cuts: list[float]) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    i = 0
    while i < len(cuts) and value >= cuts[i]:
        i += 1
    return i


def ramp_for(n_classes: int, ramp: tuple[RGB, ...]) -> list[RGB]:
    """n colours spread over the ramp (both ends kept), so two classes are still far apart."""
    if n_classes <= 1:
        return [ramp[len(ramp) // 2]]
    return [ramp[round(i * (len(ramp) - 1) / (n_classes - 1))] for i in range(n_classes)]


def _fmt_break(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:,.0f}"


def legend_entries(cuts: list[float], colours: list[RGB], unit: str = "", digits: int = 1,
                   single_value: float | None = None) -> list[tuple[RGB, str]]:
    """(colour, label) per class: '< 10', '10 – 20', '≥ 20'."""
    u = f" {unit}" if unit else ""
    if not cuts:
        label = "—" if single_value is None else _fmt_break(single_value, digits) + u
        return [(colours[0], label)]
    out = [(colours[0], f"< {_fmt_break(cuts[0], digits)}{u}")]
    for i in range(1, len(cuts)):
        out.append((colours[i], f"{_fmt_break(cuts[i - 1], digits)} – {_fmt_break(cuts[i], digits)}{u}"))
    out.append((colours[len(cuts)], f"≥ {_fmt_break(cuts[-1], digits)}{u}"))
    return out


def legend_html(title: str, entries: list[tuple[RGB, str]], theme: MapTheme = LIGHT, note: str = "",
                shape: str = "square") -> str:
    """A legend as HTML (deck.gl has none): a title, one swatch per class, an optional note."""
    radius = "50%" if shape == "dot" else "2px"
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin:0 10px 0 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:14px;height:14px;border-radius:{radius};'
        f'background:rgb{tuple(c)};border:1px solid rgba(0,0,0,.25);margin-right:5px"></span>'
        f'{html.escape(label)}</span>'
        for c, label in entries)
    note_html = f'<div style="opacity:.75;font-size:12px">{html.escape(note)}</div>' if note else ""
    return (f'<div style="color:{theme.text};font-size:13px;line-height:1.5;margin-bottom:2px">'
            f'<b style="margin-right:10px">{html.escape(title)}</b>{items}{note_html}</div>')


# --------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------
def choropleth_layer(feats: list[dict], values: dict[str, float | None], tips: dict[str, str],
                     cuts: list[float], theme: MapTheme = LIGHT, alpha: int | None = None,
                     layer_id: str = REGIONS_LAYER) -> pdk.Layer:
    """Regions filled by class of `values` (grey where a region has no value); pickable for drill-down."""
    colours = ramp_for(len(cuts) + 1, theme.ramp)
    a = theme.fill_alpha if alpha is None else alpha
    data = []
    for f in feats:
        code = f["properties"]["code"]
        k = class_of(values.get(code), cuts)
        fill = list(theme.no_data) + [a] if k is None else list(colours[k]) + [a]
        data.append({"type": "Feature", "geometry": f["geometry"],
                     "properties": {"code": code, "name": f["properties"]["name"], "fill": fill,
                                    "tip": tips.get(code, f["properties"]["name"])}})
    return pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": data}, id=layer_id,
                     pickable=True, stroked=True, filled=True, auto_highlight=True,
                     get_fill_color="properties.fill", get_line_color=list(theme.line),
                     line_width_min_pixels=1, highlight_color=[255, 255, 255, 90])


def boundary_lines_layer(theme: MapTheme = LIGHT, layer_id: str = "boundary_lines") -> pdk.Layer:
    """The national boundary lines (South China Sea line, undetermined borders) a map of China must show."""
    return pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": list(_geojson("boundary_lines.geojson"))},
                     id=layer_id, pickable=False, stroked=True, filled=False, get_line_color=list(theme.label),
                     line_width_min_pixels=1)


def outline_layer(feats: list[dict], theme: MapTheme = LIGHT, layer_id: str = "outline") -> pdk.Layer:
    """Only the borders (for a county scope drawn over its points)."""
    return pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": list(feats)}, id=layer_id,
                     pickable=False, stroked=True, filled=False, get_line_color=list(theme.label),
                     line_width_min_pixels=2)


def short_label(name: str) -> str:
    """A map label for a county: 贡山独龙族怒族自治县 → 贡山县 (the tooltip keeps the full name)."""
    for suffix in ("自治县", "自治旗"):
        if name.endswith(suffix) and "族" in name:
            return name[:2] + suffix[-1]
    return name


def _pixel(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    world = 512 * 2 ** zoom
    return (lon + 180) / 360 * world, (math.pi - _merc_y(lat)) / (2 * math.pi) * world


def declutter(points: list[dict], zoom: float, size_px: int) -> list[dict]:
    """Keep the labels that do not overlap a higher-priority one at this zoom (greedy, by `priority`).

    deck.gl's CollisionFilterExtension does this in the browser but hid every label in headless Chromium."""
    placed: list[tuple[float, float, float, float]] = []
    kept = []
    for p in sorted(points, key=lambda q: -(q.get("priority") or 0)):
        x, y = _pixel(p["lon"], p["lat"], zoom)
        half_w, half_h = len(short_label(p["name"])) * size_px / 2 + 2, size_px / 2 + 2
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        kept.append(p)
    return kept


def label_layer(points: list[dict], theme: MapTheme = LIGHT, size_px: int = 12,
                layer_id: str = "labels", zoom: float | None = None) -> pdk.Layer:
    """Region names at their inner points; points are dicts with name, lon, lat (priority).

    With `zoom`, labels that would overlap a higher-priority one at that zoom are left out."""
    points = [p for p in points if p.get("lon") is not None and p.get("lat") is not None]
    if zoom is not None:
        points = declutter(points, zoom, size_px)
    data = [{"p": [round(p["lon"], 3), round(p["lat"], 3)], "n": short_label(p["name"])} for p in points]
    return pdk.Layer("TextLayer", data, id=layer_id, pickable=False, get_position="p", get_text="n",
                     get_size=size_px, size_units="'pixels'", get_color=list(theme.label),
                     character_set="'auto'", font_family=f"'{FONT}'", font_weight=600,
                     font_settings={"sdf": True, "fontSize": 64, "buffer": 16}, outline_width=14,
                     outline_color=list(theme.label_halo) + [230], get_text_anchor="'middle'",
                     get_alignment_baseline="'center'")


def facility_layers(rows: list[dict], tips: dict[str, str], theme: MapTheme = LIGHT,
                    types: tuple[str, ...] = tuple(FACILITY_COLOURS), scale: float = 1.0) -> list[pdk.Layer]:
    """One point layer per facility type (its own colour), radius by administrative level.

    rows: dicts with facility_type, admin_level, standardized, name, lon, lat and optionally code (the region a
    click on the point drills into); tips: text per facility_type, admin_level and standardized
    ('center|township|1'), so each point carries only its name and a short key."""
    by_type: dict[str, list[dict]] = {t: [] for t in types}
    for r in rows:
        t = r["facility_type"]
        if t not in by_type:
            continue
        key = f"{t}|{r['admin_level']}|{int(bool(r['standardized']))}"
        point = {"p": [round(r["lon"], 4), round(r["lat"], 4)],
                 "r": round(LEVEL_RADIUS_PX.get(r["admin_level"], 2.0) * scale, 1),
                 "tip": f"{r['name']}\n{tips.get(key, '')}".rstrip()}
        if r.get("code"):
            point["code"] = r["code"]
        by_type[t].append(point)
    layers = []
    for t, data in by_type.items():
        if not data:
            continue
        layers.append(pdk.Layer("ScatterplotLayer", data, id=f"facility_{t}", pickable=True,
                                get_position="p", get_radius="r", radius_units="'pixels'",
                                get_fill_color=list(FACILITY_COLOURS[t]) + [235], stroked=True,
                                get_line_color=list(theme.label_halo) + [200], line_width_min_pixels=0.5))
    return layers


def density_layer(cells: list[dict], cell_deg: float, cuts: list[float], theme: MapTheme = LIGHT,
                  layer_id: str = "grid_density") -> pdk.Layer:
    """Grid density as flat squares, one per cell of `cell_deg` degrees (cells: dicts with lon, lat, grids).

    Not pickable: a click goes through to the region below (drill-down), hovering shows the region's tooltip,
    and the legend gives the classes."""
    colours = ramp_for(len(cuts) + 1, theme.density_ramp)
    lat_mid = sum(c["lat"] for c in cells) / len(cells) if cells else 30.0
    side_m = cell_deg * 111_000 * min(1.0, math.cos(math.radians(lat_mid)))
    data = [{"p": [c["lon"], c["lat"]], "c": list(colours[class_of(c["grids"], cuts) or 0]) + [200]}
            for c in cells]
    return pdk.Layer("ColumnLayer", data, id=layer_id, pickable=False, extruded=False, disk_resolution=4,
                     angle=45, radius=round(side_m / math.sqrt(2)), get_position="p", get_fill_color="c",
                     coverage=0.95)


def background_layer(theme: MapTheme) -> pdk.Layer | None:
    """A solid rectangle behind everything (the dark wall); None when the page shows through."""
    if theme.background is None:
        return None
    return pdk.Layer("SolidPolygonLayer", [{"polygon": [[40, -10], [170, -10], [170, 70], [40, 70]]}],
                     id="background", get_polygon="polygon", get_fill_color=list(theme.background),
                     pickable=False)


def deck(layers: list[pdk.Layer], view: pdk.ViewState, theme: MapTheme = LIGHT) -> CompactDeck:
    """The map: no basemap (offline), our layers, one tooltip template reading each object's `tip`."""
    bg = background_layer(theme)
    return CompactDeck(
        layers=([bg] if bg else []) + [x for x in layers if x is not None],
        initial_view_state=view,
        map_provider=None,
        views=[pdk.View(type="MapView", controller=True)],
        tooltip={"html": "{tip}", "style": {"whiteSpace": "pre-line", "fontFamily": FONT, "fontSize": "13px",
                                            "backgroundColor": theme.tooltip_bg, "color": theme.tooltip_fg}},
    )


def selected_code(state, layer_id: str = REGIONS_LAYER) -> str | None:
    """The region code a click selected: the polygon's properties.code, or the `code` a clicked point carries."""
    try:
        objects = state["selection"]["objects"] or {}
    except (KeyError, TypeError, AttributeError):
        return None
    for lid in [layer_id] + sorted(k for k in objects if k != layer_id):
        for obj in objects.get(lid) or []:
            code = (obj.get("properties") or {}).get("code") or obj.get("code")
            if code:
                return str(code)
    return None
