"""The overlap check of aggregated reports (pingan/ingest/overlaps.py) against a brute-force reading of its rule."""
import random
from datetime import date, timedelta

import polars as pl
import pytest

from pingan.ingest.overlaps import partial_overlaps

# a small hierarchy: province P, prefectures A and B, counties A1, A2 (in A) and B1 (in B)
PLACES = {"110000": ("110000", None), "110100": ("110000", "110100"), "110200": ("110000", "110200"),
          "110101": ("110000", "110100"), "110102": ("110000", "110100"), "110201": ("110000", "110200")}
DAY0 = date(2020, 1, 1)


def _key(code, s, e, **more):
    prov, pref = PLACES[code]
    return {"region_code": code, "province_code": prov, "prefecture_code": pref,
            "period_start": DAY0 + timedelta(days=s), "period_end": DAY0 + timedelta(days=e), **more}


def _frames(new_keys, old_keys):
    new = pl.DataFrame([_key(r, s, e, _file="f.csv", _sheet="", _row=i + 2, region=r, period=f"{s}-{e}")
                        for i, (r, s, e) in enumerate(new_keys)])
    old = pl.DataFrame([_key(r, s, e) for r, s, e in old_keys],
                       schema={"region_code": pl.String, "province_code": pl.String, "prefecture_code": pl.String,
                               "period_start": pl.Date, "period_end": pl.Date})
    return new, old


def _anc(region):
    prov, pref = PLACES[region]
    return {prov, pref, region} - {None}


def _bad(n, b):
    """The rule as the quadratic SQL join wrote it: related, sharing days, not the same report, not nested."""
    (nr, ns, ne), (br, bs, be) = n, b
    b_above, n_above = br in _anc(nr), nr in _anc(br)
    if not (b_above or n_above) or not (ns <= be and bs <= ne) or (nr, ns, ne) == (br, bs, be):
        return False
    return not ((b_above and bs <= ns and be >= ne) or (n_above and ns <= bs and ne >= be))


def _brute(new_keys, old_keys):
    """row -> (old, other region) of the partner the rule names first; and every bad pair, to check witnesses."""
    every = [(k, False) for k in dict.fromkeys(new_keys)] + [(k, True) for k in dict.fromkeys(old_keys)]
    out = {}
    for i, n in enumerate(new_keys):
        partners = sorted((old, b[0]) for b, old in every if _bad(n, b))
        if partners:
            out[i + 2] = partners[0]
    return out


def _check(new_keys, old_keys):
    hits = partial_overlaps(*_frames(new_keys, old_keys))
    got = {r["_row"]: (r["old"], r["other_region"]) for r in hits.iter_rows(named=True)}
    assert got == _brute(new_keys, old_keys)
    for r in hits.iter_rows(named=True):  # the period named is one that really overlaps in part
        n = new_keys[r["_row"] - 2]
        b = (r["other_region"], (r["other_start"] - DAY0).days, (r["other_end"] - DAY0).days)
        assert _bad(n, b)
        assert b in (old_keys if r["old"] else new_keys)


@pytest.mark.parametrize("seed", range(300))
def test_overlaps_agree_with_brute_force_on_random_reports(seed):
    rng = random.Random(seed)

    def keys(k):
        out = []
        for _ in range(k):
            s = rng.randrange(0, 40)
            out.append((rng.choice(list(PLACES)), s, s + rng.randrange(0, 15)))
        return out

    _check(keys(rng.randrange(1, 12)), keys(rng.randrange(0, 8)))


def test_overlap_cases_by_hand():
    # same place: a quarter and a range across its end overlap in part; a month inside the quarter nests
    _check([("110101", 0, 89), ("110101", 60, 120), ("110101", 30, 59)], [])
    assert partial_overlaps(*_frames([("110101", 0, 89), ("110101", 30, 59)], [])).height == 0
    # a county's year against its prefecture's July: refused both ways, each naming the other
    hits = partial_overlaps(*_frames([("110101", 0, 365), ("110100", 180, 210)], []))
    assert hits.select("_row", "other_region", "old").rows() == [(2, "110100", False), (3, "110101", False)]
    # the prefecture's year holds the county's July: nested; a sibling county is unrelated
    assert partial_overlaps(*_frames([("110101", 180, 210), ("110102", 0, 365)], [("110100", 0, 365)])).height == 0
    # an earlier import is named after one of this upload, and the smaller region code first
    hits = partial_overlaps(*_frames([("110101", 0, 100)], [("110000", 50, 400), ("110100", 50, 400)]))
    assert hits.select("other_region", "old").rows() == [("110000", True)]
    hits = partial_overlaps(*_frames([("110101", 0, 100), ("110100", 50, 400)], [("110000", 50, 400)]))
    assert hits.filter(pl.col("_row") == 2).select("other_region", "old").rows() == [("110100", False)]
