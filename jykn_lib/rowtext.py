"""Per-row and per-group text without a Python loop per row (issue 15: nothing that grows with the district).

    joined = join_groups(frame, "公民身份号码", "问题", "；", unique=True)   # Series: key → 'A；B'
    out = join_by_row(long["row"], long["text"], n, "、")                   # array of n texts, '' where none
    text = cell_texts(series)                                               # ledger._text on every value
    labels = per_value(codes, fn)                                           # fn once per distinct value

Joining uses pyarrow's list join (one C++ pass over all texts); ``per_value`` calls ``fn`` once per distinct value,
which is bounded by the codes and categories (parameters), not by the people.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _join_codes(codes: np.ndarray, texts: np.ndarray, n_groups: int, sep: str) -> np.ndarray:
    """codes[i] in [0, n_groups) → per group, its texts in their order joined by sep ('' for a group without any)."""
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_groups)
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = pa.array(np.asarray(texts, dtype=object)[order], type=pa.large_string())
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), values)
    return np.asarray(pc.binary_join(lists, pa.scalar(sep, pa.large_string())).to_numpy(zero_copy_only=False), dtype=object)


def join_groups(frame: pd.DataFrame, by, column: str, sep: str, *, sort: bool = True,
                unique: bool = False) -> pd.Series:
    """``frame.groupby(by, sort=sort)[column].agg(sep.join)`` (``unique``: each text once, first seen first, as
    ``sep.join(dict.fromkeys(s))``), in one pass. Rows with a missing key are left out, as groupby does."""
    if unique:
        keys = [by] if isinstance(by, str) else list(by)
        frame = frame.drop_duplicates([*keys, column])
    g = frame.groupby(by, sort=sort)
    index = g.size().index
    codes = g.ngroup()
    keep = codes.notna().to_numpy() & (codes.to_numpy(dtype=float) >= 0)
    codes = codes.to_numpy(dtype=float)[keep].astype(np.int64)
    texts = frame[column].to_numpy(dtype=object)[keep]
    return pd.Series(_join_codes(codes, texts, len(index), sep), index=index, name=column, dtype=object)


def join_by_row(rows, texts, n: int, sep: str) -> np.ndarray:
    """Per row 0..n-1, the texts of the (row, text) pairs in their order joined by sep; '' for a row without any."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return np.full(n, "", dtype=object)
    return _join_codes(rows, np.asarray(texts, dtype=object), n, sep)


def has_part(values: pd.Series, part: str, sep: str) -> np.ndarray:
    """``part in value.split(sep)`` for every value (str; ``sep`` one character): ``part`` between the start or a
    separator and a separator or the end, matched by pyarrow's regex engine in one pass."""
    assert len(sep) == 1
    s = pd.Series(values).reset_index(drop=True)
    if sep in part:
        return np.zeros(len(s), dtype=bool)  # split parts never contain sep
    d = re.escape(sep)
    found = pc.match_substring_regex(pa.array(s.to_numpy(dtype=object), type=pa.large_string()),
                                     f"(?:^|{d}){re.escape(part)}(?:{d}|$)")
    return found.to_numpy(zero_copy_only=False).astype(bool)


def per_value(values: pd.Series, fn: Callable) -> np.ndarray:
    """``fn`` of each value, computed once per distinct value (values are codes or their combinations)."""
    s = pd.Series(values).reset_index(drop=True)
    if s.isna().any():
        raise ValueError("per_value: fill missing values first (fn(None) and fn(nan) may differ)")
    codes, uniques = pd.factorize(s)
    done = np.empty(len(uniques), dtype=object)
    done[:] = [fn(u) for u in uniques]
    return done[codes]


def _str(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=object).astype(str).astype(object)  # str() of each value, by numpy


def cell_texts(values: pd.Series) -> pd.Series:
    """Every value as ``ledger._text`` writes it: '' for a blank, dates as YYYY-MM-DD, anything else ``str`` (a
    ``date``'s str is its isoformat)."""
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.strftime("%Y-%m-%d").fillna("").astype(object)
    obj = s.astype(object)
    out = pd.Series("", index=s.index, dtype=object)
    kinds = obj.map(type)  # the C-level type of each value; dispatched per type below, not per value
    for kind in kinds.unique():  # bounded by the number of Python types in a column
        m = (kinds == kind).to_numpy()
        part = obj[m]
        if kind is str:
            out[m] = part
        elif kind is type(None) or kind is type(pd.NaT) or kind is type(pd.NA):  # NaT is a datetime: first
            out[m] = ""
        elif issubclass(kind, dt.datetime):  # str() starts with the date part, zero-padded: YYYY-MM-DD
            out[m] = pd.Series(_str(part), index=part.index).str[:10]
        elif issubclass(kind, float):
            nan = part.isna().to_numpy()
            out[m] = np.where(nan, "", _str(part))
        else:
            out[m] = _str(part)
    return out
