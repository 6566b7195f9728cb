"""A city's input files for the benchmarks: ``district.build``'s tables, completed with the columns the data contract
requires (names, towns, villages, phones), written as the contract's CSV exports, split every 500,000 rows as
`jykn synth` and real exports split them (one Excel sheet holds 1,048,576 rows, so a city's 户籍人口 and 社保缴费
arrive as many files).

    tables = city_tables(4_000_000)                 # the engine's source tables, field names of the contract
    written = write_files(tables, Path("city"))      # source → (files, rows); 户籍人口_001.csv …

The files are read back with the project's reader (``read_folder``), so the figures include parsing. Only the sources
screening reads are written (``screening.SOURCES``). 户籍人口 and 社保缴费 are GBK, as `jykn synth` writes them, the
others UTF-8 with a BOM.
"""

from __future__ import annotations

from pathlib import Path

import district
import numpy as np
import pandas as pd

from jykn_lib.contract import load_contract
from jykn_lib.params import load_parameters

ROWS_PER_FILE = 500_000  # as jykn_lib.synth.writers.ROW_LIMITS["csv"]
ENCODING = {"hukou": "gbk", "contributions": "gbk"}  # the rest: UTF-8 with a BOM
SURNAMES = list("陈李黄张梁刘林何罗吴谢邓冯朱郑曾彭苏叶潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉")


def exactly(residents: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``district.build`` with exactly ``residents`` residents: build drops colliding identity numbers (about 6% at
    4 million), so build a little more and keep the first ``residents`` (every source cut to them)."""
    n = int(residents / (1 - residents / 6e7)) + 10  # the share lost grows with n: about 6% at 4 million
    while True:
        tables = district.build(n, seed)
        got = len(tables["hukou"])
        if got >= residents:
            break
        n = int(n * residents / got * 1.002) + 10
    if got > residents:
        tables["hukou"] = tables["hukou"].iloc[:residents]
        keep = tables["hukou"]["id_number"]
        for name, df in tables.items():
            if name != "hukou":
                tables[name] = df[df["id_number"].isin(keep)].reset_index(drop=True)
    return tables


def city_tables(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``exactly(n)`` and what the contract requires besides: every household in one of the district's towns,
    a village, a name per person (the same in every source), a phone for the registered unemployed."""
    tables = exactly(n, seed)
    rng = np.random.default_rng(seed + 1)
    towns = np.array(load_parameters().town_names(), dtype=object)
    h = tables["hukou"]
    household = h["household_id"].astype(np.int64).to_numpy()
    town = towns[household % len(towns)]
    h["town"] = town
    h["village"] = town + pd.Series((household // len(towns)) % 12 + 1).astype(str).to_numpy() + "村"
    names = (pd.Series(np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), len(h))])
             + pd.Series(np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), len(h))])
             + np.where(rng.random(len(h)) < 0.6,
                        pd.Series(np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), len(h))]), ""))
    h["name"] = names.to_numpy()
    by_id = h.set_index("id_number")
    for src in ("unemployment", "dibao", "ledger"):
        t = tables[src]
        t["name"] = by_id["name"].reindex(t["id_number"]).to_numpy()
        if src != "dibao":
            t["town"] = by_id["town"].reindex(t["id_number"]).to_numpy()
    u = tables["unemployment"]
    u["village"] = by_id["village"].reindex(u["id_number"]).to_numpy()
    u["phone"] = "13" + pd.Series(rng.integers(0, 10**9, len(u))).astype(str).str.zfill(9).to_numpy()
    return {name: tables[name] for name in ("hukou", "unemployment", "contributions", "market", "dibao", "ledger")}


def write_files(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, tuple[int, int]]:
    """Each source as CSV files of at most ROWS_PER_FILE data rows, headers in Chinese (the contract's), dates
    YYYY-MM-DD; the ledger, a single file by the contract, is never split. Returns source → (files, rows)."""
    contract = load_contract()
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, df in tables.items():
        src = contract[name]
        fields = [c.field for c in src.columns if c.field in df.columns]
        frame = df[fields].rename(columns={c.field: c.header for c in src.columns})
        size = len(frame) if src.single_file else ROWS_PER_FILE
        starts = range(0, max(len(frame), 1), max(size, 1))
        for k, a in enumerate(starts, start=1):
            stem = src.title if len(starts) == 1 else f"{src.title}_{k:03d}"
            frame.iloc[a:a + size].to_csv(folder / f"{stem}.csv", index=False, date_format="%Y-%m-%d",
                                          encoding=ENCODING.get(name, "utf-8-sig"), lineterminator="\r\n")
        written[name] = (len(starts), len(frame))
    return written
