"""Local accounts, roles, region scope, screen tokens and sessions.

Accounts live in <state>/accounts.json (outside every snapshot), passwords hashed with Argon2id
(argon2-cffi). Screen tokens are stored as SHA-256 digests only. A server started on 127.0.0.1 with no account
runs in a local demo mode (demo_mode); once an account exists it never does again. Every run and every wall
refresh of a session re-checks its account or token here (check_session).

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
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import config, regions, warehouse
from .i18n import t

ROLES: dict[str, frozenset[str]] = {
    "leader": frozenset({"view"}),
    "analyst": frozenset({"view", "sql", "export"}),
    "admin": frozenset({"view", "sql", "export", "import", "snapshots", "accounts", "audit"}),
    "screen": frozenset({"screen"}),
}
ROLE_NAMES = {"leader": "领导", "analyst": "分析员", "admin": "管理员", "screen": "大屏"}
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def lockout_rule(lang: str = "zh") -> str:
    """The lock-out rule as users are told it (login form): formatted from the limits."""
    return t("lockout_rule", lang, failures=MAX_FAILURES, minutes=LOCK_SECONDS // 60)

IDLE_SECONDS = 30 * 60
MAX_SESSION_SECONDS = 12 * 3600
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")
_hasher = PasswordHasher()


class AuthError(Exception):
    """A refusal; the message is plain Chinese for the user."""


class AccountsUnreadable(AuthError):
    """accounts.json exists but cannot be read or parsed: everything fails closed (no demo mode, no login)."""


class SessionEnded(AuthError):
    """A session whose account or token no longer allows it (revoked, changed, expired); it has been cleared."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    region: str = ""          # '' = everything; else a six-digit code, its sub-regions included
    display_name: str = ""
    # what the session was granted against: a digest of the password hash (accounts) or of the token digest
    # (walls), never the hash itself; a later password change or a new token under the same id no longer matches
    fingerprint: str = field(default="", compare=False, repr=False)

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
    """The account file's content; missing = no accounts; unreadable or malformed raises AccountsUnreadable."""
    path = path or _accounts_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AccountsUnreadable(f"账户文件无法读取({type(exc).__name__}),已拒绝所有登录;请管理员检查 {path.name}") from None
    if not isinstance(data, dict):
        raise AccountsUnreadable(f"账户文件格式错误,已拒绝所有登录;请管理员检查 {path.name}")
    data.setdefault("users", {})
    data.setdefault("tokens", {})
    if not isinstance(data["users"], dict) or not isinstance(data["tokens"], dict):
        raise AccountsUnreadable(f"账户文件格式错误,已拒绝所有登录;请管理员检查 {path.name}")
    return data


# Every run and every wall refresh of every session re-reads the accounts (check_session): parse the file again
# only when it changed. Writers replace it atomically (a new inode), so (inode, mtime, size) names one content.
_cache_lock = threading.Lock()
_cached: dict = {}


def _read_cached() -> dict:
    """Like _read, without the write lock; the caller must not modify the result."""
    path = _accounts_path()
    try:
        st_ = path.stat()
        key = (str(path), st_.st_ino, st_.st_mtime_ns, st_.st_size)
    except FileNotFoundError:
        key = (str(path), None)
    with _cache_lock:
        if _cached.get("key") == key:
            return _cached["data"]
    data = _read(path)
    with _cache_lock:
        _cached.update(key=key, data=data)
    return data


def accounts_configured() -> bool:
    return bool(_read_cached()["users"])


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise AuthError("密码至少需要 8 个字符")


def _check_region(region: str) -> None:
    if region and not re.fullmatch(r"\d{6}", region):
        raise AuthError(f"地区代码应为六位数字:{region}")


# --------------------------------------------------------------------------------------------------
# Who may manage whom: a scoped admin only inside its own region; the last unscoped admin stays
# --------------------------------------------------------------------------------------------------
def _inside(region: str, scope: str) -> bool:
    # regions.within over the current snapshot's region tree: an unknown code is inside no scope, and '' (everything)
    # is inside none either.
    return bool(region) and regions.within(region, scope, warehouse.region_lineages())


def _check_actor_scope(actor: Account | None, region: str, what: str) -> None:
    """Refuse a scoped admin (actor.region set) anything whose region is not inside its own scope.

    `actor` None is the command line or the system (unscoped). '' (everything) is never inside a scope."""
    if actor is None or not actor.region:
        return
    if not region:
        raise AuthError(f"您的账户范围是 {actor.region},不能{what}全部地区范围的账户或令牌")
    if not _inside(region, actor.region):
        raise AuthError(f"地区 {region} 不在您的账户范围({actor.region} 及其下级地区)之内,不能{what}")


