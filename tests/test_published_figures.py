"""Checks data/published/figures.csv against the seed document and the indicator catalog."""

import csv
import datetime as dt
import math
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "data" / "published" / "figures.csv"
CATALOG = REPO / "data" / "reference" / "indicators.csv"
# The seed document lives in the repository (data/seeds/README.md) so that every clone can check the quotes.
SEED_DIR = REPO / "data" / "seeds"

COLUMNS = [
    "figure_id", "article", "region_code", "region_name", "indicator", "value", "unit", "qualifier",
    "period_start", "period_end", "calibrated", "quote",
]
# Document order of the articles; the value is the province prefix of every region an article speaks of.
ARTICLES = {
    "qinghai": "63", "ningxia": "64", "yunnan": "53", "dali": "53", "yulin": "45",
    "puyang": "41", "ganzhou": "36", "qingyang": "62", "longnan": "62",
}
QUALIFIERS = {"exact", "约", "余", "以上", "近", "超"}

S = ("2022-12-31", "2022-12-31")
NX5 = ("2017-01-01", "2021-12-31")
NXAG = ("2018-01-01", "2022-12-31")
SP = ("2018-01-01", "2020-12-31")
CT = ("2021-01-01", "2022-12-31")
Y21 = ("2021-01-01", "2021-12-31")
Y22 = ("2022-01-01", "2022-12-31")
H1 = ("2022-01-01", "2022-06-30")

# (article, region_code, indicator, value, qualifier, period): the figures the demo generator reproduces.
EXPECTED_CALIBRATED = [
    ("qinghai", "630100", "grid_comprehensive_count", 3138, "exact", S),
    ("qinghai", "630100", "grid_dedicated_count", 468, "exact", S),
    ("ningxia", "640000", "dispute_identified", 263900, "exact", NX5),
    ("ningxia", "640000", "dispute_success_rate", 97, "以上", NX5),
    ("ningxia", "640000", "grid_worker_count", 31620, "exact", S),
    ("ningxia", "640000", "center_township_count", 239, "exact", S),
    ("ningxia", "640000", "people_tribunal_count", 34, "exact", S),
    ("ningxia", "640000", "police_room_count", 2388, "exact", S),
    ("ningxia", "640000", "justice_office_count", 128, "exact", S),
    ("ningxia", "640000", "onestop_center_count", 221, "exact", S),
    ("ningxia", "640000", "sat_antigang", 97.37, "exact", Y21),
    ("ningxia", "640000", "sat_public_safety", 90, "以上", ("2010-01-01", "2021-12-31")),
    ("ningxia", "640000", "ag_gang_total", 133, "exact", NXAG),
    ("ningxia", "640000", "ag_criminal_cases", 2575, "exact", NXAG),
    ("ningxia", "640000", "ag_suspects", 2283, "exact", NXAG),
    ("ningxia", "640000", "ag_assets_yuan", 5100000000, "约", NXAG),
    ("ningxia", "640000", "ag_umbrella_cases", 574, "exact", NXAG),
    ("ningxia", "640000", "ag_umbrella_people", 1203, "exact", NXAG),
    ("ningxia", "640000", "ag_disciplined", 891, "exact", NXAG),
    ("ningxia", "640000", "ag_transferred", 58, "exact", NXAG),
    ("yunnan", "530000", "sat_rule_of_law", 97.6, "exact", Y21),
    ("yunnan", "530000", "sat_law_enforcement", 95.92, "exact", Y21),
    ("yunnan", "530000", "sat_public_safety", 95.86, "exact", Y21),
    ("yunnan", "530000", "grid_count", 392000, "exact", S),
    ("yunnan", "530000", "grid_worker_count", 567000, "exact", S),
    ("yunnan", "530000", "center_township_coverage", 100, "exact", S),
    ("yunnan", "530000", "ag_black_org", 166, "exact", SP),
    ("yunnan", "530000", "ag_evil_group", 296, "exact", SP),
    ("yunnan", "530000", "ag_evil_gang", 508, "exact", SP),
    ("yunnan", "530000", "ag_suspects", 13700, "约", SP),
    ("yunnan", "530000", "ag_fugitives", 207, "exact", SP),
    ("yunnan", "530000", "ag_criminal_cases", 13900, "约", SP),
    ("yunnan", "530000", "ag_umbrella_cases", 4026, "exact", SP),
    ("yunnan", "530000", "ag_disciplined", 3689, "exact", SP),
    ("yunnan", "530000", "ag_transferred", 668, "exact", SP),
    ("yunnan", "530000", "ag_weak_party_orgs", 4125, "exact", SP),
    ("yunnan", "530000", "ag_black_org", 7, "exact", CT),
    ("yunnan", "530000", "ag_evil_group_gang", 67, "exact", CT),
    ("yunnan", "530000", "ag_suspects", 1276, "exact", CT),
    ("dali", "532900", "sat_public_order", 99.24, "exact", Y21),
    ("dali", "532900", "sat_public_safety", 96, "exact", Y21),
    ("dali", "532900", "sat_law_enforcement", 96.37, "exact", Y21),
    ("dali", "532900", "sat_antigang", 99.2, "exact", Y21),
    ("dali", "532900", "ag_black_org", 8, "exact", SP),
    ("dali", "532900", "ag_evil_group_gang", 67, "exact", SP),
    ("dali", "532900", "ag_suspects", 1535, "exact", SP),
    ("dali", "532900", "ag_criminal_cases", 1754, "exact", SP),
    ("dali", "532900", "ag_assets_yuan", 716000000, "exact", SP),
    ("dali", "532900", "ag_black_org", 1, "exact", CT),
    ("dali", "532900", "ag_evil_group_gang", 5, "exact", CT),
    ("dali", "532900", "center_county_count", 12, "exact", S),
    ("dali", "532900", "center_township_count", 112, "exact", S),
    ("dali", "532900", "center_village_count", 1157, "exact", S),
    ("yulin", "450900", "dispute_accepted", 7792, "exact", H1),
    ("yulin", "450900", "dispute_resolved", 7762, "exact", H1),
    ("yulin", "450900", "dispute_success_rate", 97.12, "exact", H1),
    ("yulin", "450900", "ag_evil_group", 2, "exact", CT),
    ("yulin", "450900", "ag_evil_gang", 4, "exact", CT),
    ("yulin", "450900", "ag_criminal_cases", 108, "exact", CT),
    ("yulin", "450900", "ag_suspects", 142, "exact", CT),
    ("yulin", "450900", "ag_assets_yuan", 94718900, "exact", CT),
    ("yulin", "450900", "onestop_coverage", 100, "exact", S),
    ("puyang", "410900", "center_township_count", 96, "exact", S),
    ("puyang", "410900", "center_village_count", 3162, "exact", S),
    ("puyang", "410900", "grid_worker_count", 21000, "约", S),
    ("puyang", "410900", "dispute_mediated", 147000, "余", Y22),
    ("puyang", "410900", "dispute_success_rate", 97.7, "exact", Y22),
    ("ganzhou", "360700", "dispute_identified", 124000, "exact", Y22),
    ("ganzhou", "360700", "dispute_resolved", 121000, "exact", Y22),
    ("ganzhou", "360700", "dispute_success_rate", 98, "exact", Y22),
    ("qingyang", "621000", "police_room_count", 463, "exact", S),
    ("qingyang", "621000", "sat_team_rectification", 95.47, "exact", Y21),
    ("longnan", "621200", "police_room_count", 580, "exact", S),
]

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_SECTIONS = {"万": 10_000, "亿": 100_000_000}


