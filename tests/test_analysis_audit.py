"""02 定期审验 through the library on the synthetic district: a small simulated year (2026Q3 → 2026Q4: issue, the
synthetic towns' returns, collect, the next quarter from the new ledger), checked against what was planted
(synth_manifest.json's town_truth and exit labels) and what the synthetic towns meant (returns_truth.json); the new
ledger reads back with its history; collecting twice changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jykn_lib import demo as D
from jykn_lib import kit
from jykn_lib import ledger as L
from jykn_lib.analyses import audit as A
from jykn_lib.io import returns as RT
from jykn_lib.io.reader import read_folder
from jykn_lib.periods import Quarter

pytestmark = pytest.mark.slow
Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)


@pytest.fixture(scope="module")
def year(synth_district, tmp_path_factory):
    """2026Q3 and 2026Q4, every step through the library calls the notebook makes."""
    out = tmp_path_factory.mktemp("year")
    y = D.Year(out=out, base=synth_district, seed=7, as_of="2026-11-26", jobs=1, quiet=True, last=Q4, notebooks=False)
    D.run_year(y, first=Q3)
    return y


def kept(y: D.Year, q: Quarter, phase: str) -> A.AuditResult:
    return kit.load_result(A.AuditResult, y.out / str(q) / "区汇总" / "results" / f"02_{phase}")


def truth(y: D.Year, q: Quarter) -> dict:
    return json.loads((y.returns(q) / "returns_truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("q", [Q3, Q4], ids=str)
def test_every_issued_row_ends_as_the_towns_meant(year, q):
    t = truth(year, q)
    o = kept(year, q, "collect")["outcome"].set_index("核实编号")
    assert set(o.index) == set(t["rows"])
    got = {no: {"返回状态": r["返回状态"], "结论": r["结论"], "退出原因": r["退出原因"] if r["结论"] == RT.CONFIRMED else None}
           for no, r in o.iterrows()}
    assert got == {no: v["expected"] for no, v in t["rows"].items()}
    returned = (o["返回状态"] == RT.RETURNED).sum()
    assert returned + (o["返回状态"] != RT.RETURNED).sum() == len(t["rows"])  # issued = returned + missing
    exits = kept(year, q, "collect")["exits"]
    town = exits[exits["决定方式"] == "镇街核实确认"]
    assert dict(zip(town["公民身份号码"], town["退出原因"])) == t["expected_exits"]
    # the mess was planted, and each kind is reported
    problems = set(kept(year, q, "collect")["problems"]["问题代码"])
    for kind, code in (("missing_town", "R_TOWN_MISSING"), ("twice", "R_FILE_SUPERSEDED"), ("late", "R_LATE"),
                       ("missing_row", "R_ROW_MISSING"), ("blank_rows", "R_NOTE_ROW")):
        assert not t["mess"].get(kind) or code in problems, kind
    if t["row_mess"]["free_text"]:
        assert "R_ANSWER_SYNONYM" in problems
    # the right ledger: every confirmed exit applied, everyone else still 有效 (unless the input had them exited)
    ledger = kept(year, q, "collect")["ledger"]
    active = ledger[ledger["status"] == "有效"].set_index("id_number")
    exited = ledger[ledger["status"] == "已退出"]
    before = read_folder(year.data(q), only=["ledger"]).all_rows["ledger"]
    was_active = set(before.loc[before["status"] == "有效", "id_number"])
    for v in t["rows"].values():
        pid = v["公民身份号码"]
        if v["expected"]["结论"] == RT.CONFIRMED:
            assert pid not in active.index and pid in set(exited["id_number"]), pid
        elif pid not in set(exits["公民身份号码"]) and pid in was_active:
            assert pid in active.index, pid  # not confirmed, no direct exit: still 有效
    applied = exits[exits["台账处理"] == "已变更"]
    rows = exited.set_index("id_number").loc[applied["公民身份号码"]]
    assert (rows["exit_reason"].to_numpy() == applied["退出原因"].to_numpy()).all()
    # a complete report: the summary workbook's sheets, kept beside it, list the missing rows and the problems
    sheets = kit.load_tables(year.out / str(q) / "区汇总" / "results" / f"审验结果汇总_{q}")
    missing = {no for no, v in t["rows"].items() if v["expected"]["返回状态"] != RT.RETURNED}
    assert set(sheets["未返回"]["核实编号"]) == missing
    assert set(sheets["问题数据"]["问题代码"]) == problems


def test_town_truth_is_issued_and_answered(year, synth_manifest):
    """Each person the towns know something about, first signalled in Q4, is in a Q4 核实表 with that signal."""
    issued = kept(year, Q4, "issue")["issued"].set_index("公民身份号码")
    planted = {pid: v for pid, v in synth_manifest["town_truth"].items() if v["quarter"] == "2026Q4" and "answer" in v}
    assert planted
    for pid, v in planted.items():
        assert pid in issued.index, v["case"]
        assert v["signal"] in issued.loc[pid, "信号代码"].split(","), v["case"]


def test_exits_follow_the_planted_labels_and_direct_exits(year, synth_manifest):
    """Q4 issue: the district applies E1 (men, and women with a recorded base) and D1 itself; a woman without a
    recorded base goes to her town; an E1 later in the quarter is listed with its date."""
    r = kept(year, Q4, "issue")
    people = r["people"].set_index("公民身份号码")
    cases = {c["case"]: c for c in synth_manifest["cases"]}
    truth = synth_manifest["town_truth"]
    male = cases["town_e1_later_male_2026Q4"]["id_number"]
    direct = r["direct"].set_index("公民身份号码")
    assert direct.loc[male, "退出原因"] == "E1"
    assert direct.loc[male, "事件日期"] == pd.Timestamp(truth[male]["retirement"]) > pd.Timestamp("2026-10-08")
    female = cases["town_e1_later_female_2026Q4"]["id_number"]
    assert female not in direct.index and "E1" in people.loc[female, "verify"].split(",")
    assert "将于 " + truth[female]["retirement"] in people.loc[female, "系统提示"]
    base55 = cases["town_e1_base55_2026Q4"]["id_number"]
    assert people.loc[base55, "verify"] == "E1" and people.loc[base55, "direct"] == ""
    # the new ledger applies the later E1 with its exact date: still recognised on the due date, exited after it
    ledger = kept(year, Q4, "collect")["ledger"]
    row = ledger[ledger["id_number"] == male].iloc[0]
    assert row["status"] == "已退出" and row["exit_date"] == pd.Timestamp(truth[male]["retirement"])


def test_next_quarter_starts_from_the_new_ledger_with_its_history(year):
    q3_ledger = year.out / "2026Q3" / "区汇总" / "就业困难人员台账_2026Q3审验后.xlsx"
    in_q4 = year.data(Q4) / q3_ledger.name
    assert in_q4.is_file() and not (year.data(Q4) / "就业困难人员台账.xlsx").exists()
    ds = read_folder(year.data(Q4), as_of=dt.date(2026, 10, 8), only=["ledger"])
    # the versions add no conflict: the only ones are the ledger review's duplicates planted in the base ledger
    base = read_folder(year.base, as_of=dt.date(2026, 10, 8), only=["ledger"])

    def conflicts(d):
        return set(d.problems.loc[d.problems["规则代码"] == "DUPLICATE_CONFLICT", "原值"])

    assert ds.errors == [] and conflicts(ds) <= conflicts(base)
    exited = kept(year, Q3, "collect")["exits"]
    changed = exited[(exited["台账处理"] == "已变更") & (exited["退出日期"] <= pd.Timestamp("2026-10-08"))]
    before_q4 = changed["公民身份号码"]  # (an exit already in the input ledger with a later date is left as it was)
    assert len(before_q4) and not set(before_q4) & set(kept(year, Q4, "issue")["people"]["公民身份号码"])
    history = L.read_change_log(year.out / "2026Q4" / "区汇总" / "就业困难人员台账_2026Q4审验后.xlsx")
    versions = history["版本"].drop_duplicates().tolist()
    assert versions == ["2026Q3定期审验", "2026Q4定期审验"]  # the earlier version's rows first
    assert len(history[history["版本"] == "2026Q3定期审验"]) == kept(year, Q3, "collect").meta["changes_this_version"]


def _cells(path: Path) -> dict[str, list]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def _collect(y: D.Year, q: Quarter, data: Path, out: Path) -> A.AuditResult:
    setup = kit.validate_parameters(notebook="02", quarter=str(q), as_of=A.as_of_for(str(q), "", "collect"),
                                    data_dir=str(data), out_dir=str(out), phase="collect",
                                    returns_dir=str(y.returns(q)))
    return kit.run(setup, A).result


def test_collecting_twice_changes_nothing(year, tmp_path):
    first = year.out / "2026Q4" / "区汇总" / "就业困难人员台账_2026Q4审验后.xlsx"
    before, n_before = _cells(first), before_changes(year)
    assert n_before > 0
    again = _collect(year, Q4, year.data(Q4), year.out)  # the same returns, the same inputs
    assert _cells(first) == before  # ledger and 变更记录, cell by cell
    assert again.meta["changes_this_version"] == n_before
    # the new ledger as the input, the same returns once more: nothing changes, the history is kept as it was
    data = tmp_path / "data"
    shutil.copytree(year.data(Q4), data)
    for p in data.glob("就业困难人员台账*"):
        p.unlink()
    shutil.copy2(first, data / first.name)
    out = tmp_path / "out"
    shutil.copytree(year.out / "2026Q4" / "区汇总" / "results" / "02_issue",
                    out / "2026Q4" / "区汇总" / "results" / "02_issue")
    third = _collect(year, Q4, data, out)
    assert third.meta["changes_this_version"] == 0
    assert set(third["exits"]["台账处理"]) <= {"未变更（输入台账中此人已无有效记录，或已是同样的退出）"}
    second = _cells(out / "2026Q4" / "区汇总" / first.name)
    assert second[L.LEDGER_SHEET][1:] == before[L.LEDGER_SHEET][1:]  # same rows (the title names the version)
    assert second[L.CHANGES_SHEET][1:] == before[L.CHANGES_SHEET][1:]


def before_changes(y: D.Year) -> int:
    return int(json.loads((y.out / "2026Q4" / "区汇总" / "results" / "02_collect" / "meta.json")
                          .read_text(encoding="utf-8"))["changes_this_version"])


def test_each_town_workbook_holds_only_its_people_with_dropdowns(year):
    issued = kept(year, Q4, "issue")["issued"]
    seen = []
    for town in issued["所属镇街"].unique():
        wb = openpyxl.load_workbook(year.out / "2026Q4" / town / f"审验核实表_2026Q4_{town}.xlsx")
        ws = wb["核实表"]
        header = [c.value for c in ws[2]]
        ids = [ws.cell(r, header.index("公民身份号码") + 1).value for r in range(3, ws.max_row + 1)]
        assert set(ids) == set(issued.loc[issued["所属镇街"] == town, "公民身份号码"])
        seen += ids
        validated = {header[openpyxl.utils.column_index_from_string(str(dv.sqref).split(":")[0].rstrip("0123456789"))
                            - 1] for dv in ws.data_validations.dataValidation}
        assert validated == {"核实结果", "退出原因", "核实方式"}
    assert sorted(seen) == sorted(issued["公民身份号码"])  # each issued person in exactly one town's workbook


def test_quarter_dates(year):
    issue, collect = kept(year, Q4, "issue").meta, kept(year, Q4, "collect").meta
    assert (issue["as_of"], issue["due"]) == ("2026-10-08", "2026-10-30")
    assert collect["as_of"] == "2026-10-30" and collect["issue_date"] == "2026-10-08"
    assert A.as_of_for("2026Q4", "", "issue") == "2026-10-08" and A.as_of_for("2026Q4", "", "collect") == "2026-10-30"
    assert A.as_of_for("2026Q4", "2026-11-02", "collect") == "2026-11-02"


def test_collect_refuses_without_the_issue_phase_or_the_returns(synth_district, tmp_path):
    setup = kit.validate_parameters(notebook="02", quarter="2026Q2", as_of="2026-04-30", data_dir=str(synth_district),
                                    out_dir=str(tmp_path), phase="collect", returns_dir=str(tmp_path))
    with pytest.raises(kit.ResultError, match="下发阶段"):
        A.read_extra(setup)
    setup = kit.validate_parameters(notebook="02", quarter="2026Q2", as_of="2026-04-30", data_dir=str(synth_district),
                                    out_dir=str(tmp_path), phase="collect", returns_dir="")
    with pytest.raises(ValueError, match="returns_dir"):
        A.read_extra(setup)
