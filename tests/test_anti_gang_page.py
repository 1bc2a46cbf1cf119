"""AppTest of the 扫黑除恶 page through app.py: published figures on the counters, phases, per-capita ranking."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, published

PAGE = str(ROOT / "pages/anti_gang.py")


TABLE_BOXES = ["ag_box_tallies", "ag_box_years", "ag_box_rank", "ag_box_quotes", "ag_box_phase",
               "ag_box_ratios"]


def page(params: dict | None = None, open_tables: bool = True) -> AppTest:
    """The page through app.py, its table expanders opened (they are filled only when open)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(PAGE)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    for key in TABLE_BOXES if open_tables else []:
        at.session_state[key] = True
    return at.run()


def counters(at: AppTest) -> dict[str, tuple[str, str]]:
    """Counter label -> (value, the published-figure line under it)."""
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def table_with(at: AppTest, column: str):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with {column}"
    return found[0]


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


MUST = {
    ("530000", "special"): {"打掉涉黑组织": "166个", "打掉涉恶犯罪集团": "296个", "打掉涉恶团伙": "508个",
                            "抓获(刑拘)犯罪嫌疑人": "13,700人", "缉拿目标逃犯": "207人",
                            "破获涉黑涉恶刑事案件": "13,900起", "涉黑涉恶腐败和“保护伞”案件": "4,026件",
                            "党纪政务处分": "3,689人", "移送司法机关": "668人", "整顿软弱涣散基层党组织": "4,125个"},
    ("530000", "routine"): {"打掉涉黑组织": "7个", "打掉涉恶犯罪集团和团伙": "67个", "抓获(刑拘)犯罪嫌疑人": "1,276人"},
    ("532900", "special"): {"打掉涉黑组织": "8个", "打掉涉恶犯罪集团和团伙": "67个", "抓获(刑拘)犯罪嫌疑人": "1,535人",
                            "破获涉黑涉恶刑事案件": "1,754起", "查封扣押冻结涉案资产": "7.16亿元"},
    ("532900", "routine"): {"打掉涉黑组织": "1个", "打掉涉恶犯罪集团和团伙": "5个"},
    ("450900", "routine"): {"打掉涉恶犯罪集团": "2个", "打掉涉恶团伙": "4个", "破获涉黑涉恶刑事案件": "108起",
                            "抓获(刑拘)犯罪嫌疑人": "142人", "查封扣押冻结涉案资产": "9,471.89万元"},
    ("640000", "all"): {"打掉涉黑涉恶团伙合计": "133个", "破获涉黑涉恶刑事案件": "2,575起",
                        "抓获(刑拘)犯罪嫌疑人": "2,283人", "查封扣押冻结涉案资产": "51亿元",
                        "涉黑涉恶腐败和“保护伞”案件": "574件", "涉黑涉恶腐败和“保护伞”处理人数": "1,203人",
                        "党纪政务处分": "891人", "移送司法机关": "58人"},
}


@pytest.mark.parametrize("region, phase", list(MUST))
def test_counters_show_the_published_figures(warehouse_built, region, phase):
    at = page({"region": region, "phase": phase})
    assert not at.exception
    got = counters(at)
    assert len(got) == 14 + 8                                      # tallies and ratios
    for label, value in MUST[(region, phase)].items():
        shown, published = got[label]
        assert shown == value, label
        assert published.startswith("公开:") and published.endswith("✓"), (label, published)
    # counters without a published figure carry no published line
    assert sum(1 for _, pub in got.values() if pub) == len(MUST[(region, phase)])


def test_counter_help_carries_quote_definition_and_per_capita(warehouse_built):
    at = page({"region": "640000"})
    helps = {m.label: m.help for m in at.metric}
    assets = helps["查封扣押冻结涉案资产"]
    assert "“冻结涉案资产约51亿元”" in assets and "约51亿元" in assets and "一致" in assets
    assert "依法查封、扣押、冻结" in assets                     # definition from the indicator catalog
    assert "/10万人" in assets and "2020年第七次全国人口普查" in assets
    assert "无公开数字" in helps["打掉涉黑组织"]


