"""Text a user or a file controls is shown as text and exported as text (pingan/safe.py)."""
from __future__ import annotations

import polars as pl
import pytest

from pingan import safe

HOSTILE_NAMES = [
    "![x](http://127.0.0.1:8619-img.png) **粗体**.csv",
    "[重新登录](http://127.0.0.1:8619/login).csv",
    ":red[警告] :material/home: $x^2$.xlsx",
    "# 标题\n---\n| a | b |",
    "<img src=x onerror=alert(1)>.csv",
    "`code` ~~删除~~ _斜体_ \\ back",
]


@pytest.mark.parametrize("text", HOSTILE_NAMES)
def test_md_escapes_every_markup_character(text):
    out = safe.md(text)
    assert "\n" not in out and "\r" not in out
    # every markup character is preceded by a backslash (an escaped backslash counts as its own pair)
    i = 0
    while i < len(out):
        ch = out[i]
        if ch == "\\":
            assert i + 1 < len(out), out
            i += 2
            continue
        assert ch not in "`*_{}[]()#+-.!|<>~$:=^&\"'%/", (ch, out)
        i += 1


def test_md_keeps_plain_chinese_and_digits():
    assert safe.md("大理州 2022年报表") == "大理州 2022年报表"
    assert safe.md(None) == ""


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cell_quotes_formula_prefixes(value):
    assert safe.cell(value) == "'" + value


def test_cell_leaves_plain_text_and_numbers():
    assert safe.cell("大理州") == "大理州"
    assert safe.cell(-5) == -5
    assert safe.cell(None) is None


def test_frame_quotes_text_columns_only():
    df = pl.DataFrame({"user": ["=cmd|' /C calc'!A0", "张三", None], "n": [-1, 2, 3]})
    out = safe.frame(df)
    assert out["user"].to_list() == ["'=cmd|' /C calc'!A0", "张三", None]
    assert out["n"].to_list() == [-1, 2, 3]
