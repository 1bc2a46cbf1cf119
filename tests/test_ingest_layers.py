"""pingan/ingest/ imports only downwards: read and parse ← catalog ← headers ← validate ← load, worker on top."""
import ast
from pathlib import Path

INGEST = Path(__file__).resolve().parents[1] / "pingan" / "ingest"
# each module may import the modules listed before it (and the rest of pingan), never one listed after it
ORDER = ["problems", "read", "parse", "catalog", "headers", "overlaps", "validate", "load", "worker"]


def _ingest_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # function-local imports included
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out |= {node.module} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pingan.ingest"):
            out |= {node.module.split(".")[2]} if node.module.count(".") > 1 else {a.name for a in node.names}
    return out


def test_every_ingest_module_is_in_the_order():
    assert sorted(p.stem for p in INGEST.glob("*.py") if p.stem != "__init__") == sorted(ORDER)


def test_ingest_imports_only_downwards():
    wrong = {m: sorted(i for i in _ingest_imports(INGEST / f"{m}.py") if ORDER.index(i) >= ORDER.index(m))
             for m in ORDER}
    assert {m: w for m, w in wrong.items() if w} == {}
