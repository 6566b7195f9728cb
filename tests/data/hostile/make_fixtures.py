"""Build the hostile input files used by tests/test_reader*.py and write what the reader must report (expected.json).

Every file is small and synthetic: identity numbers come from jykn_lib.idcard.make_id, names are made up. The files are
committed; run this script again only to change them (`python tests/data/hostile/make_fixtures.py`). The LibreOffice
copy needs `soffice`; without it the committed file is kept.

expected.json, per file: the source, the row counts and every 问题数据 row as [Excel row, rule, action], where action is
rejected / blank / warning / collapsed / conflict_kept / column_unused (the vocabulary of the synthetic district's fault
manifest); a workbook read on several sheets has "sheets" (counts per sheet) and problems as [sheet, row, rule, action];
a file refused has "error" (its rule) and "message" (words its Chinese message must hold). "check" is the exit status
of `jykn check` on a folder holding that file alone (0 通过, 1 未通过).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import xlwt
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from jykn_lib.contract import EXAMPLE_ID, load_contract
from jykn_lib.idcard import is_valid, make_id

HERE = Path(__file__).resolve().parent
REGION = "441803"
EXPECTED: dict[str, dict] = {}


def pid(i: int) -> str:
    """A valid identity number, different for every i."""
    return make_id(REGION, dt.date(1960, 1, 1) + dt.timedelta(days=(37 * i) % 20000), 100 + i % 900)


def mangled_passing_id(start: int) -> tuple[str, float]:
    """A valid number whose Excel rounding (15 significant digits) STILL passes the check digit, and that float."""
    i = start
    while True:
        s = pid(i)
        if not s.endswith("X"):
            rounded = int(Decimal(format(int(s), ".15g")))
            if str(rounded) != s and is_valid(str(rounded)):
                return s, float(rounded)
        i += 1


def bad_check(s: str) -> str:
    return s[:-1] + ("0" if s[-1] != "0" else "1")


def expect(file: str, source: str, counts: dict, problems: list, check: int = 0) -> None:
    EXPECTED[file] = {"source": source, "counts": counts, "problems": sorted(problems), "check": check}


def expect_refused(file: str, source: str, rule: str, message: list[str], **extra) -> None:
    EXPECTED[file] = {"source": source, "error": rule, "message": message, "check": 1, **extra}


def counts(read: int, used: int, rejected: int, blank: int = 0, merged: int = 0, conflict: int = 0) -> dict:
    return {"读入行数": read, "使用行数": used, "剔除行数": rejected, "空行数": blank, "合并重复行数": merged,
            "冲突行数": conflict}


def wps_look(ws, header_row: int, width: int) -> None:
    """What a sheet saved from WPS typically carries: 宋体, a filled bold header with borders, text-formatted IDs."""
    thin = Side(style="thin", color="000000")
    for row in ws.iter_rows(min_row=header_row, max_row=ws.max_row, max_col=width):
        for c in row:
            c.font = Font(name="宋体", size=11, bold=c.row == header_row)
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if c.row == header_row:
                c.fill = PatternFill("solid", fgColor="DDEBF7")
                c.alignment = Alignment(horizontal="center", vertical="center")
            elif c.column == 1:
                c.number_format = "@"


def patch_cells(path: Path, cells: dict[str, str], sheet: str = "xl/worksheets/sheet1.xml") -> None:
    """Replace cells of a saved workbook by raw XML (a formula with the value Excel would have cached, an error
    value a formula returned): openpyxl writes formulas without values and cannot write those."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    xml = members[sheet].decode("utf-8")
    for ref, new in cells.items():
        xml, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', new, xml, count=1)
        assert n == 1, ref
    members[sheet] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)


