"""Per-cell parsers: each column of a sheet is parsed on its own, vectorised, keeping what every cell held.

A column arrives as the raw cell values of the spreadsheet engine (str, float, int, bool, date, datetime …) or, from
a CSV file, as text. :class:`Cells` records each cell's kind (blank, text, number, bool, date) and its text;
:func:`parse` turns it into the column's canonical dtype plus, per cell, a rule code and a Chinese reason for the
cells it could not use. Value-like columns (enums, towns, categories …) are parsed once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas._libs import lib

from ..contract import Column, district, load_contract
from ..idcard import parse_ids
from ..params import load_parameters, params_dir

BLANK, TEXT, NUMBER, BOOL, DATE, OTHER = range(6)
_KIND_BY_TYPE = {str: TEXT, float: NUMBER, int: NUMBER, np.float64: NUMBER, np.int64: NUMBER, bool: BOOL,
                 np.bool_: BOOL, dt.date: DATE, dt.datetime: DATE, pd.Timestamp: DATE}

# lib.infer_dtype result → the kind shared by every cell (NaN among floats is handled as blank afterwards)
_UNIFORM = {"string": TEXT, "empty": BLANK, "floating": NUMBER, "integer": NUMBER, "boolean": BOOL, "date": DATE,
            "datetime": DATE}

STR = pd.StringDtype(na_value=np.nan)  # pandas' default "str" dtype
DTYPES = {"id": STR, "text": STR, "phone": STR, "date": "datetime64[ns]", "period": "Int64", "enum": STR,
          "bool": "boolean", "int_enum": "Int64", "town": STR, "categories": STR, "exit_reason": STR, "list": STR}

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # serial 0 of the 1900 date system (after Excel's 1900 leap bug)
_NS_MIN, _NS_MAX = np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D")  # datetime64[ns] range

# Text that is a number's rendering after a spreadsheet had it: scientific notation or a trailing ".0".
_NUMBER_TEXT = r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$|^\d+\.\d+$"

# What Excel and WPS show in a cell whose formula failed; a CSV saved from such a sheet holds the same text.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
                "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!")
_EXCEL_ERROR_SET = pa.array(EXCEL_ERRORS, type=pa.string())


# ----------------------------------------------------------------------------------------------------------- cells
def number_text(v: float) -> str:
    """A number as Excel shows it with the General format widened: 15 significant digits, no exponent."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    f = float(v)
    if not np.isfinite(f):
        return str(f)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return format(Decimal(format(f, ".15g")).normalize(), "f")


def date_text(v) -> str:
    ts = pd.Timestamp(v)
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M:%S")


