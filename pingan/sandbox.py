"""The one place that runs untrusted SQL (the SQL page and `python -m pingan.sql`), like Datasette's execute().

What an analyst's statement goes through, in order:
1. the text: not empty, at most MAX_SQL_CHARS, no control or bidirectional-override characters;
2. exactly one statement, of an allowed type (SELECT, which includes DESCRIBE/SHOW/SUMMARIZE/PIVOT, or EXPLAIN of
   such a SELECT: EXPLAIN ANALYZE runs what it explains);
   DuckDB's read-only mode and locked configuration would refuse most writes anyway, but CREATE TEMP, SET
   VARIABLE, CHECKPOINT and PRAGMA would pass them, and the allow-list also gives a clear message first;
3. its `$names` bound from the caller's parameters (never pasted into the text);
4. a worker process (never the app's own), a read-only connection there with external access off and
   configuration locked (warehouse.sandbox_connection), a cursor of its own interrupted by a timer at the time
   limit, only the rows needed fetched; the app kills a worker that does not stop at limit + GRACE_S, and a
   worker's address space is capped (see "worker processes" below).

Every refusal and interruption is one named SandboxError subclass whose message is plain Chinese and says what
was refused and why; `detail` carries DuckDB's own error text where it helps (syntax errors).

Limits are caps: a caller may lower the time and row limits, never raise them. DuckDB's memory limit holds per
worker; at most MAX_WORKERS statements run at once, all users together, so a long one from one analyst never
holds up the pages (they have their own connection) and holds up at most one worker.

Region scope: `scope` '' sees the whole snapshot; a six-digit code runs against a per-scope extract that holds
only that region's rows (pingan.warehouse.scoped), so nothing outside the scope can be reached by any statement.
"""
from __future__ import annotations

import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import config, stamped, warehouse
from .warehouse import scoped

TIME_LIMIT_S = 10.0            # default and maximum time per statement, seconds
DISPLAY_ROWS = 10_000          # rows shown on the page
EXPORT_ROWS = 1_000_000        # rows in a download or the command line's CSV
XLSX_ROWS = 100_000            # an Excel file beyond this takes minutes to write: CSV or Parquet instead
MEMORY_LIMIT = "1GB"           # DuckDB operators; bigger sorts spill to a temporary folder
TEMP_SPACE_LIMIT = "1GB"       # that folder, per worker: a statement needing more stops instead of filling the disk
THREADS = 1                    # per worker: the pages keep the other core
MAX_SQL_CHARS = 100_000
MAX_RESULT_BYTES = 256 * 2**20  # what the Python side will hold for one result
COUNT_BUDGET_S = 0.5           # extra time spent counting rows past the row limit ("共 N 行")

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class SandboxError(Exception):
    """A statement the sandbox refused or interrupted; str() is the message for the user."""

    kind = "error"
    outcome = "refused"  # refused | interrupted | failed, for history

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message + (f"\n{detail}" if detail else ""))
        self.message = message
        self.detail = detail


class EmptyStatement(SandboxError):
    kind = "empty"


class StatementTooLong(SandboxError):
    kind = "too_long"


class UnreadableText(SandboxError):
    kind = "unreadable_text"


class MultipleStatements(SandboxError):
    kind = "multiple"


class StatementNotAllowed(SandboxError):
    kind = "not_allowed"


class FileAccessRefused(SandboxError):
    kind = "file_access"


class SyntaxRefused(SandboxError):
    kind = "syntax"


class ParameterMissing(SandboxError):
    kind = "parameter"


class QueryInterrupted(SandboxError):
    kind = "timeout"
    outcome = "interrupted"


class MemoryLimitExceeded(SandboxError):
    kind = "memory"
    outcome = "interrupted"


class TempSpaceExceeded(SandboxError):
    kind = "temp_space"
    outcome = "interrupted"


class ResultTooLarge(SandboxError):
    kind = "result_too_large"
    outcome = "interrupted"


class QueryFailed(SandboxError):
    kind = "failed"
    outcome = "failed"


class ServerInfoRefused(SandboxError):
    kind = "server_info"


class ScopeRefused(SandboxError):
    kind = "scope"


class WarehouseUnavailable(SandboxError):
    kind = "warehouse"
    outcome = "failed"


class SandboxBusy(SandboxError):
    kind = "busy"
    outcome = "failed"


# Why each statement type is refused; the message names the statement's own first keyword.
_REASONS = {
    "CREATE": "自助查询只读,不能创建表、视图、宏、序列或临时对象(临时表也不行)。需要中间结果请用 WITH 子查询。",
    "CREATE_FUNC": "自助查询只读,不能创建函数或宏。",
    "INSERT": "自助查询只读,不能修改数据。数据变更请通过“数据管理”页导入。",
    "UPDATE": "自助查询只读,不能修改数据。数据变更请通过“数据管理”页导入。",
    "DELETE": "自助查询只读,不能删除数据。",
    "MERGE_INTO": "自助查询只读,不能修改数据。",
    "DROP": "自助查询只读,不能删除表、视图或其他对象。",
    "ALTER": "自助查询只读,不能修改表结构。",
    "COPY": "自助查询不能读写服务器上的文件。要导出结果,请用结果下方的下载按钮。",
    "COPY_DATABASE": "自助查询不能复制数据库。",
    "EXPORT": "自助查询不能把数据库导出到服务器上的文件。要导出结果,请用结果下方的下载按钮。",
    "ATTACH": "自助查询不能挂载其他数据库或文件,只能查询数据仓库本身。",
    "DETACH": "自助查询不能卸载数据库。",
    "LOAD": "自助查询不能安装或加载扩展(INSTALL/LOAD),以免读取文件或访问网络。",
    "EXTENSION": "自助查询不能安装、更新或加载扩展。",
    "SET": "查询的设置(时间、内存上限和访问权限)已锁定,不能用 SET/RESET/PRAGMA 更改。",
    "VARIABLE_SET": "查询的设置已锁定,不能设置变量。",
    "PRAGMA": "PRAGMA 语句不在允许之列;查看表结构请用 DESCRIBE 表名 或 SELECT * FROM pragma_table_info('表名')。",
    "CALL": "CALL 和 CHECKPOINT 等语句不在允许之列;表函数请写成 SELECT * FROM 函数名(...)。",
    "TRANSACTION": "每条查询自动在只读事务中运行,不需要也不允许 BEGIN/COMMIT/ROLLBACK。",
    "PREPARE": "不需要 PREPARE:参数直接写成 $名称,在页面的参数栏填写。",
    "EXECUTE": "不需要 EXECUTE:参数直接写成 $名称,在页面的参数栏填写。",
    "VACUUM": "VACUUM/ANALYZE 是维护操作,只有管理员能执行。",
    "ANALYZE": "VACUUM/ANALYZE 是维护操作,只有管理员能执行。",
    "MULTI": "这种写法会在内部执行多条语句;PIVOT 请用 IN 写明取值,如 PIVOT 表 ON 列 IN ('a', 'b') USING count(*)。",
}
_DEFAULT_REASON = "自助查询只允许一条只读的 SELECT(含 WITH、DESCRIBE、SHOW、SUMMARIZE)或 EXPLAIN 语句。"

