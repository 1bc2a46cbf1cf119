"""Reads the reference data and published figures in data/ (the only inputs of a build besides uploads)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from . import config, rules
from .demo_targets import decimals_of


def regions() -> pl.DataFrame:
    df = pl.read_csv(config.REFERENCE_DIR / "regions.csv", schema_overrides={
        "code": pl.Utf8, "parent_code": pl.Utf8, "province_code": pl.Utf8, "prefecture_code": pl.Utf8,
        "population": pl.Float64, "urban_share": pl.Float64, "area_km2": pl.Float64})
    # A county without a census row (created after 2020) takes its prefecture's median population.
    med = (df.filter(pl.col("level") == "county").group_by("prefecture_code")
           .agg(pl.col("population").median().alias("_med"), pl.col("urban_share").median().alias("_urb")))
    df = df.join(med, on="prefecture_code", how="left").with_columns(
        pl.when((pl.col("level") == "county") & (pl.col("population").is_null() | (pl.col("population") <= 0)))
        .then(pl.col("_med")).otherwise(pl.col("population")).fill_null(100000).cast(pl.Int64).alias("population"),
        pl.col("urban_share").fill_null(pl.col("_urb")).fill_null(0.4),
    ).drop("_med", "_urb")
    return df


def aliases() -> pl.DataFrame:
    return pl.read_csv(config.REFERENCE_DIR / "region_aliases.csv", schema_overrides={"code": pl.Utf8})


def townships(regions_df: pl.DataFrame) -> pl.DataFrame:
    t = pl.read_csv(config.REFERENCE_DIR / "townships.csv",
                    schema_overrides={"code": pl.Utf8, "county_code": pl.Utf8})
    counties = regions_df.filter(pl.col("level") == "county").select(
        pl.col("code").alias("county_code"), "prefecture_code", "province_code")
    return t.select("code", "name", "county_code").join(counties, on="county_code", how="inner")


def indicators() -> pl.DataFrame:
    return pl.read_csv(config.REFERENCE_DIR / "indicators.csv", schema_overrides={"target": pl.Float64})


def categories() -> pl.DataFrame:
    return pl.read_csv(config.REFERENCE_DIR / "dispute_categories.csv")


def channels() -> pl.DataFrame:
    return pl.read_csv(config.REFERENCE_DIR / "dispute_channels.csv")


def figures() -> pl.DataFrame:
    raw = pl.read_csv(config.PUBLISHED_DIR / "figures.csv", infer_schema=False)
    df = raw.with_columns(
        pl.col("value").map_elements(decimals_of, return_dtype=pl.Int32).alias("decimals"),
        pl.col("value").cast(pl.Float64),
        pl.col("period_start").str.to_date(), pl.col("period_end").str.to_date(),
        (pl.col("calibrated").str.to_lowercase() == "true").alias("calibrated"),
    )
    bounds = [rules.figure_bounds(v, q, d) for v, q, d in zip(df["value"], df["qualifier"], df["decimals"])]
    return df.with_columns(pl.Series("match_from", [b[0] for b in bounds], dtype=pl.Float64),
                           pl.Series("match_below", [b[1] for b in bounds], dtype=pl.Float64))


@lru_cache(maxsize=64)
def _boundary_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def county_boundaries(province_code: str) -> dict | None:
    text = _boundary_text(str(config.BOUNDARIES_DIR / "counties" / f"{province_code}.geojson"))
    return json.loads(text) if text else None


@dataclass
class Reference:
    """Everything a build reads from data/, loaded once."""
    regions: pl.DataFrame = field(default_factory=regions)
    categories: pl.DataFrame = field(default_factory=categories)
    channels: pl.DataFrame = field(default_factory=channels)

    def __post_init__(self):
        self.townships = townships(self.regions)

    @staticmethod
    def boundaries(province_code: str) -> dict | None:
        return county_boundaries(province_code)
