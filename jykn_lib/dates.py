"""Calendar arithmetic used by the rules: completed years (周岁) and month offsets, vectorised.

Conventions (docs/rules.md §0):
- age in 周岁 on a date counts the birthday on that date (born 1986-11-26 is 40 on 2026-11-26);
  someone born on 29 February turns a year older on 1 March in common years;
- adding months keeps the day of month and clamps to the month's end (2024-02-29 + 12 months = 2025-02-28).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

DateLike = dt.date | str | pd.Timestamp | np.datetime64


def to_day_array(values) -> np.ndarray:
    """Anything date-like (scalar, list, Series, array) to ``datetime64[D]`` (NaT for blanks)."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if np.isscalar(values) or isinstance(values, (dt.date, pd.Timestamp)):
        values = [values]
    return pd.to_datetime(pd.Series(list(values) if not isinstance(values, np.ndarray) else values)).to_numpy(
        dtype="datetime64[D]"
    )


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_date(value: DateLike, what: str = "日期") -> dt.date:
    """The one date coercion of the suite: a date, datetime, Timestamp, numpy datetime64, or text written exactly
    YYYY-MM-DD (the form of every date parameter and option). Anything else raises ``ValueError`` in Chinese."""
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            raise ValueError(f"{what}为空。")
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise ValueError(f"{what}为空。")
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DAY.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise ValueError(f"{what}“{value}”不是有效日期：应写成 YYYY-MM-DD（如 2026-11-26）。")
    raise ValueError(f"{what}应为 YYYY-MM-DD 格式的日期，而不是 {value!r}。")


def cn_date(day: DateLike) -> str:
    """2026年11月26日 — how a date reads in a sentence."""
    d = to_date(day)
    return f"{d.year}年{d.month}月{d.day}日"


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def age_on(birth, on) -> np.ndarray:
    """Completed years (周岁) on ``on`` for each birth date; ``on`` is a scalar or aligned with ``birth``.

    Returns a float array (NaN where either date is missing) so that blanks survive.
    """
    b = to_day_array(birth)
    o = to_day_array(on)
    if o.shape[0] == 1 and b.shape[0] != 1:
        o = np.repeat(o, b.shape[0])
    return _by_distinct(_age_on, b, o)


def _age_on(b: np.ndarray, o: np.ndarray) -> np.ndarray:
    by, bm, bd = _ymd(b)
    oy, om, od = _ymd(o)
    age = (oy - by) - ((om * 100 + od) < (bm * 100 + bd)).astype(np.int64)
    out = age.astype(float)
    out[np.isnat(b) | np.isnat(o)] = np.nan
    return out


def add_months(days, months) -> np.ndarray:
    """``days`` + ``months`` calendar months, same day of month, clamped to the month's end (vectorised)."""
    d = to_day_array(days)
    n = np.asarray(months)
    if n.ndim == 0:
        n = np.full(d.shape[0], int(n), dtype=np.int64)
    return _by_distinct(_add_months, d, n)


def _by_distinct(fn, *columns: np.ndarray) -> np.ndarray:
    """``fn(*columns)`` of an elementwise calendar function, computed once per distinct row of ``columns`` when a long
    column has few of them (dates repeat: registration days, one evaluation date), then spread back to every row."""
    if columns[0].shape[0] <= 4096:
        return fn(*columns)
    pair = np.zeros(columns[0].shape[0], dtype=np.int64)
    for c in columns:
        code, values = pd.factorize(c.view(np.int64) if c.dtype.kind == "M" else c, use_na_sentinel=False)
        pair, _ = pd.factorize(pair * len(values) + code)
    n_distinct = int(pair.max()) + 1
    if 2 * n_distinct >= len(pair):
        return fn(*columns)
    first = np.zeros(n_distinct, dtype=np.intp)
    first[pair[::-1]] = np.arange(len(pair))[::-1]
    return fn(*(c[first] for c in columns))[pair]


def _add_months(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    nat = np.isnat(d)
    safe = np.where(nat, np.datetime64("2000-01-01", "D"), d)
    month_start = safe.astype("datetime64[M]")
    day = (safe - month_start.astype("datetime64[D]")).astype(np.int64)  # 0-based
    n_safe = np.nan_to_num(n.astype(float), nan=0).astype(np.int64)
    target = month_start + n_safe.astype("timedelta64[M]")
    last_day = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    ) - 1
    out = target.astype("datetime64[D]") + np.minimum(day, last_day).astype("timedelta64[D]")
    out[nat | np.isnan(n.astype(float))] = np.datetime64("NaT")
    return out


def add_months_scalar(day: DateLike, months: int) -> dt.date:
    return pd.Timestamp(add_months([to_date(day)], months)[0]).date()


def month_index(days) -> np.ndarray:
    """Months since year 0 (year*12 + month-1) for each date; -1 for blanks. Used to compare 费款所属期."""
    d = to_day_array(days)
    return _by_distinct(_month_index, d)


def _month_index(d: np.ndarray) -> np.ndarray:
    y, m, _ = _ymd(np.where(np.isnat(d), np.datetime64("2000-01-01", "D"), d))
    out = y * 12 + (m - 1)
    out[np.isnat(d)] = -1
    return out


def period_index(periods) -> np.ndarray:
    """Months since year 0 for YYYYMM integers (费款所属期); -1 for blanks."""
    p = pd.to_numeric(pd.Series(periods), errors="coerce").to_numpy(dtype=float)
    out = np.where(np.isnan(p), -1, (np.floor_divide(np.nan_to_num(p), 100) * 12 + np.mod(np.nan_to_num(p), 100) - 1))
    return out.astype(np.int64)