# --------------------------------------------------------------------------------------------------- 户籍人口 (xlsx)
def hukou_title_rows() -> None:
    name = "户籍人口_标题行.xlsx"
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "说明"
    info["A1"] = "填表说明"
    info["A2"] = "公民身份号码"  # a lone header word on the instructions sheet must not win
    info["A3"] = "日期请填 yyyy-mm-dd"
    ws = wb.create_sheet("户籍数据（2026年10月）")
    ws["A1"] = "清新区户籍人口信息表"
    ws.merge_cells("A1:K1")
    ws["A2"] = "导出时间：2026-10-31"
    ws.merge_cells("A2:K2")
    # two header rows: single headers merged downwards, a group header over C:F
    for col, text in {"A": "身 份 证 号", "B": "姓\u3000名", "G": "村（社区）", "H": "与户主的关系", "I": "户口状态",
                      "J": "变动日期（必填）", "K": "备注"}.items():
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["C3"] = "户籍信息"
    ws.merge_cells("C3:F3")
    for col, text in {"C": "户编号", "D": "户口性质", "E": "所属乡镇", "F": "登记人"}.items():
        ws[f"{col}4"] = text
    _, numeric = mangled_passing_id(40)
    p = [pid(i) for i in range(20)]
    rows = {
        5: [p[0], "张伟", "H001", "城镇", "太和镇", "甲", "黄坑村", "户主", "正常", dt.date(2024, 3, 5)],
        6: [p[1], "王芳", "H002", "农村", "山塘镇", "甲", "胜利村", "配偶", "正常", "2024/3/5"],
        8: [p[2], "李娜", "H003", "农业", "441803105", "甲", "", "子", "正常", "2024.3.5"],
        9: [numeric, "刘洋", "H004", "城镇", "太和镇", "甲", "", "户主", "正常", dt.date(2024, 3, 5)],
        10: [p[3], "陈静", "H005", "城里", "太和镇", "甲", "", "户主", "正常", dt.date(2024, 3, 5)],
        11: [p[4], "杨磊", "H006", "城镇", "太和镇", "甲", "", "户主", "正常", "2024-13-01"],
        13: [p[5], "黄敏", "H007", "城镇", "禾云镇", "甲", "", "女", "正常", "2024年3月5日"],
        14: [p[6], "赵军", "H008", "农村", "浸潭镇", "甲", "", "户主", "正常", "20240305"],
        15: [p[0], "张伟", "H001", "城镇", "太和镇", "乙", "黄坑村", "户主", "正常", dt.date(2024, 3, 5)],
        16: [p[1], "王芳", "H012", "农村", "山塘镇", "甲", "胜利村", "配偶", "正常", "2025-01-01"],
        17: [p[7], "吴勇", "H009", "城镇", "广州镇", "甲", "", "户主", "正常", dt.date(2024, 3, 5)],
        18: [bad_check(p[8]), "周强", "H010", "城镇", "太和镇", "甲", "", "户主", "正常", dt.date(2024, 3, 5)],
        19: [p[9], "周艳", "H011", "城镇", "太和镇", "甲", "", "户主", "正常", "1850-01-01"],
        20: [p[10], "徐杰", "", "城镇", "太和镇", "甲", "", "户主", "正常", dt.date(2024, 3, 5)],
        21: [p[11], "孙涛", "H013", "城镇", "太和镇", "甲", "", "户主", "迁出(省外)", "2024-03-05 00:00:00"],
        22: [p[12], "马超", "H014", "城镇", "笔架林场", "甲", "", "户主", "", "2024-3-5"],
    }
    for r, values in rows.items():
        for j, v in enumerate(values, start=1):
            if v != "":
                ws.cell(row=r, column=j, value=v)
    ws.cell(row=30, column=1).fill = PatternFill("solid", fgColor="FFFF00")  # formatted but empty: not a row
    wb.save(HERE / name)
    expect(name, "hukou", {"读入行数": 16, "使用行数": 11, "剔除行数": 5, "空行数": 2, "合并重复行数": 1, "冲突行数": 2},
           [[9, "ID_NUMERIC", "rejected"], [10, "ENUM_INVALID", "rejected"], [11, "DATE_INVALID", "blank"],
            [15, "DUPLICATE_IDENTICAL", "collapsed"], [6, "DUPLICATE_CONFLICT", "conflict_kept"],
            [16, "DUPLICATE_CONFLICT", "conflict_kept"], [17, "TOWN_UNKNOWN", "rejected"],
            [18, "ID_CHECK", "rejected"], [19, "DATE_INVALID", "blank"], [20, "REQUIRED_MISSING", "rejected"]])


# ------------------------------------------------------------------------------------------------ 失业登记 (2 × CSV)
UNEMP_HEADER_GBK = "身份证号码,姓名,登记日期,登记状态,注销日期,镇街,村居,手机号码,是否有就业意愿,有无劳动能力"
UNEMP_HEADER_STD = "公民身份号码,姓名,失业登记日期,登记状态,注销日期,所属镇街,所属村居,联系电话,就业意愿,劳动能力"


def unemployment_csvs() -> None:
    q = [pid(100 + i) for i in range(10)]
    gbk = [
        "失业登记人员名单（2026年10月）",
        UNEMP_HEADER_GBK,
        f"{q[0]},甲一,2024-03-05,有效,,太和镇,黄坑村,13800138000,是,有",
        "4.41802E+17,乙二,2024/3/5,有效,,太和镇,,13800138001,是,有",
        f"{q[1]},丙三,2024-3-5,正常,,山塘镇,,12345,Y,无",
        "",
        f"{q[2]},丁四,2024-03-05 00:00:00,已注销,2025-01-01,太和镇,,13900139000,也许,有",
        f"{q[3]},,2024-03-05,有效,,太和镇,,,是,有",
        f"{q[4]},戊五,2024-02-30,有效,,太和镇,,,是,有",
        f"{q[5]},己喆,20240305,,,441803102,,,,",  # 喆 is in GBK but not in GB2312
    ]
    (HERE / "失业登记_GBK导出.csv").write_bytes(("\r\n".join(gbk) + "\r\n").encode("gbk"))
    expect("失业登记_GBK导出.csv", "unemployment",
           {"读入行数": 7, "使用行数": 3, "剔除行数": 4, "空行数": 1, "合并重复行数": 0, "冲突行数": 0},
           [[4, "ID_NUMERIC", "rejected"], [5, "PHONE_SUSPICIOUS", "warning"], [7, "BOOL_INVALID", "rejected"],
            [8, "REQUIRED_MISSING", "rejected"], [9, "DATE_INVALID", "rejected"]])
    full_width = q[6].translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    bom = [
        UNEMP_HEADER_STD,
        f"{q[0]},甲一,2024/03/05,有效,,太和镇,黄坑村,138-0013-8000,Y,有",  # the GBK file's first row, written differently
        f"{q[7]},庚七,2024年3月5日,有效,,太平镇,,,否,无",
        f"{full_width},辛八,2024.3.5,有效,,石潭镇,,,,",
    ]
    (HERE / "失业登记_BOM.csv").write_bytes(b"\xef\xbb\xbf" + ("\n".join(bom) + "\n").encode("utf-8"))
    expect("失业登记_BOM.csv", "unemployment",
           {"读入行数": 3, "使用行数": 3, "剔除行数": 0, "空行数": 0, "合并重复行数": 0, "冲突行数": 0}, [])


