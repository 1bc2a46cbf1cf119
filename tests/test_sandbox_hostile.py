"""The hostile-input corpus (tests/hostile_sql/): every statement refused with the right message, nothing changed."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from pingan import sandbox

CORPUS = Path(__file__).resolve().parent / "hostile_sql"
HEADER = re.compile(r"^-- (expect|message|time_limit|escapes|repeat|repeat_wrap): (.*)$")
ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([ntr])")
# files a statement of the corpus names as a target: none may exist afterwards
TARGETS = ["/tmp/pingan-stolen.csv", "/tmp/cases.parquet", "/tmp/pingan-dump", "/tmp/other.duckdb"]


def _decode(text: str) -> str:
    def one(m):
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        return {"n": "\n", "t": "\t", "r": "\r"}[m.group(3)]
    return ESCAPE.sub(one, text)


def load_case(path: Path) -> tuple[dict, str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    meta = {}
    while lines and HEADER.match(lines[0]):
        key, value = HEADER.match(lines[0]).groups()
        meta[key] = value
        lines.pop(0)
    body = "\n".join(lines)
    if meta.get("escapes") == "true":
        body = _decode(body)
    if "repeat" in meta:
        body = body * int(meta["repeat"])
    if "repeat_wrap" in meta:
        n = int(meta["repeat_wrap"])
        body = "select " + "(" * n + body.strip() + ")" * n
    return meta, body


CASES = sorted(CORPUS.glob("*.sql"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.fixture(scope="module")
def snapshot_before(warehouse_built):
    for target in TARGETS:
        assert not Path(target).exists(), f"{target} exists before the corpus runs"
    return warehouse_built, _sha256(warehouse_built), warehouse_built.stat().st_mtime_ns


def test_corpus_is_big_enough_and_covers_the_issue():
    assert len(CASES) >= 40
    names = " ".join(p.stem for p in CASES)
    for topic in ("read_csv", "read_text", "glob", "passwd_as_table", "copy", "export", "attach", "install", "load",
                  "create_table", "insert", "update", "delete", "drop", "set_", "reset", "pragma", "create_temp",
                  "two_selects", "cross_join", "memory", "empty", "whitespace", "very_long", "zero_width",
                  "bidi", "surrogate", "fullwidth"):
        assert topic in names, topic


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_hostile_statement_refused_with_message(snapshot_before, path):
    meta, body = load_case(path)
    expected = getattr(sandbox, meta["expect"])
    with pytest.raises(sandbox.SandboxError) as info:
        sandbox.run(body, time_limit_s=float(meta.get("time_limit", sandbox.TIME_LIMIT_S)))
    exc = info.value
    assert type(exc) is expected, f"{type(exc).__name__}: {exc}"
    assert meta["message"] in str(exc), str(exc)
    # every message is Chinese and says it was refused or stopped, and why
    assert re.search(r"[\u4e00-\u9fff]", exc.message)


def test_warehouse_unchanged_after_corpus(snapshot_before):
    path, digest, mtime = snapshot_before
    assert _sha256(path) == digest
    assert path.stat().st_mtime_ns == mtime
    for target in TARGETS:
        assert not Path(target).exists(), f"the corpus created {target}"
    # the sandbox still works after all that
    assert sandbox.run("select count(*) as n from region").rows[0][0] > 3000
