"""The disputes view model without AppTest: headline, published checks, comparison, ranking, backlog, calls."""
from __future__ import annotations

import pytest

from conftest import published
from pingan import periods, queries
from pingan.scope import Scope
from pingan.views import disputes as view


def scope(region: str, frm: str, to: str | None = None, lang: str = "zh") -> Scope:
    """The scope frame.scope_filter would give for this link (region, from, to, lang)."""
    regs = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    first = int(queries.run("meta_data_years")["first_year"][0])
    last = int(dict(queries.run("meta_build_info").iter_rows())["as_of"][:4])
    r = regs.get(region)
    level = r["level"] if r else "all"
    return Scope(region, r["name"] if r else "全部地区", level, periods.parse_range(frm, to), lang, first, last,
                 r["province_code"] if r else "", (r["prefecture_code"] or "") if r and level != "province" else "",
                 region if level == "county" else "")


@pytest.fixture(scope="module")
def yulin(warehouse_built):
    return view.build(scope("450900", "2022-01", "2022-06"))


def test_yulin_headline_matches_the_published_figures(yulin):
    m = {x.label: x.value for x in yulin.metrics}
    assert yulin.title == "玉林市矛盾纠纷排查化解"
    assert m["受理矛盾纠纷(件)"] == f"{published('yulin_031'):,}"
    assert m["化解成功(件)"] == f"{published('yulin_032'):,}"
    assert m["矛盾纠纷化解成功率(%)"] == f"{published('yulin_033'):.2f}%"
    identified = int(m["排查矛盾纠纷(件)"].replace(",", ""))
    # the rate a second way: resolved ÷ identified
    assert f"{100 * published('yulin_032') / identified:.2f}%" == m["矛盾纠纷化解成功率(%)"]
    assert f"{published('yulin_032'):,} 件 ÷ 排查矛盾纠纷 {identified:,} 件 = **97.12%**(目标 97%)" in yulin.formula
    assert f"{100 * published('yulin_032') / published('yulin_031'):.2f}%" in yulin.formula  # the accepted-based rate


def test_yulin_published_check_marks_every_figure(yulin):
    pub = yulin.published_here
    assert pub.columns == ["indicator_name", "published_text", "warehouse_text", "check", "quote"]
    assert set(pub["published_text"]) == {"7,792起", "7,762起", "97.12%"}
    assert set(pub["check"]) == {"✓ 一致"}
    assert set(pub["warehouse_text"]) == {f"{published('yulin_031'):,}", f"{published('yulin_032'):,}", "97.12%"}


def test_demo_badge_and_comparable_demo_periods(yulin):
    assert yulin.has_demo and yulin.comparable and yulin.notes == ()
    assert all(m.delta is not None and m.delta.endswith("较上期") for m in yulin.metrics[:5])
    assert yulin.metrics[5].delta.endswith(" 个百分点")


def test_headline_of_an_imported_period_beside_a_demo_one_shows_no_change(warehouse_built):
    ctx = view._Context(scope("640104", "2019-07", "2019-07"), "")
    row = {"identified": 1234, "accepted": 1200, "mediated": 1100, "resolved": 1000, "followed_up": 900,
           "success_rate_pct": 81.04, "has_demo": False}
    metrics, ok = view._headline(ctx, row, {**row, "identified": 1000, "has_demo": True}, "zh")
    assert not ok
    assert [m.delta for m in metrics] == [None] * 6
    metrics, ok = view._headline(ctx, row, {**row, "identified": 1000}, "zh")
    assert ok and metrics[0].delta == "+23.4% 较上期" and metrics[1].delta == "+0.0% 较上期"


def test_comparison_with_the_previous_period_a_year_ago_and_a_sibling(warehouse_built):
    s = scope("450900", "2022-01", "2022-06")
    prev = view.build(s)
    ya = view.build(s, cmp="year_ago")
    nanning = view.build(s, cmp="450100")
    assert prev.funnel_other.layout.title.text.startswith("玉林市2021年7—12月")
    assert ya.funnel_other.layout.title.text.startswith("玉林市2021年1—6月")
    assert nanning.funnel_other.layout.title.text.startswith("南宁")
    assert nanning.funnel_other.layout.title.text.split("排查")[0].endswith("2022年1—6月")
    assert prev.stages.frame["this"].to_list() == ya.stages.frame["this"].to_list()
    assert prev.stages.frame["this"][0] == 7992
    assert prev.other_label == "玉林市 · 2021年7—12月(件)"