# ------------------------------------------------------------------------------------------------------ 低保人员 (xls)
def dibao_xls() -> None:
    name = "低保人员.xls"
    book = xlwt.Workbook(encoding="utf-8")
    info = book.add_sheet("填表说明")
    info.write(0, 0, "本表由民政部门提供")
    ws = book.add_sheet("低保")
    ws.write_merge(0, 0, 0, 4, "低保人员名单")
    for j, h in enumerate(["身份证号", "姓名", "保障类型", "享受开始日期", "享受结束日期"]):
        ws.write(2, j, h)
    date_fmt = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    _, numeric = mangled_passing_id(200)
    d = [pid(300 + i) for i in range(6)]
    rows = [
        [d[0], "钱一", "城市低保", dt.date(2023, 1, 1), ""],
        [numeric, "钱二", "城市低保", dt.date(2023, 1, 1), ""],
        [d[1], "钱三", "城镇低保", "2023-02-01", dt.date(2024, 1, 1)],
        [d[2], "钱四", "低保户", dt.date(2023, 1, 1), ""],
        [d[3], "钱五", "农村低保", 45000, ""],  # an Excel serial without a date format
        [d[4], "钱六", "特困", "2023.5.1", "不详"],
    ]
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            if isinstance(v, dt.date):
                ws.write(3 + i, j, v, date_fmt)
            elif v != "":
                ws.write(3 + i, j, v)
    book.save(str(HERE / name))
    # 低保户: 城市 or 农村? refused with a question; 结束日期 不详: its blank would mean "still receiving", so rejected
    expect(name, "dibao", {"读入行数": 6, "使用行数": 3, "剔除行数": 3, "空行数": 0, "合并重复行数": 0, "冲突行数": 0},
           [[5, "ID_NUMERIC", "rejected"], [7, "VALUE_AMBIGUOUS", "rejected"], [9, "DATE_INVALID", "rejected"]])


