"""Importer: value parsing, encodings, templates, loads into a new snapshot, precedence, history, rollback, CLI."""
from __future__ import annotations

import io
import json
import sys
from datetime import date

import polars as pl
import pytest

from conftest import ROOT, published

sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
import corpus  # noqa: E402

from pingan import importer, loads, queries, templates, warehouse  # noqa: E402
from pingan.ingest import load as ingest_load  # noqa: E402

AGG = corpus.agg(*corpus.AGG_ROWS)


@pytest.fixture
def state(warehouse_built, tmp_path, monkeypatch):
    """A state folder of its own holding a copy of the session's small snapshot: loads here change nothing else."""
    folder = corpus.isolated_state(warehouse_built, tmp_path / "state")
    monkeypatch.setenv("PINGAN_STATE_DIR", str(folder))
    return folder


def sql(q: str, params=None) -> list[tuple]:
    cur = warehouse.cursor()  # the current snapshot, through the warehouse's own connection
    try:
        return cur.execute(q, params or []).fetchall()
    finally:
        cur.close()


def validate(name: str, data: bytes) -> importer.Report:
    return importer.validate([importer.Upload.from_bytes(name, data)])


def errors(report: importer.Report) -> list[dict]:
    return report.problems.filter(pl.col("severity") == "error").to_dicts()


# ------------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("raw, value, problem", [
    ("1,234", 1234.0, None), ("1.2万", 12000.0, None), ("3.5亿", 350000000.0, None), ("97.5%", 97.5, None),
    ("１，２３４", 1234.0, None), ("  88 ", 88.0, None), ("-", None, None), ("约1200", None, "不是确切数字"),
    ("1200余", None, "不是确切数字"), ("十二", None, "不是数字"), ("1.5e3", 1500.0, None),
])
def test_parse_number(raw, value, problem):
    v, _, p = importer.parse_number(raw)
    assert v == value
    assert (p is None) if problem is None else (problem in p)


@pytest.mark.parametrize("raw, start, end", [
    ("2022-07", date(2022, 7, 1), date(2022, 7, 31)), ("2022年7月", date(2022, 7, 1), date(2022, 7, 31)),
    ("2022/7", date(2022, 7, 1), date(2022, 7, 31)), ("202207", date(2022, 7, 1), date(2022, 7, 31)),
    ("2022", date(2022, 1, 1), date(2022, 12, 31)), ("2022年度", date(2022, 1, 1), date(2022, 12, 31)),
    ("2022H1", date(2022, 1, 1), date(2022, 6, 30)), ("2022年下半年", date(2022, 7, 1), date(2022, 12, 31)),
    ("2022Q3", date(2022, 7, 1), date(2022, 9, 30)), ("2022年第三季度", date(2022, 7, 1), date(2022, 9, 30)),
    ("2022年1-11月", date(2022, 1, 1), date(2022, 11, 30)), ("2022-07-01 00:00:00", date(2022, 7, 1), date(2022, 7, 31)),
    ("２０２２年７月", date(2022, 7, 1), date(2022, 7, 31)),
])
def test_parse_period(raw, start, end):
    assert importer.parse_period(raw) == (start, end, None)


@pytest.mark.parametrize("raw", ["2022年13月", "上个月", "2022-07-15", "1800", "2022年6-1月"])
def test_parse_period_refuses(raw):
    s, e, problem = importer.parse_period(raw)
    assert s is None and problem


@pytest.mark.parametrize("raw, expected", [
    ("2022-07-15", date(2022, 7, 15)), ("2022/7/5", date(2022, 7, 5)), ("2022.7.5", date(2022, 7, 5)),
    ("2022年7月5日", date(2022, 7, 5)), ("20220705", date(2022, 7, 5)), ("2022-07-05 09:30:00", date(2022, 7, 5)),
    ("2022-7-15 9:30", date(2022, 7, 15)), ("44747", date(2022, 7, 5)),
])
def test_parse_date(raw, expected):
    assert importer.parse_date(raw) == (expected, None)


def test_regions_by_code_name_and_short_form(warehouse_built):
    ref = importer.reference(warehouse.current_name())
    assert importer.resolve_region(ref, "大理州") == ("532900", None)
    assert importer.resolve_region(ref, "大理白族自治州") == ("532900", None)
    assert importer.resolve_region(ref, "海西州") == ("632800", None)
    assert importer.resolve_region(ref, "532900") == ("532900", None)
    assert importer.resolve_region(ref, "532900000000") == ("532900", None)
    assert importer.resolve_region(ref, "532900.0") == ("532900", None)
    code, problem = importer.resolve_region(ref, "大理")  # 大理州 or 大理市
    assert code is None and "532900" in problem and "532901" in problem and "歧义" in problem
    # in a county column only the county qualifies
    assert importer.resolve_region(ref, "大理", county_only=True) == ("532901", None)
    assert "不存在" in importer.resolve_region(ref, "999999")[1]
    assert "不是6位" in importer.resolve_region(ref, "53290")[1]


