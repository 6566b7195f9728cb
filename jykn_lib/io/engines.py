"""Opening a data file (.xlsx, .xls, .csv) with its engine, and what the engine does not say.

:func:`open_sheets` returns the sheets of a file as :class:`Sheet` objects: the first rows for finding a header, every
row on demand, and the cells the engine shows as blank although they are not: Excel error values (#N/A, #REF! …) and
formulas saved without a computed value (calamine gives an empty cell for both). Every failure — no such file, no
permission, a 0-byte file, a text file named .xlsx, a broken zip, a BOM followed by GBK bytes — is a
:class:`FileError` with a Chinese message naming the file and what to do; the engine's own words are kept in
``detail`` for the log, never shown.

Cost of the hidden-cell probes: an .xlsx sheet's XML is decompressed and searched for ``<f`` and ``t="e"`` only when
the sheet has blank cells in the used columns (or its <dimension> says it is longer than what calamine returned, or
says nothing): measured at about 0.25 s of CPU for 100,000 rows × 9 columns, a fifth of calamine's own parse and under
a tenth of the whole read; a full sheet costs nothing. An .xls file is searched for the BIFF records of error cells (a
byte pattern, ~0.005 s for 60,000 rows) and parsed again with xlrd only when one is found.
"""

from __future__ import annotations

import codecs
import csv
import functools
import html
import io
import itertools
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

HEADER_SCAN_ROWS = 30  # the header must be within the first rows (title rows above it are allowed)

CELL_ERROR = "CELL_ERROR"
FORMULA_NO_VALUE = "FORMULA_NO_VALUE"


class FileError(Exception):
    """A file cannot be used at all: ``rule`` is one of problems.FILE_RULES, the message is Chinese."""

    def __init__(self, rule: str, message: str, detail: str = ""):
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.detail = detail  # the engine's words, for the log


@dataclass(frozen=True)
class Hidden:
    """A cell the engine returned as blank that is not: an error value or a formula without a computed value."""

    row: int  # zero-based, from A1
    col: int
    rule: str  # CELL_ERROR or FORMULA_NO_VALUE
    text: str  # what the cell held: "#N/A", "=VLOOKUP(A2,…)"


@dataclass
class Sheet:
    name: str
    visible: bool
    head: list[list]  # the first rows from A1 (for finding the header)
    merged: list  # ((r0, c0), (r1, c1)) zero-based, inclusive
    rows: Callable[[], list[list]]  # every row from A1
    columns: Callable[[int, int], list | None] | None = None  # (first data row, width) → column arrays, or None
    hidden: Callable[[], list[Hidden]] = field(default=lambda: [])  # error cells and formulas without a value
    extent: Callable[[], int | None] = field(default=lambda: None)  # rows the file says the sheet has, if known
    field_counts: Callable[[], list[int]] | None = None  # CSV: the number of fields of every row
    delimiter: str = ","  # CSV


# ------------------------------------------------------------------------------------------------------- messages
RESAVE = "请用 Excel 或 WPS 打开该文件，另存为 .xlsx 后再放入数据文件夹"


def _fail(rule: str, rel: str, what: str, todo: str, detail: str = "") -> FileError:
    return FileError(rule, f"文件“{rel}”{what}。{todo}", detail)


def engine_error(rel: str, suffix: str, exc: BaseException) -> FileError:
    """An engine's exception as a FileError in Chinese (what went wrong, what to do)."""
    from python_calamine import CalamineError, PasswordError, XmlError, ZipError

    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, PermissionError):
        return _fail("FILE_NO_PERMISSION", rel, "没有读取权限", "请让管理员开放该文件的读取权限，或把文件复制一份放入数据文件夹",
                     detail)
    if isinstance(exc, FileNotFoundError):
        return _fail("FILE_NOT_FOUND", rel, "不存在（可能是快捷方式或链接，指向的文件已被移走或删除）",
                     "请把真正的数据文件放入数据文件夹", detail)
    if isinstance(exc, PasswordError):
        return _fail("FILE_ENCRYPTED", rel, "设置了打开密码", "请取消密码后另存为 .xlsx 再放入数据文件夹", detail)
    if isinstance(exc, (ZipError, zipfile.BadZipFile)):
        return _fail("FILE_UNREADABLE", rel, "不是完整的 Excel（.xlsx）文件：可能已损坏，或下载、复制时没有完成",
                     "请重新导出或重新复制；如果 Excel 或 WPS 能打开它，请另存为 .xlsx 后再放入数据文件夹", detail)
    if isinstance(exc, XmlError):
        return _fail("FILE_UNREADABLE", rel, "内部的表格数据已损坏（格式错误）", RESAVE, detail)
    if isinstance(exc, OSError):
        return _fail("FILE_UNREADABLE", rel, "读取时出错（磁盘或网络共享的问题）", "请把文件复制到本机的数据文件夹后重试",
                     detail)
    if suffix == ".xls" or (isinstance(exc, CalamineError) and "Cfb" in str(exc)):
        return _fail("FILE_UNREADABLE", rel, "不是能识别的 Excel 97-2003（.xls）文件，可能已损坏", RESAVE, detail)
    return _fail("FILE_UNREADABLE", rel, "无法读取（读取程序无法识别文件内容）",
                 "请用 Excel 或 WPS 打开确认文件未损坏，另存为 .xlsx 后再试", detail)


