"""`python -m pingan.demo`: build a demo snapshot and make it current (the build layer's job, hence not in the
generator's own module, which the build imports)."""
from __future__ import annotations

import argparse
import sys

from .. import build, config
from . import SCALES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pingan.demo",
                                     description="构建演示数据仓库快照(确定性、按公开数据校准)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="default")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(config.setting("demo_seed"))

    def show(frac, msg):
        print(f"[{frac:5.0%}] {msg}", file=sys.stderr)

    info = build.build_snapshot(scale=args.scale, seed=seed, progress=show)
    for k, v in info.items():
        print(f"{k}\t{v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
