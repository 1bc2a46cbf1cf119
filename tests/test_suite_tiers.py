"""The fast tier (pytest -m "not slow") leaves out the browser, Spark, the benchmark and AppTest page renders."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def collected(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_slow_marker_separates_the_tiers():
    fast = collected("-m", "not slow", "tests/test_browser.py", "tests/test_spark_engine.py", "tests/test_bench.py",
                     "tests/test_grid_page.py", "tests/test_grid_queries.py", "tests/test_audit.py")
    files = {line.split("::")[0] for line in fast}
    assert files == {"tests/test_grid_queries.py", "tests/test_audit.py"}
    # the one AppTest render in test_audit.py is slow, its other tests are fast
    assert not any("admin_tab_shows_a_torn_line" in line for line in fast)
    assert any("torn_last_line_is_skipped" in line for line in fast)


def test_full_suite_still_collects_the_slow_tests():
    everything = collected("tests/test_browser.py", "tests/test_grid_page.py")
    assert {line.split("::")[0] for line in everything} == {"tests/test_browser.py", "tests/test_grid_page.py"}
