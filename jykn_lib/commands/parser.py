"""argparse in Chinese: usage, section titles, ``-h``, and every error message argparse itself produces.

    parser = ChineseArgumentParser(prog="jykn", description="…")
    required = parser.required_group()          # 必填参数: shown without [ ] in the usage line
    required.add_argument("--quarter", required=True, …)

``error()`` prints ``错误：<message>`` (translated from argparse's English), the usage line and a pointer to ``--help``,
and exits with status 2 — the status for "nothing has run". Sub-parsers made by ``add_subparsers`` are of the same
class, so ``jykn run --help`` is Chinese too.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

USAGE = "用法："
TYPE_NAMES = {"int": "整数", "float": "数字", "str": "文本"}

# argparse's messages (Python 3.11–3.13) → Chinese. Matched on the whole message, in order.
_ARGUMENT = r"argument (?P<arg>.+?): "
_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"the following arguments are required: (?P<args>.+)", re.S), "缺少必填参数：{args}"),
    (re.compile(r"one of the arguments (?P<args>.+) is required", re.S), "须给出以下参数之一：{args}"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)", re.S), "不认识的参数：{args}"),
    (re.compile(r"ambiguous option: (?P<opt>\S+) could match (?P<args>.+)", re.S), "参数 {opt} 不明确，可能是：{args}"),
    (re.compile(r"unexpected option string: (?P<opt>.+)", re.S), "多余的参数：{opt}"),
    (re.compile(_ARGUMENT + r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)", re.S),
     "{arg} 的取值{value}无效，可选：{choices}"),
    (re.compile(_ARGUMENT + r"invalid (?P<type>\w+) value: (?P<value>.+)", re.S), "{arg} 的取值{value}无效：应为{type}"),
    (re.compile(_ARGUMENT + r"expected one argument", re.S), "{arg} 后面需要一个取值"),
    (re.compile(_ARGUMENT + r"expected at least one argument", re.S), "{arg} 后面至少需要一个取值"),
    (re.compile(_ARGUMENT + r"expected at most one argument", re.S), "{arg} 后面最多只能有一个取值"),
    (re.compile(_ARGUMENT + r"expected (?P<n>\d+) arguments?", re.S), "{arg} 后面需要 {n} 个取值"),
    (re.compile(_ARGUMENT + r"ignored explicit argument (?P<value>.+)", re.S), "{arg} 不接受取值{value}"),
    (re.compile(_ARGUMENT + r"not allowed with argument (?P<other>.+)", re.S), "{arg} 不能与 {other} 同时使用"),
    (re.compile(_ARGUMENT + r"(?P<rest>.+)", re.S), "{arg}：{rest}"),  # a type's own (Chinese) message
]


def translate(message: str) -> str:
    """argparse's English error message in Chinese; a message already in Chinese is kept."""
    for pattern, template in _MESSAGES:
        m = pattern.fullmatch(message.strip())
        if m:
            parts = {k: _names(v) for k, v in m.groupdict().items()}
            if "type" in parts:
                parts["type"] = TYPE_NAMES.get(parts["type"], parts["type"])
            if parts.get("arg") == "<子命令>":
                return f"没有子命令{parts.get('value', '')}，可用的子命令：{parts.get('choices', '')}"
            return template.format(**parts)
    return message


def _names(text: str) -> str:
    """``--quarter, --data`` → ``--quarter、--data``; quotes as Chinese quotes."""
    text = re.sub(r"'([^']*)'", r"“\1”", text.strip())
    return re.sub(r",\s*", "、", text)


class ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs.setdefault("allow_abbrev", False)  # "--password x" must not become "--password-file x"
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def required_group(self) -> argparse._ArgumentGroup:
        """The 必填参数 section, listed first in the help."""
        group = self.add_argument_group("必填参数")
        self._action_groups.remove(group)
        self._action_groups.insert(0, group)
        return group

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("title", "子命令")
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        text = translate(message)
        if message.startswith("unrecognized arguments:") and re.search(r"(^|\s)--?pass(word)?(?!-file)", message):
            text = ("命令行上不接受密码（它会留在进程列表和命令历史中）：请用 --password-file 指定密码文件，"
                    "或设置环境变量 JYKN_XLSX_PASSWORD")  # the unknown arguments are not repeated: one may be the password
        if "--quarter" in text and "缺少必填参数" in text:
            text += "（如 --quarter 2026Q4；程序不读取当天日期）"
        sys.stderr.write(f"错误：{text}\n")
        sys.stderr.write(self.format_usage())
        sys.stderr.write(f"查看全部参数：{self.prog} --help\n")
        self.exit(2)
