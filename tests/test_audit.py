"""The audit log's keyed chain and its head: cuts, rewrites, torn lines, legacy logs, concurrency, the CLI."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from datetime import datetime

import pytest

from conftest import ROOT
from pingan import audit


@pytest.fixture()
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture()
def clock(monkeypatch):
    """Pin the audit clock to a given day, so a test can write several month files."""
    def set_day(iso: str):
        class Fixed(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.fromisoformat(iso)
        monkeypatch.setattr(audit, "datetime", Fixed)
    return set_day


def wheres(findings) -> list[str]:
    """The file:line (or file) each finding starts with."""
    return [f.split(" ")[0] for f in findings]


def lines_of(path):
    return path.read_bytes().split(b"\n")[:-1]


def write_lines(path, lines):
    path.write_bytes(b"".join(raw + b"\n" for raw in lines))


def five_records(state):
    for i in range(5):
        audit.record("u1", "page_view", {"page": f"/p{i}"}, role="analyst")
    return next((state / "audit").glob("audit-*.jsonl"))


def three_months(state, clock):
    for day, n in (("2026-10-05", 2), ("2026-11-05", 3), ("2026-12-05", 2)):
        clock(day + "T09:00:00")
        for i in range(n):
            audit.record("u1", "login", {"i": i}, role="analyst")
    return state / "audit"


def rechain_from(lines: list[bytes], start: int) -> list[bytes]:
    """What someone without the key can do: fix every later link with plain SHA-256 (and a keyless 'mac')."""
    out = lines[:start]
    for raw in lines[start:]:
        e = json.loads(raw)
        e["prev"] = hashlib.sha256(out[-1]).hexdigest() if out else ""
        if "mac" in e:
            e.pop("mac")
            body = json.dumps(e, ensure_ascii=False, sort_keys=True).encode()
            e["mac"] = hashlib.sha256(body).hexdigest()
        out.append(json.dumps(e, ensure_ascii=False, sort_keys=True).encode())
    return out


def test_audit_intact_log_verifies_with_its_record_count(state):
    five_records(state)
    v = audit.verify()
    assert v == [] and v.torn == [] and v.records == 5
    assert audit.read()["detail"].to_list() == [json.dumps({"page": f"/p{i}"}) for i in (4, 3, 2, 1, 0)]


@pytest.mark.parametrize("cut", [1, 2, 5])
def test_audit_deleting_the_tail_is_detected(state, cut):
    f = five_records(state)
    write_lines(f, lines_of(f)[:5 - cut])
    assert wheres(audit.verify()) == [f"{f.name}:{5 - cut + 1}"]


@pytest.mark.parametrize("deleted, expected", [
    ("audit-202610.jsonl", ["audit-202611.jsonl:1"]),
    ("audit-202611.jsonl", ["audit-202612.jsonl:1"]),
    ("audit-202612.jsonl", ["audit-202612.jsonl:1"]),  # the newest month: the head says where it should be
])
def test_audit_deleting_a_month_file_is_detected(state, clock, deleted, expected):
    folder = three_months(state, clock)
    assert audit.verify() == [] and audit.verify().records == 7
    (folder / deleted).unlink()
    assert wheres(audit.verify()) == expected


def test_audit_rewritten_and_rechained_line_is_detected(state):
    f = five_records(state)
    lines = lines_of(f)
    forged = json.loads(lines[1])
    forged["user"] = "someone_else"
    lines[1] = json.dumps(forged, ensure_ascii=False, sort_keys=True).encode()
    write_lines(f, rechain_from(lines, 1))
    found = audit.verify()
    assert wheres(found)[0] == f"{f.name}:2" and len(found) >= 1


@pytest.mark.parametrize("how", ["empty every file", "delete every file"])
def test_audit_truncating_everything_is_detected(state, clock, how):
    folder = three_months(state, clock)
    for f in folder.glob("audit-*.jsonl"):
        f.write_bytes(b"") if how == "empty every file" else f.unlink()
    assert wheres(audit.verify()) == ["audit-202612.jsonl:1"]


def test_audit_deleting_the_head_or_the_key_is_detected(state):
    five_records(state)
    (state / "audit.head").unlink()
    assert wheres(audit.verify()) == ["audit.head"]
    five_records(state)  # the next events rebuild the head and say so in the log, for good
    assert "audit_head_rebuilt" in audit.read()["action"].to_list()
    assert wheres(audit.verify()) == ["audit-" + datetime.now().strftime("%Y%m") + ".jsonl:6"]


def test_audit_a_forged_head_is_detected(state):
    f = five_records(state)
    write_lines(f, lines_of(f)[:3])
    head = json.loads((state / "audit.head").read_text())
    last = json.loads(lines_of(f)[2])
    head.update(seq=3, mac=last["mac"], size=f.stat().st_size)
    (state / "audit.head").write_text(json.dumps(head))
    assert wheres(audit.verify()) == ["audit.head"]


def test_audit_a_132_kb_line_is_no_false_alarm(state):
    audit.record("u1", "sql", {"sql": "select " + "x" * 132_000}, role="analyst")
    audit.record("u1", "login", role="analyst")
    v = audit.verify()
    assert v == [] and v.records == 2


def test_audit_torn_last_line_is_skipped_reported_and_written_past(state):
    f = five_records(state)
    with open(f, "ab") as fh:
        fh.write(b'{"action": "page_view", "detail": {"page": "/ha')  # a crash mid-write
    log = audit.read()
    assert log.height == 5 and log["detail"][0] == json.dumps({"page": "/p4"})
    v = audit.verify()
    assert v == [] and wheres(v.torn) == [f"{f.name}:6"] and v.records == 5
    audit.record("u1", "logout", role="analyst")
    assert audit.read()["action"].to_list()[:2] == ["logout", "page_view"]
    v = audit.verify()
    assert v == [] and wheres(v.torn) == [f"{f.name}:6"] and v.records == 6
    assert json.loads(lines_of(f)[6])["action"] == "logout"  # on a line of its own after the torn one


def test_audit_admin_tab_shows_a_torn_line_instead_of_crashing(warehouse_built, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from pingan import auth

    (tmp_path / "warehouse").mkdir()
    os.symlink(warehouse_built, tmp_path / "warehouse" / warehouse_built.name)
    (tmp_path / "warehouse" / "CURRENT").write_text(warehouse_built.name)
    monkeypatch.setenv("PINGAN_STATE_DIR", str(tmp_path))
    auth.add_user("boss", "Audit-Test-2026", "admin", "", "管理员")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_input(key="login_user").input("boss")
    at.text_input(key="login_password").input("Audit-Test-2026")
    at.button[0].click().run()
    f = next((tmp_path / "audit").glob("audit-*.jsonl"))
    with open(f, "ab") as fh:
        fh.write(b'{"action": "page_vi')
    at.switch_page(str(ROOT / "pages/admin.py")).run()
    assert not at.exception
    assert [w.value.split("  \n")[0] for w in at.warning] == [
        "审计日志未被篡改:共 2 条记录;有 1 行半截记录(写入中断)已跳过,其内容已丢失。"]


def legacy_write(folder, month: str, events: list[dict]) -> None:
    """What the unkeyed writer did: prev = SHA-256 of the last line found in the file's last 64 KiB."""
    path = folder / f"audit-{month}.jsonl"
    for e in events:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        tail = data[-65536:].splitlines()
        e = {"role": "", "detail": {}, **e, "prev": hashlib.sha256(tail[-1]).hexdigest() if tail else ""}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")


