"""The fast tier (pytest -m "not slow") leaves out the browser, Spark, the benchmark and AppTest page renders."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, WHOLLY_SLOW


@pytest.fixture(scope="module")
def tiers(tmp_path_factory) -> dict[str, set[str]]:
    """Node ids of the whole suite by tier, from one collection (~10 s): conftest writes each item's tier."""
    out = tmp_path_factory.mktemp("tiers") / "tiers.txt"
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd=ROOT,
                          env={**os.environ, "PINGAN_TIERS_OUT": str(out)}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    split: dict[str, set[str]] = {"fast": set(), "slow": set()}
    for line in out.read_text(encoding="utf-8").splitlines():
        tier, node = line.split(" ", 1)
        split[tier].add(node)
    return split


def files(nodes: set[str]) -> set[str]:
    return {node.split("::")[0].removeprefix("tests/") for node in nodes}


def test_every_file_has_fast_tests_or_a_stated_reason(tiers):
    every_file = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    assert files(tiers["fast"] | tiers["slow"]) == every_file  # the full suite collects every file
    assert every_file - files(tiers["fast"]) == set(WHOLLY_SLOW)


def test_slow_marker_separates_the_tiers(tiers):
    fast, slow = tiers["fast"], tiers["slow"]
    # the one AppTest render in test_audit.py is slow, its other tests are fast
    assert any("admin_tab_shows_a_torn_line" in node for node in slow)
    assert any("torn_last_line_is_skipped" in node for node in fast)
    # a fixture that renders through the module's render helper makes its tests slow too
    assert "tests/test_sql_page.py::test_page_shows_editor_schema_examples_and_limits" in slow
    # tests that rebuild the warehouse are slow, the rest of test_warehouse.py is fast
    assert "tests/test_warehouse.py::test_first_start_says_first_start" in slow
    assert "tests/test_warehouse.py::test_publish_switches_readers_and_rollback_returns" in fast
    # a browser test is slow, not its whole module
    assert any(n.startswith("tests/test_security_render.py::test_sql_page_in_a_browser") for n in slow)
    assert any(n.startswith("tests/test_security_render.py::test_md_breaks_gfm_autolinks") for n in fast)


def test_the_fast_tier_is_what_not_slow_selects():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not slow",
                           "tests/test_warehouse.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    nodes = {line for line in done.stdout.splitlines() if "::" in line}
    assert "tests/test_warehouse.py::test_publish_switches_readers_and_rollback_returns" in nodes
    assert "tests/test_warehouse.py::test_first_start_says_first_start" not in nodes
