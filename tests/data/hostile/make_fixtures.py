"""Build the hostile input files used by tests/test_reader*.py and write what the reader must report (expected.json).

Every file is small and synthetic: identity numbers come from jykn_lib.idcard.make_id, names are made up. The files are
committed; run this script again only to change them (`python tests/data/hostile/make_fixtures.py`). The LibreOffice
copy needs `soffice`; without it the committed file is kept.

expected.json, per file: the source, the row counts and every 问题数据 row as [Excel row, rule, action], where action is
rejected / blank / warning / collapsed / conflict_kept (the vocabulary of the synthetic district's fault manifest).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.styles import PatternFill

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


def expect(file: str, source: str, counts: dict, problems: list) -> None:
    EXPECTED[file] = {"source": source, "counts": counts, "problems": sorted(problems)}


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
           {"读入行数": 7, "使用行数": 4, "剔除行数": 3, "空行数": 1, "合并重复行数": 0, "冲突行数": 0},
           [[4, "ID_NUMERIC", "rejected"], [5, "PHONE_SUSPICIOUS", "warning"], [7, "BOOL_INVALID", "blank"],
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
    expect(name, "dibao", {"读入行数": 6, "使用行数": 4, "剔除行数": 2, "空行数": 0, "合并重复行数": 0, "冲突行数": 0},
           [[5, "ID_NUMERIC", "rejected"], [7, "ENUM_INVALID", "rejected"], [9, "DATE_INVALID", "blank"]])


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
    expect(name, "ledger", {"读入行数": 7, "使用行数": 5, "剔除行数": 2, "空行数": 0, "合并重复行数": 0, "冲突行数": 0},
           [[4, "CATEGORY_UNKNOWN", "rejected"], [5, "EXIT_REASON_UNKNOWN", "blank"], [6, "ENUM_INVALID", "blank"],
            [6, "ENUM_INVALID", "blank"], [8, "ENUM_INVALID", "rejected"]])


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
    EXPECTED[name] = {"source": "landless", "error": "COLUMN_MISSING", "missing": "是否全部失地",
                      "found": ["公民身份号码", "姓名", "征地日期", "备注"]}


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
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"已生成 {len(EXPECTED)} 个文件：{HERE}")


if __name__ == "__main__":
    main()
