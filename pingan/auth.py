"""Local accounts, roles, region scope, screen tokens and sessions.

Accounts live in <state>/accounts.json (outside every snapshot), passwords hashed with Argon2id
(argon2-cffi). Screen tokens are stored as SHA-256 digests only. With no account configured the app runs in
a local demo mode on 127.0.0.1 (see app.py).

    python -m pingan.auth add NAME --role analyst --region 532900      (password from a prompt or stdin)
    python -m pingan.auth list | passwd NAME | disable NAME | enable NAME | delete NAME
    python -m pingan.auth token add --region 530000 --label 指挥中心 | token list | token revoke ID
"""
from __future__ import annotations

import argparse
import fcntl
import getpass
import hashlib
import json
import os
import re
import secrets
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import config

ROLES: dict[str, frozenset[str]] = {
    "leader": frozenset({"view"}),
    "analyst": frozenset({"view", "sql", "export"}),
    "admin": frozenset({"view", "sql", "export", "import", "snapshots", "accounts", "audit"}),
    "screen": frozenset({"screen"}),
}
ROLE_NAMES = {"leader": "领导", "analyst": "分析员", "admin": "管理员", "screen": "大屏"}
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
IDLE_SECONDS = 30 * 60
MAX_SESSION_SECONDS = 12 * 3600
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")
_hasher = PasswordHasher()


class AuthError(Exception):
    """A refusal; the message is plain Chinese for the user."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    region: str = ""          # '' = everything; else a six-digit code, its sub-regions included
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return permission in ROLES.get(self.role, frozenset())


LOCAL_DEMO = Account("local", "admin", "", "本地演示")


def _accounts_path() -> Path:
    return config.state_dir() / "accounts.json"


@contextmanager
def _locked_store():
    """Read-modify-write of the account file under an exclusive lock; written atomically."""
    path = _accounts_path()
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _read(path)
        try:
            yield data
        finally:  # also on a refusal: failure counts and lock-outs must be kept
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)


def _read(path: Path | None = None) -> dict:
    path = path or _accounts_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    data.setdefault("users", {})
    data.setdefault("tokens", {})
    return data


def accounts_configured() -> bool:
    return bool(_read()["users"])


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise AuthError("密码至少需要 8 个字符")


def _check_region(region: str) -> None:
    if region and not re.fullmatch(r"\d{6}", region):
        raise AuthError(f"地区代码应为六位数字:{region}")


def add_user(username: str, password: str, role: str, region: str = "", display_name: str = "") -> Account:
    if not _NAME.match(username):
        raise AuthError("用户名须为 2—32 个字母、数字、汉字或 _ . -")
    if role not in ROLES:
        raise AuthError(f"未知角色:{role}(可选:{', '.join(ROLES)})")
    _check_password(password)
    _check_region(region)
    with _locked_store() as data:
        if username in data["users"]:
            raise AuthError(f"用户已存在:{username}")
        data["users"][username] = {"hash": _hasher.hash(password), "role": role, "region": region,
                                   "display_name": display_name or username, "failures": 0,
                                   "locked_until": 0, "disabled": False,
                                   "created": datetime.now().isoformat(timespec="seconds")}
    return Account(username, role, region, display_name or username)


def update_user(username: str, *, role: str | None = None, region: str | None = None,
                display_name: str | None = None, disabled: bool | None = None, password: str | None = None) -> None:
    with _locked_store() as data:
        user = data["users"].get(username)
        if user is None:
            raise AuthError(f"用户不存在:{username}")
        if role is not None:
            if role not in ROLES:
                raise AuthError(f"未知角色:{role}")
            user["role"] = role
        if region is not None:
            _check_region(region)
            user["region"] = region
        if display_name is not None:
            user["display_name"] = display_name
        if disabled is not None:
            user["disabled"] = disabled
        if password is not None:
            _check_password(password)
            user["hash"] = _hasher.hash(password)
            user["failures"], user["locked_until"] = 0, 0


def delete_user(username: str) -> None:
    with _locked_store() as data:
        if data["users"].pop(username, None) is None:
            raise AuthError(f"用户不存在:{username}")


def list_users() -> list[dict]:
    return [{"username": k, **{f: v[f] for f in ("role", "region", "display_name", "disabled", "failures",
                                                   "locked_until", "created")}}
            for k, v in sorted(_read()["users"].items())]


def authenticate(username: str, password: str, now: float | None = None) -> Account:
    """Check a password; count failures and lock the account after MAX_FAILURES in a row."""
    now = time.time() if now is None else now
    with _locked_store() as data:
        user = data["users"].get(username)
        if user is None:
            _hasher.hash(password)  # same work as a real check, so timing does not reveal names
            raise AuthError("用户名或密码错误")
        if user.get("disabled"):
            raise AuthError("该账户已停用,请联系管理员")
        if user.get("locked_until", 0) > now:
            until = datetime.fromtimestamp(user["locked_until"]).strftime("%H:%M")
            raise AuthError(f"连续登录失败次数过多,账户已锁定至 {until}")
        try:
            _hasher.verify(user["hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            user["failures"] = user.get("failures", 0) + 1
            if user["failures"] >= MAX_FAILURES:
                user["locked_until"] = now + LOCK_SECONDS
                user["failures"] = 0
                raise AuthError(f"连续 {MAX_FAILURES} 次登录失败,账户已锁定 {LOCK_SECONDS // 60} 分钟") from None
            raise AuthError("用户名或密码错误") from None
        user["failures"], user["locked_until"] = 0, 0
        if _hasher.check_needs_rehash(user["hash"]):
            user["hash"] = _hasher.hash(password)
        return Account(username, user["role"], user.get("region", ""), user.get("display_name", username))


def add_screen_token(region: str = "", label: str = "") -> tuple[str, str]:
    """A new wall-display token; returns (token id, token). Only the token's digest is stored."""
    _check_region(region)
    token = secrets.token_urlsafe(24)
    tid = token[:6]
    with _locked_store() as data:
        data["tokens"][tid] = {"sha256": hashlib.sha256(token.encode()).hexdigest(), "region": region,
                               "label": label, "created": datetime.now().isoformat(timespec="seconds")}
    return tid, token


