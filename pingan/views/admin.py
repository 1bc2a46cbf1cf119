"""The accounts page (pages/admin.py): the accounts table, what an edit does, and which audit records are shown.

The rules themselves (who may manage whom, password and scope checks) are pingan/auth.py's; nothing here imports
Streamlit.
"""
from __future__ import annotations

import polars as pl

from .. import audit, auth
from ..i18n import Texts, pick

TEXT = Texts({
    "all": ("全部", "everything"), "disabled": ("停用", "disabled"), "active": ("正常", "active"),
    "disable": ("停用", "Disable"), "enable": ("启用", "Enable"), "password": ("重设密码", "Reset password"),
    "role": ("修改角色", "Change role"), "region": ("修改地区范围", "Change region scope"), "delete": ("删除", "Delete"),
})
EDITS = ("disable", "enable", "password", "role", "region", "delete")


def role_name(role: str, lang: str) -> str:
    """A role in words: 领导/分析员/管理员/大屏 in Chinese, its code (leader, analyst …) in English."""
    return pick(auth.ROLE_NAMES.get(role, role), role, lang)


def users_frame(users: list[dict], lang: str) -> pl.DataFrame:
    """The accounts an administrator sees, with role, scope and state in words."""
    return pl.DataFrame(users).with_columns(
        pl.col("role").replace_strict({r: role_name(r, lang) for r in auth.ROLE_NAMES},
                                      default=pl.col("role")).alias("role_zh"),
        pl.when(pl.col("region") == "").then(pl.lit(TEXT("all", lang))).otherwise(pl.col("region")).alias("scope"),
        pl.when(pl.col("disabled")).then(pl.lit(TEXT("disabled", lang))).otherwise(pl.lit(TEXT("active", lang)))
        .alias("state")).select("username", "display_name", "role_zh", "scope", "state", "failures", "created")


def edit_label(action: str, lang: str) -> str:
    return TEXT(action, lang)


def apply_edit(username: str, action: str, value: str, actor: auth.Account) -> dict:
    """Do one of EDITS to an account as `actor` (auth checks the right to); returns the audit record's detail.

    Raises auth.AuthError when refused. The new password is never part of the detail."""
    if action == "delete":
        auth.delete_user(username, actor=actor)
    elif action in ("disable", "enable"):
        auth.update_user(username, disabled=action == "disable", actor=actor)
    elif action == "password":
        auth.update_user(username, password=value, actor=actor)
    elif action == "role":
        auth.update_user(username, role=value.strip(), actor=actor)
    else:
        auth.update_user(username, region=value.strip(), actor=actor)
    detail = {"username": username, "action": action}
    if action in ("role", "region"):
        detail["value"] = value.strip()
    return detail


def audit_log(actor: auth.Account) -> pl.DataFrame:
    """The audit records `actor` may read: a scoped admin sees the accounts inside its scope only."""
    log = audit.read()
    if (visible := auth.visible_users(actor)) is not None:
        log = log.filter(pl.col("user").is_in(sorted(visible)))
    return log


def filter_log(log: pl.DataFrame, users: list[str], actions: list[str]) -> pl.DataFrame:
    """The records of the chosen users and actions (all of them when none is chosen)."""
    if users:
        log = log.filter(pl.col("user").is_in(users))
    if actions:
        log = log.filter(pl.col("action_zh").is_in(actions))
    return log
