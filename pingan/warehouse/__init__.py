"""Storage: the only owner of DuckDB connections, warehouse snapshots and the files made from them.

A snapshot is one DuckDB file in <state>/warehouse/. The file CURRENT names the one viewers read. Every
write (build, import) goes through one protocol, `new_snapshot`: write a new file beside the others, check it,
then replace CURRENT atomically, so a viewer never sees half a load, and an older snapshot can be made current
again (rollback). Viewers open snapshots read-only. Besides the snapshots this package owns the files made from
them: per-scope extracts (pingan/warehouse/scoped.py) and the sandbox's links (`sandbox_link`), each pruned when
the snapshot they came from is no longer current.

Every DuckDB connection of the app is opened here (`_open`): one configuration (`CONFIG`) for readers, writers
and in-memory helpers, with the sandbox's restrictions as a named variant of it (`sandbox_connection`). Storage
knows nothing of how a snapshot is built: making one usable (build, fall back, upgrade) is pingan/build.py.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from .. import config, regions

_lock = threading.Lock()
# Never fetch or load an extension (the server may be air-gapped, and an extension is code). DuckDB also refuses a
# second connection to a file already open in this process with another configuration, so every connection to a
# snapshot uses this one; the sandbox's locked variant opens its own name for the file (sandbox_link).
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_conn: duckdb.DuckDBPyConnection | None = None
_conn_name: str | None = None


def _open(path: Path | str, read_only: bool, **settings) -> duckdb.DuckDBPyConnection:
    """The one call to duckdb.connect: CONFIG plus `settings`."""
    return duckdb.connect(str(path), read_only=read_only, config={**CONFIG, **settings})


def reader(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection of its own to a snapshot or extract (close it when done)."""
    return _open(path, read_only=True)


def writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a file being written (a snapshot or an extract, never one viewers read)."""
    return _open(path, read_only=False)


def memory() -> duckdb.DuckDBPyConnection:
    """An in-memory database (no file), same configuration."""
    return _open(":memory:", read_only=False)


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
    """Keep the current snapshot and the newest `keep - 1` others (setting snapshots_kept); delete the rest."""
    keep = keep or int(config.setting("snapshots_kept"))
    snaps = [s for s in list_snapshots() if not s["current"]]
    for s in snaps[max(keep - 1, 0):]:
        try:
            (snapshot_dir() / s["name"]).unlink()
        except OSError:
            pass  # still open elsewhere on some systems; a later prune removes it


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
        with reading(path) as con:
            done = con.execute("select value from build_info where key = 'complete'").fetchone()
            blocks, block_size = con.execute(
                "select total_blocks, block_size from pragma_database_size() where database_name = current_database()"
            ).fetchone()
    except duckdb.Error as exc:
        raise WarehouseMissing(f"数据仓库文件已损坏:{path.name}({exc.__class__.__name__})") from exc
    if not done or done[0] != "true":
        raise WarehouseMissing(f"数据仓库文件不完整:{path.name}")
    # a file cut short (a copy or disk that filled up) can still open when its catalog sits in an early block
    if path.stat().st_size < _HEADER_BYTES + blocks * block_size:
        raise WarehouseMissing(f"数据仓库文件已损坏:{path.name}(文件被截断)")


@contextmanager
def reading(path: Path):
    """A cursor on `path` for a short look: the process's shared connection when it holds that file (DuckDB
    refuses a second connection with another configuration in one process), else a read-only one of its own."""
    own = None if _is_open(path) else reader(path)
    con = _conn.cursor() if own is None else own
    try:
        yield con
    finally:
        con.close()


@contextmanager
def file_lock(path: Path):
    """An exclusive lock across processes on a lock file (created if missing), held for the `with` block."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_lock():
    """One writer at a time across processes (two browser tabs on first start, say)."""
    return file_lock(snapshot_dir() / "build.lock")


# --------------------------------------------------------------------------------------------------
# Recovering CURRENT (pingan/build.py's ensure() decides when; these say what is there)
# --------------------------------------------------------------------------------------------------
def never_built() -> bool:
    """No CURRENT and no snapshot at all: the first start."""
    return _current_text() is None and not list_snapshots()


def current_problem() -> str | None:
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


def fall_back() -> Path | None:
    """Make the newest intact snapshot other than the current one current; returns it (None when there is none).

    Call it under build_lock()."""
    exclude = current_name()
    for snap in list_snapshots():
        if snap["name"] == exclude:
            continue
        path = snapshot_dir() / snap["name"]
        try:
            check(path)
        except WarehouseMissing:
            continue
        _point_current(path.name)
        return path
    return None


def snapshot_time(path: Path) -> str:
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
    out = []
    for name in tables:
        m = re.search(rf"^create table {name} \(.*?^\);", schema_sql(), re.S | re.M)
        if m is None:
            raise KeyError(f"schema.sql has no table {name}")
        out.append(m.group(0).replace("create table", "create table if not exists", 1))
    return "\n".join(out)


