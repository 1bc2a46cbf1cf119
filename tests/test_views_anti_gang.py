"""The anti-gang view model without AppTest: phases and years, counters against published figures, per-10万
rates, the ranking, ratios and the queries it runs."""
from __future__ import annotations

import pytest

from conftest import published
from pingan import periods, queries
from pingan.charts import anti_gang as agc
from pingan.scope import Scope
from pingan.views import anti_gang as view


def scope(region: str, frm: str | None = None, to: str | None = None, lang: str = "zh") -> Scope:
    """The scope frame.scope_filter would give for this link (the period defaults to the last data year)."""
    regs = {r["code"]: r for r in queries.run("meta_regions_with_data").iter_rows(named=True)}
    first = int(queries.run("meta_data_years")["first_year"][0])
    last = int(dict(queries.run("meta_build_info").iter_rows())["as_of"][:4])
    r = regs.get(region)
    level = r["level"] if r else "all"
    return Scope(region, r["name"] if r else "全部地区", level, periods.parse_range(frm or str(last), to), lang, first,
                 last, r["province_code"] if r else "", (r["prefecture_code"] or "") if r and level != "province" else "",
                 region if level == "county" else "")


def counters(v) -> dict:
    return {c.label: c for _, row in v.counter_groups for c in row}


def test_phases_and_their_years(warehouse_built):
    s = scope("530000", "2019", "2019")
    ph = view.phases(s)
    assert ph.spans == {"special": (2018, 2020), "routine": (2021, 2022), "all": (2018, 2022)}
    assert ph.labels == {"special": "专项斗争(2018—2020年)", "routine": "常态化(2021—2022年)",
                         "all": "全部(2018—2022年)", "period": "按侧栏期间"}
    assert "阶段优先于侧栏期间" in ph.help and ph.no_data is None
    assert view.years(s, ph.spans, "special") == (2018, 2020)
    assert view.years(s, ph.spans, "period") == (2019, 2019)
    assert view.years(scope("530000", "2016", "2021"), ph.spans, "period") == (2018, 2021)


@pytest.mark.parametrize("phase, ids", [
    ("special", {"打掉涉黑组织": ("yunnan_004", "个"), "打掉涉恶犯罪集团": ("yunnan_005", "个"),
                 "打掉涉恶团伙": ("yunnan_006", "个"), "缉拿目标逃犯": ("yunnan_008", "人"),
                 "涉黑涉恶腐败和“保护伞”案件": ("yunnan_011", "件")}),
    ("routine", {"打掉涉黑组织": ("yunnan_016", "个"), "打掉涉恶犯罪集团和团伙": ("yunnan_017", "个"),
                 "抓获(刑拘)犯罪嫌疑人": ("yunnan_018", "人")}),
])
def test_yunnan_counters_show_and_match_the_published_figures(warehouse_built, phase, ids):
    v = view.build(scope("530000"), phase)
    got = counters(v)
    for label, (figure, unit) in ids.items():
        assert got[label].value == f"{published(figure):,}{unit}", label
        assert got[label].delta == f"公开:{published(figure):,}{unit} ✓", label
    assert len(got) == 14
    assert periods.label(v.view.period, "zh") == {"special": "2018—2020年", "routine": "2021—2022年"}[phase]


def test_whole_campaign_sums_the_phases_and_has_no_published_figure(warehouse_built):
    v = view.build(scope("530000"), "all")
    black = counters(v)["打掉涉黑组织"]
    assert black.value == f"{published('yunnan_004') + published('yunnan_016')}个"
    assert black.delta is None and "本地区本阶段无公开数字。" in black.help


def test_counter_help_gives_the_rate_per_100k_a_second_way(warehouse_built):
    s = scope("640000")
    v = view.build(s, "all")
    assets = counters(v)["查封扣押冻结涉案资产"]
    population = queries.run("region_population", region="640000")["population"][0]
    summary = {r["indicator"]: r["value"] for r in queries.run(
        "antigang_summary", region="640000", first_year=2018, last_year=2022).iter_rows(named=True)}
    rate = 1e5 * summary["ag_assets_yuan"] / population / 1e4
    assert f"**每10万人**:{rate:,.2f}万元/10万人(2020年第七次全国人口普查常住人口 {population:,} 人)" in assets.help
    assert "“冻结涉案资产约51亿元”" in assets.help and "约51亿元" in assets.help
    assert assets.value == "51亿元"