# Characters that make text look different from what runs: controls (except tab and newlines), bidirectional
# overrides and isolates ("Trojan Source"), and zero-width characters inside words.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff")
_FULLWIDTH_HINT = re.compile(r"[\uff01-\uff5e\u3000\u3001\u3002\u201c\u201d\u2018\u2019]")


@dataclass
class Result:
    """The first rows of a statement's result, and how they were cut."""

    frame: pl.DataFrame
    columns: list[str]
    types: list[str]          # DuckDB's type names
    truncated: bool           # more rows exist than `row_limit`
    total_rows: int | None    # all rows, when counting them was cheap; None when unknown
    elapsed_s: float
    row_limit: int
    time_limit_s: float
    sql: str
    params: dict

    @property
    def rows(self) -> list[tuple]:
        return self.frame.rows()

    def flat(self) -> pl.DataFrame:
        """The rows with nested values (lists, structs, maps) and bytes as JSON text, for CSV, Excel and print."""
        out = []
        for s in self.frame.iter_columns():
            if s.dtype.is_nested() or s.dtype == pl.Binary or s.dtype == pl.Object:
                s = pl.Series(s.name, [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                       for v in s.to_list()], dtype=pl.Utf8)
            out.append(s)
        return pl.DataFrame(out) if out else self.frame

    def export(self, fmt: str, stamp: str) -> bytes:
        """The rows as a file stamped with `stamp` (`stamped.mark`): csv (UTF-8 with BOM, for Excel), xlsx or
        parquet (which keeps nested types); text that a spreadsheet would run as a formula is quoted."""
        if fmt == "csv":
            return stamped.csv(self.flat(), stamp)
        if fmt == "xlsx":
            if self.frame.height > XLSX_ROWS:
                raise ValueError(f"xlsx export is limited to {XLSX_ROWS} rows")
            return stamped.xlsx(self.flat(), stamp, worksheet="结果", autofit=self.frame.height <= 10_000)
        if fmt == "parquet":
            return stamped.parquet(self.frame, stamp)
        raise ValueError(f"unknown export format: {fmt}")

    def export_for(self, fmt: str, account, scope: str) -> bytes:
        """The stamped file for `account` (an auth.Account with the export permission), audited (`audit_export`)."""
        stamped.require(account)
        data = self.export(fmt, stamped.mark(account.username, account.display_name, self.frame.height))
        self.audit_export(account, fmt, scope)
        return data

    def audit_export(self, account, fmt: str, scope: str) -> None:
        """The export event of these rows: SQL, rows, format, the statement's SHA-256 and the region scope."""
        stamped.audit_export(account.username, account.role, "SQL", self.frame.height, fmt,
                             sql_sha256=stamped.sql_digest(self.sql), scope=scope or "全部", truncated=self.truncated)


# ---------------------------------------------------------------------------------------------------- checks

def check_text(sql) -> str:
    """The statement text, refused when empty, too long or carrying characters that hide what runs."""
    if not isinstance(sql, str) or not sql.strip():
        raise EmptyStatement("没有可运行的语句:输入为空。请输入一条 SELECT 语句。")
    if len(sql) > MAX_SQL_CHARS:
        raise StatementTooLong(f"已拒绝:语句长 {len(sql):,} 个字符,超过 {MAX_SQL_CHARS:,} 个字符的上限。"
                               "请缩短语句(大量取值请改用关联或条件)。")
    if sql.startswith("\ufeff"):  # a byte-order mark pasted from a file: harmless, drop it
        sql = sql[1:]
    for pos, ch in enumerate(sql):
        if ch in "\t\n\r":
            continue
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise UnreadableText(f"已拒绝:第 {pos + 1} 个字符是无效的 Unicode 代理字符,无法编码。请重新输入这一段。")
        if ch in _BIDI:
            raise UnreadableText(f"已拒绝:第 {pos + 1} 个字符是文字方向控制符 U+{ord(ch):04X},它会让语句显示的"
                                 "样子和实际运行的不同。请删除它(可能来自复制粘贴)。")
        if ch in _ZERO_WIDTH:
            raise UnreadableText(f"已拒绝:第 {pos + 1} 个字符是零宽字符 U+{ord(ch):04X},看不见却会改变语句。"
                                 "请删除它(可能来自复制粘贴)。")
        if cat in ("Cc", "Cf"):
            raise UnreadableText(f"已拒绝:第 {pos + 1} 个字符是不可见的控制字符 U+{ord(ch):04X}。请删除它。")
    if not sql.strip():
        raise EmptyStatement("没有可运行的语句:输入为空。请输入一条 SELECT 语句。")
    return sql


