"""Builds params/templates/不予认定告知书.docx, the Word template of the 《不予认定就业困难人员告知书》 (docxtpl).

The district edits the committed .docx in Word or WPS (wording, layout, fonts) without touching code; this script is
only how the first version was made, and what `tests/test_notices.py` compares the placeholders against. Run it again
only to start over from the project's wording:

    .venv/bin/python params/templates/build_templates.py

Placeholders (Jinja, rendered by jykn_lib.notices): office_name, notice_no, name, id_number, apply_date, town_office,
categories, reasons (each: text, clause), rehearing_days, rehearing_office, rehearing_address, rehearing_phone,
decision_date. Each tag sits inside a single run, so Word keeps it whole; loops over reasons use docxtpl's
paragraph tags ({%p … %}).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
NOTICE = HERE / "不予认定告知书.docx"
FONT = "宋体"
TITLE_FONT = "黑体"


def _font(run, name: str = FONT, size: float = 14, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str = "", *, align=None, size: float = 14, bold: bool = False, name: str = FONT,
          indent: bool = False, space_after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = 1.5
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _font(p.add_run(text), name, size, bold)
    return p


def build_notice(path: Path = NOTICE) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    _para(doc, "{{ office_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=16, name=TITLE_FONT)
    _para(doc, "不予认定就业困难人员告知书", align=WD_ALIGN_PARAGRAPH.CENTER, size=22, bold=True, name=TITLE_FONT,
          space_after=6)
    _para(doc, "{{ notice_no }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=14, space_after=12)
    _para(doc, "{{ name }}（公民身份号码：{{ id_number }}）：")
    _para(doc, "你于{{ apply_date }}向{{ town_office }}提出就业困难人员认定申请，申请认定类别：{{ categories }}。"
               "经审核，根据《广东省就业困难人员认定管理办法》（粤人社规〔2023〕11号）第四条，决定对你不予认定为就业困难人员。"
               "理由及依据如下：", indent=True)
    _para(doc, "{%p for r in reasons %}")
    _para(doc, "{{ loop.index }}. {{ r.text }}（依据：{{ r.clause }}）", indent=True)
    _para(doc, "{%p endfor %}")
    _para(doc, "如对本决定有异议，可自收到本告知书之日起{{ rehearing_days }}日内，向{{ rehearing_office }}申请重核"
               "（地址：{{ rehearing_address }}；电话：{{ rehearing_phone }}）。", indent=True)
    _para(doc, "特此告知。", indent=True, space_after=18)
    _para(doc, "{{ office_name }}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ decision_date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=18)

    doc.add_page_break()  # the 送达回证 on its own page: the server brings it back for the file
    _para(doc, "送达回证", align=WD_ALIGN_PARAGRAPH.CENTER, size=18, bold=True, name=TITLE_FONT, space_after=6)
    rows = [
        ("受送达人", "{{ name }}"),
        ("送达文书", "不予认定就业困难人员告知书（{{ notice_no }}）"),
        ("送达地点", ""),
        ("送达方式", "□ 直接送达　□ 邮寄送达　□ 其他："),
        ("送达人（签名）", ""),
        ("受送达人（签名或盖章）", ""),
        ("签收日期", "　　　　年　　月　　日"),
        ("备注", "受送达人拒绝签收的，送达人在此注明情况和日期，并由见证人签名。"),
    ]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for col, width in zip(table.columns, (Cm(5), Cm(10.8))):
        col.width = width
    for (label, value), row in zip(rows, table.rows):
        row.height = Cm(1.2)
        for cell, text, width in ((row.cells[0], label, Cm(5)), (row.cells[1], value, Cm(10.8))):
            cell.width = width
            p = cell.paragraphs[0]
            if text:
                _font(p.add_run(text), FONT, 12)
    doc.core_properties.title = "不予认定就业困难人员告知书（模板）"
    doc.core_properties.author = "清新区劳动就业服务中心"
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build_notice(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTICE))
