"""jykn_lib.io.writer and jykn_lib.io.crypto: what a clerk opens in Excel/WPS, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter.utility
import xlsxwriter.worksheet

from jykn_lib.idcard import make_id
from jykn_lib.io import crypto, writer
from jykn_lib.io.writer import Col, Sheet, password_from_env_or_file, text_width, write_workbook

ID_DIGITS = make_id("441803", dt.date(1980, 5, 17), 123)  # ends in a digit
ID_X = "44180319800517123X"
assert ID_DIGITS[-1].isdigit() and ID_DIGITS.isdigit()
TITLE = "清新区就业困难人员核实表　2026Q4　太和镇　基准日 2026-11-26"
ANSWERS = ["属实", "不属实"]
LONG = "户籍人口中未匹配到此人，身份证地址码属本省，请核实户籍"


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "公民身份号码": [ID_DIGITS, ID_X, make_id("441803", dt.date(1975, 1, 2), 456)],
        "姓名": ["张三", "李四", "王五"],
        "联系电话": [13800138000, 13912345678, 13700000000],  # int64: must still come out as text
        "失业登记日期": pd.to_datetime(["2024-03-05", "2025-12-31", None]),
        "提示": [LONG, "", "无"],
        "核实结果": [None, None, None],
    })


def sheet(df=None, **kw) -> Sheet:
    args = dict(
        name="核实表", data=frame() if df is None else df, title=TITLE,
        columns={"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"),
                 "核实结果": Col(dropdown=ANSWERS, editable=True)},
        highlight=pd.Series([False, True, False]), highlight_note="红色底纹：逾期或需核实", protect=True,
    )
    args.update(kw)
    return Sheet(**args)


@pytest.fixture(params=[False, True], ids=["shared_strings", "constant_memory"])
def ws(request, tmp_path):
    path = write_workbook(tmp_path / "核实表.xlsx", [sheet()], constant_memory=request.param)
    return openpyxl.load_workbook(path)["核实表"]


def test_identity_numbers_and_phones_are_text_cells(ws):
    ids = [ws.cell(r, 1) for r in (3, 4, 5)]
    assert [c.data_type for c in ids] == ["s", "s", "s"]
    assert ids[0].value == ID_DIGITS and ids[1].value == ID_X
    assert all(len(c.value) == 18 for c in ids)
    phone = ws.cell(3, 3)
    assert phone.data_type == "s" and phone.value == "13800138000"
    assert ws.column_dimensions["A"].number_format == "@"  # IDs typed in later stay text too


def test_dates_are_real_dates(ws):
    cell = ws.cell(3, 4)
    assert isinstance(cell.value, dt.datetime) and cell.value.date() == dt.date(2024, 3, 5)
    assert cell.number_format == "yyyy-mm-dd"
    assert ws.cell(4, 4).value.date() == dt.date(2025, 12, 31)
    assert ws.cell(5, 4).value is None  # NaT → blank


def test_title_header_freeze_and_print_setup(ws):
    assert ws["A1"].value == TITLE
    assert [c.value for c in ws[2]] == list(frame().columns)
    assert ws["A2"].font.b
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)  # 1 is the default, omitted
    assert ws.auto_filter.ref == "A2:F5"


def test_dropdown_on_answer_column(ws):
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list"
    assert str(dv.sqref) == "F3:F5"
    assert dv.formula1 == '"属实,不属实"'


def test_protection_locks_all_but_answer_column(ws):
    p = ws.protection
    assert p.sheet and not p.password
    # In the file a False attribute means "not protected", i.e. clerks may still sort, filter and resize columns.
    assert (p.sort, p.autoFilter, p.formatColumns) == (False, False, False)
    assert all(ws.cell(r, 6).protection.locked is False for r in (3, 4, 5))
    assert all(ws.cell(r, 1).protection.locked for r in (3, 4, 5))
    assert ws.column_dimensions["F"].protection.locked is False  # rows below the table too


def test_highlight_fills_flagged_rows_only(ws):
    def filled(r):
        return {ws.cell(r, c).fill.fgColor.rgb for c in range(1, 7)} == {"FFFFC7CE"}

    assert filled(4)
    assert not filled(3) and not filled(5)
    assert ws.cell(4, 6).fill.fgColor.rgb == "FFFFC7CE"  # blank cells of a flagged row are filled too
    assert ws["A7"].value == "红色底纹：逾期或需核实"


def test_widths_fit_chinese_text(ws):
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["E"] > widths["B"]  # the long Chinese hint is wider than the names
    assert widths["E"] >= text_width(pd.Series([LONG]))
    assert widths["A"] >= 18
    assert all(writer.MIN_WIDTH <= w <= writer.MAX_WIDTH + 1 for w in widths.values())


def test_text_width_counts_cjk_twice_and_width_is_capped():
    assert text_width(pd.Series(["中文", "abc"])) == 4
    assert text_width(pd.Series(["ＡＢ１"])) == 6  # full-width forms
    assert writer._fit_width("备注", ["很长" * 100], "text") == writer.MAX_WIDTH
    assert writer._fit_width("号", ["1"], "text") == writer.MIN_WIDTH


def test_empty_frame_writes_header_and_notes(tmp_path):
    empty = frame().iloc[0:0]
    s = sheet(empty, highlight=None, note_lines=["本镇本期无符合条件人员（0人）"])
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "e.xlsx", [s]))["核实表"]
    assert [c.value for c in ws[2]] == list(frame().columns)
    assert ws["A3"].value is None
    assert ws["A4"].value == "本镇本期无符合条件人员（0人）"
    assert ws.max_row == 4
    assert ws.freeze_panes == "A3"


def test_several_sheets_and_highlight_aligned_by_index(tmp_path):
    df = frame().set_axis([10, 20, 30])
    mask = pd.Series({30: True, 10: False})  # other order, missing label → not flagged
    sheets = [sheet(df, name="甲", highlight=mask), sheet(name="乙", protect=False, highlight=None)]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "m.xlsx", sheets))
    assert wb.sheetnames == ["甲", "乙"]
    assert wb["甲"].cell(5, 1).fill.fgColor.rgb == "FFFFC7CE"
    assert wb["甲"].cell(3, 1).fill.fgColor.rgb != "FFFFC7CE"
    assert not wb["乙"].protection.sheet


def test_auto_kinds(tmp_path):
    df = pd.DataFrame({"手机号码": [13800138000], "人数": [3], "比例": [0.25], "是否逾期": [True],
                       "日期": [dt.date(2026, 1, 5)], "说明": ["x"]})
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", [Sheet("表", df)]))["表"]
    row = [ws.cell(3, c) for c in range(1, 7)]
    assert (row[0].data_type, row[0].value) == ("s", "13800138000")  # header says phone → text
    assert row[1].value == 3 and row[1].data_type == "n"
    assert row[2].value == 0.25
    assert row[3].value == "是"
    assert isinstance(row[4].value, dt.datetime)


def test_long_dropdown_goes_to_hidden_sheet(tmp_path):
    options = [f"选项{i:03d}说明文字" for i in range(40)]  # > 255 characters inline
    s = Sheet("表", pd.DataFrame({"答复": ["", ""]}), columns={"答复": Col(dropdown=options)})
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "d.xlsx", [s]))
    (dv,) = wb["表"].data_validations.dataValidation
    assert dv.formula1 == f"'{writer.LIST_SHEET}'!$A$1:$A$40"
    assert wb[writer.LIST_SHEET].sheet_state == "hidden"
    assert [c.value for c in wb[writer.LIST_SHEET]["A"]] == options


@pytest.mark.parametrize("name", ["", "a" * 32, "表[1]", "a/b"])
def test_bad_sheet_name_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match="工作表名称"):
        write_workbook(tmp_path / "x.xlsx", [Sheet(name, frame())])
    assert list(tmp_path.iterdir()) == []


def test_same_tables_give_same_bytes(tmp_path):
    a = write_workbook(tmp_path / "a.xlsx", [sheet()]).read_bytes()
    b = write_workbook(tmp_path / "b.xlsx", [sheet()]).read_bytes()
    assert a == b


# ---- atomic writes ------------------------------------------------------------------------------------------------

@pytest.fixture
def good_file(tmp_path):
    path = write_workbook(tmp_path / "太和镇_核实表.xlsx", [sheet()])
    return path, path.read_bytes()


def _assert_untouched(path, old):
    assert path.read_bytes() == old
    assert openpyxl.load_workbook(path)["核实表"]["A3"].value == ID_DIGITS
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_crash_mid_write_keeps_old_workbook(good_file, monkeypatch):
    path, old = good_file
    calls = {"n": 0}
    original = xlsxwriter.worksheet.Worksheet.write_string

    def failing(self, *args, **kw):
        calls["n"] += 1
        if calls["n"] > 10:
            raise RuntimeError("模拟写入中断")
        return original(self, *args, **kw)

    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "write_string", failing)
    with pytest.raises(RuntimeError, match="模拟写入中断"):
        write_workbook(path, [sheet(note_lines=["新内容"])])
    assert calls["n"] > 10
    _assert_untouched(path, old)


def test_crash_while_packaging_keeps_old_workbook(good_file, monkeypatch):
    path, old = good_file

    def failing(self, *a, **kw):
        raise OSError("磁盘已满（模拟）")

    monkeypatch.setattr(zipfile.ZipFile, "write", failing)
    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(Exception, match="磁盘已满"):  # xlsxwriter wraps it in FileCreateError
        write_workbook(path, [sheet()])
    monkeypatch.undo()
    _assert_untouched(path, old)


def test_crash_at_fsync_or_encryption_keeps_old_workbook(good_file, monkeypatch):
    path, old = good_file
    monkeypatch.setattr(writer.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("fsync 失败（模拟）")))
    with pytest.raises(OSError, match="fsync"):
        write_workbook(path, [sheet()])
    monkeypatch.undo()
    _assert_untouched(path, old)
    monkeypatch.setattr(writer, "encrypt_file", lambda *a: (_ for _ in ()).throw(RuntimeError("加密失败（模拟）")))
    with pytest.raises(RuntimeError, match="加密失败"):
        write_workbook(path, [sheet()], password="pw")
    _assert_untouched(path, old)


def test_new_file_in_new_folder(tmp_path):
    path = write_workbook(tmp_path / "2026Q4" / "太和镇" / "表.xlsx", [sheet()])
    assert path.is_file() and openpyxl.load_workbook(path)["核实表"]["A1"].value == TITLE


# ---- encryption ---------------------------------------------------------------------------------------------------

def _values(wb):
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def test_encrypted_workbook_needs_the_password(tmp_path):
    plain = write_workbook(tmp_path / "plain.xlsx", [sheet(), sheet(name="乙")])
    enc = write_workbook(tmp_path / "enc.xlsx", [sheet(), sheet(name="乙")], password="清新2026!")
    assert crypto.is_encrypted(enc) and not crypto.is_encrypted(plain)
    with pytest.raises(Exception):  # noqa: B017 - openpyxl raises whatever zipfile raises on an encrypted file
        openpyxl.load_workbook(enc)
    with pytest.raises(crypto.PasswordError, match="密码错误"):
        crypto.decrypt_to_buffer(enc, "wrong")
    decrypted = openpyxl.load_workbook(crypto.decrypt_to_buffer(enc, "清新2026!"))
    assert _values(decrypted) == _values(openpyxl.load_workbook(plain))
    assert decrypted["核实表"].cell(4, 1).value == ID_X
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc.xlsx", "plain.xlsx"]


def test_password_from_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JYKN_XLSX_PASSWORD", "from-env")
    f = tmp_path / "pw.txt"
    f.write_text("\ufeff  秘密 pw  \nsecond line\n", encoding="utf-8")
    assert password_from_env_or_file(file=f) == "秘密 pw"  # the file wins over the environment


def test_password_from_env(monkeypatch):
    monkeypatch.setenv("JYKN_XLSX_PASSWORD", " from-env ")
    assert password_from_env_or_file() == "from-env"
    monkeypatch.setenv("OTHER_PW", "x")
    assert password_from_env_or_file("OTHER_PW") == "x"
    monkeypatch.delenv("JYKN_XLSX_PASSWORD")
    assert password_from_env_or_file() is None


def test_password_file_missing_or_empty(tmp_path):
    with pytest.raises(crypto.PasswordError, match="密码文件不存在"):
        password_from_env_or_file(file=tmp_path / "none.txt")
    for text in ("", "\n\nlater"):
        (tmp_path / "e.txt").write_text(text, encoding="utf-8")
        with pytest.raises(crypto.PasswordError, match="密码文件为空"):
            password_from_env_or_file(file=tmp_path / "e.txt")


def test_too_many_rows_is_refused_not_truncated(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "EXCEL_ROWS", 8)
    with pytest.raises(ValueError, match="超过 Excel"):
        write_workbook(tmp_path / "big.xlsx", [sheet(note_lines=["a", "b"])])
    assert list(tmp_path.iterdir()) == []


def test_rows_with_wrapped_long_text_get_taller(tmp_path):
    df = pd.DataFrame({"姓名": ["甲", "乙"], "判定依据": ["短", "很长的判定依据" * 20]})
    path = write_workbook(tmp_path / "w.xlsx", [Sheet(name="表", data=df, title="t",
                                                      columns={"判定依据": Col(wrap=True, width=30)})])
    ws = openpyxl.load_workbook(path)["表"]
    assert ws.row_dimensions[3].height in (None, 15) or ws.row_dimensions[3].height <= 15
    assert ws.row_dimensions[4].height >= 15 * 9  # 280 display columns over 29 per line: 10 lines


# --- print layout: readable on paper (issue 9) ------------------------------------------------------------------------

CATEGORY_NAMES = ["01 大龄失业人员", "02 残疾人员", "03 享受最低生活保障待遇人员", "04 城镇零就业家庭人员",
                  "05 农村零转移就业原建档立卡贫困家庭人员", "06 失地农民", "07 连续失业1年以上人员", "08 戒毒康复人员",
                  "09 刑满释放人员", "10 精神障碍康复人员", "11 失业6个月以上的退役军人"]
TOWNS = ["太和镇", "太平镇", "山塘镇", "三坑镇", "龙颈镇", "禾云镇", "浸潭镇", "石潭镇", "笔架林场", "合计"]


def summary_frame() -> pd.DataFrame:
    """The 16-column 汇总 sheet: 镇街, four counts and eleven categories."""
    cols = ["筛查人数", "符合人数", "排除人数", "无符合类别人数", *CATEGORY_NAMES]
    return pd.DataFrame({"镇街": TOWNS, **{c: [1000 + 3 * i for i in range(len(TOWNS))] for c in cols}})


def list_frame(n: int = 20) -> pd.DataFrame:
    """A town's list: short columns, two long wrapped ones and the follow-up columns."""
    return pd.DataFrame({"序号": range(1, n + 1), "姓名": ["张三"] * n, "公民身份号码": [ID_DIGITS] * n,
                         "所属村居": ["太和镇合成一社区"] * n, "符合类别": ["01 大龄失业人员、07 连续失业1年以上人员"] * n,
                         "判定依据": [LONG * 3] * n, "提示": [LONG] * n, "引导结果": [None] * n, "经办人": [None] * n,
                         "日期": [None] * n, "备注": [None] * n})