def schema_sql() -> str:
    """pingan/schema.sql: every table of a snapshot, as a new build creates them."""
    return (config.ROOT / "pingan" / "schema.sql").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Readers: the process's shared read-only connection to the current snapshot
# --------------------------------------------------------------------------------------------------
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
            _conn = reader(snapshot_dir() / name)
            _conn_name = name
        return _conn


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of its own for one query: DuckDB refuses concurrent calls on one connection."""
    return connection().cursor()


def snapshot_id() -> str:
    """Identifies the data a result came from; part of every cache key."""
    return current_name() or "none"


_lineages: dict = {}


def region_lineages() -> dict[str, tuple[str, ...]]:
    """The current snapshot's region tree as lineages (pingan/regions.py), read once per snapshot.

    Storage reads it for every layer above (scope checks in auth, queries and the pages), as its extracts
    (scoped.py) are cut along the same tree."""
    snap = snapshot_id()
    if _lineages.get("snap") != snap:
        cur = cursor()
        try:
            rows = cur.execute("select code, prefecture_code, province_code from region").fetchall()
        finally:
            cur.close()
        _lineages.clear()
        _lineages.update(snap=snap, tree=regions.lineages(rows))
    return _lineages["tree"]


# --------------------------------------------------------------------------------------------------
# The sandbox: its own name for the snapshot, and the restricted connection
# --------------------------------------------------------------------------------------------------
def sandbox_dir() -> Path:
    path = config.state_dir() / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sandbox_link() -> Path:
    """A second name (hard link) for the current snapshot, which the sandbox opens; older links are pruned.

    DuckDB puts its spill files beside the file it opened (<file>.tmp/) and sandbox_connection locks the
    configuration before a caller could move them; under this name they go to <state>/sandbox/, never into
    the warehouse folder. (It also keeps the sandbox's locked instance apart from the pages' connection should
    both ever open in one process: DuckDB refuses two configurations for one path.) Falls back to a copy where
    links fail. Raises WarehouseMissing when there is no current snapshot.
    """
    source = current_path()
    if source is None or not source.exists():
        raise WarehouseMissing("尚未构建数据仓库")
    target = sandbox_dir() / source.name
    if not target.exists():
        tmp = target.with_name(target.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        for old in sandbox_dir().glob("snap-*.duckdb"):
            if old.name != target.name:  # a worker still reading it keeps its open file on Linux
                old.unlink(missing_ok=True)
    return target


def sandbox_connection(path: Path | None = None, memory_limit: str = "1GB", threads: int = 1,
                       temp_space_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """A fresh read-only connection for untrusted SQL: CONFIG, bounded memory and temporary space, no files,
    configuration locked.

    `path` defaults to the current snapshot; a scoped extract (one region's rows) can be given instead.
    """
    path = path or current_path()
    if path is None:
        raise WarehouseMissing("尚未构建数据仓库")
    con = _open(path, read_only=True, memory_limit=memory_limit, threads=threads,
                max_temp_directory_size=temp_space_limit)
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")  # last: nothing can be changed after this
    return con


# --------------------------------------------------------------------------------------------------
# The Spark engine's exports: one folder per snapshot (pingan/export.py writes it)
# --------------------------------------------------------------------------------------------------
def spark_dir() -> Path:
    return config.state_dir() / "spark"


def spark_lock():
    """One process at a time writes an export for the Spark engine."""
    spark_dir().mkdir(parents=True, exist_ok=True)
    return file_lock(spark_dir() / "export.lock")


def prune_spark_exports(keep: str) -> None:
    """Keep the export of `keep` and of snapshots still on disk (a rollback reuses them); drop the others."""
    on_disk = {s["name"] for s in list_snapshots()} | {keep}
    for p in spark_dir().glob("snap-*"):
        if p.is_dir() and p.name not in on_disk:
            shutil.rmtree(p, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# The writer protocol: build and import both write a snapshot this way
# --------------------------------------------------------------------------------------------------
@contextmanager
def new_snapshot(copy_of: Path | None = None):
    """Write a new snapshot; yields (connection, final path).

    The file is written beside the others as snap-<stamp>-<pid>.building (empty, or a copy of `copy_of`). When
    the block ends it is checkpointed, closed and checked (`check`: complete and intact); only then is it renamed
    and made current atomically (`publish`). On any exception, or a failed check, the file is deleted and CURRENT
    is untouched."""
    final = new_snapshot_path()
    tmp = final.with_suffix(".building")
    if copy_of is not None:
        shutil.copyfile(copy_of, tmp)
    con = writer(tmp)
    try:
        yield con, final
        con.execute("checkpoint")
        con.close()
        check(tmp)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)
    publish(final)


@contextmanager
def writable_copy():
    """A new snapshot that starts as a copy of the current one; yields (connection, path). One writer at a time.

    On success the caller's changes become current atomically; on any exception the copy is deleted and the
    current snapshot is untouched (new_snapshot)."""
    with build_lock():
        src = current_path()  # read under the lock: a rollback or another load cannot slip in between
        if src is None:
            raise WarehouseMissing("尚未构建数据仓库")
        with new_snapshot(copy_of=src) as written:
            yield written
