"""Kept results: the typed tables one step hands to the next (Parquet), never our own Excel read back.

A kept bundle is a folder::

    <scope>/results/<name>/
        <table>.parquet      one file per table, the dtypes as computed (identity numbers as text)
        schema.json          every table: its columns, dtypes and descriptions (docs/results.md explains them)
        meta.json            what the tables are about: notebook, quarter, as_of, the inputs' fingerprint …

A notebook's district run keeps its :class:`Result` in ``区汇总/results/<notebook>/``; its town runs load it from there
(after checking it was made from the same inputs and date), and so do later steps — the next quarter, the annual
assessment. Beside every workbook a run writes, its sheets are kept the same way (``results/<workbook stem>/``).
Files are written atomically and readable by their owner only: they hold personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, TypeVar

import pandas as pd

from ..files import atomic_json, atomic_write

SCHEMA = "schema.json"
META = "meta.json"
FORMAT = 1
TOWN_COLUMNS = ("所属镇街", "town")  # the column a table is split by, in this order of preference

R = TypeVar("R", bound="Result")


class ResultError(ValueError):
    """Kept results are missing or were made from other inputs. Messages are Chinese."""


@dataclass
class Result:
    """A set of named tables and their metadata. Notebook analyses subclass it for convenient views.

    ``town_columns`` says by which column each table is split for a town run (a table not named there is split by
    the first of :data:`TOWN_COLUMNS` it has, or kept whole when it has none).
    """

    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any] = field(default_factory=dict)
    descriptions: ClassVar[dict[str, str]] = {}  # table → what it holds (Chinese), for schema.json
    town_columns: ClassVar[dict[str, str | None]] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def town_column(self, name: str) -> str | None:
        if name in self.town_columns:
            return self.town_columns[name]
        frame = self.tables[name]
        return next((c for c in TOWN_COLUMNS if c in frame.columns), None)

    @property
    def as_of(self) -> dt.date:
        """The base date the tables were made for (every analysis keeps it in ``meta``)."""
        return dt.date.fromisoformat(self.meta["as_of"])

    @property
    def missing(self) -> list[str]:
        """The optional sources that were not provided (what could not be decided is said in the report)."""
        return list(self.meta.get("missing", []))

    def for_town(self: R, town: str) -> R:
        """The same result with every town-split table holding only ``town``'s rows."""
        tables = {}
        for name, frame in self.tables.items():
            col = self.town_column(name)
            tables[name] = frame[frame[col] == town].reset_index(drop=True) if col else frame
        return type(self)(tables, {**self.meta, "town": town})


# ------------------------------------------------------------------------------------------------------ writing


def _describe_columns(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{"name": str(c), "dtype": str(frame[c].dtype)} for c in frame.columns]


def save_tables(folder: Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None,
                descriptions: dict[str, str] | None = None) -> Path:
    """Write ``tables`` as Parquet (atomically, owner-only) with their schema and metadata; stale tables removed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        atomic_write(folder / f"{name}.parquet", lambda tmp, f=frame: f.to_parquet(tmp, index=False), personal=True)
    for old in folder.glob("*.parquet"):
        if old.stem not in tables:
            old.unlink()
    schema = {"format": FORMAT, "tables": {
        name: {"description": (descriptions or {}).get(name, ""), "rows": int(len(frame)),
               "columns": _describe_columns(frame)} for name, frame in tables.items()}}
    atomic_json(folder / SCHEMA, schema, personal=False)
    atomic_json(folder / META, {"format": FORMAT, **(meta or {})}, personal=False, default=str)
    return folder


def save_result(result: Result, folder: Path) -> Path:
    return save_tables(folder, result.tables, result.meta, type(result).descriptions)


# ------------------------------------------------------------------------------------------------------ reading


def read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_tables(folder: Path, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    folder = Path(folder)
    schema = json.loads((folder / SCHEMA).read_text(encoding="utf-8"))
    wanted = list(names) if names is not None else list(schema["tables"])
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in wanted}


def load_result(cls: type[R], folder: Path, expect: dict[str, Any] | None = None, what: str = "区汇总运行") -> R:
    """Load a kept result; ``expect`` (e.g. as_of, inputs) must equal its metadata, else :class:`ResultError`."""
    folder = Path(folder)
    meta = read_meta(folder)
    if meta is None:
        raise ResultError(f"找不到{what}保存的结果（{folder}）：请先运行本 Notebook 的区汇总（town=“全区”），"
                          "镇街运行读取它的结果。")
    for key, want in (expect or {}).items():
        if meta.get(key) != want:
            raise ResultError(f"{what}保存的结果（{folder}）与本次运行不符：{key} 为 {meta.get(key)!r}，本次为 "
                              f"{want!r}。请先用相同的参数重新运行区汇总。")
    return cls(load_tables(folder), meta)


# -------------------------------------------------------------------------------------------------- fingerprints


def inputs_fingerprint(data_dir: Path) -> str:
    """Names, sizes and modification times of the data folder's files: which inputs a kept result was made from."""
    h = hashlib.sha256()
    for p in sorted(Path(data_dir).iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]