def guarded(rel: str, suffix: str, fn: Callable):
    """Run an engine call; any failure of the engine becomes a FileError (the other files go on)."""
    try:
        return fn()
    except FileError:
        raise
    except Exception as exc:  # engines raise many kinds on damaged files; all are the file's problem
        raise engine_error(rel, suffix, exc) from exc


# ----------------------------------------------------------------------------------------------------- open a file
def open_sheets(path: Path, rel: str) -> tuple[list[Sheet], str, bool]:
    """The sheets of a file, the encoding used (CSV) and whether cells are text only (CSV)."""
    suffix = path.suffix.lower()
    head = guarded(rel, suffix, lambda: _head(path))
    if not head:
        raise _fail("FILE_EMPTY", rel, "是空文件（0 字节），可能是导出或复制时中断了",
                    "请重新导出后放入；如果本期没有这一来源的数据，请把该文件移出数据文件夹")
    if suffix == ".csv":
        sheet, encoding = guarded(rel, suffix, lambda: _csv_sheet(path, rel))
        return [sheet], encoding, True
    kind = _sniff(head)
    if kind == "html":
        raise _fail("FILE_WRONG_TYPE", rel, f"其实是网页（HTML）格式，只是扩展名为{suffix}", RESAVE)
    if kind == "xml2003":
        raise _fail("FILE_WRONG_TYPE", rel, "是“XML 电子表格 2003”格式", RESAVE)
    if kind == "text":
        stem = Path(rel).stem
        raise _fail("FILE_WRONG_TYPE", rel, f"其实是文本（CSV）文件，只是扩展名为{suffix}",
                    f"请把它改名为“{stem}.csv”后再放入数据文件夹")
    if kind == "ole":
        if _encrypted(path):
            raise _fail("FILE_ENCRYPTED", rel, "设置了打开密码", "请取消密码后另存为 .xlsx 再放入数据文件夹")
        kind = "xls"  # an .xls file, whatever its extension says
    elif kind != "zip":
        raise _fail("FILE_WRONG_TYPE", rel, f"不是 Excel 文件（扩展名为{suffix}，内容不是表格）", RESAVE)
    if kind == "xls":
        try:
            return _calamine_sheets(path, "xls"), "", False
        except Exception:  # old .xls files calamine cannot open: xlrd reads them
            return guarded(rel, ".xls", lambda: _xlrd_sheets(path)), "", False
    return guarded(rel, ".xlsx", lambda: _calamine_sheets(path, "xlsx")), "", False


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:  # raises FileNotFoundError for a dangling link, PermissionError …
        return fh.read(4096)


def _sniff(head: bytes) -> str:
    """What a file holds, from its first bytes: zip (xlsx), ole (xls or encrypted), html, xml2003, text or other."""
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    start = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "xml2003"
    if start.startswith(b"<"):
        return "html"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (b"\x00" not in head and _decodes(head)):
        return "text"  # UTF-16: Excel's "Unicode 文本"
    return "other"


def _decodes(sample: bytes) -> bool:
    """Text in one of the accepted encodings (the sample may end inside a character)."""
    body = sample[len(codecs.BOM_UTF8):] if sample.startswith(codecs.BOM_UTF8) else sample
    for codec in ("utf-8", "gb18030"):
        for cut in range(4):
            try:
                (body[:len(body) - cut] if cut else body).decode(codec)
                return True
            except UnicodeDecodeError:
                continue
    return False


