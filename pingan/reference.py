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
    """The indicator catalog; `{backlog_over_days}` in its texts is the backlog threshold (rules.BACKLOG_OVER_DAYS)."""
    df = pl.read_csv(config.REFERENCE_DIR / "indicators.csv", schema_overrides={"target": pl.Float64})
    return df.with_columns(pl.col("name_zh", "name_en", "definition_zh").str.replace_all(
        "{backlog_over_days}", str(rules.BACKLOG_OVER_DAYS), literal=True))


@lru_cache(maxsize=1)
def indicator_parts() -> pl.DataFrame:
    """Which indicator is made of which parts (data/reference/indicator_parts.csv), in file order.

    rule `sum`: the total is the sum of its parts; `at_least`: the parts are some of what the total counts."""
    return pl.read_csv(config.REFERENCE_DIR / "indicator_parts.csv")


def parts_of(rule: str = "sum", domain: str | None = None) -> dict[str, tuple[str, ...]]:
    """total -> its parts (in file order) under one rule of indicator_parts.csv, of one domain's totals or all."""
    rows = indicator_parts().filter(pl.col("rule") == rule)
    if domain is not None:
        rows = rows.filter(pl.col("total").is_in(indicators().filter(pl.col("domain") == domain)["code"].implode()))
    out: dict[str, tuple[str, ...]] = {}
    for total, part in rows.select("total", "part").iter_rows():
        out[total] = out.get(total, ()) + (part,)
    return out


@lru_cache(maxsize=1)
def campaign_phases() -> pl.DataFrame:
    """The 扫黑除恶 phases (data/reference/campaign_phases.csv); the phase without years holds every other year."""
    return pl.read_csv(config.REFERENCE_DIR / "campaign_phases.csv",
                       schema_overrides={"first_year": pl.Int32, "last_year": pl.Int32})


def phase_of(year: int) -> str:
    """The campaign phase of a year (the one whose years hold it, else the phase without years)."""
    default = None
    for phase, first, last in campaign_phases().select("phase", "first_year", "last_year").iter_rows():
        if first is None:
            default = phase
        elif first <= year <= last:
            return phase
    return default


def campaign_years(phase: str) -> tuple[int, int]:
    """First and last year of a phase with years (the special campaign: 2018, 2020)."""
    row = campaign_phases().filter(pl.col("phase") == phase).row(0, named=True)
    return row["first_year"], row["last_year"]


@lru_cache(maxsize=1)
def place_levels() -> pl.DataFrame:
    """Rank of each level of place (data/reference/place_levels.csv): 0 all of China … 3 county, 4, 5 below."""
    return pl.read_csv(config.REFERENCE_DIR / "place_levels.csv", schema_overrides={"rank": pl.Int8})


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
