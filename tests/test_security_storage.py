"""Storage and sandbox hardening: no server paths from SQL, owner-only state files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pingan import config, sandbox

from test_sandbox_hostile import CASES, load_case

PATHS = [p for p in CASES if p.stem >= "80" or p.stem.startswith("13_")]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_no_probe_returns_a_server_path(warehouse_built, path):
    """Every server-information probe of the corpus: refused, and neither rows nor message name a server path."""
    _, body = load_case(path)
    secrets = [str(config.state_dir()), str(config.state_dir().resolve()), str(config.ROOT),
               os.environ.get("HOME", "/root")]  # the home folder's name only: nothing is read there
    try:
        text = str(sandbox.run(body).rows)
    except sandbox.SandboxError as exc:
        text = str(exc)
    else:
        pytest.fail(f"not refused: {text[:200]}")
    for secret in secrets:
        assert secret not in text


def test_scoped_analyst_gets_the_same_refusal(warehouse_built):
    with pytest.raises(sandbox.ServerInfoRefused, match="自助查询不提供服务器配置信息"):
        sandbox.run("select path from duckdb_databases", scope="532900")


def test_error_messages_do_not_name_the_state_folder():
    err = sandbox.QueryFailed("查询无法执行。", f'IO Error: could not write "{config.state_dir()}/sandbox/x.tmp/1.block"')
    cleaned = sandbox._without_server_paths(err)
    assert str(config.state_dir()) not in str(cleaned)
    assert cleaned.detail == 'IO Error: could not write "<服务器目录>/sandbox/x.tmp/1.block"'


SPILL = "select x, md5(x::varchar) as h from range(3000000) as t(x) order by h"


def test_temp_space_is_bounded_with_a_plain_message(warehouse_built, tmp_path, monkeypatch):
    """A statement that would spill past the temporary-space limit stops with a message (small limits here, the
    same code path the worker runs: _serve on a connection from warehouse.sandbox_connection)."""
    copy = tmp_path / "snap-spill.duckdb"
    copy.write_bytes(warehouse_built.read_bytes())  # its own file: DuckDB allows one configuration per path
    monkeypatch.setattr(sandbox, "MEMORY_LIMIT", "32MB")
    monkeypatch.setattr(sandbox, "TEMP_SPACE_LIMIT", "8MB")
    request = {"kind": "run", "path": str(copy), "sql": SPILL, "params": {}, "row_limit": 10, "limit_s": 10,
               "count_rows": False, "scope": ""}
    with pytest.raises(sandbox.TempSpaceExceeded) as info:
        sandbox._serve(request, {}, sandbox._Watchdog())
    assert info.value.message == ("查询需要的临时空间超过上限 8MB,已中止。请先筛选或聚合,减少排序、关联或去重的数据量。")
    spilled = sum(f.stat().st_size for f in (tmp_path / "snap-spill.duckdb.tmp").glob("*"))
    assert spilled <= 8 * 10**6


def test_workers_run_with_the_temp_space_limit(warehouse_built):
    assert sandbox.worker_diagnostics()["settings"]["max_temp_directory_size"] == "953.6 MiB"  # 1GB = 10^9 bytes


def test_state_files_are_owner_only_after_an_import_an_audit_record_and_sql(warehouse_built, tmp_path):
    """A fresh process with the usual umask 022 writes into an existing, world-readable state folder."""
    import os
    import stat
    import subprocess
    import sys

    state = tmp_path / "state"
    (state / "warehouse").mkdir(parents=True)
    state.chmod(0o755)
    seed = state / "warehouse" / "snap-20200101T000000000000-1.duckdb"
    seed.write_bytes(warehouse_built.read_bytes())
    (state / "warehouse" / "CURRENT").write_text(seed.name)
    sys.path.insert(0, str(Path(__file__).parent / "bad_files"))
    import corpus  # the importer tests' good aggregate report

    report = tmp_path / "report.csv"
    report.write_bytes(corpus.agg(*corpus.AGG_ROWS))
    script = f"""
import os, sys
os.umask(0o022)
from pingan import audit, build, importer, sandbox
assert build.ensure() is None
assert importer.main([{str(report)!r}, '--who', 'tester']) == 0
audit.record('tester', 'export', {{'rows': 1}})
assert sandbox.run('select 1').rows == [(1,)]
"""
    env = dict(os.environ, PINGAN_STATE_DIR=str(state))
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=config.ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    written = [p for p in state.rglob("*") if p != seed]
    kinds = {p.relative_to(state).parts[0] for p in written}
    assert {"warehouse", "audit", "sandbox"} <= kinds, kinds
    assert any(p.name.startswith("snap-") and p != seed for p in (state / "warehouse").iterdir())
    wide = {str(p.relative_to(state)): oct(stat.S_IMODE(p.stat().st_mode)) for p in written
            if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert wide == {}
