"""Returned 审验核实表 read back the way clerks send them (tests/data/returns, built by its make_fixtures.py): every issued
row ends with the expected 返回状态 and 结论, every kind of mess is reported, nothing is unaccounted for; and the issued
workbook itself (dropdowns, no protection, the deadline, a town's own people only)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jykn_lib.io import returns as RT
from jykn_lib.params import load_parameters

HERE = Path(__file__).parent / "data" / "returns"
sys.path.insert(0, str(HERE))
import make_fixtures as F  # noqa: E402

EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
PARAMS = load_parameters()


def reconcile(scenario: str) -> RT.Reconciled:
    returned = RT.read_returns(HERE / scenario, as_of=F.DUE, params=PARAMS,
                               clock=lambda: dt.datetime(2026, 10, 31, 9, 30))
    return RT.reconcile(F.issued(), returned, issue_day=F.ISSUE, due=F.DUE, as_of=F.DUE, params=PARAMS)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_issued_row_ends_as_planned(scenario):
    rec = reconcile(scenario)
    want = EXPECTED[scenario]
    o = rec.outcome.set_index("核实编号")
    got = {no: [o.loc[no, "返回状态"], o.loc[no, "结论"],
                o.loc[no, "退出原因"] if o.loc[no, "结论"] == RT.CONFIRMED else None] for no in o.index}
    assert got == want["rows"]
    # nothing unaccounted for: issued = returned + missing, one outcome per issued row
    assert len(o) == len(F.issued()) and o.index.is_unique
    assert (o["返回状态"] == RT.RETURNED).sum() + (o["返回状态"] != RT.RETURNED).sum() == len(o)
    codes = set(rec.problems["问题代码"])
    assert set(want["problems"]) <= codes, set(want["problems"]) - codes
    if scenario == "clean":
        assert rec.problems.empty, rec.problems
    used = rec.files[rec.files["使用"] == RT.USED].set_index("所属镇街")["文件"].to_dict()
    assert used == {t: f for t, f in want["used"].items() if f}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_returned_row_is_used_merged_or_listed(scenario):
    rec = reconcile(scenario)
    rows = rec.rows
    listed = set(zip(rec.problems["文件"], rec.problems["行号"].astype("Int64")))
    for r in rows.itertuples(index=False):
        if r.处理 != RT.USED and r.文件 in set(rec.files.loc[rec.files["使用"] == RT.USED, "文件"]):
            assert (r.文件, r.行号) in listed, (r.文件, r.行号)  # an unused row of a used file says why
    unused_files = rec.files[(rec.files["使用"] == RT.NOT_USED) & (rec.files["状态"] != "未读取")]
    for f in unused_files["文件"]:
        assert f in set(rec.problems["文件"]), f


def test_free_text_is_accepted_by_its_synonym_and_the_original_reported():
    rec = reconcile("free_text")
    syn = rec.problems[rec.problems["问题代码"] == "R_ANSWER_SYNONYM"].set_index("核实编号")["原值"].to_dict()
    assert syn == {F.number("太和镇", 1): "已就业", F.number("太和镇", 2): "联系不上", F.number("太和镇", 3): "符合"}
    o = rec.outcome.set_index("核实编号")
    assert o.loc[F.number("太和镇", 1), "核实方式"] == "走访"  # 上门
    assert o.loc[F.number("太和镇", 3), "核实方式"] == "电话"  # 打电话
    assert o.loc[F.number("太和镇", 4), "退出原因"] == "E3"  # a bare code in the dropdown cell


def test_wps_save_renamed_sheet_title_rows_filter_and_xls_are_read():
    rec = reconcile("wps")
    files = rec.files.set_index("文件")
    wps = files.loc["太和镇审验结果（WPS）.xlsx"]
    assert wps["工作表"] == "Sheet1" and wps["表头行"] == 3 and wps["数据行数"] == 4
    assert wps["报送日期"] == pd.Timestamp("2026-10-28") and wps["报送日期原值"] == "2026年10月28日"
    assert "Sheet1" in wps["说明"]  # the renamed sheet is said
    xls = files.loc["审验核实表_2026Q4_山塘镇.xls"]
    assert xls["状态"] == "已读取" and xls["数据行数"] == 5 and xls["按时"] == "按时"
    assert set(rec.rows["处理"]) == {RT.USED}


def test_mess_twice_late_blank_rows_deleted_and_bad_answers():
    rec = reconcile("mess")
    files = rec.files.set_index("文件")
    assert files.loc["太和镇（修改后）.xlsx", "按时"] == "逾期"
    early = files.loc["审验核实表_2026Q4_太和镇.xlsx"]
    assert early["使用"] == RT.NOT_USED and "太和镇（修改后）.xlsx" in early["使用说明"] and "报送日期较晚" in early["使用说明"]
    assert files.loc["太和镇（修改后）.xlsx", "空行数"] >= 2 and files.loc["太和镇（修改后）.xlsx", "说明行数"] == 2
    p = rec.problems.set_index("问题代码")
    assert p.loc["R_ID_MISMATCH", "核实编号"] == F.number("山塘镇", 4)
    assert p.loc["R_NOT_ISSUED", "原值"] == "2026Q4-105-0099"
    assert p.loc["R_ANSWER_UNKNOWN", "原值"] == "待定"
    assert p.loc["R_ID_UNREADABLE", "核实编号"] == F.number("山塘镇", 2)  # the number Excel ate; the name matched
    assert (rec.problems["问题代码"] == "R_DUPLICATE_CONFLICT").sum() == 2  # both rows listed, neither used
    assert p.loc["R_ROW_MISSING", "核实编号"] == F.number("太和镇", 4)
    # 读取时间 is recorded for every file read
    assert (rec.files.loc[rec.files["状态"] == "已读取", "读取时间"] == "2026-10-31 09:30:00").all()


def test_unreadable_files_and_ignored_ones_are_listed():
    rec = reconcile("broken")
    files = rec.files.set_index("文件")
    assert files.loc["太和镇_加密.xlsx", "状态"] == "无法读取" and "加密" in files.loc["太和镇_加密.xlsx", "说明"]
    assert files.loc["山塘镇_网页.xls", "状态"] == "无法读取" and "网页" in files.loc["山塘镇_网页.xls", "说明"]
    assert files.loc["其他表格.xlsx", "状态"] == "找不到核实表"
    assert files.loc["~$审验核实表_2026Q4_太和镇.xlsx", "状态"] == "未读取"
    assert files.loc["旧文件/", "状态"] == "未读取"


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="不存在"):
        RT.read_returns(tmp_path / "nope", as_of=F.DUE, params=PARAMS)


def test_vocabulary_never_guesses():
    v = RT.Vocabulary.load(PARAMS, F.DUE)
    assert v.result("已就业") == ("建议退出", "E5", RT.IMPLIED)
    assert v.result(" 联系 不上 ") == ("无法联系", None, RT.SYNONYM)
    assert v.result("可能已就业吧")[2] == RT.UNKNOWN
    assert v.reason("E5 已就业创业或失业登记已注销") == ("E5", RT.DROPDOWN)
    assert v.reason("ｅ５") == ("E5", RT.DROPDOWN)  # full-width, lower case
    assert v.reason("E5 被判处刑罚") == (None, RT.UNKNOWN)  # a code with another reason's name
    assert v.reason("E99") == (None, RT.UNKNOWN)
    assert v.method("上门走访") == ("走访", RT.SYNONYM)


# ------------------------------------------------------------------------------------------------ the issued workbook


@pytest.fixture(scope="module")
def issued_books(tmp_path_factory):
    return F.write_issued(tmp_path_factory.mktemp("issued"))


def test_issued_workbook_has_dropdowns_deadline_and_only_its_town(issued_books):
    codes = PARAMS["rules.exits.town_answer_codes"].at(F.ISSUE)
    reasons = PARAMS.reasons(F.ISSUE)
    for town, path in issued_books.items():
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[:3] == ["核实表", "报送信息", "填写说明"]
        ws = wb["核实表"]
        assert "2026-10-30 前报送" in ws["A1"].value and town in ws["A1"].value
        header = [c.value for c in ws[2]]
        assert header == RT.SYSTEM_COLUMNS + RT.ANSWER_COLUMNS
        ids = [ws.cell(r, header.index("公民身份号码") + 1).value for r in range(3, ws.max_row + 1)]
        mine = F.issued()[F.issued()["所属镇街"] == town]["公民身份号码"].tolist()
        assert [i for i in ids if i] == mine  # only the town's own people, as text
        assert all(isinstance(i, str) for i in ids if i)
        assert not ws.protection.sheet  # unprotected: clerks can sort (docs/audit.md)
        n = len(mine)
        lists = {}
        for dv in ws.data_validations.dataValidation:
            col = str(dv.sqref).split(":")[0].rstrip("0123456789")
            lists[header[openpyxl.utils.column_index_from_string(col) - 1]] = (dv.formula1, str(dv.sqref))
        assert set(lists) == {"核实结果", "退出原因", "核实方式"}
        for name, (_formula, ref) in lists.items():
            assert ref.endswith(str(2 + n)), (name, ref)  # the answer cells of every data row
        assert lists["核实结果"][0] == '"仍符合条件,建议退出,无法联系"'
        options = lists["退出原因"][0].strip('"').split(",")  # inline (within Excel's 255 characters)
        assert options == [f"{c} {reasons[c].label}" for c in codes]
        info = {wb["报送信息"].cell(r, 1).value: wb["报送信息"].cell(r, 2).value for r in range(3, 9)}
        assert info["镇街"] == town and info["报送截止日期"] == "2026-10-30" and info["报送日期"] is None


@pytest.mark.libreoffice
def test_issued_workbook_prints(issued_books, tmp_path):
    """LibreOffice opens it and prints the 核实表 (A4 landscape, one page wide)."""
    import shutil as sh

    if not sh.which("soffice"):
        pytest.skip("soffice 未安装")
    path = issued_books["山塘镇"]
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (path.stem + ".pdf")
    assert pdf.is_file() and pdf.read_bytes()[:4] == b"%PDF"


# ------------------------------------------------------------------------------------------------ the commands


def _jykn(*argv):
    import contextlib
    import io

    from jykn_lib import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_run_options_phase_and_returns(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    code, _, err = _jykn("run", "--quarter", "2026Q4", "--data", str(data), "--notebooks", "02", "--phase", "collect")
    assert code == 2 and "--returns" in err
    code, _, err = _jykn("run", "--quarter", "2026Q4", "--data", str(data), "--returns", str(tmp_path))
    assert code == 2 and "--phase collect" in err
    code, _, err = _jykn("run", "--quarter", "2026Q4", "--data", str(data), "--phase", "collect",
                         "--returns", str(tmp_path / "nope"))
    assert code == 2 and "不存在" in err
    import argparse

    from jykn_lib.commands.run import audit_extra

    extra, as_of = audit_extra(argparse.Namespace(quarter="2026Q4", as_of=None, phase="collect", returns=str(tmp_path)))
    assert extra == {"phase": "collect", "returns_dir": str(tmp_path.resolve())} and as_of == "2026-10-30"
    extra, as_of = audit_extra(argparse.Namespace(quarter="2026Q4", as_of=None, phase="issue", returns=None))
    assert extra == {"phase": "issue"} and as_of == "2026-10-08"
    assert audit_extra(argparse.Namespace(quarter="2026Q4", as_of="2026-11-02", phase="collect",
                                          returns=str(tmp_path)))[1] is None  # --as-of given: kept as typed


def test_each_phase_keeps_its_own_executed_notebook(tmp_path):
    from jykn_lib.runner import prepare_request
    from jykn_lib.runner.plan import build_plan

    data = tmp_path / "data"
    data.mkdir()
    names = {}
    for phase in ("issue", "collect"):
        extra = {"phase": phase} | ({"returns_dir": str(tmp_path)} if phase == "collect" else {})
        request = prepare_request("2026Q4", data, tmp_path / "out", notebooks="02", extra=extra)
        runs = {r.key: r for r in build_plan(request)}
        names[phase] = runs["02/区汇总"].output_ipynb.name
        assert runs["02/区汇总"].parameters["phase"] == phase
        expected = runs["02/区汇总"].expected
        assert expected == (("区汇总/审验下发名单_2026Q4.xlsx",) if phase == "issue" else
                            ("区汇总/审验结果汇总_2026Q4.xlsx", "区汇总/就业困难人员台账_2026Q4审验后.xlsx"))
    assert names == {"issue": "02_quarterly_audit_2026Q4_区汇总_issue.ipynb",
                     "collect": "02_quarterly_audit_2026Q4_区汇总_collect.ipynb"}


def test_synth_returns_command_needs_its_folders(tmp_path):
    with pytest.raises(SystemExit, match="--issued"):
        _jykn("synth", "returns", "--data", str(tmp_path), "--out", str(tmp_path / "o"))
    with pytest.raises(SystemExit, match="找不到下发的审验核实表"):
        (tmp_path / "synth_manifest.json").write_text("{}", encoding="utf-8")
        _jykn("synth", "returns", "--issued", str(tmp_path), "--data", str(tmp_path), "--out", str(tmp_path / "o"))
