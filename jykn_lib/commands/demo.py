"""jykn demo — the synthetic district for params/demo.yaml, then the demo year: every quarter of 2026 up to the demo
quarter goes through the quarterly audit (issue → the synthetic towns' returns → collect), each quarter starting from
the ledger the previous one left; the demo quarter runs through the notebooks, then the other notebooks on the demo's
reference date (jykn_lib.demo). Ends with the absolute path of the demo quarter's index.html. Exit status as jykn run's."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jykn_lib.runner.plan import default_jobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="输出根目录（默认 params/demo.yaml 的 out_dir，即仓库下 outputs/demo）；合成数据写入 <DIR>/data")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help=f"并行进程数（默认 min(4, CPU 数) = {default_jobs()}）")
    parser.add_argument("--people", type=int, default=None, metavar="N", help="合成户籍人口规模（默认见 params/demo.yaml）")
    parser.add_argument("--quiet", action="store_true", help="不显示进度条")


def main(args: argparse.Namespace) -> int:
    from jykn_lib import demo as year_demo
    from jykn_lib.params import REPO_ROOT, load_yaml
    from jykn_lib.periods import Quarter
    from jykn_lib.runner.synthdata import ensure_synthetic_data

    demo = load_yaml("demo.yaml")
    # The default folder is the repository's (the notebooks' default data_dir points there); --out is as typed.
    out = Path(args.out).expanduser().resolve() if args.out else (REPO_ROOT / demo["out_dir"]).resolve()
    people = args.people if args.people is not None else int(demo["people"])
    if people < 1:
        print(f"错误：--people 应为正整数，而不是 {people}。", file=sys.stderr)
        return 2
    base = out / "data" / year_demo.BASE
    print(f"合成数据（{people} 人，种子 {demo['seed']}，基准日 {demo['as_of']}）：{base}", file=sys.stderr)
    try:
        made = ensure_synthetic_data(base, people=people, seed=int(demo["seed"]), as_of=str(demo["as_of"]))
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print("已生成合成数据。" if made else "合成数据已存在且参数相同，沿用。", file=sys.stderr)
    year = year_demo.Year(out=out, base=base, seed=int(demo["seed"]), as_of=str(demo["as_of"]), jobs=args.jobs,
                          quiet=args.quiet, last=Quarter.parse(str(demo["quarter"])))
    started = time.time()
    try:
        index = year_demo.run_year(year)
    except year_demo.DemoError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(f"演示年度完成（{year.last.year}年第1季度至{year.last}，用时 {time.time() - started:.0f} 秒）。", file=sys.stderr)
    print(f"索引页：{index.resolve()}")
    return 0
