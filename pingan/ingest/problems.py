"""The problems validation records: one row per (file, sheet, row, column), an error or a warning."""
from __future__ import annotations

import polars as pl

PROBLEM_SCHEMA = {"file": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String,
                  "value": pl.String, "reason": pl.String, "severity": pl.String}
ROW_KEYS = ["_file", "_sheet", "_row"]
# where a duplicated key was seen first (aggregations over rows sorted by file, sheet, row)
FIRST_ROW = (pl.col("_file").first().alias("_f0"), pl.col("_sheet").first().alias("_s0"),
             pl.col("_row").first().alias("_r0"))


class Problems:
    def __init__(self):
        self.frames: list[pl.DataFrame] = []
        self.rows: list[dict] = []

    def add(self, file: str, sheet: str, reason: str, row: int | None = None, column: str = "", value="",
            severity: str = "error") -> None:
        self.rows.append({"file": file, "sheet": sheet, "row": row, "column": column,
                          "value": "" if value is None else str(value)[:200], "reason": reason,
                          "severity": severity})

    def add_frame(self, df: pl.DataFrame, column, value: pl.Expr, reason: pl.Expr | str,
                  severity: str = "error") -> None:
        """One problem per row of df (which carries _file, _sheet, _row)."""
        if df.height == 0:
            return
        reason = pl.lit(reason) if isinstance(reason, str) else reason
        column = pl.lit(column) if isinstance(column, str) else column
        self.frames.append(df.select(
            pl.col("_file").alias("file"), pl.col("_sheet").alias("sheet"), pl.col("_row").cast(pl.Int64).alias("row"),
            column.cast(pl.String).alias("column"),
            value.cast(pl.String).fill_null("").str.slice(0, 200).alias("value"),
            reason.cast(pl.String).alias("reason"), pl.lit(severity).alias("severity")))

    def frame(self) -> pl.DataFrame:
        parts = [pl.DataFrame(self.rows, schema=PROBLEM_SCHEMA)] + [f.cast(PROBLEM_SCHEMA) for f in self.frames]
        return pl.concat(parts).unique(maintain_order=True).sort(
            "file", "sheet", "row", nulls_last=False, maintain_order=True)