def parse_chinese_numeral(text):
    """Value of a run of Chinese numeral characters, e.g. 十 -> 10, 二十三 -> 23, 上万's 万 -> 10000."""
    total = section = digit = 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (digit or 1) * CN_UNITS[ch]
            digit = 0
        else:
            total += ((section + digit) or 1) * CN_SECTIONS[ch]
            section = digit = 0
    return total + section + digit


def numbers_in(quote):
    """Every number a reader can see in the quote, with 万 and 亿 expanded."""
    found = []
    # 余/多 may sit between the digits and the multiplier: 300余亿元, 160多万师生, 20余万采民.
    for m in re.finditer(r"(\d+(?:\.\d+)?)(?:余|多)?(万|亿)?", quote):
        found.append(float(m.group(1)) * CN_SECTIONS.get(m.group(2), 1))
    for m in re.finditer(r"[零〇一二两三四五六七八九十百千万亿]+", quote):
        found.append(float(parse_chinese_numeral(m.group(0))))
    return found


@pytest.fixture(scope="module")
def raw_text():
    return FIGURES.read_bytes()


@pytest.fixture(scope="module")
def rows():
    with FIGURES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def seed():
    files = sorted(SEED_DIR.glob("*.txt"))
    assert files, f"no seed document in {SEED_DIR}"
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.fixture(scope="module")
def catalog_codes():
    with CATALOG.open(encoding="utf-8", newline="") as f:
        return {r["code"] for r in csv.DictReader(f)}


def test_encoding_and_columns(raw_text):
    assert not raw_text.startswith(b"\xef\xbb\xbf"), "figures.csv must not start with a BOM"
    header = next(csv.reader(raw_text.decode("utf-8").splitlines()))
    assert header == COLUMNS


def test_at_least_250_figures(rows):
    assert len(rows) >= 250


