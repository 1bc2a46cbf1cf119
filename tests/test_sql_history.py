"""Per-user SQL history in the state folder (never in the snapshot)."""
from __future__ import annotations

from datetime import date

from pingan import config, history


def test_history_is_per_user_newest_first_and_outside_the_warehouse():
    history.record("分析员甲", "select 1", {}, outcome="ok", elapsed_s=0.012, rows=1)
    history.record("分析员甲", "drop table region", None, outcome="refused", elapsed_s=0.0, kind="not_allowed",
                   message="已拒绝 DROP 语句")
    history.record("analyst.b", "select 2", {"start": date(2022, 1, 1)}, outcome="ok", elapsed_s=0.5, rows=1)
    mine = history.recent("分析员甲")
    assert [e["sql"] for e in mine] == ["drop table region", "select 1"]
    assert mine[0]["outcome"] == "refused" and mine[0]["kind"] == "not_allowed" and mine[1]["elapsed_ms"] == 12.0
    other = history.recent("analyst.b")
    assert [e["sql"] for e in other] == ["select 2"] and other[0]["params"] == {"start": "2022-01-01"}
    path = history.path_for("分析员甲")
    assert path.parent == config.state_dir() / "history"
    assert path != history.path_for("分析员乙")  # names that sanitise alike still get their own file
    assert "warehouse" not in path.parts


def test_damaged_line_is_skipped_and_file_is_trimmed(monkeypatch):
    user = "trim-test"
    history.record(user, "select 1", {}, outcome="ok", elapsed_s=0.0)
    with open(history.path_for(user), "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    history.record(user, "select 2", {}, outcome="ok", elapsed_s=0.0)
    assert [e["sql"] for e in history.recent(user)] == ["select 2", "select 1"]
    monkeypatch.setattr(history, "MAX_LINES", 5)
    monkeypatch.setattr(history, "KEEP_LINES", 3)
    for i in range(6):
        history.record(user, f"select {i} -- {'x' * 200}", {}, outcome="ok", elapsed_s=0.0)
    lines = history.path_for(user).read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 5
    assert history.recent(user, limit=1)[0]["sql"].startswith("select 5")


def test_long_statement_is_cut_in_history():
    entry = history.record("long", "select 1 " + "-" * 50_000, {}, outcome="ok", elapsed_s=0.0)
    assert len(entry["sql"]) == history.MAX_SQL_CHARS
