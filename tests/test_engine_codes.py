"""The integer person codes (``_pid``) the reader adds for the rule engine: what they are, where they are not, and that
the engine's answers do not depend on who computed them (the reader, or the engine for a hand-made table)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from jykn_lib import idcard
from jykn_lib.io.reader import read_folder
from jykn_lib.params import load_parameters
from jykn_lib.rules import facts as F
from jykn_lib.rules.engine import evaluate, evaluate_exits

AS_OF = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def dataset(synth_district):
    return read_folder(synth_district, as_of=AS_OF)


def test_the_reader_adds_person_codes_to_the_tables_only(dataset):
    for name, table in dataset.tables.items():
        if "id_number" not in table.columns:
            assert "_pid" not in table.columns, name
            continue
        codes, ok = idcard.numeric_codes(idcard.arrow_strings(table["id_number"]))
        assert ok.all() and table["_pid"].dtype == np.int64, name
        assert (table["_pid"].to_numpy() == codes).all(), name
        assert table["id_number"].map(type).eq(str).all(), name  # the number itself stays text
    assert all("_pid" not in rows.columns for rows in dataset.all_rows.values())


def test_the_answers_are_the_same_with_the_readers_codes_and_without(dataset):
    params = load_parameters()
    tables = dataset.tables
    plain = {name: t.drop(columns="_pid", errors="ignore") for name, t in tables.items()}
    people = pd.concat([tables["unemployment"][["id_number"]], tables["ledger"][["id_number"]]]).drop_duplicates()
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(len(people)) * 7 % 700, unit="D")
    people = pd.concat([people.assign(eval_date=dates), people.assign(eval_date=pd.Timestamp(AS_OF))])
    for a, b in ((evaluate(people, tables, params), evaluate(people, plain, params)),
                 (evaluate_exits(tables, AS_OF, params=params), evaluate_exits(plain, AS_OF, params=params))):
        pdt.assert_frame_equal(a.facts, b.facts)
        pdt.assert_frame_equal(a.reasons, b.reasons)
        pdt.assert_frame_equal(a.summary, b.summary)
    assert evaluate(people, tables, params).summary["outcome"].nunique() == 3  # the comparison covers every outcome


def test_birth_date_and_sex_from_codes_are_those_of_parse_ids():
    good = [idcard.make_id("441803", dt.date(1980, 5, 17), 123), idcard.make_id("441827", dt.date(1966, 2, 28), 8)]
    wrong_check = good[0][:17] + ("0" if good[0][17] != "0" else "1")
    bad_date = "44180319801332" + "1234"
    bad_province = "99" + good[0][2:]
    too_old = idcard.make_id("441803", dt.date(1899, 12, 31), 5)
    texts = [*good, wrong_check, bad_date, bad_province, too_old, "abc", "44180319800517123x", good[1].lower()]
    keys = pd.DataFrame({"row": np.arange(len(texts)), "id_number": pd.array(texts, dtype="str")})
    keys["_pid"] = F.Sources({}).codes(keys["id_number"])
    birth, sex = F.birth_and_sex(keys)
    parsed = idcard.parse_ids(keys["id_number"])
    pdt.assert_series_equal(pd.Series(birth), pd.Series(parsed["birth_date"].to_numpy(dtype="datetime64[ns]")))
    assert list(sex) == list(parsed["sex"])
    assert pd.notna(birth[:2]).all() and pd.isna(birth[2:6]).all()
