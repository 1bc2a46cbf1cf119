"""Random points inside a county's polygon, for demo grids and facilities."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import shapely


class PointSampler:
    def __init__(self, geojson: dict | None, counties: pl.DataFrame):
        self._geoms: dict[str, shapely.Geometry] = {}
        for feat in (geojson or {}).get("features", []):
            geom = shapely.from_geojson(json.dumps(feat["geometry"]))
            if geom is not None and not geom.is_empty:
                shapely.prepare(geom)
                self._geoms[str(feat["properties"]["code"])] = geom
        self._centre = {r["code"]: (r["lon"], r["lat"]) for r in counties.iter_rows(named=True)}

    def sample(self, code: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n points inside the county (near its centroid when it has no polygon), 5 decimals."""
        geom = self._geoms.get(code)
        if geom is None or n == 0:
            lon0, lat0 = self._centre.get(code, (None, None))
            if lon0 is None:
                return np.full(n, np.nan), np.full(n, np.nan)
            return (np.round(lon0 + rng.normal(0, 0.04, n), 5), np.round(lat0 + rng.normal(0, 0.03, n), 5))
        minx, miny, maxx, maxy = geom.bounds
        xs, ys = [], []
        got = 0
        for _ in range(60):
            k = max(64, int((n - got) * 2.5))
            x = rng.uniform(minx, maxx, k)
            y = rng.uniform(miny, maxy, k)
            inside = shapely.contains_xy(geom, x, y)
            xs.append(x[inside])
            ys.append(y[inside])
            got += int(inside.sum())
            if got >= n:
                break
        x = np.concatenate(xs)[:n]
        y = np.concatenate(ys)[:n]
        if len(x) < n:  # a sliver of a polygon: fall back to its representative point
            p = geom.representative_point()
            x = np.concatenate([x, np.full(n - len(x), p.x)])
            y = np.concatenate([y, np.full(n - len(y), p.y)])
        return np.round(x, 5), np.round(y, 5)