def _encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with open(path, "rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:  # not an Office file msoffcrypto knows: let the readers try
        return False


# ----------------------------------------------------------------------------------------------------- calamine
def _calamine_sheets(path: Path, kind: str) -> list[Sheet]:
    from python_calamine import load_workbook

    matches = path.suffix.lower() in ((".xls",) if kind == "xls" else (".xlsx", ".xlsm"))
    # calamine picks the format from the extension: a file whose content says otherwise is opened from its bytes
    wb = load_workbook(str(path) if matches else io.BytesIO(path.read_bytes()))
    visible = {m.name: str(m.visible).endswith("Visible") for m in wb.sheets_metadata}
    if kind == "xlsx":
        parts = functools.lru_cache(maxsize=1)(lambda: _xlsx_parts(path))
    else:
        xls_hidden = functools.lru_cache(maxsize=1)(lambda: _xls_hidden(path))
    out = []
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        try:
            merged = list(sheet.merged_cell_ranges or [])
        except Exception:  # some formats carry no merge information
            merged = []
        if kind == "xlsx":
            hidden = lambda n=name: _xlsx_hidden(path, parts().get(n))  # noqa: E731
            extent = lambda n=name: _xlsx_extent(path, parts().get(n))  # noqa: E731
        else:
            hidden = lambda n=name: xls_hidden().get(n, [])  # noqa: E731
            extent = lambda: None  # noqa: E731
        out.append(Sheet(name, visible.get(name, True), sheet.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS),
                         merged, lambda s=sheet: s.to_python(skip_empty_area=False), hidden=hidden, extent=extent))
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_parts(path: Path) -> dict[str, str]:
    """Sheet name → the zip member holding its XML (from the workbook and its relationships)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book = "xl/workbook.xml"
        if "_rels/.rels" in names:
            for rel in ET.fromstring(z.read("_rels/.rels")):
                if rel.get("Type", "").endswith("/officeDocument"):
                    book = rel.get("Target", book).lstrip("/")
        base = posixpath.dirname(book)
        rels_name = posixpath.join(base, "_rels", posixpath.basename(book) + ".rels")
        targets = {}
        if rels_name in names:
            for rel in ET.fromstring(z.read(rels_name)):
                target = rel.get("Target", "")
                targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(base, target))
        out = {}
        for el in ET.fromstring(z.read(book)).iter():
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id" and k.startswith("{")), None)
            if rid in targets and targets[rid] in names:
                out[el.get("name")] = targets[rid]
        return out


_CHUNK = 1 << 24
_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]+)"')
_TYPE = re.compile(rb'\st="([a-zA-Z]+)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')


def _prefix(first: bytes) -> bytes:
    """The namespace prefix of the worksheet's elements (b"" or b"x:")."""
    m = re.search(rb"<(\w+:)?worksheet[\s>]", first)
    return (m.group(1) or b"") if m else b""


def _xlsx_extent(path: Path, part: str | None) -> int | None:
    """The last row the sheet's <dimension> names (rows the file says it has), if it says."""
    if part is None:
        return None
    with zipfile.ZipFile(path) as z, z.open(part) as fh:
        m = _DIMENSION.search(fh.read(4096))
    return int(m.group(1)) if m else None


def _xlsx_hidden(path: Path, part: str | None) -> list[Hidden]:
    """Error cells and formulas without a cached value in one sheet's XML, read in chunks."""
    if part is None:
        return []
    out: dict[tuple[int, int], Hidden] = {}
    with zipfile.ZipFile(path) as z, z.open(part) as fh:
        first = fh.read(_CHUNK)
        p = _prefix(first[:4096])
        cell = b"<" + p + b"c "
        carry, chunk = b"", first
        while chunk:
            buf = carry + chunk
            chunk = fh.read(_CHUNK)
            cut = buf.rfind(cell) if chunk else len(buf)
            if cut <= 0:
                carry = buf
                continue
            _scan_cells(buf[:cut], p, out)
            carry = buf[cut:]
        if carry:
            _scan_cells(carry, p, out)
    return sorted(out.values(), key=lambda h: (h.row, h.col))


def _scan_cells(buf: bytes, p: bytes, out: dict) -> None:
    cell, end = b"<" + p + b"c ", b"</" + p + b"c>"
    hits = set()
    # two passes over the buffer (each find is the cost): "<f" followed by > / or a space, and an error cell's type
    for needle, is_formula in ((b"<" + p + b"f", True), (b' t="e"', False)):
        i = buf.find(needle)
        while i >= 0:
            if not is_formula or buf[i + len(needle):i + len(needle) + 1] in (b">", b" ", b"/"):
                hits.add(buf.rfind(cell, 0, i + 1))
            i = buf.find(needle, i + 1)
    for start in sorted(h for h in hits if h >= 0):
        tag_end = buf.find(b">", start)
        close = buf.find(end, tag_end) if buf[tag_end - 1:tag_end] != b"/" else tag_end
        tag, body = buf[start:tag_end], buf[tag_end + 1:close] if close > tag_end else b""
        ref, typ = _REF.search(tag), _TYPE.search(tag)
        t = typ.group(1).decode() if typ else "n"
        value = re.search(rb"<" + p + rb"v>(.*?)</" + p + rb"v>", body, re.S)
        text = html.unescape(value.group(1).decode("utf-8", "replace")) if value else ""
        formula = re.search(rb"<" + p + rb"f(?:\s[^>]*)?(?:/>|>(.*?)</" + p + rb"f>)", body, re.S)
        if t == "e":
            rule, shown = CELL_ERROR, text or "#错误"
        elif formula is not None and not text and t != "str":  # "str" with no text: the formula gave ""
            rule = FORMULA_NO_VALUE
            f_text = formula.group(1)
            shown = "=" + html.unescape(f_text.decode("utf-8", "replace")) if f_text else "=（共享公式）"
        else:
            continue
        if ref is None:
            raise FileError("FILE_UNREADABLE", "含有没有计算结果的公式或错误值，且单元格没有位置信息。"
                                               "请用 Excel 或 WPS 打开该文件，保存（或另存为 .xlsx）后再放入数据文件夹")
        out[(int(ref.group(2)) - 1, _col_index(ref.group(1)))] = Hidden(
            int(ref.group(2)) - 1, _col_index(ref.group(1)), rule, shown)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


