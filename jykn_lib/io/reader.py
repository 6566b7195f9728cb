"""One reader for every source of the data contract (.xlsx, .xls, .csv), without loss.

    ds = read_folder("data/2026Q4", as_of=date(2026, 11, 26))   # only=["hukou", …] to read some sources
    ds.require(["unemployment", "hukou"])   # MissingSourceError (a ValueError, Chinese message) if absent or broken
    ds.tables["hukou"]       # rows used: contract fields with parsed dtypes + _file, _sheet, _row (Excel row number)
                             # + _pid (int64 person code of 公民身份号码, for the rule engine's joins; never shown);
                             # one row per key for unique-key sources; identical rows collapsed
    ds.all_rows["hukou"]     # the same with every conflicting row of a key kept, and a boolean _chosen
    ds.rejected["hukou"]     # the rows rejected: id_number (when it could be read) + _file, _sheet, _row
    ds.problems              # 问题数据: 来源 文件 工作表 行号 列 原值 规则代码 问题说明 处理 (codes: problems.RULES;
                             # problems.for_people(ds.problems) is the sheet a person reads)
    ds.files                 # one row per sheet read: 来源 文件 工作表 表头行 编码 读入行数 使用行数 剔除行数 空行数
                             # 合并重复行数 冲突行数 未使用的列 状态
    ds.missing, ds.ignored, ds.errors, ds.notes, ds.broken, ds.refused_sources(), ds.summary(), ds.source_ok(name),
    ds.count_errors()

Canonical values: id_number str (18 characters); dates datetime64[ns]; 费款所属期 Int64 YYYYMM; enums the standard
Chinese value; bool columns pandas boolean; int_enum Int64; towns the town name; categories sorted codes "01,07";
exit reasons the code ("E5", "D1"); lists joined with 、; phones the digits (several joined with 、).

For every sheet read: rows read = rows used + rows rejected; fully blank rows between the header and the last row
are counted apart (blank rows after the last row are not rows). Rows merged into an identical row and conflicting
rows are among the rows used. Cells are parsed on their own (jykn_lib.io.cells), then validated by a pandera schema
generated from the contract (jykn_lib.io.schema). A bad cell rejects its row when its column is strict (required, a
vocabulary, or a column whose blank means something: ``Column.strict``); otherwise it is blanked and its row kept;
both are reported. Excel error values and formulas saved without a result (jykn_lib.io.engines) are bad cells; a row
holding nothing else is a row, not a blank. A CSV row whose number of fields differs from the header is rejected
whole (its values may be shifted). The templates' example row (contract.EXAMPLE_ID) is rejected.

Every sheet of a workbook that holds the source's complete header is read (a source may continue on a second sheet);
a sheet that looks like the source (its identity column and another) but lacks a required column is not read, and
its rows are reported (SHEET_NOT_READ). A file that cannot be used (no header, a required column missing, unreadable,
empty, a second ledger, a sheet not read) stops its source: the source is in ``errors``/``broken`` and not in
``tables``; its other files are still checked so that one run lists every problem.
"""
from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from pandas._libs import lib

from .. import idcard
from ..contract import EXAMPLE_ID, TEMPLATE_PREFIX, Contract, Source, load_contract, normalize_header
from . import problems as P
from .cache import Entry, Merged, ReadCache, params_fingerprint
from .cells import DTYPES, Cells, Context, blank_mask, parse
from .engines import CELL_ERROR, FORMULA_NO_VALUE, HEADER_SCAN_ROWS, FileError, Sheet, decode_text, guarded, open_sheets

__all__ = ["DataSet", "FileError", "MissingSourceError", "decode_text", "read_files", "read_folder"]

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUFFIXES = EXCEL_SUFFIXES | {".csv"}

FILE_COLUMNS = ["来源", "文件", "工作表", "表头行", "编码", "读入行数", "使用行数", "剔除行数", "空行数", "合并重复行数",
                "冲突行数", "未使用的列", "状态"]
COUNT_COLUMNS = ["读入行数", "使用行数", "剔除行数", "空行数", "合并重复行数", "冲突行数"]
META = ["_file", "_sheet", "_row"]
WHOLE_ROW = "（整行）"


class MissingSourceError(ValueError):
    """A required source is not provided or cannot be used. The message is Chinese and lists every such source."""

    def __init__(self, message: str, missing: list[str], broken: list[str]):
        super().__init__(message)
        self.missing = missing
        self.broken = broken


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
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)  # source name → its rejected rows

    def source_ok(self, name: str) -> bool:
        """The source was provided and every one of its files could be read."""
        return name in self.tables and name not in self.broken

    def refused_sources(self) -> dict[str, list[str]]:
        """The requested sources that were provided but cannot be used (a file unreadable, empty, a sheet not read,
        two ledgers …), each with its Chinese messages. A source that is not provided at all is in ``missing``."""
        return {name: list(self.broken[name]) for name in self.requested if name in self.broken}

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
        """Self-check of 'nothing is lost': per sheet, read = used + rejected; rejected rows are the rows listed as
        剔除该行 in 问题数据; used rows = rows kept in all_rows + rows merged into an identical one. [] when all hold."""
        out = []
        contract = load_contract()
        by_title = {contract[n].title: n for n in contract.sources}
        rejected = self.problems[self.problems["处理"] == P.REJECT]
        merged = self.problems[self.problems["处理"] == P.MERGED]
        for f in self.files.itertuples(index=False):
            where = f"{f.文件}" + (f"（工作表“{f.工作表}”）" if f.工作表 else "")
            read, used, rej = int(f.读入行数), int(f.使用行数), int(f.剔除行数)
            if read != used + rej:
                out.append(f"{where}：读入 {read} ≠ 使用 {used} + 剔除 {rej}")
            here = (rejected["文件"] == f.文件) & (rejected["工作表"] == f.工作表)
            listed = rejected[here]["行号"].nunique()
            if listed != rej:
                out.append(f"{where}：剔除 {rej} 行，问题数据中列出 {listed} 行")
            name = by_title[f.来源]
            if name in self.all_rows:
                rows = self.all_rows[name]
                kept = int(((rows["_file"] == f.文件) & (rows["_sheet"] == f.工作表)).sum())
                n_merged = int(((merged["文件"] == f.文件) & (merged["工作表"] == f.工作表)).sum())
                if kept + n_merged != used or n_merged != int(f.合并重复行数):
                    out.append(f"{where}：使用 {used} 行，保留 {kept} 行 + 合并 {n_merged} 行")
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
            n_files = f["文件"].nunique() if len(f) else 0
            rows.append({"来源": src.title, "状态": state, "文件数": n_files, **counts, "说明": note})
        return pd.DataFrame(rows, columns=["来源", "状态", "文件数", *COUNT_COLUMNS, "说明"])


