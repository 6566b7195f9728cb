"""Workbook writer engines: the same 100,000-row × 10-column sheet with openpyxl (the baseline) and xlsxwriter.

Each engine runs in its own child process so its peak memory is its own. The sheet carries what the suite's sheets
carry: title row, bold header, text identity numbers and phones, real dates (yyyy-mm-dd), Chinese text, fitted widths,
frozen header, a dropdown column, A4 landscape with repeated header rows.

    python benchmarks/bench_writer.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ENGINES = {  # name → label in the report; the first is the baseline
    "openpyxl": "openpyxl (baseline, write_only)",
    "xlsxwriter": "xlsxwriter",
    "xlsxwriter_cm": "xlsxwriter constant_memory",
}
TITLE = "清新区就业困难人员引导申请名单　2026Q4　太和镇　基准日 2026-11-26"
ANSWERS = ["属实", "不属实"]


def make_data(rows: int, seed: int = 20261126) -> pd.DataFrame:
    from jykn_lib.contract import town_names
    from jykn_lib.idcard import check_digit

    rng = np.random.default_rng(seed)
    births = pd.Timestamp("1966-01-01") + pd.to_timedelta(rng.integers(0, 365 * 40, rows), unit="D")
    bodies = [f"441803{b:%Y%m%d}{s:03d}" for b, s in zip(births, rng.integers(0, 1000, rows))]
    surnames, given = list("陈李黄张梁林刘何罗邓"), ["伟", "芳", "秀英", "建华", "志强", "丽娟", "国平", "海燕"]
    towns = town_names()
    return pd.DataFrame({
        "公民身份号码": [b + check_digit(b) for b in bodies],
        "姓名": [surnames[i % 10] + given[j % 8] for i, j in zip(rng.integers(0, 10, rows), rng.integers(0, 8, rows))],
        "性别": np.where(rng.random(rows) < 0.5, "男", "女"),
        "联系电话": [f"1{p}" for p in rng.integers(3_000_000_000, 9_999_999_999, rows)],
        "失业登记日期": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2400, rows), unit="D"),
        "所属镇街": np.array(towns)[rng.integers(0, len(towns), rows)],
        "所属村居": np.array(["黄坑村", "乐园村", "龙须带水库移民村", "鱼坝社区"])[rng.integers(0, 4, rows)],
        "可能符合类别": np.array(["01 大龄失业人员", "03 享受最低生活保障待遇人员、06 失地农民", "07 连续失业1年以上人员"])[
            rng.integers(0, 3, rows)],
        "提示": np.array(["", "近期有灵活就业缴费，请核实是否已就业", "户籍人口中未匹配到此人，身份证地址码属本省，请核实户籍"])[
            rng.integers(0, 3, rows)],
        "核实结果": [None] * rows,
    })


def write_openpyxl(df: pd.DataFrame, path: Path) -> None:
    """The same sheet with openpyxl in its fastest (write-only) mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    from jykn_lib.io.writer import _fit_width

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("引导申请名单")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(df.columns):
        kind = "date" if h == "失业登记日期" else "text"
        ws.column_dimensions[chr(65 + j)].width = _fit_width(h, df[h].tolist(), kind)
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    dv = DataValidation(type="list", formula1='"' + ",".join(ANSWERS) + '"')
    dv.add(f"J3:J{len(df) + 2}")
    ws.data_validations.append(dv)
    title = WriteOnlyCell(ws, TITLE)
    title.font = Font(bold=True, size=14)
    ws.append([title])
    head = []
    for h in df.columns:
        c = WriteOnlyCell(ws, h)
        c.font, c.border, c.fill = Font(bold=True), border, PatternFill("solid", fgColor="D9D9D9")
        head.append(c)
    ws.append(head)
    dates = df["失业登记日期"].dt.to_pydatetime()
    cols = [df[h].tolist() if h != "失业登记日期" else list(dates) for h in df.columns]
    for row in zip(*cols):
        cells = []
        for j, v in enumerate(row):
            c = WriteOnlyCell(ws, v)
            c.border = border
            c.number_format = "yyyy-mm-dd" if j == 4 else "@"
            cells.append(c)
        ws.append(cells)
    wb.save(path)


def write_suite(df: pd.DataFrame, path: Path, constant_memory: bool) -> None:
    from jykn_lib.io.writer import Col, Sheet, write_workbook

    cols = {"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"), "失业登记日期": Col(kind="date"),
            "核实结果": Col(dropdown=ANSWERS, editable=True)}
    write_workbook(path, [Sheet("引导申请名单", df, title=TITLE, columns=cols)], constant_memory=constant_memory)


def child(engine: str, rows: int) -> None:
    df = make_data(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{engine}.xlsx"
        start, cpu = time.perf_counter(), time.process_time()
        if engine == "openpyxl":
            write_openpyxl(df, path)
        else:
            write_suite(df, path, constant_memory=engine == "xlsxwriter_cm")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "size_mb": size / 2**20}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--child", choices=ENGINES)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rows)
        return 0
    results = {}
    for engine in ENGINES:
        out = subprocess.run([sys.executable, __file__, "--child", engine, "--rows", str(args.rows)],
                             stdout=subprocess.PIPE, text=True, check=True, env=os.environ)
        results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    base, base_cpu = results["openpyxl"]["seconds"], results["openpyxl"]["cpu"]
    print(f"bench_writer: {args.rows:,} rows × 10 columns, one sheet (wall time; CPU time in brackets)")
    for engine, label in ENGINES.items():
        r = results[engine]
        print(f"  {label:<34} {r['seconds']:6.1f} s ({r['cpu']:5.1f} s CPU)  peak {r['peak_mb']:4.0f} MB"
              f"  file {r['size_mb']:4.1f} MB  ratio {base / r['seconds']:.1f}x ({base_cpu / r['cpu']:.1f}x CPU)")
    parts = [f"openpyxl (baseline) {base:.1f} s"]
    parts += [f"{ENGINES[e]} {results[e]['seconds']:.1f} s; ratio {base / results[e]['seconds']:.1f}x"
              for e in ("xlsxwriter", "xlsxwriter_cm")]
    print("; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
