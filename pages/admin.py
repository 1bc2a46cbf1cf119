"""账户与审计: accounts, wall tokens and the audit log, for administrators."""
import polars as pl
import streamlit as st

from pingan import audit, auth, frame, safe

acct = auth.current_account()  # no account (never through app.py): nothing, rather than admin
lang = st.session_state.get("lang", "zh")
st.title("账户与审计")
if acct is None or not acct.can("accounts"):
    st.error("只有管理员可以管理账户和查看审计日志。")
    st.stop()
if acct is auth.LOCAL_DEMO:
    st.info("当前为本地演示模式:还没有任何账户。第一个账户须为地区范围为全部的管理员;新建后应用需要登录才能使用"
            "(本次运行不再回到演示模式),并可以在非本机地址上提供服务。")
elif acct.region:
    st.caption(f"您的账户范围是 {acct.region}:只能管理该范围及其下级地区的账户和大屏令牌,只能查看这些账户的审计记录。")

tab_users, tab_tokens, tab_audit = st.tabs(["账户", "大屏令牌", "审计日志"])

with tab_users:
    users = auth.list_users(actor=acct)
    if users:
        df = pl.DataFrame(users).with_columns(
            pl.col("role").replace_strict(auth.ROLE_NAMES, default=pl.col("role")).alias("role_zh"),
            pl.when(pl.col("region") == "").then(pl.lit("全部")).otherwise(pl.col("region")).alias("scope"),
            pl.when(pl.col("disabled")).then(pl.lit("停用")).otherwise(pl.lit("正常")).alias("state"))
        st.dataframe(df.select("username", "display_name", "role_zh", "scope", "state", "failures", "created"),
                     hide_index=True, width="stretch", column_config={
                         "username": "用户名", "display_name": "显示名称", "role_zh": "角色", "scope": "地区范围",
                         "state": "状态", "failures": st.column_config.NumberColumn("连续失败次数", format="%d"),
                         "created": "创建时间"})
    else:
        st.caption("尚无账户。")
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**新建账户**")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("用户名")
        name = c2.text_input("显示名称")
        role = c3.selectbox("角色", list(auth.ROLES), format_func=lambda r: auth.ROLE_NAMES[r])
        c4, c5 = st.columns(2)
        region = c4.text_input("地区范围(六位代码,留空为全部)")
        password = c5.text_input("初始密码(至少 8 位)", type="password")
        if st.form_submit_button("新建", type="primary"):
            try:
                made = auth.add_user(username.strip(), password, role, region.strip(), name.strip(), actor=acct)
                audit.record(acct.username, "account_add", {"username": made.username, "role": made.role,
                                                            "region": made.region}, role=acct.role)
                st.success(f"已新建 {safe.md(made.username)}")
                st.rerun()
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
    if users:
        with st.form("edit_user"):
            st.markdown("**修改账户**")
            c1, c2, c3 = st.columns(3)
            who = c1.selectbox("用户名", [u["username"] for u in users])
            action = c2.selectbox("操作", ["disable", "enable", "password", "role", "region", "delete"],
                                  format_func=lambda a: {"disable": "停用", "enable": "启用", "password": "重设密码",
                                                         "role": "修改角色", "region": "修改地区范围",
                                                         "delete": "删除"}[a])
            value = c3.text_input("新值(密码、角色代码 leader/analyst/admin/screen 或地区代码)", type="default")
            if st.form_submit_button("执行"):
                try:
                    if action == "delete":
                        auth.delete_user(who, actor=acct)
                    elif action in ("disable", "enable"):
                        auth.update_user(who, disabled=action == "disable", actor=acct)
                    elif action == "password":
                        auth.update_user(who, password=value, actor=acct)
                    elif action == "role":
                        auth.update_user(who, role=value.strip(), actor=acct)
                    else:
                        auth.update_user(who, region=value.strip(), actor=acct)
                    detail = {"username": who, "action": action}
                    if action in ("role", "region"):
                        detail["value"] = value.strip()
                    audit.record(acct.username, "account_update", detail, role=acct.role)
                    st.success("已完成")
                    st.rerun()
                except auth.AuthError as exc:
                    st.error(safe.md(str(exc)))

with tab_tokens:
    st.caption("大屏令牌只在新建时显示一次;大屏地址为 /screen?token=令牌,该令牌只能打开大屏页面。")
    toks = auth.list_screen_tokens(actor=acct)
    if toks:
        st.dataframe(pl.DataFrame(toks), hide_index=True, width="stretch",
                     column_config={"id": "编号", "region": "地区范围", "label": "名称", "created": "创建时间"})
    with st.form("add_token", clear_on_submit=True):
        c1, c2 = st.columns(2)
        region = c1.text_input("地区范围(六位代码,留空为全部)")
        label = c2.text_input("名称(例如:省指挥中心大屏)")
        if st.form_submit_button("新建令牌"):
            try:
                tid, token = auth.add_screen_token(region.strip(), label.strip(), actor=acct)
                audit.record(acct.username, "token_add", {"id": tid, "region": region.strip()}, role=acct.role)
                st.success(f"令牌 {safe.md(tid)} 已新建(请立即复制,之后不再显示):")
                st.code(token, language=None)
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
    if toks:
        revoke = st.selectbox("撤销令牌", [t_["id"] for t_ in toks], key="revoke_token")
        if st.button("撤销"):
            try:
                auth.revoke_screen_token(revoke, actor=acct)
            except auth.AuthError as exc:
                st.error(safe.md(str(exc)))
            else:
                audit.record(acct.username, "token_revoke", {"id": revoke}, role=acct.role)
                st.rerun()

with tab_audit:
    log = audit.read()
    if (visible := auth.visible_users(acct)) is not None:  # a scoped admin: the accounts inside its scope only
        log = log.filter(pl.col("user").is_in(sorted(visible)))
    broken = audit.verify()  # a list of tampering findings, with .torn lines and .records (pingan/audit.py)
    show = st.error if broken else st.warning if broken.torn else st.caption
    show("  \n".join(broken.report_zh(limit=5)))
    c1, c2 = st.columns(2)
    users_f = c1.multiselect("用户", sorted(set(log["user"].to_list())), placeholder="全部用户")
    actions_f = c2.multiselect("操作", sorted(set(log["action_zh"].to_list())), placeholder="全部操作")
    view = log
    if users_f:
        view = view.filter(pl.col("user").is_in(users_f))
    if actions_f:
        view = view.filter(pl.col("action_zh").is_in(actions_f))
    st.dataframe(view.select("time", "user", "role", "action_zh", "detail").head(5000), hide_index=True,
                 width="stretch", height=480, column_config={
                     "time": "时间", "user": "用户", "role": "角色", "action_zh": "操作",
                     "detail": st.column_config.TextColumn("详情", width="large")})
    frame.downloads(view, "审计日志", lang, key="audit")
