"""`python -m pingan.sql`: the sandbox from the command line (exit 0 with rows, 1 with the message on stderr)."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from conftest import ROOT


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pingan.sql", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_rows_as_a_table(warehouse_built):
    out = cli("select code, short_name from region where parent_code = $p order by code", "--param", "p=532900")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "code" in lines[0] and "short_name" in lines[0]
    assert any("532901" in ln and "大理市" in ln for ln in lines)
    assert len([ln for ln in lines if "5329" in ln]) == 12


def test_rows_as_csv(warehouse_built):
    out = cli("select code, population from region where code in ('530000', '532900') order by code",
              "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["code", "population"]
    assert [r[0] for r in rows[1:]] == ["530000", "532900"]
    assert all(int(r[1]) > 0 for r in rows[1:])


@pytest.mark.parametrize("sql, message", [
    ("drop table region", "已拒绝 DROP 语句"),
    ("select * from read_csv('/etc/passwd')", "/etc/passwd"),
    ("select 1; select 2", "一次只能运行一条"),
    ("", "输入为空"),
])
def test_refusal_exits_1_with_message_on_stderr(warehouse_built, sql, message):
    out = cli(sql)
    assert out.returncode == 1
    assert message in out.stderr
    assert out.stdout == ""


def test_syntax_error_carries_duckdbs_line(warehouse_built):
    out = cli("selec * from region")
    assert out.returncode == 1
    assert "SQL 语法错误" in out.stderr and 'syntax error at or near "selec"' in out.stderr
    assert "LINE 1: selec * from region" in out.stderr


def test_timeout_exits_1(warehouse_built):
    out = cli("select count(*) from range(1000000000) a, range(1000000000) b", "--time-limit", "1")
    assert out.returncode == 1 and "1 秒的时间上限" in out.stderr


def test_statement_from_stdin_and_truncation_notice(warehouse_built):
    out = cli("-", "--max-rows", "5", stdin="select * from range(12) as t(x)")
    assert out.returncode == 0, out.stderr
    assert "共 12 行,只输出了前 5 行" in out.stderr
    cells = [ln.strip("| ") for ln in out.stdout.splitlines() if ln.startswith("|")]
    assert cells == ["x", "---"] + [str(i) for i in range(5)]


def test_scope_flag_restricts_rows(warehouse_built):
    out = cli("select distinct prefecture_code from dispute_case", "--scope", "532900", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["prefecture_code", "532900"]


def test_bad_parameter_syntax(warehouse_built):
    out = cli("select $x", "--param", "x")
    assert out.returncode == 1 and "名称=值" in out.stderr
