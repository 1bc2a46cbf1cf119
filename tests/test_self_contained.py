"""The suite and the package read nothing outside the repository: a user's clone has no ../shared or /work."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

# Each pattern is a way a path escapes the clone: a sibling folder, an absolute path of this machine's
# workspace, the user's home, or climbing above the repository root from a file in tests/ or pingan/
# (parents[1] of such a file is the root, so parents[2] and a third .parent are outside).
ESCAPES = {
    "sibling ../shared folder": r"\.\.[/\\]shared|[\"']shared[\"']\s*/",
    "absolute /work path": r"[\"'`]/work/",
    "home folder": r"Path\.home\(\)|expanduser\(",
    "parent of the repository root": r"\b(?:REPO|ROOT)\.parent\b|\.parents\[[2-9]\]|\.parent\.parent\.parent\b",
}
# Mentions that read nothing outside the clone, and why.
ALLOWED = {
    ("tests/test_security_storage.py", "home folder"): "the home folder's path is text the sandbox must not reveal",
    ("tests/bad_files/corpus.py", "parent of the repository root"):
        "one folder deeper than tests/: parents[2] of tests/bad_files/corpus.py is the repository root",
}
SCANNED = sorted(p for folder in ("tests", "pingan", "pages") for p in (ROOT / folder).rglob("*.py")
                 if p.name != "test_self_contained.py") + [ROOT / "app.py"]


def escapes_in(text: str) -> list[str]:
    """The kinds of out-of-repository path the text refers to."""
    return [kind for kind, pattern in ESCAPES.items() if re.search(pattern, text)]


@pytest.mark.parametrize("text,kinds", [
    ('SEED_DIR = Path(os.environ.get("X", REPO.parent / "shared" / "seeds"))',
     ["sibling ../shared folder", "parent of the repository root"]),
    ('open("../shared/seeds/a.txt")', ["sibling ../shared folder"]),
    ('Path("/work/shared/reference/census.csv")', ["absolute /work path"]),
    ("Path(__file__).resolve().parents[2] / 'x'", ["parent of the repository root"]),
    ('ROOT / "data" / "seeds"', []),
    ('Path(__file__).resolve().parents[1] / "data"', []),
    ('CHROMIUM = "/usr/bin/chromium"', []),
])
def test_escape_patterns(text, kinds):
    assert escapes_in(text) == kinds


def test_no_file_refers_outside_the_repository():
    found = {str(p.relative_to(ROOT)): escapes_in(p.read_text(encoding="utf-8")) for p in SCANNED}
    found = {name: [k for k in kinds if (name, k) not in ALLOWED] for name, kinds in found.items()}
    assert {name: kinds for name, kinds in found.items() if kinds} == {}


def test_seed_document_is_in_the_repository():
    seeds = sorted((ROOT / "data" / "seeds").glob("*.txt"))
    assert [p.name for p in seeds] == ["000_212d9168fa5da902.txt"]
    assert seeds[0].stat().st_size == 73153


def test_writes_to_the_state_folder_and_tmp_path(tmp_path):
    """The probe the next test runs in a session of its own; on its own it only checks that both folders work."""
    (Path(os.environ["PINGAN_STATE_DIR"]) / "probe.bin").write_bytes(b"x" * 1024)
    (tmp_path / "probe.bin").write_bytes(b"x" * 1024)
    assert (tmp_path / "probe.bin").stat().st_size == 1024


def test_a_session_leaves_nothing_in_the_temp_folder(tmp_path):
    """A session that writes to the state folder and to tmp_path leaves the temp folder empty when it passes."""
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    env.pop("PINGAN_STATE_DIR", None)
    probe = "tests/test_self_contained.py::test_writes_to_the_state_folder_and_tmp_path"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", probe],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    # pytest's per-user folder (pytest-of-<user>) may stay, empty: it holds other runs' folders
    left = [str(p.relative_to(temp)) for p in temp.rglob("*") if p.is_file() or p.name.startswith("pingan-")]
    assert left == []