def display(v) -> str:
    """The original content of one cell as a person would read it (for 问题数据 原值)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return number_text(v)
    if isinstance(v, (dt.date, pd.Timestamp)):
        return date_text(v)
    return str(v)


class Cells:
    """One column of raw cells. ``kind`` per cell; ``text`` the stripped text of every non-blank cell."""

    def __init__(self, raw: np.ndarray | pa.Array | pa.ChunkedArray, from_csv: bool = False):
        self.from_csv = from_csv
        self.n = len(raw)
        self._text = np.full(self.n, None, dtype=object)
        self._complete = True  # whether _text covers the non-text cells too
        self._arrow_text = None  # arrow form of ``text`` when every cell is text
        if isinstance(raw, (pa.Array, pa.ChunkedArray)):  # a text column straight from the CSV parser
            self._arrow = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
            self._raw = None
            stripped = pc.utf8_trim_whitespace(self._arrow)
            is_empty = pc.fill_null(pc.equal(pc.utf8_length(stripped), 0), True)
            self._arrow_text = pc.if_else(is_empty, pa.scalar(None, pa.string()), stripped)
            empty = is_empty.to_numpy(zero_copy_only=False)
            self.kind = np.where(empty, BLANK, TEXT).astype(np.int8)
            self._text = stripped.to_numpy(zero_copy_only=False)
            self._text[empty] = None
            return
        self._arrow, self._raw = None, raw
        inferred = lib.infer_dtype(raw, skipna=False)
        uniform = _UNIFORM.get(inferred)
        if uniform == TEXT:  # the common case: every cell is text
            self.kind = np.full(self.n, TEXT, dtype=np.int8)
            self._set_text(np.arange(self.n), raw, keep_arrow=True)
            return
        if uniform is not None:
            self.kind = np.full(self.n, uniform, dtype=np.int8)
        else:
            self.kind = np.fromiter((_KIND_BY_TYPE.get(type(v), OTHER) for v in raw), dtype=np.int8, count=self.n)
        self.kind[pd.isna(raw)] = BLANK
        self._complete = not ((self.kind != TEXT) & (self.kind != BLANK)).any()
        is_text = np.flatnonzero(self.kind == TEXT)
        if len(is_text):
            self._set_text(is_text, raw[is_text])

    def _set_text(self, idx: np.ndarray, values: np.ndarray, keep_arrow: bool = False) -> None:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
        stripped = pc.utf8_trim_whitespace(arr)
        is_empty = pc.equal(pc.utf8_length(stripped), 0)
        if keep_arrow:  # text columns become their Series straight from arrow
            self._arrow_text = pc.if_else(is_empty, pa.scalar(None, pa.string()), stripped)
        empty = is_empty.to_numpy(zero_copy_only=False)
        changed = pc.not_equal(arr, stripped).to_numpy(zero_copy_only=False)
        text = np.array(values, dtype=object, copy=True)
        if changed.any():  # only cells with surrounding spaces are converted back from arrow
            text[changed] = stripped.filter(pa.array(changed)).to_numpy(zero_copy_only=False)
        text[empty] = None
        self._text[idx] = text
        self.kind[idx[empty]] = BLANK

    @property
    def raw(self) -> np.ndarray:
        """The cells as read (object array)."""
        if self._raw is None:
            self._raw = self._arrow.to_numpy(zero_copy_only=False)
        return self._raw

    @property
    def blank(self) -> np.ndarray:
        return self.kind == BLANK

    @property
    def text(self) -> np.ndarray:
        """Object array: stripped text of text cells, numbers as digits, dates ISO, TRUE/FALSE; None when blank."""
        if not self._complete:
            for kind in (NUMBER, BOOL, DATE, OTHER):
                idx = np.flatnonzero(self.kind == kind)
                if len(idx):
                    self._text[idx] = _render(kind, self.raw[idx])
            self._complete = True
        return self._text

    @property
    def numeric(self) -> np.ndarray:
        """Cells holding a number: a numeric cell, or text that is a number's rendering (scientific notation as in
        a CSV saved by Excel, ``4.41802E+17``, or a trailing ``.0``)."""
        out = self.kind == NUMBER
        idx = np.flatnonzero(self.kind == TEXT)
        if len(idx):
            out[idx] = pc.match_substring_regex(pa.array(self.text[idx], type=pa.string()),
                                                _NUMBER_TEXT).to_numpy(zero_copy_only=False)
        return out

    def error_literals(self) -> np.ndarray:
        """Positions of text cells that hold an Excel error value (#N/A, #VALUE! …) as their whole content."""
        if self._arrow_text is not None:
            hit = pc.fill_null(pc.is_in(self._arrow_text, value_set=_EXCEL_ERROR_SET), False)
            return np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        idx = np.flatnonzero(self.kind == TEXT)
        if not len(idx):
            return idx
        return idx[pd.Series(self._text[idx], dtype=object).isin(EXCEL_ERRORS).to_numpy()]

    def blank_out(self, idx: np.ndarray) -> None:
        """Make these cells blank (their content is reported by the caller, and must not be parsed)."""
        if not len(idx):
            return
        self.kind[idx] = BLANK
        self._text[idx] = None
        if self._arrow_text is not None:
            mask = np.zeros(self.n, dtype=bool)
            mask[idx] = True
            self._arrow_text = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), self._arrow_text)

    def display_at(self, idx: np.ndarray) -> list[str]:
        if self._raw is None and self._arrow is not None:  # only the cells asked for
            return [display(v) for v in self._arrow.take(pa.array(np.asarray(idx, dtype=np.int64))).to_pylist()]
        return [display(v) for v in self.raw[idx]]

    def with_text(self, text: np.ndarray) -> "Cells":
        """A copy whose text is replaced (used to feed dates or booleans to a text parser)."""
        clone = Cells.__new__(Cells)
        clone.__dict__.update(self.__dict__)
        clone._text = text
        clone._complete = True
        clone._arrow_text = None
        return clone

    def text_series(self) -> pd.Series:
        """``text`` as a pandas str Series (from arrow when possible: no per-cell conversion)."""
        if self._arrow_text is not None:
            return pd.Series(pd.array(self._arrow_text, dtype=STR))
        return pd.Series(self.text, dtype=STR)


