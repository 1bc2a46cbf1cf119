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
# Slow: a module that drives a browser, Spark, the benchmark or PostgreSQL, or imports 100,000-row and 200 MB
# files; a test that renders a page through AppTest (seconds per render on a loaded 2-core machine), loads an
# import into a copy of the snapshot (corpus.isolated_state: a new snapshot each time) or builds a snapshot,
# directly or through a helper or fixture of its module; and single tests measured at over ~5 s (--durations).
_SLOW_CALLS = ("AppTest", "isolated_state", "build_snapshot")
_SLOW_MODULE_IMPORTS = re.compile(r"^\s*(?:from|import)\s+(?:playwright|pingan\s+import\s+.*\b(?:spark_engine|bench)\b)",
                                  re.M)
SLOW_MODULES = {"test_importer_corpus.py", "test_queries_portable.py", "test_spark_export.py"}
SLOW_TESTS = {
    "test_queries_rollups.py::test_source_composition_with_imported_cases_and_reports",
    "test_sandbox.py::test_every_example_query_runs_in_the_sandbox",
    "test_sandbox.py::test_long_sandbox_query_does_not_block_the_pages",
    "test_sandbox.py::test_worker_recovers_after_running_out_of_memory",
    "test_warehouse.py::test_missing_snapshot_file_is_rebuilt",  # each rebuilds the warehouse: ~20 s
    "test_warehouse.py::test_corrupt_snapshot_is_rebuilt_with_a_message",
}


@functools.cache
def _slow_helpers(module) -> frozenset[str]:
    """Names of the module's functions and fixtures that render a page, copy the snapshot or build one."""
    names = set()
    for name, obj in vars(module).items():
        fn = getattr(obj, "__wrapped__", obj)
        if inspect.isfunction(fn) and fn.__module__ == module.__name__ \
                and any(call in inspect.getsource(fn) for call in _SLOW_CALLS):
            names.add(name)
    return frozenset(names)


def _is_slow(item) -> bool:
    module = item.module
    path = Path(module.__file__)
    if path.name in SLOW_MODULES or _SLOW_MODULE_IMPORTS.search(path.read_text(encoding="utf-8")):
        return True
    if f"{path.name}::{item.originalname}" in SLOW_TESTS:
        return True
    helpers = _slow_helpers(module)
    source = inspect.getsource(item.function)
    return any(call in source for call in _SLOW_CALLS) or any(re.search(rf"\b{n}\(", source) for n in helpers) \
        or bool(helpers & set(item.fixturenames))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, pytest.Function) and _is_slow(item):
            item.add_marker(pytest.mark.slow)
