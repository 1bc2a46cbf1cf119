"""账户与审计: accounts, wall tokens and the audit log, for administrators."""
import polars as pl
import streamlit as st

from pingan import audit, auth, frame, safe, ui
from pingan.i18n import Texts
from pingan.views import admin as view

TEXT = Texts({
    "title": ("账户与审计", "Accounts and audit"),
    "admins_only": ("只有管理员可以管理账户和查看审计日志。", "Only administrators may manage accounts and read the audit log."),
    "demo": ("当前为本地演示模式:还没有任何账户。第一个账户须为地区范围为全部的管理员;新建后应用需要登录才能使用"
             "(本次运行不再回到演示模式),并可以在非本机地址上提供服务。",
             "Local demo mode: there is no account yet. The first account must be an administrator whose scope is "
             "everything; once it exists the app needs a login (this run does not return to demo mode) and may serve "
             "beyond this machine."),
    "scoped": ("您的账户范围是 {region}:只能管理该范围及其下级地区的账户和大屏令牌,只能查看这些账户的审计记录。",
               "Your account's scope is {region}: you manage the accounts and wall tokens of that region and below, "
               "and read only their audit records."),
    "tab_users": ("账户", "Accounts"), "tab_tokens": ("大屏令牌", "Wall tokens"), "tab_audit": ("审计日志", "Audit log"),
    "username": ("用户名", "User name"), "display_name": ("显示名称", "Display name"), "role": ("角色", "Role"),
    "scope": ("地区范围", "Region scope"), "state": ("状态", "State"), "failures": ("连续失败次数", "Failures in a row"),
    "created": ("创建时间", "Created"), "no_users": ("尚无账户。", "No accounts yet."),
    "add_user": ("新建账户", "New account"),
    "region_input": ("地区范围(六位代码,留空为全部)", "Region scope (six-digit code, empty for everything)"),
    "password_input": ("初始密码(至少 8 位)", "Initial password (at least 8 characters)"),
    "add": ("新建", "Create"), "added": ("已新建 {name}", "Created {name}"),
    "edit_user": ("修改账户", "Change an account"), "action": ("操作", "Action"),
    "value_input": ("新值(密码、角色代码 leader/analyst/admin/screen 或地区代码)",
                    "New value (password, role code leader/analyst/admin/screen or region code)"),
    "apply": ("执行", "Apply"), "done": ("已完成", "Done"),
    "tokens_intro": ("大屏令牌只在新建时显示一次;大屏地址为 /screen?token=令牌,该令牌只能打开大屏页面。",
                     "A wall token is shown once, when it is made; the wall's address is /screen?token=TOKEN, and "
                     "the token opens the wall page only."),
    "token_id": ("编号", "Id"), "token_label": ("名称", "Name"),
    "label_input": ("名称(例如:省指挥中心大屏)", "Name (e.g. provincial command centre wall)"),
    "add_token": ("新建令牌", "Create token"),
    "token_added": ("令牌 {tid} 已新建(请立即复制,之后不再显示):", "Token {tid} created (copy it now: it is not shown again):"),
    "revoke_pick": ("撤销令牌", "Revoke token"), "revoke": ("撤销", "Revoke"),
    "user": ("用户", "User"), "all_users": ("全部用户", "All users"), "all_actions": ("全部操作", "All actions"),
    "time": ("时间", "Time"), "detail": ("详情", "Detail"),
})
tr = ui.texts(TEXT)
lang = ui.lang()

acct = auth.current_account()  # no account (never through app.py): nothing, rather than admin
st.title(tr("title"))
if acct is None or not acct.can("accounts"):
    st.error(tr("admins_only"))
    st.stop()
if acct is auth.LOCAL_DEMO:
    st.info(tr("demo"))
elif acct.region:
    st.caption(tr("scoped", region=acct.region))

tab_users, tab_tokens, tab_audit = st.tabs([tr("tab_users"), tr("tab_tokens"), tr("tab_audit")])