# ------------------------------------------------------------------------------------------------------ entry points
def read_folder(data_dir, as_of=None, only: Iterable[str] | None = None, cache: ReadCache | None = None) -> DataSet:
    """Read every source found in ``data_dir`` (files named after their source; subfolders are not read).
    With ``cache`` (jykn_lib.io.cache) a file parsed before, under the same contract and reader, is loaded instead."""
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"数据文件夹不存在：{root}")
    return _read(sorted(root.iterdir(), key=lambda p: p.name), root, as_of, only, None, cache)


def read_files(paths: Iterable, as_of=None, only: Iterable[str] | None = None, source: str | None = None) -> DataSet:
    """Read the given files; each is matched to a source by its name, or all are read as ``source`` if given."""
    return _read([Path(p) for p in paths], None, as_of, only, source)


def _read(paths: list[Path], root: Path | None, as_of, only, forced: str | None,
          cache: ReadCache | None = None) -> DataSet:
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
    file_keys = _file_keys(contract, requested, groups, root, ctx, cache) if cache else {}
    prepared = _prepare_entries(file_keys, ctx, cache) if cache else {}
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
            _refuse(ds, name, msg)
            for rel in rels:
                log.add(source=src.title, file=rel, rule="LEDGER_MULTIPLE", message=msg, action=P.FILE_SKIPPED)
                file_rows.append(_file_row(src, rel, status="未读取：台账文件不止一个"))
            continue
        if len(files) > 1:
            ds.notes.append(f"{src.title}：{len(files)}个文件合并读取（{'、'.join(rels)}）")
        results: list[FileResult] = []
        keys = [file_keys[path][2] for path in files] if cache else []
        # the source's files merged before (same files, contract and reader): their own rows need not be loaded
        merged_key = cache.merged_key(src.name, keys) if cache else None
        has_merged = bool(cache and cache.has_merged(merged_key))
        if has_merged and _from_whole(ds, src, rels, keys, merged_key, cache, log, ignored, file_rows):
            continue  # warm: the source's whole merge entry and its files' entry.json, none of their Parquet
        need_rows = not has_merged
        read_keys: list[str] = []
        plain, file_problems = True, []  # plain: no file or sheet refused (then the merge entry can be whole)
        for i, (path, rel) in enumerate(zip(files, rels)):
            try:
                sheets, refusals = _read_file_once(src, path, rel, ctx, log, ignored, cache,
                                                   keys[i] if cache else None, need_rows, prepared, file_problems)
                if cache:
                    read_keys.append(keys[i])
            except FileError as exc:
                plain = False
                _refuse(ds, name, exc.message)
                log.add(source=src.title, file=rel, rule=exc.rule, message=exc.message, action=P.FILE_SKIPPED)
                file_rows.append(_file_row(src, rel, status=f"未读取：{P.RULES[exc.rule]}"))
                continue
            _add_sheets(ds, src, rel, sheets, results, file_rows)
            for sheet_name, msg in refusals:
                plain = False
                _refuse(ds, name, msg)
                log.add(source=src.title, file=rel, sheet=sheet_name, rule="SHEET_NOT_READ", message=msg,
                        action=P.SHEET_SKIPPED)
                file_rows.append(_file_row(src, rel, sheet=sheet_name, status=f"未读取：{P.RULES['SHEET_NOT_READ']}"))
        ds.rejected[name] = _rejected_frame(src, results)
        whole = (ds.rejected[name], _concat_problems(file_problems)) if plain and cache else None
        chosen, all_rows = _resolve_once(src, results, log, cache, read_keys, (keys, files, rels, ctx), whole)
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


def _add_sheets(ds: DataSet, src: Source, rel: str, sheets: list[FileResult], results: list[FileResult],
                file_rows: list[dict]) -> None:
    for res in sheets:
        results.append(res)
        file_rows.append(res.row)
    if len(sheets) > 1:
        names = "、".join(f"“{r.row['工作表']}”" for r in sheets)
        ds.notes.append(f"{src.title}：文件“{rel}”的{len(sheets)}个工作表（{names}）都有该来源的表头，合并读取")


def _from_whole(ds: DataSet, src: Source, rels: list[str], keys: list[str], merged_key: str, cache: ReadCache,
                log: P.ProblemLog, ignored: list, file_rows: list[dict]) -> bool:
    """The source read from its whole merge entry (merged rows, the files' rejected rows and 问题数据) and its files'
    entry.json (their sheets and counts): True when done; False, with nothing added, when an entry is missing or not
    whole — then the source is read file by file."""
    infos = [cache.load_info(k) for k in keys]
    if any(e is None or e.refusals for e in infos):
        return False
    merged = cache.load_merged(merged_key, count=False, whole=True)
    if merged is None:
        return False
    cache.hits += len(infos)
    cache.merged_hits += 1
    cache.whole_hits += 1
    log.add_frame(merged.file_problems)  # in the files' order, as read one by one
    results: list[FileResult] = []
    for rel, entry in zip(rels, infos):
        ignored.extend(entry.ignored)
        _add_sheets(ds, src, rel, entry.results, results, file_rows)
    ds.rejected[src.name] = merged.rejected
    ds.tables[src.name], ds.all_rows[src.name] = _from_merged(results, merged, log)
    return True


