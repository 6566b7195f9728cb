"""What every notebook's workbooks share: the title row, the standard sheets, and one way to write a workbook.

    kit.write_workbook(setup, f"筛查汇总_{q}.xlsx", [sheet, …])      # the xlsx, plus its sheets kept as Parquet
    kit.title(setup, "引导申请名单")                                 # 清新区就业困难人员引导申请名单　2026Q4　太和镇　基准日 …
    kit.problems_sheet(setup, problems), kit.sources_sheet(setup, sources), kit.instructions_sheet(setup, rows)

Workbooks that leave the district office (``leaves_office=True``: the towns' lists, the province's import file) are
encrypted when the batch runs with ``--encrypt``: the runner sets ``JYKN_ENCRYPT=1`` and the password comes from
``$JYKN_XLSX_PASSWORD`` or the file named by ``$JYKN_XLSX_PASSWORD_FILE`` — never from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..io import problems as P
from ..io.crypto import DEFAULT_ENV_VAR, PasswordError, password_from_env_or_file
from ..io.writer import Col, Sheet
from ..io.writer import write_workbook as _write
from .results import save_tables

ENCRYPT_ENV = "JYKN_ENCRYPT"
PASSWORD_FILE_ENV = "JYKN_XLSX_PASSWORD_FILE"


def district_name(setup) -> str:
    return setup.params.district["district"]["name"]


def title(setup, kind: str, scope: str | None = None, *, date_label: str = "基准日") -> str:
    """The title row: ``清新区就业困难人员<kind>　2026Q4　<scope>　基准日 2026-11-26``."""
    where = scope or ("全区" if setup.is_district else setup.town)
    return f"{district_name(setup)}就业困难人员{kind}　{setup.quarter_str}　{where}　{date_label} {setup.as_of:%Y-%m-%d}"


def encryption_password() -> str | None:
    """The password for workbooks leaving the office, when the run was asked to encrypt; else None."""
    if os.environ.get(ENCRYPT_ENV) != "1":
        return None
    password = password_from_env_or_file(DEFAULT_ENV_VAR, os.environ.get(PASSWORD_FILE_ENV) or None)
    if not password:
        raise PasswordError(f"要求加密工作簿，但没有密码：请设置环境变量 {DEFAULT_ENV_VAR}，或用 {PASSWORD_FILE_ENV} 指定密码文件。")
    return password


def write_workbook(setup, name: str, sheets: Sequence[Sheet], *, leaves_office: bool = False, keep: bool = True,
                   **kw) -> Path:
    """Write ``<scope>/<name>`` and keep its sheets as Parquet in ``<scope>/results/<stem>/`` (typed, for later steps)."""
    path = setup.output_path(name)
    _write(path, sheets, password=encryption_password() if leaves_office else None, **kw)
    if keep:
        tables = {s.name: s.data for s in sheets}
        save_tables(setup.results_dir / path.stem, tables,
                    {"notebook": setup.notebook, "quarter": setup.quarter_str, "as_of": setup.as_of.isoformat(),
                     "scope": setup.scope_name, "workbook": name, "sheets": list(tables)})
    return path


# ---------------------------------------------------------------------------------------------- standard sheets


def problems_sheet(setup, problems: pd.DataFrame | None, scope: str | None = None) -> Sheet:
    """问题数据: every rejected row, blanked cell, warning and duplicate of the inputs, as a person reads it."""
    frame = P.for_people(problems if problems is not None else P.empty_frame())
    notes = (["读入的每个文件：读入行数 = 使用行数 + 剔除行数；剔除的每一行都列在本表。"] if len(frame)
             else ["未发现问题数据。"])
    return Sheet(name="问题数据", data=frame.reset_index(drop=True), title=title(setup, "问题数据", scope),
                 columns={"原值": Col(kind="text"), "行号": Col(kind="int"), "问题说明": Col(wrap=True, width=50)},
                 note_lines=notes)


def sources_sheet(setup, sources: pd.DataFrame, scope: str | None = None) -> Sheet:
    """数据来源: per source its state, files and row counts, and what could not be decided without it."""
    return Sheet(name="数据来源", data=sources.reset_index(drop=True), title=title(setup, "数据来源与行数", scope),
                 columns={"说明": Col(wrap=True, width=40), "未提供时无法判断": Col(wrap=True, width=40)})


def instructions_sheet(setup, rows: Sequence[tuple[str, str]], kind: str = "填写说明") -> Sheet:
    """填写说明: one row per item (列或事项, 说明)."""
    data = pd.DataFrame(list(rows), columns=["项目", "说明"])
    return Sheet(name="填写说明", data=data, title=title(setup, kind),
                 columns={"项目": Col(width=16), "说明": Col(wrap=True, width=90)})
