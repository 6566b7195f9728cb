"""Per-cell parsers (jykn_lib.io.cells): each cell parsed on its own, canonical values, rule codes for the bad ones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jykn_lib.contract import load_contract
from jykn_lib.idcard import make_id
from jykn_lib.io import cells as C

CONTRACT = load_contract()
CTX = C.Context.load(dt.date(2026, 11, 26))
GOOD = make_id("441803", dt.date(1980, 5, 6), 123)


def run(source: str, field: str, values: list, from_csv: bool = False, ctx=CTX) -> C.Parsed:
    col = CONTRACT[source].column(field)
    return C.parse(col, C.Cells(np.array(values, dtype=object), from_csv=from_csv), ctx)


# ------------------------------------------------------------------------------------------------------ raw cells
def test_cell_kinds_and_text():
    c = C.Cells(np.array([" a ", "", "\u3000", None, 5.0, 441803.5, True, dt.date(2024, 3, 5),
                          dt.datetime(2024, 3, 5, 8, 30)], dtype=object))
    assert list(c.kind) == [C.TEXT, C.BLANK, C.BLANK, C.BLANK, C.NUMBER, C.NUMBER, C.BOOL, C.DATE, C.DATE]
    assert list(c.text) == ["a", None, None, None, "5", "441803.5", "TRUE", "2024-03-05", "2024-03-05 08:30:00"]


def test_number_text_is_what_excel_keeps():
    assert C.number_text(4.418031980050612e17) == "441803198005061000"  # 15 significant digits, no exponent
    assert C.number_text(13800138000.0) == "13800138000"
    assert C.number_text(0.1 + 0.2) == "0.3"


# ---------------------------------------------------------------------------------------------- identity numbers
def test_id_numeric_cell_is_unrecoverable_even_when_digits_pass():
    p = run("hukou", "id_number", [GOOD, float(GOOD), "", GOOD.lower(), "123"])
    assert list(p.error) == [None, "ID_NUMERIC", None, None, "ID_LENGTH"]
    assert p.values.iloc[0] == GOOD and pd.isna(p.values.iloc[1])
    assert p.blank.tolist() == [False, False, True, False, False]
    assert "无法恢复" in p.message[1]


@pytest.mark.parametrize("text", ["4.41802E+17", "4.41802e17", "441803198005061230.0"])
def test_id_number_rendering_in_text_is_numeric(text):
    for from_csv in (True, False):  # a CSV cell, or an Excel text cell holding a number's rendering
        assert run("hukou", "id_number", [text], from_csv=from_csv).error[0] == "ID_NUMERIC"


def test_id_future_birth_needs_as_of():
    future = make_id("441803", dt.date(2030, 1, 1), 1)
    assert run("hukou", "id_number", [future]).error[0] == "ID_FUTURE"
    assert run("hukou", "id_number", [future], ctx=C.Context.load(None)).error[0] is None


# ----------------------------------------------------------------------------------------------------------- dates
@pytest.mark.parametrize("value", [dt.date(2024, 3, 5), dt.datetime(2024, 3, 5), 45356.0, 20240305.0, "2024-03-05",
                                   "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "2024-3-5",
                                   "2024-03-05 00:00:00", "２０２４－０３－０５", " 2024 年 3 月 5 日 "])
def test_date_styles(value):
    p = run("hukou", "change_date", [value])
    assert p.error[0] is None
    assert p.values.iloc[0] == pd.Timestamp("2024-03-05")
    assert p.values.dtype == "datetime64[ns]"


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-01", "abc", "2024-03", "24-3-5", True, "45356"])
def test_bad_dates(value):
    p = run("hukou", "change_date", [value])
    assert p.error[0] == "DATE_INVALID" and pd.isna(p.values.iloc[0])
    assert "2024年3月5日" in p.message[0]  # tells the accepted styles


def test_leap_day():
    p = run("hukou", "change_date", ["2024-02-29", "2023-02-29"])
    assert list(p.error) == [None, "DATE_INVALID"]


# --------------------------------------------------------------------------------------------------------- periods
@pytest.mark.parametrize("value", ["202608", "2026-08", "2026年8月", "2026/8", 202608.0, "202608.0",
                                   dt.date(2026, 8, 1), "2026-08-01"])
def test_period_styles(value):
    p = run("contributions", "period", [value])
    assert p.error[0] is None and p.values.iloc[0] == 202608 and p.values.dtype == "Int64"


@pytest.mark.parametrize("value", ["202613", "2026", "08/2026", "x", "2026-08-15"])
def test_bad_periods(value):
    assert run("contributions", "period", [value]).error[0] == "PERIOD_INVALID"


# ------------------------------------------------------------------------------------------- enums, bools, towns …
def test_enum_synonyms_and_default():
    p = run("unemployment", "reg_status", ["有效", "注销", " 正常 ", "", None, "XX"])
    assert p.values.iloc[:5].tolist() == ["有效", "已注销", "有效", "有效", "有效"]  # blank → default 有效
    assert list(p.error) == [None] * 5 + ["ENUM_INVALID"]
    assert not p.blank.any()


def test_synonym_applies_only_to_values_of_the_column():
    # 注销 is a synonym of 已注销 (失业登记) but a standard value of 市场主体 登记状态
    assert run("market", "entity_status", ["注销"]).values.iloc[0] == "注销"
    # 个体 means 灵活就业 in 缴费类型 and 个体工商户 in 主体类型
    assert run("contributions", "contrib_type", ["个体"]).values.iloc[0] == "灵活就业"
    assert run("market", "entity_type", ["个体"]).values.iloc[0] == "个体工商户"


def test_bool_words_and_synonyms():
    p = run("unemployment", "willing", ["是", "Y", "yes", True, False, 1.0, 0.0, "否", "无", "也许", ""])
    assert p.values.dtype == "boolean"
    assert p.values.iloc[:9].tolist() == [True, True, True, True, False, True, False, False, False]
    assert p.error[9] == "BOOL_INVALID" and p.blank[10]
    q = run("unemployment", "able", ["有", "是", "无", "丧失劳动能力"])
    assert q.values.tolist() == [True, True, False, False]


def test_int_enum():
    p = run("ledger", "women_base", ["50", 55.0, "50岁", "60", "5０"])
    assert p.values.iloc[:3].tolist() == [50, 55, 50] and p.values.dtype == "Int64"
    assert list(p.error[3:]) == ["ENUM_INVALID", None]


def test_towns_by_name_and_code():
    p = run("ledger", "town", ["太和镇", "441803102", 441803102.0, "441803102000", "清远市清新区山塘镇", "太和", "广州"])
    assert p.values.iloc[:5].tolist() == ["太和镇", "太和镇", "太和镇", "太和镇", "山塘镇"]
    assert list(p.error[5:]) == ["TOWN_UNKNOWN", "TOWN_UNKNOWN"]


@pytest.mark.parametrize("text,codes", [
    ("01 大龄失业人员、07 连续失业1年以上人员", "01,07"),
    ("大龄失业人员;连续失业1年以上人员", "01,07"),
    ("07，01", "01,07"),
    ("1 7", "01,07"),
    ("01大龄失业人员；失业6个月以上的退役军人", "01,11"),
    ("08 戒毒康复人员", "08"),
    ("13", "13"),
])
def test_categories(text, codes):
    p = run("ledger", "categories", [text])
    assert p.error[0] is None and p.values.iloc[0] == codes


@pytest.mark.parametrize("text", ["01 残疾人员", "99", "大龄", "01、foo"])
def test_bad_categories(text):
    p = run("ledger", "categories", [text])
    assert p.error[0] == "CATEGORY_UNKNOWN" and pd.isna(p.values.iloc[0])


@pytest.mark.parametrize("text,code", [("E5", "E5"), ("e5", "E5"), ("E05", "E5"), ("E10", "E10"),
                                       ("E5 已就业创业或失业登记已注销", "E5"), ("死亡", "D1"), ("D2 户籍迁出省外", "D2"),
                                       ("E4：本人申请退出", "E4")])
def test_exit_reasons(text, code):
    p = run("ledger", "exit_reason", [text])
    assert p.error[0] is None and p.values.iloc[0] == code


@pytest.mark.parametrize("text", ["E12", "E5 死亡", "xx", "F1"])
def test_bad_exit_reasons(text):
    assert run("ledger", "exit_reason", [text]).error[0] == "EXIT_REASON_UNKNOWN"


def test_list_items():
    p = run("applications", "materials", ["身份证、户口本；残疾证", " a , b ", None])
    assert p.values.iloc[:2].tolist() == ["身份证、户口本、残疾证", "a、b"] and p.blank[2]


def test_phone_is_text_and_suspicious_is_only_a_warning():
    p = run("ledger", "phone", ["13800138000", 13800138000.0, "0763-5812345", "+86 138 0013 8000", "12345",
                                "13800138000/13900139000"])
    assert p.values.tolist() == ["13800138000", "13800138000", "07635812345", "13800138000", "12345",
                                 "13800138000、13900139000"]
    assert list(p.warning) == [None, None, None, None, "PHONE_SUSPICIOUS", None]
    assert all(e is None for e in p.error)


def test_text_keeps_numbers_as_digits():
    p = run("hukou", "household_id", ["H01", 4418030001.0, "  x  "])
    assert p.values.tolist() == ["H01", "4418030001", "x"]


def test_every_parser_keeps_length_and_marks_blank():
    for src in CONTRACT.sources.values():
        for col in src.columns:
            p = C.parse(col, C.Cells(np.array(["", None], dtype=object)), CTX)
            assert len(p.values) == 2
            assert str(p.values.dtype) == str(pd.Series(dtype=C.DTYPES[col.type]).dtype), (src.name, col.field)
            if col.default is None:
                assert p.blank.all(), (src.name, col.field)