def test_figure_ids_unique_and_sequential(rows):
    ids = [r["figure_id"] for r in rows]
    assert len(ids) == len(set(ids))
    seen = Counter()
    for r in rows:
        assert r["article"] in ARTICLES
        seen[r["article"]] += 1
        assert r["figure_id"] == f"{r['article']}_{seen[r['article']]:03d}"


def test_quotes_are_verbatim_and_locate_one_place(rows, seed):
    for r in rows:
        assert r["quote"] in seed, f"{r['figure_id']}: quote not in seed: {r['quote']}"
        # A unique quote lets the Sources page point at the exact place in the document.
        assert seed.count(r["quote"]) == 1, f"{r['figure_id']}: quote occurs more than once"


def test_rows_follow_document_order(rows, seed):
    order = list(ARTICLES)
    keys = [(order.index(r["article"]), seed.find(r["quote"])) for r in rows]
    assert keys == sorted(keys), "rows must be grouped by article and follow the document"


@pytest.mark.parametrize("quote,expected", [
    ("5年累计排查化解矛盾纠纷26.39万件", [5, 263900]),
    ("挽回经济损失300余亿元", [30000000000]),
    ("160多万师生", [1600000]),
    ("查扣涉案资产9471.89万元", [94718900]),
    ("等十名基层干警当选", [10]),
    ("流入的上万名流动人口", [10000]),
    ("连续三年获全省第一", [3, 1]),
])
def test_numbers_in(quote, expected):
    found = numbers_in(quote)
    for value in expected:
        assert any(math.isclose(value, n, rel_tol=1e-6) for n in found), (quote, found)


def test_value_can_be_read_from_quote(rows):
    for r in rows:
        assert re.fullmatch(r"(0|[1-9]\d*)(\.\d*[1-9])?", r["value"]), f"{r['figure_id']}: {r['value']!r}"
        value = float(r["value"])
        found = numbers_in(r["quote"])
        assert any(math.isclose(value, n, rel_tol=1e-6) for n in found), (
            f"{r['figure_id']}: {r['value']} not in {found} read from {r['quote']}")


def test_fields_are_well_formed(rows):
    names = {}
    for r in rows:
        fid = r["figure_id"]
        assert re.fullmatch(r"\d{6}", r["region_code"]), fid
        assert r["region_code"][:2] == ARTICLES[r["article"]], fid
        assert names.setdefault(r["region_code"], r["region_name"]) == r["region_name"], fid
        assert r["region_name"], fid
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r["indicator"]), fid
        assert r["unit"], fid
        assert r["qualifier"] in QUALIFIERS, fid
        start = dt.date.fromisoformat(r["period_start"])
        end = dt.date.fromisoformat(r["period_end"])
        assert start <= end, fid
        assert r["calibrated"] in {"true", "false"}, fid


def calibrated_key(r):
    return (r["article"], r["region_code"], r["indicator"], float(r["value"]), r["qualifier"],
            (r["period_start"], r["period_end"]))


def test_calibrated_rows_are_exactly_the_agreed_list(rows):
    actual = Counter(calibrated_key(r) for r in rows if r["calibrated"] == "true")
    expected = Counter((a, c, i, float(v), q, p) for a, c, i, v, q, p in EXPECTED_CALIBRATED)
    assert len(EXPECTED_CALIBRATED) == 73
    assert sum(actual.values()) == 73
    assert actual == expected, {"missing": expected - actual, "unexpected": actual - expected}


@pytest.mark.parametrize("article,indicator,value", [
    ("ningxia", "dispute_identified", 263900),
    ("yulin", "dispute_success_rate", 97.12),
    ("dali", "ag_assets_yuan", 716000000),
    ("ningxia", "ag_assets_yuan", 5100000000),
    ("puyang", "dispute_mediated", 147000),
])
def test_specific_calibrated_figures(rows, article, indicator, value):
    matches = [r for r in rows if r["article"] == article and r["indicator"] == indicator
               and r["calibrated"] == "true"]
    assert len(matches) == 1
    assert math.isclose(float(matches[0]["value"]), value, rel_tol=1e-9)


def test_dali_repeats_are_listed_once_as_calibrated(rows):
    for indicator in ["sat_public_order", "sat_public_safety", "sat_law_enforcement", "sat_antigang"]:
        flags = [r["calibrated"] for r in rows if r["article"] == "dali" and r["indicator"] == indicator]
        assert flags[0] == "true" and len(flags) >= 2 and set(flags[1:]) == {"false"}, indicator


def test_calibrated_indicators_are_in_the_catalog(rows, catalog_codes):
    for r in rows:
        if r["calibrated"] == "true":
            assert r["indicator"] in catalog_codes, r["figure_id"]