# BIFF8 records of an error: BOOLERR (0x0205, length 8, flag 1 = error) and FORMULA (0x0006) whose cached result is an
# error (result type 2, 0xFFFF in its last two bytes). A hit only means "look closer": xlrd then reads the cells.
# Two patterns, each starting with its record type (a literal prefix keeps the search fast; one alternation is 10x slower).
_XLS_ERROR = (re.compile(rb"\x05\x02\x08\x00[\s\S]{7}\x01"), re.compile(rb"\x06\x00[\s\S]{8}\x02[\s\S]{5}\xff\xff"))


def _xls_hidden(path: Path) -> dict[str, list[Hidden]]:
    data = path.read_bytes()
    if not any(p.search(data) for p in _XLS_ERROR):
        return {}
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=False)
    out = {}
    for sh in book.sheets():
        cells = []
        for r in range(sh.nrows):
            types = sh.row_types(r)
            if xlrd.XL_CELL_ERROR in types:
                values = sh.row_values(r)
                cells += [Hidden(r, c, CELL_ERROR, xlrd.error_text_from_code.get(values[c], "#错误"))
                          for c, t in enumerate(types) if t == xlrd.XL_CELL_ERROR]
        out[sh.name] = cells
    return out


def _xlrd_sheets(path: Path) -> list[Sheet]:
    """Fallback for .xls files calamine cannot open (slow, per cell: only for old files)."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    out = []
    for sh in book.sheets():
        rows, hidden = [], []
        for r in range(sh.nrows):
            row = []
            for c, cell in enumerate(sh.row(r)):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append("")
                    hidden.append(Hidden(r, c, CELL_ERROR, xlrd.error_text_from_code.get(cell.value, "#错误")))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append("")
                else:
                    row.append(cell.value)
            rows.append(row)
        merged = [((r0, c0), (r1 - 1, c1 - 1)) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
        out.append(Sheet(sh.name, sh.visibility == 0, rows[:HEADER_SCAN_ROWS], merged, lambda rows=rows: rows,
                         hidden=lambda h=hidden: h))
    return out


# ---------------------------------------------------------------------------------------------------------- CSV
ENCODINGS = (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030"))
RESAVE_TEXT = ("请用 WPS 或记事本打开该文件，另存为“UTF-8”编码（或在 Excel 中另存为“CSV UTF-8（逗号分隔）”）后再放入"
               "数据文件夹")


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: a BOM, else strict UTF-8, then GBK, then GB18030 (a superset of GBK).

    Nothing is guessed: bytes that are none of these (or a UTF-8 BOM followed by GBK bytes) raise FileError, whose
    message continues the file's name ("文件“x.csv”" + message).
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8（带BOM）"
        except UnicodeDecodeError as exc:
            line = data[len(codecs.BOM_UTF8):len(codecs.BOM_UTF8) + exc.start].count(b"\n") + 1
            raise FileError("FILE_ENCODING", f"开头标明是 UTF-8 编码（带BOM），但从第{line}行起的内容不是 UTF-8"
                                             f"（可能是 GBK），读出来会是乱码。{RESAVE_TEXT}", str(exc)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise FileError("FILE_ENCODING", f"开头标明是 UTF-16 编码，但内容不是。{RESAVE_TEXT}", str(exc)) from None
    for codec, label in ENCODINGS:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise FileError("FILE_ENCODING", f"的编码无法识别（应为 UTF-8、GBK 或 GB18030）。{RESAVE_TEXT}")


def _csv_sheet(path: Path, rel: str) -> tuple[Sheet, str]:
    try:
        text, encoding = decode_text(path.read_bytes())
    except FileError as exc:
        raise FileError(exc.rule, f"文件“{rel}”{exc.message}", exc.detail) from None
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

    sheet = Sheet("", True, head, [], every, columns, field_counts=lambda: [len(r) for r in every()],
                  delimiter=delimiter)
    return sheet, encoding
