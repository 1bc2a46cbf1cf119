"""A small warehouse built once per test session in a temporary folder."""
from __future__ import annotations

import atexit
import csv
import functools
import os
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
    from pingan import warehouse

    warehouse.ensure()
    return warehouse.current_path()


@pytest.fixture(scope="session")
def run_query(warehouse_built):
    from pingan import queries

    return queries.run
