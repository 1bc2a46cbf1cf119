"""Published figures that the demo data must reproduce, read from data/published/figures.csv."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from . import rules


@dataclass(frozen=True)
class Target:
    figure_id: str
    region: str
    indicator: str
    value: float
    qualifier: str
    start: date
    end: date
    decimals: int

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    def count_value(self, rng: np.random.Generator) -> int:
        """The integer the generated rows should add up to, honouring the qualifier."""
        v = int(round(self.value))
        # Inside the figure's interval (pingan/rules.py), and not on its edge: "14.7万余件" gets 147,001 to 147,499.
        if self.qualifier in rules.AT_LEAST + rules.AND_SOME:
            unit = int(rules.figure_step(v, 0))
            return v + int(rng.integers(1, max(2, unit // 2)))
        if self.qualifier == rules.NEARLY:
            return v - int(rng.integers(1, max(2, v // 200)))
        return v


def decimals_of(text: str) -> int:
    text = str(text)
    return len(text.split(".", 1)[1]) if "." in text else 0


def load_targets(figures: pl.DataFrame) -> list[Target]:
    rows = figures.filter(pl.col("calibrated"))
    out = []
    for r in rows.iter_rows(named=True):
        out.append(Target(r["figure_id"], r["region_code"], r["indicator"], float(r["value"]),
                          r["qualifier"], r["period_start"], r["period_end"], int(r["decimals"])))
    return out


def region_mask(region: str, province: np.ndarray, prefecture: np.ndarray, county: np.ndarray) -> np.ndarray:
    """Which leaves (by their codes) lie in `region`, whatever its level."""
    return (province == region) | (prefecture == region) | (county == region)