def test_sidebar_period_outside_the_campaign(warehouse_built):
    v = view.build(scope("", "2017", "2017"), "period")
    assert v.no_years == "侧栏期间(2017年)与扫黑除恶数据的年份(2018—2022年)没有交集。请调整侧栏期间或选择一个阶段。"
    assert v.counter_groups == ()


def test_modes_follow_the_level_and_the_account(warehouse_built):
    assert view.modes(scope("")) == ("children",)
    assert view.modes(scope("532900")) == ("children", "peers")
    assert view.modes(scope("532900"), account_region="532900") == ("children",)  # 云南 is outside the account
    assert view.modes(scope("532901")) == ("peers",)


def test_ranking_per_100k(warehouse_built):
    s = scope("530000")
    v = view.build(s, "special")
    rank = view.ranking(s, v, "children")
    assert rank.parent == "530000" and rank.empty is None and "ag_gang_total" in rank.codes
    detail = view.ranking_detail(s, v, rank, "ag_gang_total")
    rows = detail.table
    assert rows["rank_per_100k"].to_list() == sorted(rows["rank_per_100k"].to_list())
    # per 10万 a second way: the tally over the census population
    assert all(abs(r["per_100k"] - 1e5 * r["value"] / r["population"]) < 1e-6 for r in rows.iter_rows(named=True))
    best = rows.sort("per_100k", descending=True)["short_name"][0]
    assert detail.chart.layout.title.text.startswith(f"每10万人打掉涉黑涉恶团伙合计:{best}最高")
    assert detail.chart.data[0].hovertemplate == "%{y}: %{x:,.2f}个/10万人 · %{customdata}<extra></extra>"
    assert detail.note.startswith("每10万人 = 数量 ÷ 2020年第七次全国人口普查常住人口") and "2018—2020年合计" in detail.note
    assert detail.basename == "扫黑除恶每10万人排名_ag_gang_total_530000_2018-2020"
    fig = view.multiples(s, rank, ["ag_gang_total", "ag_assets_yuan"], "ag_gang_total")
    assert fig.layout.title.text == "多项战果每10万人对比:地区按“打掉涉黑涉恶团伙合计”排序"


def test_ratios_and_phase_comparison(warehouse_built):
    v = view.build(scope("530000"), "special")
    assert v.ratios_title == "所选年份的结构比值(2018—2020年)"
    assert len(v.ratios) == 8 and all(m.help.endswith("2018—2020年合计。") for m in v.ratios)
    assert v.phase_chart.layout.title.text.endswith("(2021—2022年 对 2018—2020年)")
    assert v.files["ratios"] == "扫黑除恶比值_530000_2018-2020"


def test_english_texts_come_from_the_tables(warehouse_built):
    s = scope("530000", lang="en")
    v = view.build(s, "special")
    assert v.title == "Anti-gang campaign: 云南省"
    assert agc.phase_label("routine", v.spans, "en") == "Routine phase (2021–2022)"
    assert v.gangs_chart.layout.title.text.endswith("in all")
    assert agc.rate_text(12.5, "个", "en") == "12.50 per 100k" and agc.rate_text(12.5, "人", "zh") == "12.50人/10万人"


def test_calls_are_the_queries_phases_build_and_ranking_run(warehouse_built, monkeypatch):
    for s, phase in ((scope("532900"), "routine"), (scope("450900"), "special")):
        ran = []
        run = queries.run
        expected = view.calls(s, phase, "peers")
        monkeypatch.setattr(queries, "run", lambda name, **p: ran.append((name, p)) or run(name, **p))
        v = view.build(s, phase)
        view.ranking(s, v, "peers")
        monkeypatch.undo()
        assert ran == expected