def test_phase_switching_changes_years_numbers_and_link(warehouse_built):
    at = page({"region": "530000", "phase": "special"})
    assert at.caption[0].value.endswith("2018—2020年")
    assert counters(at)["打掉涉黑组织"][0] == "166个"
    at.radio(key="ag_phase").set_value("routine").run()
    assert not at.exception
    assert at.caption[0].value.endswith("2021—2022年")
    assert counters(at)["打掉涉黑组织"][0] == "7个"
    assert at.query_params["phase"] in ("routine", ["routine"])
    at.radio(key="ag_phase").set_value("all").run()
    assert at.caption[0].value.endswith("2018—2022年")
    assert counters(at)["打掉涉黑组织"][0] == f"{published('yunnan_004') + published('yunnan_016')}个"
    assert counters(at)["打掉涉黑组织"][1] == ""          # no published figure for 云南 over 2018-2022


def test_phase_overrides_the_sidebar_period_unless_asked(warehouse_built):
    at = page({"region": "530000", "from": "2019", "to": "2019", "phase": "special"})
    assert at.caption[0].value.endswith("2018—2020年")   # the phase wins over the sidebar's 2019
    special = counters(at)["打掉涉黑组织"][0]
    at.radio(key="ag_phase").set_value("period").run()
    assert at.caption[0].value.endswith("2019年")
    one_year = counters(at)["打掉涉黑组织"][0]
    assert one_year != special
    at.sidebar.selectbox(key="scope_to").set_value("2021").run()
    assert at.caption[0].value.endswith("2019—2021年")
    assert counters(at)["打掉涉黑组织"][0] not in (one_year, special)
    assert any("侧栏的期间在本页不参与" in c.value for c in at.caption)
    assert "阶段优先于侧栏期间" in at.radio(key="ag_phase").help


def test_period_outside_the_campaign_is_an_empty_state(warehouse_built):
    at = page({"from": "2017", "to": "2017", "phase": "period"})
    assert not at.exception
    assert any("没有交集" in i.value for i in at.info)
    assert len(at.metric) == 0


def test_per_capita_ranking_of_sub_regions(warehouse_built):
    at = page({"region": "530000", "phase": "special"})
    ranking = table_with(at, "rank_per_100k")
    assert len(ranking) == 16
    rates = ranking["per_100k"].tolist()
    assert rates == sorted(rates, reverse=True)
    assert ranking["rank_per_100k"].tolist()[0] == 1
    assert ranking["value"].sum() == sum(published(f"yunnan_{n:03d}") for n in (4, 5, 6))  # 黑恶团伙合计 by default
    first = ranking.iloc[0]
    assert first["per_100k"] == pytest.approx(first["value"] * 1e5 / first["population"])
    assert any(t.startswith("每10万人打掉涉黑涉恶团伙合计:" + first["short_name"] + "最高") for t in chart_titles(at))
    at.selectbox(key="ag_rank_indicator").set_value("ag_black_org").run()
    assert not at.exception
    black = table_with(at, "rank_per_100k")
    assert black["value"].sum() == published("yunnan_004")
    assert any(t.startswith("每10万人打掉涉黑组织:") for t in chart_titles(at))


def test_peers_ranking_and_county_scope(warehouse_built):
    at = page({"region": "532900", "phase": "special"})
    at.radio(key="ag_compare").set_value("peers").run()
    assert not at.exception
    peers = table_with(at, "rank_per_100k")
    assert len(peers) == 16 and "532900" in peers["code"].tolist()
    at = page({"region": "532901", "phase": "all"})                      # 大理市: a county has only peers
    assert not at.exception
    assert at.radio(key="ag_compare").options == ["同级地区"]
    counties = table_with(at, "rank_per_100k")
    assert len(counties) == 12 and "532901" in counties["code"].tolist()


