"""jykn demo — the synthetic district for params/demo.yaml, then every notebook that exists for the demo quarter and
all towns; ends with the absolute path of index.html. Exit status as jykn run's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jykn_lib.runner.plan import default_jobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="输出根目录（默认 params/demo.yaml 的 out_dir，即仓库下 outputs/demo）；合成数据写入 <DIR>/data")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help=f"并行进程数（默认 min(4, CPU 数) = {default_jobs()}）")
    parser.add_argument("--people", type=int, default=None, metavar="N", help="合成户籍人口规模（默认见 params/demo.yaml）")
    parser.add_argument("--quiet", action="store_true", help="不显示进度条")


def main(args: argparse.Namespace) -> int:
    from jykn_lib.commands.run import execute
    from jykn_lib.params import REPO_ROOT, load_yaml
    from jykn_lib.runner.synthdata import ensure_synthetic_data

    demo = load_yaml("demo.yaml")
    # The default folder is the repository's (the notebooks' default data_dir points there); --out is as typed.
    out = Path(args.out).expanduser().resolve() if args.out else (REPO_ROOT / demo["out_dir"]).resolve()
    people = args.people if args.people is not None else int(demo["people"])
    if people < 1:
        print(f"错误：--people 应为正整数，而不是 {people}。", file=sys.stderr)
        return 2
    data = out / "data"
    print(f"合成数据（{people} 人，种子 {demo['seed']}，基准日 {demo['as_of']}）：{data}", file=sys.stderr)
    try:
        made = ensure_synthetic_data(data, people=people, seed=int(demo["seed"]), as_of=str(demo["as_of"]))
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print("已生成合成数据。" if made else "合成数据已存在且参数相同，沿用。", file=sys.stderr)

    run_args = argparse.Namespace(quarter=str(demo["quarter"]), out=str(out), jobs=args.jobs, quiet=args.quiet)
    return execute(run_args, data_dir=str(data), as_of=str(demo["as_of"]))
