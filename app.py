"""平安驾驶舱 entry point: page config, warehouse on first start, shared scope filter, navigation."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from pingan import warehouse
from pingan.i18n import t

ROOT = Path(__file__).resolve().parent

# (file, url path, i18n key). Pages arrive with their issues; only files that exist are registered.
# No page icons: emoji need a colour-emoji font that the users' machines may lack, and :material/ icons
# fetch a web font (the network is air-gapped).
PAGES = [
    ("pages/overview.py", "", "page_overview"),
    ("pages/grid.py", "grid", "page_grid"),
    ("pages/disputes.py", "disputes", "page_disputes"),
    ("pages/anti_gang.py", "anti_gang", "page_anti_gang"),
    ("pages/satisfaction.py", "satisfaction", "page_satisfaction"),
    ("pages/sql.py", "sql", "page_sql"),
    ("pages/screen.py", "screen", "page_screen"),
    ("pages/sources.py", "sources", "page_sources"),
    ("pages/data.py", "data", "page_data"),
]

st.set_page_config(page_title="平安驾驶舱", layout="wide")


@st.cache_resource(show_spinner=False)
def _ensure_warehouse() -> str | None:
    """Build the warehouse once per server when it is missing or broken; returns a notice or None."""
    return warehouse.ensure()


def main() -> None:
    lang = st.session_state.get("lang", st.query_params.get("lang", "zh"))
    with st.spinner(t("building", lang)):
        try:
            notice = _ensure_warehouse()
        except Exception as exc:  # a broken build must not leave a traceback on screen
            _ensure_warehouse.clear()
            st.error(f"数据仓库无法构建:{exc}")
            st.stop()
    if warehouse.current_path() is None or not warehouse.current_path().exists():
        _ensure_warehouse.clear()
        notice = warehouse.ensure()
    if notice and not st.session_state.get("_notice_shown"):
        st.toast(notice)
        st.session_state["_notice_shown"] = True
    pages = [
        st.Page(str(ROOT / f), title=t(key, lang), default=True) if url == "" else
        st.Page(str(ROOT / f), title=t(key, lang), url_path=url)
        for f, url, key in PAGES
        if (ROOT / f).exists()
    ]
    st.navigation(pages).run()


main()
