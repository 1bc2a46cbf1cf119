"""The only owner of DuckDB connections and warehouse snapshots.

A snapshot is one DuckDB file in <state>/warehouse/. The file CURRENT names the one viewers read. Every
write (build, import) makes a new file and then replaces CURRENT atomically, so a viewer never sees half
a load, and an older snapshot can be made current again (rollback). Viewers open snapshots read-only.
"""
from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from . import config

_lock = threading.Lock()
READ_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_conn: duckdb.DuckDBPyConnection | None = None
_conn_name: str | None = None


class WarehouseMissing(RuntimeError):
    """No usable snapshot: nothing built yet, or the current file is missing or corrupt."""


def snapshot_dir() -> Path:
    path = config.state_dir() / "warehouse"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _current_file() -> Path:
    return snapshot_dir() / "CURRENT"


# What CURRENT may name: a snapshot file in this folder (anything else, a path or garbage, names nothing)
_SNAPSHOT_NAME = re.compile(r"^snap-[A-Za-z0-9_.-]+\.duckdb$")
_HEADER_BYTES = 3 * 4096  # DuckDB's file header before the first block


def _current_text() -> str | None:
    """CURRENT's content as written (None when there is no CURRENT file)."""
    try:
        return _current_file().read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None


def current_name() -> str | None:
    name = _current_text()
    return name if name and _SNAPSHOT_NAME.match(name) else None


def current_path() -> Path | None:
    name = current_name()
    return snapshot_dir() / name if name else None


def list_snapshots() -> list[dict]:
    """Snapshots on disk, newest first, with their size and whether each is current."""
    cur = current_name()
    out = []
    for p in sorted(snapshot_dir().glob("snap-*.duckdb"), reverse=True):
        out.append({"name": p.name, "bytes": p.stat().st_size, "current": p.name == cur,
                    "modified": datetime.fromtimestamp(p.stat().st_mtime)})
    return out


