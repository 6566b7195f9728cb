"""`jykn check`: the per-source table, ignored and missing sources, the report workbook, and the exit status."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from python_calamine import load_workbook

from jykn_lib.cli import main as cli
from jykn_lib.io import problems as P
from jykn_lib.io.reader import DataSet, read_folder

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
GOOD = ["户籍人口_标题行.xlsx", "失业登记_GBK导出.csv", "失业登记_BOM.csv", "低保人员.xls", "残疾人_LibreOffice.xlsx",
        "就业困难人员台账.xlsx", "社保缴费.csv", "认定申请_GB18030.csv", "公益性岗位.xlsx", "原建档立卡_仅表头.xlsx"]


def make(tmp_path: Path, names: list[str]) -> Path:
    d = tmp_path / "2026Q4"
    d.mkdir()
    for n in names:
        shutil.copyfile(HOSTILE / n, d / n)
    return d


def sheet_rows(path: Path, name: str) -> list[list]:
    return load_workbook(str(path)).get_sheet_by_name(name).to_python()


def test_check_passes_with_rejected_rows_and_writes_the_report(tmp_path, capsys):
    d = make(tmp_path, GOOD)
    (d / "备忘.txt").write_text("x", encoding="utf-8")
    (d / "旧").mkdir()
    rc = cli(["check", "--data", str(d), "--as-of", "2026-11-26"])
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.splitlines()
    hukou = next(line for line in lines if line.startswith("户籍人口"))
    assert hukou.split()[:6] == ["户籍人口", "已读取", "1", "16", "11", "5"]  # files, read, used, rejected
    unemployment = next(line for line in lines if line.startswith("失业登记"))
    assert unemployment.split()[2:6] == ["2", "10", "6", "4"]
    assert "失业登记：2个文件合并读取" in out
    assert "未提供：退役军人、失地农民、特殊人员、养老待遇、市场主体、帮扶记录" in out
    assert "备忘.txt" in out and "旧/" in out
    assert "结论：通过" in out

    report = tmp_path / "数据检查报告.xlsx"  # default: beside the data folder, not inside it
    assert report.exists() and f"检查报告：{report}" in out
    wb = load_workbook(str(report))
    assert wb.sheet_names[:3] == ["汇总", "文件明细", "问题数据"]
    ds = read_folder(d, as_of="2026-11-26")
    problems = sheet_rows(report, "问题数据")
    # the sheet a clerk reads: 问题类型 in Chinese where the data keeps the rule code
    assert problems[1] == ["来源", "文件", "工作表", "行号", "列", "原值", "问题类型", "问题说明", "处理"]
    body = problems[2:2 + len(ds.problems)]
    assert len(body) == len(ds.problems)
    assert not any(re.fullmatch(r"[A-Z_]+", str(r[6])) for r in body)
    numeric = [r for r in body if r[6] == P.RULES["ID_NUMERIC"] and r[1] == "户籍人口_标题行.xlsx"]
    assert numeric and numeric[0][3] == 9 and isinstance(numeric[0][5], str)  # row number; 原值 kept as text
    summary = sheet_rows(report, "汇总")
    assert summary[1][:3] == ["来源", "状态", "文件数"]
    assert any("取变动日期最新的一条" in str(r[0]) for r in summary)  # the resolve rule is written in the report
    files = sheet_rows(report, "文件明细")
    assert len(files) - 2 >= len(GOOD)


def test_missing_required_column_fails(tmp_path, capsys):
    d = make(tmp_path, ["社保缴费.csv", "失地农民_缺列.xlsx"])
    report = tmp_path / "out" / "r.xlsx"
    rc = cli(["check", "--data", str(d), "--report", str(report)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "缺少必填列“是否全部失地”" in out and "结论：未通过" in out
    assert report.exists()
    assert any(r[6] == P.RULES["COLUMN_MISSING"] for r in sheet_rows(report, "问题数据")[2:])


def test_two_ledgers_fail(tmp_path, capsys):
    d = make(tmp_path, ["就业困难人员台账.xlsx"])
    shutil.copyfile(d / "就业困难人员台账.xlsx", d / "就业困难人员台账_2026年10月.xlsx")
    assert cli(["check", "--data", str(d)]) == 1
    assert "请确认使用哪一个" in capsys.readouterr().out


def test_notebook_requirements(tmp_path, capsys):
    d = make(tmp_path, ["户籍人口_标题行.xlsx", "失业登记_BOM.csv"])
    assert cli(["check", "--data", str(d), "--notebook", "01"]) == 0
    assert "Notebook 01 必需的来源（失业登记、户籍人口）齐全" in capsys.readouterr().out
    assert cli(["check", "--data", str(d), "--notebook", "2"]) == 1  # 02 needs the ledger
    out = capsys.readouterr().out
    assert "就业困难人员台账 缺失或无法使用" in out
    assert cli(["check", "--data", str(d)]) == 0  # without --notebook a missing source is only 未提供


@pytest.mark.parametrize("extra,message", [
    (["--as-of", "2026-13-45"], "基准日"),
    (["--notebook", "99"], "Notebook"),
])
def test_usage_errors(tmp_path, capsys, extra, message):
    d = make(tmp_path, ["社保缴费.csv"])
    assert cli(["check", "--data", str(d), *extra]) == 2
    assert message in capsys.readouterr().err


def test_missing_folder(tmp_path, capsys):
    assert cli(["check", "--data", str(tmp_path / "nope")]) == 2
    assert "不存在" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(EXPECTED))
def test_exit_status_on_every_hostile_file(tmp_path, capsys, name):
    """通过 (0) only when nothing was lost and no source is refused; rejected rows alone do not fail the check."""
    d = make(tmp_path, [name])
    rc = cli(["check", "--data", str(d), "--as-of", "2026-11-26"])
    out = capsys.readouterr().out
    assert rc == EXPECTED[name]["check"], out
    assert ("结论：通过" in out) == (rc == 0)
    if rc:
        assert "错误：" in out and name in out


def test_a_failed_count_check_fails(tmp_path, capsys, monkeypatch):
    d = make(tmp_path, ["社保缴费.csv"])
    monkeypatch.setattr(DataSet, "count_errors", lambda self: ["社保缴费.csv：读入 7 ≠ 使用 3 + 剔除 3"])
    assert cli(["check", "--data", str(d)]) == 1
    out = capsys.readouterr().out
    assert "行数核对未通过" in out and "结论：未通过" in out


def test_unwritable_report_is_a_message(tmp_path, capsys):
    d = make(tmp_path, ["社保缴费.csv"])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli(["check", "--data", str(d), "--report", str(blocker / "sub" / "r.xlsx")]) == 1
    assert "无法写入检查报告" in capsys.readouterr().err
