"""Reading the 审验核实表 the towns send back (02 定期审验, phase collect), the way clerks really return them.

    returned = read_returns(folder, as_of=setup.as_of, params=setup.params)
    returned.rows      one row per non-blank data row of every readable file: where it is (文件, 工作表, 行号), its
                       核实编号 and 公民身份号码 as found, and each answer parsed with its original text and how it was
                       understood (下拉选项 / 同义词 / 无法识别 / 空白)
    returned.files     one row per file in the folder: sheet used, header row, rows, 报送日期, town named in the title,
                       modification and read times, state
    returned.notes     rows of a file that hold neither a 核实编号 nor an identity number (a clerk's note, a total)

Nothing here matches rows with the issued list (that is the analysis's reconciliation, jykn_lib.analyses.audit); this
module only finds the table and reads every cell without guessing:

- the table is found in any sheet (a renamed sheet, a copy) by its headers within the first rows, after the
  normalisation of the data contract and the header aliases of ``params/contract/return_answers.yaml``; title rows,
  merged header cells, a filter left on, re-sorted rows and inserted blank rows do not matter;
- .xlsx (also as saved by WPS), .xls and .csv open through the reader's engines (``engines.open_sheets``: calamine, xlrd as fallback), so an
  encrypted file or a web page renamed .xls is refused with the reader's Chinese message;
- identity numbers and dates go through the reader's cell parsers (a number Excel turned into 4.41802E+17 is
  reported, never repaired); answers are the dropdown's words, else a listed synonym, else 无法识别 with the text;
- 报送日期 is the cell to the right of (else below) a cell reading 报送日期, in any sheet.

Helpers of the reader used here: ``engines.open_sheets``, ``reader._fill_merged``,
``reader.FileError``, ``reader.HEADER_SCAN_ROWS``, ``reader.SUFFIXES``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas._libs import lib

from ..contract import Column, load_contract, normalize_header
from ..params import load_yaml
from .cells import Cells, Context, display, parse
from .engines import HEADER_SCAN_ROWS, FileError, open_sheets
from .reader import SUFFIXES, _fill_merged

ANSWER_FILE = "contract/return_answers.yaml"
SHEET = "核实表"
INFO_SHEET = "报送信息"
SUBMIT_LABEL = "报送日期"
SYSTEM_COLUMNS = ["序号", "核实编号", "姓名", "公民身份号码", "所属村居", "联系电话", "认定类别", "认定日期", "系统提示"]
ANSWER_COLUMNS = ["核实结果", "退出原因", "核实方式", "核实日期", "核实人", "备注"]
RESULTS = ["仍符合条件", "建议退出", "无法联系"]
STAY, EXIT, UNREACHABLE = RESULTS
METHODS = ["电话", "走访", "系统比对"]
# how a cell was understood
DROPDOWN, SYNONYM, IMPLIED, UNKNOWN, BLANK = "下拉选项", "同义词", "由文字推断", "无法识别", "空白"
READ_COLUMNS = ["核实编号", "姓名", "公民身份号码", *ANSWER_COLUMNS]
ROW_COLUMNS = ["文件", "工作表", "行号", "核实编号", "公民身份号码", "身份号码原值", "身份号码问题", "姓名",
               "result", "核实结果原值", "result_how", "reason", "退出原因原值", "reason_how", "method", "核实方式原值",
               "method_how", "verified_date", "核实日期原值", "date_problem", "核实人", "备注", "implied_reason"]
FILE_COLUMNS = ["文件", "工作表", "表头行", "数据行数", "说明行数", "空行数", "报送日期", "报送日期原值", "标题镇街",
                "修改时间", "读取时间", "状态", "说明"]
_ID_COLUMN = Column(field="id_number", header="公民身份号码", type="id", required=True)
_DATE_COLUMN = Column(field="date", header="核实日期", type="date")
_PUNCT = re.compile(r"[\s,，.。;；:：!！?？、'\"“”‘’()（）\[\]【】<>《》/\\|_\-—~～·]+")
_CODE = re.compile(r"^([EDed])\s*(\d{1,2})(?!\d)")


@dataclass
class Returns:
    rows: pd.DataFrame
    files: pd.DataFrame
    notes: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.rows.empty


# ------------------------------------------------------------------------------------------------ vocabulary


def key(text) -> str:
    """A cell's text for comparing answers: NFKC, no spaces or punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text))).strip()


def key_series(values: pd.Series) -> pd.Series:
    """:func:`key` of every cell, vectorised ('' for blanks)."""
    s = values.astype(object).where(values.notna(), "").astype(str)
    return s.str.normalize("NFKC").str.replace(_PUNCT, "", regex=True).str.strip()


