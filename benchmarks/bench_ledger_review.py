"""03 台账检查 at the scale of a district (620,000 residents) or a city (4 million), in one run.

Builds the district of benchmarks/district.py (households, registered unemployed, contributions, market, 低保),
gives its ledger the review's columns and every recognised person about twenty 帮扶记录 (the plan and a follow-up
every few weeks), adds 公益性岗位, and times the review (``jykn_lib.analyses.ledger_review.review``: the engine at
the 认定日期, the exit family, the services family, the policy list, the posts) against the floor of the joins it
cannot avoid. Usage: python benchmarks/bench_ledger_review.py [N residents, default 620000]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from district import AS_OF, build

from jykn_lib.analyses import ledger_review as L
from jykn_lib.io import problems as P
from jykn_lib.io.reader import DataSet
from jykn_lib.params import load_parameters


def enrich(tables: dict, seed: int = 11) -> dict:
    rng = np.random.default_rng(seed)
    towns = load_parameters().town_names()
    ledger = tables["ledger"]
    n = len(ledger)
    rec = AS_OF - pd.to_timedelta(rng.integers(30, 700, n), unit="D")
    ledger = ledger.assign(
        name="某某", town=np.array(towns, dtype=object)[rng.integers(0, len(towns), n)], village="某村",
        recognised_date=rec, phone="13800000000", grade=np.array(["A", "B", "C"])[rng.integers(0, 3, n)],
        employment_status=np.where(rng.random(n) < 0.8, "未就业", "单位就业"), employment_date=pd.NaT,
        employment_status_date=pd.NaT, women_base=pd.array([pd.NA] * n, dtype="Int64"), exit_date=pd.NaT,
        policies_claimed=None, helper="某经办", skills="无", income_change="无变化",
        _file="就业困难人员台账.xlsx", _row=np.arange(n) + 3)
    k = 20
    ids = np.repeat(ledger["id_number"].to_numpy(), k)
    offset = np.tile(np.array([2, 5, 8, 12, 20] + [20 + 25 * i for i in range(1, k - 4)]), n)
    day = np.repeat(rec.to_numpy(), k) + pd.to_timedelta(offset, unit="D").to_numpy()
    kinds = np.tile(np.array(["职业指导", "岗位推荐", "岗位推荐", "岗位推荐", "职业培训"] + ["跟踪回访"] * (k - 5)), n)
    services = pd.DataFrame({"id_number": ids, "service_date": day, "service_type": kinds, "method": "电话",
                             "result": np.where(rng.random(n * k) < 0.9, "已联系", "未接通")})
    services = services[services["service_date"] <= AS_OF].reset_index(drop=True)
    m = max(1, n // 4)
    posts = pd.DataFrame({"town": np.array(towns, dtype=object)[rng.integers(0, len(towns), m)],
                          "post_id": [f"GY{i:07d}" for i in range(m)], "post_category": "保洁",
                          "created_date": pd.Timestamp("2025-01-01"), "post_name": "保洁员",
                          "holder_id": np.where(rng.random(m) < 0.6, ledger["id_number"].to_numpy()[:m], None),
                          "start_date": pd.Timestamp("2026-06-01"), "leave_date": pd.NaT,
                          "report_date": pd.Timestamp("2026-03-20"), "_file": "公益性岗位.xlsx",
                          "_row": np.arange(m) + 3})
    return {**tables, "ledger": ledger, "services": services, "posts": posts}


def dataset(tables: dict) -> DataSet:
    all_rows = {"ledger": tables["ledger"].assign(_chosen=True)}
    files = pd.DataFrame({"来源": ["就业困难人员台账"], "文件": ["就业困难人员台账.xlsx"], "读入行数": [len(tables["ledger"])],
                          "使用行数": [len(tables["ledger"])], "剔除行数": [0], "合并重复行数": [0]})
    return DataSet(tables=tables, all_rows=all_rows, problems=P.empty_frame(), files=files, missing=[], ignored=[],
                   errors=[], as_of=AS_OF.date(), requested=list(L.SOURCES))


def floor(tables: dict) -> None:
    """The joins any review must do: ledger ⋈ 帮扶记录, ⋈ 社保缴费 after recognition, ⋈ 户籍人口."""
    led = tables["ledger"][["id_number", "recognised_date"]]
    led.merge(tables["services"], on="id_number").groupby("id_number").size()
    c = tables["contributions"]
    led.merge(c[c["id_number"].isin(led["id_number"])], on="id_number")
    led.merge(tables["hukou"], on="id_number")


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 620_000
    t_build, tables = timed(lambda: enrich(build(n)))
    params = load_parameters()
    ds = dataset(tables)
    t_floor, _ = timed(floor, tables)
    t_review, res = timed(L.review, ds, dt.date(2026, 11, 26), params, [])
    print(f"居民 {len(tables['hukou']):,} 人；台账有效 {len(res.tables['people']):,} 人；帮扶记录 {len(tables['services']):,} 行；"
          f"缴费 {len(tables['contributions']):,} 行；公益性岗位 {len(tables['posts']):,} 个（构造数据 {t_build:.1f} 秒）")
    print(f"基线（必要的连接，floor）：{t_floor:.2f} 秒")
    print(f"台账检查 review：{t_review:.2f} 秒 = {t_review / t_floor:.1f} × floor；问题 {len(res.problems):,} 个，"
          f"政策推送 {len(res.tables['push']):,} 条")


if __name__ == "__main__":
    main()