def revoke_screen_token(tid: str) -> None:
    with _locked_store() as data:
        if data["tokens"].pop(tid, None) is None:
            raise AuthError(f"令牌不存在:{tid}")


def list_screen_tokens() -> list[dict]:
    return [{"id": k, "region": v["region"], "label": v["label"], "created": v["created"]}
            for k, v in sorted(_read()["tokens"].items())]


def screen_account(token: str) -> Account:
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    for tid, tok in _read()["tokens"].items():
        if secrets.compare_digest(tok["sha256"], digest):
            return Account(f"screen:{tid}", "screen", tok.get("region", ""), tok.get("label") or "大屏")
    raise AuthError("大屏令牌无效或已撤销")


def session_expired(login_at: float, last_seen: float, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return now - last_seen > IDLE_SECONDS or now - login_at > MAX_SESSION_SECONDS


# --------------------------------------------------------------------------------------------------
# The account of the session a query runs for (set by app.py; read by the query layer)
# --------------------------------------------------------------------------------------------------
_provider = None


def set_provider(fn) -> None:
    """Register how to find the current session's account (app.py passes a session_state lookup)."""
    global _provider
    _provider = fn


def current_account() -> Account | None:
    if _provider is None:
        return None
    try:
        return _provider()
    except Exception:  # no Streamlit session (CLI, tests): no account
        return None


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码:")
    if getpass.getpass("再次输入:") != first:
        raise AuthError("两次输入的密码不一致")
    return first


def main(argv: list[str] | None = None) -> int:
    from . import audit

    p = argparse.ArgumentParser(prog="python -m pingan.auth", description="账户与大屏令牌管理")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add", help="新建账户")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=sorted(ROLES))
    a.add_argument("--region", default="", help="六位地区代码;省略为全部")
    a.add_argument("--name", default="", help="显示名称")
    a.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list", help="列出账户")
    for cmd in ("passwd", "disable", "enable", "delete"):
        c = sub.add_parser(cmd)
        c.add_argument("username")
        if cmd == "passwd":
            c.add_argument("--password-stdin", action="store_true")
    t = sub.add_parser("token", help="大屏令牌")
    tsub = t.add_subparsers(dest="tcmd", required=True)
    ta = tsub.add_parser("add")
    ta.add_argument("--region", default="")
    ta.add_argument("--label", default="")
    tsub.add_parser("list")
    tr = tsub.add_parser("revoke")
    tr.add_argument("id")
    args = p.parse_args(argv)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.cmd == "add":
            acct = add_user(args.username, _read_password(args), args.role, args.region, args.name)
            audit.record(actor, "account_add", {"username": acct.username, "role": acct.role, "region": acct.region})
            print(f"已创建账户 {acct.username}({ROLE_NAMES[acct.role]},范围 {acct.region or '全部'})")
        elif args.cmd == "list":
            for u in list_users():
                state = "停用" if u["disabled"] else "正常"
                print(f"{u['username']}\t{u['role']}\t{u['region'] or '全部'}\t{state}\t{u['display_name']}")
        elif args.cmd == "passwd":
            update_user(args.username, password=_read_password(args))
            audit.record(actor, "account_password", {"username": args.username})
            print(f"已修改 {args.username} 的密码")
        elif args.cmd in ("disable", "enable"):
            update_user(args.username, disabled=args.cmd == "disable")
            audit.record(actor, f"account_{args.cmd}", {"username": args.username})
            print(f"已{'停用' if args.cmd == 'disable' else '启用'} {args.username}")
        elif args.cmd == "delete":
            delete_user(args.username)
            audit.record(actor, "account_delete", {"username": args.username})
            print(f"已删除 {args.username}")
        elif args.tcmd == "add":
            tid, token = add_screen_token(args.region, args.label)
            audit.record(actor, "token_add", {"id": tid, "region": args.region})
            print(f"令牌 {tid}(只显示这一次,请妥善保存):{token}")
            print(f"大屏地址:/screen?token={token}")
        elif args.tcmd == "list":
            for tok in list_screen_tokens():
                print(f"{tok['id']}\t{tok['region'] or '全部'}\t{tok['label']}\t{tok['created']}")
        else:
            revoke_screen_token(args.id)
            audit.record(actor, "token_revoke", {"id": args.id})
            print(f"已撤销令牌 {args.id}")
    except AuthError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
