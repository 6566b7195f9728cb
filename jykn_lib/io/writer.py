"""One workbook writer for everything the suite hands to people (town clerks, leaders, the province).

API (to be implemented; callers rely on exactly this):

    from jykn_lib.io.writer import Col, Sheet, write_workbook

    write_workbook(
        path,                       # target .xlsx; written atomically (temp file in the same folder, then os.replace)
        sheets=[Sheet(
            name="引导申请名单",       # sheet name (Chinese), ≤ 31 chars
            data=df,                 # pandas DataFrame; its column names are the Chinese headers, in order
            title="清新区就业困难人员引导申请名单　2026Q4　太和镇　基准日 2026-11-26",  # title row above the header
            columns={                # optional per-column settings, keyed by header
                "公民身份号码": Col(kind="text"),          # kinds: text (forced text cell), date, int, number, auto
                "联系电话": Col(kind="text"),
                "核实结果": Col(dropdown=["属实", "不属实"], editable=True),
            },
            highlight=mask_series,   # optional boolean Series aligned with data: rows filled (light red) as flagged
            highlight_note="红色底纹：逾期或需核实",   # optional, written under the table
            note_lines=["……"],       # optional lines written below the table (e.g. "本镇本期无符合条件人员（0人）")
            protect=True,            # lock every cell except columns with editable=True (no password needed to open)
        )],
        password=None,              # optional; encrypts the whole file (msoffcrypto-tool). Callers read it with
                                    # jykn_lib.io.writer.password_from_env_or_file(), never from the command line.
    ) -> Path

Layout of every sheet: row 1 the title, row 2 the header (bold, frozen below it, autofilter), data from row 3;
identity numbers and phones as text cells; dates as real Excel dates (yyyy-mm-dd); column widths fitted to Chinese text
(a CJK character counts as two; a number column is as wide as its numbers and its header wraps); rows of wrapped text
as tall as their lines; A4 landscape with the title and header rows repeated on every printed page.

Print width (decided for readability): a sheet is fitted to as few pages wide as keep it at 75 % or more — one page
when its columns add up to at most :data:`FIT_MAX_WIDTH` characters; a wider one over two or more pages side by side,
printed left to right before top to bottom, with its first column (镇街, 序号 …) repeated on every page. It is never
shrunk below reading size to squeeze it onto one page.

Optional extras: ``Col(width=, required=, num_format=, wrap=)`` (``required`` paints the header red),
``Sheet(highlight_color=, input_rows=)`` (``input_rows`` stretches dropdowns below the data, for blank templates),
``Sheet(bare=True)`` (no title row: header in row 1, data from row 2, for files another system imports),
``write_workbook(..., constant_memory=False, created=None)``. The file's metadata date is fixed unless ``created`` is
given, so the same tables give byte-identical files (without a password).

Engine: xlsxwriter, chosen by measurement. ``benchmarks/bench_writer.py`` (100,000 rows × 10 columns: text IDs, phones,
dates, Chinese text, dropdown, print setup; shared 2-core machine) measured openpyxl write-only (baseline) 75.5 s
(50.6 s CPU); xlsxwriter 24.3 s (13.3 s CPU), 3.1× faster (3.8× in CPU). xlsxwriter's ``constant_memory`` mode was
slower (34.0 s, 15.8 s CPU: it writes every string inline instead of once in the shared-string table) and saved only
about 120 MB of peak memory at 100,000 rows, so it is an option for very large sheets, not the default. Widths are
computed from the data before writing (xlsxwriter's autofit is unavailable in constant_memory mode and counts a CJK
character as one).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..files import atomic_path
from .crypto import PasswordError, encrypt_file, password_from_env_or_file

__all__ = ["Col", "PasswordError", "Sheet", "password_from_env_or_file", "text_width", "write_workbook"]

KINDS = ("text", "date", "int", "number", "auto")
DATE_FORMAT = "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH = 6, 60
NUMBER_MAX_WIDTH = 10  # a number column's header wraps rather than widening it beyond this
EXCEL_ROWS = 1_048_576
HIGHLIGHT = "#FFC7CE"  # light red
LIST_SHEET = "下拉选项"  # hidden sheet for dropdown lists longer than Excel's 255-character inline limit
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_WIDE = r"[^\x00-\u2e7f]"  # CJK and full-width forms take two columns
_TEXT_HEADER = re.compile(r"身份|号码|证.*号|编号|代码|户号|电话|手机")  # never written as numbers, whatever the dtype
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_FIXED_CREATED = dt.datetime(2000, 1, 1)  # file metadata: fixed so the same tables give the same bytes


@dataclass(frozen=True)
class Col:
    """Per-column settings. ``kind``: text (forced text cell), date, int, number, auto (from the dtype)."""

    kind: str = "auto"
    dropdown: Sequence[object] | None = None  # list validation on the data rows
    editable: bool = False  # left unlocked when the sheet is protected
    width: float | None = None  # fixed width; else fitted to the data
    required: bool = False  # header in red (input templates)
    num_format: str | None = None  # overrides the kind's format
    wrap: bool = False  # wrap long text inside the cell (instructions)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"未知的列类型 {self.kind!r}，应为 {'、'.join(KINDS)} 之一")


@dataclass
class Sheet:
    name: str
    data: pd.DataFrame
    title: str | None = None
    columns: dict[str, Col] = field(default_factory=dict)
    highlight: pd.Series | Sequence[bool] | None = None
    highlight_note: str | None = None
    note_lines: Sequence[str] = ()
    protect: bool = False
    highlight_color: str = HIGHLIGHT
    input_rows: int = 0  # dropdowns reach at least this many data rows (blank templates)
    mark: str | None = None  # printed at the top left of every page (内部资料　注意保密)
    bare: bool = False  # no title row: the header is row 1, data from row 2 (files another system imports)


def text_width(values: pd.Series) -> int:
    """Display width of the widest value: a CJK or full-width character counts as two."""
    s = values.dropna()
    if s.empty:
        return 0
    s = s.astype(str)
    return int((s.str.len() + s.str.count(_WIDE)).max())


def write_workbook(path, sheets: Sequence[Sheet], password: str | None = None, *, constant_memory: bool = False,
                   created: dt.datetime | None = None) -> Path:
    """Write ``sheets`` to ``path`` atomically; encrypt when ``password`` is given. Returns the path."""
    path = Path(path)
    _check_names(sheets)
    with atomic_path(path, personal=True) as tmp:  # workbooks hold personal data: owner-only (jykn_lib.files)
        if password:
            with _temp_beside(path) as plain:
                _build(plain, sheets, constant_memory, created)
                encrypt_file(plain, tmp, password)
        else:
            _build(tmp, sheets, constant_memory, created)
    return path


# ---- atomic replacement -------------------------------------------------------------------------------------------

@contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A temporary file in the target's folder for the unencrypted copy; always removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


# ---- building the workbook ----------------------------------------------------------------------------------------

def _check_names(sheets: Sequence[Sheet]) -> None:
    seen = set()
    for s in sheets:
        if not s.name or len(s.name) > 31 or _BAD_SHEET_CHARS.search(s.name):
            raise ValueError(f"工作表名称“{s.name}”无效：不超过31个字符，且不含 [ ] : * ? / \\")
        if s.name.lower() in seen or s.name == LIST_SHEET:
            raise ValueError(f"工作表名称“{s.name}”重复或为保留名称")
        seen.add(s.name.lower())


def _build(target: Path, sheets: Sequence[Sheet], constant_memory: bool, created: dt.datetime | None) -> None:
    wb = xlsxwriter.Workbook(str(target), {
        "constant_memory": constant_memory, "remove_timezone": True,
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    wb.set_properties({"created": created or _FIXED_CREATED})
    lists: list[list[str]] = []  # dropdown lists too long to inline, written to a hidden sheet at the end
    for sheet in sheets:
        _write_sheet(wb, sheet, lists)
    if lists:
        ws = wb.add_worksheet(LIST_SHEET)
        for r in range(max(map(len, lists))):  # row by row: constant_memory flushes each finished row
            for c, values in enumerate(lists):
                if r < len(values):
                    ws.write_string(r, c, values[r])
        ws.hide()
    wb.close()  # not a `with` block: on error nothing is finished, the temp file is simply removed


def _write_sheet(wb, sheet: Sheet, lists: list[list[str]]) -> None:
    df = sheet.data
    headers = [str(h) for h in df.columns]
    n, ncol = len(df), len(headers)
    cols = [sheet.columns.get(h, Col()) for h in headers]
    kinds, values = zip(*(_convert(df.iloc[:, j], h, c) for j, (h, c) in enumerate(zip(headers, cols)))) \
        if ncol else ((), ())
    flags = _mask(sheet.highlight, df)

    if n + 3 + len(sheet.note_lines) + 1 > EXCEL_ROWS:  # xlsxwriter would silently drop the rows beyond the limit
        raise ValueError(f"工作表“{sheet.name}”有 {n} 行，超过 Excel 每表 {EXCEL_ROWS} 行的上限，请拆分为多个工作表")
    ws = wb.add_worksheet(sheet.name)
    top = 0 if sheet.bare else 1  # the header row (0-based); the title, if any, is above it
    if sheet.bare and sheet.title:
        raise ValueError(f"工作表“{sheet.name}”没有标题行（bare），不能写标题")
    widths = [c.width or _fit_width(h, vals, kind) for h, c, vals, kind in zip(headers, cols, values, kinds)]
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})
    base = {"border": 1, "valign": "vcenter"}
    plain, marked = [], []
    for j, (c, kind) in enumerate(zip(cols, kinds)):
        props = {"num_format": c.num_format or _NUM_FORMAT[kind]}
        if sheet.protect and c.editable:
            props["locked"] = False
        # The column format (no border) covers rows below the table: typed-in IDs stay text, answers stay editable.
        ws.set_column(j, j, widths[j], wb.add_format(props))
        props.update(base, text_wrap=c.wrap)
        plain.append(wb.add_format(props))
        marked.append(wb.add_format(dict(props, bg_color=sheet.highlight_color)))

    # Row 1 title, row 2 header (rows must be written in order in constant_memory mode).
    if not sheet.bare:
        ws.set_row(0, 24)
    if sheet.title:
        if ncol > 1:
            ws.merge_range(0, 0, 0, ncol - 1, sheet.title, title_fmt)
        else:
            ws.write_string(0, 0, sheet.title, title_fmt)
    head = {"bold": True, "border": 1, "bg_color": "#D9D9D9", "align": "center", "valign": "vcenter",
            "text_wrap": True}
    head_fmt, head_req = wb.add_format(head), wb.add_format(dict(head, font_color="#C00000"))
    header_lines = max((_lines(pd.Series([h]), w)[0] for h, w in zip(headers, widths)), default=1)
    if header_lines > 1:  # wrapped headers (number columns): Excel and LibreOffice would show one line
        ws.set_row(1, header_lines * LINE_HEIGHT + ROW_PADDING)
    for j, (h, c) in enumerate(zip(headers, cols)):
        ws.write_string(top, j, h, head_req if c.required else head_fmt)

    heights = _row_heights(cols, values, widths, n)
    ws_string, ws_number, ws_blank = ws.write_string, ws.write_number, ws.write_blank
    for i, row in enumerate(zip(*values)):
        r = i + top + 1
        if heights[i]:
            ws.set_row(r, heights[i])  # wrapped text: Excel and LibreOffice do not grow the row on their own
        fmts = marked if flags[i] else plain
        for j, v in enumerate(row):
            if v is None:
                ws_blank(r, j, None, fmts[j])  # keeps the grid, the fill and the unlocked answer cells explicit
            elif type(v) is str:
                ws_string(r, j, v, fmts[j])
            else:
                ws_number(r, j, v, fmts[j])

    r = n + top + 2  # one blank row between the table and the notes
    note_fmt = wb.add_format({"font_color": "#595959"})  # the highlight note only when some row is flagged
    for line in [*sheet.note_lines, *([sheet.highlight_note] if sheet.highlight_note and flags.any() else [])]:
        ws.write_string(r, 0, line, note_fmt)
        r += 1

    if ncol:
        ws.autofilter(top, 0, top + n, ncol - 1)
        last = top + max(n, sheet.input_rows)
        for j, c in enumerate(cols):
            if c.dropdown and last >= top + 1:
                ws.data_validation(top + 1, j, last, j, _validation(c.dropdown, lists))
    ws.freeze_panes(top + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(0, top)
    pages = pages_wide(widths)
    ws.fit_to_pages(pages, 0)
    if pages > 1:  # too wide for one page at reading size: pages side by side, the first column on each
        ws.repeat_columns(0, 0)
        ws.print_across()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if sheet.mark:
        ws.set_header(f"&L{sheet.mark}")
    if sheet.protect:
        # No password: the lock only prevents accidental edits. Sorting, filtering and column widths stay allowed.
        ws.protect("", {"sort": True, "autofilter": True, "format_columns": True})


_NUM_FORMAT = {"text": "@", "date": DATE_FORMAT, "int": "0", "number": "General"}
# Row heights. Excel and LibreOffice keep an explicit height, so it must hold every line: a line of 11-point Chinese
# text is about 16.5 points high in the CJK fonts (DengXian, Noto Sans CJK), and a line holds fewer characters than the
# column width says, because words and numbers ("粤人社规〔2023〕11号") are not broken and the cell has margins.
LINE_HEIGHT = 16.5  # points per line of 11-point CJK text
ROW_PADDING = 3.0  # points above and below the lines
LINE_FILL = 0.95  # share of a line that wrapped text fills: unbreakable numbers and words leave a gap at line ends
# A4 landscape, 0.4-inch margins: about 140 characters of column width at 100 %; fitted down to 75 % at most.
PAGE_WIDTH = 140.0
MIN_PRINT_SCALE = 0.75
FIT_MAX_WIDTH = PAGE_WIDTH / MIN_PRINT_SCALE


def pages_wide(widths: Sequence[float]) -> int:
    """Pages side by side a sheet of these column widths prints on, at :data:`MIN_PRINT_SCALE` or more (the first
    column is repeated on each page after the first)."""
    total = float(sum(widths))
    if total <= FIT_MAX_WIDTH or not widths:
        return 1
    first = float(widths[0])
    return int(np.ceil((total - first) / max(FIT_MAX_WIDTH - first, 1.0)))


def _lines(text: pd.Series, width: float) -> np.ndarray:
    """Lines each text takes in a column ``width`` characters wide (explicit line breaks count), vectorised."""
    text = text.astype(object).where(text.notna(), "").astype(str)
    if not len(text):
        return np.zeros(0)
    parts = text.str.split("\n").explode()
    display = (parts.str.len() + parts.str.count(_WIDE)).to_numpy(dtype=float)
    capacity = max((width - 1.0) * LINE_FILL, 1.0)
    per_part = pd.Series(np.maximum(np.ceil(display / capacity), 1.0), index=parts.index)
    return per_part.groupby(level=0, sort=False).sum().reindex(text.index).to_numpy()


def _row_heights(cols: Sequence[Col], values, widths: Sequence[float], n: int) -> np.ndarray:
    """Row heights (points) fitting the wrapped columns' text, 0 where one line is enough."""
    lines = np.ones(n)
    for c, vals, width in zip(cols, values, widths):
        if not c.wrap or not n:
            continue
        lines = np.maximum(lines, _lines(pd.Series(vals, dtype=object).reset_index(drop=True), width))
    return np.where(lines > 1, lines * LINE_HEIGHT + ROW_PADDING, 0.0)