def test_options_offer_siblings_only_within_the_account(warehouse_built):
    s = scope("450900", "2022-01", "2022-06")
    everyone = view.options(s)
    assert list(everyone.compare)[:2] == ["previous", "year_ago"]
    assert "450100" in everyone.compare and everyone.compare["450100"] == "同期 南宁"
    assert everyone.compare["previous"] == "上一期(2021年7—12月)"
    assert list(view.options(s, account_region="450900").compare) == ["previous", "year_ago"]
    assert everyone.categories[""] == "全部类别" and everyone.categories["wages"] == "劳资/追薪"


def test_no_comparison_data_is_said(warehouse_built):
    v = view.build(scope("640000", "2017", "2017"))
    assert v.funnel_other is None
    assert v.no_compare.startswith("宁夏回族自治区2016年没有案件数据")
    assert v.stages.frame.columns == ["stage", "this", "this_conv"]


def test_ningxia_years_above_target(warehouse_built):
    v = view.build(scope("640000", "2017", "2021"))
    assert v.years_title == "宁夏回族自治区2017—2021年每年化解成功率均达到97%目标"
    assert v.years.frame["case_year"].to_list() == [2017, 2018, 2019, 2020, 2021]
    assert v.years.frame["success_rate_pct"].min() >= published("ningxia_017")
    assert v.evidence is not None and "宁夏回族自治区" in v.evidence.frame["region_name"].to_list()


def test_a_county_is_ranked_among_its_prefectures_counties(warehouse_built):
    v = view.build(scope("640104", "2022", "2022"))
    assert v.siblings_note.startswith("所选为县级地区")
    names = [n for trace in v.rank_chart.data for n in (trace.y or []) if n]
    assert sum(n.startswith("▶ ") for n in set(names)) == 1
    title = v.rank_chart.layout.title.text
    below = v.rank.frame["below_target"].sum()
    k = v.rank.frame.height
    assert title == (f"2022年{below}个县(市、区)低于97%的化解成功率目标" if below else
                     f"2022年{k}个县(市、区)均达到97%的化解成功率目标")


def test_category_filter_and_backlog(warehouse_built):
    s = scope("640000", "2022", "2022")
    everything, wages = view.build(s), view.build(s, category="wages")
    assert wages.only_category == "以下件数和比率仅含“劳资/追薪”类纠纷(公开数字核对除外)。"
    assert wages.metrics[0].value != everything.metrics[0].value
    assert set(wages.oldest.frame["category_zh"]) == {"劳资/追薪"}
    open_total = int(everything.backlog_metrics[0].value.replace(",", ""))
    assert everything.backlog_metrics[0].label == "在办案件(件)"
    assert int(everything.backlog.frame["open_cases"].sum()) == open_total
    buckets = sum(int(m.value.replace(",", "")) for m in everything.backlog_metrics[1:])
    assert buckets == open_total
    assert everything.backlog_head == "截至2022年12月31日的在办案件(已受理、尚未办结)"
    assert everything.still_open.endswith("截至2022年12月31日仍在办理,计入分母;办结后成功率会变化。")
    ages = everything.oldest.frame["age_days"].to_list()
    assert ages == sorted(ages, reverse=True) and 0 < len(ages) <= 500


def test_english(warehouse_built):
    v = view.build(scope("450900", "2022-01", "2022-06", lang="en"))
    m = {x.label: x.value for x in v.metrics}
    assert m["Accepted (cases)"] == f"{published('yulin_031'):,}" and m["Success rate (%)"] == "97.12%"
    assert v.title.startswith("Dispute resolution")
    assert v.stages.basename == "dispute_funnel_comparison"


def test_calls_are_the_queries_build_runs(warehouse_built, monkeypatch):
    s = scope("640104", "2022", "2022")
    ran = []
    run, run_many = queries.run, queries.run_many
    monkeypatch.setattr(queries, "run", lambda name, **p: ran.append((name, p)) or run(name, **p))
    monkeypatch.setattr(queries, "run_many", lambda cs: ran.extend(cs) or run_many(cs))
    expected = view.calls(s, "wages", "year_ago")
    ran.clear()
    view.build(s, "wages", "year_ago")
    assert ran == expected
    assert ("disputes_success_by_subregion", dict(
        region="640100", child_level="county", start=s.period.start, end=s.period.end,
        prev_start=s.period.previous().start, prev_end=s.period.previous().end, category="wages")) in expected
