import datetime as dt

import pytest
from hypothesis import given, strategies as st

from jykn_lib.periods import Quarter, first_month_end, quarter_range


@pytest.mark.parametrize("text", ["2026Q4", "2026q4", "2026-Q4", " 2026-q4 "])
def test_parse_accepted_forms(text):
    q = Quarter.parse(text)
    assert (q.year, q.q) == (2026, 4)
    assert str(q) == "2026Q4"


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "26Q4", "2026 Q4", "2026-4", "Q4 2026", "", "2026Q4x"])
def test_parse_rejects_with_chinese_message(text):
    with pytest.raises(ValueError, match="2026Q4"):
        Quarter.parse(text)


def test_constructor_validates():
    with pytest.raises(ValueError):
        Quarter(2026, 5)


def test_q4_2026_properties():
    q = Quarter.parse("2026Q4")
    assert q.start == dt.date(2026, 10, 1)
    assert q.end == dt.date(2026, 12, 31)
    assert q.months == [(2026, 10), (2026, 11), (2026, 12)]
    assert q.label == "2026年第4季度"
    assert first_month_end(q) == dt.date(2026, 10, 31)
    assert dt.date(2026, 11, 26) in q and dt.date(2027, 1, 1) not in q


def test_ends_and_first_month_ends():
    assert Quarter(2024, 1).end == dt.date(2024, 3, 31)
    assert Quarter(2026, 2).end == dt.date(2026, 6, 30)
    assert Quarter(2026, 3).end == dt.date(2026, 9, 30)
    assert first_month_end("2026Q2") == dt.date(2026, 4, 30)
    assert first_month_end(Quarter(2028, 1)) == dt.date(2028, 1, 31)


def test_ordering_next_prev_and_of():
    assert Quarter(2026, 4) < Quarter(2027, 1) < Quarter(2027, 2)
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter(2027, 1).prev() == Quarter(2026, 4)
    assert Quarter(2026, 2).next() == Quarter(2026, 3)
    assert Quarter.of(dt.date(2026, 11, 26)) == Quarter(2026, 4)
    assert Quarter.of(dt.date(2026, 3, 31)) == Quarter(2026, 1)
    assert len({Quarter(2026, 4), Quarter.parse("2026q4")}) == 1  # hashable, equal by value


def test_quarter_range():
    qs = [str(q) for q in quarter_range("2025Q3", "2026Q2")]
    assert qs == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert list(quarter_range("2026Q2", "2026Q1")) == []


def test_immutable():
    q = Quarter(2026, 4)
    with pytest.raises(AttributeError):
        q.q = 1  # type: ignore[misc]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_of_contains_and_chains(day):
    q = Quarter.of(day)
    assert q.start <= day <= q.end
    assert q.next().start == q.end + dt.timedelta(days=1)
    assert q.next().prev() == q
    assert Quarter.parse(str(q)) == q
    assert q.start.month in {m for _, m in q.months}
