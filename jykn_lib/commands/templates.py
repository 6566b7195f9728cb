"""jykn templates DIR — one blank input workbook per source: headers, an example row, dropdowns, 填写说明.

Exit status: 0 when written; 1 when the folder holds other files (without --force), a template there was filled in,
or the folder cannot be written.
"""

from __future__ import annotations

import sys


def add_arguments(parser):
    parser.add_argument("dir", metavar="DIR", help="输出文件夹（不存在时自动创建；文件夹中已有其他文件时拒绝写入，除非加 --force）")
    parser.add_argument("--force", action="store_true",
                        help="文件夹中已有其他文件时也写入模板（已有的文件不会被改动；填写过的模板也不会被覆盖）")


def main(args) -> int:
    from ..io.templates import TemplateFolderError, write_templates

    try:
        paths = write_templates(args.dir, force=args.force)
    except TemplateFolderError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"无法写入模板到 {args.dir}：{exc.strerror or exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    print(f"已生成 {len(paths)} 个填报模板：{args.dir}")
    return 0
