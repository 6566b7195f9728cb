"""Masking a table for the leaders' HTML at district scale, in one run.

A table of N rows (default 620,000, the district's residents): 公民身份号码, 联系电话, 姓名 (1 in 1,000 with an
identity number typed in, spaced), 判定依据 (long Chinese text with dates; one in ten with a 户号). Times:

- the baseline: the per-cell way (``idcard.mask`` on every identity number, ``mask_text`` on every text cell);
- ``mask_frame`` (identity numbers masked with pyarrow; only cells that can hold a number rescanned).

Prints seconds and the ratio. Usage: python benchmarks/bench_masking.py [N]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from jykn_lib import idcard
from jykn_lib.report import mask_frame, mask_text


def build(n: int, seed: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    births = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 365 * 45, n), unit="D")
    ids = idcard.make_ids("441803", births, np.arange(n) % 1000)
    names = np.where(rng.random(n) < 0.001, "张三 " + pd.Series(ids).str.slice(0, 6) + " " +
                     pd.Series(ids).str.slice(6), "张三")
    older = "01 大龄失业人员：女，45周岁（粤人社规〔2023〕11号 第一条第（一）项）；07 连续失业1年以上人员：最近一次失业登记 2025-09-02"
    household = "04 城镇零就业家庭人员：户号 441803102000170，城镇户籍，家庭3人（粤人社规〔2023〕11号 第一条第（四）项）"
    basis = np.where(rng.random(n) < 0.1, household, older)  # about one in ten carries a 户号, as in the demo district
    return pd.DataFrame({"公民身份号码": ids, "联系电话": "13912345678", "姓名": names, "判定依据": basis})


def per_cell(df: pd.DataFrame) -> pd.DataFrame:
    out = df.drop(columns=["联系电话"]).copy()
    out["公民身份号码"] = [idcard.mask(v) for v in out["公民身份号码"]]
    for col in ("姓名", "判定依据"):
        out[col] = [mask_text(v) for v in out[col]]
    return out


def main(n: int) -> None:
    df = build(n)
    t = time.perf_counter()
    base = per_cell(df)
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    fast = mask_frame(df)
    t_fast = time.perf_counter() - t
    assert base["公民身份号码"].tolist() == fast["公民身份号码"].tolist()
    assert base["姓名"].tolist() == fast["姓名"].tolist() and base["判定依据"].tolist() == fast["判定依据"].tolist()
    print(f"mask, {n:,} rows: per cell (baseline) {t_base:.2f} s; mask_frame {t_fast:.2f} s; "
          f"{t_base / t_fast:.1f}× faster")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 620_000)
