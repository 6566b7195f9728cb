"""What the clause families share: collecting (row, code, evidence) reasons in blocks, and joining codes per row.

Every clause module adds its codes through a :class:`Collector` — one column block per rule, never one row per
person — and the engine turns the long table into per-person code lists with :func:`codes_by_row`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .reasons import Reason


class Rows:
    """The facts of some rows (the ones a rule flags), column by column: an evidence text is built for those only."""

    def __init__(self, facts: pd.DataFrame, rows: np.ndarray):
        self.facts, self.rows = facts, rows
        self.index = facts.index[rows]

    def __getitem__(self, column: str) -> pd.Series:
        return self.facts[column].iloc[self.rows]

    def __contains__(self, column: str) -> bool:
        return column in self.facts


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text dtype (what the long table always had)


def _arrow_text(values: pd.Series) -> pa.Array:
    if values.dtype == _STR:
        return values.array._pa_array.combine_chunks().cast(pa.large_string())
    return pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True)


def _repeated(values: list[str], counts: list[int]) -> pa.Array:
    """``values[i]`` repeated ``counts[i]`` times, as one Arrow string array (no Python string per row)."""
    idx = pa.array(np.repeat(np.arange(len(values), dtype=np.int32), counts))
    return pa.DictionaryArray.from_arrays(idx, pa.array(values, type=pa.large_string())).dictionary_decode()


class Collector:
    """Accumulates (row, code, kind, evidence) in column blocks. ``facts``: the frame a callable evidence reads —
    ``c.add(code, mask, lambda r: "…" + r["column"])`` builds the text for the flagged rows only."""

    def __init__(self, reasons: dict[str, Reason], facts: pd.DataFrame | None = None):
        self.blocks: list[tuple[np.ndarray, str, object]] = []  # (rows, code, evidence: one text or an Arrow array)
        self.reasons = reasons
        self.facts = facts

    def add(self, code: str, mask, evidence=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        if evidence is None or isinstance(evidence, str):
            ev = evidence or ""
        elif callable(evidence):
            ev = _arrow_text(pd.Series(evidence(Rows(self.facts, rows))).astype(str))
        else:
            ev = _arrow_text(pd.Series(evidence).reset_index(drop=True).iloc[rows].astype(str))
        self.reasons[code]  # an unknown code fails here, where it is added
        self.blocks.append((rows, code, ev))

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return pd.DataFrame({"row": pd.Series(dtype=int), "code": pd.Series(dtype=object),
                                 "kind": pd.Series(dtype=object), "evidence": pd.Series(dtype=object)})
        sizes = [len(rows) for rows, _, _ in self.blocks]
        codes = [code for _, code, _ in self.blocks]
        evidence = pa.concat_arrays([_repeated([ev], [len(rows)]) if isinstance(ev, str) else ev
                                     for rows, _, ev in self.blocks])
        return pd.DataFrame({"row": np.concatenate([rows for rows, _, _ in self.blocks]),
                             "code": pd.array(_repeated(codes, sizes), dtype=_STR),
                             "kind": pd.array(_repeated([self.reasons[c].kind for c in codes], sizes), dtype=_STR),
                             "evidence": pd.array(evidence, dtype=_STR)})


def codes_by_row(long: pd.DataFrame, n: int, order: list[str], text: bool = False) -> np.ndarray:
    """Long (row, code) pairs → 'X_A,X_B' per row, codes in ``order`` (the registry order); one pass per code."""
    codes, seen = pd.factorize(long["code"])  # one pass over the text, then integer comparisons
    at = {code: i for i, code in enumerate(seen)}
    present = [c for c in order if c in at]
    rows = long["row"].to_numpy()
    matrix = np.zeros((n, len(present)), dtype=bool)
    for j, code in enumerate(present):
        matrix[rows[codes == at[code]], j] = True
    return join_codes(matrix, present, text)


def join_codes(matrix: np.ndarray, codes: list[str], text: bool = False) -> np.ndarray:
    """Boolean matrix → '01,07' per row; each distinct combination of codes is written once (vectorised by column).
    ``text``: as pandas text (the column a frame would make of it), without a Python string per row."""
    texts, inverse = _combinations(matrix, codes)
    return looked_up(texts, inverse) if text else texts[inverse]


def looked_up(texts, positions: np.ndarray):
    """``texts[positions]`` as a pandas text array, built in Arrow."""
    idx = pa.array(np.asarray(positions, dtype=np.int32))
    return pd.array(pa.DictionaryArray.from_arrays(idx, pa.array(list(texts), type=pa.large_string()))
                    .dictionary_decode(), dtype=_STR)


def _combinations(matrix: np.ndarray, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(text of each distinct row of ``matrix``, each row's position among them)."""
    n = matrix.shape[0]
    if n == 0 or not codes:
        return np.array([""], dtype=object), np.zeros(n, dtype=np.intp)
    packed = np.packbits(matrix, axis=1)  # one byte per 8 codes
    if packed.shape[1] <= 8:
        key = np.zeros((n, 8), dtype=np.uint8)
        key[:, :packed.shape[1]] = packed
        inverse, _ = pd.factorize(key.view(np.uint64).ravel())
    else:
        inverse = np.unique(packed, axis=0, return_inverse=True)[1].ravel()
    first = np.zeros(int(inverse.max()) + 1, dtype=np.intp)
    first[inverse[::-1]] = np.arange(n)[::-1]  # the first row of each combination
    out = np.full(len(first), "", dtype=object)
    for j, code in enumerate(codes):
        col = matrix[first, j]
        out[col] = np.where(out[col] == "", code, out[col] + "," + code)
    return out, inverse


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