def test_small_multiples_follow_the_pick(warehouse_built):
    at = page({"region": "530000", "phase": "special"})
    title = "多项战果每10万人对比:地区按“打掉涉黑涉恶团伙合计”排序"
    spec = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
            if json.loads(c.proto.spec)["layout"]["title"]["text"] == title]
    assert len(spec) == 1 and len(spec[0]["data"]) == 6
    at.multiselect(key="ag_multiples").set_value(["ag_black_org", "ag_suspects"]).run()
    spec = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
            if json.loads(c.proto.spec)["layout"]["title"]["text"] == title]
    assert len(spec[0]["data"]) == 2


def test_ratios_quote_and_computed(warehouse_built):
    at = page({"region": "640000"})
    warning = " ".join(w.value for w in at.warning)
    assert "2008—2017年" in warning and "2018年开始" in warning
    assert any("前10年总和的1.62倍" in m.value for m in at.markdown)
    ratios = table_with(at, "ratio_value")
    people = ratios[ratios["ratio"] == "people_per_umbrella_case"]["ratio_value"].iloc[0]
    assert people == pytest.approx(published("ningxia_026") / published("ningxia_025"))
    shown = {m.label: (m.value, m.help) for m in at.metric}
    umbrella_people, umbrella_cases = published("ningxia_026"), published("ningxia_025")
    assert shown["每件“保护伞”案件处理人数"][0] == f"{umbrella_people / umbrella_cases:.2f} 人/件"
    assert f"{umbrella_people:,}人" in shown["每件“保护伞”案件处理人数"][1]
    assert f"{umbrella_cases}件" in shown["每件“保护伞”案件处理人数"][1]
    assert shown["“保护伞”处理人员中移送司法机关的比例"][0] == \
        f"{100 * published('ningxia_028') / umbrella_people:.1f}%"
    assert any(t.startswith("常态化以来年均打掉黑恶团伙为专项斗争年均的") for t in chart_titles(at))


def test_every_table_can_be_downloaded(warehouse_built):
    at = page({"region": "640000"})
    assert len(at.dataframe) == 6
    assert len(at.get("download_button")) == 2 * len(at.dataframe)
    closed = page({"region": "640000"}, open_tables=False)      # closed expanders build no table, no export
    assert len(closed.dataframe) == 0 and len(closed.get("download_button")) == 0
    assert [e.label for e in closed.expander][:2] == ["明细表:各项战果、每10万人与公开数字", "逐年明细表"]


def test_by_year_charts_mark_the_phases(warehouse_built):
    at = page({"region": "532900", "phase": "routine"})
    titles = chart_titles(at)
    assert titles[0].startswith("专项斗争期间打掉黑恶团伙75个,常态化以来6个")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert any("专项斗争" in t for t in texts) and any("常态化" in t for t in texts)
    shaded = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    assert shaded and shaded[0]["x0"] == 2020.5 and shaded[0]["x1"] == 2022.5
    at.selectbox(key="ag_year_indicator").set_value("ag_assets_yuan").run()
    assert any(t.startswith("查封扣押冻结涉案资产:专项斗争年均") for t in chart_titles(at))


def test_english(warehouse_built):
    at = page({"region": "530000", "lang": "en", "phase": "special"})
    assert not at.exception
    assert at.title[0].value.startswith("Anti-gang campaign")
    values = counters(at)
    assert values["Mafia-type organisations broken up"][0] == str(published("yunnan_004"))
    assert values["Mafia-type organisations broken up"][1].startswith(f"published: {published('yunnan_004')}")


def test_tallies_table_money_in_wan_and_per_capita(warehouse_built):
    at = page({"region": "532900", "phase": "special"})
    tallies = table_with(at, "published_value")
    assets = tallies[tallies["indicator"] == "ag_assets_yuan"].iloc[0]
    in_wan = published("dali_019") / 10_000  # 7.16亿元
    assert assets["unit"] == "万元" and assets["value"] == in_wan and assets["published_value"] == in_wan
    assert assets["check"] == "✓ 一致" and assets["qualifier"] == ""
    black = tallies[tallies["indicator"] == "ag_black_org"].iloc[0]
    population = black["value"] * 1e5 / black["per_100k"]
    assert population == pytest.approx(sum(r for r in table_with(at, "rank_per_100k")["population"]))