def _per_unique(texts: list, fn, blank) -> list[np.ndarray]:
    """``fn`` applied once per distinct text (answers repeat: a handful of distinct values per column); ``fn``
    returns a tuple, and each of its places comes back as one array over the rows (``blank`` where missing)."""
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    results = [fn(u) for u in uniques] + [blank]  # the sentinel -1 takes the last: blank
    out = []
    for k in range(len(blank)):
        place = np.empty(len(results), dtype=object)
        place[:] = [r[k] for r in results]
        out.append(place[codes])
    return out


@dataclass(frozen=True)
class Vocabulary:
    """The words of the 核实表: header aliases, answers and their synonyms, exit codes and names."""

    headers: dict[str, str]  # normalised header → standard header
    results: dict[str, str]  # key → 仍符合条件 / 建议退出 / 无法联系
    methods: dict[str, str]
    implied: dict[str, str]  # key → exit code (free text that names the reason)
    codes: tuple[str, ...]  # the exit codes a town may answer
    names: dict[str, str]  # key of an exit name → code

    @classmethod
    def load(cls, params, on: dt.date) -> Vocabulary:
        raw = load_yaml(ANSWER_FILE, params.root) or {}
        contract = load_contract(params.root)
        headers: dict[str, str] = {}
        for std in [*SYSTEM_COLUMNS, *ANSWER_COLUMNS, SUBMIT_LABEL]:
            headers[normalize_header(std)] = std
        for alias in contract.header_synonyms.get("公民身份号码", ()):
            headers.setdefault(normalize_header(alias), "公民身份号码")
        for std, aliases in (raw.get("headers") or {}).items():
            for alias in aliases or ():
                headers.setdefault(normalize_header(alias), std)
        codes = tuple(str(c) for c in params["rules.exits.town_answer_codes"].at(on))
        reasons = params.reasons(on)
        names = {key(reasons[c].label): c for c in codes}
        implied = {}
        for code, words in (raw.get("implied_exit") or {}).items():
            if str(code) not in codes:
                raise ValueError(f"{ANSWER_FILE}：implied_exit 的代码 {code} 不是镇街可填报的退出原因（{'、'.join(codes)}）")
            implied.update({key(w): str(code) for w in words or ()})
        answers = raw.get("answers") or {}
        return cls(headers, _table(RESULTS, answers.get("核实结果")), _table(METHODS, answers.get("核实方式")), implied,
                   codes, names)

    def labels(self, params, on: dt.date) -> list[str]:
        """The 退出原因 dropdown: '代码 名称' for every code a town may answer."""
        reasons = params.reasons(on)
        return [f"{c} {reasons[c].label}" for c in self.codes]

    def result(self, text) -> tuple[str | None, str | None, str]:
        """(result, implied exit code, how) of a 核实结果 cell."""
        k = key(text)
        if not k:
            return None, None, BLANK
        if k in {key(r) for r in RESULTS}:
            return self.results[k], None, DROPDOWN
        if k in self.results:
            return self.results[k], None, SYNONYM
        if k in self.implied:
            return EXIT, self.implied[k], IMPLIED
        return None, None, UNKNOWN

    def reason(self, text) -> tuple[str | None, str]:
        """(code, how) of a 退出原因 cell: 'E5 已就业创业…', 'E5', a name, or a listed synonym."""
        s = unicodedata.normalize("NFKC", str(text)).strip()
        if not key(s):
            return None, BLANK
        m = _CODE.match(s)
        if m:
            code = f"{m.group(1).upper()}{int(m.group(2))}"
            rest = key(s[m.end():])
            if code in self.codes and (not rest or self.names.get(rest) == code):
                return code, DROPDOWN
            return None, UNKNOWN  # an unknown code, or a code with another reason's name: never guessed
        k = key(s)
        if k in self.names:
            return self.names[k], DROPDOWN
        if k in self.implied:
            return self.implied[k], SYNONYM
        return None, UNKNOWN

    def method(self, text) -> tuple[str | None, str]:
        k = key(text)
        if not k:
            return None, BLANK
        if k in {key(m) for m in METHODS}:
            return self.methods[k], DROPDOWN
        if k in self.methods:
            return self.methods[k], SYNONYM
        return None, UNKNOWN


def _table(standard: list[str], synonyms) -> dict[str, str]:
    out = {key(s): s for s in standard}
    for std, words in (synonyms or {}).items():
        if std not in standard:
            raise ValueError(f"{ANSWER_FILE}：“{std}”不是标准答案（{'、'.join(standard)}）")
        for w in words or ():
            if key(w) in out and out[key(w)] != std:
                raise ValueError(f"{ANSWER_FILE}：“{w}”同时是“{out[key(w)]}”和“{std}”的同义词")
            out[key(w)] = std
    return out


# ------------------------------------------------------------------------------------------------ reading


