"""One reader for every source of the data contract (.xlsx, .xls, .csv), without loss.

    ds = read_folder("data/2026Q4", as_of=date(2026, 11, 26))   # only=["hukou", …] to read some sources
    ds.require(["unemployment", "hukou"])   # MissingSourceError (a ValueError, Chinese message) if absent or broken
    ds.tables["hukou"]       # rows used: contract fields with parsed dtypes + _file, _sheet, _row (Excel row number);
                             # one row per key for unique-key sources; identical rows collapsed
    ds.all_rows["hukou"]     # the same with every conflicting row of a key kept, and a boolean _chosen
    ds.problems              # 问题数据: 来源 文件 工作表 行号 列 原值 规则代码 问题说明 处理 (codes: problems.RULES)
    ds.files                 # one row per file: 来源 文件 工作表 表头行 编码 读入行数 使用行数 剔除行数 空行数
                             # 合并重复行数 冲突行数 未使用的列 状态
    ds.missing, ds.ignored, ds.errors, ds.notes, ds.broken, ds.summary(), ds.source_ok(name), ds.count_errors()

Canonical values: id_number str (18 characters); dates datetime64[ns]; 费款所属期 Int64 YYYYMM; enums the standard
Chinese value; bool columns pandas boolean; int_enum Int64; towns the town name; categories sorted codes "01,07";
exit reasons the code ("E5", "D1"); lists joined with 、; phones the digits (several joined with 、).

For every file: rows read = rows used + rows rejected; fully blank rows between the header and the last row are counted
apart (blank rows after the last row are not rows). Rows merged into an identical row and conflicting rows are among
the rows used. Cells are parsed on their own (jykn_lib.io.cells), then validated by a pandera schema generated from
the contract (jykn_lib.io.schema). A bad required cell rejects its row; a bad optional cell is blanked and its row
kept; both are reported. A file that cannot be used (no header, a required column missing, unreadable, a second
ledger) stops its source: the source is in ``errors``/``broken`` and not in ``tables``; its other files are still
checked so that one run lists every problem.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pandas._libs import lib

from ..contract import Contract, Source, load_contract, normalize_header
from . import problems as P
from .cells import DTYPES, Cells, Context, blank_mask, parse
from .schema import failures

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUFFIXES = EXCEL_SUFFIXES | {".csv"}
HEADER_SCAN_ROWS = 30  # the header must be within the first rows (title rows above it are allowed)

FILE_COLUMNS = ["来源", "文件", "工作表", "表头行", "编码", "读入行数", "使用行数", "剔除行数", "空行数", "合并重复行数",
                "冲突行数", "未使用的列", "状态"]
COUNT_COLUMNS = ["读入行数", "使用行数", "剔除行数", "空行数", "合并重复行数", "冲突行数"]
META = ["_file", "_sheet", "_row"]


class MissingSourceError(ValueError):
    """A required source is not provided or cannot be used. The message is Chinese and lists every such source."""

    def __init__(self, message: str, missing: list[str], broken: list[str]):
        super().__init__(message)
        self.missing = missing
        self.broken = broken


class FileError(Exception):
    """A file cannot be used at all: ``rule`` is one of problems.FILE_RULES, the message is Chinese."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


