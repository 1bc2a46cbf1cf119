"""Each user's SQL history: one JSON line per run in <state>/history/<user>.jsonl, never in the snapshot.

An entry: time (ISO, local), user, scope, sql, params, outcome (ok | refused | interrupted | failed), kind (the
refusal's kind), message, rows, truncated, elapsed_ms. Appends are single writes under a lock; a file past
MAX_LINES is cut back to KEEP_LINES, oldest first.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import date, datetime
from pathlib import Path

from . import config

MAX_LINES = 2_000
KEEP_LINES = 1_000
MAX_SQL_CHARS = 20_000  # a history line keeps this much of the statement
_lock = threading.Lock()


def history_dir() -> Path:
    path = config.state_dir() / "history"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_for(user: str) -> Path:
    """The user's file: readable names kept, anything else replaced, plus a hash so names never collide."""
    user = user or "local"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", user)[:48].strip(".") or "user"
    digest = hashlib.sha1(user.encode("utf-8", "replace")).hexdigest()[:8]
    return history_dir() / f"{safe}-{digest}.jsonl"


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def record(user: str, sql: str, params: dict | None, *, outcome: str, elapsed_s: float, rows: int | None = None,
           truncated: bool = False, kind: str = "", message: str = "", scope: str = "") -> dict:
    """Append one run to the user's history and return the entry."""
    entry = {
        "time": datetime.now().isoformat(timespec="seconds"),
        "user": user or "local",
        "scope": scope,
        "sql": (sql or "")[:MAX_SQL_CHARS],
        "params": {k: _plain(v) for k, v in (params or {}).items()},
        "outcome": outcome,
        "kind": kind,
        "message": (message or "")[:500],
        "rows": rows,
        "truncated": bool(truncated),
        "elapsed_ms": round(elapsed_s * 1000, 1),
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    path = path_for(user)
    with _lock:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
        _trim(path)
    from . import audit  # every run also lands in the organisation's audit log

    audit.record(entry["user"], "sql" if outcome == "ok" else "sql_refused",
                 {"sql": entry["sql"][:2000], "params": entry["params"], "outcome": outcome, "rows": rows,
                  "ms": entry["elapsed_ms"], "scope": scope, "message": entry["message"][:200]})
    return entry


def _trim(path: Path) -> None:
    if path.stat().st_size < 100 * MAX_LINES:  # cheap test first: far too small to hold MAX_LINES entries
        return
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    if len(lines) > MAX_LINES:
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(lines[-KEEP_LINES:]), encoding="utf-8")
        tmp.replace(path)


def recent(user: str, limit: int = 50) -> list[dict]:
    """The user's last runs, newest first (a damaged line is skipped, not fatal)."""
    path = path_for(user)
    if not path.exists():
        return []
    with _lock:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for line in reversed(lines):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
        if len(out) >= limit:
            break
    return out
