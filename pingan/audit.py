"""Append-only audit log outside the snapshots: who logged in, viewed, queried, exported, loaded or rolled back.

One JSON line per event in <state>/audit/audit-YYYYMM.jsonl, in a chain that the log alone cannot shorten or
rewrite without `verify()` (and `python -m pingan.audit verify`) saying so:

- Each line carries `seq` (its number in the whole log), `prev` (the `mac` of the line before it, across month
  files) and `mac`, an HMAC-SHA256 of the line's other fields under the key in <state>/audit.key (32 random bytes,
  owner-only, outside the audit folder, never written to the log). Without the key a rewritten line cannot be
  re-chained.
- The head, <state>/audit.head (last seq and mac, its file and size, MACed too), is rewritten with every event,
  so a deleted tail, a deleted month (the newest included) or an emptied log no longer ends where the head says.
  `record()` reads the head, not the log: O(1) in the log's size, under one flock shared with every process.
- A half-written line (a crash or a full disk mid-write) is skipped by `read()`, reported by `verify()` as torn,
  not as tampering, and the next `record()` starts on a new line after it.
- Lines from before the key (unkeyed: `prev` is the SHA-256 of the line before, per month file) are checked by
  that rule; the first keyed line links to the last of them and the head keeps their count and digest.

What it cannot catch: whoever can read audit.key (the server's own account) can forge anything; putting back an
old copy of the head with the log cut to match it, or deleting key, head and log together, looks like an older or
a new log. Against those, keep the head line `verify` prints somewhere the server cannot write.
Passwords are never passed here.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from . import config

ACTIONS_ZH = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "page_view": "浏览页面", "sql": "自助查询",
    "sql_refused": "查询被拒绝", "export": "导出", "import": "导入", "import_refused": "导入被拒绝",
    "rollback": "回滚快照", "account_add": "新建账户", "account_password": "修改密码",
    "account_disable": "停用账户", "account_enable": "启用账户", "account_delete": "删除账户",
    "account_update": "修改账户", "token_add": "新建大屏令牌", "token_revoke": "撤销大屏令牌",
    "session_expired": "会话过期", "scope_refused": "越权访问被拒绝",
    "session_revoked": "会话被终止", "rollback_refused": "回滚被拒绝",
    "audit_head_rebuilt": "审计链头重建",
}

_LOG = logging.getLogger(__name__)
_MONTH_FILE = re.compile(r"audit-\d{6}\.jsonl")
_MAC_TAIL = re.compile(rb', "mac": "([0-9a-f]{64})"\}$')
_HEAD_FIELDS = {"file": str, "size": int, "seq": int, "mac": str, "legacy_records": int, "legacy_sha256": str}
# The unkeyed writer hashed the last line it found in the file's last 64 KiB: after a longer line, it linked to
# that line's last 65,535 bytes. Legacy lines written so are accepted, so an old log raises no false alarm.
_OLD_WINDOW = 65536
TORN = "半截记录(写入中断),已跳过"


def _dir() -> Path:
    path = config.state_dir() / "audit"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key_path() -> Path:
    return config.state_dir() / "audit.key"


def _head_path() -> Path:
    return config.state_dir() / "audit.head"


@contextmanager
def _locked(mode: int):
    """Every writer (server, CLI, several processes) and reader of the chain goes through this one flock."""
    with open(_dir() / "audit.lock", "a") as lock:
        fcntl.flock(lock, mode)
        yield


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_private(path: Path, data: bytes) -> None:
    """Replace a file atomically, readable by the owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a leftover tmp file may have had wider bits
        _write_all(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _load_key() -> bytes | None:
    try:
        key = _key_path().read_bytes().strip()
    except FileNotFoundError:
        return None
    return key or None  # any other content is used as it is: a damaged key then fails every line, loudly


def _mac(key: bytes, kind: bytes, body: bytes) -> str:
    return hmac.new(key, kind + b"\n" + body, hashlib.sha256).hexdigest()


def _dumps(obj: dict) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a browser) cannot be UTF-8: escape the whole line instead
        return json.dumps(obj, ensure_ascii=True, sort_keys=True, default=str).encode("ascii")


def _keyed_line(key: bytes, event: dict) -> tuple[bytes, str]:
    """The line for an event (ending in its MAC, so the MAC covers exactly the bytes before it) and the MAC."""
    body = _dumps(event)
    mac = _mac(key, b"line", body)
    return body[:-1] + b', "mac": "' + mac.encode() + b'"}\n', mac


def _parse(raw: bytes) -> dict | None:
    """The event on a line, or None for a line that is no event (torn, or not written by us)."""
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(event, dict) or not all(isinstance(event.get(k), str) for k in ("time", "user", "action")):
        return None
    return event