# ------------------------------------------------------------------------------------------------------- the result
@dataclass
class DataSet:
    tables: dict[str, pd.DataFrame]
    all_rows: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    files: pd.DataFrame
    missing: list[str]
    ignored: list[tuple[str, str]]
    errors: list[str]
    as_of: dt.date | None = None
    notes: list[str] = field(default_factory=list)
    broken: dict[str, list[str]] = field(default_factory=dict)  # source name → its Chinese errors
    requested: list[str] = field(default_factory=list)  # the sources this read was about

    def source_ok(self, name: str) -> bool:
        """The source was provided and every one of its files could be read."""
        return name in self.tables and name not in self.broken

    def require(self, names: Iterable[str]) -> None:
        contract = load_contract()
        missing, broken, lines = [], [], []
        for name in names:
            title = contract[name].title
            if name in self.broken:
                broken.append(name)
                lines.append(f"数据来源“{title}”无法使用：" + "；".join(self.broken[name]))
            elif name not in self.tables:
                missing.append(name)
                lines.append(f"缺少必需的数据来源“{title}”：请把文件名以“{title}”开头的 .xlsx、.xls 或 .csv 文件放入数据文件夹")
        if lines:
            raise MissingSourceError("\n".join(lines), missing, broken)

    def count_errors(self) -> list[str]:
        """Self-check of 'nothing is lost': per file, read = used + rejected; rejected rows are the rows listed as
        剔除该行 in 问题数据; used rows = rows kept in all_rows + rows merged into an identical one. [] when all hold."""
        out = []
        contract = load_contract()
        by_title = {contract[n].title: n for n in contract.sources}
        rejected = self.problems[self.problems["处理"] == P.REJECT]
        merged = self.problems[self.problems["处理"] == P.MERGED]
        for f in self.files.itertuples(index=False):
            read, used, rej = int(f.读入行数), int(f.使用行数), int(f.剔除行数)
            if read != used + rej:
                out.append(f"{f.文件}：读入 {read} ≠ 使用 {used} + 剔除 {rej}")
            listed = rejected[rejected["文件"] == f.文件]["行号"].nunique()
            if listed != rej:
                out.append(f"{f.文件}：剔除 {rej} 行，问题数据中列出 {listed} 行")
            name = by_title[f.来源]
            if name in self.all_rows:
                kept = int((self.all_rows[name]["_file"] == f.文件).sum())
                n_merged = int((merged["文件"] == f.文件).sum())
                if kept + n_merged != used or n_merged != int(f.合并重复行数):
                    out.append(f"{f.文件}：使用 {used} 行，保留 {kept} 行 + 合并 {n_merged} 行")
        return out

    def summary(self) -> pd.DataFrame:
        """One row per contract source: its state and the row counts of its files."""
        contract = load_contract()
        rows = []
        for name in self.requested:
            src = contract[name]
            f = self.files[self.files["来源"] == src.title] if len(self.files) else self.files
            counts = {c: int(f[c].sum()) if len(f) else 0 for c in COUNT_COLUMNS}
            if name in self.broken:
                state = "有错误，未使用"
            elif name in self.tables:
                state = "已读取"
            else:
                state = "未提供"
            note = ""
            if counts["冲突行数"] and src.resolve_text:
                note = src.resolve_text
            rows.append({"来源": src.title, "状态": state, "文件数": len(f), **counts, "说明": note})
        return pd.DataFrame(rows, columns=["来源", "状态", "文件数", *COUNT_COLUMNS, "说明"])


