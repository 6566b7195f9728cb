"""Build the returned 审验核实表 used by tests/test_returns.py, as clerks really send them back, and what the collect
phase must conclude for every issued row (expected.json).

The issued list is :func:`issued` (two towns, made-up people, identity numbers from jykn_lib.idcard.make_id); the
issued workbooks are written by the suite's own writer (jykn_lib.analyses.audit.town_sheets), then filled in and
mangled here with openpyxl / xlwt — WPS is not installable, so its quirks are imitated: its default font and fills,
a renamed sheet and file, a filter left on with a hidden row, a text 报送日期, an .xls save. One folder per scenario:

    clean/      both towns, every answer from the dropdowns
    wps/        太和镇 saved WPS-like (renamed sheet and file, extra title row, re-sorted, filter on, text date);
                山塘镇 saved as .xls
    free_text/  太和镇 with free text in the dropdown cells (已就业, 联系不上, 符合, a bare code, 上门); 山塘镇 missing
    mess/       太和镇 sent twice (the later file has inserted blank rows, a note and a total row, a deleted row, a
                late 报送日期); 山塘镇 with bad answers (建议退出 without reason, unknown text, a reason with 仍符合条件,
                swapped identity numbers, a number Excel ate, a row never issued, a row twice with other answers, no
                verifier, no date)
    broken/     an encrypted workbook, a web page named .xls, a workbook without the table, a temporary ~$ file and
                a subfolder (nothing usable: every row is missing)

Run again only to change them: ``python tests/data/returns/make_fixtures.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import xlwt
from openpyxl.styles import Font, PatternFill

from jykn_lib.idcard import make_id

HERE = Path(__file__).resolve().parent
QUARTER, ISSUE, DUE = "2026Q4", dt.date(2026, 10, 8), dt.date(2026, 10, 30)
FIXED = dt.datetime(2026, 10, 28, 9, 0)
TOWNS = {"太和镇": "102", "山塘镇": "105"}
PEOPLE = [  # (town, name, birth, sequence, village, signals)
    ("太和镇", "陈一", dt.date(1975, 3, 1), 11, "黄坑村", "E5"),
    ("太和镇", "林二", dt.date(1978, 6, 2), 12, "黄坑村", "E10"),
    ("太和镇", "黄三", dt.date(1980, 9, 3), 13, "乐园村", "E5"),
    ("太和镇", "何四", dt.date(1976, 1, 4), 14, "周田村", "E2"),
    ("山塘镇", "吴五", dt.date(1979, 2, 5), 15, "胜利村", "E5"),
    ("山塘镇", "周六", dt.date(1981, 4, 6), 16, "胜利村", "E10"),
    ("山塘镇", "郑七", dt.date(1974, 7, 7), 17, "塘湾村", "E4"),
    ("山塘镇", "王八", dt.date(1977, 8, 8), 18, "新兴村", "D2"),
    ("山塘镇", "冯九", dt.date(1982, 10, 9), 19, "回正村", "E6"),
]
LABEL = {"E2": "E2 完全丧失劳动能力", "E3": "E3 入学、应征入伍或移居境外", "E5": "E5 已就业创业或失业登记已注销",
         "E10": "E10 失联6个月以上且未主动联系", "E4": "E4 6个月内3次及以上拒绝公共就业服务，或不再需要就业帮扶，或本人申请退出",
         "D2": "D2 户籍迁出省外", "E6": "E6 零就业家庭或零转移就业家庭已有成员就业创业"}
EXPECTED: dict[str, dict] = {}


def issued() -> pd.DataFrame:
    """The rows of the issue phase (the kept ``issued`` table of jykn_lib.analyses.audit), for both towns."""
    rows = []
    seq = {t: 0 for t in TOWNS}
    for town, name, birth, n, village, sig in PEOPLE:
        seq[town] += 1
        rows.append({"序号": seq[town], "核实编号": f"{QUARTER}-{TOWNS[town]}-{seq[town]:04d}", "姓名": name,
                     "公民身份号码": make_id("441803", birth, n), "所属村居": village, "联系电话": f"1380000{n:04d}",
                     "认定类别": "01 大龄失业人员", "认定日期": pd.Timestamp("2025-06-01"),
                     "系统提示": f"{LABEL[sig]}：合成证据", "所属镇街": town, "信号代码": sig, "区直接退出": "",
                     "区直接退出日期": pd.NaT})
    frame = pd.DataFrame(rows)
    frame["序号"] = frame["序号"].astype("int64")
    return frame


def number(town: str, i: int) -> str:
    return f"{QUARTER}-{TOWNS[town]}-{i:04d}"


def write_issued(folder: Path) -> dict[str, Path]:
    """The issued 核实表 of both towns, written by the suite's writer into ``folder``."""
    from jykn_lib import kit
    from jykn_lib.analyses import audit

    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    out = {}
    for town in TOWNS:
        setup = kit.validate_parameters(notebook="02", quarter=QUARTER, as_of=ISSUE.isoformat(), town=town,
                                        data_dir=str(data), out_dir=str(folder / "out"), phase="issue",
                                        returns_dir="")
        result = audit.AuditResult({"issued": issued()}, {"as_of": ISSUE.isoformat(), "phase": "issue",
                                                         "due": DUE.isoformat()})
        out[town] = kit.write_workbook(setup, f"审验核实表_{QUARTER}_{town}.xlsx", audit.town_sheets(setup, result, town),
                                       keep=False)
    return out