def legacy_log(state):
    folder = state / "audit"
    folder.mkdir()
    legacy_write(folder, "202601", [{"time": "2026-01-02T08:00:00.000", "user": "a", "action": "login"},
                                    {"time": "2026-01-02T08:01:00.000", "user": "a", "action": "sql",
                                     "detail": {"sql": "select " + "y" * 70_000}},  # the old false alarm
                                    {"time": "2026-01-02T08:02:00.000", "user": "a", "action": "logout"}])
    legacy_write(folder, "202602", [{"time": "2026-02-02T08:00:00.000", "user": "b", "action": "login"},
                                    {"time": "2026-02-02T08:01:00.000", "user": "b", "action": "export"}])
    return folder


def test_audit_legacy_log_verifies_by_the_old_rule_then_continues_keyed(state, clock):
    legacy_log(state)
    v = audit.verify()
    assert v == [] and v.records == 5
    clock("2026-03-01T10:00:00")
    audit.record("c", "login", role="leader")
    audit.record("c", "logout", role="leader")
    v = audit.verify()
    assert v == [] and v.torn == [] and v.records == 7
    assert audit.read()["user"].to_list() == ["c", "c", "b", "b", "a", "a", "a"]


@pytest.mark.parametrize("attack, expected", [
    ("delete the older legacy month", ["audit-202603.jsonl:1"]),
    ("delete the newer legacy month", ["audit-202603.jsonl:1"]),
    ("rewrite and rechain a legacy line", ["audit-202603.jsonl:1"]),
])
def test_audit_legacy_lines_are_protected_once_the_chain_is_keyed(state, clock, attack, expected):
    folder = legacy_log(state)
    clock("2026-03-01T10:00:00")
    audit.record("c", "login", role="leader")
    if attack == "delete the older legacy month":
        (folder / "audit-202601.jsonl").unlink()
    elif attack == "delete the newer legacy month":
        (folder / "audit-202602.jsonl").unlink()
    else:
        f = folder / "audit-202601.jsonl"
        lines = lines_of(f)
        forged = json.loads(lines[0])
        forged["user"] = "z"
        lines[0] = json.dumps(forged, ensure_ascii=False, sort_keys=True).encode()
        write_lines(f, rechain_from(lines, 0))
    assert wheres(audit.verify()) == expected