# ------------------------------------------------------------------------------------------------------ entry points
def read_folder(data_dir, as_of=None, only: Iterable[str] | None = None) -> DataSet:
    """Read every source found in ``data_dir`` (files named after their source; subfolders are not read)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"数据文件夹不存在：{root}")
    return _read(sorted(root.iterdir(), key=lambda p: p.name), root, as_of, only, None)


def read_files(paths: Iterable, as_of=None, only: Iterable[str] | None = None, source: str | None = None) -> DataSet:
    """Read the given files; each is matched to a source by its name, or all are read as ``source`` if given."""
    return _read([Path(p) for p in paths], None, as_of, only, source)


def _read(paths: list[Path], root: Path | None, as_of, only, forced: str | None) -> DataSet:
    contract = load_contract()
    as_of = _as_date(as_of)
    requested = list(contract.sources) if only is None else list(only)
    unknown = [n for n in requested if n not in contract.sources]
    if unknown or (forced and forced not in contract.sources):
        raise ValueError(f"未知的数据来源：{'、'.join(unknown or [forced])}（可用：{'、'.join(contract.sources)}）")
    ctx = Context.load(as_of)
    log = P.ProblemLog()
    ignored: list[tuple[str, str]] = []
    groups: dict[str, list[Path]] = {}
    for path in paths:
        rel = str(path.relative_to(root)) if root else path.name
        reason = _ignore_reason(path, contract, forced)
        if reason is None:
            src = contract[forced] if forced else contract.match_file(path.name)
            if src.name not in requested:
                reason = "本次未要求读取该来源"
            else:
                groups.setdefault(src.name, []).append(path)
        if reason:
            ignored.append((rel + ("/" if path.is_dir() else ""), reason))

    ds = DataSet({}, {}, P.empty_frame(), pd.DataFrame(columns=FILE_COLUMNS), [], ignored, [], as_of,
                 requested=requested)
    if as_of is None:
        ds.notes.append("未指定基准日：未检查公民身份号码中的出生日期是否晚于基准日")
    file_rows: list[dict] = []
    for name in requested:
        src = contract[name]
        files = groups.get(name, [])
        if not files:
            ds.missing.append(name)
            continue
        rels = [str(p.relative_to(root)) if root else p.name for p in files]
        if src.single_file and len(files) > 1:
            msg = (f"文件夹中有{len(files)}个“{src.title}”文件（{'、'.join(rels)}），只能有一个。"
                   f"请确认使用哪一个，把其他文件移出数据文件夹后重新运行")
            ds.errors.append(msg)
            ds.broken[name] = [msg]
            for rel in rels:
                log.add(source=src.title, file=rel, rule="LEDGER_MULTIPLE", message=msg, action=P.FILE_SKIPPED)
                file_rows.append(_file_row(src, rel, status="未读取：台账文件不止一个"))
            continue
        if len(files) > 1:
            ds.notes.append(f"{src.title}：{len(files)}个文件合并读取（{'、'.join(rels)}）")
        results = []
        for path, rel in zip(files, rels):
            try:
                res = _read_file(src, path, rel, ctx, log, ignored)
            except FileError as exc:
                ds.errors.append(exc.message)
                ds.broken.setdefault(name, []).append(exc.message)
                log.add(source=src.title, file=rel, rule=exc.rule, message=exc.message, action=P.FILE_SKIPPED)
                file_rows.append(_file_row(src, rel, status=f"未读取：{P.RULES[exc.rule]}"))
                continue
            results.append(res)
            file_rows.append(res.row)
        chosen, all_rows = _resolve_keys(src, results, log)
        if name not in ds.broken:
            ds.tables[name], ds.all_rows[name] = chosen, all_rows
        else:  # checked and reported, but the source is not used
            for res in results:
                res.row["状态"] = "已检查，但该来源有文件无法使用，整个来源未使用"
    files = pd.DataFrame(file_rows, columns=FILE_COLUMNS)
    for c in ["表头行", *COUNT_COLUMNS]:
        files[c] = pd.to_numeric(files[c]).astype("Int64" if c == "表头行" else "int64")
    ds.files = files
    ds.problems = log.frame([contract[n].title for n in contract.sources])
    for name in requested:
        src = contract[name]
        if name in ds.tables and src.resolve_text and (~ds.all_rows[name]["_chosen"]).any():
            ds.notes.append(f"{src.title}：{src.resolve_text}")
    return ds


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _ignore_reason(path: Path, contract: Contract, forced: str | None) -> str | None:
    name = path.name
    if name.startswith("~$"):
        return "Excel 临时锁定文件（文件正在被打开时产生），不读取"
    if name.startswith(".") or _hidden_on_windows(path):
        return "隐藏文件，不读取"
    if path.is_dir():
        return "子文件夹，不读取（数据文件请直接放在数据文件夹中）"
    if not path.exists():
        raise FileNotFoundError(f"文件不存在：{path}")
    if forced is None and contract.match_file(name) is None:
        return "文件名不以任何数据来源名称开头，不读取"
    if path.suffix.lower() not in SUFFIXES:
        return f"文件类型“{path.suffix or '无扩展名'}”不能读取（只读取 .xlsx、.xls、.csv）"
    return None


def _hidden_on_windows(path: Path) -> bool:
    attrs = getattr(os.stat(path), "st_file_attributes", 0) if path.exists() else 0
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _file_row(src: Source, rel: str, sheet: str = "", header_row=None, encoding: str = "", status: str = "",
              extras: str = "", counts: dict | None = None) -> dict:
    counts = counts or {}
    row = {"来源": src.title, "文件": rel, "工作表": sheet, "表头行": header_row, "编码": encoding,
           "未使用的列": extras, "状态": status}
    row.update({c: counts.get(c, 0) for c in COUNT_COLUMNS})
    return row


# ---------------------------------------------------------------------------------------------------- opening files
@dataclass
class Sheet:
    name: str
    visible: bool
    head: list[list]  # the first rows from A1 (for finding the header)
    merged: list  # ((r0, c0), (r1, c1)) zero-based, inclusive
    rows: Callable[[], list[list]]  # every row from A1
    columns: Callable[[int, int], list | None] | None = None  # (first data row, width) → column arrays, or None


def _open(path: Path) -> tuple[list[Sheet], str, bool]:
    """The sheets of a file, the encoding used (CSV) and whether cells are text only (CSV)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheet, encoding = _csv_sheet(path)
        return [sheet], encoding, True
    head = path.read_bytes()[:512]
    if head.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")):
        raise FileError("FILE_UNREADABLE", f"文件“{path.name}”其实是网页（HTML）格式，只是扩展名为{suffix}。"
                                           "请用 Excel 或 WPS 打开后另存为 .xlsx 再放入数据文件夹")
    if suffix != ".xls" and head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: encrypted, or an .xls renamed
        if _encrypted(path):
            raise FileError("FILE_UNREADABLE", f"文件“{path.name}”已加密（设置了打开密码）。"
                                               "请取消密码后另存为 .xlsx 再放入数据文件夹")
        suffix = ".xls"
    try:
        if suffix == ".xls" and path.suffix.lower() != ".xls":
            raise ValueError("扩展名与内容不符")
        return _calamine_sheets(path), "", False
    except Exception as exc:  # noqa: BLE001 — any engine failure is reported per file, the others go on
        if suffix == ".xls":
            try:
                return _xlrd_sheets(path), "", False
            except Exception:  # noqa: BLE001
                pass
        raise FileError("FILE_UNREADABLE", f"文件“{path.name}”无法读取（{type(exc).__name__}：{exc}）。"
                                           "请用 Excel 或 WPS 打开确认文件未损坏，另存为 .xlsx 后再试") from exc