def _validation(options: Sequence[object], lists: list[list[str]]) -> dict:
    items = [str(o) for o in options]
    rule = {"validate": "list", "error_type": "stop", "error_title": "输入有误", "error_message": "请从下拉列表中选择。"}
    if len(",".join(items)) <= 255 and not any("," in i for i in items):
        return dict(rule, source=items)
    lists.append(items)
    col = xl_col_to_name(len(lists) - 1)
    return dict(rule, source=f"='{LIST_SHEET}'!${col}$1:${col}${len(items)}")


def _mask(highlight, df: pd.DataFrame) -> np.ndarray:
    if highlight is None:
        return np.zeros(len(df), dtype=bool)
    if isinstance(highlight, pd.Series):
        highlight = highlight.reindex(df.index, fill_value=False)
    mask = np.asarray(pd.Series(highlight).fillna(False), dtype=bool)
    if len(mask) != len(df):
        raise ValueError(f"highlight 的长度 {len(mask)} 与数据行数 {len(df)} 不一致")
    return mask


def _fit_width(header: str, values: list, kind: str) -> float:
    head = text_width(pd.Series([header])) + 3  # room for the bold font and the filter button
    body = 10 if kind == "date" else (text_width(pd.Series(values, dtype=object)) if values else 0)
    if kind in ("int", "number"):  # counts under long names ("05 农村零转移就业原建档立卡贫困家庭人员"): the header wraps
        head = min(head, NUMBER_MAX_WIDTH)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, head, body + 2)))