WRITER = """
import sys
from pingan import audit
for i in range(int(sys.argv[2])):
    audit.record(sys.argv[1], "page_view", {"i": i})
"""


def test_audit_several_processes_recording_at_once_keep_the_chain(state):
    env = {**os.environ, "PINGAN_STATE_DIR": str(state)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}", "40"], cwd=ROOT, env=env)
             for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    v = audit.verify()
    assert v == [] and v.torn == [] and v.records == 160
    assert sorted(audit.read()["user"].value_counts()["count"].to_list()) == [40, 40, 40, 40]


def test_audit_key_and_head_are_owner_only_outside_the_log_and_never_in_it(state):
    f = five_records(state)
    for name in ("audit.key", "audit.head"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    key = (state / "audit.key").read_text().strip()
    assert len(key) == 64 and key not in f.read_text(encoding="utf-8")


def test_audit_record_never_raises_into_the_page(state, capsys):
    (state / "audit").write_text("not a folder")
    audit.record("u1", "login")
    assert "audit log write failed" in capsys.readouterr().err


def run_cli(state):
    return subprocess.run([sys.executable, "-m", "pingan.audit", "verify"], capture_output=True, text=True,
                          cwd=ROOT, env={"PINGAN_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"})


def test_audit_cli_verify_says_intact_tampered_or_torn(state):
    f = five_records(state)
    r = run_cli(state)
    head = json.loads((state / "audit.head").read_text())["mac"]
    assert (r.returncode, r.stdout) == (0, f"审计日志完整:共 5 条记录。\n链头:{head}(可另行保存,日后比对)\n")
    with open(f, "ab") as fh:
        fh.write(b'{"act')
    r = run_cli(state)
    assert (r.returncode, r.stdout.splitlines()) == (2, [
        "审计日志未被篡改:共 5 条记录;有 1 行半截记录(写入中断)已跳过,其内容已丢失。",
        f"{f.name}:6 半截记录(写入中断),已跳过", f"链头:{head}(可另行保存,日后比对)"])
    write_lines(f, lines_of(f)[:3])
    r = run_cli(state)
    assert r.returncode == 1 and r.stdout.splitlines()[0] == "审计日志校验失败:发现 1 处问题,可能有记录被删除或修改。"
    assert r.stdout.splitlines()[1].startswith(f"{f.name}:4 ")


def test_audit_record_reads_the_head_not_the_log(state, monkeypatch):
    f = five_records(state)

    class NoWalk:
        def __init__(self, *args):
            raise AssertionError("record() walked the log")

    monkeypatch.setattr(audit, "_Walk", NoWalk)
    monkeypatch.setattr(audit, "_catch_up", NoWalk)
    for i in range(3):
        audit.record("u1", "page_view", {"page": f"/q{i}"}, role="analyst")
    monkeypatch.undo()
    assert [json.loads(raw)["seq"] for raw in lines_of(f)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_audit_a_crash_between_the_line_and_the_head_is_caught_up(state):
    f = five_records(state)
    head_before = (state / "audit.head").read_bytes()
    audit.record("u1", "logout", role="analyst")
    (state / "audit.head").write_bytes(head_before)  # the process died before it rewrote the head
    v = audit.verify()
    assert v == [] and v.records == 6
    audit.record("u1", "login", role="analyst")
    v = audit.verify()
    assert v == [] and v.records == 7 and json.loads(lines_of(f)[-1])["prev"] == json.loads(lines_of(f)[-2])["mac"]


def test_audit_an_old_head_put_back_with_the_log_cut_to_match_shows_against_a_kept_head(state):
    f = five_records(state)
    kept = audit.verify().head  # printed by `verify`, kept where the server cannot write
    old_head, old_size = (state / "audit.head").read_bytes(), f.stat().st_size
    audit.record("u1", "export", {"what": "名单"}, role="analyst")
    audit.record("u1", "logout", role="analyst")
    assert audit.verify(kept) == []
    later = audit.verify().head
    f.write_bytes(f.read_bytes()[:old_size])
    (state / "audit.head").write_bytes(old_head)
    assert audit.verify() == [] and audit.verify(kept) == []  # indistinguishable from the log as it was
    assert wheres(audit.verify(later)) == [f"链头{later[:12]}"]
    r = subprocess.run([sys.executable, "-m", "pingan.audit", "verify", "--known-head", later],
                       capture_output=True, text=True, cwd=ROOT,
                       env={"PINGAN_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1 and r.stdout.splitlines()[1].startswith(f"链头{later[:12]} ")


def test_audit_odd_text_is_recorded_and_read_back_whole(state):
    audit.record("u\ud800x", "login", {"when": datetime(2026, 1, 2), "sql": "a\u2028b\rc"})
    log = audit.read()
    assert log["user"].to_list() == ["u\\ud800x"]
    assert json.loads(log["detail"][0]) == {"when": "2026-01-02 00:00:00", "sql": "a\u2028b\rc"}
    assert audit.verify() == [] and audit.verify().records == 1


def test_every_recorded_action_has_a_chinese_name():
    """The audit tab shows actions in Chinese: every action literal the code records is in ACTIONS_ZH."""
    import re

    from conftest import ROOT

    found = set()
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("pingan/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""record\([^,()]+(?:\([^()]*\))?, *"([a-z_]+)\"""", text))
        found |= {f"account_{c}" for c in ("disable", "enable")} if "account_{args.cmd}" in text else set()
        for line in re.findall(r'action = ("[a-z_]+" if .* else "[a-z_]+")', text):  # auth.py's ended sessions
            found |= set(re.findall(r'"([a-z_]+)"', line.split(" if ")[0] + line.split(" else ")[1]))
    assert {"login", "export", "session_revoked", "rollback_refused"} <= found
    assert found <= set(audit.ACTIONS_ZH), sorted(found - set(audit.ACTIONS_ZH))