def _encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with open(path, "rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:  # noqa: BLE001 — not an Office file msoffcrypto knows: let the readers try
        return False


def _calamine_sheets(path: Path) -> list[Sheet]:
    from python_calamine import load_workbook

    wb = load_workbook(str(path))
    visible = {m.name: str(m.visible).endswith("Visible") for m in wb.sheets_metadata}
    out = []
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        try:
            merged = list(sheet.merged_cell_ranges or [])
        except Exception:  # noqa: BLE001 — some formats carry no merge information
            merged = []
        out.append(Sheet(name, visible.get(name, True), sheet.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS),
                         merged, lambda s=sheet: s.to_python(skip_empty_area=False)))
    return out


def _xlrd_sheets(path: Path) -> list[Sheet]:
    """Fallback for .xls files calamine cannot open (slow, per cell: only for old files)."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    out = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            row = []
            for cell in sh.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(cell.value, "#错误"))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append("")
                else:
                    row.append(cell.value)
            rows.append(row)
        merged = [((r0, c0), (r1 - 1, c1 - 1)) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
        out.append(Sheet(sh.name, sh.visibility == 0, rows[:HEADER_SCAN_ROWS], merged, lambda rows=rows: rows))
    return out


ENCODINGS = (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030"))


def decode_text(data: bytes) -> tuple[str, str]:
    """Detect the encoding of a text file: a BOM, else strict UTF-8, then GBK, then GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8（带BOM）"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    for codec, label in ENCODINGS:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise FileError("FILE_UNREADABLE", "无法识别文件编码（应为 UTF-8、GBK 或 GB18030）")
    return str(best), best.encoding.upper()


def _csv_sheet(path: Path) -> tuple[Sheet, str]:
    try:
        text, encoding = decode_text(path.read_bytes())
    except FileError as exc:
        raise FileError(exc.rule, f"文件“{path.name}”{exc.message}") from None
    sample = text[:20000].splitlines()[:40]
    delimiter = max([",", "\t", ";", "|"], key=lambda d: sum(line.count(d) for line in sample))
    if not any(delimiter in line for line in sample):
        delimiter = ","
    head = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), HEADER_SCAN_ROWS))
    every = functools.lru_cache(maxsize=1)(
        lambda: list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))

    def columns(start: int, width: int) -> list | None:
        """The data part through pyarrow's CSV parser, every cell as text; None (→ csv module) when a row has another
        number of fields than the header or the rows above the data hold line breaks."""
        if any("\n" in c or "\r" in c for row in head[:start] for c in row):
            return None
        width = max(width, len(head[start - 1]) if 0 < start <= len(head) else 0)
        names = [f"c{i}" for i in range(width)]
        try:
            table = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                read_options=pacsv.ReadOptions(skip_rows=start, column_names=names, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, pa.ArrowException):
            return None
        return [table.column(i).combine_chunks() for i in range(width)]

    return Sheet("", True, head, [], every, columns), encoding


