"""Workbooks written by the suite, opened by another office suite (LibreOffice, headless): printable and lossless.

Without soffice these tests fail, unless JYKN_NO_LIBREOFFICE=1 lists them as not run (skipped with a reason).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from jykn_lib.idcard import make_id
from jykn_lib.io.templates import write_templates
from jykn_lib.io.writer import Col, Sheet, write_workbook

pytestmark = [pytest.mark.libreoffice, pytest.mark.xdist_group("libreoffice")]

ID_DIGITS = make_id("441803", dt.date(1980, 5, 17), 123)
ID_X = "44180319800517123X"


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    if os.environ.get("JYKN_NO_LIBREOFFICE") == "1":
        pytest.skip("LibreOffice 未安装：未运行（not run）")
    pytest.fail("未找到 soffice/libreoffice：请安装 LibreOffice（如 apt-get install libreoffice-calc），"
                "或设置 JYKN_NO_LIBREOFFICE=1 把这些测试列为未运行。", pytrace=False)


def convert(src, fmt: str, out_dir, tmp_path):
    """soffice --headless --convert-to; a private profile so parallel runs do not share a lock."""
    out_dir.mkdir(exist_ok=True)
    cmd = [soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo_profile'}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(out_dir), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    produced = list(out_dir.iterdir())
    assert done.returncode == 0 and len(produced) == 1, f"soffice 转换失败：{done.stdout}\n{done.stderr}"
    return produced[0]


@pytest.fixture
def workbook(tmp_path):
    df = pd.DataFrame({
        "公民身份号码": [ID_DIGITS, ID_X] * 30,
        "姓名": ["张三", "李四"] * 30,
        "联系电话": ["13800138000", "13912345678"] * 30,
        "失业登记日期": pd.to_datetime(["2024-03-05", "2025-12-31"] * 30),
        "提示": ["户籍人口中未匹配到此人，身份证地址码属本省，请核实户籍", ""] * 30,
        "核实结果": [None] * 60,
    })
    sheet = Sheet("核实表", df, title="清新区就业困难人员核实表　2026Q4　太和镇　基准日 2026-11-26",
                  columns={"公民身份号码": Col(kind="text"), "核实结果": Col(dropdown=["属实", "不属实"], editable=True)},
                  highlight=df.index % 7 == 0, highlight_note="红色底纹：需核实", protect=True)
    return write_workbook(tmp_path / "太和镇_核实表.xlsx", [sheet])


def test_convert_to_pdf(workbook, tmp_path):
    pdf = convert(workbook, "pdf", tmp_path / "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(float(w) > float(h) for w, h in boxes)  # A4 landscape survived


def test_roundtrip_keeps_identity_numbers_as_text(workbook, tmp_path):
    back = convert(workbook, "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx", tmp_path)
    ws = openpyxl.load_workbook(back)["核实表"]
    assert [c.value for c in ws[2]][:2] == ["公民身份号码", "姓名"]
    for r, expected in ((3, ID_DIGITS), (4, ID_X)):
        cell = ws.cell(r, 1)
        assert cell.data_type == "s" and cell.value == expected
    assert isinstance(ws.cell(3, 4).value, dt.datetime)
    assert ws.protection.sheet and ws.cell(3, 6).protection.locked is False
    assert ws.data_validations.dataValidation


def test_template_roundtrip(tmp_path):
    path = write_templates(tmp_path / "tpl")[0]
    back = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx", tmp_path)
    ws = openpyxl.load_workbook(back).worksheets[0]
    assert ws.cell(3, 1).data_type == "s" and ws.cell(3, 1).value == ID_DIGITS


def pdf_pages(pdf) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))


def test_print_width_of_a_summary_and_of_a_wide_list(tmp_path):
    """The 16-column 汇总 prints on one page; the town list (too wide for one page at reading size) on two pages side
    by side — LibreOffice honours the print settings the writer chose (issue 9)."""
    from test_writer import list_frame, list_sheet, summary_frame

    summary = write_workbook(tmp_path / "汇总.xlsx", [Sheet("汇总", summary_frame(), title="汇总")])
    assert pdf_pages(convert(summary, "pdf", tmp_path / "pdf1", tmp_path)) == 1
    wide = write_workbook(tmp_path / "名单.xlsx", [list_sheet(list_frame(6))])  # rows for one page tall
    assert pdf_pages(convert(wide, "pdf", tmp_path / "pdf2", tmp_path)) == 2
