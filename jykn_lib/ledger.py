"""Versions of the 就业困难人员台账: exits and new recognitions applied to a NEW ledger, with its 变更记录.

The input ledger is never modified. A new version holds one row per recognition (a person who exited and is
recognised again has a new 有效 row; the old one stays 已退出) and a 变更记录 sheet with one row per changed field:
what decided it (a district rule with its code, a town's answer, a recognition), the evidence, the file and row it
came from, and the old and new values. The change log carries the earlier versions' rows too (read from the input
ledger's own 变更记录 sheet), so one file holds the ledger's history. Applying the same changes twice changes nothing
the second time: a change whose new value is already there is not a change.

    ledger = ledger_rows(dataset)                               # the input ledger, every row, in contract fields
    ledger, log = apply_exits(ledger, exits, version="2026Q4审验", on=as_of)
    ledger, log2 = add_recognitions(ledger, recognised, version="2026-11-26认定", on=as_of)
    previous = read_change_log(dataset)                         # the input ledger's 变更记录 (may be empty)
    sheets = version_sheets(setup, ledger, pd.concat([log, log2]), previous)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .io.writer import Col, Sheet
from .rowtext import cell_texts

LEDGER_SHEET = "就业困难人员台账"
CHANGES_SHEET = "变更记录"
CHANGE_COLUMNS = ["版本", "变更日期", "公民身份号码", "姓名", "所属镇街", "变更类型", "字段", "原值", "新值",
                  "决定依据", "证据", "来源文件", "来源行号"]
EXIT_FIELDS = {"status": "状态", "exit_date": "退出日期", "exit_reason": "退出原因"}
ACTIVE, EXITED = "有效", "已退出"


def _contract(params):
    return params.contract["ledger"]


def ledger_rows(dataset, params) -> pd.DataFrame:
    """Every row of the input ledger (all recognitions, conflicting ones included) in contract fields, plus the
    file and Excel row it came from (``_file``, ``_row``)."""
    fields = _contract(params).fields
    rows = dataset.all_rows.get("ledger")
    if rows is None:
        return pd.DataFrame({f: pd.Series(dtype=object) for f in fields + ["_file", "_row"]})
    return rows[fields + ["_file", "_row"]].reset_index(drop=True)


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA:
        return ""
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _str(values: pd.Series) -> np.ndarray:
    """``str`` of every value (None → 'None', NaN → 'nan', as an f-string writes them)."""
    return values.to_numpy(dtype=object).astype(str).astype(object)


def _log(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    frame["来源行号"] = pd.array(frame["来源行号"], dtype="Int64")
    return frame


def _log_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A change log from columns (one row per change), typed as ``_log`` types it."""
    out = pd.DataFrame({c: frame[c].to_numpy(dtype=object) for c in CHANGE_COLUMNS})
    out["来源行号"] = pd.array(out["来源行号"], dtype="Int64")
    return out


def apply_exits(ledger: pd.DataFrame, exits: pd.DataFrame, *, version: str, on: dt.date) -> tuple[pd.DataFrame,
                                                                                                    pd.DataFrame]:
    """Exit each person's 有效 row. ``exits``: id_number, exit_date, exit_reason (code), basis (决定依据, Chinese),
    evidence, source_file, source_row. A person without a 有效 row is skipped (already exited: nothing to change).
    Returns the new ledger (a copy) and the change log of this version."""
    out = ledger.copy()
    out["exit_date"] = pd.to_datetime(out["exit_date"])
    out[["status", "exit_reason"]] = out[["status", "exit_reason"]].astype(object)
    active = out.index[out["status"] == ACTIVE]
    where = pd.Series(active, index=out.loc[active, "id_number"].astype(str).to_numpy())
    where = where[~where.index.duplicated(keep="last")]  # two 有效 rows are a conflict the reader reported
    e = exits.reset_index(drop=True)
    pid = e["id_number"].astype(str)
    e = e.assign(_pid=pid, _i=pid.map(where), _pos=np.arange(len(e)))
    e = e[e["_i"].notna()]
    e["_i"] = e["_i"].astype(np.int64)
    e["_round"] = e.groupby("_pid", sort=False).cumcount()
    parts = []
    # a person exited twice in one call: each later exit sees the earlier one's values (rounds are bounded by the
    # number of exits of one person, not by the people)
    for _, r in e.groupby("_round", sort=True):
        parts += _exit_round(out, r)
    if not parts:
        return out, _log([])
    log = pd.concat(parts, ignore_index=True).sort_values(["_pos", "_f"], kind="stable")  # exit order, then field
    return out, _log_frame(log.assign(版本=version, 变更日期=on.isoformat()))


