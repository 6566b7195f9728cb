"""What the clause families share: collecting (row, code, evidence) reasons in blocks, and joining codes per row.

Every clause module adds its codes through a :class:`Collector` — one column block per rule, never one row per
person — and the engine turns the long table into per-person code lists with :func:`codes_by_row`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .reasons import Reason


class Collector:
    """Accumulates (row, code, kind, evidence) in column blocks."""

    def __init__(self, reasons: dict[str, Reason]):
        self.blocks: list[pd.DataFrame] = []
        self.reasons = reasons

    def add(self, code: str, mask, evidence=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        if evidence is None:
            ev = np.full(len(rows), "", dtype=object)
        elif isinstance(evidence, str):
            ev = np.full(len(rows), evidence, dtype=object)
        else:
            ev = np.asarray(pd.Series(evidence).reset_index(drop=True).iloc[rows].astype(str))
        self.blocks.append(pd.DataFrame({"row": rows, "code": code, "kind": self.reasons[code].kind, "evidence": ev}))

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return pd.DataFrame({"row": pd.Series(dtype=int), "code": pd.Series(dtype=object),
                                 "kind": pd.Series(dtype=object), "evidence": pd.Series(dtype=object)})
        return pd.concat(self.blocks, ignore_index=True)


def codes_by_row(long: pd.DataFrame, n: int, order: list[str]) -> np.ndarray:
    """Long (row, code) pairs → 'X_A,X_B' per row, codes in ``order`` (the registry order); one pass per code."""
    codes, seen = pd.factorize(long["code"])  # one pass over the text, then integer comparisons
    at = {code: i for i, code in enumerate(seen)}
    present = [c for c in order if c in at]
    rows = long["row"].to_numpy()
    matrix = np.zeros((n, len(present)), dtype=bool)
    for j, code in enumerate(present):
        matrix[rows[codes == at[code]], j] = True
    return join_codes(matrix, present)


def join_codes(matrix: np.ndarray, codes: list[str]) -> np.ndarray:
    """Boolean matrix → '01,07' per row, vectorised by column."""
    out = np.full(matrix.shape[0], "", dtype=object)
    for j, code in enumerate(codes):
        col = matrix[:, j]
        out[col] = np.where(out[col] == "", code, out[col] + "," + code)
    return out


def fmt_date(s: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text for evidence ('' where blank); numpy's formatting (strftime is a loop in Python)."""
    d = pd.Series(pd.to_datetime(s))
    codes, days = pd.factorize(d.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"))  # NaT: code -1
    text = np.append(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D").astype(object), "")
    return pd.Series(text[codes], index=d.index, dtype=object)


def age_text(f: pd.DataFrame) -> pd.Series:
    """'女，40周岁' — the evidence of an age rule."""
    return f["sex"].fillna("") + "，" + f["age"].fillna(-1).astype(int).astype(str) + "周岁"


def employer_suffix(f: pd.DataFrame) -> pd.Series:
    """'：清远某某公司' when the unit contributions in the window name an employer, else ''."""
    if "emp_unit_employer" not in f:
        return pd.Series("", index=f.index)
    name = f["emp_unit_employer"].fillna("").astype(str)
    return pd.Series(np.where(name != "", "：" + name, ""), index=f.index)
