"""jykn check — read every source of a data folder, print rows read / used / rejected, write 数据检查报告.xlsx.

Exit status: 0 (通过) only when nothing was lost and no source is refused: every file and every sheet holding a
source's rows could be read, and every row is used or listed in 问题数据 (rejected rows alone do not fail the check);
1 when a source is refused (a file unreadable, empty, of the wrong type, with a required column missing or a sheet
not read, two ledger files …), when the reader's own count check fails, or, with ``--notebook``, when a source that
notebook requires is missing or refused; 2 for a usage error (no such folder, bad date, unknown notebook).
The report's 问题数据 is the sheet a person reads (problems.for_people: 问题类型 in Chinese, no rule codes).

The report is written by default to the PARENT of the data folder (``data/2026Q4`` → ``data/数据检查报告.xlsx``):
it holds identity numbers from the files, so it stays beside the data (``data/`` is never committed) and does not land
inside the folder, where it would be listed as an ignored file at the next check.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd

from ..contract import load_contract
from ..io.reader import read_folder

REPORT_NAME = "数据检查报告.xlsx"


def add_arguments(parser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR", help="数据文件夹（文件名以来源名称开头）")
    parser.add_argument("--report", metavar="FILE",
                        help=f"检查报告的路径（默认：数据文件夹的上一级目录中的 {REPORT_NAME}）")
    parser.add_argument("--as-of", metavar="DATE",
                        help="基准日 YYYY-MM-DD：检查身份号码中的出生日期不晚于基准日（不给则不做此项检查）")
    parser.add_argument("--notebook", metavar="NN",
                        help="同时检查该 Notebook 必需的来源是否齐全（如 01、02、03、05）")


def main(args) -> int:
    contract = load_contract()
    data = Path(args.data)
    if not data.is_dir():
        print(f"错误：数据文件夹不存在：{data}", file=sys.stderr)
        return 2
    try:
        as_of = pd.Timestamp(args.as_of).date() if args.as_of else None
    except ValueError:
        print(f"错误：基准日“{args.as_of}”不是 YYYY-MM-DD 格式的日期", file=sys.stderr)
        return 2
    required: list[str] = []
    if args.notebook:
        nb = _notebook_key(args.notebook)
        if nb not in contract.required_sources:
            known = "、".join(sorted(contract.required_sources))
            print(f"错误：数据契约中没有 Notebook “{args.notebook}”的必需来源（已定义：{known}）", file=sys.stderr)
            return 2
        required = list(contract.required_sources[nb])

    ds = read_folder(data, as_of=as_of)
    report = Path(args.report) if args.report else data.resolve().parent / REPORT_NAME
    summary = ds.summary()

    print(f"数据检查：{data}　基准日：{as_of.isoformat() if as_of else '未指定'}")
    print()
    short = {"读入行数": "读入", "使用行数": "使用", "剔除行数": "剔除", "空行数": "空行", "合并重复行数": "合并重复",
             "冲突行数": "冲突"}
    print(_table(summary.drop(columns=["说明"]).rename(columns=short)))
    print()
    for note in ds.notes:
        print(f"说明：{note}")
    if ds.missing:
        print(f"未提供：{'、'.join(contract[n].title for n in ds.missing)}")
    if ds.ignored:
        print("未读取的文件：")
        for rel, reason in ds.ignored:
            print(f"  - {rel}：{reason}")
    bad_required = [n for n in required if not ds.source_ok(n)]
    lost = ds.count_errors()
    failed = bool(ds.errors) or bool(ds.refused_sources()) or bool(bad_required) or bool(lost)
    if ds.errors:
        print("错误：")
        for e in ds.errors:
            print(f"  - {e}")
    if lost:
        print("行数核对未通过（请把此信息报告给维护人员）：")
        for e in lost:
            print(f"  - {e}")
    if required:
        titles = "、".join(contract[n].title for n in required)
        if bad_required:
            absent = "、".join(contract[n].title for n in bad_required)
            print(f"Notebook {args.notebook} 必需的来源（{titles}）中，{absent} 缺失或无法使用。")
        else:
            print(f"Notebook {args.notebook} 必需的来源（{titles}）齐全。")
    counts = ds.problems["处理"].value_counts()
    print(f"问题数据：{len(ds.problems)} 条" + ("（" + "，".join(f"{k} {v}" for k, v in counts.items()) + "）"
                                             if len(counts) else ""))

    try:
        _write_report(report, ds, summary, data, as_of, required, args.notebook, lost)
    except OSError as exc:
        print(f"错误：无法写入检查报告 {report}（{exc.strerror or exc}）：请用 --report 指定一个可写入的位置",
              file=sys.stderr)
        return 1
    print(f"检查报告：{report}")
    print("结论：" + ("未通过（见上方错误）" if failed else "通过（被剔除的行见检查报告的“问题数据”工作表）"))
    return 1 if failed else 0


def _notebook_key(text: str) -> str:
    m = re.match(r"^\s*(\d{1,2})", str(text))
    return m.group(1).zfill(2) if m else str(text).strip()


def _write_report(path: Path, ds, summary: pd.DataFrame, data: Path, as_of, required: list[str], notebook,
                  lost: list[str]) -> None:
    from ..io.problems import for_people
    from ..io.writer import Col, Sheet, write_workbook

    contract = load_contract()
    notes = [f"说明：{n}" for n in ds.notes]
    if ds.missing:
        notes.append(f"未提供：{'、'.join(contract[n].title for n in ds.missing)}")
    notes += [f"未读取的文件：{rel}（{reason}）" for rel, reason in ds.ignored]
    notes += [f"错误：{e}" for e in ds.errors]
    notes += [f"行数核对未通过：{e}" for e in lost]
    if required:
        bad = [contract[n].title for n in required if not ds.source_ok(n)]
        notes.append(f"Notebook {notebook} 必需的来源：{'、'.join(contract[n].title for n in required)}"
                     + (f"；缺失或无法使用：{'、'.join(bad)}" if bad else "；齐全"))
    notes.append("每个文件：读入行数 = 使用行数 + 剔除行数；空行另计，合并重复行和冲突行包含在使用行数中。")
    title = f"数据检查报告　{data.resolve().name}　基准日 {as_of.isoformat() if as_of else '未指定'}"
    problems = for_people(ds.problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, [
        Sheet(name="汇总", data=summary, title=title, note_lines=notes),
        Sheet(name="文件明细", data=ds.files, title="逐文件读入情况"),
        Sheet(name="问题数据", data=problems, title="问题数据（剔除的行、置空的单元格、提示、重复与冲突）",
              columns={"原值": Col(kind="text"), "行号": Col(kind="int")}),
    ], constant_memory=len(problems) > 50_000)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(frame: pd.DataFrame) -> str:
    """A plain-text table aligned for CJK (a Chinese character is two columns wide)."""
    cells = [[str(c) for c in frame.columns]] + [[("" if pd.isna(v) else str(v)) for v in row]
                                                 for row in frame.itertuples(index=False)]
    widths = [max(_width(r[j]) for r in cells) for j in range(len(frame.columns))]
    numeric = [len(cells) > 1 and all(r[j].isdigit() for r in cells[1:]) for j in range(len(frame.columns))]
    lines = []
    for i, row in enumerate(cells):
        parts = []
        for j, v in enumerate(row):
            pad = " " * (widths[j] - _width(v))
            parts.append(pad + v if numeric[j] else v + pad)
        lines.append("  ".join(parts).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