def list_sheet(df=None) -> Sheet:
    return Sheet("引导申请名单", list_frame() if df is None else df, title=TITLE,
                 columns={"公民身份号码": Col(kind="text"), "判定依据": Col(wrap=True, width=60),
                          "提示": Col(wrap=True, width=40), "引导结果": Col(width=14), "经办人": Col(width=10),
                          "日期": Col(kind="date", width=12), "备注": Col(width=20)})


def test_the_summary_sheet_fits_one_page_wide_at_reading_size(tmp_path):
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "s.xlsx", [Sheet("汇总", summary_frame(), title=TITLE)]))["汇总"]
    widths = [ws.column_dimensions[xlsxwriter.utility.xl_col_to_name(j)].width for j in range(16)]
    assert all(w <= writer.NUMBER_MAX_WIDTH + 1 for w in widths[1:])  # numbers are narrow, their headers wrap
    assert sum(widths) <= writer.FIT_MAX_WIDTH  # so one page wide is at least 75 %
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1
    assert ws.page_setup.fitToHeight == 0 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_cols is None
    header = ws.row_dimensions[2].height
    assert header and header >= 3 * writer.LINE_HEIGHT  # "05 农村零转移就业原建档立卡贫困家庭人员" on several lines
    assert ws.cell(2, 6).alignment.wrap_text


