"""`python -m pingan.warehouse export …`: the storage package's command line, which runs the export for distributed
engines (pingan/export.py, a layer above storage, so this entry point is not part of the package's own module)."""
from __future__ import annotations

from ..export import command

if __name__ == "__main__":
    raise SystemExit(command())