with tab_users:
    users = auth.list_users(actor=acct)
    if users:
        st.dataframe(view.users_frame(users, lang), hide_index=True, width="stretch", column_config={
            "username": tr("username"), "display_name": tr("display_name"), "role_zh": tr("role"),
            "scope": tr("scope"), "state": tr("state"),
            "failures": st.column_config.NumberColumn(tr("failures"), format="%d"), "created": tr("created")})
    else:
        st.caption(tr("no_users"))
    with st.form("add_user", clear_on_submit=True):
        st.markdown(f"**{tr('add_user')}**")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(tr("username"))
        name = c2.text_input(tr("display_name"))
        role = c3.selectbox(tr("role"), list(auth.ROLES), format_func=lambda r: view.role_name(r, lang))
        c4, c5 = st.columns(2)
        region = c4.text_input(tr("region_input"))
        password = c5.text_input(tr("password_input"), type="password")
        if st.form_submit_button(tr("add"), type="primary"):
            try:
                made = auth.add_user(username.strip(), password, role, region.strip(), name.strip(), actor=acct)
                audit.record(acct.username, "account_add", {"username": made.username, "role": made.role,
                                                            "region": made.region}, role=acct.role)
                st.success(tr("added", name=safe.md(made.username)))
                st.rerun()
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
    if users:
        with st.form("edit_user"):
            st.markdown(f"**{tr('edit_user')}**")
            c1, c2, c3 = st.columns(3)
            who = c1.selectbox(tr("username"), [u["username"] for u in users])
            action = c2.selectbox(tr("action"), list(view.EDITS), format_func=lambda a: view.edit_label(a, lang))
            value = c3.text_input(tr("value_input"), type="default")
            if st.form_submit_button(tr("apply")):
                try:
                    detail = view.apply_edit(who, action, value, acct)
                    audit.record(acct.username, "account_update", detail, role=acct.role)
                    st.success(tr("done"))
                    st.rerun()
                except auth.AuthError as exc:
                    st.error(safe.md(str(exc)))

with tab_tokens:
    st.caption(tr("tokens_intro"))
    toks = auth.list_screen_tokens(actor=acct)
    if toks:
        st.dataframe(pl.DataFrame(toks), hide_index=True, width="stretch",
                     column_config={"id": tr("token_id"), "region": tr("scope"), "label": tr("token_label"),
                                    "created": tr("created")})
    with st.form("add_token", clear_on_submit=True):
        c1, c2 = st.columns(2)
        region = c1.text_input(tr("region_input"))
        label = c2.text_input(tr("label_input"))
        if st.form_submit_button(tr("add_token")):
            try:
                tid, token = auth.add_screen_token(region.strip(), label.strip(), actor=acct)
                audit.record(acct.username, "token_add", {"id": tid, "region": region.strip()}, role=acct.role)
                st.success(tr("token_added", tid=safe.md(tid)))
                st.code(token, language=None)
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
    if toks:
        revoke = st.selectbox(tr("revoke_pick"), [t_["id"] for t_ in toks], key="revoke_token")
        if st.button(tr("revoke")):
            try:
                auth.revoke_screen_token(revoke, actor=acct)
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
            else:
                audit.record(acct.username, "token_revoke", {"id": revoke}, role=acct.role)
                st.rerun()

with tab_audit:
    log = view.audit_log(acct)
    broken = audit.verify()  # a list of tampering findings, with .torn lines and .records (pingan/audit.py)
    show = st.error if broken else st.warning if broken.torn else st.caption
    show("  \n".join(broken.report_zh(limit=5)))
    c1, c2 = st.columns(2)
    users_f = c1.multiselect(tr("user"), sorted(set(log["user"].to_list())), placeholder=tr("all_users"))
    actions_f = c2.multiselect(tr("action"), sorted(set(log["action_zh"].to_list())), placeholder=tr("all_actions"))
    shown = view.filter_log(log, users_f, actions_f)
    st.dataframe(shown.select("time", "user", "role", "action_zh", "detail").head(5000), hide_index=True,
                 width="stretch", height=480, column_config={
                     "time": tr("time"), "user": tr("user"), "role": tr("role"), "action_zh": tr("action"),
                     "detail": st.column_config.TextColumn(tr("detail"), width="large")})
    frame.downloads(shown, "审计日志", lang, key="audit")
