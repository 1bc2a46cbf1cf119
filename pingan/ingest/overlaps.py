"""Reports of dispute stages must nest or be disjoint: which new report overlaps another only in part, in n·log n.

Two reports are related when one's region is the other's or an ancestor of it (province ⊃ prefecture ⊃ county).
A related pair sharing at least one day is a partial overlap unless it is the same report (region and period),
or the report of the wider-or-same region contains the other's period. So, for a report q and another b:
- same region: bad when neither period contains the other;
- b an ancestor of q's region: bad when b's period does not contain q's;
- b a descendant of q's region: bad when q's period does not contain b's.
Each new report names one partner: one of this upload before one imported earlier, then the smallest region code
(the order the check always had); within that region any overlapping report does.

Periods are (start, end) in days, both ends included, sorted once per region as one array (region id × 2^20 +
day), so every case is a binary search (numpy.searchsorted) over all queries at once, or a range minimum (a
sparse table) for the same-region case; a case that looks forward is the backward case on mirrored days (day →
−day). Only the smallest descendant region needs a loop: a sweep by start with a heap keyed by region code,
from which periods that ended before the sweep point are dropped lazily (they never come back).
"""
from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np
import polars as pl

SPAN = 1 << 20          # room for one region's days in a sort key
SHIFT = 1 << 19         # days (mirrored ones are negative) shifted to be positive
NONE = np.iinfo(np.int64).max


def _sweep_left(queries: list[tuple], intervals: list[tuple]) -> dict:
    """For each query (qs, qid): the entry of smallest key among intervals (bs, be, key) with bs < qs <= be."""
    out = {}
    intervals = sorted(intervals, key=lambda b: b[0])
    heap: list = []
    i = 0
    for qs, qid in sorted(queries):
        while i < len(intervals) and intervals[i][0] < qs:
            bs, be, key = intervals[i]
            heapq.heappush(heap, (key, be, bs))
            i += 1
        while heap and heap[0][1] < qs:  # ended before qs: dead for every later query too
            heapq.heappop(heap)
        if heap:
            key, be, bs = heap[0]
            out[qid] = (key, bs, be)
    return out


