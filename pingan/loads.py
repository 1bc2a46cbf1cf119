"""Load history: who loaded which files, when, how many rows, into which snapshot (and every rollback).

The history lives in the state folder (`loads.jsonl`, one JSON object a line, appended under a lock), not in a
snapshot, so a rollback does not erase the record of what was loaded. Each load also leaves a copy of its summary
in the snapshot it produced (table `import_load`), so a snapshot says what it contains.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import secrets
from datetime import datetime
from pathlib import Path

import polars as pl

from . import config, warehouse

IMPORT_LOAD_DDL = warehouse.schema_ddl("import_load")  # one definition, in pingan/schema.sql


def path() -> Path:
    return config.state_dir() / "loads.jsonl"


def who() -> str:
    """The OS user running the command; 'local' when there is none (accounts come with a later issue)."""
    try:
        return getpass.getuser() or "local"
    except Exception:  # no user database entry (containers) — still record something honest
        return "local"


def new_id(now: datetime | None = None) -> str:
    """A load id that sorts by time and is unique: 20221231-153012-a1b2."""
    now = now or datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def record(entry: dict) -> None:
    """Append one event (load, refused load, failed load, rollback) to the history."""
    line = json.dumps(entry, ensure_ascii=False, default=str)
    with open(path(), "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(line + "\n")
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def entries() -> list[dict]:
    """Every event, oldest first; a damaged line is skipped rather than hiding the rest."""
    try:
        text = path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def find(load_id: str) -> dict | None:
    return next((e for e in reversed(entries()) if e.get("load_id") == load_id), None)


def history() -> pl.DataFrame:
    """One row per event, newest first, for the page and the command line."""
    rows = []
    for e in reversed(entries()):
        files = e.get("files") or []
        rows.append({
            "at": datetime.fromisoformat(e["at"]) if e.get("at") else None,
            "action": e.get("action", "load"),
            "status": e.get("status", ""),
            "load_id": e.get("load_id", ""),
            "who": e.get("who", ""),
            "via": e.get("via", ""),
            "files": "、".join(f.get("name", "") for f in files),
            "bytes": sum(int(f.get("bytes") or 0) for f in files),
            "sha256": "、".join((f.get("sha256") or "")[:12] for f in files),
            "rows_loaded": int(e.get("rows_loaded") or 0),
            "rows_rejected": int(e.get("rows_rejected") or 0),
            "demo_rows_replaced": int(e.get("demo_rows_replaced") or 0),
            "snapshot": e.get("snapshot") or "",
            "previous_snapshot": e.get("previous_snapshot") or "",
            "seconds": float(e.get("seconds") or 0.0),
            "message": e.get("message") or "",
        })
    schema = {"at": pl.Datetime("us"), "action": pl.String, "status": pl.String, "load_id": pl.String,
              "who": pl.String, "via": pl.String, "files": pl.String, "bytes": pl.Int64, "sha256": pl.String,
              "rows_loaded": pl.Int64, "rows_rejected": pl.Int64, "demo_rows_replaced": pl.Int64,
              "snapshot": pl.String, "previous_snapshot": pl.String, "seconds": pl.Float64, "message": pl.String}
    return pl.DataFrame(rows, schema=schema)


def snapshot_origins() -> dict[str, dict]:
    """For each snapshot name, the load (or rollback) event that made it current last."""
    out: dict[str, dict] = {}
    for e in entries():
        if e.get("status") == "loaded" and e.get("snapshot"):
            out[e["snapshot"]] = e
    return out


def write_summary(con, entry: dict, snapshot: str) -> None:
    """Copy a load's summary into the snapshot being written (one row per file)."""
    con.execute(IMPORT_LOAD_DDL)
    rows = [(entry["load_id"], datetime.fromisoformat(entry["at"]), entry["who"], entry["via"], entry["mode"],
             f["name"], f["sha256"], int(f["bytes"]), f.get("kind") or "", int(f.get("rows_loaded") or 0),
             int(f.get("rows_rejected") or 0), int(f.get("demo_rows_replaced") or 0), snapshot,
             entry.get("previous_snapshot")) for f in entry["files"]]
    con.executemany("insert into import_load values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
