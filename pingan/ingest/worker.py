"""Validation of uploads in a child process with a memory and a time limit, stopped when its caller goes away.

The 数据管理 page must not let an upload eat the server: whatever slips past read's bounds (MAX_UNZIPPED_MB,
MAX_FIELDS, MAX_CELL_CHARS) meets an address-space limit (RLIMIT_AS) and a deadline here, and a validation whose
uploader closed the tab is killed instead of running on. The child is spawned, not forked: polars' thread pool does
not survive a fork of a multi-threaded server. The Report comes back pickled over a pipe.
"""
from __future__ import annotations

import multiprocessing
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from . import read
from .read import Upload
from .validate import Report
from .validate import validate as validate_uploads

MEMORY_MB = 3072   # address space of the child; a Python with polars loaded reserves ~1 GB of it before any work
SECONDS = 600      # 100,000 case rows validate in under 10 s on 2 cores


class Stopped(RuntimeError):
    """Validation was stopped (memory, time, caller gone); the message is for the user."""


def _never() -> bytes:
    raise AssertionError("a file over the size limit is refused before it is read")


BOUNDS = ("MAX_BYTES", "MAX_FIELDS", "MAX_CELL_CHARS", "MAX_UNZIPPED_MB", "MAX_ZIP_RATIO")


def _out_of_memory(exc: BaseException) -> bool:
    # Python says MemoryError, DuckDB OutOfMemoryException, the loader "failed to map segment" (a library that
    # no longer fits the address space)
    return isinstance(exc, MemoryError) or "OutOfMemory" in type(exc).__name__ or "failed to map" in str(exc)


def _child(conn, files: list[tuple], region: str, today: date | None, memory_mb: int, bounds: dict) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    for name, value in bounds.items():  # the caller's bounds, not this fresh import's defaults
        setattr(read, name, value)
    try:
        uploads = [Upload(name, size, (lambda p=path: Path(p).read_bytes()) if path else _never)
                   for name, size, path in files]
        report = validate_uploads(uploads, progress=lambda f, text: conn.send(("progress", f, text)),
                                   today=today, region=region)
        conn.send(("report", report))
    except Exception as exc:  # beyond memory, a bug: say what it was rather than "exited"
        conn.send(("memory",) if _out_of_memory(exc) else ("error", f"{exc.__class__.__name__}: {exc}"[:300]))
    except MemoryError:
        conn.send(("memory",))
    finally:
        conn.close()


def _stage(uploads: list[Upload], folder: Path) -> list[tuple]:
    """(name, size, path) per upload; a file over the size limit or empty is not even written (validate says why)."""
    out = []
    for i, up in enumerate(uploads):
        path = None
        if 0 < up.size <= read.MAX_BYTES:
            path = folder / f"upload-{i}"
            path.write_bytes(up.reader())
        out.append((up.name, up.size, str(path) if path else None))
    return out


def validate(uploads: list[Upload], progress=None, region: str = "", today: date | None = None,
             alive=None, memory_mb: int | None = None, seconds: float | None = None,
             poll: float = 0.2) -> Report:
    """validate.validate in a child process; raises Stopped when a limit is hit or alive() turns False."""
    memory_mb = memory_mb or MEMORY_MB
    seconds = seconds or SECONDS
    folder = Path(tempfile.mkdtemp(prefix="pingan-import-"))  # mode 0700: uploads are not for other local users
    proc = None
    try:
        files = _stage(uploads, folder)
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        bounds = {name: getattr(read, name) for name in BOUNDS}
        proc = ctx.Process(target=_child, args=(send, files, region, today, memory_mb, bounds), daemon=True)
        proc.start()
        send.close()
        deadline = time.monotonic() + seconds
        while True:
            if receive.poll(poll):
                try:
                    msg = receive.recv()
                except EOFError:  # the child died without a word: killed by the kernel or aborted by Rust
                    proc.join(5)
                    raise Stopped(_died(proc.exitcode, memory_mb)) from None
                if msg[0] == "report":
                    return msg[1]
                if msg[0] == "progress":
                    if progress:
                        progress(msg[1], msg[2])
                    continue
                if msg[0] == "memory":
                    raise Stopped(_memory(memory_mb))
                raise Stopped(f"校验时发生内部错误,已停止({msg[1]})。")
            if time.monotonic() > deadline:
                raise Stopped(f"校验超过时间上限 {seconds:g} 秒,已停止;请按月份或地区拆分成多个文件后再上传。")
            if alive is not None and not alive():
                raise Stopped("上传者已离开页面,校验已取消。")
    finally:
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)
        shutil.rmtree(folder, ignore_errors=True)


def _memory(memory_mb: int) -> str:
    return (f"校验所需内存超过上限 {memory_mb:,} MB,已停止(文件可能过大或结构异常);"
            f"请按月份或地区拆分成多个文件后再上传。")


def _died(exitcode: int | None, memory_mb: int) -> str:
    # Rust aborts (SIGABRT) when an allocation fails under RLIMIT_AS; the kernel's OOM killer sends SIGKILL.
    if exitcode is not None and exitcode < 0:
        return _memory(memory_mb)
    return f"校验进程意外退出(代码 {exitcode}),已停止;请重新上传,如仍失败请联系管理员。"