def _is_root_admin(user: dict) -> bool:
    return user.get("role") == "admin" and not user.get("region") and not user.get("disabled")


def _keep_a_root_admin(before: dict, after: dict) -> None:
    """Refuse a change that leaves no enabled unscoped admin where there was one (nobody could manage it all)."""
    if any(_is_root_admin(u) for u in before.values()) and not any(_is_root_admin(u) for u in after.values()):
        raise AuthError("这是最后一个可用的全部范围管理员账户,不能删除、停用、降级或限定其范围;请先新建另一个全部范围的管理员")


def add_user(username: str, password: str, role: str, region: str = "", display_name: str = "",
             actor: Account | None = None) -> Account:
    if not _NAME.match(username):
        raise AuthError("用户名须为 2—32 个字母、数字、汉字或 _ . -")
    if role not in ROLES:
        raise AuthError(f"未知角色:{role}(可选:{', '.join(ROLES)})")
    _check_password(password)
    _check_region(region)
    _check_actor_scope(actor, region, "新建")
    hashed = _hasher.hash(password)  # outside the lock: Argon2 takes a while
    with _locked_store() as data:
        if username in data["users"]:
            raise AuthError(f"用户已存在:{username}")
        if actor is LOCAL_DEMO and not data["users"] and (role != "admin" or region):
            # the first account ends demo mode for good: it must be able to manage everything
            raise AuthError("第一个账户必须是地区范围为全部的管理员(角色 admin,地区留空)")
        _mark_account_created()
        data["users"][username] = {"hash": hashed, "role": role, "region": region,
                                   "display_name": display_name or username, "failures": 0,
                                   "locked_until": 0, "disabled": False,
                                   "created": datetime.now().isoformat(timespec="seconds")}
    return Account(username, role, region, display_name or username)


def update_user(username: str, *, role: str | None = None, region: str | None = None,
                display_name: str | None = None, disabled: bool | None = None, password: str | None = None,
                actor: Account | None = None) -> None:
    if role is not None and role not in ROLES:
        raise AuthError(f"未知角色:{role}")
    if region is not None:
        _check_region(region)
        _check_actor_scope(actor, region, "设为")
    if password is not None:
        _check_password(password)
    hashed = _hasher.hash(password) if password is not None else None
    with _locked_store() as data:
        user = data["users"].get(username)
        if user is None:
            raise AuthError(f"用户不存在:{username}")
        _check_actor_scope(actor, user.get("region", ""), "修改")
        before = {k: dict(v) for k, v in data["users"].items()}
        if role is not None:
            user["role"] = role
        if region is not None:
            user["region"] = region
        if display_name is not None:
            user["display_name"] = display_name
        if disabled is not None:
            user["disabled"] = disabled
        if hashed is not None:
            user["hash"] = hashed
            user["failures"], user["locked_until"] = 0, 0
        try:
            _keep_a_root_admin(before, data["users"])
        except AuthError:
            data["users"] = before  # the store is written back on a refusal too (failure counts): unchanged
            raise


def delete_user(username: str, actor: Account | None = None) -> None:
    with _locked_store() as data:
        user = data["users"].get(username)
        if user is None:
            raise AuthError(f"用户不存在:{username}")
        _check_actor_scope(actor, user.get("region", ""), "删除")
        after = {k: v for k, v in data["users"].items() if k != username}
        _keep_a_root_admin(data["users"], after)
        data["users"] = after


def _visible(actor: Account | None, region: str, name: str = "") -> bool:
    return actor is None or not actor.region or name == actor.username or _inside(region, actor.region)


def list_users(actor: Account | None = None) -> list[dict]:
    """Accounts, without their hashes; a scoped admin sees those inside its scope (and itself)."""
    return [{"username": k, **{f: v.get(f) for f in ("role", "region", "display_name", "disabled", "failures",
                                                      "locked_until", "created")}}
            for k, v in sorted(_read_cached()["users"].items()) if _visible(actor, v.get("region", ""), k)]


def visible_users(actor: Account | None) -> set[str] | None:
    """Whose audit events `actor` may read: None = everyone; a scoped admin: the accounts and wall tokens inside
    its scope, and itself (events of deleted accounts and of unknown user names are not in any scope)."""
    if actor is None or not actor.region:
        return None
    data = _read_cached()
    names = {k for k, v in data["users"].items() if _visible(actor, v.get("region", ""), k)}
    names |= {f"screen:{k}" for k, v in data["tokens"].items() if _visible(actor, v.get("region", ""))}
    return names | {actor.username}


