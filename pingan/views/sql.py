"""The SQL page (pages/sql.py): what it decides besides widgets: parameter defaults from the scope, the examples'
domains, the indicator search, the history table and how a statement is shortened for a caption.

The statements themselves run in the sandbox (pingan/sandbox.py); nothing here imports Streamlit.
"""
from __future__ import annotations

import polars as pl

from ..i18n import Texts
from ..scope import Scope

# The examples' domains by name prefix (queries/<domain>_<question>.sql); antigang_ is the older spelling.
DOMAINS = Texts({"anti_gang": ("扫黑除恶", "Anti-gang"), "antigang": ("扫黑除恶", "Anti-gang"),
                 "disputes": ("矛盾纠纷", "Disputes"), "grid": ("网格", "Grid"),
                 "satisfaction": ("安全感满意度", "Satisfaction"), "overview": ("总览", "Overview"),
                 "sources": ("数据来源", "Sources"), "region": ("地区", "Regions"), "meta": ("基础信息", "Metadata")})

OUTCOMES = Texts({"ok": ("成功", "ok"), "refused": ("已拒绝", "refused"), "interrupted": ("已中止", "interrupted"),
                  "failed": ("出错", "failed")})

# Identifiers and years: shown without a thousands separator.
PLAIN_NUMBERS = ("year", "code", "_id", "_year", "_code", "decimals")


def param_defaults(scope: Scope) -> dict:
    """A statement's $parameters filled in from the sidebar scope (the sandbox's scope is the account's)."""
    prev, yago = scope.period.previous(), scope.period.year_ago()
    return {"region": scope.region, "parent": scope.region, "start": scope.period.start,
            "end": scope.period.end, "as_of": scope.period.end, "prev_start": prev.start, "prev_end": prev.end,
            "ya_start": yago.start, "ya_end": yago.end, "year": scope.year, "last_year": scope.year,
            "first_year": scope.period.start.year, "child_level": scope.child_level or "county",
            "category": "", "cell_deg": 0.1, "max_level_rank": 4, "max_rows": 100}


def param_default(name: str, scope: Scope):
    """The default of one parameter: any other name ending in `region` takes the scope's region too."""
    return param_defaults(scope).get(name, scope.region if name.endswith("region") else None)


def example_domain(name: str, fallback: str) -> str:
    """An example query's domain: the longest known prefix of its name, else what its header says."""
    return next((d for d in sorted(DOMAINS, key=len, reverse=True) if name.startswith(d + "_")), fallback)


def domain_label(domain: str, lang: str) -> str:
    return DOMAINS(domain, lang) if domain in DOMAINS else domain


def search_indicators(inds: pl.DataFrame, needle: str) -> pl.DataFrame:
    """Indicators whose code, names or definition contain `needle` (literally); all of them for ''."""
    if not needle:
        return inds
    return inds.filter(pl.any_horizontal(pl.col(c).fill_null("").str.contains(needle, literal=True)
                                         for c in ("code", "name_zh", "name_en", "definition_zh")))


def without_comments(sql: str) -> str:
    """The statement's lines that are not `--` comments, joined by spaces."""
    return " ".join(ln for ln in sql.splitlines() if not ln.strip().startswith("--"))


def preview(sql: str, width: int = 100) -> str:
    """A statement on one line for a caption: comments dropped, whitespace collapsed, cut at `width` with …"""
    shown = " ".join(without_comments(sql).split())
    return shown[:width] + ("…" if len(shown) > width else "")


def history_frame(entries: list[dict], lang: str) -> pl.DataFrame:
    """The account's recent statements (pingan/history.py entries, newest first) as the history table."""
    return pl.DataFrame({
        "time": [e["time"][5:].replace("T", " ") for e in entries],
        "outcome": [OUTCOMES(e["outcome"], lang) if e["outcome"] in OUTCOMES else e["outcome"] for e in entries],
        "sql": [" ".join(ln for ln in e["sql"].split("\n") if not ln.strip().startswith("--")).strip()[:160]
                for e in entries],
        "rows": [e.get("rows") for e in entries],
        "elapsed_ms": [float(e.get("elapsed_ms") or 0) for e in entries],
    }, schema={"time": pl.Utf8, "outcome": pl.Utf8, "sql": pl.Utf8, "rows": pl.Int64, "elapsed_ms": pl.Float64})


def number_format(name: str, dtype: pl.DataType) -> str:
    """A result column's number format: identifiers and years plain, other numbers with separators."""
    return "%d" if dtype.is_integer() and (name in PLAIN_NUMBERS or name.endswith(PLAIN_NUMBERS)) else "localized"