def _exit_round(out: pd.DataFrame, e: pd.DataFrame) -> list[pd.DataFrame]:
    """One exit per person (rows ``e._i`` of ``out``): set the changed fields in place, return their log rows."""
    idx = e["_i"].to_numpy()
    new = {"status": pd.Series(EXITED, index=e.index, dtype=object),
           "exit_date": pd.Series(pd.to_datetime(pd.Series(e["exit_date"].to_numpy(dtype=object))).to_numpy(),
                                  index=e.index),
           "exit_reason": e["exit_reason"].astype(object)}
    n = len(e)
    source_file = e["source_file"].to_numpy(dtype=object) if "source_file" in e else np.full(n, "", dtype=object)
    source_file = np.where(source_file.astype(bool), source_file, "")  # `value or ""`: a NaN stays, as it did
    source_row = e["source_row"].to_numpy(dtype=object) if "source_row" in e else np.full(n, None, dtype=object)
    parts = []
    for k, (fld, header) in enumerate(EXIT_FIELDS.items()):
        old = out.loc[idx, fld].reset_index(drop=True)
        old_text, new_text = cell_texts(old).to_numpy(), cell_texts(new[fld]).to_numpy()
        changed = old_text != new_text
        if not changed.any():
            continue
        at = idx[changed]
        parts.append(pd.DataFrame({
            "公民身份号码": e["_pid"].to_numpy()[changed],
            "姓名": out.loc[at, "name"].to_numpy(dtype=object), "所属镇街": out.loc[at, "town"].to_numpy(dtype=object),
            "变更类型": "退出", "字段": header, "原值": old_text[changed], "新值": new_text[changed],
            "决定依据": e["basis"].to_numpy(dtype=object)[changed], "证据": e["evidence"].to_numpy(dtype=object)[changed],
            "来源文件": source_file[changed], "来源行号": source_row[changed],
            "_pos": e["_pos"].to_numpy()[changed], "_f": k}))
        out.loc[at, fld] = new[fld].to_numpy()[changed]
    return parts