# --------------------------------------------------------------------------------------------------
# Logging in: throttled, Argon2 outside the file lock, a bounded number of verifications at once
# --------------------------------------------------------------------------------------------------
THROTTLE_WINDOW_S = 60
THROTTLE_PER_NAME = 5      # attempts per user name per window (known or not; the lock-out counts only known ones)
THROTTLE_PER_CLIENT = 20   # attempts per client (IP address, else session) per window; an office shares one IP
ARGON2_SLOTS = 2           # concurrent verifications: one per core of the machine the design targets


class _Throttle:
    """Recent login attempts per key, in this server process. An attempt in flight counts (so 30 at once from
    one client do not all get through before the first failure is recorded); a success gives its own back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = {}

    def take(self, keys: list[tuple[str, int]], now: float) -> None:
        """Count one attempt against each key, or raise AuthError (counting nothing) when a key is at its limit."""
        with self._lock:
            wait = 0.0
            for key, limit in keys:
                q = self._seen.setdefault(key, deque())
                while q and q[0] <= now - THROTTLE_WINDOW_S:
                    q.popleft()
                if len(q) >= limit:
                    wait = max(wait, q[0] + THROTTLE_WINDOW_S - now)
            if wait > 0:
                raise AuthError(f"尝试过于频繁,请 {max(1, int(wait + 0.999))} 秒后再试")
            for key, _ in keys:
                self._seen[key].append(now)

    def give_back(self, keys: list[tuple[str, int]], now: float) -> None:
        with self._lock:
            for key, _ in keys:
                q = self._seen.get(key)
                if q and now in q:
                    q.remove(now)
            if len(self._seen) > 10_000:  # forget idle keys (a spray of names must not grow this without bound)
                for k in [k for k, q in self._seen.items() if not q]:
                    del self._seen[k]

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class _Slots:
    """At most `n` holders, served first come first served (a plain semaphore lets a looping caller barge ahead of
    one that has waited), with at most `queue` callers waiting: beyond that a login is refused at once rather
    than queued behind a crowd."""

    def __init__(self, n: int, queue: int) -> None:
        self._n, self._queue_max = n, queue
        self._cond = threading.Condition()
        self._waiting: deque = deque()
        self._active = 0

    def __enter__(self) -> None:
        me = object()
        with self._cond:
            if len(self._waiting) >= self._queue_max:
                raise AuthError("当前登录人数过多,请 5 秒后再试")
            self._waiting.append(me)
            while not (self._active < self._n and self._waiting[0] is me):
                self._cond.wait()
            self._waiting.popleft()
            self._active += 1
            self._cond.notify_all()  # the next in line may take another free slot

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


ARGON2_QUEUE = 32  # waiting verifications (first come first served); beyond that a login is told to retry at once
_throttle = _Throttle()
_argon2_slots = _Slots(ARGON2_SLOTS, ARGON2_QUEUE)
_dummy: list[str] = []


def _verify(hashed: str | None, password: str) -> bool:
    """Argon2 verification, at most ARGON2_SLOTS at once; an unknown name costs the same (a dummy hash)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    with _argon2_slots:
        try:
            return _hasher.verify(hashed or _dummy[0], password) and hashed is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(("pingan-session:" + secret).encode()).hexdigest()[:24]


def authenticate(username: str, password: str, now: float | None = None, client: str = "") -> Account:
    """Check a password; count failures and lock the account after MAX_FAILURES in a row.

    Throttled per user name and per client before any Argon2 work; the account file's lock is held only to
    record the outcome, never during the verification."""
    now = time.time() if now is None else now
    keys = [("name:" + username, THROTTLE_PER_NAME)] + ([("client:" + client, THROTTLE_PER_CLIENT)] if client else [])
    _throttle.take(keys, now)
    user = _read_cached()["users"].get(username)
    if user is not None and user.get("disabled"):
        raise AuthError("该账户已停用,请联系管理员")
    if user is not None and user.get("locked_until", 0) > now:
        until = datetime.fromtimestamp(user["locked_until"]).strftime("%H:%M")
        raise AuthError(f"连续登录失败次数过多,账户已锁定至 {until}")
    hashed = user["hash"] if user is not None else None
    try:
        verified = _verify(hashed, password)
    except AuthError:  # too many waiting: refused before any check, so it is not an attempt at the password
        _throttle.give_back(keys, now)
        raise
    if not verified:
        if user is None:
            raise AuthError("用户名或密码错误")
        with _locked_store() as data:
            u = data["users"].get(username)
            if u is not None and u.get("hash") == hashed:  # not changed meanwhile (a new password resets)
                u["failures"] = u.get("failures", 0) + 1
                if u["failures"] >= MAX_FAILURES:
                    u["locked_until"] = now + LOCK_SECONDS
                    u["failures"] = 0
                    raise AuthError(f"连续 {MAX_FAILURES} 次登录失败,账户已锁定 {LOCK_SECONDS // 60} 分钟")
        raise AuthError("用户名或密码错误")
    _throttle.give_back(keys, now)
    rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(hashed) else None
    if user.get("failures") or user.get("locked_until") or rehashed:
        with _locked_store() as data:
            u = data["users"].get(username)
            if u is not None and u.get("hash") == hashed:
                u["failures"], u["locked_until"] = 0, 0
                if rehashed:
                    u["hash"] = hashed = rehashed
    return Account(username, user["role"], user.get("region", ""), user.get("display_name", username),
                   fingerprint=_fingerprint(hashed))