# ------------------------------------------------------------------------------------------ 残疾人 (saved by LibreOffice)
def disability_libreoffice() -> None:
    name = "残疾人_LibreOffice.xlsx"
    e = [pid(400 + i) for i in range(6)]
    _, numeric = mangled_passing_id(500)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["公民身份号码", "姓名", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态"])
    ws.append([e[0], "孔一", e[0] + "41", "肢体", "三级", dt.date(2019, 5, 1), "有效"])
    ws.append([e[1], "孔二", e[1] + "42", "视力", "二级", dt.date(2020, 6, 1), "注销"])
    ws.append([e[1], "孔二", e[1] + "42", "视力", "二级", dt.date(2018, 6, 1), "有效"])
    ws.append([e[2], "孔三", e[2] + "43", "听力", "四级", dt.date(2021, 1, 1), "有效"])
    ws.append([e[2], "孔三", e[2] + "43", "听力", "四级", dt.date(2021, 1, 1), "有效"])
    ws.append([numeric, "孔四", "X1", "肢体", "一级", dt.date(2021, 1, 1), "有效"])
    ws.append([e[4], "孔五", None, "肢体", "一级", dt.date(2021, 1, 1), None])
    expect(name, "disability", {"读入行数": 7, "使用行数": 5, "剔除行数": 2, "空行数": 0, "合并重复行数": 1,
                                "冲突行数": 2},
           [[3, "DUPLICATE_CONFLICT", "conflict_kept"], [4, "DUPLICATE_CONFLICT", "conflict_kept"],
            [6, "DUPLICATE_IDENTICAL", "collapsed"], [7, "ID_NUMERIC", "rejected"],
            [8, "REQUIRED_MISSING", "rejected"]])
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print(f"soffice 不可用：保留已提交的 {name}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / name
        src.parent.mkdir()
        wb.save(src)
        out = Path(tmp) / "out"
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "xlsx",
                        "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
        shutil.copyfile(out / name, HERE / name)


# ------------------------------------------------------------------------------------------------------------- 台账
def ledger() -> None:
    name = "就业困难人员台账.xlsx"
    f = [pid(600 + i) for i in range(8)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["身份证号", "姓名", "镇街", "人员类别", "认定日期", "状态", "联系电话", "退出日期", "退出原因", "就业状态",
               "分级", "女性退休基准"])
    ws.append([f[0], "冯一", "太和镇", "01 大龄失业人员、07 连续失业1年以上人员", dt.date(2025, 1, 1), "有效",
               "13800138000", None, None, "未就业", "A", 50])
    ws.append([f[1], "冯二", "山塘镇", "大龄失业人员;残疾人员", "2025-02-01", "已退出", "0763-5812345",
               "2026-01-01", "E5", "单位就业", "B", "55"])
    ws.append([f[2], "冯三", "太和镇", "01 残疾人员", dt.date(2025, 1, 1), "有效", None, None, None, None, None, None])
    ws.append([f[3], "冯四", "龙颈镇", "03", dt.date(2025, 1, 1), "已退出", None, dt.date(2026, 2, 1), "E12", None,
               "C", None])
    ws.append([f[4], "冯五", "禾云镇", "02,03", dt.date(2025, 1, 1), "有效", None, None, None, None, "D", 60])
    ws.append([f[5], "冯六", "浸潭镇", "10 精神障碍康复人员", dt.date(2025, 1, 1), "退出", None, dt.date(2026, 3, 1),
               "死亡", None, None, None])
    ws.append([f[6], "冯七", "石潭镇", "13", dt.date(2025, 1, 1), "未知", None, None, None, None, None, None])
    wb.save(HERE / name)
    # every vocabulary column refuses a word it does not know (E11, 分级 D, 女性退休基准 60), never blanks it
    expect(name, "ledger", {"读入行数": 7, "使用行数": 3, "剔除行数": 4, "空行数": 0, "合并重复行数": 0, "冲突行数": 0},
           [[4, "CATEGORY_UNKNOWN", "rejected"], [5, "EXIT_REASON_UNKNOWN", "rejected"], [6, "ENUM_INVALID", "rejected"],
            [6, "ENUM_INVALID", "rejected"], [8, "ENUM_INVALID", "rejected"]])


# ------------------------------------------------------------------------------------------------- 社保缴费 (UTF-8)
def contributions_csv() -> None:
    name = "社保缴费.csv"
    g = [pid(700 + i) for i in range(3)]
    lines = [
        "公民身份号码,费款所属期,缴费类型,险种,单位名称",
        f"{g[0]},202608,单位,养老,清远某公司",
        f"{g[0]},2026-07,灵活就业,养老,",
        f"{g[0]},2026年6月,个体,养老,",
        f"{g[0]},202608.0,单位,养老,清远某公司",
        f"{g[1]},202613,单位,养老,",
        f"{g[1]},08/2026,单位,养老,",
        f"{g[1]},189912,单位,养老,",
    ]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    expect(name, "contributions", {"读入行数": 7, "使用行数": 4, "剔除行数": 3, "空行数": 0, "合并重复行数": 1,
                                   "冲突行数": 0},
           [[5, "DUPLICATE_IDENTICAL", "collapsed"], [6, "PERIOD_INVALID", "rejected"],
            [7, "PERIOD_INVALID", "rejected"], [8, "PERIOD_INVALID", "rejected"]])


# ------------------------------------------------------------------------------------------ 认定申请 (GB18030 CSV)
def applications_csv() -> None:
    name = "认定申请_GB18030.csv"
    h = [pid(800 + i) for i in range(3)]
    lines = [
        "申请编号,身份证号,姓名,申请日期,申请类别,受理镇街,已交材料,联系电话,女性退休基准",
        f"A001,{h[0]},李\U00020000,2026-10-01,06 失地农民,太和镇,身份证、户口本；征地证明,13800138000,50",  # 𠀀: GB18030 only
        f"A002,{h[1]},张三,2026-10-02,13,441803113,,,",
        f"A003,{h[2]},王五,2026-10-03,,太和镇,,,",
    ]
    (HERE / name).write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    expect(name, "applications", {"读入行数": 3, "使用行数": 2, "剔除行数": 1, "空行数": 0, "合并重复行数": 0,
                                  "冲突行数": 0},
           [[4, "REQUIRED_MISSING", "rejected"]])


# ---------------------------------------------------------------------------------------------------- 公益性岗位
def posts() -> None:
    name = "公益性岗位.xlsx"
    k = [pid(900 + i) for i in range(3)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["所属镇街", "岗位编号", "岗位类别", "开发日期", "岗位名称", "安置人员身份证号", "上岗日期", "离岗日期"])
    ws.append(["太和镇", "P001", "保洁", dt.date(2024, 1, 1), "街道保洁", k[0], dt.date(2024, 2, 1), None])
    ws.append(["太和镇", "P001", "保洁", dt.date(2024, 1, 1), "街道保洁", k[1], dt.date(2025, 3, 1), None])
    ws.append(["山塘镇", "P002", "保安", dt.date(2024, 1, 1), "门卫", bad_check(k[2]), dt.date(2024, 2, 1), None])
    wb.save(HERE / name)
    expect(name, "posts", {"读入行数": 3, "使用行数": 3, "剔除行数": 0, "空行数": 0, "合并重复行数": 0, "冲突行数": 2},
           [[2, "DUPLICATE_CONFLICT", "conflict_kept"], [3, "DUPLICATE_CONFLICT", "conflict_kept"],
            [4, "ID_CHECK", "blank"]])


# ------------------------------------------------------------------------------------------ header only / bad header
def header_only() -> None:
    name = "原建档立卡_仅表头.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "原建档立卡贫困人口名单"
    ws.append(["公民身份号码", "姓名"])
    wb.save(HERE / name)
    expect(name, "poverty", {"读入行数": 0, "使用行数": 0, "剔除行数": 0, "空行数": 0, "合并重复行数": 0, "冲突行数": 0},
           [])


def missing_column() -> None:
    name = "失地农民_缺列.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "失地农民"
    ws.append(["公民身份号码", "姓名", "征地日期", "备注"])
    ws.append([pid(950), "郑一", dt.date(2015, 5, 1), ""])
    wb.save(HERE / name)
    expect_refused(name, "landless", "COLUMN_MISSING", ["是否全部失地", "找到的表头", "公民身份号码、姓名、征地日期、备注"])


# ======================================================================================== issue 9: hostile classes
# ------------------------------------------------------------------ 1. people lost: formulas without a value, errors
def hukou_formulas() -> None:
    """Written by a program (openpyxl): formulas are saved without a computed value; calamine shows them blank."""
    name = "户籍人口_公式未计算.xlsx"
    p = [pid(1000 + i) for i in range(8)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户籍人口"
    ws.append(["公民身份号码", "姓名", "户号", "城乡属性", "所属镇街", "所属村居", "户籍状态", "辅助列"])
    lookup = [f"=VLOOKUP($A{{r}},原表!$A:$G,{k},0)" for k in range(1, 6)]
    rows = [
        [p[0], "甲一", "H1", "城镇", "太和镇", "=VLOOKUP(A2,村居表!A:B,2,0)", "正常", None],  # 2 optional: blanked
        [p[1], "=原表!B3", "H2", "城镇", "太和镇", None, None, None],  # 3 required 姓名
        [f.format(r=4) for f in lookup] + [None, None, None],  # 4 a whole person in formulas
        [p[2], "乙二", "H3", "农村", "山塘镇", None, "=原表!G5", None],  # 5 户籍状态: its default must not stand in
        [p[3], "丙三", "H4", "农村", "山塘镇", None, None, "=LEN(A6)"],  # 6 unused column: row used
        [p[4], "丁四", "H5", "城镇", "太和镇", None, None, None],  # 7 姓名 patched: a formula WITH its value
        [p[5], "戊五", "H6", "城镇", "太和镇", "=0", None, None],  # 8 所属村居 patched: a formula giving ""
        [None, None, None, None, None, None, None, "=原表!H9"],  # 9 only a formula in an unused column
        [f.format(r=10) for f in lookup] + [None, None, None],  # 10 past the last row calamine returns
    ]
    for r in rows:
        ws.append(r)
    path = HERE / name
    wb.save(path)
    patch_cells(path, {"B7": '<c r="B7" t="str"><f>原表!B7</f><v>丁四</v></c>',
                       "F8": '<c r="F8" t="str"><f>IF(原表!F8="","",原表!F8)</f><v></v></c>'})
    whole = [[r, "FORMULA_NO_VALUE", "rejected"] for r in (4, 10) for _ in range(5)]
    expect(name, "hukou", counts(9, 4, 5),
           [[2, "FORMULA_NO_VALUE", "blank"], [3, "FORMULA_NO_VALUE", "rejected"], [5, "FORMULA_NO_VALUE", "rejected"],
            [9, "FORMULA_NO_VALUE", "rejected"], *whole])


def unemployment_error_cells() -> None:
    """Error values as WPS shows them (#N/A …) in a renamed sheet with a merged title and WPS styling."""
    name = "失业登记_错误值.xlsx"
    q = [pid(1100 + i) for i in range(8)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "失业人员名单"
    ws["A1"] = "清新区失业登记人员（2026年10月）"
    ws.merge_cells("A1:G1")
    ws.append([])
    ws.append(["身份证号码", "姓名", "登记日期", "登记状态", "所属镇街", "联系电话", "就业意愿"])
    rows = [
        [q[0], "甲一", dt.date(2024, 3, 5), "有效", "太和镇", "13800138000", "是"],  # 4
        [q[1], "#N/A", dt.date(2024, 3, 5), "有效", "太和镇", None, "是"],  # 5 required: rejected
        [q[2], "丙三", dt.date(2024, 3, 5), "有效", "太和镇", "#REF!", "是"],  # 6 optional free column: blanked
        [q[3], "丁四", dt.date(2024, 3, 5), "#VALUE!", "太和镇", None, "是"],  # 7 默认“有效” must not stand in
        [q[4], "戊五", dt.date(2024, 3, 5), "有效", "太和镇", None, "#DIV/0!"],  # 8 a bool column
        [q[5], "己六", None, "有效", "太和镇", None, "是"],  # 9 登记日期 patched: a formula that returned #NUM!
        ["#N/A", "庚七", dt.date(2024, 3, 5), "有效", "太和镇", None, "是"],  # 10 the identity number itself
        [q[6], "辛八", dt.date(2024, 3, 5), None, "山塘镇", None, None],  # 11
    ]
    for r in rows:
        ws.append(r)
    wps_look(ws, 3, 7)
    path = HERE / name
    wb.save(path)
    patch_cells(path, {"C9": '<c r="C9" t="e"><f>DATE(2024,13,45)/0</f><v>#NUM!</v></c>'})
    expect(name, "unemployment", counts(8, 3, 5),
           [[5, "CELL_ERROR", "rejected"], [6, "CELL_ERROR", "blank"], [7, "CELL_ERROR", "rejected"],
            [8, "CELL_ERROR", "rejected"], [9, "CELL_ERROR", "rejected"], [10, "CELL_ERROR", "rejected"]])


def dibao_error_cells_xls() -> None:
    """An .xls (xlwt, as old WPS saves it) with error cells: calamine shows them blank; the BIFF records say."""
    name = "低保人员_错误值.xls"
    d = [pid(1200 + i) for i in range(4)]
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("低保名单")
    head = xlwt.easyxf("font: name 宋体, bold on; pattern: pattern solid, fore_colour light_yellow")
    date_fmt = xlwt.easyxf("font: name 宋体", num_format_str="yyyy-mm-dd")
    for j, h in enumerate(["公民身份号码", "姓名", "救助类型", "开始日期", "结束日期"]):
        ws.write(0, j, h, head)
    ws.write(1, 0, d[0]), ws.write(1, 1, "钱一"), ws.write(1, 2, "城市低保"), ws.write(1, 3, dt.date(2023, 1, 1), date_fmt)
    ws.write(2, 0, d[1]), ws.write(2, 1, "钱二"), ws.row(2).set_cell_error(2, 0x2A)  # #N/A in a required column
    ws.write(2, 3, dt.date(2023, 1, 1), date_fmt)
    ws.write(3, 0, d[2]), ws.write(3, 1, "钱三"), ws.write(3, 2, "农村低保"), ws.write(3, 3, dt.date(2023, 1, 1), date_fmt)
    ws.row(3).set_cell_error(4, 0x17)  # #REF! in 结束日期, whose blank would mean "still receiving"
    ws.write(4, 0, d[3]), ws.write(4, 1, "钱四"), ws.write(4, 2, "特困供养"), ws.write(4, 3, dt.date(2023, 1, 1), date_fmt)
    book.save(str(HERE / name))
    expect(name, "dibao", counts(4, 2, 2), [[3, "CELL_ERROR", "rejected"], [4, "CELL_ERROR", "rejected"]])


def contributions_error_text_csv() -> None:
    """A CSV saved from a sheet with error cells: the error text is what the file holds (GB18030)."""
    name = "社保缴费_错误值.csv"
    g = [pid(1300 + i) for i in range(3)]
    lines = ["公民身份号码,费款所属期,缴费类型,险种,单位名称",
             f"{g[0]},202608,单位,养老,清远某公司",
             f"{g[1]},202608,单位,养老,#N/A",  # optional text: blanked, listed
             f"{g[1]},202607,#VALUE!,养老,清远某公司",  # required: rejected
             f"{g[2]},202608,灵活就业,养老,"]
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    expect(name, "contributions", counts(4, 3, 1), [[3, "CELL_ERROR", "blank"], [4, "CELL_ERROR", "rejected"]])


def contributions_two_sheets() -> None:
    """社保缴费 continued on a second sheet (one sheet per half-year), a hidden backup sheet, a summary sheet."""
    name = "社保缴费_分两个工作表.xlsx"
    g = [pid(1400 + i) for i in range(4)]
    header = ["公民身份号码", "费款所属期", "缴费类型", "险种", "单位名称"]
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "2026年1-6月"
    first.append(header)
    for row in ([g[0], "202601", "单位", "养老", "清远某公司"], [g[1], "202602", "灵活就业", "养老", None],
                [g[2], "202613", "单位", "养老", None]):
        first.append(row)
    second = wb.create_sheet("2026年7-12月")
    second.append(header)
    for row in ([g[0], "202607", "单位", "养老", "清远某公司"], [g[1], "202602", "灵活就业", "养老", None],
                [g[3], "202608", "单位", "养老", "清远某公司"]):
        second.append(row)
    backup = wb.create_sheet("备份")
    backup.sheet_state = "hidden"
    backup.append(header)
    backup.append([g[3], "202609", "单位", "养老", "清远某公司"])
    summary = wb.create_sheet("汇总")
    summary.append(["缴费类型", "人数"])
    summary.append(["单位", 3])
    wb.save(HERE / name)
    EXPECTED[name] = {
        "source": "contributions", "check": 0,
        "sheets": {"2026年1-6月": counts(3, 2, 1), "2026年7-12月": counts(3, 3, 0, merged=1), "备份": counts(1, 1, 0)},
        "problems": sorted([["2026年1-6月", 4, "PERIOD_INVALID", "rejected"],
                            ["2026年7-12月", 3, "DUPLICATE_IDENTICAL", "collapsed"]])}


def veteran_sheet_missing_column() -> None:
    """A second sheet of 退役军人 rows (补录) without 退役日期: its rows cannot be read, so the source is refused."""
    name = "退役军人_工作表缺列.xlsx"
    v = [pid(1500 + i) for i in range(5)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "退役军人"
    ws.append(["公民身份号码", "姓名", "退役日期", "伤残证件号", "伤残等级"])
    ws.append([v[0], "褚一", dt.date(2010, 9, 1), None, None])
    ws.append([v[1], "褚二", dt.date(2012, 9, 1), "J2012001", "六级"])
    extra = wb.create_sheet("补录")
    extra.append(["公民身份号码", "姓名", "备注"])
    for i in (2, 3, 4):
        extra.append([v[i], f"褚{i + 1}", "2026年补录"])
    wb.save(HERE / name)
    expect_refused(name, "veteran", "SHEET_NOT_READ", ["补录", "3行", "退役日期"],
                   sheets={"退役军人": counts(2, 2, 0)}, problems=[])


# ---------------------------------------------------------------------------------- 2. vocabularies: refused words
def unemployment_status_words_csv() -> None:
    """登记状态 as the 人社 system exports it (失效 …), and words nobody should guess (UTF-8 with BOM)."""
    name = "失业登记_状态写法.csv"
    q = [pid(1600 + i) for i in range(9)]
    lines = ["公民身份号码,姓名,失业登记日期,登记状态,注销日期,所属镇街,就业意愿,劳动能力",
             f"{q[0]},甲一,2024-03-05,失效,2025-01-01,太和镇,是,有",  # 2 → 已注销
             f"{q[1]},乙二,2024-03-05,已失效,2025-01-01,太和镇,是,有",  # 3 → 已注销
             f"{q[2]},丙三,2024-03-05,注销登记,2025-01-01,太和镇,是,有",  # 4 → 已注销
             f"{q[3]},丁四,2024-03-05,有效,,太和镇,是,有",  # 5
             f"{q[4]},戊五,2024-03-05,,,太和镇,,",  # 6 blank → the documented default 有效
             f"{q[5]},己六,2024-03-05,暂停,,太和镇,是,有",  # 7 unknown: rejected, never 有效
             f"{q[6]},庚七,2024-03-05,有效,,太和镇,也许,有",  # 8 bool unknown: rejected (a blank would count as yes)
             f"{q[7]},辛八,2024-03-05,有效,,太和镇,是,部分丧失",  # 9 rejected
             f"{q[8]},壬九,2024-03-05,正常,,太和镇,否,无"]  # 10 → 有效
    (HERE / name).write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    expect(name, "unemployment", counts(9, 6, 3),
           [[7, "ENUM_INVALID", "rejected"], [8, "BOOL_INVALID", "rejected"], [9, "BOOL_INVALID", "rejected"]])


def hukou_status_words() -> None:
    """户籍状态 and 城乡属性 as 公安 exports write them; 迁出 and 居民户口 are refused with a question."""
    name = "户籍人口_状态写法.xlsx"
    p = [pid(1700 + i) for i in range(10)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["公民身份号码", "姓名", "户号", "户口性质", "所属镇街", "户籍状态", "变动日期"])
    rows = [
        [p[0], "甲一", "H1", "城镇居民", "太和镇", "注销（死亡）", dt.date(2026, 3, 1)],  # 2 → 城镇, 死亡
        [p[1], "乙二", "H2", "非农业户口", "太和镇", "死亡注销", dt.date(2026, 3, 1)],  # 3 → 城镇, 死亡
        [p[2], "丙三", "H3", "农业户口", "太和镇", "迁出", dt.date(2026, 3, 1)],  # 4 迁出: 省内 or 省外? refused
        [p[3], "丁四", "H4", "农村居民", "太和镇", "迁往省外", dt.date(2026, 3, 1)],  # 5 → 农村, 迁出省外
        [p[4], "戊五", "H5", "农业家庭户口", "太和镇", "迁出（省内）", dt.date(2026, 3, 1)],  # 6 → 农村, 迁出省内
        [p[5], "己六", "H6", "居民户口", "太和镇", "正常", None],  # 7 居民户口: 城镇 or 农村? refused
        [p[6], "庚七", "H7", "城镇", "太和镇", None, None],  # 8 blank → 正常
        [p[7], "辛八", "H8", "城镇", "太和镇", "户口待定", None],  # 9 unknown: rejected, never 正常
        [p[8], "壬九", "H9", "城镇", "太和镇", "在籍", None],  # 10 → 正常
    ]
    for r in rows:
        ws.append(r)
    wb.save(HERE / name)
    expect(name, "hukou", counts(9, 6, 3),
           [[4, "VALUE_AMBIGUOUS", "rejected"], [7, "VALUE_AMBIGUOUS", "rejected"], [9, "ENUM_INVALID", "rejected"]])


# --------------------------------------------------------------------------------- 3. CSV rows with a wrong field count
def contributions_unquoted_comma_csv() -> None:
    """An unquoted comma in 单位名称 (GBK, as exported): the row's fields shift; a row cut short."""
    name = "社保缴费_单位名称含逗号.csv"
    g = [pid(1800 + i) for i in range(3)]
    lines = ["公民身份号码,费款所属期,缴费类型,险种,单位名称",
             f"{g[0]},202608,单位,养老,清远某公司",  # 2
             f"{g[0]},202607,单位,养老,清远市某某有限公司,清新分公司",  # 3 six fields: rejected whole
             f"{g[1]},202608,单位,养老",  # 4 four fields: rejected whole
             f'{g[1]},202607,单位,养老,"清远市某某有限公司,清新分公司"',  # 5 quoted: fine
             "",  # 6 blank
             f"{g[2]},202608,灵活就业,养老,"]  # 7
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    expect(name, "contributions", counts(5, 3, 2, blank=1),
           [[3, "FIELD_COUNT", "rejected"], [4, "FIELD_COUNT", "rejected"]])


# ---------------------------------------------------------------------------------------- 4. crashes → Chinese
def unemployment_bom_then_gbk_csv() -> None:
    """A UTF-8 header (with BOM) followed by GBK rows: two exports pasted together."""
    name = "失业登记_BOM加GBK.csv"
    q = [pid(1900 + i) for i in range(2)]
    body = "".join(f"{x},张三,2024-03-05,有效,,太和镇,,,是,有\r\n" for x in q)
    (HERE / name).write_bytes(b"\xef\xbb\xbf" + (UNEMP_HEADER_STD + "\r\n").encode("utf-8") + body.encode("gbk"))
    expect_refused(name, "unemployment", "FILE_ENCODING", ["UTF-8", "第2行", "GBK", "另存为"])


def hukou_empty_duplicate_id_column() -> None:
    """An empty 公民身份号码 column (left over from a template) before the real one: the filled one is used."""
    name = "户籍人口_重复身份证列.xlsx"
    p = [pid(2000 + i) for i in range(2)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["公民身份号码", "姓名", "户号", "城乡属性", "所属镇街", "公民身份号码"])
    ws.append([None, "甲一", "H1", "城镇", "太和镇", p[0]])
    ws.append([None, "乙二", "H2", "农村", "山塘镇", p[1]])
    wb.save(HERE / name)
    expect(name, "hukou", counts(2, 2, 0), [[1, "COLUMN_DUPLICATE", "column_unused"]])


def disability_two_filled_id_columns_csv() -> None:
    """Two 公民身份号码 columns that both hold numbers and differ: which one is meant cannot be told."""
    name = "残疾人_两列身份号码.csv"
    e = [pid(2100 + i) for i in range(3)]
    lines = ["公民身份号码,姓名,残疾人证号,公民身份号码", f"{e[0]},孔一,{e[0]}41,{e[0]}", f"{e[1]},孔二,{e[1]}42,{e[2]}"]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    expect_refused(name, "disability", "COLUMN_DUPLICATE", ["两列“公民身份号码”", "第1列", "第4列", "删除或改名"])


def special_header_only_csv() -> None:
    name = "特殊人员_仅表头.csv"
    (HERE / name).write_bytes("公民身份号码,姓名,人员类型,日期\r\n".encode("gbk"))
    expect(name, "special", counts(0, 0, 0), [])


def market_text_named_xlsx() -> None:
    name = "市场主体_其实是CSV.xlsx"
    h = pid(2200)
    text = f"公民身份号码,主体名称,人员身份,登记状态\n{h},清新区某商行,经营者,存续\n"
    (HERE / name).write_bytes(text.encode("gbk"))
    expect_refused(name, "market", "FILE_WRONG_TYPE", ["文本（CSV）", "市场主体_其实是CSV.csv", "改名"])


def pension_damaged_xlsx() -> None:
    """A workbook cut off half way (a copy that did not finish)."""
    name = "养老待遇_损坏.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["公民身份号码", "待遇开始日期"])
    for i in range(200):
        wb.active.append([pid(2300 + i), dt.date(2020, 1, 1)])
    tmp = HERE / "_tmp.xlsx"
    wb.save(tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    (HERE / name).write_bytes(data[: len(data) // 2])
    expect_refused(name, "pension", "FILE_UNREADABLE", ["不是完整的 Excel", "重新导出"])


# ------------------------------------------------------------------------------------ 5. a 0-byte optional source
def dibao_zero_bytes() -> None:
    name = "低保人员_0字节.xlsx"
    (HERE / name).write_bytes(b"")
    expect_refused(name, "dibao", "FILE_EMPTY", ["空文件", "0 字节", "重新导出"])


# ------------------------------------------------------------------------------ 6. a filled template with its example
def unemployment_filled_template() -> None:
    """A template filled in and saved under the source's name, its example row (EXAMPLE_ID) still in place."""
    from jykn_lib.io.templates import template_sheets
    from jykn_lib.io.writer import write_workbook

    name = "失业登记_按模板填写.xlsx"
    src = load_contract()["unemployment"]
    sheets = template_sheets(src)
    example = sheets[0].data
    person = example.iloc[0].copy()
    person[["公民身份号码", "姓名"]] = [pid(2400), "癸十"]
    sheets[0].data = pd.concat([example, person.to_frame().T], ignore_index=True)
    sheets[0].highlight = [True, False]
    write_workbook(HERE / name, sheets, created=dt.datetime(2026, 10, 8))
    expect(name, "unemployment", counts(2, 1, 1), [[3, "TEMPLATE_EXAMPLE", "rejected"]])
    assert EXAMPLE_ID in example["公民身份号码"].tolist()


def main() -> None:
    hukou_title_rows()
    unemployment_csvs()
    dibao_xls()
    disability_libreoffice()
    ledger()
    contributions_csv()
    applications_csv()
    posts()
    header_only()
    missing_column()
    hukou_formulas()
    unemployment_error_cells()
    dibao_error_cells_xls()
    contributions_error_text_csv()
    contributions_two_sheets()
    veteran_sheet_missing_column()
    unemployment_status_words_csv()
    hukou_status_words()
    contributions_unquoted_comma_csv()
    unemployment_bom_then_gbk_csv()
    hukou_empty_duplicate_id_column()
    disability_two_filled_id_columns_csv()
    special_header_only_csv()
    market_text_named_xlsx()
    pension_damaged_xlsx()
    dibao_zero_bytes()
    unemployment_filled_template()
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"已生成 {len(EXPECTED)} 个文件：{HERE}")


if __name__ == "__main__":
    main()