def _first_keyword(text: str) -> str:
    body = re.sub(r"(--[^\n]*\n?|/\*.*?\*/|\s+)", " ", text, flags=re.S).strip()
    word = re.match(r"[A-Za-z_]+", body)
    return word.group(0).upper() if word else "该"


def check(sql) -> duckdb.Statement:
    """Parse and refuse: the one statement to run, or a SandboxError saying what was refused and why."""
    text = check_text(sql)
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.ParserException as exc:
        raise _syntax(text, exc) from None
    except (ValueError, duckdb.Error) as exc:
        raise StatementNotAllowed(f"已拒绝 {_first_keyword(text)} 语句:{_DEFAULT_REASON}", str(exc)) from None
    if not statements:
        raise EmptyStatement("没有可运行的语句:输入只有注释或空白。请输入一条 SELECT 语句。")
    if len(statements) > 1:
        kinds = "、".join(_first_keyword(s.query) for s in statements[:5])
        raise MultipleStatements(f"已拒绝:输入含 {len(statements)} 条语句({kinds}),一次只能运行一条。"
                                 "请删掉多余的语句和中间的分号。")
    stmt = statements[0]
    try:
        kind = stmt.type
    except ValueError:  # a statement type the Python API cannot name (UPDATE EXTENSIONS)
        kind = None
    if kind not in ALLOWED:
        reason = _REASONS.get(kind.name, _DEFAULT_REASON) if kind is not None else _DEFAULT_REASON
        raise StatementNotAllowed(f"已拒绝 {_first_keyword(stmt.query)} 语句:{reason}")
    if kind == duckdb.StatementType.EXPLAIN:
        _check_explained(stmt.query)
    _check_server_info(stmt.query)
    return stmt


# What would show the server's own paths and configuration (the state folder, the snapshot's file, the temporary
# and secrets folders, the home folder, environment variables): table functions, the catalog views over them and
# scalar functions. Refused by name on DuckDB's own tokens, so quoting, case and catalog prefixes do not matter.
SERVER_INFO = frozenset({
    "duckdb_settings", "pg_settings", "current_setting", "duckdb_databases", "pragma_database_list",
    "duckdb_extensions", "duckdb_temporary_files", "duckdb_secrets", "duckdb_secret_types", "which_secret",
    "duckdb_memory", "duckdb_logs", "duckdb_log_contexts", "duckdb_external_file_cache", "duckdb_profiling_settings",
    "getenv", "pragma_user_agent", "pragma_platform", "json_execute_serialized_sql",
})
# Table functions that run SQL or read a table named in text: their text is checked like the statement itself,
# and refused when it is not written out as a plain literal (query('select ' || …) builds a name we cannot see).
_TEXT_RUNNERS = {"query": "statement", "query_table": "table"}
_SERVER_INFO_MESSAGE = "已拒绝:自助查询不提供服务器配置信息({name} 会显示服务器上的路径或设置)。查看表和列请用“表结构”或 DESCRIBE 表名。"


@lru_cache(maxsize=1)
def _setting_names() -> frozenset[str]:
    """DuckDB's setting names: `SHOW temp_directory` answers with the setting's value."""
    con = warehouse.memory()
    try:
        return frozenset(n.lower() for (n,) in con.execute("select name from duckdb_settings()").fetchall())
    finally:
        con.close()


def _name(word: str) -> str:
    return word.strip('"').lower()


def _check_server_info(text: str) -> None:
    """Refuse statements that would read the server's configuration or paths (see SERVER_INFO)."""
    tokens = _tokens(text)
    idents = (duckdb.token_type.identifier, duckdb.token_type.keyword)
    for i, (_, word, kind) in enumerate(tokens):
        if kind not in idents:
            continue
        name = _name(word)
        if name in SERVER_INFO:
            raise ServerInfoRefused(_SERVER_INFO_MESSAGE.format(name=name))
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if name == "show" and following and following[2] in idents and _name(following[1]) in _setting_names():
            raise ServerInfoRefused(_SERVER_INFO_MESSAGE.format(name=f"SHOW {_name(following[1])}"))
        if name in _TEXT_RUNNERS and following and following[1] == "(":
            _check_text_runner(name, tokens[i + 2:])


def _check_text_runner(name: str, rest: list) -> None:
    depth, literals = 1, []
    for _, word, kind in rest:
        if kind == duckdb.token_type.operator:
            depth += word.count("(") - word.count(")")
            if depth <= 0:
                break
            if word.strip("()[],") == "":
                continue
        elif kind == duckdb.token_type.string_const and word.startswith("'") and word.endswith("'"):
            literals.append(word[1:-1].replace("''", "'"))
            continue
        elif kind == duckdb.token_type.keyword and word.lower() in ("true", "false"):
            continue
        raise StatementNotAllowed(f"已拒绝 {name}():它把文字当作语句或表名执行,文字必须直接写成 '…'(不能拼接或计算)。"
                                  "也可以直接写出这条查询。")
    for literal in literals:
        if _TEXT_RUNNERS[name] == "statement":
            _check_server_info(literal)
        elif _name(literal.split(".")[-1]) in SERVER_INFO:
            raise ServerInfoRefused(_SERVER_INFO_MESSAGE.format(name=_name(literal.split(".")[-1])))


