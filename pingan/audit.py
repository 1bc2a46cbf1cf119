"""Append-only audit log outside the snapshots: who logged in, viewed, queried, exported, loaded or rolled back.

One JSON line per event in <state>/audit/audit-YYYYMM.jsonl. Each line carries the SHA-256 of the line
before it, so a deleted or edited line breaks the chain (`verify()`). Passwords are never passed here.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
from datetime import datetime
from pathlib import Path

import polars as pl

from . import config

ACTIONS_ZH = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "page_view": "浏览页面", "sql": "自助查询",
    "sql_refused": "查询被拒绝", "export": "导出", "import": "导入", "import_refused": "导入被拒绝",
    "rollback": "回滚快照", "account_add": "新建账户", "account_password": "修改密码",
    "account_disable": "停用账户", "account_enable": "启用账户", "account_delete": "删除账户",
    "account_update": "修改账户", "token_add": "新建大屏令牌", "token_revoke": "撤销大屏令牌",
    "session_expired": "会话过期", "scope_refused": "越权访问被拒绝",
}


def _dir() -> Path:
    path = config.state_dir() / "audit"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _last_hash(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            lines = fh.read().splitlines()
        return hashlib.sha256(lines[-1]).hexdigest() if lines else ""
    except FileNotFoundError:
        return ""


def record(user: str, action: str, detail: dict | None = None, role: str = "") -> None:
    """Append one event; never raises into the caller's page (an audit failure is printed)."""
    now = datetime.now()
    path = _dir() / f"audit-{now:%Y%m}.jsonl"
    try:
        with open(_dir() / "audit.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            event = {"time": now.isoformat(timespec="milliseconds"), "user": user, "role": role,
                     "action": action, "detail": detail or {}, "prev": _last_hash(path)}
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:  # pragma: no cover - a full disk must not take the dashboard down
        print(f"audit log write failed: {exc}")


def read(month: str | None = None) -> pl.DataFrame:
    """Events of one month (YYYYMM) or all months, newest first."""
    files = sorted(_dir().glob(f"audit-{month or '*'}.jsonl"))
    rows = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                e = json.loads(line)
                rows.append({"time": e["time"], "user": e["user"], "role": e.get("role", ""),
                             "action": e["action"], "action_zh": ACTIONS_ZH.get(e["action"], e["action"]),
                             "detail": json.dumps(e.get("detail", {}), ensure_ascii=False)})
    schema = {k: pl.Utf8 for k in ("time", "user", "role", "action", "action_zh", "detail")}
    return pl.DataFrame(rows[::-1], schema=schema)  # files and lines are in time order


def verify() -> list[str]:
    """Lines whose chain link does not match the line before them (empty when intact)."""
    broken = []
    for f in sorted(_dir().glob("audit-*.jsonl")):
        prev = ""
        for n, raw in enumerate(f.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            if json.loads(raw).get("prev", "") != prev:
                broken.append(f"{f.name}:{n}")
            prev = hashlib.sha256(raw).hexdigest()
    return broken
