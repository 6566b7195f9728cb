"""Statutory retirement dates: every worked example of docs/rules.md §6 算例 and both sides of each cohort boundary."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jykn_lib.retirement import describe_age, retirement_date, retirement_dates, retirement_months

ON = dt.date(2026, 11, 26)

# (birth year-month, group, delay months, statutory age, retirement year-month) — docs/rules.md §6 算例
WORKED = [
    ("1964-12", "male", 0, "60岁", "2024-12"),
    ("1965-01", "male", 1, "60岁1个月", "2025-02"),
    ("1965-05", "male", 2, "60岁2个月", "2025-07"),
    ("1966-01", "male", 4, "60岁4个月", "2026-05"),
    ("1970-01", "male", 16, "61岁4个月", "2031-05"),
    ("1975-06", "male", 32, "62岁8个月", "2038-02"),
    ("1976-09", "male", 36, "63岁", "2039-09"),
    ("1970-01", "female55", 1, "55岁1个月", "2025-02"),
    ("1970-06", "female55", 2, "55岁2个月", "2025-08"),
    ("1971-06", "female55", 5, "55岁5个月", "2026-11"),
    ("1975-01", "female55", 16, "56岁4个月", "2031-05"),
    ("1981-12", "female55", 36, "58岁", "2039-12"),
    ("1975-01", "female50", 1, "50岁1个月", "2025-02"),
    ("1975-06", "female50", 3, "50岁3个月", "2025-09"),
    ("1976-06", "female50", 9, "50岁9个月", "2027-03"),
    ("1977-01", "female50", 13, "51岁1个月", "2028-02"),
    ("1980-01", "female50", 31, "52岁7个月", "2032-08"),
    ("1984-11", "female50", 60, "55岁", "2039-11"),
]


def _person(group):
    return ("男", None) if group == "male" else ("女", 55 if group == "female55" else 50)


@pytest.mark.parametrize("birth_ym,group,delay,age_text,ret_ym", WORKED)
def test_worked_examples(birth_ym, group, delay, age_text, ret_ym):
    y, m = map(int, birth_ym.split("-"))
    birth = dt.date(y, m, 10)
    base_years, delay_months = retirement_months([birth], np.array([group], dtype=object), ON)
    assert delay_months[0] == delay
    assert describe_age(int(base_years[0]), int(delay_months[0])) == age_text
    sex, base = _person(group)
    got = retirement_date(birth, sex, base, ON)
    assert f"{got:%Y-%m}" == ret_ym
    assert got.day == 10  # same day of month as the birthday


def test_cohort_boundary_1964_12_vs_1965_01():
    assert retirement_date(dt.date(1964, 12, 31), "男", None, ON) == dt.date(2024, 12, 31)
    assert retirement_date(dt.date(1965, 1, 1), "男", None, ON) == dt.date(2025, 2, 1)


def test_man_born_1966_06_15_is_past_retirement_and_1966_07_01_is_not():
    assert retirement_date(dt.date(1966, 6, 15), "男", None, ON) == dt.date(2026, 11, 15) < ON
    assert retirement_date(dt.date(1966, 7, 1), "男", None, ON) == dt.date(2026, 12, 1) > ON


def test_women_cohort_boundaries():
    # female50: first affected cohort 1975-01; female55: 1970-01
    assert retirement_date(dt.date(1974, 12, 5), "女", 50, ON) == dt.date(2024, 12, 5)
    assert retirement_date(dt.date(1975, 1, 5), "女", 50, ON) == dt.date(2025, 2, 5)
    assert retirement_date(dt.date(1969, 12, 5), "女", 55, ON) == dt.date(2024, 12, 5)
    assert retirement_date(dt.date(1970, 1, 5), "女", 55, ON) == dt.date(2025, 2, 5)


def test_caps_reached_exactly():
    # male cap 36 from cohort 1976-09 (n=141 → 36); 1976-08 (n=140 → 35)
    assert retirement_months([dt.date(1976, 8, 1)], np.array(["male"], dtype=object), ON)[1][0] == 35
    assert retirement_months([dt.date(1976, 9, 1)], np.array(["male"], dtype=object), ON)[1][0] == 36
    assert retirement_months([dt.date(1990, 1, 1)], np.array(["male"], dtype=object), ON)[1][0] == 36
    assert retirement_months([dt.date(1984, 10, 1)], np.array(["female50"], dtype=object), ON)[1][0] == 59
    assert retirement_months([dt.date(1984, 11, 1)], np.array(["female50"], dtype=object), ON)[1][0] == 60


def test_day_of_month_clamped_to_month_end():
    # born 1965-01-31, +60 years 1 month → 2025-02-31 does not exist → 2025-02-28
    assert retirement_date(dt.date(1965, 1, 31), "男", None, ON) == dt.date(2025, 2, 28)


def test_women_default_to_the_50_base():
    d = retirement_dates([dt.date(1976, 2, 10)], ["女"], None, ON)
    assert pd.Timestamp(d[0]).date() == dt.date(2026, 9, 10)


def test_before_the_reform_the_original_ages_apply():
    # evaluated in 2024 (1978 schedule in force): a man born 1965-03 would retire at 60 exactly
    got = retirement_dates([dt.date(1965, 3, 10)], ["男"], None, dt.date(2024, 6, 1))
    assert pd.Timestamp(got[0]).date() == dt.date(2025, 3, 10)


def test_vectorised_matches_scalar():
    births = [dt.date(1960 + i % 30, 1 + i % 12, 1 + i % 28) for i in range(200)]
    sexes = ["男" if i % 2 else "女" for i in range(200)]
    bases = [np.nan if i % 3 else 55 for i in range(200)]
    vec = retirement_dates(births, sexes, bases, ON)
    for b, s, base, v in zip(births, sexes, bases, vec):
        assert pd.Timestamp(v).date() == retirement_date(b, s, None if np.isnan(base) else int(base), ON)
