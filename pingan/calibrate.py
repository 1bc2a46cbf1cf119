"""Integer allocation that makes generated demo data add up exactly to published figures."""
from __future__ import annotations

import numpy as np


class CalibrationError(ValueError):
    """The published targets cannot all be met (they contradict each other or a cap)."""


def allocate(total: int, weights: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """Split an integer total across cells in proportion to weights (largest remainder), within caps."""
    total = int(total)
    n = len(weights)
    out = np.zeros(n, dtype=np.int64)
    if total == 0 or n == 0:
        if total and not n:
            raise CalibrationError("nothing to allocate to")
        return out
    w = np.asarray(weights, dtype=np.float64).copy()
    w[~np.isfinite(w) | (w < 0)] = 0.0
    if caps is not None:
        caps = np.asarray(caps, dtype=np.int64)
        if caps.sum() < total:
            raise CalibrationError(f"cannot place {total} within caps summing to {caps.sum()}")
    if w.sum() <= 0:
        w = np.ones(n) if caps is None else (caps > 0).astype(np.float64)
    remaining = total
    free = np.ones(n, dtype=bool) if caps is None else caps > 0
    while remaining > 0:
        ww = np.where(free, w, 0.0)
        if ww.sum() <= 0:
            ww = free.astype(np.float64)
        share = ww / ww.sum() * remaining
        base = np.floor(share).astype(np.int64)
        rest = remaining - int(base.sum())
        if rest > 0:
            order = np.argsort(-(share - base), kind="stable")
            order = order[free[order]]
            base[order[:rest]] += 1
        if caps is not None:
            room = caps - out
            over = base > room
            base = np.minimum(base, room)
            free &= ~over
            free &= (out + base) < caps
        out += base
        remaining = total - int(out.sum())
        if remaining > 0 and not free.any():
            raise CalibrationError("caps reached before the total was placed")
    return out


def calibrate(values: np.ndarray, constraints: list[tuple[np.ndarray, int]],
              caps: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
    """Adjust integer leaf values so that every constrained set sums exactly to its target.

    Sets are met smallest first; their leaves are then fixed, so nested targets (a prefecture inside
    its province) are both met when they are consistent. Free leaves keep their relative sizes.
    """
    values = np.asarray(values, dtype=np.int64).copy()
    fixed = np.zeros(len(values), dtype=bool)
    for mask, target in sorted(constraints, key=lambda c: int(np.count_nonzero(c[0]))):
        free = mask & ~fixed
        remaining = int(target) - int(values[mask & fixed].sum())
        if remaining < 0:
            raise CalibrationError(f"target {target} is below what nested targets already fix")
        if not free.any():
            if remaining:
                raise CalibrationError(f"no free cells left to reach target {target}")
            continue
        w = values[free].astype(np.float64)
        if w.sum() <= 0 and weights is not None:
            w = np.asarray(weights, dtype=np.float64)[free]
        values[free] = allocate(remaining, w, None if caps is None else caps[free])
        fixed |= mask
    return values


def round_matches(num: float, den: float, target: float, decimals: int) -> bool:
    """Does num/den, as a percentage rounded like the published figure, equal it?"""
    return den > 0 and round(100.0 * num / den, decimals) == round(target, decimals)


def count_for_rate(den: int, target_pct: float, decimals: int) -> int:
    """An integer numerator whose rate over `den` rounds to the published percentage."""
    num = int(round(den * target_pct / 100.0))
    for delta in (0, 1, -1, 2, -2):
        if 0 <= num + delta <= den and round_matches(num + delta, den, target_pct, decimals):
            return num + delta
    raise CalibrationError(f"no count over {den} rounds to {target_pct}%")
