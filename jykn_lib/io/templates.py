"""Blank input workbooks, one per source of the data contract (``jykn templates DIR``).

Each ``模板_<title>.xlsx`` holds the contract's headers (required ones in red: styling, not text, so the reader's header
matching is unaffected), one synthetic example row, dropdowns for the single-choice columns, and a 填写说明 sheet.
Templates are not protected; columns of text type (identity numbers, phones) are formatted as text down the sheet.

A template left in a data folder is never data: its name starts with 模板_, which no source title does (the reader
lists it as ignored), and its example row carries contract.EXAMPLE_ID, which the reader refuses wherever it appears
(a filled template saved under a source's name keeps its other rows). Writing never replaces what a person made:
a folder holding other files is refused unless ``force`` (the other files are then left alone), and a template file
that was filled in is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..contract import EXAMPLE_ID, TEMPLATE_PREFIX, Column, Contract, Source, district, load_contract, town_names
from ..params import load_parameters, load_yaml
from .writer import Col, Sheet, write_workbook

__all__ = ["EXAMPLE_ID", "TemplateFolderError", "template_path", "template_sheets", "write_templates"]

EXAMPLE_DATE = dt.date(2026, 1, 5)
EXAMPLE_FILL = "#FFF2CC"  # light yellow
INSTRUCTIONS = "填写说明"
DATE_FORMATS = "2024-03-05、2024/3/5、2024.3.5、2024年3月5日、20240305，或 Excel 日期"
MAX_ROWS = 1_048_574  # dropdowns reach the last Excel row below the header

# The example is an active, unemployed man: no end dates, exit reason, employment date, women's retirement base or
# 公示异议 (a filled cell means an objection).
_BLANK_IN_EXAMPLE = {"cancel_date", "end_date", "exit_date", "exit_reason", "leave_date", "closed_date",
                     "employment_date", "women_base", "objection"}
_TEXT_EXAMPLES = {
    "name": "张三", "household_id": "441803000123", "relation": "户主", "cert_no": EXAMPLE_ID + "43",
    "disability_type": "肢体", "disability_grade": "三级", "entity_name": "清新区示例商行", "insurance": "企业职工基本养老保险",
    "employer": "清远市示例有限公司", "skills": "初级工", "income_change": "无变化", "helper": "李四", "clerk": "李四",
    "post_id": "GY2026001", "post_name": "村道保洁员", "application_id": "SQ2026001", "materials": "身份证、户口簿",
}
_TYPE_TEXT = {
    "id": "公民身份号码（文本）", "text": "文本", "phone": "电话号码（文本）", "date": "日期", "period": "年月（YYYYMM）",
    "enum": "单选（下拉列表）", "bool": "是/否类（下拉列表）", "int_enum": "整数（下拉列表）", "town": "镇街（下拉列表）",
    "categories": "类别，可填多个", "exit_reason": "退出原因，可填多个", "list": "多项文本",
}
_SEPARATORS = "多个时用“、”“；”或“，”分隔"


class TemplateFolderError(ValueError):
    """The folder cannot take the templates without touching files a person made (message in Chinese)."""


def template_path(out_dir: str | Path, source: Source) -> Path:
    return Path(out_dir) / f"{TEMPLATE_PREFIX}{source.title}.xlsx"


def write_templates(out_dir: str | Path, contract: Contract | None = None, force: bool = False) -> list[Path]:
    """One blank template per source in ``out_dir`` (created if missing); the paths, in contract order.

    Refuses (TemplateFolderError) a folder that holds other files unless ``force``, and a template file that was
    filled in, always: an earlier blank template is the only file replaced."""
    contract = contract or load_contract()
    targets = {template_path(out_dir, s): s for s in contract.sources.values()}
    _check_folder(Path(out_dir), targets, force)
    return [write_workbook(path, template_sheets(s)) for path, s in targets.items()]


def _check_folder(out: Path, targets: dict[Path, Source], force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise TemplateFolderError(f"“{out}”已存在且不是文件夹，无法在其中写入模板")
    if not out.is_dir():
        return
    others = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                    if p not in targets and not p.name.startswith("."))
    if others and not force:
        shown = "、".join(others[:5]) + (f" 等{len(others)}个" if len(others) > 5 else "")
        raise TemplateFolderError(f"文件夹“{out}”中已有其他文件（{shown}），模板不写入这里。请换一个空文件夹；"
                                  f"或加 --force，把模板写在这些文件旁边（已有的文件不会被改动）")
    filled = [p.name for p, s in targets.items() if p.exists() and not is_blank_template(p, s)]
    if filled:
        raise TemplateFolderError(f"文件夹“{out}”中的{'、'.join(filled)}已填写过内容（或不是本程序生成的模板），"
                                  f"不会被覆盖。请先把它们改名或移走，再生成模板")


def is_blank_template(path: Path, source: Source) -> bool:
    """The file is a template as written here: the data sheet holds the header and the example row, nothing else."""
    from python_calamine import load_workbook

    try:
        wb = load_workbook(str(path))
        if wb.sheet_names != [source.title, INSTRUCTIONS]:
            return False
        rows = wb.get_sheet_by_name(source.title).to_python(skip_empty_area=False)
    except Exception:  # unreadable or not a workbook: not ours to replace
        return False
    header = [c.header for c in source.columns]
    if len(rows) < 2 or [str(v) for v in rows[1][:len(header)]] != header:
        return False
    body = [r for r in rows[2:] if any(v not in (None, "") for v in r)]
    return len(body) == 1 and EXAMPLE_ID in [str(v) for v in body[0]]


def template_sheets(source: Source) -> list[Sheet]:
    example = pd.DataFrame([{c.header: _example(c) for c in source.columns}])
    cols = {c.header: Col(kind=_kind(c), dropdown=_dropdown(c), required=c.required) for c in source.columns}
    title = f"{source.title} 填报模板（红色表头为必填列；第3行黄色底纹为示例，填报前请删除；详见“{INSTRUCTIONS}”工作表）"
    data = Sheet(source.title, example, title=title, columns=cols, highlight=[True],
                 highlight_color=EXAMPLE_FILL, input_rows=MAX_ROWS)
    return [data, _instructions(source)]


def _kind(c: Column) -> str:
    return {"date": "date", "int_enum": "int"}.get(c.type, "text")


def _dropdown(c: Column) -> list | None:
    if c.type in ("enum", "int_enum"):
        return [str(v) for v in c.values]
    if c.type == "bool":
        return [c.true, c.false]
    if c.type == "town":
        return town_names()
    return None  # categories and exit_reason cells may hold several codes: a hint in 填写说明 instead


def _example(c: Column):
    if c.field in _BLANK_IN_EXAMPLE:
        return None
    t = c.type
    if t == "id":
        return EXAMPLE_ID
    if t == "phone":
        return "13800138000"
    if t == "date":
        return EXAMPLE_DATE
    if t == "period":
        return f"{EXAMPLE_DATE:%Y%m}"
    if t in ("enum", "int_enum"):
        return c.default if c.default is not None else c.values[0]
    if t == "bool":
        return c.true
    if t == "town":
        return town_names()[0]
    if t == "categories":
        return _reasons("category")[0]
    if t == "exit_reason":
        return _reasons("exit")[0]
    if c.field == "village":
        return next(iter(district()["towns"][0].get("villages") or {"示例村": ""}))
    return _TEXT_EXAMPLES.get(c.field, f"示例{c.header}")


def _reasons(kind: str) -> list[str]:
    """'01 大龄失业人员' … and 'E1 已享受…' … as the reason codes word them (params/reasons.yaml)."""
    items = {k: r for k, r in load_parameters().reasons().items() if r.kind == kind}
    return [r.label if kind == "category" else f"{k} {r.label}" for k, r in items.items()]


def _allowed(c: Column) -> str:
    t = c.type
    if t == "id":
        return "18位，末位可为X（15位旧号也可）；必须是文本，不能是数字"
    if t == "phone":
        return "手机或固定电话，按文本填写"
    if t == "date":
        return DATE_FORMATS
    if t == "period":
        return "6位年月，如 202603"
    if t in ("enum", "int_enum"):
        text = "、".join(map(str, c.values))
        return text + (f"；留空按“{c.default}”处理" if c.default is not None else "")
    if t == "bool":
        return f"{c.true}、{c.false}"
    if t == "town":
        return "、".join(town_names()) + "（也可填统计用区划代码）"
    if t == "categories":
        return "类别代码或名称，" + _SEPARATORS + "：" + "、".join(_reasons("category"))
    if t == "exit_reason":
        return "退出原因代码或名称，" + _SEPARATORS + "：" + "；".join(_reasons("exit"))
    if t == "list":
        return _SEPARATORS
    return "自由填写"


def _instructions(source: Source) -> Sheet:
    rows = [{"列名": c.header, "是否必填": "必填" if c.required else "选填", "类型": _TYPE_TEXT[c.type],
             "可填写的值或格式": _allowed(c)} for c in source.columns]
    per_person = {"none": "同一人可有多行", "person_unique": "每人一行（同一公民身份号码只填一行）",
                  "one_active_per_person": "每次认定一行：同一人最多一条状态为“有效”的记录，此前已退出的记录保留"}
    key = per_person.get(source.key) or f"每个{source.column(source.key).header}一行"
    multi = [c.header for c in source.columns if c.type in ("categories", "exit_reason")]
    notes = [
        f"1. 文件名必须以“{source.title}”开头，如“{source.title}.xlsx”或“{source.title}_2026年10月导出.xlsx”；"
        "也可另存为 CSV（UTF-8 或 GBK 编码）。模板文件名以“模板_”开头，放在数据文件夹中不会被读取：填好后请另存为"
        "以来源名称开头的文件。",
        "2. 请勿修改第2行表头；红色表头为必填列；第1行标题可保留。",
        "3. 公民身份号码必须是文本：本模板已将该列设为文本格式。若 Excel 已显示为 4.41802E+17 之类的数字，末几位已丢失，"
        "请从原系统重新导出。",
        f"4. 日期可写作：{DATE_FORMATS}。",
        "5. 第3行（黄色底纹）为示例，填报前请删除或覆盖；示例行的公民身份号码是固定的示例号码，读取时会被剔除。",
        f"6. {key}。",
    ]
    if multi:
        notes.append(f"7. {'、'.join(multi)}可填多个，用“、”分隔；可只填代码（如 01、E5），也可填代码加名称。")
    return Sheet(INSTRUCTIONS, pd.DataFrame(rows), title=f"{source.title} 填写说明（数据来源：{source.origin}）",
                 columns={"可填写的值或格式": Col(kind="text", width=60, wrap=True)}, note_lines=notes)
