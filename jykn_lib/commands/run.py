"""jykn run — every notebook of the run file for one quarter: a district run, then one run per town; HTML without code,
index.html, 领导报告.html and run_manifest.json under <out>/<quarter>/.

Exit status: 0 every run succeeded; 1 a run failed or could not start (a refused or missing source, a crash, missing
outputs), or the index could not be written; 2 nothing has run: a wrong request, the output folder not writable or full,
another run holding the quarter folder, a folder made from another data folder without --replace, --encrypt without a
password; 130 / 143 interrupted by Ctrl-C / SIGTERM (recorded as 已中断)."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from jykn_lib.runner.plan import default_jobs


class _YearMode(argparse.Action):
    """``--year 2026``: the year notebooks (04 年度考核) on the year's kept results; --quarter and --data are then not
    needed (argparse checks required options after every option has been read)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        for action in parser._actions:
            if action.dest in ("quarter", "data"):
                action.required = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    required = parser.required_group()
    required.add_argument("--quarter", required=True, metavar="2026Q4", help="季度（程序不读取当天日期）")
    required.add_argument("--data", required=True, metavar="DIR", help="输入数据文件夹")
    parser.add_argument("--year", type=int, default=None, action=_YearMode, metavar="2026",
                        help="按年度运行年度 Notebook（04 镇街年度考核），读取 --out 中该年各季度保存的结果，写入 <DIR>/<年度>/；"
                             "此时不用 --quarter 和 --data，基准日默认为 12 月 31 日")
    parser.add_argument("--out", default="outputs", metavar="DIR", help="输出根目录（默认 outputs）；结果写入 <DIR>/<季度>/")
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="基准日（默认：该季度第一个工作日）")
    parser.add_argument("--towns", default=None, metavar="太和镇,山塘镇", help="只运行这些镇街（逗号分隔；默认全部镇街）；区汇总总会运行")
    parser.add_argument("--notebooks", default=None, metavar="01,02", help="只运行这些编号的 Notebook（默认：登记表中已有文件的全部）")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help=f"并行进程数（默认 min(4, CPU 数) = {default_jobs()}）")
    parser.add_argument("--timeout", type=int, default=None, metavar="秒", help="单个单元格的最长执行时间（默认不限）")
    parser.add_argument("--registry", default=None, metavar="FILE", help="运行登记表（默认 params/notebooks.yaml）")
    parser.add_argument("--quiet", action="store_true", help="不显示进度条")
    parser.add_argument("--phase", default=None, choices=["issue", "collect"],
                        help="02 定期审验的阶段：issue 下发核实表（默认基准日：季度第一个工作日），collect 收回核实表并办理退出"
                             "（默认基准日：季度首月最后一个工作日）")
    parser.add_argument("--returns", default=None, metavar="DIR", help="02 收回阶段：镇街返回的核实表所在文件夹")
    parser.add_argument("--replace", action="store_true",
                        help="季度文件夹是用另一个数据文件夹生成的时，确认用本次的数据替换（不加则拒绝运行）")
    parser.add_argument("--encrypt", action="store_true",
                        help="给发往镇街和省里的工作簿加密码（密码来自 --password-file 或环境变量 JYKN_XLSX_PASSWORD）")
    parser.add_argument("--password-file", default=None, metavar="FILE",
                        help="密码文件（第一行为密码；与 --encrypt 一起用）。密码不能直接写在命令行上")


def audit_extra(args: argparse.Namespace) -> tuple[dict | None, str | None]:
    """The extra parameters of 02 (phase, returns_dir) and the as_of the phase implies when --as-of is not given."""
    phase, returns = getattr(args, "phase", None), getattr(args, "returns", None)
    if phase is None and returns is None:
        return None, None
    if phase != "collect" and returns is not None:
        raise ValueError("--returns 只用于收回阶段，请同时写 --phase collect。")
    if phase == "collect" and not returns:
        raise ValueError("收回阶段（--phase collect）须用 --returns 指定镇街返回的核实表所在文件夹。")
    extra = {"phase": phase}
    if returns:
        folder = Path(returns).expanduser().resolve()
        if not folder.is_dir():
            raise ValueError(f"--returns：文件夹 {folder} 不存在。")
        extra["returns_dir"] = str(folder)
    as_of = None
    if not getattr(args, "as_of", None) and args.quarter:
        from jykn_lib.analyses.audit import as_of_for

        as_of = as_of_for(args.quarter, "", phase)
    return extra, as_of


def main(args: argparse.Namespace) -> int:
    if getattr(args, "year", None) is not None:
        if args.quarter or args.data or args.phase or args.returns:
            print("错误：--year 按年度运行，不能同时使用 --quarter、--data、--phase 或 --returns。", file=sys.stderr)
            return 2
        return execute(args)
    if not args.quarter:
        print("错误：必须用 --quarter 指定季度，如 --quarter 2026Q4（程序不读取当天日期）。", file=sys.stderr)
        return 2
    if not args.data:
        print("错误：必须用 --data 指定输入数据文件夹。", file=sys.stderr)
        return 2
    try:
        extra, as_of = audit_extra(args)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    return execute(args, as_of=as_of, extra=extra)


def execute(args: argparse.Namespace, *, data_dir=None, as_of=None, extra=None) -> int:
    """Shared by jykn run and jykn demo: validate, run, print the Chinese summary, return the exit status."""
    from jykn_lib.runner import RunError, prepare_request, run
    from jykn_lib.runner.execute import stamp

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            request = prepare_request(
                args.quarter,
                data_dir if data_dir is not None else args.data,
                args.out,
                as_of=as_of if as_of is not None else getattr(args, "as_of", None),
                towns=getattr(args, "towns", None),
                notebooks=getattr(args, "notebooks", None),
                jobs=args.jobs,
                registry=getattr(args, "registry", None),
                extra=extra,
                timeout=getattr(args, "timeout", None),
                replace=getattr(args, "replace", False),
                encrypt=getattr(args, "encrypt", False),
                password_file=getattr(args, "password_file", None),
                year=getattr(args, "year", None),
            )
        except RunError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
    for w in caught:
        print(f"[{stamp()}] 注意：{w.message}", file=sys.stderr)

    n_town = len(request.towns)
    print(
        f"[{stamp()}] 开始运行 {request.quarter.label}：Notebook {'、'.join(nb.id for nb in request.notebooks)}；"
        f"镇街 {n_town} 个；并行 {request.jobs} 个进程；输出到 {request.quarter_dir}"
        + ("；发出的工作簿加密" if request.encrypt else ""),
        file=sys.stderr,
    )
    try:
        outcome = run(request, progress=False if getattr(args, "quiet", False) else None)
    except RunError as exc:  # cannot start: folder not writable or full, locked, made from other data
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print("\n".join(outcome.summary_lines()))
    return outcome.exit_code
