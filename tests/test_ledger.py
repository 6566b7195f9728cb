"""Ledger versions: exits and recognitions on a new ledger, the 变更记录, idempotence, re-recognition, read-back."""

import datetime as dt

import pandas as pd
import pytest

from jykn_lib import kit, ledger as L
from jykn_lib.idcard import make_id
from jykn_lib.io.reader import read_folder
from jykn_lib.io.writer import write_workbook

A = make_id("441803", dt.date(1970, 3, 1), 11)
B = make_id("441803", dt.date(1975, 6, 1), 22)
ON = dt.date(2026, 10, 30)


@pytest.fixture
def setup(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    return kit.validate_parameters(notebook="02", quarter="2026Q4", as_of="2026-10-30", data_dir=str(data),
                                   out_dir=str(tmp_path / "out"))


def _ledger(setup) -> pd.DataFrame:
    rows = pd.DataFrame({
        "id_number": [A, B], "name": ["甲", "乙"], "town": ["太和镇", "山塘镇"], "categories": ["01", "01,07"],
        "recognised_date": pd.to_datetime(["2025-03-01", "2025-05-01"]), "status": ["有效", "有效"],
    })
    return rows.reindex(columns=setup.params.contract["ledger"].fields + ["_file", "_row"])


def _exits():
    return pd.DataFrame({"id_number": [A], "exit_date": [ON], "exit_reason": ["E5"], "basis": ["镇街核实：建议退出"],
                         "evidence": ["E5 单位缴费 202609"], "source_file": ["审验核实表_2026Q4_太和镇.xlsx"],
                         "source_row": [3]})


def test_exit_changes_the_active_row_and_logs_each_field(setup):
    before = _ledger(setup)
    after, log = L.apply_exits(before, _exits(), version="2026Q4审验", on=ON)
    assert before.loc[0, "status"] == "有效"  # the input is never modified
    row = after[after["id_number"] == A].iloc[0]
    assert (row["status"], row["exit_reason"], row["exit_date"]) == ("已退出", "E5", pd.Timestamp(ON))
    assert list(log["字段"]) == ["状态", "退出日期", "退出原因"]
    assert list(log["原值"]) == ["有效", "", ""] and list(log["新值"]) == ["已退出", "2026-10-30", "E5"]
    assert set(log["来源文件"]) == {"审验核实表_2026Q4_太和镇.xlsx"} and set(log["来源行号"]) == {3}
    assert after[after["id_number"] == B].iloc[0]["status"] == "有效"


def test_applying_the_same_exits_twice_changes_nothing(setup):
    once, log1 = L.apply_exits(_ledger(setup), _exits(), version="v", on=ON)
    twice, log2 = L.apply_exits(once, _exits(), version="v", on=ON)
    pd.testing.assert_frame_equal(once, twice)
    assert len(log1) == 3 and len(log2) == 0


def test_re_recognition_adds_a_row_and_keeps_the_exited_one(setup, tmp_path):
    exited, _ = L.apply_exits(_ledger(setup), _exits(), version="v", on=ON)
    new = pd.DataFrame({"id_number": [A, B], "name": ["甲", "乙"], "town": ["太和镇", "山塘镇"], "categories": ["03", "01"],
                        "recognised_date": pd.to_datetime(["2026-11-20", "2026-11-20"]), "basis": ["认定"] * 2,
                        "evidence": ["申请 SQ1"] * 2, "source_file": ["认定申请.xlsx"] * 2, "source_row": [3, 4]})
    out, log = L.add_recognitions(exited, new, version="认定", on=dt.date(2026, 11, 20))
    rows_a = out[out["id_number"] == A]
    assert sorted(rows_a["status"]) == ["已退出", "有效"]  # both recognitions kept
    assert (out["id_number"] == B).sum() == 1  # B is still 有效: not recognised twice
    assert list(log["公民身份号码"]) == [A] and log.iloc[0]["变更类型"] == "新增认定"
    # the new version reads back as the ledger source, without a conflict, and carries its history
    data = tmp_path / "next"
    data.mkdir()
    path = write_workbook(data / "就业困难人员台账_2026Q4审验后.xlsx",
                          L.version_sheets(setup, out, log, L.read_change_log(None)))
    ds = read_folder(data, only=["ledger"])
    assert ds.errors == [] and len(ds.all_rows["ledger"]) == 3
    assert not (ds.problems["规则代码"] == "DUPLICATE_CONFLICT").any(), ds.problems
    history = L.read_change_log(path)
    assert list(history["公民身份号码"]) == [A] and history.iloc[0]["版本"] == "认定"
    # a later version carries the earlier rows first
    later, log3 = L.apply_exits(out, pd.DataFrame({"id_number": [B], "exit_date": [dt.date(2027, 1, 29)],
                                                   "exit_reason": ["E10"], "basis": ["镇街核实"], "evidence": [""],
                                                   "source_file": [""], "source_row": [None]}),
                                version="2027Q1审验", on=dt.date(2027, 1, 29))
    sheets = L.version_sheets(setup, later, log3, history)
    assert list(sheets[1].data["版本"]) == ["认定"] + ["2027Q1审验"] * 3
