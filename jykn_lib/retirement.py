"""Statutory retirement date under the 2025 phased reform (docs/rules.md §6), vectorised.

The schedule is data (``params/rules/retirement/schedule.yaml``): for each group the original age, the number of
birth months per month of delay, the cap, and the first affected birth cohort. One small function reads it::

    n     = months from the first affected cohort to the birth month, plus one   (n <= 0: not affected)
    delay = min(ceil(n / months_per_delay), max_delay_months)
    date  = birth date + base_age years + delay months, same day of month, clamped to the month's end

The entry in force is the one of the evaluation date. Women default to the 50 base (女职工) unless the record says 55.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .dates import add_months, to_day_array
from .params import Parameters, load_parameters

GROUPS = ("male", "female50", "female55")


def retirement_group(sex, women_base, default_base: int) -> np.ndarray:
    """'male', 'female50' or 'female55' for each person; a blank base takes ``default_base``."""
    # as objects, without a round trip through pandas text (None and NaN alike are not 男)
    sex = sex.to_numpy(dtype=object) if isinstance(sex, pd.Series) else np.asarray(sex, dtype=object)
    base = pd.to_numeric(pd.Series(women_base), errors="coerce").fillna(default_base).to_numpy()
    # positions into the group names (one shared string object per group, not one per person)
    return np.array(["female50", "female55", "male"], dtype=object)[
        np.where(sex == "男", 2, np.where(base == 55, 1, 0))]


def _cohort_index(text: str) -> int:
    year, month = (int(x) for x in str(text).split("-")[:2])
    return year * 12 + month - 1


def retirement_months(birth, group, on, params: Parameters | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(base_age_years, delay_months) for each person under the schedule in force on ``on``."""
    params = params or load_parameters()
    schedule = params["rules.retirement.schedule"]
    b = to_day_array(birth)
    group = np.asarray(group, dtype=object)
    on_days = to_day_array(on)
    if on_days.shape[0] == 1 and b.shape[0] != 1:
        on_days = np.repeat(on_days, b.shape[0])
    starts = np.array([np.datetime64(e.start, "D") for e in schedule.entries])
    seg = np.searchsorted(starts, on_days, side="right") - 1
    valid_on = ~np.isnat(on_days)
    if (seg[valid_on] < 0).any():
        schedule.entry_at(pd.Timestamp(on_days[valid_on][seg[valid_on] < 0].min()).date())  # raises in Chinese
    safe_b = np.where(np.isnat(b), np.datetime64("2000-01-01", "D"), b)
    months = safe_b.astype("datetime64[M]").astype(np.int64) + 1970 * 12  # year*12 + month-1
    base = np.zeros(b.shape[0], dtype=np.int64)
    delay = np.zeros(b.shape[0], dtype=np.int64)
    for k, entry in enumerate(schedule.entries):
        in_seg = seg == k
        if not in_seg.any():
            continue
        for name in GROUPS:
            row = entry.value[name]
            sel = in_seg & (group == name)
            if not sel.any():
                continue
            base[sel] = row["base_age"]
            if row["months_per_delay"] and row["first_cohort"]:
                n = months[sel] - _cohort_index(row["first_cohort"]) + 1
                d = np.minimum(-(-n // row["months_per_delay"]), row["max_delay_months"])
                delay[sel] = np.where(n <= 0, 0, d)
    return base, delay


def retirement_dates(birth, sex, women_base=None, on=None, params: Parameters | None = None) -> np.ndarray:
    """Statutory retirement date (``datetime64[D]``) for each person; NaT where the birth date is blank.

    ``on`` is the evaluation date (scalar or one per person): it selects the schedule in force.
    """
    params = params or load_parameters()
    b = to_day_array(birth)
    if women_base is None:
        women_base = np.full(b.shape[0], np.nan)
    default_base = params["rules.general.women_default_base"].constant_over(to_day_array(on))
    group = retirement_group(sex, women_base, default_base)
    base, delay = retirement_months(b, group, on, params)
    out = add_months(b, base * 12 + delay)
    out[np.isnat(b)] = np.datetime64("NaT")
    return out


def retirement_date(birth: dt.date, sex: str, women_base: int | None, on: dt.date,
                    params: Parameters | None = None) -> dt.date:
    """Scalar convenience: the statutory retirement date of one person, under the schedule in force on ``on``."""
    value = retirement_dates([birth], [sex], [women_base if women_base else np.nan], on, params)[0]
    return pd.Timestamp(value).date()


def describe_age(base_years: int, delay_months: int) -> str:
    """'60岁5个月' / '63岁'."""
    years = base_years + delay_months // 12
    months = delay_months % 12
    return f"{years}岁{months}个月" if months else f"{years}岁"