def list_files(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The workbooks in the folder (subfolders, temporary and hidden files are listed as ignored, with why)."""
    files, ignored = [], []
    for p in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        if p.is_dir():
            ignored.append((p.name + "/", "子文件夹，不读取（收回的核实表请直接放在该文件夹中）"))
        elif p.name.startswith("~$"):
            ignored.append((p.name, "Excel 临时锁定文件，不读取"))
        elif p.name.startswith("."):
            ignored.append((p.name, "隐藏文件，不读取"))
        elif p.suffix.lower() not in SUFFIXES:
            ignored.append((p.name, f"文件类型“{p.suffix or '无扩展名'}”不能读取（只读取 .xlsx、.xls、.csv）"))
        else:
            files.append(p)
    return files, ignored


def read_returns(folder, *, as_of: dt.date, params, clock: Callable[[], dt.datetime] | None = None) -> Returns:
    """Every returned workbook in ``folder``. A file that cannot be used is listed in ``files`` with its state."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"收回的核实表文件夹不存在：{folder}")
    vocab = Vocabulary.load(params, as_of)
    ctx = Context.load(as_of)
    clock = clock or dt.datetime.now
    paths, ignored = list_files(folder)
    rows, files, notes = [], [], []
    for path in paths:
        r, f, n = _read_one(path, vocab, ctx, clock)
        rows.append(r)
        files.append(f)
        notes.append(n)
    for name, why in ignored:
        files.append({"文件": name, "状态": "未读取", "说明": why})
    files = pd.DataFrame(files, columns=FILE_COLUMNS)
    files["报送日期"] = pd.to_datetime(files["报送日期"])
    for c in ("表头行", "数据行数", "说明行数", "空行数"):
        files[c] = pd.array(files[c], dtype="Int64")
    rows = pd.concat(rows, ignore_index=True) if rows else _empty_rows()
    notes = pd.concat(notes, ignore_index=True) if notes else pd.DataFrame(columns=["文件", "工作表", "行号", "原值"])
    return Returns(rows.reset_index(drop=True), files, notes.reset_index(drop=True))


def _empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_COLUMNS})
    frame["行号"] = pd.array([], dtype="Int64")
    frame["verified_date"] = pd.Series(dtype="datetime64[ns]")
    return frame


def _read_one(path: Path, vocab: Vocabulary, ctx: Context, clock) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    st = path.stat()
    info = {"文件": path.name, "修改时间": dt.datetime.fromtimestamp(st.st_mtime).strftime("%Y-%m-%d %H:%M:%S"),
            "读取时间": clock().strftime("%Y-%m-%d %H:%M:%S")}
    empty = (_empty_rows(), pd.DataFrame(columns=["文件", "工作表", "行号", "原值"]))
    try:
        sheets, _encoding, _from_csv = open_sheets(path, path.name)
    except FileError as exc:
        return empty[0], {**info, "状态": "无法读取", "说明": exc.message}, empty[1]
    found = _locate(sheets, vocab)
    submitted, submitted_raw = _submit_date(sheets, vocab, ctx)
    towns = _title_towns(sheets, ctx)
    info.update({"报送日期": submitted, "报送日期原值": submitted_raw, "标题镇街": "、".join(towns)})
    if found is None:
        return empty[0], {**info, "状态": "找不到核实表",
                          "说明": "任何工作表的前30行中都找不到核实表的表头（应有“核实编号”或“公民身份号码”，以及“核实结果”）"}, empty[1]
    sheet, header_at, columns = found
    data = sheet.rows()[header_at + 1:]
    width = max(columns.values()) + 1
    grid = lib.to_object_array(data, min_width=width) if data else np.empty((0, width), dtype=object)
    cells = {h: Cells(np.ascontiguousarray(grid[:, j])) for h, j in columns.items()}
    all_blank = np.ones(len(grid), dtype=bool)
    for j in range(grid.shape[1]):
        all_blank &= Cells(np.ascontiguousarray(grid[:, j])).blank
    last = int(np.flatnonzero(~all_blank)[-1]) + 1 if (~all_blank).any() else 0
    excel_row = np.arange(last) + header_at + 2
    has_key = np.zeros(last, dtype=bool)
    for h in ("核实编号", "公民身份号码"):
        if h in cells:
            has_key |= ~cells[h].blank[:last]
    keep = np.flatnonzero(has_key)
    note_at = np.flatnonzero(~has_key & ~all_blank[:last])
    notes = pd.DataFrame({"文件": path.name, "工作表": sheet.name, "行号": excel_row[note_at],
                          "原值": [" ".join(display(v) for v in grid[i] if display(v).strip()) for i in note_at]})
    frame = _parse_rows(cells, keep, vocab, ctx)
    frame.insert(0, "行号", pd.array(excel_row[keep], dtype="Int64"))
    frame.insert(0, "工作表", sheet.name)
    frame.insert(0, "文件", path.name)
    info.update({"工作表": sheet.name, "表头行": header_at + 1, "数据行数": len(keep), "说明行数": len(note_at),
                 "空行数": int(all_blank[:last].sum()), "状态": "已读取",
                 "说明": "" if sheet.name == SHEET else f"工作表名称为“{sheet.name}”（下发时为“{SHEET}”），按表头找到"})
    return frame[ROW_COLUMNS], info, notes


