"""The provincial import file (《服务跟踪情况-就业困难人员导入模板》): its columns are not published, so they are a
mapping from our fields in ``params/templates/province_import.yaml``, which the district edits to match the real
template — headers, order, constant columns, coded values, date forms — without changing code.

    mapping = load_mapping(params)                  # checked: unknown keys, fields or forms are refused in Chinese
    frame = import_frame(people, mapping)           # the columns exactly as the mapping says, in its order
    sheet = import_sheet(people, mapping)           # a bare Sheet (header in row 1) for kit.write_workbook

``people`` is the review's one row per recognised person (jykn_lib.analyses.ledger_review, table ``people``); the
fields a mapping may use are :data:`FIELDS` (field → the people table's column).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..params import ParameterError, Parameters, read_yaml_strict
from .writer import Col, Sheet

MAPPING_FILE = Path("templates") / "province_import.yaml"
FILE_KEYS = ("sheet", "title", "status", "note", "columns")
COLUMN_KEYS = ("header", "field", "value", "values", "format")

# field → (the column of the review's people table, what it is)
FIELDS: dict[str, tuple[str, str]] = {
    "seq": ("序号", "序号（1起）"),
    "town": ("所属镇街", "所属镇街"),
    "village": ("所属村居", "所属村居"),
    "name": ("姓名", "姓名"),
    "id_number": ("公民身份号码", "公民身份号码（文本）"),
    "sex": ("性别", "性别（由身份号码得出）"),
    "birth_date": ("出生日期", "出生日期（由身份号码得出）"),
    "age": ("年龄", "基准日周岁"),
    "phone": ("联系电话", "联系电话"),
    "category_codes": ("认定类别代码", "认定类别代码，如 01、07"),
    "categories": ("认定类别", "认定类别代码和名称"),
    "recognised_date": ("认定日期", "认定日期"),
    "status": ("状态", "台账状态（有效）"),
    "employment_status": ("就业状态", "就业状态"),
    "employment_date": ("就业日期", "就业日期"),
    "employment_status_date": ("就业状态更新日期", "就业状态更新日期"),
    "grade": ("分级", "台账分级"),
    "rule_grade": ("规则分级", "按分级规则应为的分级"),
    "helper": ("帮扶责任人", "帮扶责任人"),
    "skills": ("技能状况", "技能状况"),
    "income_change": ("家庭收入变动", "家庭收入变动"),
    "guidance_count": ("职业指导次数", "认定后职业指导次数"),
    "referral_count": ("岗位推荐次数", "认定后岗位推荐次数"),
    "training_count": ("职业培训次数", "认定后职业培训次数"),
    "business_count": ("创业服务次数", "认定后创业服务次数"),
    "followup_count": ("跟踪回访次数", "认定后跟踪回访次数"),
    "last_service_date": ("最近服务日期", "最近一次帮扶记录的日期"),
    "last_followup_date": ("最近成功跟踪日期", "最近一次成功跟踪回访的日期"),
    "next_followup_due": ("下次跟踪期限", "下次跟踪回访的期限"),
    "plan_status": ("帮扶计划完成情况", "第五条帮扶服务计划的完成情况"),
    "plan_due": ("帮扶计划期限", "第五条帮扶服务计划的期限"),
    "refusals": ("近期拒绝服务次数", "退出情形第（四）项窗口内的拒绝次数"),
    "last_contact_date": ("最后有效联系日期", "退出情形第（十）项的最后有效联系日期"),
    "months_without_contact": ("失联月数", "最后有效联系至基准日的整月数"),
    "policies_claimed": ("享受政策", "台账登记的已享受政策"),
    "policies_to_push": ("可享受未享受政策", "按政策清单可享受、尚未登记享受的政策"),
    "retirement_date": ("法定退休日期", "法定退休日期"),
    "problems": ("台账问题", "本次检查发现的问题（中文）"),
}
DATE_FIELDS = {"birth_date", "recognised_date", "employment_date", "employment_status_date", "last_service_date",
               "last_followup_date", "next_followup_due", "plan_due", "last_contact_date", "retirement_date"}


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None = None
    value: str | None = None  # a constant written on every row
    values: dict[str, str] | None = None  # our value → the template's code; a value not listed is refused
    format: str | None = None  # dates: strftime form written as text ("%Y%m%d"); none: an Excel date


@dataclass(frozen=True)
class Mapping:
    sheet: str
    title: str | None
    columns: tuple[Column, ...]
    status: str = "U"
    note: str | None = None
    path: Path | None = field(default=None, compare=False)


def load_mapping(params: Parameters | None = None, path: Path | str | None = None) -> Mapping:
    """The mapping of ``params/templates/province_import.yaml`` (or ``path``), checked."""
    if path is None:
        if params is None:
            from ..params import load_parameters

            params = load_parameters()
        path = params.root / MAPPING_FILE
    path = Path(path)
    raw = read_yaml_strict(path) or {}
    where = f"导入模板对照 {path}"
    unknown = [k for k in raw if k not in FILE_KEYS]
    if unknown:
        raise ParameterError(f"{where}：未知键{'、'.join(unknown)}（允许的键：{'、'.join(FILE_KEYS)}）。")
    if not raw.get("sheet") or not isinstance(raw.get("columns"), list) or not raw["columns"]:
        raise ParameterError(f"{where}：须有 sheet（工作表名称）和非空的 columns。")
    if raw.get("status") not in ("C", "P", "U"):
        raise ParameterError(f"{where}：status 须是 C、P 或 U（模板列是否已与省系统核对）。")
    cols, seen = [], set()
    for i, item in enumerate(raw["columns"], start=1):
        w = f"{where} 第{i}列"
        if not isinstance(item, dict):
            raise ParameterError(f"{w} 须是映射（header、field …）。")
        bad = [k for k in item if k not in COLUMN_KEYS]
        if bad:
            raise ParameterError(f"{w}：未知键{'、'.join(bad)}（允许的键：{'、'.join(COLUMN_KEYS)}）。")
        header = str(item.get("header") or "").strip()
        if not header or header in seen:
            raise ParameterError(f"{w}：header 为空或与前面的列重复（“{header}”）。")
        seen.add(header)
        fld, value = item.get("field"), item.get("value")
        if (fld is None) == (value is None):
            raise ParameterError(f"{w}（{header}）：field（本项目字段）和 value（固定值）须写且只写一个。")
        if fld is not None and fld not in FIELDS:
            raise ParameterError(f"{w}（{header}）：未知字段“{fld}”。可用字段：{'、'.join(FIELDS)}。")
        fmt = item.get("format")
        if fmt is not None and (fld not in DATE_FIELDS or not isinstance(fmt, str)):
            raise ParameterError(f"{w}（{header}）：format 只用于日期字段（{'、'.join(sorted(DATE_FIELDS))}）。")
        if fmt is not None:
            try:
                dt.date(2026, 1, 2).strftime(fmt)
            except ValueError:
                raise ParameterError(f"{w}（{header}）：日期格式“{fmt}”无效（例：%Y-%m-%d、%Y%m%d）。") from None
        values = item.get("values")
        if values is not None and (not isinstance(values, dict) or fld is None):
            raise ParameterError(f"{w}（{header}）：values 须是“本项目取值: 模板取值”的映射，且只用于 field 列。")
        cols.append(Column(header=header, field=fld, value=None if value is None else str(value),
                           values={str(k): str(v) for k, v in values.items()} if values else None, format=fmt))
    title = raw.get("title")
    return Mapping(sheet=str(raw["sheet"]), title=str(title) if title else None, columns=tuple(cols),
                   status=raw["status"], note=raw.get("note"), path=path)


def import_frame(people: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """The template's columns, in the mapping's order, one row per person of ``people``."""
    out = {}
    n = len(people)
    for col in mapping.columns:
        if col.value is not None:
            out[col.header] = pd.Series([col.value] * n, dtype=object)
            continue
        source, _ = FIELDS[col.field]
        values = (pd.Series(np.arange(1, n + 1)) if col.field == "seq"
                  else people[source].reset_index(drop=True))
        if col.values is not None:
            text = values.astype(object).where(values.notna(), None)
            text = text.map(lambda v: None if v is None else str(v))
            unmapped = sorted(set(text.dropna()) - set(col.values))
            if unmapped:
                raise ParameterError(f"导入模板对照 {mapping.path} 的列“{col.header}”（{col.field}）没有写出这些取值的"
                                     f"对应代码：{'、'.join(unmapped)}。请在 values 中补上，不会按空白或原值猜测。")
            values = text.map(lambda v, col=col: None if v is None else col.values[v])
        elif col.format is not None:
            day = pd.to_datetime(values, errors="coerce")
            values = day.dt.strftime(col.format).astype(object).where(day.notna(), None)
        out[col.header] = values.reset_index(drop=True)
    return pd.DataFrame(out, index=range(n))


def import_sheet(people: pd.DataFrame, mapping: Mapping) -> Sheet:
    """A Sheet of the import file: header in row 1 (``title: null``) or below a title row; identity numbers, phones and
    every coded or formatted column as text."""
    frame = import_frame(people, mapping)
    columns = {}
    for col in mapping.columns:
        if col.field in DATE_FIELDS and col.format is None and col.values is None:
            columns[col.header] = Col(kind="date")
        elif col.field in ("seq", "age", "guidance_count", "referral_count", "training_count", "business_count",
                           "followup_count", "refusals", "months_without_contact") and col.values is None:
            columns[col.header] = Col(kind="int")
        else:
            columns[col.header] = Col(kind="text")
    return Sheet(name=mapping.sheet, data=frame, title=mapping.title, columns=columns, bare=mapping.title is None)
