"""平安驾驶舱 entry point: start-up checks, warehouse on first start, login and roles, navigation.

`streamlit run app.py` first imports this file as a module (it defines an st.App), which is where the
start-up checks run; every session then runs it as the main script.
"""
from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from pingan.nav import PAGES  # (file, url path, i18n key, permission), in menu order

ROOT = Path(__file__).resolve().parent

if __name__ != "__main__":
    # Server start (st.App mode): refuse to serve beyond this machine without accounts, and start building
    # the warehouse before the first visitor arrives; once it is ready, the same background thread pre-warms the
    # landing page's and the wall's queries and an SQL worker (never in an AppTest session: that runs the else branch).
    from pingan import startup

    startup.check_or_exit()
    startup.decide_demo_mode()
    startup.navigation_only()
    startup.build_in_background(prewarm_after=True)
    app = st.App(__file__)
else:
    from pingan import audit, auth, build, queries, safe, startup, warehouse
    from pingan.i18n import pick, t

    st.set_page_config(page_title=t("app_title"), layout="wide")

    @st.cache_resource(show_spinner=False)
    def _ensure_warehouse() -> str | None:
        """Build the warehouse once per server when it is missing or broken; returns a notice or None."""
        return build.ensure()

    def _warehouse_ready(lang: str) -> None:
        with st.spinner(t("building", lang)):
            try:
                notice = _ensure_warehouse()
                if warehouse.current_path() is None or not warehouse.current_path().exists():
                    _ensure_warehouse.clear()
                    notice = _ensure_warehouse()
            except Exception as exc:  # a broken build must not leave a traceback on screen
                _ensure_warehouse.clear()
                st.error(t("build_failed", lang, exc=exc))
                st.stop()
        if notice and not st.session_state.get("_notice_shown"):
            st.toast(notice)
            st.session_state["_notice_shown"] = True

    def _sso_configured() -> bool:
        try:
            return "auth" in st.secrets
        except Exception:  # no secrets.toml at all
            return False

    def _client() -> str:
        """Who is logging in, for the throttle: the client's IP address, else this browser session."""
        ip = getattr(st.context, "ip_address", None)
        if isinstance(ip, str) and ip:
            return "ip:" + ip
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        return "session:" + (ctx.session_id if ctx else "")

    def _login_form(lang: str) -> None:
        st.title(t("app_title", lang))
        st.caption(t("login_prompt", lang, rule=auth.lockout_rule(lang)))
        with st.form("login"):
            user = st.text_input(t("login_user", lang), key="login_user")
            password = st.text_input(t("login_password", lang), type="password", key="login_password")
            submitted = st.form_submit_button(t("login", lang), type="primary")
        if submitted:
            try:
                acct = auth.authenticate(user.strip(), password, client=_client())
            except auth.AuthError as exc:
                audit.record(user.strip()[:64], "login_failed", {"reason": str(exc)})
                st.error(safe.md(str(exc)))
            else:
                now = time.time()
                st.session_state.update(account=acct, login_at=now, last_seen=now)
                audit.record(acct.username, "login", {"region": acct.region}, role=acct.role)
                st.rerun()
        if _sso_configured():  # optional single sign-on (OIDC) configured in .streamlit/secrets.toml
            if st.button(t("sso_login", lang)):
                st.login()
        st.stop()

    def _account(lang: str) -> auth.Account:
        """The session's account: local demo mode (decided at server start), a screen token, SSO or a login;
        re-checked against the accounts file on every run (auth.check_session)."""
        try:
            if auth.demo_mode():
                return auth.LOCAL_DEMO
        except auth.AccountsUnreadable as exc:  # fail closed: no demo, no login
            st.error(safe.md(str(exc)))
            st.stop()
        token = st.query_params.get("token")
        if token:
            try:
                acct = auth.screen_account(token)
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
                st.stop()
            if st.session_state.get("account") != acct:
                audit.record(acct.username, "login", {"via": "screen token", "region": acct.region}, role="screen")
            st.session_state.update(account=acct, login_at=time.time(), last_seen=time.time())
            return acct
        acct = st.session_state.get("account")
        if acct is None and _sso_configured() and getattr(st.user, "is_logged_in", False):
            name = st.user.get("preferred_username") or st.user.get("email") or ""
            try:
                acct = auth.sso_account(name)
            except auth.AuthError:
                st.error(t("sso_unknown", lang, name=safe.md(name)))
                st.stop()
            st.session_state.update(account=acct, login_at=time.time(), last_seen=time.time())
            audit.record(name, "login", {"via": "sso"}, role=acct.role)
        if acct is None:
            if not auth.accounts_configured():  # every account deleted on a server that had some: not demo
                st.title(t("app_title", lang))
                st.error(t("no_accounts", lang))
                st.stop()
            _login_form(lang)
        try:
            return auth.check_session(st.session_state)
        except auth.SessionEnded as exc:
            st.warning(str(exc))
            _login_form(lang)

    def _sidebar_account(acct: auth.Account, lang: str) -> None:
        with st.sidebar:
            if acct is auth.LOCAL_DEMO:
                st.info(t("local_demo", lang), icon=None)
                return
            role = pick(auth.ROLE_NAMES[acct.role], acct.role, lang)
            st.caption(t("signed_in", lang, name=safe.md(acct.display_name), role=role,
                         scope=acct.region or t("all", lang)))
            if acct.role != "screen" and st.button(t("logout", lang), key="logout"):
                audit.record(acct.username, "logout", role=acct.role)
                for k in auth.SESSION_KEYS:
                    st.session_state.pop(k, None)
                st.rerun()

    def _session_account() -> auth.Account | None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        if get_script_run_ctx(suppress_warning=True) is None:  # a server thread (the start-up pre-warm): no session
            return None
        return st.session_state.get("account_active")

    def main() -> None:
        auth.set_address_source(startup.bind_address)
        auth.set_provider(_session_account)
        lang = st.session_state.get("lang", st.query_params.get("lang", "zh"))
        _warehouse_ready(lang)
        acct = _account(lang)
        st.session_state["account_active"] = acct
        # the SQL page reads these: its sandbox builds a per-region extract for a scoped account
        st.session_state["account_region"] = acct.region
        st.session_state["account_user"] = acct.username
        allowed = [p for p in PAGES if (ROOT / p[0]).exists() and acct.can(p[3])
                   or (p[1] == "screen" and acct.can("view") and (ROOT / p[0]).exists())]
        pages = [st.Page(str(ROOT / f), title=t(key, lang), default=(i == 0),
                         **({} if i == 0 else {"url_path": url}))
                 for i, (f, url, key, _) in enumerate(allowed)]
        if acct.role == "screen":  # the wall account sees one page, at its usual address /screen
            wall = st.Page(str(ROOT / "pages/screen.py"), title=t("page_screen", lang), url_path="screen")

            def home() -> None:
                st.switch_page(wall)

            pages = [st.Page(home, title=t("page_screen", lang), default=True), wall]
        nav = st.navigation(pages)
        if st.session_state.get("_last_page") != nav.url_path:
            st.session_state["_last_page"] = nav.url_path
            audit.record(acct.username, "page_view", {"page": nav.url_path or "/"}, role=acct.role)
        _sidebar_account(acct, lang)
        try:
            nav.run()
        except queries.ScopeError as exc:
            audit.record(acct.username, "scope_refused", {"page": nav.url_path, "reason": str(exc)}, role=acct.role)
            st.error(safe.md(str(exc)))

    main()
