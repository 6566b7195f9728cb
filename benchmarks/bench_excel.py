"""Reading a 100,000-row 户籍人口 workbook: plain pandas/openpyxl (the baseline), calamine's raw parse (the floor), ours.

    python benchmarks/bench_excel.py [PATH] [--rows N] [--rebuild] [--repeat K]

Builds the synthetic workbook once (default /tmp/jykn_bench/户籍人口_100000行.xlsx; valid identity numbers from
make_id, Chinese names, 户号, 城乡属性, town names, real Excel dates), then reads it in one run with
  (a) pandas.read_excel(engine="openpyxl")                      — the named baseline
  (b) python-calamine raw parse into a DataFrame               — the floor: no header search, no parsing, no checks
  (c) jykn_lib.io.reader.read_files                            — ours: header search, per-cell parsing, schema, keys
and prints the times and the ratios. Targets: ours ≥ 8x faster than the baseline, ours ≤ 2x the floor.
(b) and (c) are timed --repeat times, alternating (best of each kept); the baseline once. Speed is never asserted by
a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from pathlib import Path

import pandas as pd


def build(path: Path, rows: int, seed: int = 20261126) -> None:
    import xlsxwriter

    from jykn_lib.contract import district
    from jykn_lib.idcard import make_id

    rng = random.Random(seed)
    towns = district()["towns"]
    surnames = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅文斌辉鹏飞婷雪琳晨欣宇浩然子轩"
    relations = ["户主", "配偶", "子", "女", "父", "母", "孙子", "孙女"]
    statuses = ["正常"] * 97 + ["迁出省内", "迁出省外", "死亡"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    ws = wb.add_worksheet("户籍人口")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["公民身份号码", "姓名", "户号", "城乡属性", "所属镇街", "所属村居", "与户主关系", "户籍状态",
                        "变动日期"])
    base = dt.date(1940, 1, 1)
    for i in range(1, rows + 1):
        # unique numbers: a distinct birth date per block of 1000 sequence numbers
        birth = base + dt.timedelta(days=(i // 1000) * 200 + rng.randrange(200))
        town = rng.choice(towns)
        villages = list(town["villages"]) or [f"{town['name'][:2]}第{k}村" for k in range(1, 9)]
        ws.write_string(i, 0, make_id("441803", birth, i % 1000))
        ws.write_string(i, 1, rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2)))))
        ws.write_string(i, 2, f"4418030{i // 3:08d}")
        ws.write_string(i, 3, rng.choice(("城镇", "农村")))
        ws.write_string(i, 4, town["name"])
        ws.write_string(i, 5, rng.choice(villages))
        ws.write_string(i, 6, rng.choice(relations))
        ws.write_string(i, 7, rng.choice(statuses))
        ws.write_datetime(i, 8, dt.datetime(2000, 1, 1) + dt.timedelta(days=rng.randrange(9800)), date_fmt)
    wb.close()
    tmp.replace(path)


def baseline(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, engine="openpyxl")


def floor(path: Path) -> pd.DataFrame:
    from python_calamine import load_workbook

    sheet = load_workbook(str(path)).get_sheet_by_index(0)
    rows = sheet.to_python()
    return pd.DataFrame(rows[1:], columns=rows[0])


def ours(path: Path):
    from jykn_lib.io.reader import read_files

    return read_files([path], as_of=dt.date(2026, 11, 26))


def timed(fn, path: Path, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(path)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", help="工作簿路径（默认 /tmp/jykn_bench/户籍人口_<N>行.xlsx）")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rebuild", action="store_true", help="重新生成工作簿")
    ap.add_argument("--repeat", type=int, default=3, help="(b)(c) 各计时几次，取最快")
    args = ap.parse_args(argv)
    path = Path(args.path) if args.path else Path("/tmp/jykn_bench") / f"户籍人口_{args.rows}行.xlsx"
    if not path.name.startswith("户籍人口"):
        ap.error("文件名须以“户籍人口”开头（读取器按文件名识别来源）")
    if args.rebuild or not path.exists():
        t0 = time.perf_counter()
        build(path, args.rows)
        print(f"生成 {path}（{args.rows} 行）：{time.perf_counter() - t0:.1f} 秒")
    print(f"文件：{path}（{path.stat().st_size / 1e6:.1f} MB）  Python {platform.python_version()}  "
          f"CPU {platform.machine()}")

    # (b) and (c) alternate so that a busy moment of a shared machine does not fall on one of them only
    floors, ourses = [], []
    for _ in range(args.repeat):
        t, df_floor = timed(floor, path, 1)
        floors.append(t)
        t, ds = timed(ours, path, 1)
        ourses.append(t)
    t_floor, t_ours = min(floors), min(ourses)
    t_base, df_base = timed(baseline, path, 1)

    files = ds.files.iloc[0]
    assert len(df_base) == len(df_floor) == int(files["读入行数"]), "三种读法的行数不一致"
    assert int(files["读入行数"]) == int(files["使用行数"]) + int(files["剔除行数"])
    print(f"(a) 基线 pandas.read_excel(openpyxl)：{t_base:8.2f} 秒  {len(df_base)} 行")
    print(f"(b) 下限 calamine 原始解析→DataFrame：{t_floor:8.2f} 秒  {len(df_floor)} 行")
    print(f"(c) 本读取器 read_files            ：{t_ours:8.2f} 秒  使用 {files['使用行数']} 行，剔除 {files['剔除行数']} 行，"
          f"问题数据 {len(ds.problems)} 条")
    pairs = "、".join(f"{o / f:.2f}" for f, o in zip(floors, ourses))
    print(f"逐次（本读取器/下限）：{pairs}")
    speedup, over_floor = t_base / t_ours, t_ours / t_floor
    print(f"本读取器比基线快 {speedup:.1f} 倍（目标 ≥ 8 倍）：{'达到' if speedup >= 8 else '未达到'}")
    print(f"本读取器是下限的 {over_floor:.2f} 倍（目标 ≤ 2 倍）：{'达到' if over_floor <= 2 else '未达到'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