def _locate(sheets, vocab: Vocabulary):
    """(sheet, header row, standard header → column) of the best 核实表 table in the file, or None."""
    best = None
    for order, sheet in enumerate(sheets):
        head = _fill_merged(sheet.head, sheet.merged)
        for r, row in enumerate(head[:HEADER_SCAN_ROWS]):
            columns: dict[str, int] = {}
            for j, v in enumerate(row):
                std = vocab.headers.get(normalize_header(v)) if isinstance(v, str) and v.strip() else None
                if std in READ_COLUMNS and std not in columns:
                    columns[std] = j
            if "核实结果" not in columns or not ({"核实编号", "公民身份号码"} & set(columns)):
                continue
            score = (len(columns), sheet.visible, -order)
            if best is None or score > best[0]:
                best = (score, sheet, r, columns)
    return None if best is None else best[1:]


def _parse_rows(cells: dict[str, Cells], keep: np.ndarray, vocab: Vocabulary, ctx: Context) -> pd.DataFrame:
    n = len(keep)

    def text(h: str) -> list:
        if h not in cells:
            return [None] * n
        t = pd.Series(cells[h].text[keep], dtype=object)
        return t.where(t.isna(), t.astype(str).str.normalize("NFKC").str.strip()).tolist()

    def raw(h: str) -> list[str]:
        return cells[h].display_at(keep) if h in cells else [""] * n

    out = pd.DataFrame({"核实编号": pd.Series(text("核实编号"), dtype=object)})
    if "公民身份号码" in cells:
        sub = _subset(cells["公民身份号码"], keep)
        parsed = parse(_ID_COLUMN, sub, ctx)
        out["公民身份号码"] = parsed.values.astype(object).where(parsed.values.notna(), None).to_numpy()
        out["身份号码问题"] = np.where(sub.blank, None, parsed.error)
    else:
        out["公民身份号码"] = None
        out["身份号码问题"] = None
    out["身份号码原值"] = raw("公民身份号码")
    out["姓名"] = text("姓名")
    result, implied, result_how = _per_unique(text("核实结果"), vocab.result, (None, None, BLANK))
    out["result"] = result
    out["result_how"] = result_how
    out["核实结果原值"] = raw("核实结果")
    reason, reason_how = _per_unique(text("退出原因"), vocab.reason, (None, BLANK))
    out["reason"] = reason
    out["reason_how"] = reason_how
    # free text in 核实结果 that names the reason ("已就业") stands for the reason when 退出原因 is blank
    fill = (implied != None) & (reason_how == BLANK)  # noqa: E711 — elementwise, as `is not None`
    out.loc[fill, "reason"] = implied[fill]
    out.loc[fill, "reason_how"] = IMPLIED
    out["implied_reason"] = implied
    out["退出原因原值"] = raw("退出原因")
    method, method_how = _per_unique(text("核实方式"), vocab.method, (None, BLANK))
    out["method"] = method
    out["method_how"] = method_how
    out["核实方式原值"] = raw("核实方式")
    if "核实日期" in cells:
        sub = _subset(cells["核实日期"], keep)
        parsed = parse(_DATE_COLUMN, sub, ctx)
        out["verified_date"] = pd.to_datetime(parsed.values).to_numpy()
        out["date_problem"] = np.where(sub.blank, "R_NO_DATE", np.where(parsed.error != None, "R_DATE_INVALID", None))  # noqa: E711
    else:
        out["verified_date"] = pd.NaT
        out["date_problem"] = "R_NO_DATE"
    out["核实日期原值"] = raw("核实日期")
    out["核实人"] = text("核实人")
    out["备注"] = text("备注")
    return out


def _subset(cells: Cells, keep: np.ndarray) -> Cells:
    return Cells(np.ascontiguousarray(np.asarray(cells.raw, dtype=object)[keep]))


