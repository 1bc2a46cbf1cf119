"""Deterministic demo data, calibrated to the published figures.

Wherever data/published/figures.csv marks a figure `calibrated`, the generated rows add up to exactly that
figure (or satisfy its qualifier: 余, 以上 …). Elsewhere values are plausible for the place: scaled by its
2020 census population and urban share, with rates taken from the published figures where they exist.
Generation runs one province at a time, so memory stays bounded at national scale and rows arrive
sorted by province, prefecture, county and date (which the warehouse's zone maps reward).

    python -m pingan.demo --scale small|default|national [--seed N]     (pingan/demo/__main__.py)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from .. import reference
from ..calibrate import CalibrationError, allocate, calibrate, count_for_rate
from ..demo_geo import PointSampler
from ..demo_targets import Target, region_mask

SEVEN_PROVINCES = ("630000", "640000", "530000", "450000", "410000", "360000", "620000")


@dataclass(frozen=True)
class Scale:
    name: str
    provinces: tuple[str, ...] | None   # None: every in-scope province
    first_year: int
    last_year: int
    dispute_rate: float                  # disputes identified per resident per year (background)
    residents_per_grid: float            # multiplier on the typical residents per grid
    survey_first_year: int
    scale_history: bool                  # lift a calibrated place's whole history, not only its period


SCALES = {
    "small": Scale("small", SEVEN_PROVINCES, 2017, 2022, 0.0002, 8.0, 2010, False),
    "default": Scale("default", SEVEN_PROVINCES, 2017, 2022, 0.004, 1.0, 2010, True),
    "national": Scale("national", None, 2017, 2022, 0.0107, 1.0, 2010, True),
}


def _targets_for(targets: list[Target], indicators: set[str]) -> list[Target]:
    return [t for t in targets if t.indicator in indicators]


# --------------------------------------------------------------------------------------------------
# Township villages (demo estimate of villages and communities per township)
# --------------------------------------------------------------------------------------------------
def villages_per_township(rng, towns: pl.DataFrame, targets: list[Target]) -> np.ndarray:
    n = towns.height
    base = rng.poisson(11.0, n) + 2
    prov, pref, cty = (towns[c].to_numpy() for c in ("province_code", "prefecture_code", "county_code"))
    cons = [(region_mask(t.region, prov, pref, cty), int(t.value))
            for t in _targets_for(targets, {"center_village_count"})]
    cons = [(m, v) for m, v in cons if m.any()]
    return calibrate(base, cons) if cons else base


# --------------------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------------------
def grid_counts(rng, counties: pl.DataFrame, scale: Scale, targets: list[Target]):
    """Comprehensive and dedicated grids, and grid workers, per county."""
    n = counties.height
    pop = counties["population"].to_numpy().astype(np.float64)
    urban = counties["urban_share"].to_numpy()
    rpg = (180.0 + 260.0 * urban) * rng.lognormal(0.0, 0.2, n) * scale.residents_per_grid
    total = np.maximum(1, np.round(pop / rpg)).astype(np.int64)
    dedicated = np.round(total * (0.04 + 0.12 * urban)).astype(np.int64)
    comp = total - dedicated
    prov, pref, cty = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
    both = lambda m: np.concatenate([m, m])  # noqa: E731
    zero = np.zeros(n, dtype=bool)
    cons = []
    for t in _targets_for(targets, {"grid_count", "grid_comprehensive_count", "grid_dedicated_count"}):
        m = region_mask(t.region, prov, pref, cty)
        if not m.any():
            continue
        if t.indicator == "grid_count":
            cons.append((both(m), int(t.value)))
        elif t.indicator == "grid_comprehensive_count":
            cons.append((np.concatenate([m, zero]), int(t.value)))
        else:
            cons.append((np.concatenate([zero, m]), int(t.value)))
    leaves = calibrate(np.concatenate([comp, dedicated]), cons) if cons else np.concatenate([comp, dedicated])
    comp, dedicated = leaves[:n], leaves[n:]
    grids = comp + dedicated
    wpg = 1.15 * rng.lognormal(0.0, 0.15, n)
    workers = np.maximum(0, np.round(grids * wpg)).astype(np.int64)
    cons = [(region_mask(t.region, prov, pref, cty), int(round(t.value)))
            for t in _targets_for(targets, {"grid_worker_count"})]
    cons = [(m, v) for m, v in cons if m.any()]
    if cons:
        workers = calibrate(workers, cons)
    return comp, dedicated, workers


def grid_rows(rng, counties: pl.DataFrame, towns: pl.DataFrame, comp, dedicated, workers,
              scale: Scale, sampler: PointSampler, next_id: int) -> pl.DataFrame:
    parts = []
    years = np.arange(2013, scale.last_year + 1)
    year_w = np.linspace(3.0, 1.0, len(years))
    year_w /= year_w.sum()
    town_by_county = towns.group_by("county_code", maintain_order=True).agg(pl.col("code"))
    town_map = dict(zip(town_by_county["county_code"].to_list(), town_by_county["code"].to_list()))
    for i, row in enumerate(counties.iter_rows(named=True)):
        g = int(comp[i] + dedicated[i])
        if g == 0:
            continue
        w = int(workers[i])
        no_worker = int(round(g * rng.uniform(0.0, 0.05)))
        staffed = g - no_worker
        if w < staffed:
            staffed = w
        per = np.zeros(g, dtype=np.int64)
        order = rng.permutation(g)
        if staffed > 0:
            per[order[:staffed]] = 1 + rng.multinomial(w - staffed, np.full(staffed, 1.0 / staffed))
        p_ft = rng.beta(6, 5)
        ft = rng.binomial(per, p_ft)
        gtype = np.array(["comprehensive"] * int(comp[i]) + ["dedicated"] * int(dedicated[i]))
        res_w = rng.lognormal(0.0, 0.5, g) * np.where(gtype == "dedicated", 0.3, 1.0)
        residents = allocate(int(row["population"]), res_w)
        towns_here = town_map.get(row["code"], [])
        town = (np.array(towns_here)[rng.integers(0, len(towns_here), g)] if towns_here
                else np.full(g, None, dtype=object))
        lon, lat = sampler.sample(row["code"], g, rng)
        parts.append(pl.DataFrame({
            "grid_id": np.arange(next_id, next_id + g, dtype=np.int64),
            "province_code": row["province_code"], "prefecture_code": row["prefecture_code"],
            "county_code": row["code"], "township_code": town,
            "grid_type": gtype, "established_year": rng.choice(years, g, p=year_w).astype(np.int32),
            "residents": residents.astype(np.int32), "workers_fulltime": ft.astype(np.int32),
            "workers_parttime": (per - ft).astype(np.int32), "lon": lon, "lat": lat, "source": "demo",
        }, schema_overrides={"township_code": pl.Utf8}))
        next_id += g
    return pl.concat(parts) if parts else pl.DataFrame()


# --------------------------------------------------------------------------------------------------
# Facilities
# --------------------------------------------------------------------------------------------------
_COUNT_TARGETS = {
    "center_county_count": ("center", "county"),
    "center_township_count": ("center", "township"),
    "police_room_count": ("police_room", None),
    "justice_office_count": ("justice_office", None),
    "people_tribunal_count": ("tribunal", None),
}
_NAMES = {"center": "综治中心", "onestop": "矛盾纠纷调解中心", "police_room": "警务室",
          "justice_office": "司法所", "tribunal": "人民法庭"}


def facility_counts(rng, counties: pl.DataFrame, towns_per_county: np.ndarray, villages_per_county: np.ndarray,
                    prefectures: pl.DataFrame, targets: list[Target]) -> dict[tuple[str, str], np.ndarray]:
    """Counts per county of each (facility type, level) that is placed by count."""
    n = counties.height
    pop = counties["population"].to_numpy().astype(np.float64)
    prov, pref, cty = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
    t = towns_per_county
    counts = {
        ("center", "county"): rng.binomial(1, 0.97, n),
        ("center", "township"): rng.binomial(t, 0.9),
        ("center", "village"): rng.binomial(villages_per_county, 0.82),
        ("police_room", "village"): np.round(pop / 3500.0 * rng.lognormal(0, 0.25, n)).astype(np.int64),
        ("justice_office", "township"): rng.binomial(t, 0.6),
        ("tribunal", "township"): np.maximum(0, np.round(t * 0.14 * rng.lognormal(0, 0.3, n))).astype(np.int64),
        ("onestop", "county"): rng.binomial(1, 0.75, n),
        ("onestop", "township"): rng.binomial(t, 0.2),
    }
    for tg in targets:
        m = region_mask(tg.region, prov, pref, cty)
        if not m.any():
            continue
        if tg.indicator == "center_township_coverage" and tg.value >= 100:
            counts[("center", "township")][m] = np.maximum(counts[("center", "township")][m], t[m])
        if tg.indicator == "center_village_count":
            counts[("center", "village")][m] = villages_per_county[m]
        if tg.indicator == "onestop_coverage" and tg.value >= 100:
            counts[("onestop", "county")][m] = 1
    for ind, (ftype, level) in _COUNT_TARGETS.items():
        keys = [k for k in counts if k[0] == ftype and (level is None or k[1] == level)]
        key = keys[0]
        cons = [(region_mask(tg.region, prov, pref, cty), int(tg.value)) for tg in _targets_for(targets, {ind})]
        cons = [(m, v) for m, v in cons if m.any()]
        if cons:
            caps = None if ftype in ("police_room",) else np.maximum(2 * t, 1)
            if key == ("center", "county"):
                caps = np.ones(n, dtype=np.int64)
            counts[key] = calibrate(counts[key], cons, caps=caps)
    # One-stop centres: the target counts every level; prefecture-level ones are placed separately.
    pref_codes = prefectures["code"].to_numpy()
    for tg in _targets_for(targets, {"onestop_center_count"}):
        m = region_mask(tg.region, prov, pref, cty)
        if not m.any():
            continue
        pref_in = int(np.isin(pref_codes, np.unique(pref[m])).sum()) if tg.region not in cty else 0
        county_level = np.ones(n, dtype=np.int64)
        rest = int(tg.value) - pref_in - int(county_level[m].sum())
        counts[("onestop", "county")][m] = 1
        counts[("onestop", "township")] = calibrate(counts[("onestop", "township")], [(m, max(rest, 0))],
                                                    caps=np.maximum(t, 1))
    return counts


def facility_rows(rng, counties: pl.DataFrame, prefectures: pl.DataFrame, towns: pl.DataFrame,
                  counts: dict, sampler: PointSampler, scale: Scale, next_id: int) -> pl.DataFrame:
    cols: dict[str, list] = {k: [] for k in ("county_code", "prefecture_code", "province_code", "township_code",
                                              "facility_type", "admin_level", "name")}
    town_groups = towns.group_by("county_code", maintain_order=True).agg(pl.col("code"), pl.col("name"))
    town_map = {r["county_code"]: (r["code"], r["name"]) for r in town_groups.iter_rows(named=True)}

    def add(row, town_code, ftype, level, name, k=1):
        for _ in range(k):
            cols["county_code"].append(row["code"])
            cols["prefecture_code"].append(row["prefecture_code"])
            cols["province_code"].append(row["province_code"])
            cols["township_code"].append(town_code)
            cols["facility_type"].append(ftype)
            cols["admin_level"].append(level)
            cols["name"].append(name)

    seats = {}
    for row in counties.iter_rows(named=True):
        seats.setdefault(row["prefecture_code"], row)
    pref_names = dict(zip(prefectures["code"].to_list(), prefectures["name"].to_list()))
    for pcode, seat in seats.items():
        pname = pref_names.get(pcode, "")
        add(seat, None, "center", "prefecture", f"{pname}综治中心")
        add(seat, None, "onestop", "prefecture", f"{pname}矛盾纠纷调解中心")
    for i, row in enumerate(counties.iter_rows(named=True)):
        codes, names = town_map.get(row["code"], ([], []))
        for (ftype, level), arr in counts.items():
            k = int(arr[i])
            if k == 0:
                continue
            if level == "county":
                add(row, None, ftype, "county", f"{row['name']}{_NAMES[ftype]}", k)
                continue
            if not codes:
                add(row, None, ftype, level, f"{row['name']}{_NAMES[ftype]}", k)
                continue
            # one per township first (coverage), extras wrap around
            order = rng.permutation(len(codes))
            for j in range(k):
                tix = order[j % len(codes)]
                suffix = "" if level == "township" else f"第{j // len(codes) + 1}村"
                label = f"{names[tix]}{suffix}{_NAMES[ftype]}" if level != "village" else \
                    f"{names[tix]}村级{_NAMES[ftype]}"
                add(row, codes[tix], ftype, level, label)
    n = len(cols["name"])
    if n == 0:
        return pl.DataFrame()
    frame = pl.DataFrame(cols, schema_overrides={"township_code": pl.Utf8}).sort("county_code", maintain_order=True)
    std_p = np.where(frame["facility_type"].to_numpy() == "center", 0.86, 0.95)
    years = np.arange(2012, scale.last_year + 1)
    yw = np.linspace(2.0, 1.0, len(years))
    yw /= yw.sum()
    lon = np.empty(n)
    lat = np.empty(n)
    cc = frame["county_code"].to_numpy()
    for code in np.unique(cc):
        idx = np.nonzero(cc == code)[0]
        lon[idx], lat[idx] = sampler.sample(code, len(idx), rng)
    return frame.with_columns(
        pl.Series("facility_id", np.arange(next_id, next_id + n, dtype=np.int64)),
        pl.Series("standardized", rng.random(n) < std_p),
        pl.Series("established_year", rng.choice(years, n, p=yw).astype(np.int32)),
        pl.Series("lon", lon), pl.Series("lat", lat), pl.lit("demo").alias("source"),
    )


# --------------------------------------------------------------------------------------------------
# Dispute cases
# --------------------------------------------------------------------------------------------------
_SEASON = np.array([1.25, 1.15, 0.95, 0.95, 0.95, 0.9, 0.9, 0.92, 0.95, 1.0, 1.0, 1.15])
_STAGE_RATIOS = {"accept": 0.985, "mediate": 0.99, "success": 0.968}  # success: of identified


def _stage_vector(rng, t_by_ind: dict[str, Target], base_identified: int) -> dict[str, int]:
    """Complete stage counts identified >= accepted >= mediated >= resolved for one place and period.

    The success rate is resolved / identified (化解成功 ÷ 排查登记): the one reading under which the
    published counts and rates of every seed article agree (README, "Decisions worth knowing").
    """
    a_r, m_r = _STAGE_RATIOS["accept"], _STAGE_RATIOS["mediate"]
    val = lambda k: t_by_ind[k].count_value(rng) if k in t_by_ind else None  # noqa: E731
    I, A, M, R = (val(k) for k in ("dispute_identified", "dispute_accepted", "dispute_mediated",
                                   "dispute_resolved"))
    rate = t_by_ind.get("dispute_success_rate")
    if I is None and R is not None and rate is not None and rate.qualifier == "exact":
        lower = max(x for x in (A, M, R) if x is not None)
        guess = int(round(R * 100.0 / rate.value))
        I = next(c for d in range(0, 10_000) for c in (guess + d, guess - d)
                 if c >= lower and round(100.0 * R / c, rate.decimals) == round(rate.value, rate.decimals))
    if I is None and A is None and M is not None:
        A = M + int(round(M * (1 - m_r) / 2))
    if I is None and A is not None:
        I = A + int(round(A * (1 - a_r) / a_r))
    if I is None:
        I = base_identified
    if A is None:
        A = min(I, max(M or 0, R or 0, int(round(I * a_r))))
    if R is None:
        if rate is not None and rate.qualifier == "exact":
            R = count_for_rate(I, rate.value, rate.decimals)
        elif rate is not None:  # 以上: each period a little above the floor
            R = int(np.ceil(I * (rate.value + rng.uniform(0.15, 0.9)) / 100.0))
        else:
            R = int(round(I * _STAGE_RATIOS["success"]))
    if M is None:
        M = max(R, min(A, int(round(A * m_r))))
    if not (I >= A >= M >= R >= 0):
        raise ValueError(f"inconsistent dispute targets: {I} {A} {M} {R} for {sorted(t_by_ind)}")
    return {"identified": I, "accepted": A, "mediated": M, "resolved": R}


def _dispute_targets(targets: list[Target]) -> dict[tuple[str, int], dict[str, Target]]:
    """Group the dispute targets by (region, year), splitting multi-year counts later."""
    out: dict[tuple[str, date, date], dict[str, Target]] = {}
    for t in _targets_for(targets, {"dispute_identified", "dispute_accepted", "dispute_mediated",
                                    "dispute_resolved", "dispute_success_rate"}):
        out.setdefault((t.region, t.start, t.end), {})[t.indicator] = t
    return out


def dispute_cell_counts(rng, counties: pl.DataFrame, scale: Scale, targets: list[Target]):
    """Stage counts per (county, month): identified, accepted, mediated, resolved."""
    n = counties.height
    years = np.arange(scale.first_year, scale.last_year + 1)
    months = len(years) * 12
    pop = counties["population"].to_numpy().astype(np.float64)
    county_f = rng.lognormal(0.0, 0.3, n)
    trend = np.repeat(np.linspace(1.08, 0.94, len(years)), 12)
    season = np.tile(_SEASON, len(years))
    lam = np.outer(pop * county_f * scale.dispute_rate / 12.0, trend * season)
    prov, pref, cty = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
    month_start = np.array([date(int(y), m, 1) for y in years for m in range(1, 13)])
    groups = _dispute_targets(targets)
    # Places with published figures: scale their whole history so the published period is not a spike.
    in_group = []
    for (region, start, end), tmap in groups.items():
        rmask = region_mask(region, prov, pref, cty)
        if not rmask.any():
            continue
        pmask = (month_start >= start) & (month_start <= end)
        count_t = next((tmap[k] for k in ("dispute_identified", "dispute_accepted", "dispute_mediated",
                                          "dispute_resolved") if k in tmap), None)
        if count_t is not None:
            base = lam[np.ix_(rmask, pmask)].sum()
            factor = count_t.value / max(base, 1.0)
            if scale.scale_history:
                lam[rmask, :] *= factor
            else:
                lam[np.ix_(rmask, pmask)] *= factor
        in_group.append((rmask, pmask, tmap))
    ident = rng.poisson(lam).astype(np.int64)
    acc = rng.binomial(ident, _STAGE_RATIOS["accept"])
    med = rng.binomial(acc, _STAGE_RATIOS["mediate"])
    succ = np.clip(rng.normal(_STAGE_RATIOS["success"], 0.01, (n, 1)), 0.9, 0.984)
    res = rng.binomial(med, np.clip(succ / (_STAGE_RATIOS["mediate"] * _STAGE_RATIOS["accept"]), 0, 1))
    for rmask, pmask, tmap in in_group:
        # counts over several years with a rate that must hold each year: one vector per year
        yearly = (tmap.get("dispute_success_rate") is not None
                  and tmap["dispute_success_rate"].qualifier != "exact"
                  and len({d.year for d in month_start[pmask]}) > 1)
        if yearly:
            yrs = sorted({d.year for d in month_start[pmask]})
            count_key = next(k for k in ("dispute_identified", "dispute_accepted", "dispute_mediated",
                                         "dispute_resolved") if k in tmap)
            base_by_year = np.array([ident[np.ix_(rmask, pmask & (np.array([d.year for d in month_start]) == y))]
                                     .sum() for y in yrs], dtype=np.float64)
            split = allocate(int(tmap[count_key].count_value(rng)), base_by_year)
            pieces = []
            for y, v in zip(yrs, split):
                sub = {k: tt for k, tt in tmap.items() if k != count_key}
                sub[count_key] = Target(tmap[count_key].figure_id, tmap[count_key].region, count_key, float(v),
                                        "exact", date(y, 1, 1), date(y, 12, 31), 0)
                pieces.append((pmask & (np.array([d.year for d in month_start]) == y), sub))
        else:
            pieces = [(pmask, tmap)]
        for pm, sub in pieces:
            cell = np.outer(rmask, pm)
            vec = _stage_vector(rng, sub, int(ident[cell].sum()))
            ident[cell] = calibrate(ident[cell], [(np.ones(cell.sum(), bool), vec["identified"])])
            acc[cell] = allocate(vec["accepted"], ident[cell] * 1.0, caps=ident[cell])
            med[cell] = allocate(vec["mediated"], acc[cell] * 1.0, caps=acc[cell])
            res[cell] = allocate(vec["resolved"], med[cell] * 1.0, caps=med[cell])
    return month_start, ident, acc, med, res


def dispute_rows(rng, counties: pl.DataFrame, month_start, ident, acc, med, res, grids: pl.DataFrame,
                 categories: pl.DataFrame, channels: pl.DataFrame, as_of: date, next_id: int,
                 calibrated_cells: np.ndarray) -> pl.DataFrame:
    n_c, n_m = ident.shape
    total = int(ident.sum())
    if total == 0:
        return pl.DataFrame()
    cell = np.repeat(np.arange(n_c * n_m), ident.ravel())
    ci, mi = cell // n_m, cell % n_m
    cat_w = categories["demo_weight"].to_numpy()
    ch_w = channels["demo_weight"].to_numpy()
    cat = rng.choice(len(cat_w), total, p=cat_w / cat_w.sum())
    ch = rng.choice(len(ch_w), total, p=ch_w / ch_w.sum())
    # Within a cell, the cases most likely to succeed (by category and channel) take the first places.
    score = (categories["demo_success_bias"].to_numpy()[cat] + channels["demo_success_bias"].to_numpy()[ch]
             + rng.gumbel(0.0, 1.0, total))
    order = np.lexsort((-score, cell))
    cell, ci, mi, cat, ch = cell[order], ci[order], mi[order], cat[order], ch[order]
    first = np.concatenate([[0], np.cumsum(ident.ravel())[:-1]])
    pos = np.arange(total) - np.repeat(first, ident.ravel())
    is_acc = pos < acc.ravel()[cell]
    is_med = pos < med.ravel()[cell]
    is_res = pos < res.ravel()[cell]
    ms = month_start.astype("datetime64[D]")
    days_in_month = ((ms + np.timedelta64(32, "D")).astype("datetime64[M]").astype("datetime64[D]") - ms)
    ident_d = ms[mi] + (rng.random(total) * days_in_month[mi].astype(np.int64)).astype("timedelta64[D]")
    acc_d = ident_d + rng.geometric(0.6, total).astype("timedelta64[D]") - np.timedelta64(1, "D")
    med_d = acc_d + rng.geometric(0.35, total).astype("timedelta64[D]")
    med_days = channels["demo_median_days"].to_numpy()[ch] * categories_days_factor(categories, cat)
    dur = np.maximum(1, np.round(rng.lognormal(np.log(med_days), 0.7))).astype("timedelta64[D]")
    close_d = med_d + dur
    end = np.datetime64(as_of, "D")
    # Closing after the as-of date means still open, except for calibrated resolved cases, which
    # close on the as-of date at the latest (the published count says they were resolved).
    calibrated = calibrated_cells.ravel()[cell]
    late = close_d > end
    stuck = (~is_res) & is_acc & (rng.random(total) < 0.04)
    open_ = is_acc & ((late & ~(is_res & calibrated)) | stuck)
    close_d = np.where(is_res & calibrated & late, end, close_d)
    # outcome as a small code, turned into strings once by polars: 0 open/none, 1 resolved, 2 failed, 3 withdrawn
    outcome = np.where(is_res, 1, np.where(is_med, 2, 3)).astype(np.int8)
    outcome[~is_acc | open_] = 0
    closed = is_acc & ~open_
    fu_d = close_d + rng.integers(3, 31, total).astype("timedelta64[D]")
    has_fu = (outcome == 1) & (rng.random(total) < 0.92) & (fu_d <= end)
    # clip everything to the as-of date
    acc_d = np.where(acc_d > end, end, acc_d)
    med_d = np.where(med_d > end, end, med_d)
    nat = np.datetime64("NaT")
    codes = counties["code"].to_numpy()
    grid_id = np.full(total, -1, dtype=np.int64)
    if grids.height:
        g_county = grids["county_code"].to_numpy()
        g_ids = grids["grid_id"].to_numpy()
        starts = np.searchsorted(g_county, codes, side="left")
        stops = np.searchsorted(g_county, codes, side="right")
        cnt = (stops - starts)[ci]
        has = cnt > 0
        grid_id[has] = g_ids[starts[ci][has] + (rng.random(has.sum()) * cnt[has]).astype(np.int64)]
    # rows in warehouse order: county (cells are county-major), then date
    order = np.lexsort((ident_d, cell))

    def take(values: np.ndarray, index: np.ndarray) -> pl.Series:
        return pl.Series(values).gather(pl.Series(index[order]))

    frame = pl.DataFrame([
        take(counties["province_code"].to_numpy(), ci).alias("province_code"),
        take(counties["prefecture_code"].to_numpy(), ci).alias("prefecture_code"),
        take(codes, ci).alias("county_code"),
        pl.Series("grid_id", grid_id[order]),
        take(categories["code"].to_numpy(), cat).alias("category"),
        take(channels["code"].to_numpy(), ch).alias("channel"),
        pl.Series("identified_date", ident_d[order]),
        pl.Series("accepted_date", np.where(is_acc, acc_d, nat)[order]),
        pl.Series("mediated_date", np.where(is_med & (closed | open_), med_d, nat)[order]),
        pl.Series("closed_date", np.where(closed, close_d, nat)[order]),
        pl.Series(["", "resolved", "failed", "withdrawn"]).gather(pl.Series(outcome[order].astype(np.int64)))
        .replace("", None).alias("outcome"),
        pl.Series("followup_date", np.where(has_fu, fu_d, nat)[order]),
    ])
    return frame.with_columns(
        pl.when(pl.col("grid_id") < 0).then(None).otherwise(pl.col("grid_id")).alias("grid_id"),
        pl.Series("case_id", np.arange(next_id, next_id + total, dtype=np.int64)),
        pl.lit("demo").alias("source"),
    )


def categories_days_factor(categories: pl.DataFrame, cat: np.ndarray) -> np.ndarray:
    """Harder kinds of dispute take longer: the lower the success bias, the longer."""
    bias = categories["demo_success_bias"].to_numpy()[cat]
    return np.exp(-0.35 * bias)


# --------------------------------------------------------------------------------------------------
# Anti-gang tallies
# --------------------------------------------------------------------------------------------------
ANTIGANG_BASE = ("ag_black_org", "ag_evil_group", "ag_evil_gang", "ag_criminal_cases", "ag_suspects",
                 "ag_fugitives", "ag_assets_yuan", "ag_umbrella_cases", "ag_umbrella_people", "ag_disciplined",
                 "ag_transferred", "ag_weak_party_orgs")
# the published sums (集团和团伙, 团伙合计) and their parts: data/reference/indicator_parts.csv
ANTIGANG_PARTS = reference.parts_of("sum", domain="anti_gang")
# the campaign's phases are data/reference/campaign_phases.csv; how the generator spreads the special campaign's
# work over its years is its own choice (keyed by the campaign's years, checked at import)
_SPECIAL_YEAR_W = {2018: 0.35, 2019: 0.40, 2020: 0.25}
assert set(_SPECIAL_YEAR_W) == set(range(reference.campaign_years("special")[0],
                                         reference.campaign_years("special")[1] + 1)), "campaign_phases.csv changed"
_ROUTINE_FACTOR = 0.2      # a routine year's intensity against a special-campaign year
_UMBRELLA_PEOPLE_PER_CASE = 2.1


phase_of = reference.phase_of


def antigang_rates(targets: list[Target], regions: pl.DataFrame) -> dict[str, float]:
    """Per-resident yearly rates in the special campaign, pooled from the published figures."""
    pop = dict(zip(regions["code"].to_list(), regions["population"].to_list()))
    num: dict[str, float] = {}
    den: dict[str, float] = {}
    for t in targets:
        parts = ANTIGANG_PARTS.get(t.indicator, (t.indicator,))
        if parts[0] not in ANTIGANG_BASE or not pop.get(t.region):
            continue
        years = list(t.years)
        weight = sum(1.0 if phase_of(y) == "special" else _ROUTINE_FACTOR for y in years)
        for p in parts:
            num[p] = num.get(p, 0.0) + t.value / len(parts)
            den[p] = den.get(p, 0.0) + pop[t.region] * weight
    rates = {k: num[k] / den[k] for k in num if den[k] > 0}
    rates.setdefault("ag_umbrella_people", rates.get("ag_umbrella_cases", 1e-5) * _UMBRELLA_PEOPLE_PER_CASE)
    for k in ANTIGANG_BASE:
        rates.setdefault(k, 1e-6)
    return rates


def antigang_rows(rng, counties: pl.DataFrame, scale: Scale, targets: list[Target],
                  rates: dict[str, float]) -> pl.DataFrame:
    years = [y for y in range(max(reference.campaign_years("special")[0], scale.first_year), scale.last_year + 1)]
    n, ny, ni = counties.height, len(years), len(ANTIGANG_BASE)
    pop = counties["population"].to_numpy().astype(np.float64)
    intensity = np.array([_SPECIAL_YEAR_W.get(y, 0.0) * 3 if phase_of(y) == "special" else _ROUTINE_FACTOR
                          for y in years])
    county_f = rng.lognormal(0.0, 0.35, n)
    rate = np.array([rates[k] for k in ANTIGANG_BASE])
    lam = pop[:, None, None] * county_f[:, None, None] * intensity[None, :, None] * rate[None, None, :]
    values = rng.poisson(lam).astype(np.int64)
    assets = ANTIGANG_BASE.index("ag_assets_yuan")
    values[:, :, assets] = np.round(lam[:, :, assets] * rng.lognormal(0, 0.4, (n, ny))).astype(np.int64)
    prov, pref, cty = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
    yarr = np.array(years)
    # Split published sums (集团和团伙, 团伙合计) into their parts, larger places first so that a
    # prefecture's parts follow its province's proportions and stay within them.
    fixed_parts: dict[tuple[str, date, date, str], int] = {}
    base_targets = []
    ags = [t for t in targets if t.indicator in ANTIGANG_BASE or t.indicator in ANTIGANG_PARTS]
    ags = [t for t in ags if region_mask(t.region, prov, pref, cty).any()]
    size = lambda t: int(region_mask(t.region, prov, pref, cty).sum())  # noqa: E731
    for t in sorted(ags, key=size, reverse=True):
        v = t.count_value(rng)
        if t.indicator in ANTIGANG_BASE:
            base_targets.append((t.region, t.start, t.end, t.indicator, v))
            fixed_parts[(t.region, t.start, t.end, t.indicator)] = v
            continue
        parts = ANTIGANG_PARTS[t.indicator]
        m = region_mask(t.region, prov, pref, cty)
        ym = (yarr >= t.start.year) & (yarr <= t.end.year)
        w = np.array([values[np.ix_(m, ym, [ANTIGANG_BASE.index(p)])].sum() + 1.0 for p in parts])
        # follow the enclosing place's published parts when it has them
        for (reg, s_, e_, ind), pv in fixed_parts.items():
            if ind in parts and reg != t.region and (s_, e_) == (t.start, t.end):
                outer = region_mask(reg, prov, pref, cty)
                if outer.any() and not (m & ~outer).any():
                    w[parts.index(ind)] = pv + 1.0
        split = allocate(v, w)
        for p, pv in zip(parts, split):
            base_targets.append((t.region, t.start, t.end, p, int(pv)))
            fixed_parts[(t.region, t.start, t.end, p)] = int(pv)
    for k, ind in enumerate(ANTIGANG_BASE):
        cons = []
        for region, s, e, tind, v in base_targets:
            if tind != ind:
                continue
            m = region_mask(region, prov, pref, cty)
            ym = (yarr >= s.year) & (yarr <= e.year)
            cons.append(((m[:, None] & ym[None, :]).ravel(), v))
        if cons:
            values[:, :, k] = calibrate(values[:, :, k].ravel(), cons).reshape(n, ny)
    ci, yi, ii = np.meshgrid(np.arange(n), np.arange(ny), np.arange(ni), indexing="ij")
    return pl.DataFrame({
        "province_code": prov[ci.ravel()], "prefecture_code": pref[ci.ravel()], "county_code": cty[ci.ravel()],
        "year": yarr[yi.ravel()].astype(np.int32),
        "phase": np.array([phase_of(y) for y in years])[yi.ravel()],
        "indicator": np.array(ANTIGANG_BASE)[ii.ravel()],
        "value": values.ravel(), "source": "demo",
    })


# --------------------------------------------------------------------------------------------------
# Survey results
# --------------------------------------------------------------------------------------------------
# surveyed years (None: every year); the anti-gang survey starts with the campaign (campaign_phases.csv)
SURVEY_YEARS = {"sat_public_safety": None, "sat_public_order": None, "sat_law_enforcement": None,
                "sat_rule_of_law": None, "sat_antigang": (reference.campaign_years("special")[0], None),
                "sat_team_rectification": (2021, 2021)}
_SURVEY_LEVEL = {"sat_public_safety": 91.0, "sat_public_order": 92.0, "sat_law_enforcement": 90.0,
                 "sat_rule_of_law": 91.5, "sat_antigang": 94.0, "sat_team_rectification": 94.0}


def _rate_possible(den: int, t: Target) -> bool:
    try:
        count_for_rate(den, t.value, t.decimals)
        return True
    except CalibrationError:
        return False


def survey_rows(rng, counties: pl.DataFrame, scale: Scale, targets: list[Target]) -> pl.DataFrame:
    n = counties.height
    pop = counties["population"].to_numpy().astype(np.float64)
    prov, pref, cty = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
    pref_off = {p: rng.normal(0, 0.25) for p in np.unique(pref)}
    frames = []
    for ind, span in SURVEY_YEARS.items():
        first = max(scale.survey_first_year, span[0]) if span else scale.survey_first_year
        last = span[1] if span and span[1] else scale.last_year
        years = np.arange(first, last + 1)
        ny = len(years)
        level = _SURVEY_LEVEL[ind]
        # improving over the years, in logit space
        base_logit = np.log(level / (100 - level)) + np.linspace(-0.45, 0.45, ny)
        eff = (np.array([pref_off[p] for p in pref])[:, None] + rng.normal(0, 0.25, (n, 1))
               + rng.normal(0, 0.12, (n, ny)))
        p = 1.0 / (1.0 + np.exp(-(base_logit[None, :] + eff)))
        size = np.clip(np.round((300 + pop[:, None] / 900.0) * rng.lognormal(0, 0.2, (n, ny)) / 10) * 10, 200, 3200)
        size = size.astype(np.int64)
        positive = rng.binomial(size, p).astype(np.int64)
        specs = []
        for t in _targets_for(targets, {ind}):
            m = region_mask(t.region, prov, pref, cty)
            if not m.any():
                continue
            for y in t.years:
                if y in years:
                    mask = np.zeros((n, ny), dtype=bool)
                    mask[m, int(np.nonzero(years == y)[0][0])] = True
                    specs.append((mask, t))
        # A rate given to 0.01% needs a sample whose step is fine enough: add respondents to one county
        # until some count rounds to the published rate. Smaller places first, and a larger place only
        # adds to a county outside them, so a prefecture's rate is not moved by its province's fix.
        specs.sort(key=lambda c: int(c[0].sum()))
        settled = np.zeros((n, ny), dtype=bool)
        for mask, t in specs:
            if t.qualifier == "exact":
                den = int(size[mask].sum())
                extra = next(e for e in range(0, 2000) if _rate_possible(den + e, t))
                free = mask & ~settled
                size.flat[int(np.argmax(np.where(free, size, -1)))] += extra
            settled |= mask
        cons = []
        for mask, t in specs:
            den = int(size[mask].sum())
            if t.qualifier == "exact":
                num = count_for_rate(den, t.value, t.decimals)
            else:  # 以上: keep the generated rate when above the floor, else lift it just above
                floor = int(np.floor(den * (t.value + rng.uniform(0.2, 1.5)) / 100.0)) + 1
                num = max(int(positive[mask].sum()), floor)
            cons.append((mask.ravel(), num))
        if cons:
            positive = calibrate(positive.ravel(), cons, caps=size.ravel()).reshape(n, ny)
        ci, yi = np.meshgrid(np.arange(n), np.arange(ny), indexing="ij")
        frames.append(pl.DataFrame({
            "province_code": prov[ci.ravel()], "prefecture_code": pref[ci.ravel()], "county_code": cty[ci.ravel()],
            "year": years[yi.ravel()].astype(np.int32), "indicator": ind,
            "sample_size": size.ravel().astype(np.int32), "positive": positive.ravel().astype(np.int32),
            "source": "demo",
        }))
    return pl.concat(frames)


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------
def generate(scale: Scale, seed: int, ref, targets: list[Target], sink, progress=None) -> dict:
    """Generate every demo table, province by province, handing frames to `sink(table, frame)`."""
    regions = ref.regions
    # provinces in code order, so that rows arrive in the warehouse's sort order
    provinces = sorted(scale.provinces or regions.filter((pl.col("level") == "province")
                                                        & pl.col("in_scope"))["code"].to_list())
    rates = antigang_rates(targets, regions)
    as_of = date(scale.last_year, 12, 31)
    next_grid = next_fac = next_case = 1
    stats = {"grid": 0, "facility": 0, "dispute_case": 0, "antigang_tally": 0, "survey_result": 0, "township": 0}
    for k, prov in enumerate(provinces):
        rng = np.random.default_rng([seed, int(prov)])
        counties = (regions.filter((pl.col("level") == "county") & (pl.col("province_code") == prov))
                    .sort(["prefecture_code", "code"]))
        if counties.height == 0:
            continue
        prefectures = regions.filter((pl.col("level") == "prefecture") & (pl.col("province_code") == prov))
        towns = ref.townships.filter(pl.col("province_code") == prov).sort(["county_code", "code"])
        towns = towns.with_columns(pl.Series("villages", villages_per_township(rng, towns, targets)
                                             .astype(np.int32)), pl.lit("demo").alias("source"))
        sink("township", towns)
        stats["township"] += towns.height
        tpc = (counties.select("code").join(towns.group_by("county_code").agg(pl.len().alias("t"),
                                                                            pl.col("villages").sum().alias("v")),
                                            left_on="code", right_on="county_code", how="left")
               .fill_null(0))
        sampler = PointSampler(ref.boundaries(prov), counties)
        if progress:
            progress(k / len(provinces), f"{counties['province_name'][0] if 'province_name' in counties.columns else prov}:网格")
        comp, ded, workers = grid_counts(rng, counties, scale, targets)
        grids = grid_rows(rng, counties, towns, comp, ded, workers, scale, sampler, next_grid)
        next_grid += grids.height
        sink("grid", grids)
        counts = facility_counts(rng, counties, tpc["t"].to_numpy().astype(np.int64),
                                 tpc["v"].to_numpy().astype(np.int64), prefectures, targets)
        fac = facility_rows(rng, counties, prefectures, towns, counts, sampler, scale, next_fac)
        next_fac += fac.height
        sink("facility", fac)
        if progress:
            progress((k + 0.4) / len(provinces), f"{prov}:矛盾纠纷")
        month_start, ident, acc, med, res = dispute_cell_counts(rng, counties, scale, targets)
        calibrated_cells = np.zeros(ident.shape, dtype=bool)
        pcodes, fcodes, ccodes = (counties[c].to_numpy() for c in ("province_code", "prefecture_code", "code"))
        for (region, start, end), _t in _dispute_targets(targets).items():
            rm = region_mask(region, pcodes, fcodes, ccodes)
            pm = (month_start >= start) & (month_start <= end)
            calibrated_cells |= np.outer(rm, pm)
        cases = dispute_rows(rng, counties, month_start, ident, acc, med, res,
                             grids.select("grid_id", "county_code") if grids.height else grids,
                             ref.categories, ref.channels, as_of, next_case, calibrated_cells)
        next_case += cases.height
        sink("dispute_case", cases)
        ag = antigang_rows(rng, counties, scale, targets, rates)
        sink("antigang_tally", ag)
        sv = survey_rows(rng, counties, scale, targets).sort(["prefecture_code", "county_code", "year",
                                                             "indicator"])
        sink("survey_result", sv)
        for name, frame in (("grid", grids), ("facility", fac), ("dispute_case", cases),
                            ("antigang_tally", ag), ("survey_result", sv)):
            stats[name] += frame.height
    stats["as_of"] = as_of.isoformat()
    return stats