# ---- values -------------------------------------------------------------------------------------------------------

def _convert(s: pd.Series, header: str, col: Col) -> tuple[str, list]:
    """The column's kind and its cells as str / float / None (None = blank)."""
    kind = col.kind if col.kind != "auto" else _infer(s, header)
    if kind == "date":
        return kind, _dates(s)
    if kind == "text":
        return kind, [None if _isna(v) else _text(v) for v in s.astype(object).tolist()]
    return kind, [None if _isna(v) else (float(v) if _is_number(v) else _text(v)) for v in s.astype(object).tolist()]


def _infer(s: pd.Series, header: str) -> str:
    if _TEXT_HEADER.search(header):
        return "text"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int"
    if pd.api.types.is_float_dtype(s.dtype):
        return "number"
    present = s.dropna()
    if len(present) and all(isinstance(v, (dt.date, pd.Timestamp)) for v in present):
        return "date"
    if len(present) and all(_is_number(v) for v in present):
        return "number"
    return "text"


def _dates(s: pd.Series) -> list:
    """Dates as Excel serial numbers (fast, and exactly what write_datetime stores); non-dates are kept as text."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        serial = (d.to_numpy(dtype="datetime64[ns]") - _EXCEL_EPOCH) / np.timedelta64(1, "D")
        return [None if np.isnan(x) else x for x in serial.tolist()]
    out = []
    for v in s.astype(object).tolist():
        if _isna(v):
            out.append(None)
        elif isinstance(v, (dt.date, pd.Timestamp)):
            t = pd.Timestamp(v).tz_localize(None) if getattr(v, "tzinfo", None) else pd.Timestamp(v)
            out.append((t.to_datetime64() - _EXCEL_EPOCH) / np.timedelta64(1, "D"))
        else:
            out.append(_text(v))  # the writer does not guess dates from text
    return out


def _text(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "是" if v else "否"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))  # 13800000000.0 → "13800000000"
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _is_number(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def _isna(v) -> bool:
    return v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v)
