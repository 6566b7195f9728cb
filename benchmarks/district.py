"""An in-memory district of N residents for the benchmarks: households, registered unemployed people, department
lists, 24 months of contributions for the employed, market entities, a ledger and its services.

    tables = build(1_000_000)          # the reader's source tables (field names of params/contract/sources.yaml)

Deterministic for a seed. The data is plausible, not a faithful district: enough of every source for the engine to do
all its joins at scale. Every table carries the person codes (``_pid``) the reader adds when it parses a file
(``idcard.add_person_codes``, the same helper), so the benchmarks time what the engine does in a real run.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from jykn_lib.idcard import add_person_codes, make_ids

AS_OF = pd.Timestamp("2026-11-26")


def build(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    births = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 70, n), unit="D")
    seq = np.arange(n) % 1000
    ids = make_ids(np.where(rng.random(n) < 0.9, "441803", "441827"), births, seq)
    # make IDs unique (same birth date and sequence can collide at this size)
    ids = pd.Series(ids).drop_duplicates().to_numpy()
    n = len(ids)
    household = (np.arange(n) // 3).astype(str)
    hukou = pd.DataFrame({
        "id_number": ids, "household_id": household,
        "area_type": np.where(rng.random(n // 3 + 1)[np.arange(n) // 3] < 0.5, "城镇", "农村"), "town": "太和镇",
        "hukou_status": np.where(rng.random(n) < 0.98, "正常", "迁出省外"), "change_date": pd.NaT,
    })
    unemployed = rng.random(n) < 0.06
    unemployment = pd.DataFrame({
        "id_number": ids[unemployed],
        "reg_date": AS_OF - pd.to_timedelta(rng.integers(10, 900, unemployed.sum()), unit="D"),
        "reg_status": "有效", "able": pd.array([pd.NA] * unemployed.sum(), dtype="boolean"),
        "willing": pd.array([pd.NA] * unemployed.sum(), dtype="boolean"),
    })
    employed_ids = ids[(~unemployed) & (rng.random(n) < 0.45)]
    periods = [int(f"{y}{m:02d}") for y in (2025, 2026) for m in range(1, 13) if int(f"{y}{m:02d}") <= 202611]
    contributions = pd.DataFrame({
        "id_number": np.repeat(employed_ids, len(periods)),
        "period": np.tile(periods, len(employed_ids)),
        "contrib_type": "单位",
    })
    pick = lambda share: ids[rng.random(n) < share]  # noqa: E731
    m_ids = pick(0.02)
    market = pd.DataFrame({"id_number": m_ids, "entity_name": "某公司", "role": "法定代表人", "entity_status": "存续",
                           "founded_date": pd.Timestamp("2020-01-01"), "closed_date": pd.NaT})
    d_ids = pick(0.02)
    dibao = pd.DataFrame({"id_number": d_ids, "assistance_type": "农村低保", "start_date": pd.Timestamp("2024-01-01"),
                          "end_date": pd.NaT})
    l_ids = ids[unemployed][: max(1, unemployed.sum() // 10)]
    ledger = pd.DataFrame({"id_number": l_ids, "status": "有效", "recognised_date": pd.Timestamp("2026-03-01"),
                           "categories": "01"})
    services = pd.DataFrame({"id_number": np.repeat(l_ids, 3), "service_date": pd.Timestamp("2026-10-01"),
                             "service_type": "跟踪回访", "method": "电话", "result": "已联系"})
    tables = {"hukou": hukou, "unemployment": unemployment, "contributions": contributions, "market": market,
              "dibao": dibao, "ledger": ledger, "services": services}
    return {name: add_person_codes(df) for name, df in tables.items()}


def floor(tables) -> None:
    """The joins any implementation must do: unemployed ⋈ 户籍人口, ⋈ 社保缴费 in the window, household members."""
    u = tables["unemployment"][["id_number"]]
    h = u.merge(tables["hukou"], on="id_number")
    c = tables["contributions"]
    c = c[c["id_number"].isin(u["id_number"]) & (c["period"] >= 202608)]
    u.merge(c, on="id_number")
    tables["hukou"].merge(h[["household_id"]].drop_duplicates(), on="household_id")


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out