def new_snapshot_path() -> Path:
    """A fresh file name for a snapshot being written (not yet visible to viewers)."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    return snapshot_dir() / f"snap-{stamp}-{os.getpid()}.duckdb"


def _point_current(name: str) -> None:
    """Write CURRENT atomically: readers see the old name or the new one, never an empty or half-written file."""
    tmp = _current_file().with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())  # a crash after the rename must not leave an empty CURRENT
    os.replace(tmp, _current_file())


def publish(path: Path) -> None:
    """Make `path` the current snapshot atomically, then prune old snapshots."""
    _point_current(path.name)
    prune()


def prune(keep: int | None = None) -> None:
    keep = keep or int(config.setting("snapshots_kept"))
    cur = current_name()
    snaps = [s for s in list_snapshots() if not s["current"]]
    for s in snaps[max(keep - 1, 0):]:
        try:
            (snapshot_dir() / s["name"]).unlink()
        except OSError:
            pass  # still open elsewhere on some systems; a later prune removes it
    _ = cur


def rollback(name: str) -> None:
    """Make an existing snapshot current again."""
    path = snapshot_dir() / name
    if not path.exists() or not name.startswith("snap-"):
        raise FileNotFoundError(f"快照不存在:{name}")
    check(path)
    _point_current(name)


def check(path: Path) -> None:
    """Raise WarehouseMissing unless `path` opens and has a complete build."""
    if not path.exists():
        raise WarehouseMissing(f"数据仓库文件不存在:{path.name}")
    try:
        if _is_open(path):  # DuckDB refuses a second connection with another configuration in this process
            con = _conn.cursor()
        else:
            con = duckdb.connect(str(path), read_only=True, config=dict(READ_CONFIG))
        try:
            done = con.execute("select value from build_info where key = 'complete'").fetchone()
            blocks, block_size = con.execute(
                "select total_blocks, block_size from pragma_database_size() where database_name = current_database()"
            ).fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise WarehouseMissing(f"数据仓库文件已损坏:{path.name}({exc.__class__.__name__})") from exc
    if not done or done[0] != "true":
        raise WarehouseMissing(f"数据仓库文件不完整:{path.name}")
    # a file cut short (a copy or disk that filled up) can still open when its catalog sits in an early block
    if path.stat().st_size < _HEADER_BYTES + blocks * block_size:
        raise WarehouseMissing(f"数据仓库文件已损坏:{path.name}(文件被截断)")


@contextmanager
def build_lock():
    """One builder at a time across processes (two browser tabs on first start, say)."""
    lock_path = snapshot_dir() / "build.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(progress=None) -> str | None:
    """Make sure a usable snapshot is current: fall back to the newest intact one when the current one is broken,
    build one only when none is intact (or none exists yet).

    Returns a message for the user when something had to be fallen back to or rebuilt, else None.
    """
    remove_orphans()
    path = current_path()
    if path is not None:
        try:
            check(path)
            return _upgrade(path, progress)
        except WarehouseMissing:
            pass
    with build_lock():
        problem = _current_problem()  # another process may have repaired it while we waited
        if problem is None:
            return None
        first_start = _current_text() is None and not list_snapshots()
        fallback = _newest_intact(exclude=current_name())
        if fallback is not None:
            _point_current(fallback.name)
        else:
            from . import build  # a build imports the generator: only pay for it when needed

            build.build_snapshot(scale=str(config.setting("demo_scale")),
                                 seed=int(config.setting("demo_seed")), progress=progress)
    if fallback is not None:
        upgraded = _upgrade(fallback, progress)  # outside the lock: an upgrade takes it itself
        notice = f"当前快照损坏({problem}),已回退到 {fallback.name}({_snapshot_time(fallback)})的快照。"
        return notice + (upgraded or "")
    if first_start:
        return "首次启动:已用内置数据构建数据仓库。"
    return f"{problem},且没有完好的快照可以回退,已用内置数据重新构建。"


def _current_problem() -> str | None:
    """Why the current snapshot cannot be read (None when it can)."""
    text = _current_text()
    if text is None:
        return "快照指针 CURRENT 不存在"
    if not text:
        return "快照指针 CURRENT 为空"
    if not _SNAPSHOT_NAME.match(text):
        return "快照指针 CURRENT 的内容无效"
    try:
        check(snapshot_dir() / text)
    except WarehouseMissing as exc:
        return str(exc)
    return None


def _newest_intact(exclude: str | None) -> Path | None:
    for snap in list_snapshots():
        if snap["name"] == exclude:
            continue
        path = snapshot_dir() / snap["name"]
        try:
            check(path)
        except WarehouseMissing:
            continue
        return path
    return None


def _snapshot_time(path: Path) -> str:
    """When a snapshot was written, from its name (snap-<stamp>-<pid>), else from the file."""
    m = re.match(r"^snap-(\d{8}T\d{6})", path.name)
    try:
        when = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S") if m else None
    except ValueError:
        when = None
    when = when or datetime.fromtimestamp(path.stat().st_mtime)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def remove_orphans() -> list[str]:
    """Remove `.building` files a killed build or import left behind; returns their names.

    Never one still being written: only while no build holds the build lock (checked without waiting), and only
    when the process named in the file (snap-<stamp>-<pid>.building) is gone."""
    removed = []
    with open(snapshot_dir() / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return removed  # a build is running: whatever it writes is not an orphan
        try:
            for p in list(snapshot_dir().glob("*.building")) + list(snapshot_dir().glob("CURRENT.*.tmp")):
                m = re.search(r"-(\d+)\.building$|^CURRENT\.(\d+)\.tmp$", p.name)
                pid = int(m.group(1) or m.group(2)) if m else None
                if pid is not None and _process_alive(pid):
                    continue
                p.unlink(missing_ok=True)
                removed.append(p.name)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def schema_ddl(*tables: str) -> str:
    """`create table if not exists` statements for these tables, exactly as pingan/schema.sql defines them: the one
    definition, which an import or an upgrade also applies to snapshots written before the tables existed."""
    text = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
    out = []
    for name in tables:
        m = re.search(rf"^create table {name} \(.*?^\);", text, re.S | re.M)
        if m is None:
            raise KeyError(f"schema.sql has no table {name}")
        out.append(m.group(0).replace("create table", "create table if not exists", 1))
    return "\n".join(out)


def _upgrade(path: Path, progress=None) -> str | None:
    """A snapshot written before a derived table existed gets it in a new snapshot (the old one is kept)."""
    from . import rollups

    con = duckdb.connect(str(path), read_only=True, config=dict(READ_CONFIG)) if not _is_open(path) else None
    try:
        lacking = rollups.missing(con if con is not None else _conn.cursor())
    finally:
        if con is not None:
            con.close()
    if not lacking:
        return None
    if progress:
        progress(0.5, "为现有数据仓库补建汇总表")
    from .importer import IMPORT_TABLES_DDL  # a snapshot older than the import tables gets them too

    with writable_copy() as (w, _):
        w.execute(IMPORT_TABLES_DDL)
        rollups.refresh(w)
    return f"已为现有数据仓库补建汇总表({'、'.join(lacking)})。"


def _is_open(path: Path) -> bool:
    with _lock:
        return _conn is not None and _conn_name == path.name and path.parent == snapshot_dir()


def connection() -> duckdb.DuckDBPyConnection:
    """The process's read-only connection to the current snapshot (reopened after a switch)."""
    global _conn, _conn_name
    name = current_name()
    if name is None:
        raise WarehouseMissing("尚未构建数据仓库")
    with _lock:
        if _conn is None or _conn_name != name:
            # The old connection is left to the garbage collector: another thread may still be
            # reading through a cursor of it, and Linux keeps a pruned file readable while open.
            _conn = duckdb.connect(str(snapshot_dir() / name), read_only=True, config=dict(READ_CONFIG))
            _conn_name = name
        return _conn


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of its own for one query: DuckDB refuses concurrent calls on one connection."""
    return connection().cursor()


def snapshot_id() -> str:
    """Identifies the data a result came from; part of every cache key."""
    return current_name() or "none"


def wait_for_current(timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while current_name() is None and time.monotonic() < deadline:
        time.sleep(0.2)


def sandbox_connection(path: Path | None = None, memory_limit: str = "1GB", threads: int = 1,
                       temp_space_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """A fresh read-only connection for untrusted SQL: no extension loading, no files, bounded memory and
    temporary space, configuration locked.

    `path` defaults to the current snapshot; a scoped extract (one region's rows) can be given instead.
    """
    path = path or current_path()
    if path is None:
        raise WarehouseMissing("尚未构建数据仓库")
    con = duckdb.connect(str(path), read_only=True, config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "memory_limit": memory_limit, "threads": threads, "max_temp_directory_size": temp_space_limit})
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")  # last: nothing can be changed after this
    return con


@contextmanager
def writable_copy(progress=None):
    """A new snapshot that starts as a copy of the current one; yields (connection, path).

    On success the caller's changes are checkpointed and the copy becomes current atomically; on any
    exception the copy is deleted and the current snapshot is untouched.
    """
    import shutil

    with build_lock():
        src = current_path()  # read under the lock: a rollback or another load cannot slip in between
        if src is None:
            raise WarehouseMissing("尚未构建数据仓库")
        final = new_snapshot_path()
        tmp = final.with_suffix(".building")
        shutil.copyfile(src, tmp)
        con = duckdb.connect(str(tmp), config={"autoinstall_known_extensions": False,
                                               "autoload_known_extensions": False})
        try:
            yield con, final
            con.execute("checkpoint")
        except BaseException:
            con.close()
            tmp.unlink(missing_ok=True)
            raise
        con.close()
        os.replace(tmp, final)
        publish(final)


def main(argv: list[str] | None = None) -> int:
    """`python -m pingan.warehouse export …` (the export for distributed engines lives in pingan.export)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["export"]:
        from . import export

        return export.main(args[1:])
    print("用法:python -m pingan.warehouse export --format parquet --partition province,year DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