def add_recognitions(ledger: pd.DataFrame, new_rows: pd.DataFrame, *, version: str, on: dt.date) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Append a 有效 row per recognition (contract fields, plus basis, evidence, source_file, source_row). A person
    already 有效 is not recognised twice (skipped); an earlier 已退出 row stays as it is."""
    active = set(ledger.loc[ledger["status"] == ACTIVE, "id_number"].astype(str))
    fresh = new_rows[~new_rows["id_number"].astype(str).isin(active)].drop_duplicates("id_number")
    rows = fresh.reindex(columns=ledger.columns.drop(["_file", "_row"], errors="ignore"))
    rows["status"] = ACTIVE
    rows["_file"] = ""
    rows["_row"] = pd.NA
    out = pd.concat([ledger, rows[ledger.columns]], ignore_index=True)
    f = fresh.reset_index(drop=True)
    log = pd.DataFrame({
        "版本": version, "变更日期": on.isoformat(), "公民身份号码": f["id_number"].astype(str).to_numpy(dtype=object),
        "姓名": f["name"].to_numpy(dtype=object), "所属镇街": f["town"].to_numpy(dtype=object), "变更类型": "新增认定",
        "字段": "（整行）", "原值": "",
        "新值": ("认定类别 " + _str(f["categories"]) + "，认定日期 "
                 + cell_texts(f["recognised_date"]).to_numpy(dtype=object)),
        "决定依据": f["basis"].to_numpy(dtype=object), "证据": f["evidence"].to_numpy(dtype=object),
        "来源文件": f["source_file"].to_numpy(dtype=object), "来源行号": f["source_row"].to_numpy(dtype=object)},
        index=range(len(f)))
    return out, _log_frame(log) if len(log) else _log([])


def read_change_log(path: Path | None) -> pd.DataFrame:
    """The 变更记录 sheet of a ledger written by the suite (earlier versions' history); empty when there is none."""
    empty = _log([])
    if path is None or not Path(path).suffix.lower().startswith(".xls"):
        return empty
    from python_calamine import load_workbook

    wb = load_workbook(str(path))
    if CHANGES_SHEET not in wb.sheet_names:
        return empty
    rows = wb.get_sheet_by_name(CHANGES_SHEET).to_python(skip_empty_area=False)
    header_at = next((i for i, r in enumerate(rows[:10]) if "字段" in r and "公民身份号码" in r), None)
    if header_at is None:
        return empty
    header = [str(h).strip() for h in rows[header_at]]
    frame = pd.DataFrame(rows[header_at + 1:], columns=header, dtype=object)
    filled = np.zeros(len(frame), dtype=bool)
    for j in range(frame.shape[1]):  # a row with any cell whose str() is not blank (per column, not per row)
        filled |= np.char.strip(frame.iloc[:, j].to_numpy(dtype=object).astype(str)) != ""
    frame = frame[filled]
    frame = frame[frame["公民身份号码"].astype(str).str.strip() != ""]  # note lines below the table
    frame = frame.reindex(columns=CHANGE_COLUMNS).astype(object).where(lambda d: d.notna(), "")
    frame = frame.apply(cell_texts)  # per column: each value as _text writes it (a str stays as it is)
    frame = frame.astype(str) if len(frame) else frame  # all text: the str dtype pandas infers for it
    frame["来源行号"] = pd.to_numeric(frame["来源行号"], errors="coerce").astype("Int64")
    return frame.reset_index(drop=True)


def ledger_table(ledger: pd.DataFrame, params) -> pd.DataFrame:
    """The ledger in the contract's Chinese headers and order, for the workbook (sorted: town, identity, date)."""
    src = _contract(params)
    table = ledger.sort_values(["town", "id_number", "recognised_date"], kind="stable")[src.fields]
    return table.rename(columns=src.headers()).reset_index(drop=True)


def version_sheets(setup, ledger: pd.DataFrame, changes: pd.DataFrame, previous: pd.DataFrame,
                   title_kind: str = "台账") -> list[Sheet]:
    """The two sheets of a new ledger version: the ledger (contract headers, so the file reads back as the source)
    and 变更记录 (this version's changes after the earlier versions' rows)."""
    from .kit.workbooks import title

    table = ledger_table(ledger, setup.params)
    log = pd.concat([previous, changes], ignore_index=True) if len(previous) else changes
    text_cols = {h: Col(kind="text") for h in ("公民身份号码", "联系电话")}
    date_cols = {h: Col(kind="date") for h in ("认定日期", "退出日期", "就业日期")}
    return [
        # no note lines under the ledger: the file is read back as the source, and a note would be a bad row
        Sheet(name=LEDGER_SHEET, data=table, title=title(setup, title_kind), columns={**text_cols, **date_cols}),
        Sheet(name=CHANGES_SHEET, data=log.reset_index(drop=True), title=title(setup, "台账变更记录"),
              columns={"公民身份号码": Col(kind="text"), "证据": Col(wrap=True, width=40),
                       "决定依据": Col(wrap=True, width=30), "来源行号": Col(kind="int")},
              note_lines=["每行一个字段的变更：原值、新值、决定依据、证据及其来源文件和行号；较早版本的记录在前。"]
              if len(log) else ["本版本及此前版本均无变更记录。"]),
    ]