# ------------------------------------------------------------------------------------------------- finding a header
def _header_map(src: Source) -> dict[str, tuple[str, bool]]:
    """normalised header text → (field, is the standard header). The standard header wins over synonyms."""
    out: dict[str, tuple[str, bool]] = {}
    for col in src.columns:
        for syn in col.synonyms:
            out.setdefault(normalize_header(syn), (col.field, False))
    for col in src.columns:
        out[normalize_header(col.header)] = (col.field, True)
    return out


@dataclass
class Layout:
    sheet: Sheet
    header_row: int  # zero-based
    data_start: int  # zero-based
    columns: dict[str, int]  # field → column index
    found: dict[str, str]  # field → header as written
    headers: list[str]  # every non-empty header cell of the header row, as written
    extras: list[str]  # header cells not used


def _fill_merged(head: list[list], merged: list) -> list[list]:
    """Copy of the header area where a vertically merged cell's text fills every row of the merge."""
    rows = [list(r) for r in head]
    for (r0, c0), (r1, _c1) in merged:
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            if c0 < len(rows[r]) and c0 < len(rows[r0]) and _is_blank(rows[r][c0]):
                rows[r][c0] = rows[r0][c0]
    return rows


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _match_row(row: list, hmap: dict) -> tuple[dict, dict, list, list]:
    columns, found, exact, headers, extras = {}, {}, {}, [], []
    for j, v in enumerate(row):
        if not isinstance(v, str) or not v.strip():
            continue
        headers.append(v.strip())
        hit = hmap.get(normalize_header(v))
        if hit is None:
            extras.append(v.strip())
            continue
        f, is_std = hit
        if f in columns and (exact[f] or not is_std):
            extras.append(f"{v.strip()}（与第{columns[f] + 1}列重复）")
            continue
        if f in columns:
            extras.append(f"{found[f]}（与第{j + 1}列重复）")
        columns[f], found[f], exact[f] = j, v.strip(), is_std
    return columns, found, headers, extras


def _locate(src: Source, sheets: list[Sheet], rel: str, ignored: list) -> Layout:
    hmap = _header_map(src)
    required = {c.field for c in src.required}
    candidates = []
    for order, sheet in enumerate(sheets):
        head = _fill_merged(sheet.head, sheet.merged)
        best = None
        for r, row in enumerate(head):
            columns, found, headers, extras = _match_row(row, hmap)
            score = (len(required & set(columns)), len(columns))
            if columns and (best is None or score > best[0]):
                best = (score, r, columns, found, headers, extras)
        if best is not None:
            candidates.append((best[0], sheet.visible, -order, sheet, best))
    sheet_text = "" if sheets and sheets[0].name == "" else "任何工作表的"
    expected = "、".join(c.header for c in src.required)
    if not candidates:
        raise FileError("HEADER_NOT_FOUND", f"文件“{rel}”{sheet_text}前{HEADER_SCAN_ROWS}行中找不到“{src.title}”的表头"
                                            f"（应包含：{expected}）")
    candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
    score, _vis, _o, sheet, (_, r, columns, found, headers, extras) = candidates[0]
    for other in candidates[1:]:
        if other[0][0] == len(required):
            ignored.append((f"{rel}（工作表“{other[3].name}”）",
                            f"该工作表也有“{src.title}”的表头，但只读取表头最完整的工作表“{sheet.name}”"))
    missing = [c for c in src.required if c.field not in columns]
    if missing:
        where = f"（工作表“{sheet.name}”第{r + 1}行）" if sheet.name else f"（第{r + 1}行）"
        parts = []
        for c in missing:
            alt = f"（也可写作：{'、'.join(c.synonyms)}）" if c.synonyms else ""
            parts.append(f"“{c.header}”{alt}")
        raise FileError("COLUMN_MISSING", f"文件“{rel}”缺少必填列{'、'.join(parts)}。找到的表头{where}："
                                          f"{'、'.join(headers)}")
    data_start = r + 1
    for (r0, _c0), (r1, _c1) in sheet.merged:  # a header cell merged downwards: data begins below the merge
        if r0 <= r <= r1:
            data_start = max(data_start, r1 + 1)
    return Layout(sheet, r, data_start, columns, found, headers, extras)


