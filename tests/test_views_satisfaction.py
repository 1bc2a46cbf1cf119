"""The satisfaction view model without AppTest: headline, published marks, ranking, trend, scatter, table, calls."""
from __future__ import annotations

import pytest

from conftest import published
from pingan import periods, queries, stats
from pingan.scope import Scope
from pingan.views import satisfaction as view


def scope(region: str, year: int, lang: str = "zh") -> Scope:
    """The scope frame.scope_filter would give for ?region=…&from=<year>."""
    regs = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    first = int(queries.run("meta_data_years")["first_year"][0])
    last = int(dict(queries.run("meta_build_info").iter_rows())["as_of"][:4])
    r = regs.get(region)
    level = r["level"] if r else "all"
    return Scope(region, r["name"] if r else "全部地区", level, periods.parse_range(str(year)), lang, first, last,
                 r["province_code"] if r else "", (r["prefecture_code"] or "") if r and level != "province" else "",
                 region if level == "county" else "")


@pytest.fixture(scope="module")
def dali(warehouse_built):
    return view.build(scope("532900", 2021))


@pytest.fixture(scope="module")
def yunnan(warehouse_built):
    return view.build(scope("530000", 2021))


def headline(v) -> dict:
    return {h.code: h for h in v.headline}


def test_dali_headline_and_published_marks(dali):
    assert dali.title == "大理白族自治州2021年群众安全感与满意度"
    h = headline(dali)
    assert h["sat_public_order"].value == f"{published('dali_001'):.2f}%"
    assert h["sat_law_enforcement"].value == f"{published('dali_003'):.2f}%"
    assert round(float(h["sat_public_safety"].value.rstrip("%"))) == published("dali_002")
    assert round(float(h["sat_antigang"].value.rstrip("%")), 1) == published("dali_004")
    marks = [x.published for x in dali.headline if x.published]
    assert len(marks) == 4 and all(m.endswith(":green[与仓库一致]") for m in marks)
    # the figure is quoted twice in the seed (dali_001, dali_006): the fuller sentence is shown
    assert h["sat_public_order"].published == (f"**公开 {published('dali_006')}%**:“好转。2021年度,全州人民群众对社会治安"
                                              "环境满意率达99.24%” · :green[与仓库一致]")
    assert dali.has_demo and dali.no_data is None
    assert h["sat_public_order"].label == "社会治安环境满意率 · 目标 90%"


def test_headline_interval_is_the_wilson_interval(dali):
    own = dali.own.filter((dali.own["indicator"] == "sat_public_safety") & (dali.own["year"] == 2021)).row(0, named=True)
    low, high = stats.wilson(own["positive"], own["sample_size"])
    line = headline(dali)["sat_public_safety"].lines.split("  \n")[0]
    assert line == f"95%区间 {100 * low:.2f}%–{100 * high:.2f}% · 样本 {own['sample_size']:,}人"


def test_ref_word_names_the_whole_of_a_place():
    assert view.ref_word("云南省", "云南", "province", "zh") == "全省"
    assert view.ref_word("大理白族自治州", "大理州", "prefecture", "zh") == "全州"
    assert view.ref_word("宁夏回族自治区", "宁夏", "province", "zh") == "全区"
    assert view.ref_word("昆明市", "昆明", "prefecture", "zh") == "全市"
    assert view.ref_word("", "全部地区", "all", "zh") == "总体"
    assert view.ref_word("云南省", "云南", "province", "en") == "云南 overall"
    assert view.ref_word("", "All regions", "all", "en") == "all regions overall"


def test_ranking_of_dalis_counties(dali):
    r = view.ranking(dali, "sat_public_safety")
    assert r.empty is None
    assert r.chart.layout.title.text.startswith("2021年大理州各县(市、区)群众安全感:")
    labels = [y for tr in r.chart.data if tr.error_x and tr.error_x.array is not None for y in tr.y]
    assert len(labels) == 12
    assert r.note.startswith("圆点为指数") and "全州" in r.note