def _mac_ok(key: bytes | None, raw: bytes) -> bool:
    m = _MAC_TAIL.search(raw)
    return bool(key and m and hmac.compare_digest(_mac(key, b"line", raw[:m.start()] + b"}"), m.group(1).decode()))


def _head_bytes(key: bytes, head: dict) -> bytes:
    body = _dumps({k: head[k] for k in _HEAD_FIELDS})
    return _dumps({**json.loads(body), "hmac": _mac(key, b"head", body)}) + b"\n"


def _load_head(key: bytes | None) -> tuple[dict | None, str]:
    """The head and '' when it is sound; else None and 'missing' or 'bad'."""
    try:
        head = json.loads(_head_path().read_bytes())
    except FileNotFoundError:
        return None, "missing"
    except ValueError:
        return None, "bad"
    if not isinstance(head, dict) or not all(isinstance(head.get(k), t) for k, t in _HEAD_FIELDS.items()):
        return None, "bad"
    body = _dumps({k: head[k] for k in _HEAD_FIELDS})
    if not key or not hmac.compare_digest(_mac(key, b"head", body), str(head.get("hmac", ""))):
        return None, "bad"
    return head, ""


def _month_files() -> list[Path]:
    return sorted(p for p in _dir().glob("audit-*.jsonl") if _MONTH_FILE.fullmatch(p.name))


def _legacy_links(prev_raw: bytes | None) -> set[str]:
    if prev_raw is None:
        return {""}
    links = {hashlib.sha256(prev_raw).hexdigest()}
    if len(prev_raw) >= _OLD_WINDOW:
        links.add(hashlib.sha256(prev_raw[-(_OLD_WINDOW - 1):]).hexdigest())
    return links


@dataclass
class _Walk:
    """The whole chain read in order: where it ends and what is wrong with it."""
    key: bytes | None
    head: dict | None
    records: int = 0
    seq: int = 0
    link: str = ""
    keyed: int = 0
    legacy_lines: int = 0
    legacy_digest: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    head_found: bool = False
    known_head: str = ""
    known_found: bool = False
    lines_in: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)
    torn: list = field(default_factory=list)

    def problem(self, where: str, reason: str) -> None:
        self.findings.setdefault(where, []).append(reason)

    def run(self) -> "_Walk":
        for f in _month_files():
            try:
                data = f.read_bytes()
            except OSError as exc:
                self.problem(f.name, f"无法读取:{exc.strerror}")
                continue
            lines = data.split(b"\n")
            self.lines_in[f.name] = len(lines) - (lines[-1] == b"")
            prev_in_file = None
            for n, raw in enumerate(lines, 1):
                if raw.strip():
                    prev_in_file = self._line(f"{f.name}:{n}", f.name, raw, prev_in_file)
        return self

    def _line(self, where: str, name: str, raw: bytes, prev_in_file: bytes | None) -> bytes | None:
        event = _parse(raw)
        if event is not None and "mac" in event:
            self._keyed(where, name, raw, event)
        elif self.keyed:
            if event is None:
                self.torn.append(f"{where} {TORN}")
            else:
                self.problem(where, "没有密钥签名的记录出现在密钥链中(被插入或改写)")
        else:  # before the key: the unkeyed rule, chained within each month file
            self.legacy_lines += 1
            self.legacy_digest.update(raw + b"\n")
            self.seq += 1
            self.link = hashlib.sha256(raw).hexdigest()
            if event is None:
                self.torn.append(f"{where} {TORN}")
            elif event.get("prev", "") not in _legacy_links(prev_in_file):
                self.problem(where, "与同月前一条旧格式记录不衔接(被删除、插入或修改)")
            else:
                self.records += 1
        return raw

    def _keyed(self, where: str, name: str, raw: bytes, event: dict) -> None:
        if not self.keyed and self.head and (self.legacy_lines, self.legacy_digest.hexdigest()) != (
                self.head["legacy_records"], self.head["legacy_sha256"]):
            self.problem(where, f"启用密钥链之前的旧格式记录被删除或修改(链头记载 {self.head['legacy_records']} 行,"
                                f"现有 {self.legacy_lines} 行)")
        self.keyed += 1
        seq = event.get("seq")
        if self.key and not _mac_ok(self.key, raw):
            self.problem(where, "内容与密钥签名不符(被修改或伪造)")
        elif event.get("action") == "audit_head_rebuilt":
            self.problem(where, "此处记载链头文件曾丢失或损坏、由日志重建:此前末尾的记录可能已被删除")
        else:
            self.records += 1
        self.known_found |= bool(self.known_head) and event.get("mac") == self.known_head
        if event.get("prev") != self.link:
            self.problem(where, "与前一条记录不衔接(前面的记录被删除、插入或修改)")
        if seq != self.seq + 1:
            missing = f",其前缺少 {seq - self.seq - 1} 条" if isinstance(seq, int) and seq > self.seq else ""
            self.problem(where, f"序号应为 {self.seq + 1},此处为 {seq}{missing}")
        self.seq = seq if isinstance(seq, int) else self.seq + 1
        self.link = str(event.get("mac"))
        if self.head and self.seq == self.head["seq"]:
            if name == self.head["file"] and self.link == self.head["mac"]:
                self.head_found = True
            else:
                self.problem(where, "与链头记载的最后一条记录不符")

    def finish(self, head_problem: str) -> None:
        """Check the end of the chain against the head (and the head against the key)."""
        if self.key is None and (self.keyed or head_problem != "missing"):
            self.problem("audit.key", "密钥文件丢失:密钥链无法校验")
        if head_problem == "missing" and (self.key or self.keyed):
            self.problem("audit.head", "链头文件丢失:无法确认日志末尾没有被删除")
        elif head_problem == "bad" and self.key:
            self.problem("audit.head", "链头文件被修改或损坏:无法确认日志末尾没有被删除")
        if self.known_head and not self.known_found:
            self.problem(f"链头{self.known_head[:12]}", "日志中找不到此前另行保存的这个链头:它和其后的记录被删除或改写")
        if not self.head or self.head_found:
            return
        if self.seq < self.head["seq"]:
            where = f"{self.head['file']}:{self.lines_in.get(self.head['file'], 0) + 1}"
            self.problem(where, f"日志在此之前结束,但链头记载共 {self.head['seq']} 条、最后一条在 "
                                f"{self.head['file']}:末尾 {self.head['seq'] - self.seq} 条记录或整个月份文件被删除")
        elif not self.findings:
            self.problem("audit.head", "日志与链头记载的最后一条记录不符")


