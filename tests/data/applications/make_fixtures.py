"""Builds the hostile 认定申请 files a town sends back (committed beside this script; run it again to rebuild):

- 认定申请_WPS另存.xlsx: a title row, header synonyms (身份证号, 受理时间, 已提交材料, 公示意见), categories written as
  names, 已交材料 with mixed separators, full-width spaces and a name not in the list, a repeated 申请编号 with other
  content (the later row is the town's correction), a blank row, an identity number Excel turned into a number, a
  text date, a 公示异议 written in free text.

    .venv/bin/python tests/data/applications/make_fixtures.py
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import xlsxwriter

from jykn_lib.idcard import make_id

HERE = Path(__file__).resolve().parent
A = make_id("441803", dt.date(1971, 4, 3), 511)
B = make_id("441803", dt.date(1990, 8, 8), 512)
C = make_id("441803", dt.date(1980, 1, 9), 513)


def wps_xlsx() -> dict:
    path = HERE / "认定申请_WPS另存.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"author": "WPS Office", "created": dt.datetime(2026, 11, 20)})
    ws = wb.add_worksheet("受理登记")
    ws.write(0, 0, "太和镇就业困难人员认定申请受理登记表（2026年11月）")
    header = ["申请编号", "身份证号", "姓名", "申请日期", "申请类别", "受理镇街", "受理时间", "已提交材料", "联系电话",
              "女性退休基准", "公示意见"]
    for j, h in enumerate(header):
        ws.write(1, j, h)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    rows = [
        ["T001", A, "张某", dt.datetime(2026, 11, 2), "大龄失业人员", "太和镇", dt.datetime(2026, 11, 4),
         "申请表；身 份 证，承诺书、户口本", "13800001111", None, None],
        ["T002", B, "李某", "2026年11月3日", "03 享受最低生活保障待遇人员", "441803102", None, "身份证、保证书", None, None,
         None],
        None,  # a blank row between entries
        ["T001", A, "张某", dt.datetime(2026, 11, 2), "大龄失业人员", "太和镇", dt.datetime(2026, 11, 5),
         "申请表、身份证、承诺书", "13800001111", None, "群众反映其在外务工"],
        ["T003", 441803198001095130, "王某", dt.datetime(2026, 11, 6), "01", "太和镇", None, "申请表", None, None, None],
    ]
    for i, row in enumerate(rows, start=2):
        if row is None:
            continue
        for j, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(i, j, v, date)
            elif isinstance(v, int):
                ws.write_number(i, j, v)
            elif v is not None:
                ws.write_string(i, j, v)
    wb.close()
    return {"file": path.name, "ids": {"A": A, "B": B, "C": C},
            "counts": {"读入行数": 4, "使用行数": 3, "剔除行数": 1, "空行数": 1},
            "conflict_rows": [3, 6], "rejected_rows": [7]}


if __name__ == "__main__":
    expected = wps_xlsx()
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(expected["file"])
