"""Text a user or a file controls, made harmless where it is shown or exported.

Two rules, one home each:
- `md(text)`: before any text a user or a file controls (file and sheet names, echoed cell values, region names and
  notes from reports, account names, SQL text and errors) goes into an element that renders Markdown (st.markdown,
  st.caption, st.error/warning/info/success, st.toast, widget labels), every Markdown, LaTeX and directive character
  is backslash-escaped and line breaks become spaces, so `![x](http://…)` is shown as those characters and never
  becomes an image the browser fetches or a link (a word joiner breaks GFM's bare-URL and e-mail autolinks);
  `**粗体**` stays asterisks; `:red[x]` and `$x$` stay text.
- `cell(value)`: before a text value goes into a CSV or spreadsheet export, one that a spreadsheet program would run
  as a formula (it starts with = + - @, a tab or a carriage return; OWASP "CSV injection") gets a leading
  apostrophe, so `=HYPERLINK(...)` arrives as text. Numbers and dates are left alone (they are typed cells).
"""
from __future__ import annotations

import re

import polars as pl

# All the ASCII punctuation CommonMark lets a backslash escape: escaping one that has no meaning is harmless,
# missing one that has (GFM tables |, strikethrough ~, Streamlit's :directives:, KaTeX $) is not.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'%/])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# GFM's autolink literals are found in the text after escapes are resolved (remark-gfm's find-and-replace on text
# nodes: "https?://", "www." and "x@y.z"), so backslashes cannot stop `http\:\/\/…` becoming a link. A word joiner
# (U+2060, invisible, no line break) after "http"/"https"/"www" and after "@" breaks those patterns.
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")
WORD_JOINER = "\u2060"


def md(text) -> str:
    """`text` as literal characters inside Markdown (never an image, link, heading, colour or formula)."""
    if text is None:
        return ""
    plain = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, _BREAKS.sub(" ", str(text)))
    return _MD_SPECIAL.sub(r"\\\1", plain)


def cell(value):
    """A value safe to write into a CSV or XLSX cell: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def frame(df: pl.DataFrame) -> pl.DataFrame:
    """`df` with `cell` applied to every text column (the others are typed and cannot hold a formula)."""
    text_cols = [c for c, t in df.schema.items() if t == pl.Utf8 or t == pl.Categorical or t == pl.Enum]
    if not text_cols:
        return df
    exprs = []
    for c in text_cols:
        col = pl.col(c).cast(pl.Utf8)
        risky = pl.any_horizontal([col.str.starts_with(p) for p in FORMULA_PREFIXES]).fill_null(False)
        exprs.append(pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(c))
    return df.with_columns(exprs)
