"""Issue 15: the ledger versions and the per-person texts, vectorised against the per-row loops they replaced
(tests/loop_oracles.py), at growing sizes, in one run. The answers must be equal (asserted); prints seconds, the
ratio, and the growth with size (1.0 = linear).

    python benchmarks/bench_vectorised.py [N ...]        # default 10000 100000
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import loop_oracles as OLD

from jykn_lib import kit
from jykn_lib import ledger as L
from jykn_lib.idcard import make_ids
from jykn_lib.io.writer import write_workbook
from jykn_lib.rowtext import has_part, join_groups

ON = dt.date(2026, 10, 30)


def ledger(n: int, fields: list[str], seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    births = pd.Timestamp("1966-01-01") + pd.to_timedelta(rng.integers(0, 365 * 30, n), unit="D")
    ids = pd.Series(make_ids(np.full(n, "441803"), births, np.arange(n) % 1000)).drop_duplicates().to_numpy()
    m = len(ids)
    rows = pd.DataFrame({"id_number": ids, "name": "某某", "town": np.array(["太和镇", "山塘镇", "三坑镇"])[np.arange(m) % 3],
                         "categories": np.array(["01", "01,07", "04", "07"])[rng.integers(0, 4, m)],
                         "recognised_date": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 400, m), "D"),
                         "status": np.where(rng.random(m) < 0.95, "有效", "已退出")})
    return rows.reindex(columns=fields + ["_file", "_row"])


def exits(led: pd.DataFrame, share: float = 0.3, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = led.sample(frac=share, random_state=seed)
    k = len(pick)
    return pd.DataFrame({"id_number": pick["id_number"].to_numpy(), "exit_date": pd.Timestamp(ON),
                         "exit_reason": np.array(["E5", "E10", "E1"])[rng.integers(0, 3, k)], "basis": "镇街核实确认",
                         "evidence": "E5 单位缴费 202609", "source_file": "审验核实表_2026Q4_太和镇.xlsx",
                         "source_row": pd.array(np.arange(k) + 3, dtype="Int64")})


def _old_join(f: pd.DataFrame) -> pd.Series:  # ledger_review._problem_text before issue 15
    return f.groupby("公民身份号码")["问题"].agg(lambda s: "；".join(dict.fromkeys(s)))


def _old_in_split(cats: pd.Series):  # assessment.zero_household before issue 15
    return cats.str.split(",").apply(lambda c: "04" in c).to_numpy()


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def same(a, b) -> None:
    for x, y in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            pd.testing.assert_series_equal(x, y, check_dtype=False)


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        setup = kit.validate_parameters(notebook="02", quarter="2026Q4", as_of=ON.isoformat(), data_dir=str(data),
                                        out_dir=str(Path(tmp) / "out"))
        fields = setup.params.contract["ledger"].fields
        rows = []
        for n in sizes:
            led = ledger(n, fields)
            ex = exits(led)
            t_old, want = timed(OLD.apply_exits, led, ex, version="v", on=ON)
            t_new, got = timed(L.apply_exits, led, ex, version="v", on=ON)
            same(got, want)
            rows.append(("apply_exits", n, len(ex), t_old, t_new))
            new = led.sample(frac=0.2, random_state=1).assign(basis="认定", evidence="申请", source_file="认定申请.xlsx",
                                                               source_row=3)
            new["id_number"] = new["id_number"].str[:-4] + "000X"  # new people
            t_old, want = timed(OLD.add_recognitions, led, new, version="v", on=ON)
            t_new, got = timed(L.add_recognitions, led, new, version="v", on=ON)
            same(got, want)
            rows.append(("add_recognitions", n, len(new), t_old, t_new))
            after, log1 = L.apply_exits(led, ex, version="v", on=ON)
            out, log2 = L.add_recognitions(after, new, version="v2", on=ON)
            path = write_workbook(Path(tmp) / f"台账_{n}.xlsx", L.version_sheets(
                setup, out, pd.concat([log1, log2], ignore_index=True), L.read_change_log(None)))
            t_old, want = timed(OLD.read_change_log, path)
            t_new, got = timed(L.read_change_log, path)
            same(got, want)
            rows.append(("read_change_log", n, len(got), t_old, t_new))
            f = pd.DataFrame({"公民身份号码": np.repeat(led["id_number"].to_numpy(), 3),
                              "问题": np.tile(np.array(["帮扶计划逾期", "跟踪回访逾期", "帮扶计划逾期"]), len(led))})
            t_old, want = timed(_old_join, f)
            t_new, got = timed(join_groups, f, "公民身份号码", "问题", "；", unique=True)
            same(got, want)
            rows.append(("join per person (unique)", n, len(f), t_old, t_new))
            cats = led["categories"].fillna("")
            t_old, want = timed(_old_in_split, cats)
            t_new, got = timed(has_part, cats, "04", ",")
            assert (got == want).all()
            rows.append(("category in split", n, len(cats), t_old, t_new))
    print(f"{'':<26}{'台账行数':>10}{'处理行数':>10}{'逐行循环':>10}{'向量化':>10}{'倍数':>8}")
    for name, n, k, t_old, t_new in rows:
        print(f"{name:<26}{n:>10,}{k:>10,}{t_old:>9.3f}s{t_new:>9.3f}s{t_old / t_new:>7.1f}×")
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        for name in dict.fromkeys(r[0] for r in rows):
            a = next(r for r in rows if r[0] == name and r[1] == first)
            b = next(r for r in rows if r[0] == name and r[1] == last)
            growth = (b[4] / a[4]) / (b[2] / a[2])
            print(f"  {name}：{first:,} → {last:,} 行，向量化用时的增长 {growth:.2f}（1.0 为线性）")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
