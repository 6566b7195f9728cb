"""Export-like files: which source goes to which file (format, name, sheet, title row, header synonyms, splitting),
and writing them byte-identically (.xlsx with XlsxWriter and fixed workbook properties; .csv in GBK / UTF-8 with BOM).

A :class:`FileSpec` holds one file's rows before writing. Faults (:mod:`.faults`) change cells and insert rows;
rows carry a sort key ``_key`` and a unique ``_uid`` so the final Excel row numbers are known only at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from ..contract import load_contract
from .population import ym_text

ROW_LIMITS = {"xlsx": 10_000, "csv": 500_000}  # rows per sheet/file, title and header included
EXCEL_MAX_ROWS = 1_048_576
LARGE_HUKOU = 100_000  # above this many residents 户籍人口 is written as split GBK CSV
INSERT_MARGIN = 60  # room left in each chunk for inserted fault rows


class NumberCell(float):
    """An identity number that Excel has turned into a number (written as a numeric cell)."""


class ErrorCell(str):
    """An Excel error value (#N/A …): written as a formula whose cached result is that error, as Excel saves it."""


# Per source: format, file stem, sheet, title row, header synonyms (as exports write them), which files get them.
LAYOUT: dict[str, dict] = {
    "unemployment": dict(fmt="xlsx", stem="失业登记_{ym}导出", sheet="失业登记人员",
                         title="清新区失业登记人员名单（导出日期：{date}）", synonyms={"联系电话": "手机号码"}),
    "hukou": dict(fmt="xlsx", stem="户籍人口_{k}", sheet="Sheet1", title="清新区户籍人口信息（第{k}部分，导出日期：{date}）",
                  synonyms={"城乡属性": "户口性质"}, synonym_files="last"),
    "dibao": dict(fmt="csv", encoding="utf-8-sig", stem="低保人员名单", synonyms={"救助类型": "保障类型", "开始日期": "享受开始日期"}),
    "disability": dict(fmt="xlsx", stem="残疾人持证名单", sheet="残疾人", title="清新区持证残疾人名单（{date}）",
                       synonyms={"公民身份号码": "身份证号"}),
    "veteran": dict(fmt="xlsx", stem="退役军人信息", sheet="Sheet1", title="清新区退役军人信息表", synonyms={"退役日期": "退伍日期"}),
    "poverty": dict(fmt="csv", encoding="gbk", stem="原建档立卡户成员", title="清新区原建档立卡脱贫人口名单"),
    "landless": dict(fmt="xlsx", stem="失地农民", sheet="失地农民", synonyms={"是否全部失地": "是否全失地"}),
    "special": dict(fmt="xlsx", stem="特殊人员", sheet="特殊人员", title="特殊人员名单（公安、司法、卫健汇总）",
                    synonyms={"人员类型": "人员类别"}),
    "contributions": dict(fmt="csv", encoding="gbk", stem="社保缴费_{lo}-{hi}", synonyms={"费款所属期": "缴费年月"}),
    "pension": dict(fmt="xlsx", stem="养老待遇", sheet="Sheet1", synonyms={"待遇开始日期": "领取开始日期"}),
    "market": dict(fmt="xlsx", stem="市场主体人员", sheet="市场主体", title="市场主体登记人员信息（导出日期：{date}）",
                   synonyms={"主体名称": "企业名称", "人员身份": "职务"}),
    "ledger": dict(fmt="xlsx", stem="就业困难人员台账", sheet="台账", title="清新区就业困难人员台账（截至{date}）"),
    "services": dict(fmt="xlsx", stem="帮扶记录", sheet="帮扶记录", title="就业困难人员帮扶服务记录",
                     synonyms={"服务日期": "服务时间", "经办人": "服务人员"}),
    "posts": dict(fmt="xlsx", stem="公益性岗位", sheet="公益性岗位", title="清新区公益性岗位开发及安置情况",
                  synonyms={"安置人员身份号码": "在岗人员身份证号"}),
    "applications": dict(fmt="xlsx", stem="认定申请", sheet="申请登记", title="就业困难人员认定申请受理登记表（{date}）",
                         synonyms={"已交材料": "已提交材料"}),
}
SOURCE_ORDER = list(LAYOUT)


@dataclass
class FileSpec:
    source: str
    stem: str
    fmt: str
    sheet: str | None
    title: str | None
    fields: list[str]
    headers: list[str]
    types: list[str]
    data: pd.DataFrame
    encoding: str | None = None
    synonyms: dict[str, str] = field(default_factory=dict)  # standard header -> written header
    sha256: str | None = None
    final: pd.DataFrame | None = None
    extra: list[dict] = field(default_factory=list)  # inserted rows (faults), merged by finalise()
    n_rows: int | None = None

    @property
    def name(self) -> str:
        return f"{self.stem}.{self.fmt}"

    @property
    def title_cn(self) -> str:
        return load_contract()[self.source].title

    @property
    def header_row(self) -> int:
        return 2 if self.title else 1

    def header_of(self, field_name: str) -> str:
        return self.headers[self.fields.index(field_name)]

    def finalise(self) -> pd.DataFrame:
        """Rows in their final order; ``_row`` is the Excel row number a person sees. Call after all faults."""
        if self.final is not None:
            return self.final
        df = self.data
        if self.extra:
            df = pd.concat([df, pd.DataFrame(self.extra)], ignore_index=True)
            df = df.sort_values("_key", kind="stable").reset_index(drop=True)
        df["_row"] = np.arange(len(df)) + self.header_row + 1
        self.final = self.data = df  # the unsorted rows are not needed any more
        self.n_rows = len(df)
        return df

    def release(self) -> None:
        """Drop the rows once written (large districts)."""
        self.final = self.data = None

    def row_of(self, uid: int) -> int:
        df = self.final if self.final is not None else self.finalise()
        return int(df.loc[df["_uid"] == uid, "_row"].iat[0])


def new_spec(source: str, data: pd.DataFrame, stem: str, title: str | None, synonyms: dict[str, str],
             fmt: str | None = None, encoding: str | None = None) -> FileSpec:
    lay = LAYOUT[source]
    src = load_contract()[source]
    fields = src.fields
    headers = [synonyms.get(c.header, c.header) for c in src.columns]
    data = data.reset_index(drop=True).copy()
    for c in fields + ["_grp"]:  # cells may hold text, dates and (planted) numbers; blanks are None
        arr = data[c].to_numpy(dtype=object).copy()
        arr[pd.isna(arr)] = None
        data[c] = pd.Series(arr, index=data.index, dtype=object)
    data["_key"] = np.arange(len(data), dtype=float)
    fmt = fmt or lay["fmt"]
    return FileSpec(source=source, stem=stem, fmt=fmt, sheet=lay.get("sheet") if fmt == "xlsx" else None,
                    title=title, fields=fields, headers=headers, types=[c.type for c in src.columns], data=data,
                    encoding=encoding or (lay.get("encoding") if fmt == "csv" else None) or "gbk",
                    synonyms={k: v for k, v in synonyms.items() if k in [c.header for c in src.columns]})


def chunk_bounds(df: pd.DataFrame, size: int) -> list[tuple[int, int]]:
    """Split points every ``size`` rows, moved forward so that rows of one person that sit together stay together."""
    n = len(df)
    if n <= size:
        return [(0, n)]
    pid = df["_pid"].to_numpy()
    out, start = [], 0
    while start < n:
        end = min(start + size, n)
        while 0 < end < n and pid[end] >= 0 and pid[end - 1] == pid[end]:
            end += 1
        out.append((start, end))
        start = end
    return out


def plan_files(source: str, df: pd.DataFrame, people: int, export_date: dt.date) -> list[FileSpec]:
    lay = LAYOUT[source]
    fmt = lay["fmt"]
    encoding = None
    if source == "hukou" and people > LARGE_HUKOU:
        fmt, encoding = "csv", "gbk"
    limit = ROW_LIMITS[fmt]
    title_t = lay.get("title")
    size = limit - (2 if title_t else 1) - INSERT_MARGIN
    if source == "ledger":  # one ledger file only (data contract): never split
        size = max(size, len(df))
        if len(df) + 2 + INSERT_MARGIN > EXCEL_MAX_ROWS:
            raise ValueError("台账行数超过 Excel 工作表上限")
    bounds = chunk_bounds(df, size)
    specs = []
    for k, (a, b) in enumerate(bounds, start=1):
        stem = lay["stem"].format(k=k, ym=f"{export_date.year}年{export_date.month}月", date=export_date.isoformat())
        if len(bounds) > 1 and "{k}" not in lay["stem"]:
            stem = f"{stem}_{k}"
        title = title_t.format(k=k, date=export_date.isoformat()) if title_t else None
        which = lay.get("synonym_files", "all")
        syn = lay.get("synonyms", {}) if which == "all" or (which == "last" and k == len(bounds)) else {}
        specs.append(new_spec(source, df.iloc[a:b], stem, title, syn, fmt=fmt, encoding=encoding))
    return specs


def plan_contribution_files(builders, people: int) -> list[FileSpec]:
    """社保缴费 by calendar year, each year cut at month boundaries so that no file passes the row limit."""
    months, counts = builders.contribution_months()
    limit = ROW_LIMITS["csv"] - 1 - INSERT_MARGIN
    groups: list[list[int]] = []
    total = 0
    for m, c in zip(months.tolist(), counts.tolist()):
        if groups and m // 12 == groups[-1][0] // 12 and total + c <= limit:
            groups[-1].append(m)
            total += c
        else:
            groups.append([m])
            total = c
    specs = []
    for g in groups:
        lo, hi = g[0], g[-1]
        df = builders.contributions(lo, hi)
        stem = LAYOUT["contributions"]["stem"].format(lo=ym_text(lo), hi=ym_text(hi))
        if lo == hi:
            stem = stem.rsplit("-", 1)[0]
        bounds = chunk_bounds(df, limit)  # a single month larger than the limit: split further
        for k, (a, b) in enumerate(bounds, start=1):
            specs.append(new_spec("contributions", df.iloc[a:b], stem if len(bounds) == 1 else f"{stem}_{k}", None,
                                  LAYOUT["contributions"].get("synonyms", {})))
    return specs


# -- writing -------------------------------------------------------------------------------------------------------
def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and not isinstance(v, NumberCell) and math.isnan(v))


