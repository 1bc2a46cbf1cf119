"""Makes a usable warehouse snapshot current: builds one from data/ and the demo generator, falls back to an
intact one when the current file is broken, and upgrades an older snapshot's derived tables.

Storage (pingan/warehouse) writes, checks and switches the files; this module decides what goes in them.
"""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from . import config, reference, rollups, warehouse

# Tables an import writes: in every snapshot built since they were in schema.sql, added to older ones when an
# import loads into one or when it is upgraded (so a page's query over them finds them empty, not missing).
IMPORT_TABLES_DDL = warehouse.schema_ddl("import_coverage", "observation_sample", "dispute_case_number")

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
    from . import demo  # the generator: only paid for when a build runs
    from .demo_targets import load_targets

    t0 = time.perf_counter()
    sc = demo.SCALES[scale]
    with warehouse.new_snapshot() as (con, final):
        con.execute(warehouse.schema_sql())
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
    info["file"] = final.name
    info["bytes"] = str(final.stat().st_size)
    if progress:
        progress(1.0, "完成")
    return info


def ensure(progress=None) -> str | None:
    """Make sure a usable snapshot is current: fall back to the newest intact one when the current one is broken,
    build one only when none is intact (or none exists yet).

    Returns a message for the user when something had to be fallen back to or rebuilt, else None.
    """
    warehouse.remove_orphans()
    path = warehouse.current_path()
    if path is not None:
        try:
            warehouse.check(path)
            return upgrade(path, progress)
        except warehouse.WarehouseMissing:
            pass
    with warehouse.build_lock():
        problem = warehouse.current_problem()  # another process may have repaired it while we waited
        if problem is None:
            return None
        first_start = warehouse.never_built()
        fallback = warehouse.fall_back()
        if fallback is None:
            build_snapshot(scale=str(config.setting("demo_scale")), seed=int(config.setting("demo_seed")),
                           progress=progress)
    if fallback is not None:
        upgraded = upgrade(fallback, progress)  # outside the lock: an upgrade takes it itself
        notice = f"当前快照损坏({problem}),已回退到 {fallback.name}({warehouse.snapshot_time(fallback)})的快照。"
        return notice + (upgraded or "")
    if first_start:
        return "首次启动:已用内置数据构建数据仓库。"
    return f"{problem},且没有完好的快照可以回退,已用内置数据重新构建。"


def upgrade(path: Path, progress=None) -> str | None:
    """A snapshot written before a derived table existed gets it in a new snapshot (the old one is kept)."""
    with warehouse.reading(path) as con:
        lacking = rollups.missing(con)
    if not lacking:
        return None
    if progress:
        progress(0.5, "为现有数据仓库补建汇总表")
    with warehouse.writable_copy() as (w, _):
        w.execute(IMPORT_TABLES_DDL)  # a snapshot older than the import tables gets them too
        rollups.refresh(w)
    return f"已为现有数据仓库补建汇总表({'、'.join(lacking)})。"