# --------------------------------------------------------------------------------------------------- reading a file
@dataclass
class FileResult:
    used: pd.DataFrame  # parsed fields of the used rows + _file, _sheet, _row
    found: dict[str, str]  # field → header as written
    row: dict  # the files-table row (counts completed after duplicates)


def _read_file(src: Source, path: Path, rel: str, ctx: Context, log: P.ProblemLog, ignored: list) -> FileResult:
    sheets, encoding, from_csv = _open(path)
    layout = _locate(src, sheets, rel, ignored)
    width = max(layout.columns.values()) + 1
    arrays = layout.sheet.columns(layout.data_start, width) if layout.sheet.columns else None
    if arrays is None:
        data = layout.sheet.rows()[layout.data_start:]
        grid = lib.to_object_array(data, min_width=width) if data else np.empty((0, width), dtype=object)
        arrays = [np.ascontiguousarray(grid[:, j]) for j in range(grid.shape[1])]
    n_grid = len(arrays[0]) if arrays else 0
    mapped = set(layout.columns.values())
    cells = {j: Cells(arrays[j], from_csv) for j in mapped}
    nonblank = np.zeros(n_grid, dtype=bool)
    for j, arr in enumerate(arrays):  # a row is blank only if every cell is, in used and unused columns alike
        nonblank |= ~(cells[j].blank if j in mapped else blank_mask(arr))
    del arrays
    last = int(np.flatnonzero(nonblank)[-1]) + 1 if nonblank.any() else 0
    keep = np.flatnonzero(nonblank[:last])
    blank_rows = last - len(keep)
    excel_row = layout.data_start + keep + 1
    n = len(keep)
    partial = n != n_grid

    values: dict[str, pd.Series] = {}
    issues: list[tuple] = []  # (positions, field, rules, messages, kind) kind: error / warning
    reject = np.zeros(n, dtype=bool)
    for col in src.columns:
        j = layout.columns.get(col.field)
        if j is None:  # an optional column the file does not have: blank, or its default
            parsed = parse(col, Cells(np.full(n, None, dtype=object)), ctx)
            values[col.field] = parsed.values
            continue
        parsed = parse(col, cells[j], ctx)
        v = parsed.values.iloc[keep].reset_index(drop=True) if partial else parsed.values
        error, message, blank = parsed.error[keep], parsed.message[keep], parsed.blank[keep]
        warning = parsed.warning[keep]
        bad = np.flatnonzero(error != None)  # noqa: E711 — elementwise on an object array
        if len(bad):
            issues.append((bad, col.field, error[bad], message[bad], "error"))
            if col.required:
                reject[bad] = True
        if col.required:
            empty = np.flatnonzero(blank)
            if len(empty):
                rule = "ID_EMPTY" if col.type == "id" else "REQUIRED_MISSING"
                msg = "公民身份号码为空" if col.type == "id" else f"必填项“{col.header}”为空"
                issues.append((empty, col.field, np.full(len(empty), rule, dtype=object),
                               np.full(len(empty), msg, dtype=object), "error"))
                reject[empty] = True
        warn = np.flatnonzero(warning != None)  # noqa: E711
        if len(warn):
            issues.append((warn, col.field, warning[warn], message[warn], "warning"))
        values[col.field] = v

    frame = pd.DataFrame(values)
    reported = {(int(p), f) for pos, f, *_ in issues for p in pos}
    fails = failures(src.name, frame)
    if len(fails):
        fresh = fails[[(int(p), f) not in reported for p, f in zip(fails["pos"], fails["field"])]]
        for fld, grp in fresh.groupby("field", sort=False):
            col = src.column(fld)
            pos = grp["pos"].to_numpy(dtype=np.int64)
            shown = cells[layout.columns[fld]].display_at(keep[pos])
            msgs = [_schema_message(col, r, x) for r, x in zip(grp["rule"], shown)]
            issues.append((pos, fld, grp["rule"].to_numpy(dtype=object), np.array(msgs, dtype=object), "error"))
            if col.required:
                reject[pos] = True
            else:
                frame.loc[pos, fld] = pd.NA
    sheet_name = layout.sheet.name
    for pos, fld, rules, msgs, kind in issues:
        j = layout.columns[fld]
        action = np.where(reject[pos], P.REJECT, P.BLANK if kind == "error" else P.WARN)
        log.add_frame(pd.DataFrame({
            "来源": src.title, "文件": rel, "工作表": sheet_name, "行号": excel_row[pos], "列": layout.found[fld],
            "原值": cells[j].display_at(keep[pos]), "规则代码": rules, "问题说明": msgs, "处理": action}))

    used = frame[~reject].copy()
    used["_file"] = rel
    used["_sheet"] = sheet_name
    used["_row"] = pd.array(excel_row[~reject], dtype="Int64")
    extras = "、".join(layout.extras)
    row = _file_row(src, rel, sheet_name, layout.header_row + 1, encoding, "已读取", extras,
                    counts={"读入行数": n, "使用行数": int((~reject).sum()), "剔除行数": int(reject.sum()),
                            "空行数": blank_rows})
    return FileResult(used.reset_index(drop=True), layout.found, row)