class Verdict(list):
    """What verify() found. The list holds the tampering findings ("file:line 说明"), empty when intact, so old
    callers' `if verify():` still means "tampered"; `.torn` the half-written lines skipped (not tampering);
    `.records` the records that passed; `.head` the chain's last MAC (to keep elsewhere)."""

    def __init__(self, problems: list[str], torn: list[str], records: int, head: str):
        super().__init__(problems)
        self.torn, self.records, self.head = torn, records, head

    @property
    def exit_code(self) -> int:
        """0 intact, 1 tampered, 2 not tampered but torn lines were skipped (their events are lost)."""
        return 1 if self else 2 if self.torn else 0

    def report_zh(self, limit: int | None = None) -> list[str]:
        """A headline, then one line per finding (the first `limit` of them)."""
        if self:
            head = f"审计日志校验失败:发现 {len(self)} 处问题,可能有记录被删除或修改。"
            items = list(self) + self.torn
        elif self.torn:
            head = (f"审计日志未被篡改:共 {self.records} 条记录;有 {len(self.torn)} 行半截记录(写入中断)已跳过,"
                    "其内容已丢失。")
            items = self.torn
        else:
            return [f"审计日志完整:共 {self.records} 条记录。"]
        shown = items if limit is None else items[:limit]
        more = [f"……另有 {len(items) - len(shown)} 处"] if len(shown) < len(items) else []
        return [head, *shown, *more]


def verify(known_head: str = "") -> Verdict:
    """Check the whole chain: every line's key signature and link, its end against the head, and that it still
    holds `known_head` (a head printed earlier and kept elsewhere: an old head put back with the log cut to match
    then shows)."""
    with _locked(fcntl.LOCK_SH):
        key = _load_key()
        head, head_problem = _load_head(key)
        walk = _Walk(key, head, known_head=known_head.strip()).run()
    walk.finish(head_problem)
    problems = [f"{where} {';'.join(reasons)}" for where, reasons in walk.findings.items()]
    return Verdict(problems, walk.torn, walk.records, head["mac"] if head else "")


def _catch_up(head: dict, key: bytes, path: Path) -> dict:
    """After a crash between writing a line and the head: take over the keyed lines past the head that chain."""
    with open(path, "rb") as fh:
        fh.seek(head["size"])
        tail = fh.read()
    for raw in tail.split(b"\n"):
        event = _parse(raw) if raw.strip() else None
        if event is None or not _mac_ok(key, raw) or event.get("prev") != head["mac"] \
                or event.get("seq") != head["seq"] + 1:
            break
        head = {**head, "seq": head["seq"] + 1, "mac": event["mac"]}
    return head


