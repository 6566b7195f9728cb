"""Issue 15: the vectorised library code gives the same answers as the per-row code it replaced (tests/loop_oracles.py),
on frames with the awkward cases: a person exited twice in one call, blanks, NaN against None, dates of every kind."""

from __future__ import annotations

import datetime as dt

import loop_oracles as OLD
import numpy as np
import pandas as pd
import pytest

from jykn_lib import kit
from jykn_lib import ledger as L
from jykn_lib import rowtext as R
from jykn_lib.idcard import make_id
from jykn_lib.io.writer import write_workbook

ON = dt.date(2026, 10, 30)
IDS = [make_id("441803", dt.date(1960 + k, 1 + k % 12, 1 + k % 27), k) for k in range(12)]


@pytest.fixture
def setup(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    return kit.validate_parameters(notebook="02", quarter="2026Q4", as_of="2026-10-30", data_dir=str(data),
                                   out_dir=str(tmp_path / "out"))


def _ledger(setup) -> pd.DataFrame:
    n = len(IDS)
    rows = pd.DataFrame({
        "id_number": IDS, "name": [f"人{k}" if k != 3 else None for k in range(n)],
        "town": ["太和镇", "山塘镇", np.nan] * (n // 3), "categories": ["01", "01,07", None, np.nan] * (n // 4),
        "recognised_date": pd.to_datetime(["2025-03-01", "2025-05-01", None] * (n // 3)),
        "status": ["有效"] * 8 + ["已退出", "有效", None, "有效"],
        "exit_date": [None] * 9 + [dt.date(2026, 9, 1), None, pd.Timestamp("2026-10-30")],
        "exit_reason": [None, np.nan, "", "E5"] + [None] * 7 + ["E5"],
    })
    ledger = rows.reindex(columns=setup.params.contract["ledger"].fields + ["_file", "_row"])
    return pd.concat([ledger, ledger.iloc[[1]]], ignore_index=True)  # the same person 有效 twice (a conflict)


def _exits() -> pd.DataFrame:
    ids = [IDS[0], IDS[1], IDS[2], IDS[0], IDS[8], IDS[11], "000", IDS[2], IDS[4], IDS[5]]
    return pd.DataFrame({
        "id_number": ids,
        "exit_date": [ON, pd.Timestamp("2026-10-01"), dt.date(2026, 10, 2), dt.date(2026, 10, 29), ON,
                      pd.Timestamp("2026-10-30"), ON, dt.date(2026, 10, 2), None, ON],
        "exit_reason": ["E5", "E10", "E1", "E4", "E5", "E5", "E5", "E1", "D1", None],
        "basis": [f"依据{k}" for k in range(10)], "evidence": ["证据"] * 9 + [None],
        "source_file": ["a.xlsx", "", None, np.nan, "b.xlsx", "c", "d", "e", "f", "g"],
        "source_row": pd.array([3, None, 5, 6, 7, 8, 9, 10, 11, 12], dtype="Int64")})


def test_apply_exits_same_as_the_loop(setup):
    ledger, exits = _ledger(setup), _exits()
    want, want_log = OLD.apply_exits(ledger, exits, version="v", on=ON)
    got, got_log = L.apply_exits(ledger, exits, version="v", on=ON)
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(got_log, want_log)
    assert len(want_log) > 6  # the case is not trivial: several people, one of them twice
    # without the optional source columns, and with nothing to change
    slim = exits.drop(columns=["source_file", "source_row"])
    for a, b in zip(L.apply_exits(ledger, slim, version="v", on=ON), OLD.apply_exits(ledger, slim, version="v", on=ON)):
        pd.testing.assert_frame_equal(a, b)
    for a, b in zip(L.apply_exits(want, exits, version="v", on=ON), OLD.apply_exits(want, exits, version="v", on=ON)):
        pd.testing.assert_frame_equal(a, b)


def test_add_recognitions_same_as_the_loop(setup):
    ledger = _ledger(setup)
    new = pd.DataFrame({"id_number": [IDS[8], IDS[10], IDS[1], IDS[10], "X"], "name": ["甲", None, "乙", "丙", "丁"],
                        "town": ["太和镇", "山塘镇", "太和镇", None, "x"], "categories": ["03", None, "01", np.nan, "01,07"],
                        "recognised_date": pd.to_datetime(["2026-11-20", None, "2026-11-20", "2026-11-21", None]),
                        "basis": ["认定"] * 5, "evidence": ["申请"] * 5, "source_file": ["f.xlsx"] * 4 + [None],
                        "source_row": [3, 4, None, 6, 7]})
    for a, b in zip(L.add_recognitions(ledger, new, version="认定", on=ON),
                    OLD.add_recognitions(ledger, new, version="认定", on=ON)):
        pd.testing.assert_frame_equal(a, b)


def test_read_change_log_same_as_the_loop(setup, tmp_path):
    ledger = _ledger(setup)
    after, log = L.apply_exits(ledger, _exits(), version="v", on=ON)
    path = write_workbook(tmp_path / "台账.xlsx", L.version_sheets(setup, after, log, L.read_change_log(None)))
    got, want = L.read_change_log(path), OLD.read_change_log(path)
    pd.testing.assert_frame_equal(got, want)
    assert len(got) == len(log)


def test_cell_texts_is_text_of_each_value():
    values = ["a", "", " ", None, np.nan, pd.NaT, pd.NA, 5.0, 3, True, np.float64(2.5), np.int64(7),
              dt.date(2026, 1, 2), dt.datetime(2026, 3, 4, 5, 6), pd.Timestamp("2020-01-01 10:00"), dt.time(1, 2),
              pd.Timestamp("2021-05-05", tz="Asia/Shanghai"), dt.timedelta(1), np.datetime64("2026-01-01"),
              dt.datetime(1000, 1, 1), 1e20, -0.0]
    assert R.cell_texts(pd.Series(values, dtype=object)).tolist() == [L._text(v) for v in values]
    dates = pd.Series(pd.to_datetime(["2020-01-01", None, "2026-12-31 23:59"], format="mixed"))
    assert R.cell_texts(dates).tolist() == [L._text(v) for v in dates]


def test_join_groups_is_groupby_join():
    rng = np.random.default_rng(3)
    f = pd.DataFrame({"k": rng.choice(["b", "a", "c", None], 200), "k2": rng.integers(0, 3, 200),
                      "t": rng.choice(["x", "y", "z", "长文本"], 200)})
    for by in ("k", ["k", "k2"]):
        for sort in (True, False):
            want = f.groupby(by, sort=sort)["t"].agg("、".join)
            pd.testing.assert_series_equal(R.join_groups(f, by, "t", "、", sort=sort), want, check_dtype=False)
            want = f.groupby(by, sort=sort)["t"].agg(lambda s: "；".join(dict.fromkeys(s)))
            pd.testing.assert_series_equal(R.join_groups(f, by, "t", "；", sort=sort, unique=True), want,
                                           check_dtype=False)
    assert R.join_groups(f.iloc[:0], "k", "t", "、").empty
    rows = rng.integers(0, 50, 300)
    texts = rng.choice(["p", "q", "r"], 300)
    want = np.full(60, "", dtype=object)
    joined = pd.DataFrame({"row": rows, "t": texts}).groupby("row")["t"].agg(",".join)
    want[joined.index.to_numpy()] = joined.to_numpy()
    assert R.join_by_row(rows, texts, 60, ",").tolist() == want.tolist()
    assert R.join_by_row([], [], 3, ",").tolist() == ["", "", ""]


@pytest.mark.parametrize("sep", [",", "、"])
def test_has_part_is_in_split(sep):
    values = ["", "01", "01,07", "07,01", "011", "1,01,", ",01", "01,,07", "a、b", "b、a、c", "、", "a", "ab、a"]
    values = [v.replace(",", sep) for v in values]
    for part in ["01", "07", "", "1", "a", "b", "a、b", "c"]:
        assert R.has_part(pd.Series(values), part, sep).tolist() == [part in v.split(sep) for v in values], part


def test_per_value_is_fn_of_each_value():
    s = pd.Series(["01,07", "", "01", "01,07", "03"])
    fn = lambda v: v.replace(",", "、") + "!"  # noqa: E731
    assert R.per_value(s, fn).tolist() == [fn(v) for v in s]
    with pytest.raises(ValueError):
        R.per_value(pd.Series(["01", None]), fn)


def test_rule_names_is_get_with_the_code_as_default():
    from jykn_lib.io import problems as P
    from jykn_lib.kit.display import _rule_names

    codes = pd.Series([*list(P.RULES)[:3], "NOT_A_RULE", None])
    assert _rule_names(codes).tolist() == [P.RULES.get(c, c) for c in codes]


def test_screening_reason_texts_same_as_the_loop():
    from jykn_lib.analyses import screening as S
    from jykn_lib.params import load_parameters

    reasons = load_parameters().reasons(ON)
    cat = next(c for c, r in reasons.items() if r.kind == "category")
    exc = [c for c, r in reasons.items() if r.kind == "exclusion"][:3]
    long = pd.DataFrame({"row": [0, 0, 1, 2, 2, 2, 3], "code": [cat, exc[0], exc[0], exc[0], exc[1], exc[2], cat],
                         "evidence": ["证据", "", None, "x", "y", "", ""]})
    got = S.reason_texts(long, 5, reasons)
    want = {k: [""] * 5 for k in got}
    for code, r in reasons.items():  # the per-row loop the function had
        for row, e in zip(long.loc[long["code"] == code, "row"], long.loc[long["code"] == code, "evidence"]):
            e = "" if pd.isna(e) else str(e)
            if r.kind == "category":
                parts = [("category", f"{r.label}：{e}（{r.citation}）" if e else f"{r.label}（{r.citation}）", "；")]
            elif r.kind == "exclusion":
                parts = [("exclusion", f"{r.label}（{e}）" if e else r.label, "、"),
                         ("exclusion_clause", r.citation, "、")]
            else:
                continue
            for key, t, sep in parts:
                if key == "exclusion_clause" and t in want[key][row].split(sep):
                    continue
                want[key][row] = t if want[key][row] == "" else want[key][row] + sep + t
    assert {k: v.tolist() for k, v in got.items() if k != "hint"} == {k: v for k, v in want.items() if k != "hint"}
