"""The package's layers, in one table, and the test that holds them: a module imports only its own layer or lower
ones (function-local imports included), nothing imports in a cycle, runtime code never reaches into tests/ or
reads app.py, and only the pages layer (and the benchmarks above it, which drive the pages) imports Streamlit.

Modules within one layer may import each other (without cycles). An entry names a module or a package; a package
entry covers every module in it (pingan.views covers each page's view model as it is added), and the longest
matching entry decides.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom up. Each layer: (name, what it is, {module: why it is here}).
LAYERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("core", "definitions, reference data and the files kept outside every snapshot; no DuckDB, no Streamlit", {
        "pingan": "the package itself (a docstring)",
        "pingan.config": "settings, folders",
        "pingan.periods": "periods and their labels",
        "pingan.fmt": "number and date formatting",
        "pingan.rules": "domain rules defined once (figure matching, thresholds, comparability)",
        "pingan.i18n": "the UI-text tables (key -> zh, en)",
        "pingan.safe": "escaping for markdown and spreadsheets",
        "pingan.scope": "the Scope a page is asked for",
        "pingan.regions": "region containment (lineages, within)",
        "pingan.stats": "confidence intervals and tests, plain numpy",
        "pingan.reference": "reads data/reference and data/published",
        "pingan.demo_targets": "the published figures as targets (reference reads its decimals rule)",
        "pingan.templates": "the import templates' columns, from data/reference",
        "pingan.audit": "the append-only audit log in the state folder; every layer above records to it",
        "pingan.history": "each user's SQL history file in the state folder",
        "pingan.stamped": "every handed-out file (safe cells, stamp line, audit event)",
    }),
    ("storage", "the one place that opens DuckDB: snapshots, CURRENT, extracts, sandbox links, pruning", {
        "pingan.warehouse": "connections, the writer protocol, CURRENT, the region tree; scoped.py: extracts",
    }),
    ("build", "what writes snapshots and files from them: build, derive, demo, ingest, export", {
        "pingan.calibrate": "the demo generator's calibration to published figures",
        "pingan.demo_geo": "the demo generator's points inside boundaries",
        "pingan.demo": "the demo generator; demo/__main__.py is `python -m pingan.demo` (runs build)",
        "pingan.rollups": "derived tables, refreshed in a snapshot being written",
        "pingan.build": "builds a snapshot, falls back to an intact one, upgrades an older one (ensure)",
        "pingan.loads": "the load history beside the snapshots, and its copy in each snapshot",
        "pingan.ingest": "the importer, by job (its internal order: tests/test_ingest_layers.py)",
        "pingan.importer": "the importer's public names and command line",
        "pingan.export": "the Parquet export of a snapshot for distributed engines",
        "pingan.warehouse.__main__": "`python -m pingan.warehouse export`: storage's command line runs the export",
    }),
    ("engines", "the query runner and the engines: where SQL runs, for whom", {
        "pingan.auth": "accounts, roles and scopes; the runner enforces them, so it sits below queries",
        "pingan.spark_engine": "queries/*.sql on Spark, over the export",
        "pingan.queries": "the query runner: query files, scope checks, cache, engine choice",
        "pingan.sandbox": "untrusted SQL in a locked worker",
        "pingan.sql": "`python -m pingan.sql`: the sandbox's command line",
    }),
    ("views", "view models: plain Python a page asks for what to show; no Streamlit", {
        "pingan.views": "one module per page (contract in pingan/views/__init__.py)",
        "pingan.charts": "chart figures and their titles",
        "pingan.maps": "boundary files and pydeck decks for the maps",
    }),
    ("pages", "layout only: Streamlit widgets over view models", {
        "pingan.frame": "the frame every page shares (scope filter, account)",
        "pingan.ui": "text and URL-state helpers bound to the session",
        "pingan.nav": "the pages app.py registers",
        "pingan.startup": "what `streamlit run` does once at server start (Streamlit's config, pre-warm)",
        "pages": "the pages",
        "app": "the entry script",
    }),
    ("tools", "benchmarks: drive the whole app (AppTest over app.py) to measure it; nothing imports them", {
        "pingan.timings": "percentiles and text the benchmarks share",
        "pingan.bench_files": "generated county files of any size (the importer's tests use them too)",
        "pingan.bench_compare": "the same questions on other engines",
        "pingan.bench_import": "import and validation at size",
        "pingan.bench": "the page benchmark",
    }),
)
STREAMLIT_LAYERS = ("pages", "tools")


def _modules() -> dict[str, Path]:
    """Dotted name -> file, for pingan/ (every module), pages/*.py and app.py."""
    out = {}
    for path in sorted((ROOT / "pingan").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in sorted((ROOT / "pages").glob("*.py")):
        out[f"pages.{path.stem}"] = path
    out["app"] = ROOT / "app.py"
    return out


MODULES = _modules()


@lru_cache(maxsize=None)
def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imports(name: str) -> set[str]:
    """The project modules `name` imports anywhere in its file (function-local imports included)."""
    path = MODULES[name]
    out = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = _package(name, path).split(".")
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}  # `from . import x`: the module x
    return {m for m in out if m in MODULES and m != name}


def layer_of(name: str) -> int | None:
    best = None
    for i, (_, _, entries) in enumerate(LAYERS):
        for entry in entries:
            if name == entry or name.startswith(entry + ".") or (entry == "pingan" and name == "pingan"):
                if best is None or len(entry) > len(best[1]):
                    best = (i, entry)
    return None if best is None else best[0]


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_every_table_entry_names_a_module():
    entries = [e for _, _, es in LAYERS for e in es]
    assert [e for e in entries if not any(m == e or m.startswith(e + ".") for m in MODULES)] == []
    assert len(entries) == len(set(entries))


def test_imports_go_downwards_only():
    upward = {m: sorted(f"{t} ({LAYERS[layer_of(t)][0]})" for t in imports(m) if layer_of(t) > layer_of(m))
              for m in MODULES}
    assert {m: up for m, up in upward.items() if up} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles({m: imports(m) for m in MODULES}) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _code_strings(tree: ast.AST) -> list[ast.Constant]:
    """String constants that are not docstrings."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]


TEST_MODULES = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {"tests"}


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith("pingan")])
def test_runtime_code_never_reaches_into_tests_or_reads_app_py(name):
    tree = _tree(name)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                 and not n.level}
    assert sorted(imported & TEST_MODULES) == []
    # app.py may be handed to AppTest to run (the benchmarks), never opened or parsed
    run_by_apptest = {id(c) for n in ast.walk(tree) if isinstance(n, ast.Call)
                      and getattr(n.func, "attr", "") == "from_file" for c in ast.walk(n)}
    paths = [s.value for s in _code_strings(tree)
             if (s.value == "tests" or s.value.startswith(("tests/", "tests\\")))
             or (s.value.endswith("app.py") and id(s) not in run_by_apptest)]
    assert paths == []


def test_only_pages_import_streamlit():
    allowed = {i for i, (layer, _, _) in enumerate(LAYERS) if layer in STREAMLIT_LAYERS}
    importers = []
    for name in MODULES:
        tree = _tree(name)
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        if any(n == "streamlit" or n.startswith("streamlit.") for n in names) and layer_of(name) not in allowed:
            importers.append(name)
    assert importers == []


def test_storage_is_the_only_module_that_connects_to_duckdb():
    callers = sorted(name for name in MODULES for n in ast.walk(_tree(name))
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "connect"
                     and getattr(n.func.value, "id", "") == "duckdb")
    assert callers == ["pingan.warehouse"]