def _state_for_append(key: bytes | None) -> tuple[dict, dict | None]:
    """The head to chain from, and the event to write first when the head had to be rebuilt from the log."""
    head, problem = _load_head(key)
    if head is not None:
        return head, None
    walk = _Walk(key, None).run()  # the whole log, once: on the very first keyed event or after a lost head
    files = _month_files()
    rebuilt = {"file": files[-1].name if files else "", "size": -1, "seq": walk.seq, "mac": walk.link,
               "legacy_records": walk.legacy_lines, "legacy_sha256": walk.legacy_digest.hexdigest()}
    if key is None and problem == "missing" and not walk.keyed:
        return rebuilt, None  # a new log, or one written before the key
    reason = "链头文件丢失" if problem == "missing" else "链头文件被修改或损坏,或密钥已丢失"
    return rebuilt, {"user": "system", "role": "", "action": "audit_head_rebuilt",
                     "detail": {"reason": reason, "records": walk.seq}}


def _ends_torn(path: Path, size: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) != b"\n"


def _append(events: list[dict]) -> None:
    key = _load_key()
    head, rebuilt_note = _state_for_append(key)
    if key is None:  # created after the (possibly long) first walk, so a crash leaves no key without a head
        key = os.urandom(32).hex().encode()
        _write_private(_key_path(), key + b"\n")
    events = [rebuilt_note, *events] if rebuilt_note else events
    last = _dir() / head["file"] if head["file"] else None
    if last and last.exists() and 0 <= head["size"] < last.stat().st_size:
        head = _catch_up(head, key, last)
    now = datetime.now()
    # A clock set back must not start an earlier month file after the head's: the chain is read in file order.
    target = _dir() / max(f"audit-{now:%Y%m}.jsonl", head["file"])
    size = target.stat().st_size if target.exists() else 0
    expected = head["size"] if target.name == head["file"] else 0
    data = b"\n" if size != expected and size > 0 and _ends_torn(target, size) else b""  # start after a torn line
    for event in events:
        body = {"time": now.isoformat(timespec="milliseconds"), "role": "", "detail": {}, **event,
                "seq": head["seq"] + 1, "prev": head["mac"]}
        line, mac = _keyed_line(key, body)
        data += line
        head = {**head, "seq": head["seq"] + 1, "mac": mac}
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        _write_all(fd, data)
        end = os.fstat(fd).st_size
    finally:
        os.close(fd)
    _write_private(_head_path(), _head_bytes(key, {**head, "file": target.name, "size": end}))


def record(user: str, action: str, detail: dict | None = None, role: str = "") -> None:
    """Append one event; never raises into the caller's page (an audit failure is printed)."""
    try:
        with _locked(fcntl.LOCK_EX):
            _append([{"user": user, "role": role, "action": action, "detail": detail or {}}])
    except Exception as exc:  # pragma: no cover - a full disk or a broken state folder must not take pages down
        print(f"audit log write failed: {exc}", file=sys.stderr)


def _text(value) -> str:
    """A lone surrogate (kept escaped in the line) cannot go into a frame: show it as its escape."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def read(month: str | None = None) -> pl.DataFrame:
    """Events of one month (YYYYMM) or all months, newest first; a torn line is skipped (and logged)."""
    rows, skipped = [], []
    with _locked(fcntl.LOCK_SH):
        for f in sorted(_dir().glob(f"audit-{month or '*'}.jsonl")):
            for n, raw in enumerate(f.read_bytes().split(b"\n"), 1):
                e = _parse(raw) if raw.strip() else {}
                if e is None:
                    skipped.append(f"{f.name}:{n}")
                elif e:
                    rows.append({k: _text(v) for k, v in {
                        "time": e["time"], "user": e["user"], "role": e.get("role", ""), "action": e["action"],
                        "action_zh": ACTIONS_ZH.get(e["action"], e["action"]),
                        "detail": json.dumps(e.get("detail", {}), ensure_ascii=False)}.items()})
    if skipped:
        _LOG.warning("审计日志中 %d 行半截记录已跳过:%s", len(skipped), ", ".join(skipped))
    schema = {k: pl.Utf8 for k in ("time", "user", "role", "action", "action_zh", "detail")}
    return pl.DataFrame(rows[::-1], schema=schema)  # files and lines are in time order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pingan.audit", description="审计日志")
    sub = parser.add_subparsers(dest="cmd", required=True)
    check = sub.add_parser("verify", help="校验审计日志的密钥链与链头。退出码:0 完整;1 发现篡改;2 未被篡改,但有半截记录被跳过")
    check.add_argument("--known-head", default="", help="此前 verify 打印并另行保存的链头:日志必须仍包含它")
    args = parser.parse_args(argv)
    verdict = verify(args.known_head)
    print("\n".join(verdict.report_zh()))
    if verdict.head:
        print(f"链头:{verdict.head}(可另行保存,日后比对)")
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