def sso_account(name: str) -> Account:
    """The local account an SSO identity maps to (same name), or AuthError."""
    user = _read_cached()["users"].get(name)
    if user is None or user.get("disabled"):
        raise AuthError("该单点登录账户尚未在本系统开通或已停用,请联系管理员。")
    return Account(name, user["role"], user.get("region", ""), user.get("display_name", name),
                   fingerprint=_fingerprint(user["hash"]))


def add_screen_token(region: str = "", label: str = "", actor: Account | None = None) -> tuple[str, str]:
    """A new wall-display token; returns (token id, token). Only the token's digest is stored."""
    _check_region(region)
    _check_actor_scope(actor, region, "新建")
    with _locked_store() as data:
        while True:  # the id is the token's first characters: never reuse one (a revoked id must stay revoked)
            token = secrets.token_urlsafe(24)
            tid = token[:6]
            if tid not in data["tokens"]:
                break
        data["tokens"][tid] = {"sha256": hashlib.sha256(token.encode()).hexdigest(), "region": region,
                               "label": label, "created": datetime.now().isoformat(timespec="seconds")}
    return tid, token


def revoke_screen_token(tid: str, actor: Account | None = None) -> None:
    with _locked_store() as data:
        tok = data["tokens"].get(tid)
        if tok is None:
            raise AuthError(f"令牌不存在:{tid}")
        _check_actor_scope(actor, tok.get("region", ""), "撤销")
        del data["tokens"][tid]


def list_screen_tokens(actor: Account | None = None) -> list[dict]:
    return [{"id": k, "region": v["region"], "label": v["label"], "created": v["created"]}
            for k, v in sorted(_read_cached()["tokens"].items()) if _visible(actor, v.get("region", ""))]


def screen_account(token: str) -> Account:
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    for tid, tok in _read_cached()["tokens"].items():
        if secrets.compare_digest(tok["sha256"], digest):
            return Account(f"screen:{tid}", "screen", tok.get("region", ""), tok.get("label") or "大屏",
                           fingerprint=_fingerprint(tok["sha256"]))
    raise AuthError("大屏令牌无效或已撤销")