# ------------------------------------------------------------------------------------------------ reading
@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""),
                                           ("gb18030", b""), ("utf-16", b"")])
def test_encodings_read_alike(warehouse_built, encoding, bom):
    text = AGG.decode("utf-8")
    report = validate(f"{encoding}.csv", bom + text.encode(encoding))
    assert report.errors == 0, errors(report)
    assert report.rows_valid == 3
    got = report.valid_observations().filter(pl.col("indicator") == "dispute_identified")
    assert dict(got.select("region_code", "value").iter_rows()) == {"532900": 1234.0, "450900": 7992.0,
                                                                     "632800": 310.0}


def test_xlsx_with_title_row_and_offset_table(warehouse_built):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"] = "大理州2022年7月矛盾纠纷排查化解情况统计表"
    for j, h in enumerate(corpus.AGG_HEADER.split(",")):
        ws.cell(row=4, column=2 + j, value=h)
    for j, v in enumerate(["大理州", "2022-07", 1234, 1200, 1100, 1000, 97.5]):
        ws.cell(row=5, column=2 + j, value=v)
    for j, v in enumerate(["玉林", "2022-07", 10, 9, 8, 11, 90]):
        ws.cell(row=6, column=2 + j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    report = validate("offset.xlsx", buf.getvalue())
    bad = errors(report)
    assert len(bad) == 1
    assert bad[0]["row"] == 6 and bad[0]["column"] == "化解成功(件)" and "大于调解矛盾纠纷" in bad[0]["reason"]
    assert report.files[0]["sheets"][0]["header_row"] == 4


def test_unit_in_header_scales_values(warehouse_built):
    data = corpus.csv_bytes("地区,年度,查封扣押冻结涉案资产(万元),打掉涉黑组织", "庆阳,2022,\"9,471.89\",3")
    report = validate("money.csv", data)
    assert report.errors == 0, errors(report)
    values = dict(report.valid_observations().select("indicator", "value").iter_rows())
    assert values["ag_assets_yuan"] == pytest.approx(94718900.0)
    assert values["ag_black_org"] == 3.0


def test_survey_sample_size_and_fraction_warning(warehouse_built):
    data = corpus.csv_bytes("地区,年度,样本量,群众安全感(%),社会治安环境满意率(%)", "大理州,2021,1200,0.985,0.97",
                            "玉林,2021,800,0.99,0.98")
    report = validate("survey.csv", data)
    assert report.errors == 0
    assert any("小数" in w["reason"] for w in report.problems.to_dicts())
    assert set(report.valid_observations()["sample_size"]) == {1200.0, 800.0}


# ------------------------------------------------------------------------------------------------ templates
def test_committed_templates_match_the_catalog(warehouse_built, tmp_path):
    import fastexcel

    written = templates.write_all(tmp_path)
    assert len(written) == 12
    for path in written:
        committed = templates.TEMPLATE_DIR / path.name
        assert committed.exists(), path.name
        if path.suffix == ".csv":
            assert committed.read_bytes() == path.read_bytes()
        else:
            a, b = fastexcel.read_excel(committed.read_bytes()), fastexcel.read_excel(path.read_bytes())
            assert a.sheet_names == b.sheet_names == ["数据", "说明"]
            for name in a.sheet_names:
                assert a.load_sheet(name, header_row=None).to_polars().equals(
                    b.load_sheet(name, header_row=None).to_polars())
    assert (templates.TEMPLATE_DIR / "README.md").exists()


@pytest.mark.parametrize("key", ["grid", "facilities", "dispute_stages", "anti_gang", "survey", "dispute_cases"])
def test_each_template_filled_with_its_examples_validates(warehouse_built, key):
    """The template, filled in with the 说明 sheet's examples, passes validation (what we say is what we accept)."""
    t = next(t for t in templates.build(queries.run("meta_indicators")) if t.key == key)
    examples = {c.key: c.example.split(" 或 ")[0] for c in t.columns}
    examples.update({"region": "大理州", "period": "2021", "county": "西峰区", "grid_id": ""})  # grid ids vary by scale
    # examples of totals and stage counts are illustrative: make the row consistent
    values = {c.key: examples[c.key] for c in t.columns}
    for total, parts in importer.SUM_RULES.items():
        if total in values:
            values[total] = str(sum(int(values[p]) for p in parts))
    if "center_count" in values:
        values["center_count"] = "400"
    header = ",".join(c.header for c in t.columns)
    report = validate(f"{key}.csv", corpus.csv_bytes(header, ",".join(values[c.key] for c in t.columns)))
    assert report.errors == 0, errors(report)
    assert report.rows_valid == 1
    xlsx = (templates.TEMPLATE_DIR / f"{t.file_stem}.xlsx").read_bytes()
    empty = validate(f"{key}.xlsx", xlsx)  # the untouched template: a clear "no data rows", nothing else
    assert [e["reason"] for e in errors(empty)] == ["表头(第 1 行)下面没有数据行"]


# ------------------------------------------------------------------------------------------------ loading
def test_load_observations_makes_a_new_current_snapshot(state):
    before = warehouse.current_name()
    report = validate("dispute_stages.csv", AGG)
    entry = importer.load(report, who="tester")
    assert warehouse.current_name() == entry["snapshot"] != before
    assert before in [s["name"] for s in warehouse.list_snapshots()]  # the previous one is kept
    src = f"import:{entry['load_id']}"
    rows = sql("select region_code, province_code, period_start, period_end, value from observation "
               "where indicator = 'dispute_identified' and source = ? order by region_code", [src])
    assert rows == [("450900", "450000", date(2022, 8, 1), date(2022, 8, 31), 7992.0),
                    ("532900", "530000", date(2022, 7, 1), date(2022, 7, 31), 1234.0),
                    ("632800", "630000", date(2022, 9, 1), date(2022, 9, 30), 310.0)]
    cov = sql("select region_code, level, prefecture_code, county_code, count(*) from import_coverage "
              "where source = ? group by all order by 1", [src])
    assert cov == [("450900", "prefecture", "450900", None, 5), ("532900", "prefecture", "532900", None, 5),
                   ("632800", "prefecture", "632800", None, 5)]
    # the summary travels with the snapshot, the history lives in the state folder
    assert sql("select file_name, rows_loaded, who, snapshot from import_load") == [
        ("dispute_stages.csv", 3, "tester", entry["snapshot"])]
    assert sql("select value from build_info where key = 'last_import'") == [(entry["load_id"],)]
    hist = loads.history()
    assert hist.height == 1 and hist["rows_loaded"][0] == 3 and hist["files"][0] == "dispute_stages.csv"
    assert hist["sha256"][0] == report.files[0]["sha256"][:12]
    logged = json.loads((state / "loads.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert logged["files"][0]["bytes"] == len(AGG) and logged["previous_snapshot"] == before


def test_same_rows_again_are_refused_as_duplicates_of_existing_data(state):
    importer.load(validate("a.csv", AGG))
    again = validate("b.csv", AGG)
    assert again.errors == 3  # one per row, naming the indicators
    assert all("数据仓库中已有" in e["reason"] and "a.csv" in e["reason"] and "排查矛盾纠纷(件)" in e["reason"]
               for e in errors(again))
    assert [e["row"] for e in errors(again)] == [2, 3, 4]
    assert any("同一文件" in p["reason"] for p in again.problems.to_dicts())
    with pytest.raises(importer.Refused):
        importer.load(again)


def test_nothing_loads_while_any_row_has_an_error_unless_valid_only(state):
    data = corpus.agg(*corpus.AGG_ROWS, "火星县,2022-07,1,1,1,1,100")
    report = validate("mixed.csv", data)
    before = warehouse.current_name()
    with pytest.raises(importer.Refused, match="1 处错误"):
        importer.load(report)
    assert warehouse.current_name() == before and loads.history().height == 0
    rejected = report.rejected_rows()
    assert rejected.height == 1 and rejected["行号"][0] == 5 and rejected["地区"][0] == "火星县"
    assert "不存在" in rejected["原因"][0]
    entry = importer.load(report, valid_only=True)
    assert entry["rows_loaded"] == 3 and entry["rows_rejected"] == 1 and entry["mode"] == "valid_only"
    assert sql("select count(distinct region_code) from observation")[0][0] == 3


def test_cases_replace_demo_cases_of_the_same_county_and_month(state, tmp_path):
    county, month = "640104", (date(2019, 7, 1), date(2019, 7, 31))  # 银川市兴庆区, July 2019
    q = ("select count(*) from dispute_case where county_code = ? and identified_date between ? and ? "
         "and source = ?")
    demo_july = sql(q, [county, *month, "demo"])[0][0]
    demo_june = sql(q, [county, date(2019, 6, 1), date(2019, 6, 30), "demo"])[0][0]
    assert demo_july > 0 and demo_june > 0
    total_before = queries.run("data_sources_by_table", region="640000", start=date(2017, 1, 1),
                               end=date(2021, 12, 31)).row(0, named=True)
    assert total_before["rows_total"] == published("ningxia_016")  # 宁夏 2017—2021 排查 26.39万件 (calibrated)
    assert total_before["rows_demo"] == published("ningxia_016")
    max_before = sql("select max(case_id) from dispute_case")[0][0]
    rows = [f"YC-{i},兴庆区,,邻里,人民调解,2019-07-{1 + i % 28:02d},2019-07-{1 + i % 28:02d},,,," for i in range(50)]
    report = validate("cases.csv", corpus.cases(*rows))
    assert report.errors == 0, errors(report)
    entry = importer.load(report)
    assert entry["demo_rows_replaced"] == demo_july
    assert sql(q, [county, *month, "demo"])[0][0] == 0
    assert sql(q, [county, date(2019, 6, 1), date(2019, 6, 30), "demo"])[0][0] == demo_june  # other months stay
    ids = sql("select min(case_id), max(case_id), count(*) from dispute_case where source = ?",
              [f"import:{entry['load_id']}"])
    assert ids == [(max_before + 1, max_before + 50, 50)]
    numbers = sql("select count(*) from dispute_case_number where county_code = ?", [county])[0][0]
    assert numbers == 50
    after = queries.run("data_sources_by_table", region="640000", start=date(2017, 1, 1),
                        end=date(2021, 12, 31)).row(0, named=True)
    assert after["rows_total"] == published("ningxia_016") - demo_july + 50 and after["rows_imported"] == 50
    assert sql("select count(*) from import_coverage where county_code = ? and period_start = ?",
               [county, month[0]])[0][0] == len(importer.DISPUTE_RECORD_INDICATORS)
    again = validate("cases2.csv", corpus.cases(rows[0]))
    assert "已在数据仓库中" in errors(again)[0]["reason"]


def test_grid_must_belong_to_the_county(state):
    own = sql("select min(grid_id) from grid where county_code = '621002'")[0][0]
    other = sql("select min(grid_id) from grid where county_code = '620102'")[0][0]
    ok = corpus.CASE_ROW.format(n=1).replace("西峰区,,", f"西峰区,{own},")
    bad = corpus.CASE_ROW.format(n=2).replace("西峰区,,", f"西峰区,{other},")
    report = validate("grids.csv", corpus.cases(ok, bad))
    assert [(e["row"], e["column"]) for e in errors(report)] == [(3, "网格编号")]
    assert "620102" in errors(report)[0]["reason"]


def test_failed_load_leaves_the_warehouse_unchanged(state, monkeypatch):
    before = warehouse.current_name()
    files_before = sorted(p.name for p in (state / "warehouse").glob("snap-*"))
    report = validate("dispute_stages.csv", AGG)

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_load, "_load_observations", broken)
    with pytest.raises(RuntimeError):
        importer.load(report)
    assert warehouse.current_name() == before
    assert sorted(p.name for p in (state / "warehouse").glob("snap-*")) == files_before
    assert loads.history()["status"].to_list() == ["failed"]


def test_stale_validation_is_refused(state):
    first = validate("a.csv", corpus.agg(corpus.AGG_ROWS[0]))
    second = validate("b.csv", corpus.agg(corpus.AGG_ROWS[1]))
    importer.load(first)
    with pytest.raises(importer.Refused, match="重新校验"):
        importer.load(second)


def test_rollback_restores_the_previous_snapshot_and_is_recorded(state):
    before = warehouse.current_name()
    importer.load(validate("a.csv", AGG))
    assert sql("select count(*) from observation")[0][0] == 15
    importer.rollback(before, who="admin")
    assert warehouse.current_name() == before
    assert sql("select count(*) from observation")[0][0] == 0
    hist = loads.history()
    assert hist["action"].to_list() == ["rollback", "load"]
    assert hist["snapshot"][0] == before
    with pytest.raises(FileNotFoundError):
        importer.rollback("snap-does-not-exist.duckdb")


def test_rollback_to_a_snapshot_older_than_the_derived_tables_upgrades_it(state):
    import shutil

    import duckdb

    current = warehouse.current_path()
    old = current.with_name("snap-20200101T000000000000-1.duckdb")
    shutil.copyfile(current, old)
    con = duckdb.connect(str(old))
    con.execute("drop table dispute_month")
    con.execute("delete from build_info where key = 'derived_version'")
    con.close()
    before = queries.run("disputes_summary", region="640000", start=date(2021, 1, 1), end=date(2021, 12, 31))
    entry = importer.rollback(old.name, who="admin")
    assert entry["snapshot"] == warehouse.current_name() != old.name and "补建汇总表" in entry["message"]
    queries.clear_cache()
    after = queries.run("disputes_summary", region="640000", start=date(2021, 1, 1), end=date(2021, 12, 31))
    assert after.equals(before)


def test_old_snapshots_are_pruned_to_the_setting(state, monkeypatch):
    monkeypatch.setenv("PINGAN_SNAPSHOTS_KEPT", "2")
    for i, row in enumerate(corpus.AGG_ROWS):
        importer.load(validate(f"{i}.csv", corpus.agg(row)))
    assert len(warehouse.list_snapshots()) == 2


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_loads_and_refuses(state, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(AGG)
    assert importer.main([str(good), "--dry-run"]) == 0
    assert loads.history().height == 0
    assert importer.main([str(good), "--who", "operator"]) == 0
    out = capsys.readouterr().out
    assert "已导入 3 行" in out
    assert loads.history()["who"][0] == "operator"
    report = tmp_path / "problems.csv"
    assert importer.main([str(good), "--report", str(report)]) == 1  # everything is a duplicate now
    captured = capsys.readouterr()
    assert "数据仓库中已有" in captured.out and "未导入" in captured.err
    assert pl.read_csv(report).height == 4  # 3 rows already loaded and the note that the same file was before
    assert loads.history()["status"][0] == "refused"
    assert importer.main([str(tmp_path / "missing.csv")]) == 1


def test_cli_valid_only_writes_rejected_rows(state, tmp_path, capsys):
    f = tmp_path / "mixed.csv"
    f.write_bytes(corpus.agg(corpus.AGG_ROWS[0], "火星县,2022-07,1,1,1,1,100"))
    rejected = tmp_path / "rejected.csv"
    assert importer.main([str(f), "--valid-only", "--rejected", str(rejected)]) == 0
    assert pl.read_csv(rejected)["地区"].to_list() == ["火星县"]


def test_cli_report_and_rejected_files_hold_no_formula(state, tmp_path):
    """A region cell typed as a formula is echoed into the report and rejected-rows CSVs as text."""
    f = tmp_path / "formula.csv"
    f.write_bytes(corpus.agg(corpus.AGG_ROWS[0], '"=HYPERLINK(""http://127.0.0.1:8619"",""点我"")",2022-07,1,1,1,1,100'))
    report, rejected = tmp_path / "report.csv", tmp_path / "rejected.csv"
    importer.main([str(f), "--valid-only", "--dry-run", "--report", str(report), "--rejected", str(rejected)])
    for path in (report, rejected):
        cells = [c for row in pl.read_csv(path, infer_schema=False).iter_rows() for c in row if c]
        assert any("HYPERLINK" in c for c in cells), path
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), path


def test_source_composition_query(warehouse_built, run_query):
    df = run_query("data_sources_by_table", region="360700", start=date(2022, 1, 1), end=date(2022, 12, 31))
    row = df.filter(pl.col("fact_table") == "dispute_case").row(0, named=True)
    assert row["rows_total"] == row["rows_demo"] == published("ganzhou_002")  # 赣州 2022 排查 12.4万件 (calibrated)
    assert set(df["fact_table"]) == {"dispute_case", "grid", "facility", "antigang_tally", "survey_result",
                                     "observation"}
    assert df.filter(pl.col("fact_table") == "observation")["rows_total"][0] == 0


# ------------------------------------------------------------------------------------------------ precedence
RECORDS_SQL = """select count(*), count(accepted_date), count(mediated_date), count(*) filter (where outcome = 'resolved'),
    count(followup_date), bool_or(source = 'demo') from dispute_case
    where (? = '' or province_code = ? or prefecture_code = ? or county_code = ?) and identified_date between ? and ?"""
STAGES = ("identified", "accepted", "mediated", "resolved", "followed_up")


def test_rollup_summary_matches_the_case_records_without_imports(warehouse_built, run_query):
    for region, start, end in (("", date(2022, 1, 1), date(2022, 12, 31)), ("640000", date(2017, 1, 1),
                                                                           date(2021, 12, 31)),
                               ("450900", date(2022, 1, 1), date(2022, 6, 30)), ("532901", date(2022, 7, 1),
                                                                                date(2022, 7, 31))):
        row = run_query("disputes_summary", region=region, start=start, end=end).row(0, named=True)
        records = sql(RECORDS_SQL, [region] * 4 + [start, end])[0]
        assert tuple(row[k] for k in STAGES) + (row["has_demo"],) == records, region
        assert row["report_rows"] == 0
    assert run_query("disputes_summary", region="640000", start=date(2017, 1, 1),
                     end=date(2021, 12, 31))["identified"][0] == published("ningxia_016")  # 宁夏 2017—2021 排查


STAGE_HEADER = "地区,期间,排查矛盾纠纷(件),受理矛盾纠纷(件),调解矛盾纠纷(件),化解成功(件),回访(件)"


def test_imported_report_replaces_demo_records_for_its_place_and_period(state):
    july = dict(start=date(2019, 7, 1), end=date(2019, 7, 31))
    year = dict(start=date(2019, 1, 1), end=date(2019, 12, 31))

    def run(name, region, period, **extra):
        return queries.run(name, region=region, **period, **extra)

    def summary(region, period):
        return run("disputes_summary", region, period).row(0, named=True)

    county_before, city_before = summary("640104", july), summary("640100", july)
    county_year_before = summary("640104", year)
    trend_before = run("disputes_monthly_trend", "640104", year, category="", ya_start=date(2018, 1, 1))
    importer.load(validate("xingqing.csv", corpus.csv_bytes(STAGE_HEADER, "兴庆区,2019-07,100,90,80,70,60")))
    county = summary("640104", july)
    assert tuple(county[k] for k in STAGES) == (100, 90, 80, 70, 60)
    assert county["success_rate_pct"] == 70.0 and county["report_rows"] == 1
    assert county["has_demo"] is False  # every figure of the county's month is real now
    city = summary("640100", july)
    assert city["identified"] == city_before["identified"] - county_before["identified"] + 100
    assert city["has_demo"] is True  # the other counties of 银川 are still demo data
    # the county's year: its real July and its other (demo) months
    county_year = summary("640104", year)
    assert county_year["identified"] == county_year_before["identified"] - county_before["identified"] + 100
    assert county_year["has_demo"] is True
    funnel = run("disputes_funnel_by_year", "640104", year, category="")
    assert funnel["identified"].to_list() == [county_year["identified"]] * 2  # the year 2019 and the total
    # a category cannot be split out of a report: the category view keeps the records
    by_cat = run("disputes_funnel_by_year", "640104", july, category="neighbour")
    assert by_cat["has_demo"][-1] in (True, False) and by_cat["identified"][-1] <= county_before["identified"]
    # the monthly trend shows the reported July and the records' other months
    trend = run("disputes_monthly_trend", "640104", year, category="", ya_start=date(2018, 1, 1))
    july_row = trend.filter(pl.col("month_start") == date(2019, 7, 1)).row(0, named=True)
    assert (july_row["identified"], july_row["resolved"]) == (100, 70)
    others = trend.filter(pl.col("month_start") != date(2019, 7, 1))
    assert others.equals(trend_before.filter(pl.col("month_start") != date(2019, 7, 1)))
    # the county ranks among 银川's counties with its reported figure
    sub = run("disputes_success_by_subregion", "640100", july, child_level="county", category="",
              prev_start=date(2019, 6, 1), prev_end=date(2019, 6, 30))
    assert sub.filter(pl.col("code") == "640104")["identified"][0] == 100

    # a wider report (the prefecture's year) counts once and the county's month inside it is not added again
    importer.load(validate("yinchuan.csv", corpus.csv_bytes(STAGE_HEADER, "银川市,2019,5000,4800,4700,4600,4000")))
    whole_year = summary("640100", year)
    assert (whole_year["identified"], whole_year["resolved"], whole_year["has_demo"]) == (5000, 4600, False)
    assert summary("640104", july)["identified"] == 100  # the county's own report, inside its month
    assert summary("640100", july)["identified"] == city["identified"]  # a year cannot speak for one month
    assert run("disputes_funnel_by_year", "640100", year, category="")["identified"].to_list() == [5000, 5000]
    # the province's year: 银川's report and the records of the other prefectures
    ningxia = summary("640000", year)
    records_other = sql(RECORDS_SQL.replace("(? = '' or province_code = ? or prefecture_code = ? or county_code = ?)",
                                            "province_code = '640000' and prefecture_code <> '640100'"),
                        [year["start"], year["end"]])[0]
    assert ningxia["identified"] == records_other[0] + 5000
    # the counties of 银川 keep their own figures (a prefecture's report cannot be split into counties)
    sub_year = run("disputes_success_by_subregion", "640100", year, child_level="county", category="",
                   prev_start=date(2018, 1, 1), prev_end=date(2018, 12, 31))
    assert sub_year["identified"].sum() == county_year["identified"] + sql(
        RECORDS_SQL.replace("(? = '' or province_code = ? or prefecture_code = ? or county_code = ?)",
                            "prefecture_code = '640100' and county_code <> '640104'"), [year["start"], year["end"]])[0][0]


def test_report_without_a_stage_leaves_that_stage_unknown(state):
    importer.load(validate("partial.csv", corpus.csv_bytes("地区,期间,排查矛盾纠纷(件)", "兴庆区,2019-07,100")))
    row = queries.run("disputes_summary", region="640104", start=date(2019, 7, 1),
                      end=date(2019, 7, 31)).row(0, named=True)
    assert row["identified"] == 100 and row["resolved"] is None and row["success_rate_pct"] is None


def test_reports_that_overlap_in_part_are_refused(state):
    importer.load(validate("q3.csv", corpus.csv_bytes(STAGE_HEADER, "兴庆区,2019年第3季度,300,290,280,270,200")))
    # nested (a month of the quarter, the prefecture's year) is fine; the prefecture's August is not: it would hold
    # the county's August, which the county's quarter also holds (months, quarters, halves and years of one place
    # always nest, so a partial overlap takes two places)
    assert not errors(validate("m.csv", corpus.csv_bytes(STAGE_HEADER, "兴庆区,2019-08,100,90,80,70,60")))
    assert not errors(validate("y.csv", corpus.csv_bytes(STAGE_HEADER, "银川市,2019,5000,4800,4700,4600,4000")))
    bad = errors(validate("r.csv", corpus.csv_bytes(STAGE_HEADER, "银川市,2019-08,800,790,780,770,700")))
    assert len(bad) == 1 and "部分重叠" in bad[0]["reason"] and "已导入的" in bad[0]["reason"]
    # within one file: a county's year against its prefecture's July
    bad = errors(validate("two.csv", corpus.csv_bytes(STAGE_HEADER, "金凤区,2020,900,890,880,870,800",
                                                      "银川市,2020-07,500,490,480,470,400")))
    assert len(bad) == 2 and all("本次上传中" in e["reason"] for e in bad)
    before = warehouse.current_name()
    with pytest.raises(importer.Refused):
        importer.load(validate("two.csv", corpus.csv_bytes(STAGE_HEADER, "金凤区,2020,900,890,880,870,800",
                                                           "银川市,2020-07,500,490,480,470,400")))
    assert warehouse.current_name() == before


AG_HEADER = "地区,期间,打掉涉黑组织(个),打掉涉恶犯罪集团(个),打掉涉恶团伙(个)"


def test_yearly_reports_replace_the_tallies_of_their_place_and_year(state):
    def summary(region, first=2021, last=2021):
        df = queries.run("antigang_summary", region=region, first_year=first, last_year=last)
        return {r["indicator"]: (r["value"], r["has_demo"]) for r in df.iter_rows(named=True)}

    before_city, before_county = summary("532900"), summary("532901")
    before_two_years = summary("532900", 2020, 2021)
    importer.load(validate("dali.csv", corpus.csv_bytes(AG_HEADER, "大理州,2021,3,20,50")))
    city = summary("532900")
    assert city["ag_black_org"] == (3, False) and city["ag_gang_total"] == (73, False)
    assert city["ag_criminal_cases"] == before_city["ag_criminal_cases"]  # not reported: the records stay
    assert summary("532901") == before_county  # a prefecture's report cannot speak for one of its counties
    two = summary("532900", 2020, 2021)  # 2020 from the records, 2021 from the report
    assert two["ag_black_org"][0] == before_two_years["ag_black_org"][0] - before_city["ag_black_org"][0] + 3
    yunnan = summary("530000")
    ranking = queries.run("anti_gang_ranking", parent_region="530000", child_level="prefecture", first_year=2021,
                          last_year=2021).filter((pl.col("code") == "532900") & (pl.col("indicator") == "ag_black_org"))
    assert ranking["value"][0] == 3 and ranking["has_demo"][0] is False
    # a county's report inside the prefecture's: counted for the county, not again for the prefecture
    importer.load(validate("dali_city.csv", corpus.csv_bytes(AG_HEADER, "大理市,2021,1,5,9")))
    assert summary("532901")["ag_black_org"] == (1, False)
    assert summary("532900")["ag_black_org"] == (3, False)
    assert summary("530000")["ag_black_org"] == yunnan["ag_black_org"]
    by_year = queries.run("anti_gang_by_year", region="532900").filter(
        (pl.col("indicator") == "ag_black_org") & (pl.col("year") == 2021))
    assert by_year["value"][0] == 3


def test_anti_gang_and_survey_reports_must_be_whole_years(state):
    bad = errors(validate("q.csv", corpus.csv_bytes(AG_HEADER, "大理州,2021Q3,3,20,50")))
    assert len(bad) == 1 and "整年" in bad[0]["reason"]


def test_survey_report_replaces_the_survey_of_its_place_and_year(state):
    header = "地区,期间,样本量,群众安全感(%)"
    before = queries.run("satisfaction_summary", region="532900", year=2022).filter(
        pl.col("indicator") == "sat_public_safety").row(0, named=True)
    importer.load(validate("s.csv", corpus.csv_bytes(header, "大理州,2022,2000,97.5")))
    after = queries.run("satisfaction_summary", region="532900", year=2022)
    row = after.filter(pl.col("indicator") == "sat_public_safety").row(0, named=True)
    assert (row["rate_pct"], row["sample_size"], row["has_demo"]) == (97.5, 2000, False)
    other = after.filter(pl.col("indicator") != "sat_public_safety")
    assert other["has_demo"].all()  # indicators not reported stay demo
    county = queries.run("satisfaction_summary", region="532901", year=2022).filter(
        pl.col("indicator") == "sat_public_safety")
    assert county["has_demo"][0] is True
    trend = queries.run("satisfaction_region_trend", region="532900").filter(
        (pl.col("indicator") == "sat_public_safety") & (pl.col("year") == 2022))
    assert trend["positive"][0] == 1950 and trend["sample_size"][0] == 2000
    assert before["sample_size"] != 2000


GRID_HEADER = "地区,期间,网格总数(个),综合网格数(个),专属网格数(个),网格员人数(人),专职网格员(人),兼职网格员(人)"


def test_grid_report_replaces_the_grid_stock_of_its_place_and_year(state):
    def summary(region, year=2021):
        return queries.run("grid_summary", region=region, year=year).row(0, named=True)

    def by_region(region, level):
        return queries.run("grid_by_region", region=region, child_level=level, year=2021)

    before_city, before_county, before_2022 = summary("532900"), summary("532901"), summary("532900", 2022)
    before_children = by_region("532900", "county").filter(~pl.col("is_total"))
    importer.load(validate("g.csv", corpus.csv_bytes(GRID_HEADER, "大理州,2021-06,4000,3500,500,5200,4000,1200")))
    city = summary("532900")
    assert (city["grids"], city["workers"], city["has_demo"]) == (4000, 5200, False)
    assert city["residents"] is None  # reports do not give the residents their grids serve
    assert summary("532901") == before_county  # the prefecture's report cannot be split into counties
    assert summary("532900", 2022) == before_2022  # a 2021 report says nothing of 2022
    yunnan = summary("530000")
    assert yunnan["has_demo"] is True
    rows = by_region("532900", "county")
    total = rows.filter(pl.col("is_total")).row(0, named=True)
    assert (total["grids"], total["workers"], total["grid_demo"], total["records_demo"]) == (4000, 5200, False, True)
    assert total["has_demo"] is True  # the centres and other facilities are still demo rows
    assert rows.filter(~pl.col("is_total")).equals(before_children)  # the counties keep their records
    prefectures = by_region("530000", "prefecture").filter(pl.col("code") == "532900").row(0, named=True)
    assert prefectures["grids"] == 4000 and prefectures["grids_per_10k"] == pytest.approx(
        10000 * 4000 / prefectures["population"])
    # a county's report inside it counts for the county and the province, not twice for the prefecture
    importer.load(validate("g2.csv", corpus.csv_bytes(GRID_HEADER, "大理市,2021,600,500,100,700,600,100")))
    assert summary("532901")["grids"] == 600
    assert summary("532900")["grids"] == 4000
    assert summary("530000")["grids"] == yunnan["grids"]


def test_an_anti_gang_total_without_its_parts_is_loaded_with_a_warning(state):
    report = validate("t.csv", corpus.csv_bytes("地区,期间,打掉涉黑涉恶团伙合计(个)", "大理州,2021,99"))
    warn = report.problems.filter(pl.col("severity") == "warning")
    assert report.errors == 0 and warn.height == 1 and "由各分项相加" in warn["reason"][0]
    with_parts = validate("p.csv", corpus.csv_bytes("地区,期间,打掉涉黑组织(个),打掉涉恶犯罪集团(个),打掉涉恶团伙(个),"
                                                    "打掉涉黑涉恶团伙合计(个)", "大理州,2021,1,2,3,6"))
    assert with_parts.problems.height == 0


def test_facility_report_replaces_the_facility_counts_of_its_place_and_year(state):
    def total(region, level="county"):
        return queries.run("grid_by_region", region=region, child_level=level, year=2021).filter(
            pl.col("is_total")).row(0, named=True)

    before_city, before_county = total("532900"), total("532901")
    header = "地区,期间,综治中心数(个),县级综治中心数(个),乡级综治中心数(个),村级综治中心数(个),警务室数(个)"
    importer.load(validate("f.csv", corpus.csv_bytes(header, "大理州,2021,1300,12,110,1177,900")))
    city = total("532900")
    assert (city["centers_prefecture"], city["centers_county"], city["centers_township"], city["centers_village"],
            city["police_rooms"]) == (1, 12, 110, 1177, 900)
    assert city["justice_offices"] is None  # not reported: unknown for the prefecture as a whole
    assert city["center_township_coverage"] == before_city["center_township_coverage"]  # coverage: records
    assert total("532901") == before_county  # cannot be split into 大理市
    prov = queries.run("grid_by_region", region="530000", child_level="prefecture", year=2021)
    assert prov.filter(pl.col("code") == "532900")["police_rooms"][0] == 900
