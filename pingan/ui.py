"""Streamlit helpers every page shares: its texts in the session's language and its own URL parameters.

The scope (region/from/to/lang) is kept in the URL by `frame.scope_filter`; a page's own choices (an indicator,
a map level, a phase …) by `url_choice` / `url_write` here. `bind="query-params"` would write the translated
labels into the URL, so it is not used.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from .i18n import Texts


def lang() -> str:
    return st.session_state.get("lang", "zh")


def texts(table: dict) -> Callable[..., str]:
    """`tr = ui.texts(TEXT)`, then `tr(key, **kw)` in the session's language."""
    table = table if isinstance(table, Texts) else Texts(table)

    def tr(key: str, **kw) -> str:
        return table(key, lang(), **kw)

    tr.table = table
    return tr


def url_choice(param: str, key: str, options: list, default, multi: bool = False) -> None:
    """Copy the page's URL parameter `param` into widget state `key` when the link changed.

    Unknown values are ignored; a link that drops the parameter puts the default back; a value that is no longer an
    option falls back to the default. `multi`: the parameter is a comma-separated list."""
    raw = st.query_params.get(param)
    seen = f"_url_{param}"
    if raw is not None and raw != st.session_state.get(seen):
        picked = [v for v in raw.split(",") if v in options]
        if multi:
            st.session_state[key] = picked
        elif picked:
            st.session_state[key] = picked[0]
    elif raw is None and st.session_state.get(seen) is not None:
        st.session_state[key] = default  # the link dropped the parameter: back to the default
    if key not in st.session_state or (not multi and st.session_state[key] not in options):
        st.session_state[key] = default


def url_write(param: str, value, default, multi: bool = False) -> None:
    """Keep the URL in step with the widget: the default is left out of the link."""
    seen = f"_url_{param}"
    if value == default or (multi and sorted(value or []) == sorted(default)):
        st.query_params.pop(param, None)
        st.session_state[seen] = None
    else:
        text = ",".join(value or []) if multi else value
        st.query_params[param] = text
        st.session_state[seen] = text


def session_alive() -> bool:
    """Is the Streamlit session this script runs for still connected? True outside a Streamlit server.

    The importer's worker polls it (`alive=`) to stop validating for a browser tab that has gone."""
    from streamlit.runtime import Runtime, exists
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not exists():
        return True
    return Runtime.instance().is_active_session(ctx.session_id)
