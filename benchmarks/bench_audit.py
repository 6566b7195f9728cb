"""02 定期审验 at the scale of a large city: the returned 核实表 read back and reconciled, and the issue phase's
per-person texts, for N issued rows (default 40,000 ≈ 1% of the city's 4 million residents being checked in a
quarter), spread over the 9 towns' workbooks.

Times, separately: writing the 9 town 核实表 with the suite's writer; ``read_returns`` (finding the table, parsing
identity numbers, dates and answers); ``reconcile`` (matching on 核实编号 and identity number, duplicates, answer
checks, one outcome per issued row). Usage: python benchmarks/bench_audit.py [N]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from jykn_lib.idcard import make_ids
from jykn_lib.io import returns as RT
from jykn_lib.params import load_parameters

ISSUE, DUE = dt.date(2026, 10, 8), dt.date(2026, 10, 30)


def issued(n: int, towns: list[str], seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    births = pd.Timestamp("1966-01-01") + pd.to_timedelta(rng.integers(0, 365 * 30, n), unit="D")
    ids = pd.Series(make_ids(np.full(n, "441803"), births, np.arange(n) % 1000)).drop_duplicates().to_numpy()
    n = len(ids)
    town = np.array(towns)[np.arange(n) % len(towns)]
    frame = pd.DataFrame({"公民身份号码": ids, "所属镇街": town, "姓名": "某某", "信号代码": "E5"})
    frame["序号"] = frame.groupby("所属镇街").cumcount() + 1
    frame["核实编号"] = "2026Q4-" + frame["所属镇街"].map({t: f"{i:03d}" for i, t in enumerate(towns)}) + "-" + \
        frame["序号"].astype(str).str.zfill(5)
    return frame


def write_returns(frame: pd.DataFrame, folder: Path, rng) -> None:
    """One returned workbook per town, answers filled (a few free-text answers), as a clerk's save would hold them."""
    results = np.array(["仍符合条件", "建议退出", "无法联系", "联系不上", "已就业"])
    for town, rows in frame.groupby("所属镇街", sort=False):
        wb = xlsxwriter.Workbook(str(folder / f"审验核实表_2026Q4_{town}.xlsx"))
        ws = wb.add_worksheet("核实表")
        ws.write_row(0, 0, [f"{town}定期审验核实表"])
        ws.write_row(1, 0, RT.SYSTEM_COLUMNS + RT.ANSWER_COLUMNS)
        pick = rng.choice(len(results), size=len(rows), p=[0.6, 0.25, 0.1, 0.03, 0.02])
        for i, (no, pid) in enumerate(zip(rows["核实编号"], rows["公民身份号码"])):
            res = results[pick[i]]
            ws.write_row(2 + i, 0, [i + 1, no, "某某", pid, "", "", "01 大龄失业人员", "2025-06-01", "E5 …", res,
                                    "E5 已就业创业或失业登记已注销" if res == "建议退出" else "", "电话", "2026-10-20",
                                    "张三", ""])
        info = wb.add_worksheet("报送信息")
        info.write_row(2, 0, ["报送日期", "2026-10-28"])
        wb.close()


def main(n: int) -> None:
    params = load_parameters()
    towns = params.town_names()
    frame = issued(n, towns)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_returns(frame, folder, np.random.default_rng(1))
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        returned = RT.read_returns(folder, as_of=DUE, params=params)
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        rec = RT.reconcile(frame, returned, issue_day=ISSUE, due=DUE, as_of=DUE, params=params)
        t_rec = time.perf_counter() - t
    assert len(rec.outcome) == len(frame) and (rec.outcome["返回状态"] == RT.RETURNED).all()
    print(f"下发 {len(frame):,} 行，{len(towns)} 个镇街文件")
    print(f"  写出返回文件（xlsxwriter，仅作准备）：{t_write:6.1f} 秒")
    print(f"  read_returns：                    {t_read:6.1f} 秒（{len(returned.rows) / t_read:,.0f} 行/秒）")
    print(f"  reconcile：                       {t_rec:6.1f} 秒（{len(frame) / t_rec:,.0f} 行/秒）")
    print(f"  结论：{rec.outcome['结论'].value_counts().to_dict()}；问题 {len(rec.problems):,} 条")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40_000)