def _check_explained(text: str) -> None:
    """EXPLAIN ANALYZE runs the statement it explains: that statement must itself be an allowed SELECT."""
    inner = _explained(text)
    try:
        statements = duckdb.extract_statements(inner) if inner is not None else []
        kind = statements[0].type if len(statements) == 1 else None
    except (ValueError, duckdb.Error):
        kind = None
    if kind != duckdb.StatementType.SELECT:  # fail closed: what cannot be named is not explained
        what = _first_keyword(inner) if inner else "该"
        reason = _REASONS.get(kind.name, _DEFAULT_REASON) if kind is not None else _DEFAULT_REASON
        raise StatementNotAllowed(f"已拒绝 EXPLAIN {what} 语句:EXPLAIN 只能解释 SELECT 查询(EXPLAIN ANALYZE 会真正执行"
                                  f"被解释的语句)。{reason}")


def _tokens(text: str) -> list[tuple[int, str, object]]:
    """DuckDB's own tokens of the text, comments left out: (position, text, token type)."""
    found = duckdb.tokenize(text)
    ends = [pos for pos, _ in found[1:]] + [len(text)]
    return [(pos, text[pos:end].strip(), kind) for (pos, kind), end in zip(found, ends)
            if kind != duckdb.token_type.comment]


def _explained(text: str) -> str | None:
    """The statement after EXPLAIN, an optional ANALYZE and an optional (option, …) list; None if there is none."""
    tokens = [(pos, word.lower()) for pos, word, _ in _tokens(text)]
    if not tokens or tokens[0][1] != "explain":
        return None
    i = 1
    if i < len(tokens) and tokens[i][1] in ("analyze", "analyse"):
        i += 1
    if i < len(tokens) and tokens[i][1].startswith("("):
        depth = 0
        while i < len(tokens):
            depth += tokens[i][1].count("(") - tokens[i][1].count(")")
            i += 1
            if depth <= 0:
                break
    return text[tokens[i][0]:] if i < len(tokens) else None


def _syntax(text: str, exc: Exception) -> SyntaxRefused:
    return SyntaxRefused("SQL 语法错误,语句没有运行。" + _fullwidth_hint(text) + "DuckDB 的提示如下:", str(exc).strip())


def _fullwidth_hint(text: str) -> str:
    if _FULLWIDTH_HINT.search(_outside_strings(text)):
        return "语句中有全角标点或字母(如 \uff0c \uff1b \uff08 \uff53),SQL 只认半角字符,请改为半角。"
    return ""


def _outside_strings(text: str) -> str:
    """The statement without its string literals and comments (where full-width characters are fine)."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def parameters(sql: str) -> list[str]:
    """The statement's $names, in order of first use (empty when the text does not parse)."""
    try:
        text = check_text(sql)
        statements = duckdb.extract_statements(text)
    except (SandboxError, ValueError, duckdb.Error):
        return []
    if len(statements) != 1:
        return []
    names = statements[0].named_parameters
    order = re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", statements[0].query)
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))


DATE_NAMES = re.compile(r"^(start|end|as_of|.*_(start|end|date|day))$")
INT_NAMES = re.compile(r"^(year|limit|top|n|.*_(year|rank|rows|count|days|months|n))$")
FLOAT_NAMES = re.compile(r"^.*_(deg|pct|share|rate|ratio|km|km2)$")
TEXT_NAMES = re.compile(r"^(.*region.*|parent|category|channel|indicator|domain|level|phase|source|"
                        r".*_(code|level|name|type|phase|source))$")


def param_kind(name: str) -> str:
    """How the page asks for a parameter: date, int, float or text (by the name's convention in queries/)."""
    if DATE_NAMES.match(name):
        return "date"
    if INT_NAMES.match(name):
        return "int"
    if FLOAT_NAMES.match(name):
        return "float"
    return "text"


def bind_value(name: str, raw):
    """A form's value for `$name` as the type the statement expects; text that looks numeric stays text for
    names that hold codes (a region code '530000' must compare with a VARCHAR column)."""
    if not isinstance(raw, str):
        return raw
    kind = param_kind(name)
    value = raw.strip()
    try:
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        expected = {"date": "日期(如 2022-12-31)", "int": "整数", "float": "数字"}[kind]
        raise ParameterMissing(f"参数 ${name} 的值“{value[:40]}”不是{expected}。") from None
    if kind == "text" and not TEXT_NAMES.match(name) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return raw


def _bind(stmt: duckdb.Statement, params: dict | None) -> dict:
    params = params or {}
    missing = sorted(n for n in stmt.named_parameters if n not in params or params[n] is None)
    if missing:
        names = "、".join(f"${n}" for n in missing)
        raise ParameterMissing(f"语句用到参数 {names},但没有给出它们的值。请在参数栏填写后再运行。")
    bound = {}
    for name in stmt.named_parameters:
        value = params[name]
        if not isinstance(value, (str, int, float, bool, date, datetime)):
            raise ParameterMissing(f"参数 ${name} 的值类型 {type(value).__name__} 不受支持,请填写文字、数字或日期。")
        bound[name] = value
    return bound


# ---------------------------------------------------------------------------------------------- files

def _unscoped_path() -> Path:
    """The sandbox's own name for the current snapshot (warehouse.sandbox_link says why it has one)."""
    try:
        return warehouse.sandbox_link()
    except warehouse.WarehouseMissing:
        raise WarehouseUnavailable("数据仓库尚未构建,暂时不能查询。请稍后再试或联系管理员。") from None


def database_path(scope: str = "") -> Path:
    """The file a scope's statements run against: the snapshot (''), or the scope's extract."""
    if not scope:
        return _unscoped_path()
    try:
        return scoped.extract_path(scope)
    except scoped.ScopeUnknown as exc:
        raise ScopeRefused(f"已拒绝:账号的数据范围“{scope[:20]}”无效({exc}),不能查询。请联系管理员。") from None
    except warehouse.WarehouseMissing:
        raise WarehouseUnavailable("数据仓库尚未构建,暂时不能查询。请稍后再试或联系管理员。") from None


