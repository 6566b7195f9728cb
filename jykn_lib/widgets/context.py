"""The query context: what the forms work over, built once per data folder and quarter.

    setup = kit.validate_parameters(notebook="06", quarter=…, as_of=…, data_dir=…, out_dir=…)
    ctx = build_context(setup)

* ``ctx.data`` — the reader's DataSet of the data folder (every source of the contract);
* ``ctx.tables`` — its tables keyed for the rule engine (``prepare_tables``);
* ``ctx.kept`` — the kept results (Parquet bundles) of the notebooks' district runs for this quarter and the quarters
  before it, found under ``<out>/<quarter>/区汇总/results/``. They are read generically: a bundle's tables, their
  descriptions (``schema.json``) and the rows that concern one person (by ``公民身份号码``/``id_number``), so that the
  results of notebooks written later plug in without code changes. Only analysis results are listed, not the sheet
  copies kept beside each workbook (their metadata names a ``workbook``);
* ``ctx.directory`` — one row per person who appears in any source with a name (for the lookup by name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..io.reader import DataSet, read_folder
from ..kit.results import inputs_fingerprint, load_tables, read_meta
from ..periods import Quarter
from ..rules.engine import prepare_tables

ID_COLUMNS = ("公民身份号码", "id_number")
TOWN_COLUMNS = ("所属镇街", "town")
SCREENING = "01"  # the screening's kept result: table `people` (jykn_lib.analyses.screening)
NAMED_SOURCES = ("hukou", "unemployment", "ledger", "dibao", "disability", "veteran", "poverty", "landless", "special",
                 "applications")  # sources with a 姓名 column, in the order a name is taken from
PERSON_COLUMNS = {"posts": "holder_id"}  # sources whose person column is not id_number


@dataclass
class KeptBundle:
    """One kept result folder (``区汇总/results/<name>/``): its metadata, schema and, on demand, its tables."""

    name: str
    quarter: str
    folder: Path
    meta: dict
    schema: dict
    current: bool  # of the context's own quarter
    stale: bool = False  # made from other input files than the data folder holds now
    _tables: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def notebook(self) -> str:
        return str(self.meta.get("notebook") or self.name.split("_")[0])

    def tables(self) -> dict[str, pd.DataFrame]:
        if self._tables is None:
            self._tables = load_tables(self.folder)
        return self._tables

    def description(self, table: str) -> str:
        return str(self.schema.get("tables", {}).get(table, {}).get("description", ""))

    def rows_of(self, id_number: str) -> dict[str, pd.DataFrame]:
        """Every table's rows that concern the person (tables without an identity column are left out)."""
        out = {}
        for name, frame in self.tables().items():
            col = next((c for c in ID_COLUMNS if c in frame.columns), None)
            if col is None:
                continue
            rows = frame[frame[col].astype(str) == id_number]
            if len(rows):
                out[name] = rows.reset_index(drop=True)
        return out


