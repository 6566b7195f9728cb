"""公民身份号码 (GB 11643-1999): normalisation, validation messages, 15→18 conversion, birth date and sex."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jykn_lib import idcard

ON = dt.date(2026, 11, 26)
FUTURE = idcard.make_id("110105", dt.date(2027, 12, 31), 2)


def test_standard_examples():
    assert idcard.check_digit("11010519491231002") == "X"
    assert idcard.check_digit("44052418800101001") == "4"
    assert idcard.to18("110105491231002") == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    ["11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", " 110105 19491231 002X ",
     "'11010519491231002X", "11010519491231002X\u3000"],
)
def test_normalised_forms_are_valid(raw):
    r = idcard.validate(raw, ON)
    assert r.ok and r.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw,code,fragment",
    [
        ("", "ID_EMPTY", "为空"),
        ("11010519491231002", "ID_LENGTH", "实际为17位"),
        ("1101051949123100211", "ID_LENGTH", "实际为19位"),
        ("11010519491231002Y", "ID_CHARS", "11010519491231002Y"),
        ("990105194912310024", "ID_PROVINCE", "“99”"),
        ("110105194902300028", "ID_DATE", "“19490230”"),
        (FUTURE, "ID_FUTURE", "晚于基准日2026-11-26"),
        ("440524188001010014", "ID_TOO_OLD", "早于1900年"),
        ("110105194912310021", "ID_CHECK", "应为“X”，实际为“1”"),
    ],
)
def test_each_error_says_exactly_what_is_wrong(raw, code, fragment):
    r = idcard.validate(raw, ON)
    assert not r.ok and r.error == code
    assert fragment in r.message


def test_numeric_cells_are_unrecoverable_even_when_the_checksum_passes():
    # Excel keeps 15 significant digits: the tail becomes zeros; find such a number that still passes the check
    for seq in range(1000):
        valid = idcard.make_id("441803", dt.date(1980, 5, 17), seq)
        if valid.endswith("X"):
            continue  # an X keeps the cell text; only all-digit numbers get mangled
        mangled = valid[:15] + "000"  # Excel keeps 15 significant digits
        if idcard.validate(mangled).ok:
            break
    else:
        pytest.fail("no mangled number passing the checksum found")
    frame = idcard.parse_ids(pd.Series([mangled, valid]), numeric=pd.Series([True, False]))
    assert list(frame["error"]) == ["ID_NUMERIC", None]
    assert "无法恢复" in frame["message"][0]


def test_future_check_needs_a_reference_date():
    assert idcard.validate(FUTURE).ok  # no reference date: not checked
    assert not idcard.validate(FUTURE, ON).ok


def test_birth_date_sex_and_mask():
    assert idcard.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert idcard.sex("11010519491231002X") == "女"  # 17th digit 2
    assert idcard.sex("110105491231001") == "男"
    assert idcard.mask("11010519491231002X") == "110105********002X"


def test_vectorised_parse_matches_scalar_and_keeps_the_index():
    values = pd.Series(["11010519491231002x", "bad", None, "110105491231002"], index=[10, 11, 12, 13])
    frame = idcard.parse_ids(values, on=ON)
    assert list(frame.index) == [10, 11, 12, 13]
    assert list(frame["id_number"]) == ["11010519491231002X", None, None, "11010519491231002X"]
    assert list(frame["converted_from_15"]) == [False, False, False, True]
    assert list(frame["sex"]) == ["女", None, None, "女"]


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 26))
regions = st.sampled_from(["441803", "441827", "440106", "110105", "430621", "452122", "810000"])


@settings(max_examples=300, deadline=None)
@given(regions, birth_dates, st.integers(min_value=0, max_value=999))
def test_made_ids_validate_and_decode(region, birth, seq):
    number = idcard.make_id(region, birth, seq)
    r = idcard.validate(number, ON)
    assert r.ok
    assert idcard.birth_date(number) == birth
    assert idcard.sex(number) == ("男" if seq % 2 else "女")


@settings(max_examples=300, deadline=None)
@given(regions, birth_dates, st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=16),
       st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_breaks_the_check(region, birth, seq, pos, delta):
    number = idcard.make_id(region, birth, seq)
    digit = (int(number[pos]) + delta) % 10
    changed = number[:pos] + str(digit) + number[pos + 1:]
    r = idcard.validate(changed)
    assert not r.ok  # MOD 11-2 detects every single-digit error (possibly as a date or province error first)


@settings(max_examples=300, deadline=None)
@given(regions, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
       st.integers(min_value=0, max_value=999))
def test_15_to_18_round_trip(region, birth, seq):
    eighteen = idcard.make_id(region, birth, seq)
    fifteen = eighteen[:6] + eighteen[8:17]
    assert idcard.to18(fifteen) == eighteen
    assert idcard.validate(fifteen).id_number == eighteen