def _submit_date(sheets, vocab: Vocabulary, ctx: Context) -> tuple[pd.Timestamp | None, str]:
    """The value beside (else below) the first cell reading 报送日期, in any sheet; (date or None, original text)."""
    target = normalize_header(SUBMIT_LABEL)
    for sheet in sheets:
        rows = sheet.head
        for r, row in enumerate(rows):
            for j, v in enumerate(row):
                label = normalize_header(v) if isinstance(v, str) else ""
                if vocab.headers.get(label) != SUBMIT_LABEL and not label.startswith(target):
                    continue
                rest = unicodedata.normalize("NFKC", v).split(SUBMIT_LABEL, 1)[-1].strip(" ：:")
                inline = rest if label != target and re.search(r"\d", rest) else ""  # "报送日期：2026-10-28"
                right = [x for x in row[j + 1:] if display(x).strip()]
                below = rows[r + 1][j] if r + 1 < len(rows) and j < len(rows[r + 1]) else None
                value = inline or (right[0] if right else (below if display(below).strip() else None))
                if value is None:
                    return None, ""
                parsed = parse(_DATE_COLUMN, Cells(np.array([value], dtype=object)), ctx)
                day = parsed.values.iloc[0]
                return (None if pd.isna(day) else pd.Timestamp(day)), display(value)
    return None, ""


def _title_towns(sheets, ctx: Context) -> list[str]:
    """Town names written in the first rows of any sheet (the title, 报送信息's 镇街), in district order."""
    text = " ".join(display(v) for s in sheets for row in s.head[:6] for v in row if isinstance(v, str))
    return [t for t in ctx.town_names if t in text]


# ------------------------------------------------------------------------------------------------ reconciling

PROBLEM_COLUMNS = ["所属镇街", "文件", "工作表", "行号", "核实编号", "公民身份号码", "姓名", "列", "原值", "问题代码",
                   "问题类型", "问题说明", "处理"]
USED, NOT_USED, MERGED, TO_FIX, NOTE = "已使用", "未使用", "已合并", "需镇街补报", "仅提示"
RETURNED, ROW_MISSING, TOWN_MISSING = "已返回", "未返回（镇街返回的文件中没有此行）", "未返回（镇街未返回核实表）"
CONFIRMED, PENDING = "确认退出", "待补正"


@dataclass
class Reconciled:
    rows: pd.DataFrame  # every returned row, with 所属镇街 (of its file), 匹配核实编号, 匹配方式, 处理
    files: pd.DataFrame  # every file, with 所属镇街, 使用, 使用说明, 按时
    outcome: pd.DataFrame  # one row per issued row: 返回状态, the answer used, 结论
    problems: pd.DataFrame


def _problems(frame: pd.DataFrame, code: str, reasons, message, handling: str, column: str = "（整行）",
              original=None) -> pd.DataFrame:
    """Problem rows for the returned rows (or files) of ``frame``; message/original: scalars or aligned arrays."""
    n = len(frame)
    if not n:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    get = lambda c: frame[c].to_numpy() if c in frame else np.full(n, None, dtype=object)  # noqa: E731
    return pd.DataFrame({
        "所属镇街": get("所属镇街"), "文件": get("文件"), "工作表": get("工作表"), "行号": get("行号"),
        "核实编号": get("核实编号"), "公民身份号码": get("公民身份号码"), "姓名": get("姓名"), "列": column,
        "原值": original if original is not None else "", "问题代码": code, "问题类型": reasons[code].label,
        "问题说明": message, "处理": handling})


def _signature(rows: pd.DataFrame) -> pd.Series:
    parts = [rows[c].astype(object).where(rows[c].notna(), "").astype(str)
             for c in ("result", "reason", "method", "verified_date", "核实人")]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out


