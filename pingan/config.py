"""Settings (name, default, help) in one table, and the project's paths."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
REFERENCE_DIR = DATA_DIR / "reference"
PUBLISHED_DIR = DATA_DIR / "published"
BOUNDARIES_DIR = REFERENCE_DIR / "boundaries"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


# Datasette-style: every setting with its default and a line of help; an unknown name is an error.
SETTINGS = [
    Setting("state_dir", str(DATA_DIR / "state"), "Folder for everything the app writes (env PINGAN_STATE_DIR)"),
    Setting("demo_scale", "default", "Scale of the demo data built on first start (env PINGAN_DEMO_SCALE)"),
    Setting("demo_seed", 20221, "Seed of the demo data generator (env PINGAN_DEMO_SEED)"),
    Setting("snapshots_kept", 5, "How many warehouse snapshots to keep (env PINGAN_SNAPSHOTS_KEPT)"),
    Setting("engine", "duckdb", "Query engine for the pages: duckdb (embedded default) or spark (env PINGAN_ENGINE)"),
]
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str):
    """Return a setting's value: the environment variable PINGAN_<NAME> if set, else the default."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting: {name}")
    default = _BY_NAME[name].default
    raw = os.environ.get("PINGAN_" + name.upper())
    if raw is None or raw == "":
        return default
    return type(default)(raw)


_private: set[str] = set()


def state_dir() -> Path:
    """The state folder, owner-only (0700); the first call also makes this process create files owner-only.

    Every process that writes state (the app, the command lines, the SQL workers) asks for this folder first, so
    this is the one place that decides: umask 0o077 for the process, whatever it writes from then on (snapshots,
    CURRENT, extracts, sandbox links, audit and import history, accounts) is 0600 and its folders 0700; and the
    folder itself is chmod 0700, which also closes files an older version wrote with wider modes."""
    path = Path(setting("state_dir"))
    if str(path) not in _private:
        os.umask(0o077)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_uid == os.getuid():
            os.chmod(path, 0o700)
        _private.add(str(path))
    return path