def _range_argmin(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Index of the smallest value in values[lo:hi] for each (lo, hi) with lo < hi (a sparse table, n·log n)."""
    n = len(values)
    table = [np.arange(n)]
    width = 1
    while 2 * width <= n:
        prev = table[-1]
        left, right = prev[:n - 2 * width + 1], prev[width:n - width + 1]
        table.append(np.where(values[left] <= values[right], left, right))
        width *= 2
    size = hi - lo
    level = np.floor(np.log2(np.maximum(size, 1))).astype(np.int64)
    out = np.empty(len(lo), dtype=np.int64)
    for k in np.unique(level):
        sel = level == k
        a = table[k][lo[sel]]
        b = table[k][hi[sel] - (1 << k)]
        out[sel] = np.where(values[a] <= values[b], a, b)
    return out


def _same_region(qr, qs, qe, br, bs, be):
    """Per query: index into b of a same-region period starting before q and ending inside it, or -1."""
    found = np.full(len(qr), -1, dtype=np.int64)
    if len(br) == 0:
        return found
    order = np.lexsort((be, br))
    key = br[order] * SPAN + be[order] + SHIFT
    lo = np.searchsorted(key, qr * SPAN + qs + SHIFT, side="left")   # first end on or after q's start
    hi = np.searchsorted(key, qr * SPAN + qe + SHIFT, side="left")   # … and before q's end
    some = lo < hi
    if some.any():
        at = _range_argmin(bs[order], lo[some], hi[some])
        ok = bs[order][at] < qs[some]
        idx = np.flatnonzero(some)[ok]
        found[idx] = order[at[ok]]
    return found


def _ancestor(qa, qs, qe, br, bs, be):
    """Per (query, ancestor qa): index into b of a period of qa sharing days with q without containing it, or -1."""
    found = np.full(len(qa), -1, dtype=np.int64)
    if len(br) == 0:
        return found
    by_start = np.lexsort((bs, br))
    key = br[by_start] * SPAN + bs[by_start] + SHIFT
    i = np.searchsorted(key, qa * SPAN + qs + SHIFT, side="right")  # first start after q's start
    ok = (i < len(key)) & (key[np.minimum(i, len(key) - 1)] <= qa * SPAN + qe + SHIFT)
    found[ok] = by_start[i[ok]]
    by_end = np.lexsort((be, br))
    key = br[by_end] * SPAN + be[by_end] + SHIFT
    j = np.searchsorted(key, qa * SPAN + qs + SHIFT, side="left")   # first end on or after q's start
    ok2 = (found < 0) & (j < len(key)) & (key[np.minimum(j, len(key) - 1)] < qa * SPAN + qe + SHIFT)
    found[ok2] = by_end[j[ok2]]
    return found


def _descendant(qr, qs, qe, br, bs, be, b_anc, asked):
    """Per query: (region, start, end) of the smallest descendant region with a period sticking out of q."""
    best: dict = {}
    below: dict = defaultdict(list)
    for anc in b_anc:
        for k in np.flatnonzero(np.isin(anc, asked)).tolist():
            below[int(anc[k])].append((int(bs[k]), int(be[k]), int(br[k])))
    if not below:
        return best
    q_at: dict = defaultdict(list)
    for k, r in enumerate(qr.tolist()):
        if r in below:
            q_at[r].append((int(qs[k]), int(qe[k]), k))
    for r, queries in q_at.items():
        for flip in (False, True):
            # sticking out at the left: starts before q, still open at q's start; at the right: the mirror image
            q2 = [(-e if flip else s, k) for s, e, k in queries]
            b2 = [(-e, -s, reg) if flip else (s, e, reg) for s, e, reg in below[r]]
            for k, (reg, s, e) in _sweep_left(q2, b2).items():
                hit = (reg, -e, -s) if flip else (reg, s, e)
                if k not in best or hit[0] < best[k][0]:
                    best[k] = hit
    return best


def _arrays(df: pl.DataFrame, codes: pl.Series) -> tuple:
    """Region id, start day, end day and the ids of the two strict ancestors (-1: none) of each row of df."""
    def rid(c: str) -> pl.Expr:
        return pl.col(c).replace_strict(codes, pl.int_range(codes.len(), dtype=pl.Int64, eager=True), default=-1)

    df = df.with_columns(pl.col("region_code", "province_code", "prefecture_code").cast(pl.String))
    rows = df.select(rid("region_code").alias("r"),
                     pl.when(pl.col("province_code") != pl.col("region_code")).then(rid("province_code"))
                     .otherwise(-1).fill_null(-1).alias("a1"),
                     pl.when(pl.col("prefecture_code") != pl.col("region_code")).then(rid("prefecture_code"))
                     .otherwise(-1).fill_null(-1).alias("a2"),
                     pl.col("period_start").cast(pl.Date).cast(pl.Int64).alias("s"),
                     pl.col("period_end").cast(pl.Date).cast(pl.Int64).alias("e"))
    return tuple(rows[c].to_numpy() for c in ("r", "s", "e", "a1", "a2"))


def partial_overlaps(new: pl.DataFrame, earlier: pl.DataFrame) -> pl.DataFrame:
    """One row per new row that overlaps another report in part, naming it.

    new: _file, _sheet, _row, region, period, region_code, province_code, prefecture_code, period_start,
    period_end; earlier: region_code, province_code, prefecture_code, period_start, period_end (imported before).
    Returns new's _file, _sheet, _row, region, period and other_region, other_start, other_end, old."""
    cols = ["region_code", "province_code", "prefecture_code", "period_start", "period_end"]
    schema = {"_file": pl.String, "_sheet": pl.String, "_row": pl.Int64, "region": pl.String,
              "period": pl.String, "other_region": pl.String, "other_start": pl.Date, "other_end": pl.Date,
              "old": pl.Boolean}
    if new.height == 0:
        return pl.DataFrame(schema=schema)
    keys = {False: new.select(cols).unique(maintain_order=True), True: earlier.select(cols).unique()}
    codes = (pl.concat([k.select(pl.concat_list(cols[:3]).alias("c")) for k in keys.values()])
             .get_column("c").explode().drop_nulls().unique().sort())  # id order is code order: smaller named first
    qr, qs, qe, q_a1, q_a2 = _arrays(keys[False], codes)
    nq = len(qr)
    asked = np.unique(qr)
    # per query, per old: the partner (region id, start, end); the smallest region id wins, this upload first
    result = np.full((nq, 3), NONE, dtype=np.int64)
    result_old = np.zeros(nq, dtype=bool)
    slots = [(np.flatnonzero(a >= 0), a[a >= 0]) for a in (q_a1, q_a2)]  # province, prefecture
    for old in (False, True):
        br, bs, be, b_a1, b_a2 = _arrays(keys[old], codes)
        cand = np.full((nq, 3), NONE, dtype=np.int64)

        def offer(q_idx, region, s, e):
            better = region < cand[q_idx, 0]
            q_idx = q_idx[better]
            cand[q_idx, 0], cand[q_idx, 1], cand[q_idx, 2] = region[better], s[better], e[better]

        for flip in (False, True):
            a_s, a_e = (-qe, -qs) if flip else (qs, qe)
            b_s, b_e = (-be, -bs) if flip else (bs, be)
            hit = _same_region(qr, a_s, a_e, br, b_s, b_e)
            q_idx = np.flatnonzero(hit >= 0)
            offer(q_idx, br[hit[q_idx]], bs[hit[q_idx]], be[hit[q_idx]])
        for q_idx, a in slots:  # one query at most once per call
            hit = _ancestor(a, qs[q_idx], qe[q_idx], br, bs, be)
            q_idx, b_idx = q_idx[hit >= 0], hit[hit >= 0]
            offer(q_idx, br[b_idx], bs[b_idx], be[b_idx])
        for k, (region, s, e) in _descendant(qr, qs, qe, br, bs, be, (b_a1, b_a2), asked).items():
            offer(np.array([k]), np.array([region]), np.array([s]), np.array([e]))
        take = (result[:, 0] == NONE) & (cand[:, 0] != NONE)
        result[take] = cand[take]
        result_old[take] = old
    flagged = np.flatnonzero(result[:, 0] != NONE)
    if len(flagged) == 0:
        return pl.DataFrame(schema=schema)
    hits = pl.DataFrame({
        "region_code": codes.gather(qr[flagged]), "_s": qs[flagged], "_e": qe[flagged],
        "other_region": codes.gather(result[flagged, 0]), "other_start": result[flagged, 1],
        "other_end": result[flagged, 2], "old": result_old[flagged]})
    day = pl.col("period_start").cast(pl.Date).cast(pl.Int64)
    return (new.with_columns(day.alias("_s"), pl.col("period_end").cast(pl.Date).cast(pl.Int64).alias("_e"))
            .join(hits, on=["region_code", "_s", "_e"], how="inner", maintain_order="left")
            .select("_file", "_sheet", "_row", "region", "period", "other_region",
                    pl.col("other_start").cast(pl.Int32).cast(pl.Date),
                    pl.col("other_end").cast(pl.Int32).cast(pl.Date), "old"))