def _blank_series(type_: str, n: int) -> pd.Series:
    dtype = DTYPES[type_]
    if dtype == "datetime64[ns]":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    return pd.Series([pd.NA] * n if dtype in ("Int64", "boolean") else [None] * n, dtype=dtype)


def _schema_message(col, rule: str, value: str) -> str:
    if rule == "DATE_INVALID":
        return f"{col.header}“{value}”不在1900年至2100年之间"
    if rule == "PERIOD_INVALID":
        return f"{col.header}“{value}”不在190001至210012之间"
    if rule == "REQUIRED_MISSING":
        return f"必填项“{col.header}”为空"
    if rule == "ID_EMPTY":
        return "公民身份号码为空"
    return f"{col.header}“{value}”：{P.RULES[rule]}"


# -------------------------------------------------------------------------------------------------------- duplicates
def _resolve_keys(src: Source, results: list[FileResult], log: P.ProblemLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collapse identical rows; keep every conflicting row of a unique key and choose one by ``src.resolve``."""
    fields = src.fields
    if results:
        frame = pd.concat([r.used for r in results], ignore_index=True)
    else:
        frame = pd.DataFrame({c.field: _blank_series(c.type, 0) for c in src.columns})
        for m in META:
            frame[m] = pd.Series(dtype="Int64" if m == "_row" else "str")
    found = {r.row["文件"]: r.found for r in results}
    key = src.key_field
    shown = key or ("id_number" if "id_number" in fields else None)  # 原值 of a merged row

    # identical rows; for a unique-key source only rows whose key repeats can be identical (cheaper than whole rows)
    candidates = frame[key].duplicated(keep=False) if key else pd.Series(True, index=frame.index)
    dup = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        sub = frame.loc[candidates, fields]
        both = sub[sub.duplicated(keep=False)]
        if len(both):
            gid = both.groupby(fields, dropna=False, sort=False).ngroup()
            first = gid.index.to_series().groupby(gid.to_numpy()).transform("first")  # first row of each group
            later = first.index != first.to_numpy()
            rows, firsts = frame.loc[first.index[later]], frame.loc[first.to_numpy()[later]]
            dup[first.index[later]] = True
            same = rows["_file"].to_numpy() == firsts["_file"].to_numpy()
            where = np.where(same, "本文件", "文件“" + firsts["_file"].astype(str).to_numpy() + "”")
            first_row = firsts["_row"].astype(str).to_numpy()
            log.add_frame(pd.DataFrame({
                "来源": src.title, "文件": rows["_file"].to_numpy(), "工作表": rows["_sheet"].to_numpy(),
                "行号": rows["_row"].to_numpy(), "列": "（整行）",
                "原值": rows[shown].astype(str).to_numpy() if shown else "", "规则代码": "DUPLICATE_IDENTICAL",
                "问题说明": "与" + pd.Series(where, dtype=object) + "第" + first_row + "行完全相同，已合并为一行（使用第"
                         + first_row + "行）",
                "处理": P.MERGED}))
    merged_count = frame.loc[dup, "_file"].value_counts()
    all_rows = frame[~dup].reset_index(drop=True)
    chosen = np.ones(len(all_rows), dtype=bool)
    conflict_count = pd.Series(dtype="int64")

    if key and len(all_rows):
        conflict = all_rows[key].duplicated(keep=False).to_numpy()
        if src.active_only:  # the ledger: earlier recognitions (已退出) are history, only two 有效 rows conflict
            ids = all_rows[key].where((all_rows["status"] == "有效").fillna(False))
            conflict = (ids.notna() & ids.duplicated(keep=False)).to_numpy()
        if conflict.any():
            sub = all_rows[conflict].copy()
            sub["_seq"] = np.arange(len(sub))
            by, asc = [], []
            for i, entry in enumerate(src.resolve):
                if "=" in entry:  # rows holding that value sort last: they win
                    f, v = (x.strip() for x in entry.split("=", 1))
                    sub[f"_k{i}"] = (sub[f].astype(object) == v).fillna(False).astype(int)
                    by.append(f"_k{i}"), asc.append(True)
                else:
                    by.append(entry.lstrip("-")), asc.append(not entry.startswith("-"))
            order = sub.sort_values(by + ["_seq"], ascending=asc + [True], na_position="first", kind="stable")
            winners = order.drop_duplicates(key, keep="last").set_index(key)  # the last row of each key wins
            chosen[conflict] = sub["_seq"].isin(winners["_seq"]).to_numpy()
            _report_conflicts(src, sub, winners, found, log)
            conflict_count = sub["_file"].value_counts()

    for r in results:
        r.row["合并重复行数"] = int(merged_count.get(r.row["文件"], 0))
        r.row["冲突行数"] = int(conflict_count.get(r.row["文件"], 0))
    all_rows = all_rows[fields + META].copy()
    all_rows["_chosen"] = chosen
    table = all_rows[chosen].drop(columns="_chosen").reset_index(drop=True)
    return table, all_rows


def _report_conflicts(src: Source, sub: pd.DataFrame, winners: pd.DataFrame, found: dict, log: P.ProblemLog) -> None:
    """One 问题数据 row per conflicting row: the group's rows, the columns that differ, which row was chosen."""
    key = src.key_field
    header = src.column(key).header
    gid, keys = pd.factorize(sub[key])
    group_many = (sub.groupby(gid)["_file"].nunique() > 1).to_numpy()

    def place(files: pd.Series, rows: pd.Series, many: np.ndarray) -> pd.Series:
        prefix = pd.Series(np.where(many, files.astype(str).to_numpy() + "的", ""), dtype=object)
        return prefix + "第" + rows.astype(str).reset_index(drop=True).astype(object) + "行"

    places = place(sub["_file"].reset_index(drop=True), sub["_row"], group_many[gid])
    where = places.groupby(gid).agg("、".join)
    differs = []
    for f in src.fields:
        n = sub[f].reset_index(drop=True).groupby(gid, dropna=False).nunique(dropna=False).to_numpy()
        differs.append(np.where(n > 1, src.column(f).header, ""))
    diff_text = pd.Series(["、".join(x for x in col if x) for col in zip(*differs)], dtype=object)
    win = winners.loc[keys]
    win_place = place(win["_file"].reset_index(drop=True), win["_row"], group_many)
    is_winner = sub["_seq"].to_numpy() == win["_seq"].to_numpy()[gid]
    verdict = pd.Series(np.where(is_winner, "按规则选用此条", "未选用（选用" + win_place.to_numpy()[gid] + "）"),
                        dtype=object)
    size = pd.Series(np.bincount(gid)[gid].astype(str), dtype=object)
    message = (f"同一{header}有" + size + "条不一致的记录（" + where.to_numpy()[gid] + "），不一致的列："
               + diff_text.to_numpy()[gid] + "；" + verdict + f"。规则：{src.resolve_text or ''}")
    columns = [found.get(f, {}).get(key, header) for f in sub["_file"]]
    log.add_frame(pd.DataFrame({
        "来源": src.title, "文件": sub["_file"].to_numpy(), "工作表": sub["_sheet"].to_numpy(),
        "行号": sub["_row"].to_numpy(), "列": columns, "原值": sub[key].astype(str).to_numpy(),
        "规则代码": "DUPLICATE_CONFLICT", "问题说明": message.to_numpy(), "处理": P.CONFLICT}))
