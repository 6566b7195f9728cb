"""问题数据: every rejected row, blanked cell, warning, duplicate and file-level refusal, in one table.

The rule codes are shared with the synthetic district's fault manifest (jykn_lib/synth): both sides use ``RULES``.
Machines keep the code (``规则代码``); what a person reads comes from :func:`for_people`, which puts the Chinese
``问题类型`` in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..idcard import ERRORS as ID_ERRORS

# Rule code → what the rule means, in Chinese (the 问题说明 of a row says what was found in that cell).
RULES: dict[str, str] = {
    # identity numbers (messages per cell come from jykn_lib.idcard.ERRORS)
    "ID_EMPTY": "公民身份号码为空",
    "ID_NUMERIC": "公民身份号码被 Excel 存成了数字，末几位已丢失，无法恢复",
    "ID_CHARS": "公民身份号码含有数字和末位X以外的字符",
    "ID_LENGTH": "公民身份号码位数不对（应为18位或15位旧号）",
    "ID_PROVINCE": "公民身份号码前两位不是有效的省级行政区划代码",
    "ID_DATE": "公民身份号码中的出生日期不是有效日期",
    "ID_TOO_OLD": "公民身份号码中的出生日期早于1900年",
    "ID_FUTURE": "公民身份号码中的出生日期晚于基准日",
    "ID_CHECK": "公民身份号码校验码错误",
    # cells
    "DATE_INVALID": "日期无法识别、不存在或不在1900年至2100年之间",
    "PERIOD_INVALID": "费款所属期无法识别（应为YYYYMM，如202608）",
    "ENUM_INVALID": "取值不在允许的选项内",
    "BOOL_INVALID": "是/否类取值无法识别",
    "TOWN_UNKNOWN": "镇街名称或统计用区划代码不属于本区",
    "CATEGORY_UNKNOWN": "认定类别代码或名称无法识别",
    "EXIT_REASON_UNKNOWN": "退出原因代码或名称无法识别",
    "REQUIRED_MISSING": "必填项为空",
    "PHONE_SUSPICIOUS": "联系电话格式可疑（已保留原值，请核对）",
    "VALUE_AMBIGUOUS": "取值含义不明确，需写明是哪一个选项",
    "CELL_ERROR": "单元格是 Excel 错误值（如 #N/A、#VALUE!、#REF!），公式没有算出结果",
    "FORMULA_NO_VALUE": "公式没有计算结果（文件保存时未计算），请在 Excel/WPS 中打开后保存",
    "TEMPLATE_EXAMPLE": "模板示例行，不是数据",
    "FIELD_COUNT": "CSV 该行的字段数与表头不同（文本中可能有未加引号的逗号），各列的值可能错位",
    # rows
    "DUPLICATE_IDENTICAL": "与前面某行完全相同的重复行，已合并为一行",
    "DUPLICATE_CONFLICT": "同一键值有多条不一致的记录，全部保留并按规则选用一条",
    # files
    "HEADER_NOT_FOUND": "找不到表头行",
    "COLUMN_MISSING": "缺少必填列",
    "LEDGER_MULTIPLE": "文件夹中有多个台账文件",
    "FILE_UNREADABLE": "文件无法读取",
    "FILE_EMPTY": "文件是空的（0字节）",
    "FILE_NOT_FOUND": "文件不存在（快捷方式或链接指向的文件已不在）",
    "FILE_NO_PERMISSION": "没有读取该文件的权限",
    "FILE_WRONG_TYPE": "文件内容与扩展名不符",
    "FILE_ENCRYPTED": "文件设置了打开密码",
    "FILE_ENCODING": "文本文件的编码无法识别或前后不一致",
    "SHEET_NOT_READ": "工作表像是该来源的数据，但缺少必填列，其中的行未读取",
    "COLUMN_DUPLICATE": "同一列名出现多次",
}
assert set(ID_ERRORS) <= set(RULES)

FILE_RULES = ("HEADER_NOT_FOUND", "COLUMN_MISSING", "LEDGER_MULTIPLE", "FILE_UNREADABLE", "FILE_EMPTY",
              "FILE_NOT_FOUND", "FILE_NO_PERMISSION", "FILE_WRONG_TYPE", "FILE_ENCRYPTED", "FILE_ENCODING",
              "SHEET_NOT_READ", "COLUMN_DUPLICATE")

# 处理: what was done with the row or cell.
REJECT = "剔除该行"
BLANK = "保留该行（该单元格置空）"
WARN = "保留该行（仅提示，原值保留）"
MERGED = "合并为一行"
CONFLICT = "保留全部并按规则取一条"
FILE_SKIPPED = "未读取该文件"
SHEET_SKIPPED = "未读取该工作表"
COLUMN_UNUSED = "未使用该列"

COLUMNS = ["来源", "文件", "工作表", "行号", "列", "原值", "规则代码", "问题说明", "处理"]


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS})
    frame["行号"] = frame["行号"].astype("Int64")
    return frame


@dataclass
class ProblemLog:
    """Collects problem rows (as dicts or frames) and builds the 问题数据 table once."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    def add(self, *, source: str, file: str, sheet: str = "", row=None, column: str = "", value: str = "",
            rule: str, message: str, action: str) -> None:
        self.rows.append({"来源": source, "文件": file, "工作表": sheet, "行号": row, "列": column, "原值": value,
                          "规则代码": rule, "问题说明": message, "处理": action})

    def add_frame(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.parts.append(frame[COLUMNS])

    def frame(self, source_order: list[str] | None = None) -> pd.DataFrame:
        parts = list(self.parts)
        if self.rows:
            parts.append(pd.DataFrame(self.rows, columns=COLUMNS))
        if not parts:
            return empty_frame()
        out = pd.concat(parts, ignore_index=True)
        out["行号"] = pd.to_numeric(out["行号"], errors="coerce").astype("Int64")
        for c in COLUMNS:
            if c != "行号":
                out[c] = out[c].fillna("").astype("str")
        order = {t: i for i, t in enumerate(source_order or [])}
        out["_o"] = out["来源"].map(order).fillna(len(order))
        out = out.sort_values(["_o", "文件", "行号"], kind="stable", na_position="first")
        return out.drop(columns="_o").reset_index(drop=True)


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The 问题数据 sheet a person reads: ``规则代码`` replaced, in place, by the Chinese ``问题类型``."""
    out = frame.copy()
    if "规则代码" not in out.columns:
        return out
    kinds = out["规则代码"].map(RULES).fillna("其他问题").astype("str")
    out.insert(out.columns.get_loc("规则代码"), "问题类型", kinds)
    return out.drop(columns="规则代码")
