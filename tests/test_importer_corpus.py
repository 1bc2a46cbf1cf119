"""The hostile-file corpus: for each bad file the report says the right thing and the warehouse is unchanged."""
from __future__ import annotations

import sys

import polars as pl
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import importer, loads, warehouse  # noqa: E402

BAD = ROOT / "tests" / "bad_files"


@pytest.fixture(scope="module")
def state(warehouse_built, tmp_path_factory):
    """One copy of the small snapshot for the whole corpus: nothing here may ever change it."""
    folder = corpus.isolated_state(warehouse_built, tmp_path_factory.mktemp("corpus-state"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINGAN_STATE_DIR", str(folder))
        yield folder


def snapshot_state(folder):
    wh = folder / "warehouse"
    return ((wh / "CURRENT").read_text(encoding="utf-8"),
            sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in wh.glob("snap-*")))


def assert_refused_and_unchanged(folder, path, capsys) -> str:
    before = snapshot_state(folder)
    loaded_before = loads.history().filter(pl.col("status") == "loaded").height
    assert importer.main([str(path)]) == 1
    out = capsys.readouterr()
    assert snapshot_state(folder) == before
    assert loads.history().filter(pl.col("status") == "loaded").height == loaded_before
    return out.out + out.err


def test_corpus_is_big_enough_and_committed():
    assert len(corpus.CASES) >= 25
    assert len({c.file for c in corpus.CASES}) == len(corpus.CASES)
    for c in corpus.CASES:
        assert (BAD / c.file).exists(), f"run python tests/bad_files/corpus.py ({c.file} missing)"


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.file for c in corpus.CASES])
def test_bad_file_is_reported_and_refused(state, capsys, case):
    path = BAD / case.file
    report = importer.validate([importer.Upload.from_path(path)])
    errors = report.problems.filter(pl.col("severity") == "error")
    hits = errors.filter(pl.col("reason").str.contains(case.reason, literal=True))
    assert hits.height, errors.select("row", "column", "reason").to_dicts()
    assert (hits["file"] == case.file).all()
    if case.row is not None:
        assert case.row in hits["row"].to_list(), hits.select("row", "column", "reason").to_dicts()
    if case.column is not None:
        assert any(case.column in c for c in hits["column"].to_list()), hits["column"].to_list()
    with pytest.raises(importer.Refused):
        importer.load(report)
    output = assert_refused_and_unchanged(state, path, capsys)
    assert case.reason in output


def test_one_bad_row_at_the_end_of_100000(state, tmp_path, capsys):
    path = corpus.make_cases_csv(tmp_path / "cases_100k.csv", 100_000, ["621002", "620102", "640104"],
                                 bad_last=True)
    report = importer.validate([importer.Upload.from_path(path)])
    assert report.rows_total == 100_001
    errors = report.problems.filter(pl.col("severity") == "error")
    assert errors.select("row", "column", "value").rows() == [(100_002, "纠纷类别", "外星纠纷")]
    assert report.rows_valid == 100_000
    output = assert_refused_and_unchanged(state, path, capsys)
    assert "第 100002 行" in output and "纠纷类别“外星纠纷”不在目录中" in output


def test_one_bad_row_at_the_end_of_100000_report_rows(state, tmp_path):
    cur = warehouse.cursor()
    counties = [r[0] for r in cur.execute("select code from region where level = 'county' and in_scope "
                                          "order by code limit 400").fetchall()]
    cur.close()
    path = corpus.make_agg_csv(tmp_path / "report_100k.csv", 100_000, counties, bad_last=True)
    report = importer.validate([importer.Upload.from_path(path)])
    assert report.rows_total == 100_001
    errors = report.problems.filter(pl.col("severity") == "error")
    assert errors.select("row", "column").rows() == [(100_002, "化解成功(件)")]
    assert "化解成功(95)大于调解矛盾纠纷(80)" in errors["reason"][0]


def test_200_mb_upload_is_refused_before_reading(state, tmp_path, capsys):
    path = corpus.make_sparse(tmp_path / "huge.csv", 200 * 1024 * 1024)

    def never():
        raise AssertionError("a file over the limit must not be read")

    report = importer.validate([importer.Upload("huge.csv", path.stat().st_size, never)])
    assert report.errors == 1
    reason = report.problems["reason"][0]
    assert "200.0 MB" in reason and f"上限 {importer.MAX_MB} MB" in reason
    output = assert_refused_and_unchanged(state, path, capsys)
    assert f"上限 {importer.MAX_MB} MB" in output


def test_duplicates_against_existing_data(warehouse_built, tmp_path, monkeypatch, capsys):
    folder = corpus.isolated_state(warehouse_built, tmp_path / "state")
    monkeypatch.setenv("PINGAN_STATE_DIR", str(folder))
    first = tmp_path / "cases_july.csv"
    first.write_bytes(corpus.cases(*(corpus.CASE_ROW.format(n=i) for i in range(5))))
    assert importer.main([str(first)]) == 0
    capsys.readouterr()
    second = tmp_path / "cases_again.csv"
    second.write_bytes(corpus.cases(corpus.CASE_ROW.format(n=4), corpus.CASE_ROW.format(n=5)))
    output = assert_refused_and_unchanged(folder, second, capsys)
    assert "第 2 行" in output and "已在数据仓库中" in output and "cases_july.csv" in output
    assert warehouse.current_name() != warehouse_built.name  # the first load did switch
