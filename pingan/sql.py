"""Run one statement through the SQL page's sandbox from the command line.

    python -m pingan.sql "SELECT …" [--format table|csv] [--param name=value …] [--scope 532900]
                         [--time-limit S] [--max-rows N]
    echo "select 1" | python -m pingan.sql -

Exit 0 with the rows on stdout (a truncation notice on stderr), 1 with the refusal or interruption message on
stderr. The table format shows up to sandbox.DISPLAY_ROWS rows, csv up to sandbox.EXPORT_ROWS.
A csv is an export like the SQL page's: formula prefixes are quoted, it is written to the audit log as an export
by `cli:<login name>`, and its account and time stamp goes to stderr (stdout stays rows only, for pipes).
"""
from __future__ import annotations

import argparse
import getpass
import sys

import polars as pl

from . import auth, sandbox, stamped


def cli_account(scope: str) -> auth.Account:
    """Who runs the command line: the operating-system account, with a shell on the server (so every right)."""
    return auth.Account(f"cli:{getpass.getuser()}", "admin", scope, "命令行")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pingan.sql", description="在沙箱中运行一条只读 SQL 语句")
    ap.add_argument("sql", help="一条 SELECT 语句;“-”表示从标准输入读取")
    ap.add_argument("--format", choices=["table", "csv"], default="table")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="绑定参数 $NAME(可多次给出)")
    ap.add_argument("--scope", default="", help="数据范围(六位行政区划代码),默认全部")
    ap.add_argument("--time-limit", type=float, default=None,
                    help=f"时间上限,秒(不超过 {sandbox.TIME_LIMIT_S:g})")
    ap.add_argument("--max-rows", type=int, default=None, help="最多输出的行数")
    args = ap.parse_args(argv)

    text = sys.stdin.read() if args.sql == "-" else args.sql
    try:
        params = {}
        for item in args.param:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise sandbox.ParameterMissing(f"参数“{item}”应写成 名称=值。")
            params[name.strip().lstrip("$")] = sandbox.bind_value(name.strip().lstrip("$"), value)
        default_rows = sandbox.DISPLAY_ROWS if args.format == "table" else sandbox.EXPORT_ROWS
        res = sandbox.run(text, params, scope=args.scope, time_limit_s=args.time_limit,
                          row_limit=args.max_rows or default_rows, count_rows=args.format == "table")
    except sandbox.SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        flat = res.flat()
        if args.format == "csv":
            acct = cli_account(args.scope)
            sys.stdout.write(stamped.neutral(flat).write_csv())
            res.audit_export(acct, "csv", args.scope)
            print(stamped.mark(acct.username, acct.display_name, flat.height), file=sys.stderr)
        else:
            with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=1000,
                           tbl_hide_dataframe_shape=True, tbl_formatting="ASCII_MARKDOWN",
                           tbl_hide_column_data_types=True):
                print(flat)
    except BaseException as exc:  # noqa: BLE001 - polars panics (a BaseException) on some out-of-range values
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        print(f"查询已完成,但结果中有无法输出的值({type(exc).__name__}),请把该列转换为文本(::varchar)后再查询。",
              file=sys.stderr)
        return 1
    if res.truncated:
        total = f"共 {res.total_rows:,} 行," if res.total_rows is not None else ""
        print(f"结果超过 {res.row_limit:,} 行,{total}只输出了前 {res.row_limit:,} 行。", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
