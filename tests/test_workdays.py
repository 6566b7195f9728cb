import datetime as dt
import shutil
from pathlib import Path

import chinese_calendar
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import jykn_lib.params as params_mod
from jykn_lib import workdays as wd
from jykn_lib.periods import Quarter

D = dt.date
MAIN_PARAMS = Path(__file__).resolve().parents[1] / "params"
DATA = Path(__file__).parent / "data" / "calendar"

# A FICTITIOUS 2027 calendar for tests only (the real notice is not known to us).
FIXTURE_2027 = """\
year: 2027
source:
  title: 测试用虚构安排（不是国务院通知）
  number: TEST-2027
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-05, to: 2027-02-11}
makeup_workdays:
  - {date: 2027-02-13, name: 春节调休上班}
"""


@pytest.fixture
def tmp_params(tmp_path, monkeypatch):
    """A copy of params/ without any 2027 calendar, selected through JYKN_PARAMS; caches cleared around it."""
    root = tmp_path / "params"
    shutil.copytree(MAIN_PARAMS, root)
    (root / "calendar" / "2027.yaml").unlink(missing_ok=True)
    monkeypatch.setenv("JYKN_PARAMS", str(root))
    wd.clear_cache()
    params_mod._load_cached.cache_clear()
    yield root
    wd.clear_cache()
    params_mod._load_cached.cache_clear()


def write_2027(root: Path, text: str = FIXTURE_2027) -> None:
    (root / "calendar" / "2027.yaml").write_text(text, encoding="utf-8")
    wd.clear_cache()


# ------------------------------------------------------------ 2026 from chinesecalendar


def test_spring_festival_2026():
    # 2026 notice: 2-15 (Sun) to 2-23 (Mon) off; Sat 2-14 and Sat 2-28 are working days.
    assert wd.is_working_day(D(2026, 2, 13))  # Friday before
    assert wd.is_working_day(D(2026, 2, 14))  # make-up Saturday
    for d in range(15, 24):
        assert not wd.is_working_day(D(2026, 2, d)), d
    assert wd.is_working_day(D(2026, 2, 24))
    assert wd.is_working_day(D(2026, 2, 28))  # make-up Saturday
    assert not wd.is_working_day(D(2026, 3, 1))  # ordinary Sunday
    assert not wd.is_working_day(D(2026, 2, 7))  # ordinary Saturday


def test_national_day_2026():
    assert wd.is_working_day(D(2026, 9, 20))  # make-up Sunday
    assert not wd.is_working_day(D(2026, 9, 25))  # 中秋 (Friday)
    assert wd.is_working_day(D(2026, 9, 30))
    for d in range(1, 8):
        assert not wd.is_working_day(D(2026, 10, d)), d
    assert wd.is_working_day(D(2026, 10, 8))
    assert wd.is_working_day(D(2026, 10, 10))  # make-up Saturday
    assert not wd.is_working_day(D(2026, 10, 11))  # ordinary Sunday
    assert not wd.is_working_day(D(2026, 10, 17))  # ordinary Saturday


def test_new_year_2026_makeup_sunday():
    assert not wd.is_working_day(D(2026, 1, 2))
    assert wd.is_working_day(D(2026, 1, 4))  # make-up Sunday


def test_audit_dates_2026q4():
    assert wd.audit_dates("2026Q4") == (D(2026, 10, 8), D(2026, 10, 30))
    assert wd.first_working_day_of_quarter(Quarter(2026, 4)) == D(2026, 10, 8)
    assert wd.last_working_day_of_first_month(Quarter(2026, 4)) == D(2026, 10, 30)


def test_audit_dates_other_quarters():
    assert wd.audit_dates("2026Q1") == (D(2026, 1, 4), D(2026, 1, 30))  # 1-4 is a make-up Sunday; 1-31 a Saturday
    assert wd.audit_dates("2026Q3") == (D(2026, 7, 1), D(2026, 7, 31))
    assert wd.audit_dates("2025Q4") == (D(2025, 10, 9), D(2025, 10, 31))  # 2025 National Day ran to 10-8


def test_audit_rule_unknown_raises(tmp_params):
    path = tmp_params / "rules" / "audit" / "issue_rule.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("first_working_day_of_quarter", "first_monday"),
                    encoding="utf-8")
    params_mod._load_cached.cache_clear()
    with pytest.raises(ValueError, match="first_monday"):
        wd.audit_dates("2026Q4")


def test_add_working_days_across_national_day():
    # 9-30 (Wed) + 5: 10-8, 10-9, 10-10 (make-up Sat), 10-12, 10-13
    assert wd.add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert wd.add_working_days(D(2026, 9, 29), 1) == D(2026, 9, 30)
    assert wd.add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)
    assert wd.next_working_day(D(2026, 10, 9)) == D(2026, 10, 10)
    # 10-8 + 10: 10-9, 10-10 (Sat), 10-12 … 10-16, 10-19, 10-20, 10-21
    assert wd.add_working_days("2026-10-08", 10) == D(2026, 10, 21)


def test_add_zero_working_days():
    assert wd.add_working_days(D(2026, 10, 8), 0) == D(2026, 10, 8)
    assert wd.add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 8)
    with pytest.raises(ValueError):
        wd.add_working_days(D(2026, 10, 8), -1)


def test_working_days_between():
    assert wd.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4  # 10-8, 10-9, 10-10, 10-12
    assert wd.working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert wd.working_days_between(D(2026, 10, 8), D(2026, 10, 8)) == 0
    assert wd.working_days_between(D(2026, 10, 7), D(2026, 10, 8)) == 1  # end included
    assert wd.working_days_between(D(2026, 10, 8), D(2026, 10, 9)) == 1  # start excluded
    assert wd.working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == -4
    assert wd.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == int(wd.year_flags(2026).sum())