def test_verdict_counts_the_sub_regions_beyond_sampling_error(yunnan):
    rows = yunnan.table_all.filter(yunnan.table_all["indicator"] == "sat_public_safety")
    above, below = (rows["versus"] == "above").sum(), (rows["versus"] == "below").sum()
    title = view.ranking(yunnan, "sat_public_safety").chart.layout.title.text
    verdict = f"{above}个高于全省、{below}个低于全省(差距超出抽样误差)" if above or below else "与全省的差距均在抽样误差以内"
    assert title == f"2021年云南各市(州)群众安全感:{verdict}"


def test_trend_title_states_the_streak(warehouse_built):
    v = view.build(scope("640000", 2021))
    assert headline(v)["sat_antigang"].value == f"{published('ningxia_018'):.2f}%"
    assert "连续12年保持在90%以上(2010–2021年" in headline(v)["sat_public_safety"].lines
    assert published("ningxia_001") == 12
    line = view.trend(v, "sat_public_safety")
    assert "已连续12年保持在90%以上" in line.chart.layout.title.text
    assert line.note.startswith("粗线为宁夏")


def test_trend_highlight_keeps_only_known_names(yunnan):
    line = view.trend(yunnan, "sat_public_safety", ["大理州", "no such place"])
    assert "大理州" in line.names and len(line.names) == 16
    coloured = [tr for tr in line.chart.data if tr.name == "大理州"]
    assert len(coloured) == 1 and coloured[0].line.width == 2


def test_scatter(yunnan):
    assert view.scatter_defaults(yunnan.codes) == {"x_ind": "sat_public_safety", "y_ind": "sat_law_enforcement"}
    pair = view.scatter(yunnan, "sat_public_safety", "sat_law_enforcement")
    assert "群众安全感与政法队伍执法满意率" in pair.chart.layout.title.text and pair.message is None
    assert len(pair.chart.data[0].x) == 16
    same = view.scatter(yunnan, "sat_antigang", "sat_antigang")
    assert (same.chart, same.message) == (None, "请选择两项不同的指数。")


def test_scatter_correlation_is_pearsons_r(yunnan):
    rows = yunnan.table_all
    x = rows.filter(rows["indicator"] == "sat_rule_of_law").sort("code")
    y = rows.filter(rows["indicator"] == "sat_antigang").sort("code")
    r = stats.pearson(x["rate_pct"].to_list(), y["rate_pct"].to_list())
    title = view.scatter(yunnan, "sat_rule_of_law", "sat_antigang").chart.layout.title.text
    assert f"r = {r:.2f}" in title


def test_table_rows_columns_and_file_name(yunnan):
    one = view.table(yunnan, "sat_public_safety")
    assert one.frame.height == 16 and one.frame.columns[0] == "名次"
    assert one.hidden == "代码" and one.formats["指数(%)"] == "%.2f" and one.formats["与全省差(百分点)"] == "%+.2f"
    every = view.table(yunnan, "sat_public_safety", show_all=True)
    assert every.frame.height == 16 * 6 and every.frame.columns[0] == "指数名称"
    assert one.basename == "安全感与满意度_云南_2021"


def test_county_is_compared_with_its_siblings(warehouse_built):
    v = view.build(scope("532901", 2021))
    assert v.mine == "大理市" and v.comp_region == "532900"
    labels = [y for tr in view.ranking(v, "sat_public_safety").chart.data
              if tr.error_x and tr.error_x.array is not None for y in tr.y]
    assert sum(lab.startswith("▶ 大理市") for lab in labels) == 1 and len(labels) == 12


def test_english(warehouse_built):
    v = view.build(scope("530000", 2021, lang="en"))
    assert v.title == "Safety and satisfaction surveys: 云南省, 2021"
    assert v.child_word == "prefectures" and v.ref_label == "云南 overall"
    assert view.table(v, v.codes[0]).basename == "satisfaction_530000_2021"


def test_no_survey_is_an_empty_state(warehouse_built):
    v = view.build(scope("530000", 2009))
    assert v.codes == () and v.no_data == "云南省2009年没有满意度调查数据。"


def test_calls_are_the_queries_build_runs(warehouse_built, monkeypatch):
    for s in (scope("532901", 2021), scope("530000", 2021)):
        ran = []
        run = queries.run
        expected = view.calls(s)
        monkeypatch.setattr(queries, "run", lambda name, **p: ran.append((name, p)) or run(name, **p))
        view.build(s)
        monkeypatch.undo()
        assert ran == expected
