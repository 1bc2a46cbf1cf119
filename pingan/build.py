"""Builds a warehouse snapshot from data/ and the demo generator, then makes it current."""
from __future__ import annotations

import os
import time
from datetime import datetime

import duckdb
import polars as pl

from . import config, demo, reference, rollups, warehouse
from .demo_targets import load_targets

# The generator hands rows over province by province in code order, each province's rows sorted by
# prefecture, county and date: the tables are written in the order queries filter on, with no re-sort.


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame is None or frame.height == 0:
        return
    arrow = frame.to_arrow()
    con.register("_incoming", arrow)
    try:
        con.execute(f"insert into {table} by name select * from _incoming")
    finally:
        con.unregister("_incoming")


def load_reference(con: duckdb.DuckDBPyConnection, ref: reference.Reference, figures: pl.DataFrame) -> None:
    cols = ["code", "name", "short_name", "level", "parent_code", "province_code", "prefecture_code", "lon",
            "lat", "population", "urban_share", "area_km2", "geom_source", "in_scope"]
    _insert(con, "region", ref.regions.select(cols))
    _insert(con, "region_alias", reference.aliases().select("alias", "code", "level"))
    _insert(con, "indicator", reference.indicators())
    _insert(con, "dispute_category", ref.categories.select("code", "name_zh", "name_en"))
    _insert(con, "dispute_channel", ref.channels.select("code", "name_zh", "name_en"))
    _insert(con, "published_figure", figures.select(
        "figure_id", "article", "region_code", "region_name", "indicator", "value", "unit", "qualifier",
        "period_start", "period_end", "calibrated", "quote", "decimals", "match_from", "match_below"))


def build_snapshot(scale: str = "default", seed: int = 20221, progress=None) -> dict:
    """Build a complete snapshot in a new file and switch to it; returns what was built."""
    t0 = time.perf_counter()
    sc = demo.SCALES[scale]
    final = warehouse.new_snapshot_path()
    tmp = final.with_suffix(".building")
    con = duckdb.connect(str(tmp))
    try:
        con.execute((config.ROOT / "pingan" / "schema.sql").read_text(encoding="utf-8"))
        ref = reference.Reference()
        figures = reference.figures()
        load_reference(con, ref, figures)
        targets = load_targets(figures)
        stats = demo.generate(sc, seed, ref, targets, lambda table, frame: _insert(con, table, frame), progress)
        if progress:
            progress(0.95, "汇总(按月、按县)")
        derived = rollups.refresh(con)
        if progress:
            progress(0.97, "写入数据仓库")
        info = {"scale": scale, "seed": str(seed), "as_of": stats["as_of"],
                "built_at": datetime.now().isoformat(timespec="seconds"),
                "build_seconds": f"{time.perf_counter() - t0:.1f}"}
        info.update({f"rows_{k}": str(v) for k, v in stats.items() if k != "as_of"})
        info.update({f"derive_seconds_{k}": str(v) for k, v in derived.items()})
        info["complete"] = "true"
        con.executemany("insert into build_info values (?, ?)", list(info.items()))
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, final)
    warehouse.publish(final)
    info["file"] = final.name
    info["bytes"] = str(final.stat().st_size)
    if progress:
        progress(1.0, "完成")
    return info