def test_vectorised_helpers():
    mask = wd.working_day_mask(["2026-10-10", "2026-10-11", None, "2025-10-08", "2026-02-28"])
    assert mask.tolist() == [True, False, False, False, True]
    got = wd.working_days_between_many(["2026-09-30", None, "2025-12-31"], ["2026-10-12", "2026-10-12", "2026-01-05"])
    assert got[0] == 4 and np.isnan(got[1])
    assert got[2] == 2  # (2025-12-31, 2026-01-05]: 1-1..1-3 off, 1-4 (make-up Sunday) and 1-5 work


def test_2026_transcription_matches_chinesecalendar():
    # The format sample in tests/data/calendar/2026.yaml, read as a file, gives the package's calendar day by day.
    assert (wd.file_flags(DATA / "2026.yaml", 2026) == wd.year_flags(2026)).all()


# ------------------------------------------------------------ later years: params/calendar/<year>.yaml


def test_2027_without_file_raises(tmp_params):
    with pytest.raises(wd.CalendarMissingError) as info:
        wd.is_working_day(D(2027, 1, 4))
    msg = str(info.value)
    assert "params/calendar/2027.yaml" in msg
    assert "国务院办公厅关于2027年部分节假日安排的通知" in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(wd.CalendarMissingError):
        wd.audit_dates("2027Q1")
    with pytest.raises(wd.CalendarMissingError):  # adding across the year end needs 2027 too
        wd.add_working_days(D(2026, 12, 30), 3)
    with pytest.raises(wd.CalendarMissingError):
        wd.working_day_mask([D(2026, 12, 31), D(2027, 1, 4)])


def test_2027_from_file(tmp_params):
    write_2027(tmp_params)
    assert wd.is_working_day(D(2027, 1, 4))
    assert not wd.is_working_day(D(2027, 1, 1))
    assert not wd.is_working_day(D(2027, 2, 8))  # Monday inside the fictitious 春节
    assert wd.is_working_day(D(2027, 2, 13))  # make-up Saturday
    assert not wd.is_working_day(D(2027, 2, 20))  # ordinary Saturday
    assert wd.audit_dates("2027Q1") == (D(2027, 1, 4), D(2027, 1, 29))  # 1-30/31 are a weekend
    # 2-4 (Thu) + 5: 2-12, 2-13 (make-up Sat), 2-15, 2-16, 2-17
    assert wd.add_working_days(D(2027, 2, 4), 5) == D(2027, 2, 17)
    assert wd.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)  # 12-31, 1-4, 1-5
    assert wd.working_days_between(D(2026, 12, 30), D(2027, 1, 5)) == 3
    assert wd.working_day_mask(["2027-02-13", "2027-02-14"]).tolist() == [True, False]


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda t: t.replace("year: 2027", "year: 2028"), "year 应为 2027"),
        (lambda t: t.replace("2027-02-11", "2028-02-11"), "不在 2027 年内"),
        (lambda t: t.replace("{date: 2027-02-13", "{date: 2027-02-06"), "既列为假日又列为调休上班日"),
        (lambda t: t.replace("{date: 2027-02-13", "{date: 2027-02-15"), "不是周六或周日"),
        (lambda t: t.replace("to: 2027-02-11", "to: 2027-02-01"), "早于"),
        (lambda t: t.replace("2027-01-03", "2027-13-03"), "不存在的日期"),
        (lambda t: t.replace("to: 2027-01-03", "to: 三日"), "YYYY-MM-DD"),
        (lambda t: t.replace("  number: TEST-2027\n", ""), "source"),
        (lambda t: t.replace("makeup_workdays:\n  - {date: 2027-02-13, name: 春节调休上班}\n", ""), "makeup_workdays"),
        (lambda t: t.replace("from: 2027-02-05", "from: 2027-01-02"), "重复"),
        (lambda t: t + "  - {name: [\n", "YAML"),
    ],
)
def test_malformed_2027_file_raises(tmp_params, edit, fragment):
    text = edit(FIXTURE_2027)
    assert text != FIXTURE_2027
    write_2027(tmp_params, text)
    with pytest.raises(wd.CalendarFileError, match=fragment) as info:
        wd.is_working_day(D(2027, 3, 1))
    assert "2027.yaml" in str(info.value)


def test_package_year_ignores_file(tmp_params):
    # a file for a year chinesecalendar knows is not read (documented precedence)
    (tmp_params / "calendar" / "2026.yaml").write_text("not: valid", encoding="utf-8")
    wd.clear_cache()
    assert wd.is_working_day(D(2026, 10, 10))


# ------------------------------------------------------------ properties

DAYS = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 10, 31))


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=1, max_value=30))
def test_add_then_count(day, n):
    end = wd.add_working_days(day, n)
    assert end > day
    assert wd.is_working_day(end)
    assert wd.working_days_between(day, end) == n
    assert wd.working_days_between(day, end - dt.timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_zero_and_next(day):
    first = wd.add_working_days(day, 0)
    assert wd.is_working_day(first) and first >= day
    assert first == day or wd.working_days_between(day, first) == 1
    assert wd.next_working_day(day) == wd.add_working_days(day, 1)


@settings(max_examples=50, deadline=None)
@given(st.lists(DAYS, min_size=1, max_size=50), st.lists(DAYS, min_size=1, max_size=50))
def test_vectorised_matches_scalar_and_package(starts, ends):
    n = min(len(starts), len(ends))
    starts, ends = starts[:n], ends[:n]
    assert wd.working_day_mask(starts).tolist() == [chinese_calendar.is_workday(d) for d in starts]
    assert wd.working_days_between_many(starts, ends).tolist() == [
        wd.working_days_between(s, e) for s, e in zip(starts, ends)
    ]
