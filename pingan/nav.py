"""The pages app.py registers, in menu order: the one list (app.py's navigation, the benchmark and the browser
tests read it from here, never by parsing app.py)."""
from __future__ import annotations

# (file, url path, i18n key, permission). Only files that exist are registered. No page icons: emoji need
# a colour-emoji font the users' machines may lack, and Material icons fetch a web font (air-gapped).
PAGES = [
    ("pages/overview.py", "", "page_overview", "view"),
    ("pages/grid.py", "grid", "page_grid", "view"),
    ("pages/disputes.py", "disputes", "page_disputes", "view"),
    ("pages/anti_gang.py", "anti_gang", "page_anti_gang", "view"),
    ("pages/satisfaction.py", "satisfaction", "page_satisfaction", "view"),
    ("pages/sql.py", "sql", "page_sql", "sql"),
    ("pages/screen.py", "screen", "page_screen", "screen"),
    ("pages/sources.py", "sources", "page_sources", "view"),
    ("pages/data.py", "data", "page_data", "import"),
    ("pages/admin.py", "admin", "page_admin", "accounts"),
]
