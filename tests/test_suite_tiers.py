"""The fast tier (pytest -m "not slow") leaves out the browser, Spark, the benchmark and AppTest page renders."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, WHOLLY_SLOW


def collected(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


@pytest.fixture(scope="module")
def fast() -> set[str]:
    """Node ids of the whole fast tier (one collection, ~10 s)."""
    return collected("-m", "not slow")


def test_every_file_has_fast_tests_or_a_stated_reason(fast):
    files = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    with_fast = {line.split("::")[0].removeprefix("tests/") for line in fast}
    assert files - with_fast == set(WHOLLY_SLOW)


def test_slow_marker_separates_the_tiers(fast):
    # the one AppTest render in test_audit.py is slow, its other tests are fast
    assert not any("admin_tab_shows_a_torn_line" in line for line in fast)
    assert any("torn_last_line_is_skipped" in line for line in fast)
    # a fixture that renders through the module's render helper makes its tests slow too
    assert not any(line.startswith("tests/test_sql_page.py::") for line in fast)
    # tests that rebuild the warehouse are slow, the rest of test_warehouse.py is fast
    assert not any("test_first_start_says_first_start" in line for line in fast)
    assert any("test_publish_switches_readers_and_rollback_returns" in line for line in fast)


def test_full_suite_still_collects_the_slow_tests():
    everything = collected("tests/test_browser.py", "tests/test_grid_page.py", "tests/test_warehouse.py")
    assert {line.split("::")[0] for line in everything} == {"tests/test_browser.py", "tests/test_grid_page.py",
                                                            "tests/test_warehouse.py"}
    assert any("test_first_start_says_first_start" in line for line in everything)
