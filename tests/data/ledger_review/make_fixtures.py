"""Build the town returns the ledger review reads as they really come (tests/test_ledger_review_returns.py).

The folder ``town_returns/`` holds a small district: the ledger with a title row and header synonyms, 帮扶记录 sent
back by two towns (one GBK CSV re-sorted newest first, with Chinese text dates and a free-text 服务结果 typed into the
dropdown column; one old .xls), and 公益性岗位 saved with a merged title row, 报送日期 typed as text in two styles and a
free-text 岗位类别. Everything is synthetic (identity numbers from jykn_lib.idcard.make_id, made-up names). The files
are committed; run this script again only to change them: ``python tests/data/ledger_review/make_fixtures.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import xlwt

from jykn_lib.idcard import make_id

HERE = Path(__file__).resolve().parent
OUT = HERE / "town_returns"
A = make_id("441803", dt.date(1978, 4, 2), 12)  # 太和镇, the free-text follow-up
B = make_id("441803", dt.date(1975, 9, 9), 13)  # 山塘镇, services in the .xls
C = make_id("441803", dt.date(1980, 1, 20), 14)  # 太和镇, placed in a 公益性岗位


def ledger() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["清新区就业困难人员台账（截至2026年11月26日）"])
    ws.append(["身份证号", "姓名", "镇街", "人员类别", "认定日期", "状态", "联系电话", "就业状态", "分级", "享受政策情况"])
    ws.append([A, "甲某", "太和镇", "01 大龄失业人员", "2026-06-01", "有效", "13800000001", "未就业", "C", None])
    ws.append([B, "乙某", "山塘镇", "01", dt.date(2026, 6, 1), "有效", "13800000002", "未就业", "C", None])
    ws.append([C, "丙某", "太和镇", "01", dt.date(2026, 5, 1), "有效", "13800000003", "公益性岗位", "C",
               "公益性岗位补贴；培训补贴"])
    wb.save(OUT / "就业困难人员台账.xlsx")


def plan(pid: str, start: dt.date) -> list[tuple]:
    d = lambda n: start + dt.timedelta(days=n)  # noqa: E731
    return [(pid, d(2), "职业指导", "来访", "已联系"), (pid, d(4), "岗位推荐", "电话", "已推荐"),
            (pid, d(6), "岗位推荐", "电话", "已推荐"), (pid, d(8), "岗位推荐", "线上", "已推荐"),
            (pid, d(19), "创业服务", "电话", "已联系")]


def follow(pid: str, first: dt.date, last: dt.date) -> list[tuple]:
    out, day = [], first
    while day <= last:
        out.append((pid, day, "跟踪回访", "电话", "已联系"))
        day += dt.timedelta(days=25)
    return out


def services_csv() -> None:
    rows = plan(A, dt.date(2026, 6, 1)) + follow(A, dt.date(2026, 7, 1), dt.date(2026, 10, 20))
    rows.append((A, dt.date(2026, 11, 10), "跟踪回访", "电话", "电话已联系"))  # free text in the dropdown column
    rows.sort(key=lambda r: r[1], reverse=True)  # the town sorted newest first
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["公民身份号码", "服务时间", "服务类型", "服务方式", "服务结果", "服务人员", "所属镇街"])
    for pid, day, stype, method, result in rows:
        w.writerow([pid, f"{day.year}年{day.month}月{day.day}日", stype, method, result, "王经办", "太和镇"])
    (OUT / "帮扶记录_太和镇.csv").write_bytes(buf.getvalue().encode("gbk"))


def services_xls() -> None:
    rows = plan(B, dt.date(2026, 6, 1)) + follow(B, dt.date(2026, 7, 1), dt.date(2026, 11, 20))
    rows += follow(C, dt.date(2026, 5, 25), dt.date(2026, 11, 15)) + plan(C, dt.date(2026, 5, 1))
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("帮扶记录")
    date_fmt = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for j, h in enumerate(["公民身份号码", "服务日期", "服务类型", "服务方式", "服务结果", "经办人", "所属镇街"]):
        sheet.write(0, j, h)
    for i, (pid, day, stype, method, result) in enumerate(rows, start=1):
        sheet.write(i, 0, pid)
        sheet.write(i, 1, dt.datetime(day.year, day.month, day.day), date_fmt)
        for j, v in enumerate([stype, method, result, "李经办", "山塘镇" if pid == B else "太和镇"], start=2):
            sheet.write(i, j, v)
    book.save(str(OUT / "帮扶记录_山塘镇.xls"))


def posts() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "公益性岗位"
    ws.append(["清新区公益性岗位开发及安置情况"])
    ws.merge_cells("A1:I1")
    ws.append(["所属镇街", "岗位编号", "岗位类别", "开发日期", "岗位名称", "在岗人员身份证号", "上岗日期", "离岗日期", "报送日期"])
    ws.append(["太和镇", "GY001", "保洁", dt.date(2026, 2, 1), "保洁员", C, dt.date(2026, 6, 1), None, "2026.3.20"])
    ws.append(["太和镇", "GY002", "保洁员", dt.date(2026, 2, 1), "保洁员", None, None, None, "2026.3.20"])  # free text
    ws.append(["山塘镇", "GY101", "保绿", dt.date(2026, 1, 10), "护林员", None, None, None, "2026年4月8日"])
    wb.save(OUT / "公益性岗位.xlsx")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    ledger()
    services_csv()
    services_xls()
    posts()


if __name__ == "__main__":
    main()
