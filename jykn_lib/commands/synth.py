"""jykn synth DIR [--people N] [--seed S] [--as-of DATE] — the synthetic 清新区 data alone, with its answer key.

jykn synth returns --issued QUARTER_DIR --data DATA_DIR --out DIR [--seed S] — the synthetic towns fill in a quarter's
issued 审验核实表 (02 定期审验) as their clerks would, with the truth planted in the data folder's answer key, and write
the expected outcome per issued row beside them (returns_truth.json)."""

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
    parser.add_argument("dir", metavar="DIR", help="输出文件夹（写入全部来源文件和 synth_manifest.json）；"
                                                   "写 returns 时为模拟镇街填写审验核实表（见 --issued）")
    parser.add_argument("--issued", metavar="DIR", default=None,
                        help="returns：下发的审验核实表所在的季度输出文件夹（如 outputs/2026Q4）")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="returns：合成数据文件夹（读取其 synth_manifest.json 中镇街知道的情况）")
    parser.add_argument("--out", metavar="DIR", default=None, help="returns：填好的核实表和 returns_truth.json 的输出文件夹")
    parser.add_argument("--people", type=int, default=d["people"], metavar="N",
                        help=f"户籍人口规模（默认 {d['people']}；真实清新区约 620000）")
    parser.add_argument("--seed", type=int, default=d["seed"], metavar="S", help=f"随机种子（默认 {d['seed']}）")
    parser.add_argument("--as-of", dest="as_of", type=_date, default=d["as_of"], metavar="YYYY-MM-DD",
                        help=f"基准日 YYYY-MM-DD（默认 {d['as_of']}）")
    parser.add_argument("--force", action="store_true",
                        help="文件夹中已有其他文件时仍写入（不会覆盖不是本程序写出的文件；已有数据文件时仍拒绝）")


def main(args) -> int:
    if args.dir == "returns" or args.issued:
        return returns_main(args)
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


def returns_main(args) -> int:
    from ..synth.returns import fill_returns

    missing = [o for o, v in (("--issued", args.issued), ("--data", args.data), ("--out", args.out)) if not v]
    if missing:
        raise SystemExit(f"jykn synth returns 需要参数 {'、'.join(missing)}。")
    try:
        path = fill_returns(Path(args.issued), Path(args.data), Path(args.out), seed=args.seed)
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(f"模拟镇街填写失败：{exc}") from None
    t = json.loads(path.read_text(encoding="utf-8"))
    files = [f for x in t["files"] for f in x["files"]]
    print(f"已模拟镇街填写 {t['quarter']} 审验核实表：{len(files)} 个文件，{len(t['rows'])} 行，应确认退出 "
          f"{len(t['expected_exits'])} 人；埋入的问题：" + "，".join(f"{k} {len(v)}" for k, v in t["mess"].items() if v))
    print(f"  输出：{path.parent}")
    print(f"  正确结果：{path}")
    return 0