def write_xlsx(spec: FileSpec, path: Path, created: dt.date) -> None:
    df = spec.finalise()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": spec.title or spec.title_cn, "subject": "合成数据（非真实个人信息）",
                       "author": "jykn synth", "company": "清远市清新区（合成数据）",
                       "created": dt.datetime(created.year, created.month, created.day)})
    ws = wb.add_worksheet(spec.sheet or "Sheet1")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    for j, (h, t) in enumerate(zip(spec.headers, spec.types)):
        ws.set_column(j, j, 20 if t in ("id", "phone") else 12 if t == "date" else max(10, 2 * len(h) + 2))
    r = 0
    if spec.title:
        ws.write_string(0, 0, spec.title, title_fmt)
        r = 1
    for j, h in enumerate(spec.headers):
        ws.write_string(r, j, h, bold)
    r += 1
    for row in df[spec.fields].itertuples(index=False, name=None):
        for j, v in enumerate(row):
            if _is_blank(v):
                continue
            if isinstance(v, NumberCell):
                ws.write_number(r, j, float(v))
            elif isinstance(v, ErrorCell):
                ws.write_formula(r, j, "=NA()", None, str(v))
            elif isinstance(v, str):
                ws.write_string(r, j, v)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (bool, np.bool_)):
                ws.write_string(r, j, "是" if v else "否")
            elif isinstance(v, (int, np.integer, float, np.floating)):
                ws.write_number(r, j, float(v))
            else:
                ws.write_string(r, j, str(v))
        r += 1
    wb.close()


def _csv_text(v) -> str:
    if _is_blank(v):
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else str(v)
    return str(v)


def write_csv(spec: FileSpec, path: Path) -> None:
    df = spec.finalise()
    cols = []
    for f, t in zip(spec.fields, spec.types):
        col = df[f].to_numpy(dtype=object)
        if t in ("date", "int_enum"):
            cols.append([_csv_text(v) for v in col])
        else:  # text already; blanks (None / NaN) as empty fields
            col = col.copy()
            col[pd.isna(col)] = ""
            cols.append(col)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if spec.title:
        w.writerow([spec.title] + [""] * (len(spec.headers) - 1))
    w.writerow(spec.headers)
    w.writerows(zip(*cols))
    path.write_bytes(buf.getvalue().encode(spec.encoding))


def write(spec: FileSpec, out_dir: Path, created: dt.date) -> Path:
    path = out_dir / spec.name
    if spec.fmt == "xlsx":
        write_xlsx(spec, path, created)
    else:
        write_csv(spec, path)
    spec.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return path


def rows_in_file(spec: FileSpec) -> int:
    """All rows of the sheet or CSV: title, header and data (blank rows included)."""
    if spec.n_rows is None:
        spec.finalise()
    return spec.header_row + spec.n_rows