def reconcile(issued: pd.DataFrame, returned: Returns, *, issue_day: dt.date, due: dt.date, as_of: dt.date,
              params) -> Reconciled:
    """Match every returned row with the issued rows (on 核实编号, cross-checked with 公民身份号码; with 姓名 when the
    identity number is blank or unreadable), choose one file per town, check every answer. Never guesses: a row that
    does not match exactly is listed and not used."""
    reasons = params.reasons(as_of)
    iss = issued[["核实编号", "公民身份号码", "姓名", "所属镇街"]].reset_index(drop=True)
    by_no = iss.set_index("核实编号")
    by_id = iss.set_index("公民身份号码")
    rows = returned.rows.copy()
    files = returned.files.copy()
    out: list[pd.DataFrame] = []

    # -- the town of each file: the towns of its rows (by number, else identity), else the one its title names
    town_of_row = rows["核实编号"].map(by_no["所属镇街"]).fillna(rows["公民身份号码"].map(by_id["所属镇街"]))
    named = town_of_row.dropna().groupby(rows.loc[town_of_row.notna(), "文件"]).agg(lambda t: t.value_counts().index[0])
    files["所属镇街"] = files["文件"].map(named).astype(object)
    single = files["标题镇街"].fillna("").where(~files["标题镇街"].fillna("").str.contains("、"), "")
    files["所属镇街"] = files["所属镇街"].fillna(single.replace("", None))
    readable = files["状态"] == "已读取"
    files["使用"] = NOT_USED
    files["使用说明"] = files["说明"].fillna("")
    for state, code in (("无法读取", "R_FILE_UNREADABLE"), ("找不到核实表", "R_FILE_NO_TABLE")):
        bad = files[files["状态"] == state]
        out.append(_problems(bad, code, reasons, bad["说明"].to_numpy(), NOT_USED))
    unknown = files[readable & files["所属镇街"].isna()]
    files.loc[unknown.index, "使用说明"] = "文件中没有一行的核实编号或公民身份号码在下发名单中，标题也未写明镇街"
    out.append(_problems(unknown, "R_FILE_TOWN_UNKNOWN", reasons, files.loc[unknown.index, "使用说明"].to_numpy(),
                         NOT_USED))

    # -- one file per town: the latest 报送日期, then the most answered rows, then the file name
    answered = rows[rows["result_how"] != BLANK].groupby("文件").size()
    cand = files[readable & files["所属镇街"].notna()].copy()
    cand["_answered"] = cand["文件"].map(answered).fillna(0).astype(int)
    cand["_day"] = cand["报送日期"].fillna(pd.Timestamp.min)
    cand = cand.sort_values(["所属镇街", "_day", "_answered", "文件"], kind="stable")
    winners = cand.drop_duplicates("所属镇街", keep="last").set_index("所属镇街")
    files.loc[files["文件"].isin(winners["文件"]), "使用"] = USED
    for i in cand.index[~cand["文件"].isin(winners["文件"])]:
        me, win = cand.loc[i], winners.loc[cand.loc[i, "所属镇街"]]
        if me["_day"] != win["_day"]:
            why = f"报送日期较晚（{_day_text(win['报送日期'])}，本文件 {_day_text(me['报送日期'])}）"
        elif me["_answered"] != win["_answered"]:
            why = f"报送日期相同，已填核实结果的行较多（{win['_answered']} 行，本文件 {me['_answered']} 行）"
        else:
            why = "报送日期和已填行数都相同，取文件名排在后面的一个"
        files.loc[i, "使用说明"] = f"同一镇街另有文件“{win['文件']}”被采用：{why}"
        out.append(_problems(files.loc[[i]], "R_FILE_SUPERSEDED", reasons, files.loc[i, "使用说明"], NOT_USED))
    used_files = files.loc[files["使用"] == USED, ["文件", "所属镇街"]]
    rows["所属镇街"] = rows["文件"].map(files.set_index("文件")["所属镇街"])
    rows["文件已使用"] = rows["文件"].isin(used_files["文件"])
    late = files["使用"] == USED
    files["按时"] = np.where(~late, "", np.where(files["报送日期"].isna(), "未填报送日期",
                                               np.where(files["报送日期"] > pd.Timestamp(due), "逾期", "按时")))
    f_late = files[files["按时"] == "逾期"]
    out.append(_problems(f_late, "R_LATE", reasons, "报送日期 " + f_late["报送日期"].dt.strftime("%Y-%m-%d")
                         + f"，截止日期 {due:%Y-%m-%d}", USED, "报送日期", f_late["报送日期原值"].to_numpy()))
    f_none = files[files["按时"] == "未填报送日期"]
    out.append(_problems(f_none, "R_NO_SUBMIT_DATE", reasons, "报送信息中的报送日期为空或无法识别", USED, "报送日期",
                         f_none["报送日期原值"].to_numpy()))
    notes = returned.notes[returned.notes["文件"].isin(used_files["文件"])].copy()
    notes["所属镇街"] = notes["文件"].map(used_files.set_index("文件")["所属镇街"])
    out.append(_problems(notes, "R_NOTE_ROW", reasons, "该行作为说明行，未使用", NOT_USED, original=notes["原值"].to_numpy()))

    # -- matching the rows of the used files
    live = rows[rows["文件已使用"]].copy()
    no = live["核实编号"]
    known = no.isin(by_no.index)
    want_id = no.map(by_no["公民身份号码"])
    want_name = no.map(by_no["姓名"])
    pid = live["公民身份号码"]
    id_ok = pid.notna() & (pid == want_id)
    id_missing = pid.isna()
    name_ok = key_series(live["姓名"]) == key_series(want_name)
    by_pid = pid.isin(by_id.index)
    how = np.select([known & id_ok, known & id_missing & name_ok, known, no.isna() & by_pid, by_pid],
                    ["核实编号和公民身份号码", "核实编号和姓名（公民身份号码无法识别）", "mismatch", "公民身份号码（核实编号为空）",
                     "mismatch"], "not_issued")
    live["匹配方式"] = how
    live["匹配核实编号"] = np.where(known, no, pid.map(by_id["核实编号"]))
    live.loc[np.isin(how, ["mismatch", "not_issued"]), "匹配核实编号"] = None
    mism = live[how == "mismatch"]
    expected = np.where(mism["核实编号"].isin(by_no.index), "核实编号“" + mism["核实编号"].fillna("") + "”下发给“"
                        + mism["核实编号"].map(by_no["姓名"]).fillna("") + "”，身份号码不是本行的号码",
                        "核实编号“" + mism["核实编号"].fillna("") + "”不在下发名单中，身份号码属于核实编号“"
                        + mism["公民身份号码"].map(by_id["核实编号"]).fillna("") + "”")
    out.append(_problems(mism, "R_ID_MISMATCH", reasons, expected, TO_FIX, "公民身份号码",
                         mism["身份号码原值"].to_numpy()))
    stray = live[how == "not_issued"]
    out.append(_problems(stray, "R_NOT_ISSUED", reasons, "核实编号和公民身份号码都不在本期下发名单中", NOT_USED,
                         original=stray["核实编号"].fillna(stray["身份号码原值"]).to_numpy()))
    by_name = live[how == "核实编号和姓名（公民身份号码无法识别）"]
    msg = (np.where(by_name["身份号码原值"].fillna("") == "", "公民身份号码为空", "公民身份号码无法识别")
           + "，按核实编号和姓名核对一致后使用")
    out.append(_problems(by_name, "R_ID_UNREADABLE", reasons, msg, USED, "公民身份号码", by_name["身份号码原值"].to_numpy()))
    matched = live[live["匹配核实编号"].notna()].copy()
    other = matched[matched["匹配核实编号"].map(by_no["所属镇街"]) != matched["所属镇街"]]
    out.append(_problems(other, "R_OTHER_TOWN", reasons, "本行下发给" + other["匹配核实编号"].map(by_no["所属镇街"]),
                         USED))

    # -- the same issued row returned more than once
    matched["_sig"] = _signature(matched)
    grp = matched.groupby("匹配核实编号")["_sig"]
    n_sig, size = grp.transform("nunique"), grp.transform("size")
    conflict = matched[(size > 1) & (n_sig > 1)]
    out.append(_problems(conflict, "R_DUPLICATE_CONFLICT", reasons, "同一核实编号返回 " + size[conflict.index].astype(str)
                         + " 行，答案不同，均未使用", TO_FIX))
    same = matched[(size > 1) & (n_sig == 1) & matched.duplicated("匹配核实编号", keep="first")]
    out.append(_problems(same, "R_DUPLICATE_SAME", reasons, "与同一核实编号的另一行答案相同，已合并", MERGED))
    one = matched[~matched.index.isin(conflict.index) & ~matched.index.isin(same.index)].copy()

    # -- the answers
    usable = pd.Series(True, index=one.index)
    blank_res = one[one["result_how"] == BLANK]
    out.append(_problems(blank_res, "R_NO_ANSWER", reasons, "核实结果为空", TO_FIX, "核实结果"))
    unknown_res = one[one["result_how"] == UNKNOWN]
    out.append(_problems(unknown_res, "R_ANSWER_UNKNOWN", reasons, "核实结果“" + unknown_res["核实结果原值"] + "”不是下拉选项"
                         "，也不是已登记的同义词", TO_FIX, "核实结果", unknown_res["核实结果原值"].to_numpy()))
    usable[blank_res.index.union(unknown_res.index)] = False
    syn = one[one["result_how"].isin([SYNONYM, IMPLIED])]
    out.append(_problems(syn, "R_ANSWER_SYNONYM", reasons, "“" + syn["核实结果原值"] + "”按“" + syn["result"].fillna("")
                         + "”识别" + np.where(syn["implied_reason"].notna(), "，退出原因按“"
                                              + syn["implied_reason"].fillna("") + "”", ""), USED, "核实结果",
                         syn["核实结果原值"].to_numpy()))
    exiting = one["result"] == EXIT
    explicit = one["reason_how"].isin([DROPDOWN, SYNONYM])
    contra = one[(exiting & one["implied_reason"].notna() & explicit & (one["implied_reason"] != one["reason"]))
                 | (one["result"].isin([STAY, UNREACHABLE]) & (one["reason_how"] != BLANK))]
    out.append(_problems(contra, "R_REASON_CONFLICT", reasons, "核实结果“" + contra["核实结果原值"] + "”，退出原因“"
                         + contra["退出原因原值"] + "”", TO_FIX, "退出原因", contra["退出原因原值"].to_numpy()))
    usable[contra.index] = False
    bad_reason = one[exiting & one["reason"].isna() & ~one.index.isin(contra.index)]
    unk = bad_reason[bad_reason["reason_how"] == UNKNOWN]
    out.append(_problems(unk, "R_REASON_UNKNOWN", reasons, "退出原因“" + unk["退出原因原值"] + "”不是下拉选项，也不是已登记的同义词",
                         TO_FIX, "退出原因", unk["退出原因原值"].to_numpy()))
    out.append(_problems(bad_reason, "R_REASON_MISSING", reasons, "核实结果为建议退出，但没有可识别的退出原因：本期不退出",
                         TO_FIX, "退出原因", bad_reason["退出原因原值"].to_numpy()))
    usable[bad_reason.index] = False
    rsyn = one[exiting & (one["reason_how"] == SYNONYM)]
    out.append(_problems(rsyn, "R_REASON_SYNONYM", reasons, "“" + rsyn["退出原因原值"] + "”按“" + rsyn["reason"] + "”识别",
                         USED, "退出原因", rsyn["退出原因原值"].to_numpy()))
    answered_rows = one[usable]
    meth = answered_rows[answered_rows["method_how"] == UNKNOWN]
    out.append(_problems(meth, "R_METHOD_UNKNOWN", reasons, "核实方式“" + meth["核实方式原值"] + "”无法识别", USED, "核实方式",
                         meth["核实方式原值"].to_numpy()))
    for code in ("R_NO_DATE", "R_DATE_INVALID"):
        sub = answered_rows[answered_rows["date_problem"] == code]
        out.append(_problems(sub, code, reasons, reasons[code].label, USED, "核实日期", sub["核实日期原值"].to_numpy()))
    day = pd.to_datetime(answered_rows["verified_date"])
    outside = answered_rows[day.notna() & ((day < pd.Timestamp(issue_day)) | (day > pd.Timestamp(as_of)))]
    out.append(_problems(outside, "R_DATE_OUTSIDE", reasons, f"下发日 {issue_day:%Y-%m-%d}，收回日 {as_of:%Y-%m-%d}",
                         USED, "核实日期", outside["核实日期原值"].to_numpy()))
    nov = answered_rows[answered_rows["核实人"].isna()]
    out.append(_problems(nov, "R_NO_VERIFIER", reasons, "核实人为空", USED, "核实人"))

    # -- one outcome per issued row
    towns_back = set(used_files["所属镇街"])
    back = set(live["匹配核实编号"].dropna()) | set(live.loc[how == "mismatch", "核实编号"].dropna()) & set(by_no.index)
    outcome = issued[["核实编号", "所属镇街", "姓名", "公民身份号码", "信号代码"]].copy()
    status = np.where(outcome["核实编号"].isin(back), RETURNED,
                      np.where(outcome["所属镇街"].isin(towns_back), ROW_MISSING, TOWN_MISSING))
    outcome["返回状态"] = status
    names = {"result": "核实结果", "reason": "退出原因", "method": "核实方式", "verified_date": "核实日期", "核实人": "核实人",
             "备注": "备注", "文件": "来源文件", "行号": "来源行号"}
    ans = answered_rows.set_index("匹配核实编号")[list(names)].rename(columns=names)
    outcome = outcome.merge(ans, left_on="核实编号", right_index=True, how="left")
    outcome["来源行号"] = pd.array(outcome["来源行号"], dtype="Int64")
    outcome["核实日期"] = pd.to_datetime(outcome["核实日期"])
    outcome["结论"] = np.select([outcome["核实结果"] == EXIT, outcome["核实结果"] == STAY,
                               outcome["核实结果"] == UNREACHABLE, outcome["返回状态"] == RETURNED],
                              [CONFIRMED, STAY, UNREACHABLE, PENDING], "未返回")
    miss = outcome[outcome["返回状态"] == ROW_MISSING]
    out.append(_problems(miss, "R_ROW_MISSING", reasons, "镇街已返回核实表，但其中没有这一行（可能被删除）", TO_FIX))
    gone = outcome[outcome["返回状态"] == TOWN_MISSING].drop_duplicates("所属镇街")
    n_gone = outcome[outcome["返回状态"] == TOWN_MISSING].groupby("所属镇街").size()
    out.append(_problems(gone[["所属镇街"]], "R_TOWN_MISSING", reasons,
                         "下发 " + gone["所属镇街"].map(n_gone).astype(str) + " 行，未收到该镇街的核实表", TO_FIX))

    rows["匹配核实编号"] = live["匹配核实编号"].reindex(rows.index)
    rows["匹配方式"] = live["匹配方式"].reindex(rows.index).fillna("（文件未使用）")
    rows["处理"] = np.where(rows.index.isin(answered_rows.index), USED,
                          np.where(rows.index.isin(same.index), MERGED, NOT_USED))
    problems = pd.concat([p for p in out if len(p)], ignore_index=True) if any(len(p) for p in out) else \
        pd.DataFrame(columns=PROBLEM_COLUMNS)
    problems["行号"] = pd.array(problems["行号"], dtype="Int64")
    return Reconciled(rows.drop(columns=["文件已使用"]), files, outcome.reset_index(drop=True), problems)


def _day_text(value) -> str:
    return "未填" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
