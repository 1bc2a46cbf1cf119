"""UI text in Chinese first, with an English toggle (`?lang=en`): the one mechanism every page and chart uses.

A page or chart keeps its own strings in a `Texts` table, key → (zh, en); `Texts.__call__(key, lang, **kw)`
picks the language and fills the placeholders. Shared strings live in `TEXT` below (`t(key, lang)`). Pages bind
a table to the session's language with `pingan.ui.texts(table)`; view models and charts take `lang` explicitly.
"""
from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("平安驾驶舱", "Ping'an Cockpit"),
    "scope": ("范围", "Scope"),
    "province": ("省份", "Province"),
    "prefecture": ("市(州)", "Prefecture"),
    "county": ("县(市、区)", "County"),
    "all": ("全部", "All"),
    "all_regions": ("全部地区", "All regions"),
    "period_from": ("起始期间", "From"),
    "period_to": ("截止期间", "To"),
    "language": ("语言", "Language"),
    "demo_badge": ("演示数据", "Demo data"),
    "demo_help": ("本页部分或全部数字来自按公开数据校准的生成数据,不是真实统计。",
                  "Some or all figures on this page are generated demo data calibrated to published figures, not real statistics."),
    "unknown_region": ("链接中的地区代码“{code}”不存在或不在您的权限范围内,已显示全部范围。",
                       "The region code “{code}” in the link is unknown or outside your scope; showing everything."),
    "bad_period": ("{msg};已显示默认期间。", "{msg}; showing the default period."),
    "period_clamped": ("所选期间超出数据范围({first}—{last}),已调整。",
                       "The period was outside the data ({first}–{last}) and has been adjusted."),
    "rebuilt": ("{msg}", "{msg}"),
    "building": ("正在构建数据仓库(首次启动约需半分钟)…", "Building the warehouse (about half a minute on first start)…"),
    "page_overview": ("总览", "Overview"),
    "page_sources": ("数据来源", "Sources"),
    "page_grid": ("网格覆盖", "Grid coverage"),
    "page_disputes": ("矛盾纠纷化解", "Dispute resolution"),
    "page_anti_gang": ("扫黑除恶", "Anti-gang campaign"),
    "page_satisfaction": ("安全感与满意度", "Satisfaction"),
    "page_sql": ("自助查询", "SQL"),
    "page_screen": ("大屏", "Big screen"),
    "page_data": ("数据管理", "Data"),
    "page_admin": ("账户与审计", "Accounts and audit"),
    "vs_previous": ("较上期", "vs previous period"),
    "target": ("目标", "Target"),
    "no_data": ("所选范围和期间没有数据。", "No data for this scope and period."),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "as_of": ("数据截至 {date}", "Data as of {date}"),
    "breadcrumb_all": ("全国", "China"),
    # the app shell (app.py): start-up, login, the account in the sidebar
    "build_failed": ("数据仓库无法构建:{exc}", "The warehouse cannot be built: {exc}"),
    "login_prompt": ("请登录。账户由管理员开通;{rule}。", "Please log in. Accounts are opened by an administrator; {rule}."),
    "lockout_rule": ("连续 {failures} 次输错密码将锁定 {minutes} 分钟", "{failures} wrong passwords in a row lock the account "
                     "for {minutes} minutes"),
    "login_user": ("用户名", "User name"),
    "login_password": ("密码", "Password"),
    "login": ("登录", "Log in"),
    "sso_login": ("单点登录", "Single sign-on"),
    "sso_unknown": ("单点登录账户“{name}”尚未在本系统开通或已停用,请联系管理员。",
                    "The single sign-on account “{name}” is not opened in this system or is disabled; ask an "
                    "administrator."),
    "no_accounts": ("尚无可用账户:请管理员在服务器上运行 `python -m pingan.auth add 用户名 --role admin` 创建。",
                    "No usable account: an administrator creates one on the server with "
                    "`python -m pingan.auth add NAME --role admin`."),
    "local_demo": ("本地演示模式:未配置账户,仅本机(127.0.0.1)可访问。",
                   "Local demo mode: no accounts are configured; only this machine (127.0.0.1) can connect."),
    "signed_in": ("{name}({role},范围 {scope})", "{name} ({role}, scope {scope})"),
    "logout": ("退出登录", "Log out"),
    "language_name_zh": ("中文", "中文"),
    "language_name_en": ("English", "English"),
    # half-years and quarters in the scope filter's period lists (years and months: periods.label)
    "period_h1": ("{y}年上半年", "{y}H1"), "period_h2": ("{y}年下半年", "{y}H2"),
    "period_q1": ("{y}年第一季度", "{y}Q1"), "period_q2": ("{y}年第二季度", "{y}Q2"),
    "period_q3": ("{y}年第三季度", "{y}Q3"), "period_q4": ("{y}年第四季度", "{y}Q4"),
}


def t(key: str, lang: str = "zh", **kw) -> str:
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**kw) if kw else text


def name(row: dict, lang: str, zh_key: str = "name_zh", en_key: str = "name_en") -> str:
    return row.get(en_key) if lang == "en" and row.get(en_key) else row.get(zh_key)


class Texts(dict):
    """One page's or chart's strings: key → (zh, en). `table(key, lang, **kw)` gives the text in `lang`."""

    def __call__(self, key: str, lang: str = "zh", **kw) -> str:
        zh, en = self[key]
        text = en if lang == "en" else zh
        return text.format(**kw) if kw else text

    def both(self, key: str, **kw) -> tuple[str, str]:
        return self(key, "zh", **kw), self(key, "en", **kw)


def pick(zh: str, en: str, lang: str) -> str:
    """For a text built at run time from data (a region's two names); fixed texts belong in a Texts table."""
    return en if lang == "en" else zh


TEXT = Texts(TEXT)
