"""AppTest of the dispute page through app.py: published figures on screen, comparison, category filter, backlog."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, published

PAGE = str(ROOT / "pages/disputes.py")


def page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGE)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def table(at: AppTest, column: str):
    """The first table on the page that has this column (as pandas, the way AppTest hands it over)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_yulin_first_half_shows_published_figures(warehouse_built):
    at = page({"region": "450900", "from": "2022-01", "to": "2022-06"})
    assert not at.exception
    assert at.title[0].value == "玉林市矛盾纠纷排查化解"
    m = metrics(at)
    accepted, resolved, rate = published("yulin_031"), published("yulin_032"), published("yulin_033")
    assert m["受理矛盾纠纷(件)"] == f"{accepted:,}"
    assert m["化解成功(件)"] == f"{resolved:,}"
    assert m["矛盾纠纷化解成功率(%)"] == f"{rate}%"
    # 7,992 is the warehouse's count of identified disputes (the published figure counts accepted ones)
    assert f"{resolved:,} 件 ÷ 排查矛盾纠纷 7,992 件 = **{rate}%**(目标 97%)" in markdown_text(at)
    assert "99.61%" in markdown_text(at)  # the accepted-based figure, named as not the definition
    pub = table(at, "published_text")
    assert set(pub["published_text"]) == {f"{accepted:,}起", f"{resolved:,}起", f"{rate}%"}
    assert set(pub["check"]) == {"✓ 一致"}
    assert "全市受理各类矛盾纠纷7792起" in set(pub["quote"])
    assert any("演示数据" in m.value for m in at.markdown)


def test_ningxia_five_years_every_year_above_target(warehouse_built):
    at = page({"region": "640000", "from": "2017", "to": "2021"})
    assert not at.exception
    identified = published("ningxia_016") / 10_000
    assert metrics(at)["排查矛盾纠纷(件)"] == f"{identified}万"
    pub = table(at, "published_text")
    assert set(pub["published_text"]) == {f"{identified}万件", f"{published('ningxia_017')}%以上"}
    assert set(pub["check"]) == {"✓ 一致"}
    years = table(at, "case_year")
    assert years["case_year"].tolist() == [2017, 2018, 2019, 2020, 2021]
    assert years["success_rate_pct"].min() >= published("ningxia_017")
    assert "宁夏回族自治区2017—2021年每年化解成功率均达到97%目标" in chart_titles(at)


@pytest.mark.parametrize("region, shown", [
    ("360700", {f"{published('ganzhou_002') / 10_000}万件", f"{published('ganzhou_003') / 10_000}万件",
                f"{published('ganzhou_004')}%"}),
    ("410900", {f"{published('puyang_025') / 10_000}万余件", f"{published('puyang_026')}%"})])
def test_ganzhou_and_puyang_2022(warehouse_built, region, shown):
    at = page({"region": region, "from": "2022", "to": "2022"})
    assert not at.exception
    pub = table(at, "published_text")
    assert set(pub["published_text"]) == shown
    assert set(pub["check"]) == {"✓ 一致"}


def test_period_comparison_previous_year_ago_and_sibling(warehouse_built):
    at = page({"region": "450900", "from": "2022-01", "to": "2022-06"})
    previous = chart_titles(at)[1]
    assert previous.startswith("玉林市2021年7—12月")
    other_before = table(at, "other")["other"].tolist()
    at.sidebar.selectbox(key="disputes_cmp").set_value("year_ago").run()
    assert not at.exception
    assert chart_titles(at)[1].startswith("玉林市2021年1—6月")
    assert table(at, "other")["other"].tolist() != other_before
    assert at.query_params["cmp"] in (["year_ago"], "year_ago")
    at.sidebar.selectbox(key="disputes_cmp").set_value("450100").run()  # 南宁市, a sibling prefecture
    assert not at.exception
    assert chart_titles(at)[1].startswith("南宁2022年1—6月")  # a sibling goes by its short name
    assert table(at, "this")["this"].tolist()[0] == 7992  # this period is unchanged