# ------------------------------------------------------------------------------------------------- running

def run(sql: str, params: dict | None = None, *, scope: str = "", time_limit_s: float | None = None,
        row_limit: int = DISPLAY_ROWS, count_rows: bool = True) -> Result:
    """Run one untrusted statement within the limits; raise a SandboxError when refused or interrupted."""
    limit_s = TIME_LIMIT_S if time_limit_s is None else min(float(time_limit_s), TIME_LIMIT_S)
    if limit_s <= 0:
        raise ValueError("time_limit_s must be positive")
    row_limit = max(1, min(int(row_limit), EXPORT_ROWS))
    stmt = check(sql)
    bound = _bind(stmt, params)
    request = {"kind": "run", "path": str(database_path(scope)), "sql": stmt.query, "params": bound,
               "row_limit": row_limit, "limit_s": limit_s, "count_rows": count_rows, "scope": scope}
    started = time.perf_counter()
    header, table = _call(request, limit_s)
    elapsed = time.perf_counter() - started
    frame = _to_polars(table)
    return Result(frame, frame.columns, header["types"], header["truncated"], header["total"], elapsed, row_limit,
                  limit_s, stmt.query, bound)


def export(sql: str, params: dict | None = None, *, scope: str = "", time_limit_s: float | None = None) -> Result:
    """The same statement with the export row limit (up to EXPORT_ROWS rows)."""
    return run(sql, params, scope=scope, time_limit_s=time_limit_s, row_limit=EXPORT_ROWS, count_rows=False)


# -------------------------------------------------------------------------------------------- worker processes
#
# Statements run in worker processes, never in the app's own. The time limit is first a DuckDB interrupt on the
# statement's cursor (a Timer inside the worker), which stops almost everything on time; but a single huge
# scalar call such as `select len(range(0, 300000000))` is not interruptible and allocates outside DuckDB's
# memory limit (measured: 40 s past a 2 s interrupt, 11 GB). So the app waits GRACE_S more and then kills the
# worker, and a worker's address space is capped at WORKER_MEMORY, so such a call fails at once instead.

GRACE_S = 2.0              # after the time limit, before the kill
WORKER_MEMORY = 4 * 2**30  # a worker's address space: ~1.4 GB of libraries, DuckDB's 1 GB, the result
MAX_WORKERS = 2            # statements at once, all analysts together; more wait for a free worker
START_TIMEOUT_S = 60.0
WORKER_IDLE_S = 600.0      # a worker left idle this long exits (also ends workers of a reloaded module)

_pool = threading.Condition()
_idle: list["_Worker"] = []
_busy = 0       # workers running a statement
_starting = 0   # workers being started in the background by warm()


class _Worker:
    """One worker process (`python -c` running _worker_entry) and the socket to it.

    Started with subprocess rather than multiprocessing's spawn, which re-imports the parent's __main__
    (Streamlit's launcher, pytest, a `python -c` …) in the child.
    """

    def __init__(self):
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PINGAN_STATE_DIR=str(config.state_dir()),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(config.ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"from pingan.sandbox import _worker_entry; _worker_entry({theirs.fileno()})"],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.last_used = time.monotonic()
        if not self.conn.poll(START_TIMEOUT_S):
            self.kill()
            raise SandboxBusy("查询进程没有按时启动,请稍后再试。")
        try:
            self.conn.recv()  # "ready"
        except (EOFError, OSError):
            self.kill()
            raise WarehouseUnavailable("查询进程无法启动,请联系管理员查看服务器日志。") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


def warm() -> None:
    """Start a worker in the background unless one is idle, so the next statement need not wait for it."""
    global _starting
    with _pool:
        if _idle or _busy + _starting >= MAX_WORKERS:
            return
        _starting += 1
    threading.Thread(target=_start_idle, daemon=True, name="pingan-sandbox-warm").start()


def _start_idle() -> None:
    global _starting
    try:
        worker = _Worker()
    except SandboxError:
        worker = None
    with _pool:
        _starting -= 1
        if worker is not None:
            worker.last_used = time.monotonic()
            _idle.append(worker)
        _pool.notify_all()


def _acquire(wait_s: float) -> _Worker:
    global _busy
    deadline = time.monotonic() + wait_s
    with _pool:
        while True:
            while _idle:
                worker = _idle.pop()
                # one about to time out by itself is retired here, not handed a statement it would drop
                if worker.alive() and time.monotonic() - worker.last_used < WORKER_IDLE_S - 30:
                    _busy += 1
                    return worker
                worker.kill()
            if _busy + _starting < MAX_WORKERS:
                _busy += 1
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxBusy(f"同时运行的查询已达 {MAX_WORKERS} 条,等待 {wait_s:g} 秒仍没有空闲,请稍后再试。")
            _pool.wait(remaining)
    try:
        return _Worker()  # outside the lock: starting a process takes a moment
    except BaseException:
        with _pool:
            _busy -= 1
            _pool.notify_all()
        raise


def _release(worker: _Worker, healthy: bool) -> None:
    global _busy
    with _pool:
        _busy -= 1
        if healthy and worker.alive():
            worker.last_used = time.monotonic()
            _idle.append(worker)
        _pool.notify_all()
    if not (healthy and worker.alive()):
        worker.kill()
        warm()  # replace it now rather than when the next statement arrives


