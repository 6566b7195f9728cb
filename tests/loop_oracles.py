"""The per-row implementations the library had before issue 15 (kept verbatim, as oracles): the vectorised code must
give the same answers. Only tests import this module."""

from __future__ import annotations

import pandas as pd

from jykn_lib.ledger import ACTIVE, CHANGE_COLUMNS, EXIT_FIELDS, EXITED, _log, _text


def apply_exits(ledger: pd.DataFrame, exits: pd.DataFrame, *, version: str, on) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    out = ledger.copy()
    out["exit_date"] = pd.to_datetime(out["exit_date"])
    out[["status", "exit_reason"]] = out[["status", "exit_reason"]].astype(object)
    log: list[dict] = []
    active = out.index[out["status"] == ACTIVE]
    where = pd.Series(active, index=out.loc[active, "id_number"].astype(str).to_numpy())
    where = where[~where.index.duplicated(keep="last")]
    for e in exits.itertuples(index=False):
        pid = str(e.id_number)
        if pid not in where.index:
            continue
        i = where[pid]
        new = {"status": EXITED, "exit_date": pd.Timestamp(e.exit_date), "exit_reason": e.exit_reason}
        for fld, header in EXIT_FIELDS.items():
            old = out.at[i, fld]
            if _text(old) == _text(new[fld]):
                continue
            out.at[i, fld] = new[fld]
            log.append({"版本": version, "变更日期": on.isoformat(), "公民身份号码": pid, "姓名": out.at[i, "name"],
                        "所属镇街": out.at[i, "town"], "变更类型": "退出", "字段": header, "原值": _text(old),
                        "新值": _text(new[fld]), "决定依据": e.basis, "证据": e.evidence,
                        "来源文件": getattr(e, "source_file", "") or "", "来源行号": getattr(e, "source_row", None)})
    return out, _log(log)


def add_recognitions(ledger: pd.DataFrame, new_rows: pd.DataFrame, *, version: str, on) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    active = set(ledger.loc[ledger["status"] == ACTIVE, "id_number"].astype(str))
    fresh = new_rows[~new_rows["id_number"].astype(str).isin(active)].drop_duplicates("id_number")
    rows = fresh.reindex(columns=ledger.columns.drop(["_file", "_row"], errors="ignore"))
    rows["status"] = ACTIVE
    rows["_file"] = ""
    rows["_row"] = pd.NA
    out = pd.concat([ledger, rows[ledger.columns]], ignore_index=True)
    log = [{"版本": version, "变更日期": on.isoformat(), "公民身份号码": str(r.id_number), "姓名": r.name,
            "所属镇街": r.town, "变更类型": "新增认定", "字段": "（整行）", "原值": "",
            "新值": f"认定类别 {r.categories}，认定日期 {_text(r.recognised_date)}", "决定依据": r.basis,
            "证据": r.evidence, "来源文件": r.source_file, "来源行号": r.source_row}
           for r in fresh.itertuples(index=False)]
    return out, _log(log)


def read_change_log(path) -> pd.DataFrame:
    from python_calamine import load_workbook

    wb = load_workbook(str(path))
    rows = wb.get_sheet_by_name("变更记录").to_python(skip_empty_area=False)
    header_at = next((i for i, r in enumerate(rows[:10]) if "字段" in r and "公民身份号码" in r), None)
    header = [str(h).strip() for h in rows[header_at]]
    body = [r for r in rows[header_at + 1:] if any(str(c).strip() for c in r)]
    frame = pd.DataFrame(body, columns=header)
    frame = frame[frame["公民身份号码"].astype(str).str.strip() != ""]
    frame = frame.reindex(columns=CHANGE_COLUMNS).astype(object).where(lambda d: d.notna(), "")
    frame = frame.map(lambda v: _text(v) if not isinstance(v, str) else v)
    frame["来源行号"] = pd.to_numeric(frame["来源行号"], errors="coerce").astype("Int64")
    return frame.reset_index(drop=True)