# ------------------------------------------------------------------------------------------------ filling in


def answer(result, reason=None, method="电话", day=dt.date(2026, 10, 15), who="张三", note=None) -> dict:
    return {"核实结果": result, "退出原因": reason, "核实方式": method, "核实日期": day, "核实人": who, "备注": note}


def fill(path: Path, answers: dict[str, dict], submitted, *, extra_rows=()) -> openpyxl.Workbook:
    """Open an issued workbook and write the answers (keyed by 核实编号) and the 报送日期."""
    wb = openpyxl.load_workbook(path)
    ws = wb["核实表"]
    col = {c.value: c.column for c in ws[2]}
    for r in range(3, ws.max_row + 1):
        a = answers.get(ws.cell(r, col["核实编号"]).value)
        for key, value in (a or {}).items():
            if value is not None:
                ws.cell(r, col[key]).value = value
    for values in extra_rows:  # rows the clerk added at the end: {header: value}
        r = ws.max_row + 1
        for key, value in values.items():
            ws.cell(r, col[key]).value = value
    info = wb["报送信息"]
    for r in range(1, info.max_row + 1):
        if info.cell(r, 1).value == "报送日期":
            info.cell(r, 2).value = submitted
    wb.properties.created = wb.properties.modified = FIXED
    return wb


def wps_like(wb: openpyxl.Workbook, ws, hide_row: int = 3) -> None:
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            cell.font = Font(name="宋体", size=11)
    for cell in ws[2]:
        cell.fill = PatternFill("solid", fgColor="FFFF00")
    ws.auto_filter.ref = f"A2:{ws.cell(2, ws.max_column).column_letter}{ws.max_row}"
    ws.row_dimensions[hide_row].hidden = True
    wb.properties.creator = "WPS Office"


def resort(ws, key_col: int, reverse=True) -> None:
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=ws.max_row)]
    rows = [r for r in rows if any(v is not None for v in r)]
    rows.sort(key=lambda r: str(r[key_col - 1]), reverse=reverse)
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            ws.cell(3 + i, j + 1).value = v


