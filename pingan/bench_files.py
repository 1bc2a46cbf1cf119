"""Realistic county files of any size, generated: the import benchmark's input (pingan/bench_import.py), which
the importer's tests (tests/bad_files/corpus.py) also use for their large cases."""
from __future__ import annotations

from datetime import date
from pathlib import Path

AGG_HEADER = "地区,期间,排查矛盾纠纷(件),受理矛盾纠纷(件),调解矛盾纠纷(件),化解成功(件),矛盾纠纷化解成功率(%)"


def make_cases_csv(path: Path, n: int, counties: list[str], year: int = 2022, seed: int = 1,
                   bad_last: bool = False, encoding: str = "utf-8") -> Path:
    """A record-level dispute file of n valid cases over the given county codes (and one bad last row)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    cats = ["婚姻家庭", "邻里", "地界/土地", "劳资/追薪", "物业", "医疗", "交通事故", "消费", "征地拆迁", "其他"]
    chans = ["人民调解", "行政调解", "司法调解", "诉前调解", "仲裁", "信访"]
    first = (date(year, 1, 1) - date(1970, 1, 1)).days
    ident = first + rng.integers(0, 300, n)
    acc = ident + rng.integers(0, 3, n)
    med = acc + rng.integers(0, 10, n)
    closed = med + rng.integers(0, 20, n)
    follow = closed + rng.integers(1, 30, n)
    outcome = rng.choice(["化解成功", "化解失败", "撤回", ""], n, p=[0.9, 0.04, 0.03, 0.03])

    def day(values, keep=None):
        s = pl.Series(values, dtype=pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")
        return s if keep is None else pl.select(pl.when(pl.Series(keep)).then(s).otherwise(pl.lit(""))).to_series()

    df = pl.DataFrame({
        "案件编号": [f"C{year}-{i:07d}" for i in range(n)],
        "县(市、区)": rng.choice(counties, n),
        "网格编号": [""] * n,
        "纠纷类别": rng.choice(cats, n),
        "调解渠道": rng.choice(chans, n),
        "登记日期": day(ident),
        "受理日期": day(acc),
        "调解日期": day(med, outcome != "撤回"),
        "办结日期": day(closed, outcome != ""),
        "办理结果": outcome,
        "回访日期": day(follow, outcome == "化解成功"),
    })
    if bad_last:
        df = pl.concat([df, df.tail(1).with_columns(pl.lit("外星纠纷").alias("纠纷类别"),
                                                     pl.lit(f"C{year}-bad").alias("案件编号"))])
    text = df.write_csv()
    path.write_bytes(text.encode(encoding))
    return path


def make_agg_csv(path: Path, n: int, regions: list[str], bad_last: bool = False) -> Path:
    """An aggregated report of n region × month rows (distinct keys), optionally with one bad last row."""
    lines = [AGG_HEADER]
    months = [f"{y}-{m:02d}" for y in range(2000, 2023) for m in range(1, 13)]
    k = 0
    for region in regions:
        for month in months:
            if k == n:
                break
            lines.append(f"{region},{month},100,90,80,70,70")
            k += 1
    if bad_last:
        lines.append(f"{regions[0]},2023-01,100,90,80,95,95")  # a key of its own: only the values are wrong
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def isolated_state(snapshot: Path, folder: Path) -> Path:
    """A state folder of its own holding a copy of a snapshot: imports there change nothing anyone else reads."""
    import shutil

    (folder / "warehouse").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(snapshot, folder / "warehouse" / snapshot.name)
    (folder / "warehouse" / "CURRENT").write_text(snapshot.name, encoding="utf-8")
    return folder
