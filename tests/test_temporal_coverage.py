"""Temporal coverage (after Catala's tests_couverture_temporelle): one person per category, evaluated at every quarter
start from 2024Q1 to 2027Q4 in one vectorised call. The rules must answer every time, give each person their
category every time, and never contradict themselves (a general condition met while its exclusion is present, an
outcome that does not follow from the codes, an exit both direct and for verification)."""

import datetime as dt

import pandas as pd
import pytest

from jykn_lib.idcard import make_id
from jykn_lib.rules.engine import evaluate, evaluate_exits
from jykn_lib.rules.reasons import load_reasons

QUARTER_STARTS = [pd.Timestamp(dt.date(y, m, 1)) for y in range(2024, 2028) for m in (1, 4, 7, 10)]
REG = pd.Timestamp("2023-12-01")  # registered before every quarter; C07 from 2024-12-01 on


def _district():
    people = {c: make_id("441803", dt.date(1980, 1, 1 + i), 2 * i + 2) for i, c in enumerate(
        ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"])}
    people["01"] = make_id("441803", dt.date(1980, 1, 1), 2)  # a woman aged 44–47: C01 throughout
    men = {c: make_id("441803", dt.date(1990, 2, 1 + i), 2 * i + 1) for i, c in enumerate(
        ["02", "03", "04", "05", "06", "07", "08", "09", "10", "11"])}
    people.update(men)
    spouse4 = make_id("441803", dt.date(1991, 3, 3), 4)
    spouse5 = make_id("441803", dt.date(1991, 3, 4), 6)
    ids = list(people.values())
    reg_dates = [pd.Timestamp("2021-06-01") if c == "07" else pd.Timestamp("2023-06-01") if c == "11" else REG
                 for c in people]
    hukou = pd.DataFrame({
        "id_number": ids + [spouse4, spouse5],
        "household_id": [f"H{c}" for c in people] + ["H04", "H05"],
        "area_type": ["农村" if c == "05" else "城镇" for c in people] + ["城镇", "农村"],
        "town": "太和镇",
        "hukou_status": "正常",
    })
    tables = {
        "unemployment": pd.DataFrame({"id_number": ids, "reg_date": reg_dates, "reg_status": "有效"}),
        "hukou": hukou,
        "disability": pd.DataFrame({"id_number": [people["02"]], "cert_status": ["有效"],
                                    "issue_date": [pd.Timestamp("2015-01-01")]}),
        "dibao": pd.DataFrame({"id_number": [people["03"]], "assistance_type": ["城市低保"],
                               "start_date": [pd.Timestamp("2020-01-01")], "end_date": [pd.NaT]}),
        "poverty": pd.DataFrame({"id_number": [spouse5]}),
        "landless": pd.DataFrame({"id_number": [people["06"]], "expropriation_date": [pd.Timestamp("2019-05-01")],
                                  "all_land_lost": pd.array([True], dtype="boolean")}),
        "special": pd.DataFrame({"id_number": [people["08"], people["09"], people["10"]],
                                 "person_type": ["戒毒康复", "刑满释放", "精神障碍康复"],
                                 "date": [pd.Timestamp("2019-01-01")] * 3}),
        "veteran": pd.DataFrame({"id_number": [people["11"]], "discharge_date": [pd.Timestamp("2015-09-01")],
                                 "disability_cert_no": [None]}),
    }
    return people, tables


def _frame(people):
    rows = [(c, pid, q) for q in QUARTER_STARTS for c, pid in people.items()]
    return pd.DataFrame(rows, columns=["designed", "id_number", "eval_date"])


def test_every_quarter_gives_each_person_their_category_without_conflict():
    people, tables = _district()
    frame = _frame(people)
    ev = evaluate(frame[["id_number", "eval_date"]], tables)
    s = ev.summary
    assert len(s) == len(people) * len(QUARTER_STARTS) == 176
    for designed, cats in zip(frame["designed"], s["categories"]):
        assert designed in cats.split(","), (designed, cats)
    # C07 appears exactly from the first anniversary of the registration
    seven = s[(frame["designed"] == "03")]
    assert [("07" in c) for c in seven["categories"]] == [q >= pd.Timestamp("2024-12-01") for q in QUARTER_STARTS]
    reasons = load_reasons()
    for row, group in ev.reasons.groupby("row"):
        codes = set(group["code"])
        for code in codes:
            r = reasons[code]
            if r.kind == "exclusion" and r.general:
                assert r.general not in codes, (row, code)
    expected = [
        "candidate" if ok and not exc and n else ("excluded" if n else "no_category")
        for ok, exc, n in zip(s["general_ok"], s["exclusions"], s["n_categories"])
    ]
    assert list(s["outcome"]) == expected
    assert (s["outcome"] == "candidate").all()  # everyone is designed to qualify throughout


def test_exit_rules_answer_every_quarter_without_conflict():
    people, tables = _district()
    ids = list(people.values())
    tables["ledger"] = pd.DataFrame({"id_number": ids, "status": "有效", "recognised_date": pd.Timestamp("2023-12-15"),
                                     "categories": list(people)})
    tables["services"] = pd.DataFrame({
        "id_number": [pid for pid in ids for _ in QUARTER_STARTS],
        "service_date": [q - pd.Timedelta(days=10) for _ in ids for q in QUARTER_STARTS],
        "service_type": "跟踪回访", "method": "电话", "result": "已联系"})
    frame = _frame(people)
    ex = evaluate_exits(tables, dt.date(2024, 1, 1), people=frame[["id_number", "eval_date"]])
    s = ex.summary
    assert len(s) == 176
    assert (s["exits"] == "").all(), s.loc[s["exits"] != "", ["id_number", "eval_date", "exits"]]


@pytest.mark.parametrize("as_of", ["2024-01-01", "2025-01-01", "2027-10-01"])
def test_a_retired_person_exits_in_every_period(as_of):
    old = make_id("441803", dt.date(1950, 1, 1), 1)
    tables = {"ledger": pd.DataFrame({"id_number": [old], "status": ["有效"],
                                      "recognised_date": [pd.Timestamp("2023-10-01")], "categories": ["01"]})}
    ex = evaluate_exits(tables, dt.date.fromisoformat(as_of))
    assert ex.summary["direct"].tolist() == ["E1"]
