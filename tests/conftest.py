"""A small warehouse built once per test session in a temporary folder."""
from __future__ import annotations

import atexit
import csv
import functools
import inspect
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Everything the app writes goes to a temporary state folder, never to data/state/.
_STATE = Path(tempfile.mkdtemp(prefix="pingan-test-state-"))
# Removed when the session's process exits (58 MB at small scale, more with imports): without this every run left
# a folder behind. atexit rather than a fixture because the folder exists from import time, before any fixture.
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
os.environ["PINGAN_STATE_DIR"] = str(_STATE)
os.environ["PINGAN_DEMO_SCALE"] = "small"


@functools.cache
def _published_values() -> dict[str, int | float]:
    with (ROOT / "data" / "published" / "figures.csv").open(encoding="utf-8", newline="") as f:
        return {r["figure_id"]: (float(r["value"]) if "." in r["value"] else int(r["value"])) for r in csv.DictReader(f)}


def published(figure_id: str) -> int | float:
    """The value figures.csv publishes under this id (int when whole): tests read it here, never type it again."""
    return _published_values()[figure_id]


@pytest.fixture(scope="session")
def warehouse_built() -> Path:
    """Build (once) the small-scale snapshot every test reads."""
    from pingan import build, warehouse

    build.ensure()
    return warehouse.current_path()


@pytest.fixture(scope="session")
def run_query(warehouse_built):
    from pingan import queries

    return queries.run


# The fast tier (pytest -m "not slow") is what one runs while working; `python -m pytest -q` runs everything.
# Slow: a module that drives Spark, the benchmark or PostgreSQL, or imports 100,000-row and 200 MB files; a test
# that drives a browser or starts a server (browser_util.start_server), renders a page through AppTest (seconds
# per render on a loaded 2-core machine), loads an import into a copy of the snapshot (corpus.isolated_state: a new
# snapshot each time) or builds a snapshot, directly or through a helper or fixture of its module; and single tests
# measured at over ~5 s (--durations).
_SLOW_CALLS = ("AppTest", "isolated_state", "build_snapshot", "playwright", "start_server(")
_SLOW_MODULE_IMPORTS = re.compile(r"^\s*from\s+pingan\s+import\s+.*\b(?:spark_engine|bench)\b", re.M)
SLOW_MODULES = {"test_importer_corpus.py", "test_queries_portable.py", "test_spark_export.py"}
# Test files with no fast test, and why; every other file has at least one. tests/test_suite_tiers.py checks that
# this is exactly the set of such files, so a file that loses its last fast test (or gains one) is noticed here.
WHOLLY_SLOW = {
    "test_anti_gang_page.py": "AppTest renders of the page",
    "test_app_shell.py": "AppTest renders of the shell and foundation pages",
    "test_data_page.py": "AppTest renders of the page, each import loads a copy of the snapshot",
    "test_disputes_page.py": "AppTest renders of the page",
    "test_grid_page.py": "AppTest renders of the page",
    "test_imported_pages.py": "AppTest renders over a copy of the snapshot with imported reports",
    "test_satisfaction_page.py": "AppTest renders of the page",
    "test_screen.py": "AppTest renders of the wall",
    "test_sql_page.py": "AppTest renders of the page (one shared by the read-only checks)",
    "test_browser.py": "a browser (playwright) on a streamlit server",
    "test_bench.py": "runs the benchmark",
    "test_spark_engine.py": "starts Spark",
    "test_spark_export.py": "exports the whole snapshot for a distributed engine (SLOW_MODULES)",
    "test_importer_corpus.py": "imports the corpus, up to 200 MB files, into copies of the snapshot (SLOW_MODULES)",
    "test_queries_portable.py": "runs every query on PostgreSQL and Spark (SLOW_MODULES)",
}
SLOW_TESTS = {
    "test_queries_rollups.py::test_source_composition_with_imported_cases_and_reports",
    "test_sandbox.py::test_every_example_query_runs_in_the_sandbox",
    "test_sandbox.py::test_long_sandbox_query_does_not_block_the_pages",
    "test_sandbox.py::test_worker_recovers_after_running_out_of_memory",
    "test_warehouse.py::test_missing_snapshot_file_is_rebuilt",  # each rebuilds the warehouse: ~10-20 s
    "test_warehouse.py::test_corrupt_snapshot_is_rebuilt_with_a_message",
    "test_warehouse.py::test_no_intact_snapshot_rebuilds_and_says_so",
    "test_warehouse.py::test_first_start_says_first_start",
}


def _calls_slow(source: str, helpers: set[str]) -> bool:
    return any(call in source for call in _SLOW_CALLS) or any(re.search(rf"\b{n}\(", source) for n in helpers)


@functools.cache
def _slow_helpers(module) -> frozenset[str]:
    """Names of the module's functions and fixtures that render a page, copy the snapshot or build one, directly
    or through another such function of the module (a fixture calling the module's render helper, say)."""
    sources = {}
    for name, obj in vars(module).items():
        fn = getattr(obj, "__wrapped__", obj)
        if inspect.isfunction(fn) and fn.__module__ == module.__name__:
            sources[name] = inspect.getsource(fn)
    names: set[str] = set()
    while grown := {n for n, src in sources.items() if n not in names and _calls_slow(src, names)}:
        names |= grown
    return frozenset(names)


def _is_slow(item) -> bool:
    module = item.module
    path = Path(module.__file__)
    if path.name in SLOW_MODULES or _SLOW_MODULE_IMPORTS.search(path.read_text(encoding="utf-8")):
        return True
    if f"{path.name}::{item.originalname}" in SLOW_TESTS:
        return True
    helpers = _slow_helpers(module)
    return _calls_slow(inspect.getsource(item.function), helpers) or bool(helpers & set(item.fixturenames))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, pytest.Function) and _is_slow(item):
            item.add_marker(pytest.mark.slow)
    if out := os.environ.get("PINGAN_TIERS_OUT"):  # tests/test_suite_tiers.py reads the split from one collection
        Path(out).write_text("".join(f"{'slow' if i.get_closest_marker('slow') else 'fast'} {i.nodeid}\n"
                                     for i in items), encoding="utf-8")
