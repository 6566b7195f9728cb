"""The ``jykn`` command line. Each sub-command lives in its own module; this file only declares and dispatches."""

from __future__ import annotations

import argparse
import importlib
import sys

# name → (module with `add_arguments(parser)` and `main(args) -> int`, one-line Chinese help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("jykn_lib.commands.demo", "生成合成清新区并按 params/demo.yaml 的演示期运行全套 Notebook，打印索引页位置"),
    "run": ("jykn_lib.commands.run", "按季度（及镇街）批量运行 Notebook，生成工作簿、HTML 报告、索引页和运行清单"),
    "check": ("jykn_lib.commands.check", "读取数据文件夹中的全部来源，逐来源报告读入、使用和剔除行数，输出数据检查报告"),
    "templates": ("jykn_lib.commands.templates", "生成每个来源的空白填报模板（表头、示例行、下拉选项、填写说明）"),
    "synth": ("jykn_lib.commands.synth", "生成合成清新区的全部输入数据（含答案清单 synth_manifest.json）"),
    "cache": ("jykn_lib.commands.cache", "查看或清除已解析输入文件的缓存（同一文件只解析一次，供全部 Notebook 和镇街使用）"),
    "app": ("jykn_lib.commands.app", "在本机浏览器中打开即时查询页面（人员查询、资格测算、名单筛选；Voilà，仅 127.0.0.1）"),
}


def build_parser() -> argparse.ArgumentParser:
    from .commands.parser import ChineseArgumentParser

    parser = ChineseArgumentParser(
        prog="jykn",
        description="jykn：清新区就业困难人员认定和服务工作笔记本套件。",
        epilog="各子命令的参数见 jykn <子命令> --help。",
    )
    parser.add_argument("--version", action="version", version=f"jykn {_version()}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="<子命令>", title="子命令")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (printed in Chinese, status 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    module = importlib.import_module(args._module)
    from .runner.procs import Interrupted

    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Interrupted as exc:  # a signal before the batch had started anything
        print(f"已中断（{exc.label}）。", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