def _call(request: dict, limit_s: float) -> tuple[dict, pa.Table]:
    """Send one request to a worker; its reply, or the SandboxError it raised, or an interruption."""
    worker = _acquire(wait_s=TIME_LIMIT_S + GRACE_S)
    healthy = False
    try:
        worker.conn.send(request)
        if not worker.conn.poll(limit_s + GRACE_S):
            raise QueryInterrupted(f"查询运行超过 {limit_s:g} 秒的时间上限,没有响应中止请求,已强制结束。"
                                   "请避免一次生成极大的列表或字符串(如 range(0, 300000000))。")
        header = worker.conn.recv()
        payload = worker.conn.recv_bytes() if header.get("payload") else b""
        healthy = True
    except (EOFError, OSError):
        raise MemoryLimitExceeded("查询进程在运行中退出(多半是内存耗尽:单个查询进程至多可用 "
                                  f"{WORKER_MEMORY // 2**30} GB),查询已中止。请先筛选或聚合,减少一次处理的数据量。"
                                  ) from None
    finally:
        # a worker that ran out of memory keeps its address space fragmented: replace it rather than reuse it
        spent = healthy and header.get("error", ("",))[0] in ("MemoryLimitExceeded", "ResultTooLarge")
        _release(worker, healthy and not spent)
    if "error" in header:
        name, message, detail = header["error"]
        cls = globals().get(name)
        if not (isinstance(cls, type) and issubclass(cls, SandboxError)):
            cls = QueryFailed
        raise cls(message, detail)
    table = pa.ipc.open_stream(payload).read_all() if payload else pa.table({})
    return header, table


def _worker_entry(fd: int) -> None:
    _worker_main(Connection(fd))