@dataclass
class QueryContext:
    setup: object  # the NotebookSetup of the query notebook (quarter, as_of, folders, params)
    data: DataSet
    kept: list[KeptBundle]
    cache: dict = field(default_factory=dict, repr=False)  # tables the forms derive once (the listing's base)

    @property
    def params(self):
        return self.setup.params

    @property
    def as_of(self) -> dt.date:
        return self.setup.as_of

    @property
    def quarter(self) -> str:
        return self.setup.quarter_str

    @property
    def contract(self):
        return self.params.contract

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        return prepare_tables(self.data.tables)

    def bundles(self, notebook: str | None = None, current: bool | None = None) -> list[KeptBundle]:
        return [b for b in self.kept if (notebook is None or b.notebook == notebook)
                and (current is None or b.current == current)]

    def screening(self) -> pd.DataFrame | None:
        """01's ``people`` table of this quarter, or None when 01 has not been run for it."""
        for b in self.bundles(SCREENING, current=True):
            if "people" in b.tables():
                return b.tables()["people"]
        return None

    @cached_property
    def directory(self) -> pd.DataFrame:
        """One row per person with a name in any source: 公民身份号码, 姓名, 所属镇街, 所属村居, the normalised name."""
        parts = []
        for name in NAMED_SOURCES:
            t = self.data.tables.get(name)
            if t is None or t.empty or "name" not in t:
                continue
            part = pd.DataFrame({"公民身份号码": t["id_number"].astype("string[pyarrow]"), "姓名": t["name"].to_numpy(),
                                 "所属镇街": t["town"].to_numpy() if "town" in t else None,
                                 "所属村居": t["village"].to_numpy() if "village" in t else None})
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["公民身份号码", "姓名", "所属镇街", "所属村居", "_key"])
        every = pd.concat(parts, ignore_index=True).dropna(subset=["公民身份号码", "姓名"])
        # parts are in NAMED_SOURCES order: per person the first source's name, and the first town/village any has
        out = every.groupby("公民身份号码", sort=True).first().reset_index()
        out["公民身份号码"] = out["公民身份号码"].astype(object)
        out["_key"] = normalize_name(out["姓名"])
        return out

    def find_name(self, name: str) -> pd.DataFrame:
        """People whose name is ``name`` (after removing spaces and full-width forms); if none, names containing it."""
        key = normalize_name(pd.Series([name])).iloc[0]
        d = self.directory
        if not key:
            return d.iloc[0:0]
        hits = d[d["_key"] == key]
        if hits.empty:
            hits = d[d["_key"].str.contains(key, regex=False)]
        return hits.sort_values(["所属镇街", "所属村居", "公民身份号码"], na_position="last").reset_index(drop=True)

    def source_rows(self, source: str, id_number: str) -> pd.DataFrame:
        """Every row of a source that concerns the person, conflicting rows included (the reader's ``all_rows``)."""
        frame = self.data.all_rows.get(source)
        if frame is None:
            frame = self.data.tables.get(source)
        if frame is None or frame.empty:
            return pd.DataFrame()
        col = PERSON_COLUMNS.get(source, "id_number")
        return frame[frame[col].astype(str) == id_number].reset_index(drop=True)

    def subset(self, ids) -> dict[str, pd.DataFrame]:
        """The engine tables cut to the rows of ``ids`` and their households (same answers, less work)."""
        ids = set(map(str, ids))
        hukou = self.tables.get("hukou")
        if hukou is not None and len(hukou):
            own = hukou.loc[hukou["id_number"].astype(str).isin(ids), "household_id"].dropna()
            ids |= set(hukou.loc[hukou["household_id"].isin(own), "id_number"].astype(str))
        out = {}
        for name, frame in self.tables.items():
            col = PERSON_COLUMNS.get(name, "id_number")
            out[name] = frame[frame[col].astype(str).isin(ids)] if col in frame else frame
        return out

    def summary_lines(self) -> list[str]:
        """What the context holds, in words and numbers only (no personal data): for the notebook without a front end."""
        c = self.contract
        read = [f"{c[n].title} {len(t)} 行" for n, t in self.data.tables.items()]
        lines = [f"季度 {self.quarter}，基准日 {self.as_of:%Y-%m-%d}；已读取的数据来源：" + "、".join(read) + "。"]
        if self.data.missing:
            lines.append("未提供：" + "、".join(c[n].title for n in self.data.missing) + "。")
        if self.data.broken:
            lines.append("无法使用：" + "、".join(c[n].title for n in self.data.broken) + "。")
        if self.kept:
            lines.append("保存的结果：" + "、".join(f"{b.quarter} {b.name}" + ("（数据文件已变化）" if b.stale else "")
                                              for b in self.kept) + "。")
        else:
            lines.append("没有找到保存的结果（各 Notebook 的区汇总运行后才有）。")
        return lines


def normalize_name(names: pd.Series) -> pd.Series:
    """Names compared without spaces, full-width forms or a middle dot variant (vectorised, Arrow compute)."""
    arr = pa.array(names.astype(object).where(names.notna(), "").astype(str).to_numpy(), type=pa.string())
    arr = pc.replace_substring_regex(pc.utf8_normalize(arr, form="NFKC"), pattern=r"\s+", replacement="")
    arr = pc.replace_substring_regex(arr, pattern="[.•・]", replacement="·")  # the middle dot of 阿依·古丽
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=names.index, dtype=object)


def find_bundles(out_root: Path, quarter: str, data_dir: Path) -> list[KeptBundle]:
    """Kept analysis results of ``quarter`` and of the quarters before it, newest quarter first."""
    q = Quarter.parse(quarter)
    found: list[KeptBundle] = []
    if not Path(out_root).is_dir():
        return found
    quarters = []
    for folder in Path(out_root).iterdir():
        try:
            quarters.append((Quarter.parse(folder.name), folder))
        except ValueError:
            continue
    fingerprint = inputs_fingerprint(data_dir) if Path(data_dir).is_dir() else None
    for other, folder in sorted(quarters, reverse=True):
        if other > q:
            continue
        results = folder / "区汇总" / "results"
        if not results.is_dir():
            continue
        for sub in sorted(results.iterdir()):
            meta = read_meta(sub)
            schema = _schema(sub)
            if meta is None or schema is None or "workbook" in meta:
                continue
            current = str(other) == str(q)
            stale = bool(current and fingerprint and meta.get("inputs") and meta["inputs"] != fingerprint)
            found.append(KeptBundle(sub.name, str(other), sub, meta, schema, current, stale))
    return found


def _schema(folder: Path) -> dict | None:
    import json

    try:
        return json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_context(setup, data: DataSet | None = None) -> QueryContext:
    """Read the data folder (every source) and index the kept results of the setup's quarter and the ones before."""
    if data is None:
        data = read_folder(setup.data_dir, as_of=setup.as_of)
    kept = find_bundles(setup.out_root, setup.quarter_str, setup.data_dir)
    return QueryContext(setup=setup, data=data, kept=kept)


def person_ids(frame: pd.DataFrame) -> np.ndarray:
    col = next((c for c in ID_COLUMNS if c in frame.columns), None)
    return frame[col].astype(str).to_numpy() if col else np.array([], dtype=object)
