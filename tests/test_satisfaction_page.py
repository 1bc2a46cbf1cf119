"""AppTest of the satisfaction page through app.py: published figures, intervals, index switching, the scatter."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, published

PAGE = str(ROOT / "pages/satisfaction.py")


def page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """Metric value by index name (the label is '<name> · 目标 90%')."""
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly specs by chart: 'rank', 'trend', 'scatter' (in page order)."""
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return dict(zip(("rank", "trend", "scatter"), specs))


def arr(value) -> list:
    """A plotly array from a spec: plain JSON list or a typed array ({dtype, bdata})."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def title(spec: dict) -> str:
    return spec["layout"]["title"]["text"]


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def qp(at: AppTest, key: str) -> str:
    v = at.query_params[key]
    return v[0] if isinstance(v, list) else v


def test_dali_2021_four_published_indices(warehouse_built):
    at = page({"region": "532900", "from": "2021"})
    assert at.title[0].value == "大理白族自治州2021年群众安全感与满意度"
    m = metrics(at)
    assert m["社会治安环境满意率"] == f"{published('dali_001'):.2f}%"
    assert m["政法队伍执法满意率"] == f"{published('dali_003'):.2f}%"
    assert round(float(m["群众安全感"].rstrip("%"))) == published("dali_002")
    assert round(float(m["扫黑除恶满意率"].rstrip("%")), 1) == published("dali_004")
    text = captions(at)
    for quote_part in ("社会治安环境满意率达99.24%", "安全感满意度达96%", "执法满意率达96.37%", "扫黑除恶斗争满意率达99.2%"):
        assert quote_part in text, quote_part
    assert text.count("与仓库一致") == 4 and "不一致" not in text
    assert "调查年度取所选期间的截止年份(2021年)" in text
    assert "95%区间" in text
    assert any("演示数据" in el.value for el in at.markdown)


def test_dali_counties_ranked_with_intervals_and_reference_line(warehouse_built):
    at = page({"region": "532900", "from": "2021"})
    spec = charts(at)["rank"]
    assert title(spec).startswith("2021年大理州各县(市、区)群众安全感:")
    dots = [tr for tr in spec["data"] if tr.get("error_x")]
    assert dots and all(len(arr(tr["error_x"]["array"])) == len(arr(tr["x"])) for tr in dots)
    labels = [y for tr in dots for y in tr["y"]]
    assert len(labels) == 12  # 大理州's 12 counties
    assert all(lab.endswith(")") and "(" in lab for lab in labels)  # rank or rank range in brackets
    ref = [s for s in spec["layout"]["shapes"] if s.get("line", {}).get("dash") == "dash"]
    safety = float(metrics(at)["群众安全感"].rstrip("%"))
    assert ref and ref[0]["x0"] == pytest.approx(safety, abs=0.005)
    assert any("全州" in a["text"] for a in spec["layout"]["annotations"])


def test_yunnan_2021_three_indices_and_dali_marked_published(warehouse_built):
    at = page({"region": "530000", "from": "2021"})
    m = metrics(at)
    assert (m["法治建设满意率"], m["政法队伍执法满意率"], m["群众安全感"]) == \
        tuple(f"{published(f'yunnan_00{i}'):.2f}%" for i in (1, 2, 3))
    text = captions(at)
    assert "法治建设综合满意率达97.6%" in text and "人民群众安全感满意度达95.86%" in text
    spec = charts(at)["rank"]
    marks = [tr for tr in spec["data"] if tr.get("name") == "公开值"]
    assert marks and arr(marks[0]["x"]) == [published("dali_002")]  # 大理州's published 安全感 beside its dot
    assert marks[0]["y"][0].startswith("大理州")
    assert len([y for tr in spec["data"] if tr.get("error_x") for y in tr["y"]]) == 16
    last_year = [tr for tr in spec["data"] if tr.get("name") == "2020年值"]
    assert last_year and len(arr(last_year[0]["x"])) == 16  # every prefecture was surveyed in 2020 too


def test_ningxia_2021_antigang_and_twelve_year_streak(warehouse_built):
    at = page({"region": "640000", "from": "2021"})
    assert metrics(at)["扫黑除恶满意率"] == f"{published('ningxia_018'):.2f}%"
    text = captions(at)
    assert "扫黑除恶斗争成效群众满意度为97.37%" in text
    assert "连续12年保持在90%以上(2010–2021年" in text  # computed from the data
    assert "公众安全感连续12年保持在90%以上" in text  # the published quote beside it
    assert "已连续12年保持在90%以上" in title(charts(at)["trend"])


def test_ningxia_2022_streak_continues_from_data(warehouse_built):
    at = page({"region": "640000", "from": "2022"})
    text = captions(at)
    assert "连续13年保持在90%以上(2010–2022年" in text
    assert "公开(截至2021年)" in text


def test_index_switching_changes_ranking_table_and_url(warehouse_built):
    at = page({"region": "530000", "from": "2021"})
    before_title = title(charts(at)["rank"])
    before_rates = at.dataframe[0].value.iloc[:, 3].tolist()
    at.segmented_control(key="sat_ind").set_value("sat_law_enforcement").run()
    assert not at.exception
    after = charts(at)
    assert "政法队伍执法满意率" in title(after["rank"]) and title(after["rank"]) != before_title
    assert "政法队伍执法满意率" in title(after["trend"])
    assert at.dataframe[0].value.iloc[:, 3].tolist() != before_rates
    assert qp(at, "ind") == "sat_law_enforcement"


def test_index_from_url(warehouse_built):
    at = page({"region": "530000", "from": "2021", "ind": "sat_antigang"})
    assert "扫黑除恶满意率" in title(charts(at)["rank"])
    at = page({"region": "530000", "from": "2021", "ind": "no_such_index"})  # refused quietly
    assert "群众安全感" in title(charts(at)["rank"])


def test_scatter_choices(warehouse_built):
    at = page({"region": "530000", "from": "2021"})
    spec = charts(at)["scatter"]
    assert "群众安全感与政法队伍执法满意率" in title(spec)
    pts = spec["data"][0]
    assert len(arr(pts["x"])) == 16 and len(arr(pts["marker"]["size"])) == 16
    assert arr(pts["error_x"]["array"]) and arr(pts["error_y"]["array"])
    at.selectbox(key="sat_x_ind").set_value("sat_rule_of_law").run()
    at.selectbox(key="sat_y_ind").set_value("sat_antigang").run()
    assert not at.exception
    spec2 = charts(at)["scatter"]
    assert "法治建设满意率与扫黑除恶满意率" in title(spec2)
    assert arr(spec2["data"][0]["x"]) != arr(pts["x"])
    assert (qp(at, "x_ind"), qp(at, "y_ind")) == ("sat_rule_of_law", "sat_antigang")
    at.selectbox(key="sat_y_ind").set_value("sat_rule_of_law").run()
    assert any("两项不同的指数" in i.value for i in at.info)
    assert "scatter" not in charts(at)


def test_highlight_and_table_toggle(warehouse_built):
    at = page({"region": "530000", "from": "2021"})
    n_traces = len(charts(at)["trend"]["data"])
    at.multiselect(key="sat_highlight").set_value(["大理州"]).run()
    trend = charts(at)["trend"]["data"]
    assert any(tr.get("name") == "大理州" and tr["line"]["width"] == 2 for tr in trend)
    assert len(trend) == n_traces  # the region moves from grey to colour
    rows = len(at.dataframe[0].value)
    assert rows == 16
    at.toggle(key="sat_all_rows").set_value(True).run()
    assert len(at.dataframe[0].value) == 16 * 6  # six indices surveyed in 2021
    assert at.dataframe[0].value.columns[0] == "指数名称"


def test_county_scope_compares_siblings(warehouse_built):
    at = page({"region": "532901", "from": "2021"})
    assert at.title[0].value.startswith("大理市2021年")
    labels = [y for tr in charts(at)["rank"]["data"] if tr.get("error_x") for y in tr["y"]]
    assert sum(lab.startswith("▶ 大理市") for lab in labels) == 1 and len(labels) == 12


def test_year_changes_numbers_and_english(warehouse_built):
    a = metrics(page({"region": "530000", "from": "2021"}))
    b = metrics(page({"region": "530000", "from": "2022"}))
    assert a != b and "政法队伍教育整顿满意率" in a and "政法队伍教育整顿满意率" not in b
    at = page({"region": "530000", "from": "2021", "lang": "en"})
    assert at.title[0].value.startswith("Safety and satisfaction surveys: 云南省") and at.title[0].value.endswith("2021")
    assert "Public sense of safety" in metrics(at)
    assert "prefectures" in title(charts(at)["rank"])
