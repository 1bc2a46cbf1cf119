"""How the benchmarks measure and print: percentiles, milliseconds and parameters as text, the progress line.

pingan/bench.py and pingan/bench_compare.py both use these; neither imports the other for them.
"""
from __future__ import annotations

from datetime import date, datetime


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def params_text(params: dict) -> str:
    return ", ".join(f"{k}={jsonable(v)!r}" for k, v in sorted(params.items())) or "—"


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ms_text(x) -> str:
    return "—" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:,.1f}")