def save_xls(wb: openpyxl.Workbook, target: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for ws in wb.worksheets:
        sheet = book.add_sheet(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                style = date_style if isinstance(cell.value, (dt.date, dt.datetime)) else xlwt.Style.default_style
                sheet.write(cell.row - 1, cell.column - 1, cell.value, style)
    book.save(str(target))


def expect(scenario: str, rows: dict, problems: list[str], used: dict[str, str | None]) -> None:
    """rows: 核实编号 → [返回状态, 结论, 退出原因]; problems: the 问题代码 that must appear; used: town → file used."""
    EXPECTED[scenario] = {"rows": rows, "problems": sorted(problems), "used": used}


RETURNED, ROW_MISSING, TOWN_MISSING = "已返回", "未返回（镇街返回的文件中没有此行）", "未返回（镇街未返回核实表）"


def all_rows(default=(RETURNED, "仍符合条件", None)) -> dict:
    return {number(t, i): list(default) for t in TOWNS for i in range(1, sum(p[0] == t for p in PEOPLE) + 1)}


def clean(issued_paths: dict[str, Path]) -> None:
    d = HERE / "clean"
    a = {number("太和镇", 1): answer("建议退出", LABEL["E5"]), number("太和镇", 2): answer("无法联系", method="走访"),
         number("太和镇", 3): answer("仍符合条件", method="系统比对", note="短期工作已结束"),
         number("太和镇", 4): answer("建议退出", LABEL["E2"], method="走访")}
    fill(issued_paths["太和镇"], a, dt.date(2026, 10, 20)).save(d / f"审验核实表_{QUARTER}_太和镇.xlsx")
    b = {number("山塘镇", i): answer("仍符合条件", who="李四") for i in range(1, 6)}
    b[number("山塘镇", 4)] = answer("建议退出", LABEL["D2"], who="李四")
    fill(issued_paths["山塘镇"], b, dt.date(2026, 10, 29)).save(d / f"审验核实表_{QUARTER}_山塘镇.xlsx")
    rows = all_rows()
    rows[number("太和镇", 1)] = [RETURNED, "确认退出", "E5"]
    rows[number("太和镇", 2)] = [RETURNED, "无法联系", None]
    rows[number("太和镇", 4)] = [RETURNED, "确认退出", "E2"]
    rows[number("山塘镇", 4)] = [RETURNED, "确认退出", "D2"]
    expect("clean", rows, [], {"太和镇": f"审验核实表_{QUARTER}_太和镇.xlsx", "山塘镇": f"审验核实表_{QUARTER}_山塘镇.xlsx"})


def wps(issued_paths: dict[str, Path]) -> None:
    d = HERE / "wps"
    a = {number("太和镇", i): answer("仍符合条件", who="张三") for i in range(1, 5)}
    a[number("太和镇", 3)] = answer("建议退出", LABEL["E5"])
    wb = fill(issued_paths["太和镇"], a, "2026年10月28日")
    ws = wb["核实表"]
    resort(ws, key_col=[c.value for c in ws[2]].index("姓名") + 1)
    for merged in list(ws.merged_cells.ranges):  # openpyxl does not move merges when rows are inserted
        ws.unmerge_cells(str(merged))
    ws.insert_rows(1)  # a second title row above the header, merged across, as WPS users add
    ws.cell(1, 1).value = "太和镇就业困难人员定期审验核实结果（2026年第四季度）"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    ws.title = "Sheet1"
    wps_like(wb, ws, hide_row=4)
    wb.save(d / "太和镇审验结果（WPS）.xlsx")
    b = {number("山塘镇", i): answer("仍符合条件", who="李四") for i in range(1, 6)}
    b[number("山塘镇", 2)] = answer("建议退出", LABEL["E10"], who="李四")
    save_xls(fill(issued_paths["山塘镇"], b, dt.date(2026, 10, 27)), d / f"审验核实表_{QUARTER}_山塘镇.xls")
    rows = all_rows()
    rows[number("太和镇", 3)] = [RETURNED, "确认退出", "E5"]
    rows[number("山塘镇", 2)] = [RETURNED, "确认退出", "E10"]
    expect("wps", rows, [], {"太和镇": "太和镇审验结果（WPS）.xlsx", "山塘镇": f"审验核实表_{QUARTER}_山塘镇.xls"})


def free_text(issued_paths: dict[str, Path]) -> None:
    d = HERE / "free_text"
    a = {number("太和镇", 1): answer("已就业", method="上门"), number("太和镇", 2): answer("联系不上"),
         number("太和镇", 3): answer("符合", method="打电话"), number("太和镇", 4): answer("建议退出", "E3", note="出国定居")}
    fill(issued_paths["太和镇"], a, dt.date(2026, 10, 30)).save(d / f"审验核实表_{QUARTER}_太和镇.xlsx")
    rows = {k: [TOWN_MISSING, "未返回", None] for k in all_rows()}
    rows[number("太和镇", 1)] = [RETURNED, "确认退出", "E5"]
    rows[number("太和镇", 2)] = [RETURNED, "无法联系", None]
    rows[number("太和镇", 3)] = [RETURNED, "仍符合条件", None]
    rows[number("太和镇", 4)] = [RETURNED, "确认退出", "E3"]
    expect("free_text", rows, ["R_ANSWER_SYNONYM", "R_TOWN_MISSING"], {"太和镇": f"审验核实表_{QUARTER}_太和镇.xlsx",
                                                                     "山塘镇": None})


def mess(issued_paths: dict[str, Path]) -> None:
    d = HERE / "mess"
    early = {number("太和镇", 1): answer("仍符合条件")}
    fill(issued_paths["太和镇"], early, dt.date(2026, 10, 12)).save(d / f"审验核实表_{QUARTER}_太和镇.xlsx")
    late = {number("太和镇", i): answer("仍符合条件") for i in range(1, 5)}
    late[number("太和镇", 1)] = answer("建议退出", LABEL["E5"])
    late[number("太和镇", 2)] = answer("仍符合条件", who=None)  # no verifier: used, listed
    late[number("太和镇", 3)] = answer("无法联系", day=None)  # no date: used, listed
    wb = fill(issued_paths["太和镇"], late, dt.date(2026, 11, 3))
    ws = wb["核实表"]
    col = {c.value: c.column for c in ws[2]}
    for r in range(3, ws.max_row + 1):  # the clerk deleted 何四's row
        if ws.cell(r, col["核实编号"]).value == number("太和镇", 4):
            ws.delete_rows(r)
            break
    ws.insert_rows(4, amount=2)  # two blank rows in the middle
    r = ws.max_row + 2
    ws.cell(r, 1).value = "合计"
    ws.cell(r, col["姓名"]).value = "共3人"
    ws.cell(r + 1, 1).value = "说明：何四已于10月迁往广州，另行报告。"
    wb.save(d / "太和镇（修改后）.xlsx")
    ids = issued().set_index("核实编号")["公民身份号码"]
    b = {number("山塘镇", 1): answer("建议退出", None, who="李四"),  # no reason
         number("山塘镇", 2): answer("待定", who="李四"),  # unknown text
         number("山塘镇", 3): answer("仍符合条件", LABEL["E4"], who=None),  # a reason with 仍符合条件; no verifier
         number("山塘镇", 4): answer("建议退出", LABEL["D2"], day=None, who="李四"),  # fine, but no date
         number("山塘镇", 5): answer("建议退出", LABEL["E6"], who="李四")}
    wb = fill(issued_paths["山塘镇"], b, dt.date(2026, 10, 29), extra_rows=[
        {"核实编号": number("山塘镇", 5), "姓名": "冯九", "公民身份号码": ids[number("山塘镇", 5)],
         "核实结果": "仍符合条件", "核实人": "李四", "核实日期": dt.date(2026, 10, 16)},  # twice, other answer
        {"核实编号": "2026Q4-105-0099", "姓名": "外人", "公民身份号码": make_id("441803", dt.date(1970, 1, 1), 99),
         "核实结果": "仍符合条件", "核实人": "李四"}])  # never issued
    ws = wb["核实表"]
    col = {c.value: c.column for c in ws[2]}
    for r in range(3, ws.max_row + 1):
        no = ws.cell(r, col["核实编号"]).value
        if no == number("山塘镇", 2):  # Excel turned the identity number into a number: name still matches
            ws.cell(r, col["公民身份号码"]).value = float(ids[no][:15] + "000")
        if no == number("山塘镇", 4):  # identity number of another issued row pasted in
            ws.cell(r, col["公民身份号码"]).value = ids[number("山塘镇", 3)]
    wb.save(d / f"审验核实表_{QUARTER}_山塘镇.xlsx")
    rows = all_rows()
    rows[number("太和镇", 1)] = [RETURNED, "确认退出", "E5"]
    rows[number("太和镇", 3)] = [RETURNED, "无法联系", None]
    rows[number("太和镇", 4)] = [ROW_MISSING, "未返回", None]
    for i in (1, 2, 3, 4, 5):
        rows[number("山塘镇", i)] = [RETURNED, "待补正", None]
    expect("mess", rows, ["R_FILE_SUPERSEDED", "R_LATE", "R_NOTE_ROW", "R_ROW_MISSING", "R_REASON_MISSING",
                          "R_ANSWER_UNKNOWN", "R_REASON_CONFLICT", "R_NO_VERIFIER", "R_NO_DATE", "R_ID_UNREADABLE", "R_ID_MISMATCH",
                          "R_NOT_ISSUED", "R_DUPLICATE_CONFLICT"],
           {"太和镇": "太和镇（修改后）.xlsx", "山塘镇": f"审验核实表_{QUARTER}_山塘镇.xlsx"})


def broken(issued_paths: dict[str, Path]) -> None:
    import msoffcrypto

    d = HERE / "broken"
    plain = d / "plain.tmp.xlsx"
    fill(issued_paths["太和镇"], {number("太和镇", 1): answer("仍符合条件")}, dt.date(2026, 10, 20)).save(plain)
    with open(plain, "rb") as src, open(d / "太和镇_加密.xlsx", "wb") as dst:
        office = msoffcrypto.OfficeFile(src)
        office.encrypt("123456", dst)
    plain.unlink()
    (d / "山塘镇_网页.xls").write_text("<html><body><table><tr><td>核实编号</td></tr></table></body></html>",
                                        encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.append(["这是别的表格"])
    wb.properties.created = wb.properties.modified = FIXED
    wb.save(d / "其他表格.xlsx")
    (d / "~$审验核实表_2026Q4_太和镇.xlsx").write_bytes(b"lock")
    (d / "旧文件").mkdir(exist_ok=True)
    (d / "旧文件" / "说明.txt").write_text("old", encoding="utf-8")
    rows = {k: [TOWN_MISSING, "未返回", None] for k in all_rows()}
    expect("broken", rows, ["R_FILE_UNREADABLE", "R_FILE_NO_TABLE", "R_TOWN_MISSING"], {"太和镇": None, "山塘镇": None})


def main() -> None:
    for scenario in ("clean", "wps", "free_text", "mess", "broken"):
        shutil.rmtree(HERE / scenario, ignore_errors=True)
        (HERE / scenario).mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_issued(Path(tmp))
        for build in (clean, wps, free_text, mess, broken):
            build(paths)
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")


if __name__ == "__main__":
    main()