def test_open_cases_in_the_denominator_are_stated(warehouse_built):
    at = page({"region": "640000", "from": "2022", "to": "2022"})
    note = next(c.value for c in at.caption if "仍在办理" in c.value)
    assert "截至2022年12月31日仍在办理" in note


def test_comparison_without_data_says_so(warehouse_built):
    at = page({"region": "640000", "from": "2017", "to": "2017"})
    assert not at.exception
    assert any("宁夏回族自治区2016年没有案件数据" in i.value for i in at.info)


def test_category_filter_changes_every_count(warehouse_built):
    at = page({"region": "640000", "from": "2022", "to": "2022"})
    before = metrics(at)
    before_backlog = table(at, "open_cases")["open_cases"].sum()
    at.sidebar.selectbox(key="disputes_category").set_value("wages").run()
    assert not at.exception
    after = metrics(at)
    assert after["排查矛盾纠纷(件)"] != before["排查矛盾纠纷(件)"]
    assert after["在办案件(件)"] != before["在办案件(件)"]
    assert table(at, "open_cases")["open_cases"].sum() < before_backlog
    assert set(table(at, "age_days")["category_zh"]) == {"劳资/追薪"}
    assert any("劳资/追薪" in c.value for c in at.caption)
    assert at.query_params["category"] in (["wages"], "wages")


def test_category_from_link(warehouse_built):
    at = page({"region": "640000", "category": "wages"})
    assert not at.exception
    assert at.sidebar.selectbox(key="disputes_category").value == "wages"


def test_backlog_table_is_oldest_first_and_exportable(warehouse_built):
    at = page({"region": "640000", "from": "2022", "to": "2022"})
    oldest = table(at, "age_days")
    assert 0 < len(oldest) <= 500
    assert oldest["accepted_date"].is_monotonic_increasing
    assert oldest["age_days"].is_monotonic_decreasing
    counties = table(at, "open_cases")
    assert int(counties["open_cases"].sum()) == int(metrics(at)["在办案件(件)"].replace(",", ""))
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("下载 CSV") >= 7 and labels.count("下载 Excel") >= 7


def test_backlog_as_of_the_period_end(warehouse_built):
    at = page({"region": "640000", "from": "2021", "to": "2021"})
    assert not at.exception
    assert any("截至2021年12月31日" in m.value for m in at.markdown)


def test_success_ranking_of_counties_highlights_the_chosen_one(warehouse_built):
    at = page({"region": "640104", "from": "2022", "to": "2022"})
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[2].proto.spec)
    names = {n for trace in spec["data"] for n in (trace.get("y") or []) if n}
    assert any(n.startswith("▶ ") for n in names)
    assert spec["layout"]["title"]["text"].startswith("2022年") and "97%" in spec["layout"]["title"]["text"]


def test_english(warehouse_built):
    at = page({"region": "450900", "from": "2022-01", "to": "2022-06", "lang": "en"})
    assert not at.exception
    assert at.title[0].value.startswith("Dispute resolution")
    assert metrics(at)["Accepted (cases)"] == f"{published('yulin_031'):,}"
    assert metrics(at)["Success rate (%)"] == f"{published('yulin_033')}%"


def test_imported_report_shows_on_the_page_and_records_only_sections_say_demo(warehouse_built, tmp_path,
                                                                               monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "bad_files"))
    import corpus

    from pingan import importer

    monkeypatch.setenv("PINGAN_STATE_DIR", str(corpus.isolated_state(warehouse_built, tmp_path / "state")))
    data = corpus.csv_bytes("地区,期间,排查矛盾纠纷(件),受理矛盾纠纷(件),调解矛盾纠纷(件),化解成功(件),回访(件)",
                            "兴庆区,2019-07,1234,1200,1100,1000,900")
    importer.load(importer.validate([importer.Upload.from_bytes("xingqing.csv", data)]))
    at = page({"region": "640104", "from": "2019-07", "to": "2019-07"})
    assert not at.exception
    m = metrics(at)
    assert m["排查矛盾纠纷(件)"] == "1,234" and m["化解成功(件)"] == "1,000"
    assert any("以上总数来自导入的汇总报表" in c.value for c in at.caption)