def _render(kind: int, values: np.ndarray) -> np.ndarray:
    """Text of non-text cells of one kind, vectorised for the common cases (whole numbers, dates, booleans)."""
    out = np.empty(len(values), dtype=object)
    if kind == NUMBER:
        v = values.astype(np.float64)
        whole = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 1e15)
        out[whole] = v[whole].astype(np.int64).astype(str).astype(object)
        out[~whole] = [number_text(x) for x in v[~whole]]
    elif kind == BOOL:
        out[:] = np.where(values.astype(bool), "TRUE", "FALSE")
    elif kind == DATE:
        ts = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        midnight = (ts == ts.dt.normalize()).to_numpy()
        out[:] = np.where(midnight, ts.dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
                          ts.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object))
        bad = ts.isna().to_numpy()
        out[bad] = [str(x) for x in values[bad]]
    else:
        out[:] = [display(x) for x in values]
    return out


def blank_mask(raw: np.ndarray) -> np.ndarray:
    """Which cells of a column hold nothing (None, empty or only spaces), without building its text."""
    if isinstance(raw, (pa.Array, pa.ChunkedArray)) or lib.infer_dtype(raw, skipna=False) == "string":
        arr = raw if isinstance(raw, (pa.Array, pa.ChunkedArray)) else pa.array(raw, type=pa.string())
        empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arr)), 0)
        return np.asarray(pc.fill_null(empty, True).to_numpy(zero_copy_only=False), dtype=bool)
    return Cells(raw).blank


