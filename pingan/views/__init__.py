"""View models: for each page, plain functions (no Streamlit) that take the scope and return what the page shows
(frames, figures, sentences, marks), and the queries it runs (`calls`), which start-up pre-warms.

Each module here is one page: `pingan/views/grid.py` for `pages/grid.py`, and so on. A module exposes
`calls(scope, ...) -> list[tuple[str, dict]]` (query name and parameters, in the order the page runs them) and
`build(scope, ...)` returning a frozen dataclass of everything the page lays out. Pages only lay out widgets.
"""
