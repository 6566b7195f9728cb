"""benchmarks/bench_city.py: its files are the contract's (they read back to the tables written, nothing rejected), and
its CI smoke runs end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import city_files  # noqa: E402
import district  # noqa: E402

from jykn_lib.analyses import screening  # noqa: E402
from jykn_lib.io.reader import read_folder  # noqa: E402


def test_city_files_read_back_to_the_tables_written(tmp_path, monkeypatch):
    monkeypatch.setattr(city_files, "ROWS_PER_FILE", 700)  # several files per large source
    tables = city_files.city_tables(1500)
    written = city_files.write_files(tables, tmp_path)
    assert written["hukou"] == (3, 1500) and written["contributions"][0] > 3
    assert written["ledger"][0] == 1  # the contract allows one ledger file only
    assert len(list(tmp_path.glob("户籍人口_*.csv"))) == 3
    ds = read_folder(tmp_path, as_of=district.AS_OF.date(), only=screening.SOURCES)
    assert ds.problems.empty and not ds.broken and ds.count_errors() == []
    for name, df in tables.items():
        got = ds.tables[name]
        assert len(got) == len(df), name
        for col in df.columns:
            want, have = df[col].reset_index(drop=True), got[col].reset_index(drop=True)
            if pd.api.types.is_datetime64_any_dtype(want):
                assert (pd.to_datetime(have).fillna(pd.Timestamp(0)) == want.fillna(pd.Timestamp(0))).all(), (name, col)
            else:
                assert (have.astype(str).fillna("") == want.astype(str).replace("<NA>", "").fillna("")).all(), (
                    name, col)


def test_smoke_prints_the_figures_and_the_verdict():
    done = subprocess.run([sys.executable, str(BENCH / "bench_city.py"), "--smoke"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "读入 = 使用 + 剔除，逐个工作表核对无误" in out
    assert "6 个文件命中缓存" in out  # the measured process loaded every file from the parse cache
    assert "引擎 + 筛查连接" in out and "目标（issue 15）" in out
