"""jykn synth DIR [--people N] [--seed S] [--as-of DATE] — the synthetic 清新区 data alone, with its answer key."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

FAULT_NAMES = {
    "id_check_digit": "身份证校验码错误",
    "id_numeric": "身份证号被存成数字",
    "id_numeric_check_ok": "存成数字且恰好通过校验",
    "id_fullwidth": "全角数字",
    "id_lowercase_x": "末位小写x",
    "duplicate_identical": "完全重复行",
    "duplicate_conflict": "同一人冲突记录",
    "blank_row": "空行",
    "text_date": "文本日期",
    "header_synonym": "表头别名",
    "title_row": "标题行",
}


def _date(text: str) -> dt.date:
    import argparse

    from ..dates import to_date

    try:
        return to_date(text, "基准日")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser):
    from ..synth.config import demo_defaults

    d = demo_defaults()
    parser.add_argument("dir", metavar="DIR", help="输出文件夹（写入全部来源文件和 synth_manifest.json）")
    parser.add_argument("--people", type=int, default=d["people"], metavar="N",
                        help=f"户籍人口规模（默认 {d['people']}；真实清新区约 620000）")
    parser.add_argument("--seed", type=int, default=d["seed"], metavar="S", help=f"随机种子（默认 {d['seed']}）")
    parser.add_argument("--as-of", dest="as_of", type=_date, default=d["as_of"], metavar="YYYY-MM-DD",
                        help=f"基准日 YYYY-MM-DD（默认 {d['as_of']}）")
    parser.add_argument("--force", action="store_true",
                        help="文件夹中已有其他文件时仍写入（不会覆盖不是本程序写出的文件；已有数据文件时仍拒绝）")


def main(args) -> int:
    from ..synth import generate

    start = time.perf_counter()
    try:
        path = generate(Path(args.dir), people=args.people, seed=args.seed, as_of=args.as_of, force=args.force)
    except ValueError as exc:
        print(f"错误：生成失败：{exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    m = json.loads(path.read_text(encoding="utf-8"))
    files = m["files"]
    formats = {f: sum(1 for x in files if x["format"] == f) for f in ("xlsx", "csv")}
    t = m["screening_totals"]
    pop = m["population"]
    counts = m["fault_counts"]
    print(f"已生成合成清新区数据：{path.parent}")
    print(f"  文件 {len(files)} 个（xlsx {formats['xlsx']} 个，csv {formats['csv']} 个），每个文件不超过 "
          f"xlsx {m['row_limits']['xlsx']:,} 行、csv {m['row_limits']['csv']:,} 行")
    print(f"  户籍人口 {pop['residents']:,} 人（{pop['households']:,} 户），失业登记 {pop['registered_unemployed']:,} 人，"
          f"台账有效 {pop['ledger_active']:,} 人")
    print(f"  筛查答案：纳入筛查 {t['screened']:,} 人，候选 {t['candidates']:,}，排除 {t['excluded']:,}，"
          f"无类别 {t['no_category']:,}；不在筛查范围 {t['not_screened']:,}")
    print(f"  命名案例 {len(m['cases'])} 个；数据问题 {sum(counts.values()):,} 处："
          + "，".join(f"{FAULT_NAMES.get(k, k)} {n}" for k, n in counts.items()))
    print(f"  基准日 {m['generator']['as_of']}，种子 {m['generator']['seed']}，用时 {seconds:.1f} 秒")
    print(f"  答案清单：{path}")
    return 0