def test_a_sheet_too_wide_for_one_page_prints_side_by_side_with_its_first_column(tmp_path):
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "l.xlsx", [list_sheet()]))["引导申请名单"]
    widths = [ws.column_dimensions[xlsxwriter.utility.xl_col_to_name(j)].width for j in range(11)]
    assert sum(widths) > writer.FIT_MAX_WIDTH
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (2, 0)  # two pages wide, as many tall as needed
    assert ws.print_title_cols == "$A:$A" and ws.print_title_rows == "$1:$2"
    assert ws.page_setup.pageOrder == "overThenDown"  # a row's two halves are printed one after the other


@pytest.mark.parametrize(("widths", "pages"), [
    ([writer.FIT_MAX_WIDTH], 1),
    ([10, writer.FIT_MAX_WIDTH - 10], 1),
    ([10, writer.FIT_MAX_WIDTH - 9], 2),
    ([10] + [writer.FIT_MAX_WIDTH - 10] * 2, 2),
    ([10] + [writer.FIT_MAX_WIDTH - 10] * 2 + [1], 3),
    ([], 1),
])
def test_pages_wide_keeps_at_least_the_minimum_scale(widths, pages):
    assert writer.pages_wide(widths) == pages


def test_wrapped_rows_are_as_tall_as_their_lines(tmp_path):
    df = pd.DataFrame({"序号": [1, 2, 3, 4], "判定依据": ["短", "第一行\n第二行\n第三行", "中" * 300,
                                                       "户号 441803102000170，" * 6]})
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "h.xlsx", [Sheet("表", df, columns={
        "判定依据": Col(wrap=True, width=40)})]))["表"]
    assert ws.row_dimensions[3].height is None  # one line: the default height
    assert ws.row_dimensions[4].height == 3 * writer.LINE_HEIGHT + writer.ROW_PADDING  # explicit line breaks
    per_line = (40 - 1) * writer.LINE_FILL  # 600 display columns
    assert ws.row_dimensions[5].height == np.ceil(600 / per_line) * writer.LINE_HEIGHT + writer.ROW_PADDING
    assert ws.row_dimensions[6].height >= 4 * writer.LINE_HEIGHT  # 132 columns with unbreakable numbers: 4+ lines
    assert writer.LINE_HEIGHT >= 16  # 11-point CJK text needs more than Excel's 15-point default line