def session_expired(login_at: float, last_seen: float, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return now - last_seen > IDLE_SECONDS or now - login_at > MAX_SESSION_SECONDS


# --------------------------------------------------------------------------------------------------
# Local demo mode: decided once per server (and accounts file), never again once an account exists
# --------------------------------------------------------------------------------------------------
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_demo_lock = threading.Lock()
_demo: dict[str, tuple[bool, float]] = {}  # accounts file -> (anonymous visitors get LOCAL_DEMO, decided at)


def _created_marker() -> Path:
    return _accounts_path().with_suffix(".created")


def _mark_account_created() -> None:
    """Touch a marker beside the file whenever an account is created (by this process or the CLI), so a running
    server learns that accounts existed even if they were all deleted before it next looked."""
    marker = _created_marker()
    marker.touch(mode=0o600)
    os.utime(marker)


def _created_since(t: float) -> bool:
    try:
        return _created_marker().stat().st_mtime >= t
    except FileNotFoundError:
        return False


def decide_demo_mode(address: str) -> bool:
    """At server start: demo mode only when bound to loopback with a readable, empty accounts file."""
    decided_at = time.time()
    try:
        allowed = address in LOOPBACK and not _read()["users"]
    except AccountsUnreadable:
        allowed = False
    with _demo_lock:
        _demo[str(_accounts_path())] = (allowed, decided_at)
    return allowed


_address_source = None


def set_address_source(fn) -> None:
    """Register how to learn the address the server binds to (app.py passes startup.bind_address, which reads
    Streamlit's configuration: auth itself stays free of Streamlit)."""
    global _address_source
    _address_source = fn


def _bound_address() -> str:
    # Only reached in a process that never ran decide_demo_mode (AppTest). With no source registered (a command
    # line) the address is unknown, which is not loopback: no demo mode.
    return str(_address_source() or "") if _address_source is not None else ""


def demo_mode() -> bool:
    """Do anonymous visitors get the local demo admin? Raises AccountsUnreadable (fail closed) on a bad file.

    `streamlit run` decides at start (startup.decide_demo_mode); a process that did not (AppTest) decides on
    first use the same way. Once the file holds an account, the answer is False for the rest of the process:
    deleting every account or emptying the file afterwards means nobody can log in, never open admin."""
    key = str(_accounts_path())
    with _demo_lock:
        decided = _demo.get(key)
    if decided is None:
        decide_demo_mode(_bound_address())
        with _demo_lock:
            decided = _demo[key]
    allowed, decided_at = decided
    if not allowed:
        _read_cached()  # still fail closed with the file's own message when it is unreadable
        return False
    try:
        ended = bool(_read_cached()["users"]) or _created_since(decided_at)
    except AccountsUnreadable:
        ended = True
        raise
    finally:
        if ended:
            with _demo_lock:
                _demo[key] = (False, decided_at)
    return not ended


# --------------------------------------------------------------------------------------------------
# Every run and every wall refresh re-checks the session against the accounts file
# --------------------------------------------------------------------------------------------------
SESSION_KEYS = ("account", "login_at", "last_seen", "account_active")
ENDED = {
    "deleted": "您的账户已被删除,会话已结束。",
    "disabled": "您的账户已被停用,会话已结束。",
    "password": "您的密码已被修改,请重新登录。",
    "role": "您的角色已变更,请重新登录。",
    "scope": "您的地区范围已变更,请重新登录。",
    "expired": "会话已过期,请重新登录。",
    "token_revoked": "大屏令牌无效或已撤销,大屏已停止显示数据。",
    "token_changed": "大屏令牌的地区范围已变更,请刷新页面。",
    "demo_over": "本地演示模式已结束(已配置账户),请登录。",
    "unreadable": "账户文件无法读取,会话已结束;请联系管理员。",
    "none": "会话已结束,请刷新页面并重新登录。",
}


def revocation(acct: Account | None, login_at: float | None, last_seen: float | None,
               now: float | None = None) -> str | None:
    """Why this session may no longer run (a key of ENDED), or None. Role or scope changes end the session
    (the user logs in again with the new rights) rather than re-deriving them silently."""
    now = time.time() if now is None else now
    if acct is None:
        return "none"
    try:
        if acct is LOCAL_DEMO:
            return None if demo_mode() else "demo_over"
        data = _read_cached()
    except AccountsUnreadable:
        return "unreadable"
    if acct.role == "screen" and acct.username.startswith("screen:"):
        tok = data["tokens"].get(acct.username[len("screen:"):])
        if tok is None or _fingerprint(tok.get("sha256", "")) != acct.fingerprint:
            return "token_revoked"
        return "token_changed" if tok.get("region", "") != acct.region else None
    user = data["users"].get(acct.username)
    if user is None:
        return "deleted"
    if user.get("disabled"):
        return "disabled"
    if _fingerprint(user.get("hash", "")) != acct.fingerprint:
        return "password"
    if user.get("role") != acct.role:
        return "role"
    if user.get("region", "") != acct.region:
        return "scope"
    if login_at is None or last_seen is None or session_expired(login_at, last_seen, now):
        return "expired"
    return None


def check_session(state: MutableMapping, now: float | None = None, touch: bool = True) -> Account:
    """The session's account if it may still run; else the session is cleared, the end audited and
    SessionEnded raised with a plain message. `touch` = this run is the user's activity (not a wall refresh)."""
    now = time.time() if now is None else now
    acct = state.get("account") or state.get("account_active")
    reason = revocation(acct, state.get("login_at"), state.get("last_seen"), now)
    if reason is None:
        if touch:
            state["last_seen"] = now
        return acct
    for k in SESSION_KEYS:
        state.pop(k, None)
    if acct is not None:
        from . import audit

        action = "session_expired" if reason == "expired" else "session_revoked"
        audit.record(acct.username, action, {"reason": reason}, role=acct.role)
    raise SessionEnded(ENDED[reason])


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
    tok = sub.add_parser("token", help="大屏令牌")
    tsub = tok.add_subparsers(dest="tcmd", required=True)
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