# --------------------------------------------------------------------------------------------------------- context
def _nkey(text: str) -> str:
    """Value matching key: NFKC (full-width → half-width), no whitespace, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Context:
    """What the parsers need besides the cells: the reference date and the lookup tables."""

    as_of: dt.date | None
    value_synonyms: dict
    value_ambiguous: dict  # word → the standard values it could mean
    towns: dict  # key → town name
    town_names: tuple
    categories: dict  # code → name
    category_by_name: dict  # name key → code
    exits: dict  # code → name
    exit_by_name: dict  # name key → code
    town_prefixes: tuple  # 广东省, 清远市, 清新区: may precede a town name

    @classmethod
    def load(cls, as_of: dt.date | None = None) -> "Context":
        base = _base_context(str(params_dir()))  # cached per parameter folder
        return cls(as_of, *base)


@functools.lru_cache(maxsize=4)
def _base_context(root: str):
    dist = district()
    towns: dict[str, str] = {}
    for t in dist["towns"]:
        towns[_nkey(t["name"])] = t["name"]
        code = str(t["code"])
        towns[code] = t["name"]
        towns[code + "000"] = t["name"]  # the 12-digit form of the same 统计用区划代码
    params = load_parameters()

    from ..rules.reasons import render

    def coded(name: str) -> tuple[dict, dict]:
        # names may name a parameter ({rules.exits.e10_no_contact_months}): rendered on each entry's own date
        entries = [e for e in params[name].entries if e.value is not None]
        by_code = {_code_key(k): render(str(v), params, entries[-1].start) for k, v in entries[-1].value.items()}
        by_name = {}
        for e in entries:  # names of any dated entry are understood; the latest is shown
            for k, v in e.value.items():
                by_name[_nkey(render(str(v), params, e.start))] = _code_key(k)
        return by_code, by_name

    cats, cat_names = coded("rules.categories.names")
    exits, exit_names = coded("rules.exits.names")
    names = tuple(t["name"] for t in dist["towns"])
    prefixes = tuple(_nkey(p) for p in ("广东省", dist["district"]["city"], dist["district"]["name"]))
    contract = load_contract()
    return (dict(contract.value_synonyms), dict(contract.value_ambiguous), towns, names, cats, cat_names, exits,
            exit_names, prefixes)


def _code_key(k) -> str:
    k = str(k).strip()
    return k.zfill(2) if k.isdigit() else k.upper()


# ---------------------------------------------------------------------------------------------------------- result
@dataclass
class Parsed:
    values: pd.Series  # canonical dtype, NA where blank or bad
    blank: np.ndarray  # bool: nothing in the cell (after a default was applied: False)
    error: np.ndarray  # object: rule code of a bad cell, else None
    message: np.ndarray  # object: Chinese reason for an error or a warning
    warning: np.ndarray  # object: rule code of a kept-but-suspicious cell, else None


def _nones(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _map_unique(cells: Cells, fn, dtype) -> Parsed:
    """Parse each distinct non-blank text once with ``fn(text) -> (value, rule, message)`` and spread the results."""
    text = cells.text
    idx = np.flatnonzero(~cells.blank)
    codes = np.zeros(cells.n, dtype=np.intp)  # blank cells point at the appended (None, None, None)
    uniques: list = []
    if len(idx):
        sub_codes, uniques = pd.factorize(text[idx])
        codes[:] = len(uniques)
        codes[idx] = sub_codes
    res = [fn(u) for u in uniques] + [(None, None, None)]
    u_val = pd.array([r[0] for r in res], dtype=dtype)
    u_err = np.array([r[1] for r in res], dtype=object)
    u_msg = np.array([r[2] for r in res], dtype=object)
    return Parsed(pd.Series(u_val.take(codes)), cells.blank.copy(), u_err[codes], u_msg[codes], _nones(cells.n))


# --------------------------------------------------------------------------------------------------------- parsers
def parse(col: Column, cells: Cells, ctx: Context) -> Parsed:
    """Parse one column. A blank cell of a column with a ``default`` takes the default (and is not blank)."""
    parsed = _PARSERS[col.type](col, cells, ctx)
    if col.default is not None and parsed.blank.any():
        fill = _PARSERS[col.type](col, Cells(np.array([str(col.default)], dtype=object)), ctx)
        if fill.error[0] is not None:
            raise ValueError(f"数据契约：列 {col.header} 的默认值 {col.default} 不是允许的取值")
        values = parsed.values.copy()
        values[parsed.blank] = fill.values.iloc[0]
        parsed.values = values
        parsed.blank = np.zeros(cells.n, dtype=bool)
    return parsed


def _id(col: Column, cells: Cells, ctx: Context) -> Parsed:
    """parse_ids once per distinct (text, stored-as-number) pair: a person's number repeats in monthly sources."""
    idx = np.flatnonzero(~cells.blank)  # an empty cell is the caller's business (required or not)
    codes = np.zeros(cells.n, dtype=np.intp)
    if len(idx):
        t_codes, t_uniques = pd.factorize(cells.text[idx])
        sub_codes, pairs = pd.factorize(t_codes.astype(np.int64) * 2 + cells.numeric[idx])
        frame = parse_ids(pd.Series(np.asarray(t_uniques, dtype=object)[pairs // 2], dtype=object), on=ctx.as_of,
                          numeric=pd.Series(pairs % 2 == 1))
        codes[:] = len(pairs)  # blank cells point at the appended None
        codes[idx] = sub_codes
    else:
        frame = pd.DataFrame({"id_number": [], "error": [], "message": []}, dtype=object)
    none = np.array([None], dtype=object)
    values = pd.array(np.concatenate([frame["id_number"].to_numpy(dtype=object), none]), dtype=STR).take(codes)
    error = np.concatenate([frame["error"].to_numpy(dtype=object), none])[codes]
    message = np.concatenate([frame["message"].to_numpy(dtype=object), none])[codes]
    return Parsed(pd.Series(values), cells.blank.copy(), error, message, _nones(cells.n))


def _text(col: Column, cells: Cells, ctx: Context) -> Parsed:
    error, message = _nones(cells.n), _nones(cells.n)
    return Parsed(cells.text_series(), cells.blank.copy(), error, message, error.copy())


_PHONE_ONE = re.compile(r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{9,11}|\d{7,8})$")
_PHONE_SPLIT = re.compile(r"[、;,；，/|]+")
_PHONE_NOISE = re.compile(r"[\s\-—－()（）]+")


def _phone_one(text: str):
    norm = unicodedata.normalize("NFKC", text)
    parts = [_PHONE_NOISE.sub("", p) for p in _PHONE_SPLIT.split(norm)]
    parts = [re.sub(r"^\+?86(?=1\d{10}$)", "", p) for p in parts if p]
    value = "、".join(parts)
    if parts and all(_PHONE_ONE.match(p) for p in parts):
        return value, None, None
    return value, "PHONE_SUSPICIOUS", f"联系电话“{text}”格式可疑（应为11位手机号或带区号的固定电话），已保留原值，请核对"


def _phone(col: Column, cells: Cells, ctx: Context) -> Parsed:
    parsed = _map_unique(cells, _phone_one, STR)
    parsed.warning, parsed.error = parsed.error, parsed.warning  # a suspicious phone is kept: a warning
    return parsed


_DATE_RE = (r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
            r"(?:\s*T?\s*\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?$")
_DATE8_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
DATE_FORMATS = "2024-03-05、2024/3/5、2024.3.5、2024年3月5日或20240305"


def _ymd_to_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Year, month, day arrays (float, NaN = none) → datetime64[D], NaT where the date does not exist."""
    frame = pd.DataFrame({"year": y, "month": m, "day": d})
    ok = frame.notna().all(axis=1) & frame["month"].between(1, 12) & frame["day"].between(1, 31)
    out = np.full(len(y), np.datetime64("NaT"), dtype="datetime64[D]")
    if ok.any():
        sub = frame[ok].astype(np.int64)
        months = (sub["year"].to_numpy() - 1970) * 12 + sub["month"].to_numpy() - 1
        first = months.astype("datetime64[M]").astype("datetime64[D]")
        days = first + (sub["day"].to_numpy() - 1)
        valid = days.astype("datetime64[M]") == months.astype("datetime64[M]")  # day within that month
        out[np.flatnonzero(ok.to_numpy())[valid]] = days[valid]
    return out


def _text_dates(texts: np.ndarray) -> np.ndarray:
    """Distinct date texts → datetime64[D] (NaT when not a date in an accepted style)."""
    arr = pc.utf8_normalize(pa.array(texts, type=pa.string()), "NFKC")
    y = np.full(len(texts), np.nan)
    m, d = y.copy(), y.copy()
    for pattern in (_DATE_RE, _DATE8_RE):
        hit = pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False) & np.isnan(y)
        if not hit.any():
            continue
        parts = pc.extract_regex(arr.filter(pa.array(hit)), pattern)
        for name, target in (("y", y), ("m", m), ("d", d)):
            target[hit] = pc.cast(parts.field(name), pa.float64()).to_numpy(zero_copy_only=False)
    return _ymd_to_days(y, m, d)


def _serial_days(values: np.ndarray) -> np.ndarray:
    """Numbers in a date column: Excel serials, or 8-digit YYYYMMDD numbers."""
    v = values.astype(np.float64)
    out = np.full(len(v), np.datetime64("NaT"), dtype="datetime64[D]")
    ymd = (v >= 19000101) & (v <= 21001231) & (v == np.floor(v))
    if ymd.any():
        iv = v[ymd].astype(np.int64)
        out[ymd] = _ymd_to_days(iv // 10000, iv // 100 % 100, iv % 100)
    serial = ~ymd & (v >= 1) & (v < 2958466)  # Excel's last day is 9999-12-31
    out[serial] = EXCEL_EPOCH + np.floor(v[serial]).astype(np.int64)
    return out


def _dates(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[D] per cell and a mask of cells that hold something that is not a date."""
    days = np.full(cells.n, np.datetime64("NaT"), dtype="datetime64[D]")
    kind = cells.kind
    d_idx = np.flatnonzero(kind == DATE)
    if len(d_idx):
        days[d_idx] = pd.to_datetime(pd.Series(cells.raw[d_idx], dtype=object), errors="coerce").to_numpy(
            dtype="datetime64[D]")
    n_idx = np.flatnonzero(kind == NUMBER)
    if len(n_idx):
        days[n_idx] = _serial_days(np.asarray(cells.raw[n_idx], dtype=np.float64))
    t_idx = np.flatnonzero(kind == TEXT)
    if len(t_idx):
        codes, uniques = pd.factorize(cells.text[t_idx])
        u_days = _text_dates(np.asarray(uniques, dtype=object))
        days[t_idx] = u_days[codes]
    out_of_ns = ~np.isnat(days) & ((days < _NS_MIN) | (days > _NS_MAX))
    days[out_of_ns] = np.datetime64("NaT")
    bad = ~cells.blank & np.isnat(days)
    return days, bad


def _date(col: Column, cells: Cells, ctx: Context) -> Parsed:
    days, bad = _dates(cells)
    error, message = _nones(cells.n), _nones(cells.n)
    idx = np.flatnonzero(bad)
    if len(idx):
        error[idx] = "DATE_INVALID"
        message[idx] = [f"{col.header}“{t}”不是有效日期（可用格式：{DATE_FORMATS}）" for t in cells.display_at(idx)]
    values = pd.Series(days.astype("datetime64[ns]"))
    return Parsed(values, cells.blank.copy(), error, message, _nones(cells.n))


_PERIOD_RES = (re.compile(r"^(\d{4})(\d{2})(?:\.0+)?$"), re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"),
               re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.]0?1(?:\s+0{1,2}:0{2}(?::0{2})?)?$"))


def _period_one(text: str):
    s = unicodedata.normalize("NFKC", text).strip()
    for rx in _PERIOD_RES:
        m = rx.match(s)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if 1 <= mo <= 12:
                return y * 100 + mo, None, None
            break
    return None, "PERIOD_INVALID", f"费款所属期“{text}”无法识别（应为YYYYMM，如202608）"


def _period(col: Column, cells: Cells, ctx: Context) -> Parsed:
    kind = cells.kind
    if (kind == DATE).any():  # Excel turned "2026-08" into a date: the month is what was meant
        days, _ = _dates(cells)
        is_date = kind == DATE
        text = cells.text.copy()
        ok = is_date & ~np.isnat(days)
        text[ok] = pd.Series(days[ok]).dt.strftime("%Y%m").to_numpy(dtype=object)
        cells = cells.with_text(text)
    return _map_unique(cells, _period_one, "Int64")


def _lookup_parser(table: dict, rule: str, what: str, allowed: str, ambiguous: dict | None = None):
    def one(text: str):
        key = _nkey(text)
        choices = (ambiguous or {}).get(key)
        if choices:
            return None, "VALUE_AMBIGUOUS", (f"{what}“{text}”含义不明确，可能是{'、'.join(choices)}中的任何一个："
                                             f"请写明是哪一个（{allowed}）")
        value = table.get(key)
        if value is not None:
            return value, None, None
        return None, rule, f"{what}“{text}”不是允许的取值（{allowed}）"
    return one


@functools.lru_cache(maxsize=256)
def enum_table(values: tuple, synonyms_key: tuple) -> dict:
    """Standard values and their synonyms (only synonyms of this column's values; ambiguous ones are dropped)."""
    syn = dict(synonyms_key)
    table: dict[str, str] = {}
    clash: set[str] = set()
    for v in values:
        table[_nkey(str(v))] = v
    for v in values:
        for s in syn.get(str(v), ()):
            k = _nkey(s)
            if k in table and table[k] != v and k not in {_nkey(str(x)) for x in values}:
                clash.add(k)
            table.setdefault(k, v)
    for k in clash:
        table.pop(k, None)
    return table


@functools.lru_cache(maxsize=256)
def ambiguous_table(values: tuple, ambiguous_key: tuple) -> dict:
    """Words that could mean two or more of this column's values → those values (a standard value never is)."""
    standard = {_nkey(str(v)) for v in values}
    out = {}
    for word, choices in ambiguous_key:
        here = tuple(c for c in choices if c in {str(v) for v in values})
        if len(here) >= 2 and _nkey(word) not in standard:
            out[_nkey(word)] = here
    return out


def _syn_key(ctx: Context) -> tuple:
    return tuple(sorted(ctx.value_synonyms.items()))


def _amb_key(ctx: Context) -> tuple:
    return tuple(sorted(ctx.value_ambiguous.items()))


def _enum(col: Column, cells: Cells, ctx: Context) -> Parsed:
    values = tuple(col.values)
    table = enum_table(values, _syn_key(ctx))
    one = _lookup_parser(table, "ENUM_INVALID", col.header, "、".join(map(str, col.values)),
                         ambiguous_table(tuple(map(str, values)), _amb_key(ctx)))
    return _map_unique(cells, one, STR)


def bool_words(col: Column) -> tuple[str, str]:
    """The column's two standard words (``true_word``/``false_word`` in the contract)."""
    if col.true is None or col.false is None:
        raise ValueError(f"数据契约中“{col.header}”是是否类列，但缺少 true_word/false_word")
    return col.true, col.false


def _bool(col: Column, cells: Cells, ctx: Context) -> Parsed:
    true, false = bool_words(col)
    words = enum_table((true, false), _syn_key(ctx))
    table = {k: (v == true) for k, v in words.items()}
    kind = cells.kind
    if (kind == BOOL).any():  # an Excel TRUE/FALSE cell
        text = cells.text.copy()
        b = np.flatnonzero(kind == BOOL)
        text[b] = np.where(cells.raw[b].astype(bool), true, false).astype(object)
        cells = cells.with_text(text)
    one = _lookup_parser(table, "BOOL_INVALID", col.header, f"{true}/{false}")
    return _map_unique(cells, one, "boolean")


def _int_enum(col: Column, cells: Cells, ctx: Context) -> Parsed:
    allowed = {int(v) for v in col.values}

    def one(text: str):
        m = re.match(r"^(\d+)(?:\.0+)?\s*(?:周岁|岁)?$", unicodedata.normalize("NFKC", text).strip())
        if m and int(m.group(1)) in allowed:
            return int(m.group(1)), None, None
        return None, "ENUM_INVALID", f"{col.header}“{text}”不是允许的取值（{'/'.join(map(str, col.values))}）"
    return _map_unique(cells, one, "Int64")


def _town(col: Column, cells: Cells, ctx: Context) -> Parsed:
    prefixes = ctx.town_prefixes

    def one(text: str):
        k = _nkey(text)
        if k in ctx.towns:
            return ctx.towns[k], None, None
        for p in prefixes:  # "清远市清新区太和镇"
            if k.startswith(p):
                k = k[len(p):]
        if k in ctx.towns:
            return ctx.towns[k], None, None
        return None, "TOWN_UNKNOWN", (f"{col.header}“{text}”不是本区的镇街名称或统计用区划代码"
                                      f"（{'、'.join(ctx.town_names)}）")
    return _map_unique(cells, one, STR)


_CAT_SPLIT = re.compile(r"[、;,；，/|]+")
_CAT_CODE = re.compile(r"(\d{1,2})(?!\d)\s*")


def _categories(col: Column, cells: Cells, ctx: Context) -> Parsed:
    names = sorted(ctx.category_by_name, key=len, reverse=True)  # longest first: names may contain digits

    def one(text: str):
        s = unicodedata.normalize("NFKC", text)
        codes: set[str] = set()
        unknown: list[str] = []
        mismatch: list[str] = []
        for chunk in _CAT_SPLIT.split(s):
            rest = chunk.strip()
            while rest:
                code = None
                m = _CAT_CODE.match(rest)
                if m:
                    code, rest = m.group(1).zfill(2), rest[m.end():]
                    if code not in ctx.categories:
                        unknown.append(m.group(1))
                        code = None
                        rest = rest.lstrip()
                        continue
                key = _nkey(rest)
                name = next((n for n in names if key.startswith(n)), None)
                if name is not None:
                    by_name = ctx.category_by_name[name]
                    if code is not None and code != by_name:
                        mismatch.append(f"代码“{code}”是{ctx.categories[code]}，名称“{ctx.categories[by_name]}”是{by_name}")
                    else:
                        codes.add(by_name)
                    rest = _drop_prefix(rest, name)
                elif code is not None:
                    codes.add(code)
                else:
                    tok = re.match(r"\S+", rest).group(0)
                    unknown.append(tok)
                    rest = rest[len(tok):]
                rest = rest.lstrip()
        if mismatch:
            return None, "CATEGORY_UNKNOWN", f"{col.header}“{text}”中代码与名称不一致：{'；'.join(mismatch)}"
        if unknown:
            return None, "CATEGORY_UNKNOWN", (f"{col.header}“{text}”中“{'、'.join(unknown)}”不是有效的认定类别"
                                              f"（{_code_range(ctx.categories)}，代码或名称）")
        if not codes:
            return None, "CATEGORY_UNKNOWN", f"{col.header}“{text}”中没有可识别的认定类别"
        return ",".join(sorted(codes)), None, None
    return _map_unique(cells, one, STR)


def _code_range(codes: dict) -> str:
    keys = list(codes)
    return f"{keys[0]}–{keys[-1]}" if keys else ""


def _drop_prefix(text: str, key: str) -> str:
    """Remove from ``text`` the shortest prefix whose matching key is ``key`` (spaces inside are allowed)."""
    for i in range(len(key), len(text) + 1):
        if _nkey(text[:i]) == key:
            return text[i:]
    return ""


_EXIT_CODE = re.compile(r"^([EeDd])\s*0*(\d{1,2})(?!\d)\s*[:：.、\-—]?\s*(.*)$")


def _exit_reason(col: Column, cells: Cells, ctx: Context) -> Parsed:
    codes_text = "、".join(ctx.exits)

    def one(text: str):
        s = unicodedata.normalize("NFKC", text).strip()
        m = _EXIT_CODE.match(s)
        if m:
            code = m.group(1).upper() + m.group(2)
            rest = _nkey(m.group(3))
            other = ctx.exit_by_name.get(rest)
            if code in ctx.exits and (not rest or other is None or other == code):
                return code, None, None
        else:
            code = ctx.exit_by_name.get(_nkey(s))
            if code is not None:
                return code, None, None
        return None, "EXIT_REASON_UNKNOWN", f"{col.header}“{text}”不是有效的退出原因（{codes_text}，代码或名称）"
    return _map_unique(cells, one, STR)


_LIST_SPLIT = re.compile(r"[、;,；，]+")


def _list(col: Column, cells: Cells, ctx: Context) -> Parsed:
    def one(text: str):
        items = [i.strip() for i in _LIST_SPLIT.split(text)]
        items = [i for i in items if i]
        return ("、".join(items) if items else None), None, None
    return _map_unique(cells, one, STR)


_PARSERS = {"id": _id, "text": _text, "phone": _phone, "date": _date, "period": _period, "enum": _enum,
            "bool": _bool, "int_enum": _int_enum, "town": _town, "categories": _categories,
            "exit_reason": _exit_reason, "list": _list}