def _worker_main(conn: Connection) -> None:
    """A worker: serve requests from the app until the socket closes."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ValueError, OSError):
        pass  # a platform without address-space limits still has the kill on time
    conns: dict[str, duckdb.DuckDBPyConnection] = {}
    watchdog = _Watchdog()
    conn.send("ready")
    while True:
        try:
            if not conn.poll(WORKER_IDLE_S):
                return  # idle: give the memory back; the app starts another when needed
            request = conn.recv()
        except (EOFError, OSError):
            return
        payload = b""
        try:
            header, table = _serve(request, conns, watchdog)
            if table is not None:
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table)
                payload = sink.getvalue().to_pybytes()
                header["payload"] = True
        except SandboxError as exc:
            header = {"error": (type(exc).__name__, exc.message, exc.detail)}
        except MemoryError:
            header = {"error": ("MemoryLimitExceeded", f"结果所需内存超过查询进程 {WORKER_MEMORY // 2**30} GB 的上限,"
                                "已中止。请少选列或先聚合。", "")}
        except Exception as exc:  # noqa: BLE001 - whatever else goes wrong is reported, the worker lives on
            failed = _without_server_paths(QueryFailed("查询无法执行:", f"{type(exc).__name__}: {exc}"))
            header = {"error": ("QueryFailed", failed.message, failed.detail)}
        conn.send(header)
        if payload:
            conn.send_bytes(payload)


def _worker_connection(conns: dict, path: str) -> duckdb.DuckDBPyConnection:
    con = conns.get(path)
    if con is None:
        for old in [k for k in conns if Path(k).parent == Path(path).parent]:
            conns.pop(old).close()  # a replaced snapshot's extract or link: this worker is its only reader
        con = warehouse.sandbox_connection(Path(path), memory_limit=MEMORY_LIMIT, threads=THREADS,
                                           temp_space_limit=TEMP_SPACE_LIMIT)
        conns[path] = con
    return con


class _Watchdog:
    """The worker's one timer thread: interrupts the running statement's cursor at its deadline.

    One thread for the worker's life rather than a threading.Timer per statement: starting a thread needs
    address space for its stack, which a worker near WORKER_MEMORY may no longer have."""

    def __init__(self):
        self._cond = threading.Condition()
        self._cursor = None
        self._deadline: float | None = None
        self.fired = False
        threading.Thread(target=self._loop, daemon=True, name="pingan-sandbox-watchdog").start()

    def arm(self, cursor, seconds: float) -> None:
        with self._cond:
            self._cursor, self._deadline, self.fired = cursor, time.monotonic() + seconds, False
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._cursor = self._deadline = None
            self._cond.notify()

    def _loop(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                try:
                    self._cursor.interrupt()
                except duckdb.Error:
                    pass  # the statement finished between the deadline and this call
                self.fired = True
                self._deadline = None


def _serve(request: dict, conns: dict, watchdog: _Watchdog) -> tuple[dict, pa.Table | None]:
    con = _worker_connection(conns, request["path"])
    if request["kind"] == "schema":
        return {}, _catalog(con)
    if request["kind"] == "diagnostics":
        return {}, _diagnostics(con)
    stmt = check(request["sql"])  # again, inside the worker: it never runs what the checks refuse
    limit_s = min(float(request["limit_s"]), TIME_LIMIT_S)
    cur = con.cursor()
    started = time.perf_counter()
    watchdog.arm(cur, limit_s)
    try:
        table, truncated, total, types = _fetch(cur, stmt.query, request["params"], int(request["row_limit"]),
                                                limit_s, started, bool(request["count_rows"]))
    except duckdb.Error as exc:
        raise _without_server_paths(_translate(exc, watchdog.fired, limit_s, request["scope"], stmt.query)) from None
    finally:
        watchdog.disarm()
        cur.close()
    return {"types": types, "truncated": truncated, "total": total}, table


def _fetch(cur, query: str, params: dict, row_limit: int, limit_s: float, started: float, count_rows: bool):
    rel = cur.sql(query, params=params or None)
    if rel is None:  # not a query that yields rows (cannot happen for SELECT/EXPLAIN, but never trust it)
        return pa.table({}), False, 0, []
    types = [str(t) for t in rel.types]
    reader = rel.to_arrow_reader(batch_size=min(row_limit + 1, 100_000))
    batches, n, held, extra = [], 0, 0, 0
    truncated = False
    for batch in reader:
        take = min(batch.num_rows, row_limit - n)
        if take < batch.num_rows:
            truncated = True
        if take > 0:
            part = batch.slice(0, take)
            batches.append(part)
            n += take
            held += part.nbytes
            if held > MAX_RESULT_BYTES:
                raise ResultTooLarge(f"结果过大:前 {n:,} 行已超过 {MAX_RESULT_BYTES // 2**20} MB,已中止。"
                                     "请少选列、截短长文本,或先聚合。")
        if truncated:
            extra = batch.num_rows - take
            break
    total = n if not truncated else None
    if truncated and count_rows:
        # Count what is left, batch by batch, without keeping it, while it stays cheap.
        budget_end = min(time.perf_counter() + COUNT_BUDGET_S, started + limit_s * 0.9)
        counted = n + extra
        done = True
        for batch in reader:
            counted += batch.num_rows
            if time.perf_counter() > budget_end:
                done = False
                break
        total = counted if done else None
    schema = reader.schema
    table = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    return table, truncated, total, types


def _to_polars(table: pa.Table) -> pl.DataFrame:
    """A polars frame of the rows: distinct column names, plain integers and floats for DuckDB's HUGEINT and
    DECIMAL sums, and text for the few arrow types polars cannot hold (intervals, unions …)."""
    series = []
    for col, name in zip(table.columns, _unique_names(table.column_names)):
        col = _in_python_range(col)
        try:
            s = pl.Series(name, col)
        except Exception:  # noqa: BLE001 - whatever polars refuses is shown as text
            s = pl.Series(name, [None if v is None else str(v) for v in col.to_pylist()], dtype=pl.Utf8)
        if isinstance(s.dtype, pl.Decimal):
            s = s.cast(pl.Int64 if (s.dtype.scale or 0) == 0 else pl.Float64, strict=False)
        elif s.dtype in (pl.Int128, pl.UInt128):
            s = s.cast(pl.Int64, strict=False)
        series.append(s)
    return pl.DataFrame(series)


_EPOCH = datetime(1970, 1, 1)
_DAYS_MIN, _DAYS_MAX = -719_162, 2_932_896  # 0001-01-01 and 9999-12-31, days since 1970
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _in_python_range(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates and timestamps beyond year 1-9999 ('infinity'::date, say) as text: polars and Python cannot hold
    them. In-range values keep their ISO form."""
    t = col.type
    if pa.types.is_date32(t):
        per_day, unit = 1, None
    elif pa.types.is_timestamp(t):
        per_day, unit = _PER_DAY[t.unit], t.unit
    else:
        return col
    ints = col.cast(pa.int32() if unit is None else pa.int64())
    lo, hi = pc.min_max(ints).values()
    if lo.as_py() is None or (_DAYS_MIN <= lo.as_py() // per_day and hi.as_py() // per_day <= _DAYS_MAX):
        return col
    out = []
    for v in ints.to_pylist():
        if v is None:
            out.append(None)
        elif v // per_day > _DAYS_MAX:
            out.append("infinity")
        elif v // per_day < _DAYS_MIN:
            out.append("-infinity")
        elif unit is None:
            out.append((_EPOCH + timedelta(days=v)).date().isoformat())
        else:
            out.append((_EPOCH + timedelta(microseconds=v * 1_000_000 // (per_day // 86_400))).isoformat(" "))
    return pa.chunked_array([pa.array(out, pa.string())])


def _unique_names(names: list[str]) -> list[str]:
    """`select 1 as a, 2 as a` is valid SQL; a frame needs distinct names (a, a_2)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0) + 1
        seen[name] = k
        out.append(name if k == 1 else f"{name}_{k}")
    return out


_TABLE_MISSING = re.compile(r'Table with name (.+?) does not exist')
_FILE = re.compile(r'Cannot access (?:file|directory) "([^"]*)"')
_LOOKS_LIKE_PATH = re.compile(r"[/\\~]|\.(csv|tsv|txt|json|ndjson|jsonl|parquet|xlsx?|db|duckdb|sqlite|gz|zst)$",
                              re.I)


def _without_server_paths(exc: SandboxError) -> SandboxError:
    """The same error with the app's and the state folder's paths (which DuckDB's messages may name) left out."""
    paths = sorted({str(config.state_dir()), str(config.state_dir().resolve()), str(config.ROOT)}, key=len, reverse=True)
    message, detail = exc.message, exc.detail
    for path in paths:
        message, detail = message.replace(path, "<服务器目录>"), detail.replace(path, "<服务器目录>")
    if (message, detail) == (exc.message, exc.detail):
        return exc
    return type(exc)(message, detail)


def _translate(exc: duckdb.Error, timed_out: bool, limit_s: float, scope: str, query: str) -> SandboxError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, duckdb.InterruptException) or timed_out:
        return QueryInterrupted(f"查询运行超过 {limit_s:g} 秒的时间上限,已中止。请缩小范围(加 WHERE 条件、先聚合再关联),"
                                "或避免没有关联条件的笛卡尔积。")
    if isinstance(exc, duckdb.OutOfMemoryException) and "max_temp_directory_size" in text:
        return TempSpaceExceeded(f"查询需要的临时空间超过上限 {TEMP_SPACE_LIMIT},已中止。请先筛选或聚合,减少排序、关联或去重"
                                 "的数据量。")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return MemoryLimitExceeded(f"查询所需内存超过 {MEMORY_LIMIT} 的上限,已中止。请先筛选或聚合,减少一次处理的数据量"
                                   "(如 list()、string_agg() 汇总全表)。", first)
    if isinstance(exc, duckdb.PermissionException):
        m = _FILE.search(text)
        what = f"“{m.group(1)}”" if m else ""
        return FileAccessRefused(f"已拒绝读取或写入文件{what}:自助查询只能查询数据仓库里的表,不能访问服务器上的文件、"
                                 "目录或网络,也不能加载扩展。", first)
    if isinstance(exc, duckdb.ParserException):
        return _syntax(query, exc)
    m = _TABLE_MISSING.search(text)
    if m and _LOOKS_LIKE_PATH.search(m.group(1)):
        return FileAccessRefused(f"已拒绝把文件或网址 {m.group(1)} 当作表读取:自助查询只能查询数据仓库里的表,"
                                 "不能访问服务器上的文件或网络。")
    if m:
        where = "本账号数据范围内" if scope else "数据仓库中"
        return QueryFailed(f"{where}没有名为 {m.group(1)} 的表。可用的表见“表结构”。", text)
    if isinstance(exc, duckdb.InvalidInputException) and "read-only mode" in text:
        return StatementNotAllowed("已拒绝:自助查询只读,不能修改数据。", first)
    if isinstance(exc, duckdb.InvalidInputException) and "configuration has been locked" in text:
        return StatementNotAllowed("已拒绝:查询的设置已锁定,不能更改。", first)
    return QueryFailed("查询无法执行。" + _fullwidth_hint(query) + "DuckDB 报告的错误如下:", text)


# --------------------------------------------------------------------------------------------- schema

DESCRIPTIONS_CSV = config.REFERENCE_DIR / "columns.csv"

# The statement the SQL page opens with: a typical aggregation, by the pages' rules (disputes_summary): the monthly
# rollup, imported reports first (dispute_month.counts_from_rank against the province rank), a blank stage unknown.
STARTER_SQL = """-- 各省矛盾纠纷化解成功率(化解成功 ÷ 排查登记,按登记日期归入期间;与页面同一口径:
-- 读月度汇总 dispute_month,导入的汇总报表优先于它所覆盖的案件记录,报表未填的环节为未知)
select
    r.short_name as province,
    case when count(*) filter (where m.identified is null) = 0
        then cast(sum(m.identified) as bigint) end as identified_cases,
    case when count(*) filter (where m.resolved is null) = 0
        then cast(sum(m.resolved) as bigint) end as resolved_cases,
    case when count(*) filter (where m.identified is null or m.resolved is null) = 0
        then round(100.0 * sum(m.resolved) / nullif(sum(m.identified), 0), 2) end as success_rate_pct
from dispute_month as m
join region as r on r.code = m.province_code
join place_level as k on k.level = 'province'
where m.month >= $start
    and m.month_end <= $end
    and (m.counts_from_rank <= k.rank or m.cover_start < $start or m.cover_end > $end)
group by r.short_name
order by success_rate_pct desc nulls last
"""


@lru_cache(maxsize=1)
def descriptions() -> dict[tuple[str, str], str]:
    """Chinese descriptions of tables ((table, '')) and columns ((table, column)) from columns.csv."""
    df = pl.read_csv(DESCRIPTIONS_CSV, infer_schema=False).fill_null("")
    return {(t, c): d for t, c, d in df.iter_rows()}


def schema(scope: str = "") -> pl.DataFrame:
    """Tables and views the scope can query: one row per column, with type, descriptions and row count."""
    return _schema(str(database_path(scope)))


@lru_cache(maxsize=16)
def _schema(path: str) -> pl.DataFrame:
    """Cached per file: a snapshot or extract never changes once written."""
    _, table = _call({"kind": "schema", "path": path}, TIME_LIMIT_S)
    cols = pl.from_arrow(table)
    desc = descriptions()
    return cols.with_columns(
        pl.struct("table_name", "column_name").map_elements(
            lambda r: desc.get((r["table_name"], r["column_name"]), ""), return_dtype=pl.Utf8).alias("description"),
        pl.col("table_name").map_elements(lambda t: desc.get((t, ""), ""), return_dtype=pl.Utf8)
        .alias("table_description"),
    )


DIAGNOSED_SETTINGS = ("enable_external_access", "lock_configuration", "threads", "memory_limit",
                     "max_temp_directory_size", "temp_directory")


def worker_diagnostics(scope: str = "") -> dict:
    """What a worker's connection for `scope` is set to and which files it has open, for the app and its tests
    (untrusted SQL may not ask: see SERVER_INFO)."""
    _, table = _call({"kind": "diagnostics", "path": str(database_path(scope))}, TIME_LIMIT_S)
    rows = table.to_pylist()
    return {"settings": {r["name"]: r["value"] for r in rows if r["kind"] == "setting"},
            "databases": [r["value"] for r in rows if r["kind"] == "database"]}


def _diagnostics(con: duckdb.DuckDBPyConnection) -> pa.Table:
    cur = con.cursor()
    try:
        return cur.sql("""
            select 'setting' as kind, name, value from duckdb_settings() where list_contains($names, name)
            union all
            select 'database', database_name, path from duckdb_databases() where path is not null
        """, params={"names": list(DIAGNOSED_SETTINGS)}).to_arrow_table()
    finally:
        cur.close()


def _catalog(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """In a worker: every column of every table and view, with its table's row count."""
    cur = con.cursor()
    try:
        cols = cur.sql("""
            select c.table_name, t.kind, c.column_name, c.data_type, c.column_index
            from duckdb_columns() as c
            join (
                select table_name, 'table' as kind from duckdb_tables()
                where database_name = current_database() and schema_name = 'main'
                union all
                select view_name, 'view' from duckdb_views()
                where database_name = current_database() and schema_name = 'main' and not internal
            ) as t using (table_name)
            where c.database_name = current_database() and c.schema_name = 'main'
            order by c.table_name, c.column_index
        """).to_arrow_table()
        counts = {}
        for name in dict.fromkeys(cols.column("table_name").to_pylist()):
            # counting a DuckDB table reads its metadata, not its rows; names come from the catalog, quoted
            counts[name] = cur.execute(f'select count(*) from "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
    finally:
        cur.close()
    rows = pa.array([counts[t] for t in cols.column("table_name").to_pylist()], pa.int64())
    return cols.append_column("rows", rows)
