"""jykn templates DIR — one blank input workbook per source: headers, an example row, dropdowns, 填写说明."""

from __future__ import annotations

import sys


def add_arguments(parser):
    parser.add_argument("dir", metavar="DIR", help="输出文件夹（不存在时自动创建；同名模板会被覆盖）")


def main(args) -> int:
    from ..io.templates import write_templates

    try:
        paths = write_templates(args.dir)
    except OSError as exc:
        print(f"无法写入模板到 {args.dir}：{exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    print(f"已生成 {len(paths)} 个填报模板：{args.dir}")
    return 0
