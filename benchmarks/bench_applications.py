"""05 认定审核 at the scale of a large district: one decision run over many applications.

Reuses the in-memory district of ``district.build`` (N residents, default 1,000,000) and makes A applications
(default 20,000: a year of a large city's applications) from its registered unemployed people, with materials written
as clerks write them (synonyms, some missing, some unknown names). Times ``decide_applications`` (the engine twice —
申请日 and 决定日 — plus materials and reasons) and the analysis's ``decide_run`` around it (deadlines, 公示, texts).

Usage: python benchmarks/bench_applications.py [N] [A]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from district import build

from jykn_lib.analyses.applications import decide_run
from jykn_lib.params import load_parameters
from jykn_lib.rules.applications import decide_applications

ON = dt.date(2026, 11, 26)
WRITTEN = ["申请表、身份证、承诺书", "就业困难人员认定申请表、居民身份证、无业承诺书、户口本", "身份证、承诺书",
           "申请表；身份证，保证书", "就业困难人员认定申请表、居民身份证、无业承诺书、退役证"]


def applications(tables, a: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = tables["unemployment"]["id_number"].drop_duplicates().to_numpy()
    pick = rng.choice(ids, size=min(a, len(ids)), replace=False)
    n = len(pick)
    cats = np.array(["01", "07", "01,07", "03", "02", "11"])[rng.integers(0, 6, n)]
    return pd.DataFrame({
        "application_id": [f"SQ{i:07d}" for i in range(n)], "id_number": pick, "name": "某",
        "apply_date": pd.Timestamp(ON) - pd.to_timedelta(rng.integers(1, 60, n), unit="D"), "categories": cats,
        "town": "太和镇", "materials": np.array(WRITTEN, dtype=object)[rng.integers(0, len(WRITTEN), n)],
        "women_base": np.where(rng.random(n) < 0.1, 55.0, np.nan), "accept_date": pd.NaT, "objection": None,
        "phone": None, "_file": "认定申请.xlsx", "_row": np.arange(n) + 3})


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    a = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    params = load_parameters()
    t = time.perf_counter()
    tables = build(n)
    apps = applications(tables, a)
    print(f"district {n:,} residents, {len(apps):,} applications: built in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    d = decide_applications(apps, tables, ON, params)
    rules = time.perf_counter() - t
    print(f"decide_applications: {rules:.1f} s", d.summary["conclusion"].value_counts().to_dict())
    setup = SimpleNamespace(params=params, as_of=ON)
    t = time.perf_counter()
    decide_run(apps, tables, setup)
    print(f"decide_run (whole decision of a run): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