def _concat_problems(frames: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [f[P.COLUMNS] for f in frames if len(f)]
    return pd.concat(parts, ignore_index=True) if parts else P.empty_frame()


def _refuse(ds: DataSet, name: str, message: str) -> None:
    ds.errors.append(message)
    ds.broken.setdefault(name, []).append(message)


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
    if not path.exists() and not path.is_symlink():  # a dangling link is the file's problem: reported when read
        raise FileNotFoundError(f"文件不存在：{path}")
    if forced is None and name.startswith(TEMPLATE_PREFIX):
        return "填报模板，不读取（填好的数据请另存为以来源名称开头的文件，如“失业登记.xlsx”）"
    if forced is None and contract.match_file(name) is None:
        return "文件名不以任何数据来源名称开头，不读取"
    if path.suffix.lower() not in SUFFIXES:
        return f"文件类型“{path.suffix or '无扩展名'}”不能读取（只读取 .xlsx、.xls、.csv）"
    return None


def _hidden_on_windows(path: Path) -> bool:
    try:
        attrs = getattr(os.stat(path), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _file_row(src: Source, rel: str, sheet: str = "", header_row=None, encoding: str = "", status: str = "",
              extras: str = "", counts: dict | None = None) -> dict:
    counts = counts or {}
    row = {"来源": src.title, "文件": rel, "工作表": sheet, "表头行": header_row, "编码": encoding,
           "未使用的列": extras, "状态": status}
    row.update({c: counts.get(c, 0) for c in COUNT_COLUMNS})
    return row


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
    candidates: dict[str, list[tuple[int, bool]]]  # field → [(column index, is the standard header)], left to right
    texts: dict[int, str]  # column index → header as written
    headers: list[str]  # every non-empty header cell of the header row, as written
    extras: list[str]  # header cells matching no field

    def where(self) -> str:
        return f"（工作表“{self.sheet.name}”第{self.header_row + 1}行）" if self.sheet.name else \
            f"（第{self.header_row + 1}行）"


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
    candidates: dict[str, list[tuple[int, bool]]] = {}
    texts, headers, extras = {}, [], []
    for j, v in enumerate(row):
        if not isinstance(v, str) or not v.strip():
            continue
        text = v.strip()
        headers.append(text)
        texts[j] = text
        hit = hmap.get(normalize_header(v))
        if hit is None:
            extras.append(text)
            continue
        candidates.setdefault(hit[0], []).append((j, hit[1]))
    return candidates, texts, headers, extras


def _identity_field(src: Source) -> str:
    return "id_number" if "id_number" in src.fields else (src.key_field or src.fields[0])


def _locate(src: Source, sheets: list[Sheet], rel: str) -> tuple[list[Layout], list[Layout], list[str]]:
    """The sheets holding the source's complete header; the sheets that look like the source (its identity column and
    more than half of its required columns) but lack a required column; the names of the other non-empty sheets."""
    hmap = _header_map(src)
    required = {c.field for c in src.required}
    identity = _identity_field(src)
    complete, partial, other, ranked = [], [], [], []
    skip = {normalize_header(n) for n in src.skip_sheets}
    for order, sheet in enumerate(sheets):
        if sheet.name and normalize_header(sheet.name) in skip:
            continue
        head = _fill_merged(sheet.head, sheet.merged)
        best = None
        for r, row in enumerate(head):
            candidates, texts, headers, extras = _match_row(row, hmap)
            score = (len(required & set(candidates)), len(candidates))
            if candidates and (best is None or score > best[0]):
                best = (score, Layout(sheet, r, r + 1, candidates, texts, headers, extras))
        if best is None:
            if any(not _is_blank(v) for row in sheet.head for v in row):
                other.append(sheet.name)
            continue
        score, layout = best
        ranked.append((score, sheet.visible, -order, layout))
        for (r0, _c0), (r1, _c1) in sheet.merged:  # a header cell merged downwards: data begins below the merge
            if r0 <= layout.header_row <= r1:
                layout.data_start = max(layout.data_start, r1 + 1)
        if score[0] == len(required):
            complete.append(layout)
        elif identity in layout.candidates and 2 * score[0] > len(required):  # the source, a column short
            partial.append(layout)
        else:
            other.append(sheet.name)
    if not complete:
        sheet_text = "" if sheets and sheets[0].name == "" else "任何工作表的"
        expected = "、".join(c.header for c in src.required)
        if not ranked:
            raise FileError("HEADER_NOT_FOUND", f"文件“{rel}”{sheet_text}前{HEADER_SCAN_ROWS}行中找不到“{src.title}”的"
                                                f"表头（应包含：{expected}）")
        ranked.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
        best = ranked[0][3]
        raise FileError("COLUMN_MISSING", f"文件“{rel}”缺少必填列{_missing_text(src, best)}。"
                                          f"找到的表头{best.where()}：{'、'.join(best.headers)}")
    return complete, partial, other


def _missing_text(src: Source, layout: Layout) -> str:
    parts = []
    for c in src.required:
        if c.field not in layout.candidates:
            alt = f"（也可写作：{'、'.join(c.synonyms)}）" if c.synonyms else ""
            parts.append(f"“{c.header}”{alt}")
    return "、".join(parts)


# --------------------------------------------------------------------------------------------------- reading a file
@dataclass
class FileResult:
    used: pd.DataFrame  # parsed fields of the used rows + _file, _sheet, _row
    found: dict[str, str]  # field → header as written
    row: dict  # the files-table row (counts completed after duplicates)
    rejected: pd.DataFrame  # the identity of the rejected rows + _file, _sheet, _row

    @property
    def place(self) -> tuple[str, str]:
        return self.row["文件"], self.row["工作表"]


def _file_keys(contract: Contract, requested: list[str], groups: dict[str, list[Path]], root: Path | None,
               ctx: Context, cache: ReadCache) -> dict[Path, tuple[Source, str, str]]:
    """(source, name, cache key) of every file to be read; the parameter folder fingerprinted once for all. The files
    of a one-file source found more than once are refused unread (``_read``): they get no key."""
    fingerprint = params_fingerprint()
    out = {}
    for name in requested:
        src, files = contract[name], groups.get(name, [])
        if src.single_file and len(files) > 1:
            continue
        for path in files:
            rel = str(path.relative_to(root)) if root else path.name
            out[path] = (src, rel, cache.key(src.name, path, rel, ctx.as_of, fingerprint))
    return out


def _prepare_entries(file_keys: dict[Path, tuple[Source, str, str]], ctx: Context,
                     cache: ReadCache) -> dict[str, Entry | FileError | None]:
    """Make sure every file to be read has its cache entry: parse and keep the ones missing, each under its lock.

    A file another process is parsing (01's and 02's district runs start together) is put off: this one parses the
    files nobody is parsing, then waits for the others and loads them, so the two parse each file once between them.
    Returns what the caller cannot load from the cache: a file's entry that could not be kept (unwritable folder),
    the FileError of a file that cannot be read, and ``None`` for a file this process parsed and kept (it is loaded
    then, not counted as a hit)."""
    todo = [(src, path, rel, key) for path, (src, rel, key) in file_keys.items()]
    done: dict[str, Entry | FileError | None] = {}
    for wait in (False, True):
        busy = []
        for src, path, rel, key in todo:
            if key in done or cache.has(key):
                continue
            with cache.claim(key, wait=wait) as mine:
                if not mine:
                    busy.append((src, path, rel, key))
                    continue
                if cache.has(key):  # kept by the process that held the lock
                    continue
                cache.misses += 1
                try:
                    entry = _parse_entry(src, path, rel, ctx)
                except FileError as exc:
                    done[key] = exc
                    continue
                done[key] = None if cache.store(key, entry) else entry
        todo = busy
    return done


def _parse_entry(src: Source, path: Path, rel: str, ctx: Context) -> Entry:
    own_log, own_ignored = P.ProblemLog(), []
    results, refusals = _read_file(src, path, rel, ctx, own_log, own_ignored)
    return Entry(results, refusals, own_log.frame(), own_ignored)


def _read_file_once(src: Source, path: Path, rel: str, ctx: Context, log: P.ProblemLog, ignored: list,
                    cache: ReadCache | None, key: str | None = None, need_rows: bool = True,
                    prepared: dict | None = None,
                    problems: list | None = None) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """``_read_file`` through the cache: the entry of the same bytes, contract and reader, else parse and keep it.
    Both ways the file's 问题数据 rows reach ``log`` as one frame, so a cached read reports exactly as a fresh one.
    ``need_rows=False``: the source's merge entry exists, the used rows stay on disk (``FileResult.used`` is None).
    ``prepared``: what ``_prepare_entries`` parsed (None: kept, load it) or could not (the entry, the FileError).
    ``problems``: the file's 问题数据 frame is appended to it too (the source's whole merge entry keeps them)."""
    entry = None
    if cache is not None:
        key = key or cache.key(src.name, path, rel, ctx.as_of)
        earlier = (prepared or {}).get(key, False)
        if isinstance(earlier, FileError):
            raise earlier
        entry = earlier or cache.load(key, used=need_rows, count=earlier is not None)
    if entry is None:
        entry = _parse_entry(src, path, rel, ctx)
        if cache is not None:
            cache.store(key, entry)
    log.add_frame(entry.problems)
    if problems is not None:
        problems.append(entry.problems)
    ignored.extend(entry.ignored)
    return entry.results, entry.refusals


def _read_file(src: Source, path: Path, rel: str, ctx: Context, log: P.ProblemLog,
               ignored: list) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """Every sheet of the file holding the source's header, read; and (sheet, message) for the sheets not read."""
    sheets, encoding, from_csv = open_sheets(path, rel)
    complete, partial, other = _locate(src, sheets, rel)
    suffix = path.suffix.lower()
    results = [_read_sheet(src, layout, rel, suffix, encoding, from_csv, ctx, log) for layout in complete]
    refusals = []
    for layout in partial:
        data = guarded(rel, suffix, layout.sheet.rows)[layout.data_start:]
        n = sum(1 for row in data if any(not _is_blank(v) for v in row))
        name = layout.sheet.name
        if n == 0:
            ignored.append((f"{rel}（工作表“{name}”）", f"表头不完整（缺少{_missing_text(src, layout)}），且没有数据行，未读取"))
            continue
        read = "、".join(f"“{x.sheet.name}”" for x in complete)
        refusals.append((name, f"文件“{rel}”的工作表“{name}”看起来也是“{src.title}”的数据（表头在第{layout.header_row + 1}行），"
                               f"表头下有{n}行，但缺少必填列{_missing_text(src, layout)}，这些行没有读取"
                               f"（已读取工作表{read}）。请补齐表头，或把这些行移到完整的工作表中后重新运行"))
    for name in other:
        if len(sheets) > 1:
            ignored.append((f"{rel}（工作表“{name}”）", f"没有“{src.title}”的完整表头，未读取"))
    skip = {normalize_header(n) for n in src.skip_sheets}
    for sheet in sheets:
        if sheet.name and normalize_header(sheet.name) in skip:
            ignored.append((f"{rel}（工作表“{sheet.name}”）", f"“{sheet.name}”是记录历史的工作表，不作为“{src.title}”的数据读取"))
    return results, refusals


@dataclass
class Issues:
    """问题数据 rows of one sheet, collected per column and written at the end (actions need the final reject mask)."""

    parts: list[tuple] = field(default_factory=list)  # (positions, column label, rules, messages, values, kind)
    seen: set = field(default_factory=set)  # (position, column label) already reported

    def add(self, pos, label: str, rules, messages, values, kind: str) -> None:
        pos = np.asarray(pos, dtype=np.int64)
        if not len(pos):
            return
        n = len(pos)

        def as_array(x):
            return np.asarray(x, dtype=object) if not isinstance(x, str) else np.full(n, x, dtype=object)

        self.parts.append((pos, label, as_array(rules), as_array(messages), as_array(values), kind))
        self.seen.update((int(p), label) for p in pos)


def _read_sheet(src: Source, layout: Layout, rel: str, suffix: str, encoding: str, from_csv: bool, ctx: Context,
                log: P.ProblemLog) -> FileResult:
    grid = _Grid.load(layout, rel, suffix, from_csv)
    rows = grid.rows_read()
    columns, found, extras = _choose_columns(src, layout, grid.cells, rows.keep, rel, log)
    issues = Issues()
    reject = rows.field_count_issues(grid, issues)
    used_cols = set(columns.values())
    by_col = rows.special_by_column(grid)
    only_hidden = rows.only_hidden(grid, by_col, columns)
    skip = rows.unparsed | only_hidden  # rows whose blank cells are not "empty" findings

    values = {col.field: _column(col, columns, found, grid, rows, by_col, skip, issues, reject, ctx)
              for col in src.columns}
    frame = pd.DataFrame(values)
    _schema_issues(src, frame, columns, found, grid.cells, rows.keep, issues, reject, skip)
    for j, here in by_col.items():  # error cells of unused columns matter only on a row that is not used anyway
        if j in used_cols:
            continue
        pos = np.array([h[0] for h in here], dtype=np.int64)
        sel = reject[pos] | only_hidden[pos]
        label = layout.texts.get(j, f"第{j + 1}列")
        chosen = [h for h, s in zip(here, sel) if s]
        issues.add(pos[sel], label, [h[1] for h in chosen], [_special_message(label, h[1], h[2]) for h in chosen],
                   [h[2] for h in chosen], "error")
        reject[pos[sel]] = True

    sheet_name = layout.sheet.name
    excel_row = rows.excel_row
    for pos, label, rules, msgs, shown, kind in issues.parts:
        action = np.where(reject[pos], P.REJECT, P.BLANK if kind == "error" else P.WARN)
        log.add_frame(pd.DataFrame({
            "来源": src.title, "文件": rel, "工作表": sheet_name, "行号": excel_row[pos], "列": label,
            "原值": shown, "规则代码": rules, "问题说明": msgs, "处理": action}))

    used = frame[~reject].copy()
    if "id_number" in src.fields:  # integer person codes, parsed once and cached with the rows (rules.facts joins on them)
        used = idcard.add_person_codes(used)
    used["_file"] = rel
    used["_sheet"] = sheet_name
    used["_row"] = pd.array(excel_row[~reject], dtype="Int64")
    identity = _identity_field(src)
    # the identity keeps its column's dtype (an all-blank or empty selection would otherwise become object, and the
    # source's rejected rows would change dtype with the files that happen to have some)
    rejected = pd.DataFrame({identity: frame.loc[reject, identity].reset_index(drop=True), "_file": rel,
                             "_sheet": sheet_name, "_row": pd.array(excel_row[reject], dtype="Int64")})
    status = "已读取" if layout.sheet.visible else "已读取（隐藏工作表）"
    row = _file_row(src, rel, sheet_name, layout.header_row + 1, encoding, status, "、".join(extras),
                    counts={"读入行数": rows.n, "使用行数": int((~reject).sum()), "剔除行数": int(reject.sum()),
                            "空行数": rows.blank_rows})
    return FileResult(used.reset_index(drop=True), found, row, rejected)


@dataclass
class _Grid:
    """The data part of a sheet, column by column: raw arrays, the parsed cells of the header's columns, and the
    cells whose content the engine hid (error values, formulas without a value, Excel error text)."""

    layout: Layout
    rel: str
    suffix: str
    arrays: list
    cells: dict[int, Cells]
    special: list[tuple[int, int, str, str]]  # (grid position, column, rule, text)
    field_counts: np.ndarray | None  # CSV read by the csv module: fields per row

    @classmethod
    def load(cls, layout: Layout, rel: str, suffix: str, from_csv: bool) -> _Grid:
        sheet, start = layout.sheet, layout.data_start
        mapped = sorted({j for cands in layout.candidates.values() for j, _ in cands})
        width = mapped[-1] + 1
        arrays = guarded(rel, suffix, lambda: sheet.columns(start, width)) if sheet.columns else None
        field_counts = None
        if arrays is None:
            data = guarded(rel, suffix, sheet.rows)[start:]
            if sheet.field_counts is not None:  # a CSV read by the csv module: rows may have any number of fields
                field_counts = np.fromiter((len(r) for r in data), dtype=np.int64, count=len(data))
            arrays = _columns_of(data, width)
        cells = {j: Cells(arrays[j], from_csv) for j in mapped}
        hidden = [] if from_csv else _hidden_cells(sheet, rel, suffix, start, arrays, cells)
        if hidden and max(h.row for h in hidden) - start >= len(arrays[0]):  # formula rows past calamine's last row
            arrays = _padded(arrays, max(h.row for h in hidden) - start + 1, max(width, max(h.col for h in hidden) + 1))
            cells = {j: Cells(arrays[j], from_csv) for j in mapped}
        special = [(h.row - start, h.col, h.rule, h.text) for h in hidden]
        for j in mapped:  # Excel error text (#N/A …) as the whole content of a cell, in any source
            pos = cells[j].error_literals()
            special += [(int(p), j, CELL_ERROR, t) for p, t in zip(pos, cells[j].display_at(pos))]
            cells[j].blank_out(pos)
        return cls(layout, rel, suffix, arrays, cells, special, field_counts)

    @property
    def n(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    def nonblank(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for j, arr in enumerate(self.arrays):  # a row is blank only if every cell is, in used and unused columns
            out |= ~(self.cells[j].blank if j in self.cells else blank_mask(arr))
        for p, *_ in self.special:
            out[p] = True
        return out

    def rows_read(self) -> _Rows:
        nonblank = self.nonblank()
        wrong = np.zeros(self.n, dtype=bool)
        expected = 0
        if self.field_counts is not None:  # another number of fields than the header: values may be shifted
            expected = len(self.layout.sheet.head[self.layout.header_row])
            wrong = (self.field_counts != expected) & nonblank
            for c in self.cells.values():
                c.blank_out(np.flatnonzero(wrong))  # not parsed
            self.special = [s for s in self.special if not wrong[s[0]]]
        last = int(np.flatnonzero(nonblank)[-1]) + 1 if nonblank.any() else 0
        keep = np.flatnonzero(nonblank[:last])
        return _Rows(keep, last - len(keep), self.layout.data_start + keep + 1, wrong[keep], expected, self.n)


@dataclass
class _Rows:
    """The rows read of a grid (non-blank up to the last non-blank one)."""

    keep: np.ndarray  # grid positions of the rows read
    blank_rows: int
    excel_row: np.ndarray
    unparsed: np.ndarray  # per row read: CSV field count differs from the header
    expected_fields: int
    n_grid: int

    @property
    def n(self) -> int:
        return len(self.keep)

    @property
    def partial(self) -> bool:
        return self.n != self.n_grid

    def at(self) -> np.ndarray:
        """grid position → position among the rows read (-1: not read)."""
        out = np.full(self.n_grid, -1, dtype=np.int64)
        out[self.keep] = np.arange(self.n)
        return out

    def field_count_issues(self, grid: _Grid, issues: Issues) -> np.ndarray:
        """The reject mask, starting with the CSV rows whose number of fields differs from the header."""
        reject = np.zeros(self.n, dtype=bool)
        if not self.unparsed.any():
            return reject
        pos = np.flatnonzero(self.unparsed)
        sheet, start = grid.layout.sheet, grid.layout.data_start
        rows = guarded(grid.rel, grid.suffix, sheet.rows)
        shown = [sheet.delimiter.join(rows[start + int(g)])[:200] for g in self.keep[pos]]
        issues.add(pos, WHOLE_ROW, "FIELD_COUNT",
                   [f"该行有{c}个字段，表头有{self.expected_fields}个：可能是某项文字（如单位名称）中有未加引号的逗号，"
                    f"或一行被截断、换行，各列的值已经错位。该行未使用；请在原系统重新导出，或给含逗号的内容加上英文双引号"
                    for c in grid.field_counts[self.keep[pos]]], shown, "error")
        reject[pos] = True
        return reject

    def special_by_column(self, grid: _Grid) -> dict[int, list]:
        at = self.at()
        by_col: dict[int, list] = {}
        for p, j, rule, text in grid.special:
            by_col.setdefault(j, []).append((at[p], rule, text))
        return by_col

    def only_hidden(self, grid: _Grid, by_col: dict, columns: dict) -> np.ndarray:
        """Rows whose only content is an error or formula cell outside the columns used: that cell is their reason."""
        used_cols = set(columns.values())
        in_used, in_other = np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=bool)
        for j, here in by_col.items():
            (in_used if j in used_cols else in_other)[[h[0] for h in here]] = True
        return in_other & ~in_used & ~_has_content(grid.cells, columns, self.keep)


def _column(col, columns: dict, found: dict, grid: _Grid, rows: _Rows, by_col: dict, skip: np.ndarray,
            issues: Issues, reject: np.ndarray, ctx: Context) -> pd.Series:
    """One contract column of the rows read: its parsed values; its findings added to ``issues``, ``reject``."""
    j = columns.get(col.field)
    if j is None:  # an optional column the file does not have: blank, or its default
        return parse(col, Cells(np.full(rows.n, None, dtype=object)), ctx).values
    cells, keep, label = grid.cells[j], rows.keep, found[col.field]
    parsed = parse(col, cells, ctx)
    v = parsed.values.iloc[keep].reset_index(drop=True) if rows.partial else parsed.values
    error, message, blank = parsed.error[keep], parsed.message[keep], parsed.blank[keep].copy()
    warning = parsed.warning[keep]
    blank[skip] = False
    bad = np.flatnonzero(error != None)  # noqa: E711 — elementwise on an object array
    issues.add(bad, label, error[bad], message[bad], cells.display_at(keep[bad]), "error")
    if col.strict:
        reject[bad] = True
    here = by_col.get(j, [])
    if here:
        pos = np.array([h[0] for h in here], dtype=np.int64)
        issues.add(pos, label, [h[1] for h in here], [_special_message(col.header, h[1], h[2]) for h in here],
                   [h[2] for h in here], "error")
        blank[pos] = False
        if col.strict:  # a default must not stand in for what the cell held
            reject[pos] = True
    if col.required:
        empty = np.flatnonzero(blank)
        if len(empty):
            rule = "ID_EMPTY" if col.type == "id" else "REQUIRED_MISSING"
            msg = "公民身份号码为空" if col.type == "id" else f"必填项“{col.header}”为空"
            issues.add(empty, label, rule, msg, "", "error")
            reject[empty] = True
    warn = np.flatnonzero(warning != None)  # noqa: E711
    issues.add(warn, label, warning[warn], message[warn], cells.display_at(keep[warn]), "warning")
    if col.type == "id":
        example = np.flatnonzero((v == EXAMPLE_ID).fillna(False).to_numpy(dtype=bool))
        issues.add(example, label, "TEMPLATE_EXAMPLE",
                   f"模板示例行：公民身份号码 {EXAMPLE_ID} 是填报模板示例中的号码，不是数据，该行未使用。填报前请删除示例行",
                   EXAMPLE_ID, "error")
        reject[example] = True
    return v


def _columns_of(data: list[list], width: int) -> list[np.ndarray]:
    grid = lib.to_object_array(data, min_width=width) if data else np.empty((0, width), dtype=object)
    return [np.ascontiguousarray(grid[:, j]) for j in range(grid.shape[1])]


def _padded(arrays: list, n: int, width: int) -> list[np.ndarray]:
    out = []
    for j in range(max(width, len(arrays))):
        arr = np.full(n, None, dtype=object)
        if j < len(arrays):
            arr[:len(arrays[j])] = arrays[j]
        out.append(arr)
    return out


def _hidden_cells(sheet: Sheet, rel: str, suffix: str, start: int, arrays: list, cells: dict) -> list:
    """The engine's error cells and formulas without a value below the header. Looked for only when the sheet shows
    blank cells in the used columns or the file says the sheet is longer than what was read (the search costs a
    pass over the sheet's XML)."""
    n_grid = len(arrays[0]) if arrays else 0
    extent = guarded(rel, suffix, sheet.extent)
    if not any(c.blank.any() for c in cells.values()) and extent is not None and extent <= start + n_grid:
        return []
    return [h for h in guarded(rel, suffix, sheet.hidden) if h.row >= start]


def _special_message(header: str, rule: str, text: str) -> str:
    if rule == FORMULA_NO_VALUE:
        return (f"{header}是公式“{text}”，文件里没有它的计算结果（公式没有计算结果，可能是程序生成或未重新计算就保存）："
                f"请在 Excel/WPS 中打开后保存，再放入数据文件夹")
    return f"{header}是 Excel 错误值“{text}”（公式没有算出结果）：请在原表中改正公式或填入实际内容"


def _has_content(cells: dict, columns: dict, grid_pos: np.ndarray) -> np.ndarray:
    """Whether these rows hold anything in the columns used."""
    out = np.zeros(len(grid_pos), dtype=bool)
    for j in set(columns.values()):
        out |= ~cells[j].blank[grid_pos]
    return out


def _choose_columns(src: Source, layout: Layout, cells: dict, keep: np.ndarray, rel: str,
                    log: P.ProblemLog) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """One column per field where a header appears more than once: the standard header before a synonym, a column
    with content before an empty one; two differing columns of equal standing refuse the file."""
    columns, found, extras = {}, {}, list(layout.extras)
    for fld, cands in layout.candidates.items():
        chosen = cands[0][0]
        if len(cands) > 1:
            filled = [(j, std) for j, std in cands if not cells[j].blank[keep].all()]
            pool = filled or cands
            tier = [c for c in pool if c[1]] or pool
            chosen = tier[0][0]
            for j, _ in tier[1:]:
                if not pd.Series(cells[j].text[keep], dtype=object).equals(
                        pd.Series(cells[chosen].text[keep], dtype=object)):
                    header = src.column(fld).header
                    raise FileError("COLUMN_DUPLICATE", f"文件“{rel}”{layout.where()}有两列“{header}”（第{chosen + 1}列"
                                                        f"“{layout.texts[chosen]}”和第{j + 1}列“{layout.texts[j]}”），"
                                                        f"都有内容且不一致，无法判断该用哪一列。请删除或改名其中一列后重新运行")
            for j, _ in cands:
                if j == chosen:
                    continue
                empty = cells[j].blank[keep].all()
                extras.append(f"{layout.texts[j]}（第{j + 1}列，与第{chosen + 1}列重名{'，该列为空' if empty else ''}）")
                if j < chosen:  # an earlier column lost: say so, the reader of the file expects the first one
                    log.add(source=src.title, file=rel, sheet=layout.sheet.name, row=layout.header_row + 1,
                            column=layout.texts[j], value=layout.texts[j], rule="COLUMN_DUPLICATE",
                            message=f"第{j + 1}列“{layout.texts[j]}”与第{chosen + 1}列“{layout.texts[chosen]}”重名"
                                    f"{'且没有内容' if empty else ''}，使用第{chosen + 1}列", action=P.COLUMN_UNUSED)
        columns[fld], found[fld] = chosen, layout.texts[chosen]
    return columns, found, extras


def _schema_issues(src: Source, frame: pd.DataFrame, columns: dict, found: dict, cells: dict, keep: np.ndarray,
                   issues: Issues, reject: np.ndarray, unparsed: np.ndarray) -> None:
    from .schema import failures  # pandera only when a file is parsed: a town run, which never parses, skips it

    fails = failures(src.name, frame)
    if not len(fails):
        return
    fresh = fails[[(int(p), found.get(f)) not in issues.seen and not unparsed[int(p)]
                   for p, f in zip(fails["pos"], fails["field"])]]
    fresh = fresh[fresh["field"].isin(list(columns))]
    for fld, grp in fresh.groupby("field", sort=False):
        col = src.column(fld)
        pos = grp["pos"].to_numpy(dtype=np.int64)
        shown = cells[columns[fld]].display_at(keep[pos])
        msgs = [_schema_message(col, r, x) for r, x in zip(grp["rule"], shown)]
        issues.add(pos, found[fld], grp["rule"].to_numpy(dtype=object), msgs, shown, "error")
        if col.strict:
            reject[pos] = True
        else:
            frame.loc[pos, fld] = pd.NA


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


def _rejected_frame(src: Source, results: list[FileResult]) -> pd.DataFrame:
    identity = _identity_field(src)
    parts = [r.rejected for r in results if len(r.rejected)]
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame({identity: _blank_series(src.column(identity).type, 0), "_file": pd.Series(dtype="str"),
                         "_sheet": pd.Series(dtype="str"), "_row": pd.Series(dtype="Int64")})


# -------------------------------------------------------------------------------------------------------- duplicates
def _resolve_once(src: Source, results: list[FileResult], log: P.ProblemLog, cache: ReadCache | None,
                  keys: list[str], where: tuple, whole: tuple | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``_resolve_keys`` through the cache's merge entry of the files read (keyed by their entries' keys, in order).
    ``where``: every file's key, path and name and the context, to load rows left on disk if the entry is gone.
    ``whole``: the source's rejected rows and its files' 问题数据, kept in the merge entry (no file was refused)."""
    if cache is None:
        return _resolve_keys(src, results, log)
    key = cache.merged_key(src.name, keys)
    merged = cache.load_merged(key, count=False)
    if merged is None:
        with cache.claim(key):  # another run merging the same files: wait, then load its entry
            merged = cache.load_merged(key, count=False)
            if merged is None:
                cache.merged_misses += 1
                return _merge_and_keep(src, results, log, cache, key, where, whole)
    cache.merged_hits += 1
    return _from_merged(results, merged, log)


def _from_merged(results: list[FileResult], merged: Merged, log: P.ProblemLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, all_rows) of a loaded merge entry; its per-sheet counts written into the files table's rows."""
    by_place = {(f, sh): (m, c) for f, sh, m, c in merged.counts}
    for r in results:
        r.row["合并重复行数"], r.row["冲突行数"] = (int(x) for x in by_place.get(r.place, (0, 0)))
    log.add_frame(merged.problems)
    full = merged.all_rows
    chosen = full["_chosen"].to_numpy()
    # most sources have no conflicting rows: then the table is every row, without copying them through a mask
    table = (full if chosen.all() else full[chosen]).drop(columns="_chosen").reset_index(drop=True)
    return table, full.drop(columns=[c for c in (idcard.CODE_COLUMN,) if c in full.columns])


def _merge_and_keep(src: Source, results: list[FileResult], log: P.ProblemLog, cache: ReadCache, key: str,
                    where: tuple, whole: tuple | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    for i, r in enumerate(results):  # loaded without their rows, but the merge entry is gone: load them now
        if r.used is None:
            results[i] = _reload_rows(src, r, cache, *where)
    own = P.ProblemLog()
    table, all_rows, with_codes = _resolve_keys(src, results, own, keep_codes=True)
    counts = [[*r.place, r.row["合并重复行数"], r.row["冲突行数"]] for r in results]
    # kept with the person codes (the table is cut from it); whole when no file of the source was refused
    merged = Merged(with_codes, own.frame(), counts, *(whole or (None, None)))
    cache.store_merged(key, merged)
    log.add_frame(merged.problems)
    return table, all_rows


def _reload_rows(src: Source, r: FileResult, cache: ReadCache, keys: list[str], files: list[Path], rels: list[str],
                 ctx: Context) -> FileResult:
    """The used rows of a file loaded without them (its sheet's entry again, else the file parsed again)."""
    i = rels.index(r.place[0])
    entry = cache.load(keys[i]) if i < len(keys) else None
    if entry is None:
        entry = Entry(*_read_file(src, files[i], rels[i], ctx, P.ProblemLog(), []), P.empty_frame(), [])
    return next(x for x in entry.results if x.place == r.place)


def _resolve_keys(src: Source, results: list[FileResult], log: P.ProblemLog, keep_codes: bool = False):
    """Collapse identical rows; keep every conflicting row of a unique key and choose one by ``src.resolve``.
    (table, all_rows); with ``keep_codes`` also all_rows with the person codes (what the parse cache keeps)."""
    fields = src.fields
    if results:
        frame = pd.concat([r.used for r in results], ignore_index=True)
    else:
        frame = pd.DataFrame({c.field: _blank_series(c.type, 0) for c in src.columns})
        for m in META:
            frame[m] = pd.Series(dtype="Int64" if m == "_row" else "str")
    found = {r.place: r.found for r in results}
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
            same_file = rows["_file"].to_numpy() == firsts["_file"].to_numpy()
            same_sheet = same_file & (rows["_sheet"].to_numpy() == firsts["_sheet"].to_numpy())
            where = np.where(same_sheet, "本文件", np.where(
                same_file, "工作表“" + firsts["_sheet"].astype(str).to_numpy() + "”",
                "文件“" + firsts["_file"].astype(str).to_numpy() + "”"))
            first_row = firsts["_row"].astype(str).to_numpy()
            log.add_frame(pd.DataFrame({
                "来源": src.title, "文件": rows["_file"].to_numpy(), "工作表": rows["_sheet"].to_numpy(),
                "行号": rows["_row"].to_numpy(), "列": "（整行）",
                "原值": rows[shown].astype(str).to_numpy() if shown else "", "规则代码": "DUPLICATE_IDENTICAL",
                "问题说明": "与" + pd.Series(where, dtype=object) + "第" + first_row + "行完全相同，已合并为一行（使用第"
                         + first_row + "行）",
                "处理": P.MERGED}))
    merged_count = frame.loc[dup].groupby(["_file", "_sheet"]).size()
    all_rows = frame[~dup].reset_index(drop=True)
    chosen = np.ones(len(all_rows), dtype=bool)
    conflict_count: pd.Series = pd.Series(dtype="int64")

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
            conflict_count = sub.groupby(["_file", "_sheet"]).size()

    for r in results:
        r.row["合并重复行数"] = int(merged_count.get(r.place, 0))
        r.row["冲突行数"] = int(conflict_count.get(r.place, 0))
    # person codes when every file has them (a file's rows all well-formed): in the tables only, for the rule engine
    codes = [idcard.CODE_COLUMN] if results and all(idcard.CODE_COLUMN in r.used for r in results) else []
    all_rows = all_rows[fields + META + codes].copy()
    all_rows["_chosen"] = chosen
    table = all_rows[chosen].drop(columns="_chosen").reset_index(drop=True)
    if keep_codes:
        return table, all_rows.drop(columns=codes), all_rows
    return table, all_rows.drop(columns=codes)


def _report_conflicts(src: Source, sub: pd.DataFrame, winners: pd.DataFrame, found: dict, log: P.ProblemLog) -> None:
    """One 问题数据 row per conflicting row: the group's rows, the columns that differ, which row was chosen."""
    key = src.key_field
    header = src.column(key).header
    gid, keys = pd.factorize(sub[key])
    spot = sub["_file"].astype(str) + np.where(sub["_sheet"].astype(str) != "",
                                               "（" + sub["_sheet"].astype(str) + "）", "")
    group_many = (spot.groupby(gid).nunique() > 1).to_numpy()

    def place(spots: pd.Series, rows: pd.Series, many: np.ndarray) -> pd.Series:
        prefix = pd.Series(np.where(many, spots.astype(str).to_numpy() + "的", ""), dtype=object)
        return prefix + "第" + rows.astype(str).reset_index(drop=True).astype(object) + "行"

    places = place(spot.reset_index(drop=True), sub["_row"], group_many[gid])
    where = places.groupby(gid).agg("、".join)
    differs = []
    for f in src.fields:
        n = sub[f].reset_index(drop=True).groupby(gid, dropna=False).nunique(dropna=False).to_numpy()
        differs.append(np.where(n > 1, src.column(f).header, ""))
    diff_text = pd.Series(["、".join(x for x in col if x) for col in zip(*differs)], dtype=object)
    win = winners.loc[keys]
    win_spot = win["_file"].astype(str) + np.where(win["_sheet"].astype(str) != "",
                                                   "（" + win["_sheet"].astype(str) + "）", "")
    win_place = place(win_spot.reset_index(drop=True), win["_row"], group_many)
    is_winner = sub["_seq"].to_numpy() == win["_seq"].to_numpy()[gid]
    verdict = pd.Series(np.where(is_winner, "按规则选用此条", "未选用（选用" + win_place.to_numpy()[gid] + "）"),
                        dtype=object)
    size = pd.Series(np.bincount(gid)[gid].astype(str), dtype=object)
    message = (f"同一{header}有" + size + "条不一致的记录（" + where.to_numpy()[gid] + "），不一致的列："
               + diff_text.to_numpy()[gid] + "；" + verdict + f"。规则：{src.resolve_text or ''}")
    columns = [found.get((f, s), {}).get(key, header) for f, s in zip(sub["_file"], sub["_sheet"])]
    log.add_frame(pd.DataFrame({
        "来源": src.title, "文件": sub["_file"].to_numpy(), "工作表": sub["_sheet"].to_numpy(),
        "行号": sub["_row"].to_numpy(), "列": columns, "原值": sub[key].astype(str).to_numpy(),
        "规则代码": "DUPLICATE_CONFLICT", "问题说明": message.to_numpy(), "处理": P.CONFLICT}))
