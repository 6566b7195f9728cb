"""《不予认定就业困难人员告知书》: one .docx per refused application, rendered from the district's Word template.

    paths = write_refusal_notices(setup, decisions, reasons)     # 区汇总/不予认定告知书/<申请编号>.docx

The wording and layout are the template's (``params/templates/不予认定告知书.docx``, edited in Word or WPS; docxtpl
fills it in). What is filled in comes from the decision: the applicant, the application date and categories, each
reason with its clause, the 重核 period (``rules.procedure.rehearing_days``) and office, the issuing office and the
decision date. The office names, addresses and phones are those of ``params/district.yaml`` ``offices``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .dates import cn_date
from .files import atomic_path
from .params import Parameters

TEMPLATE = Path("templates") / "不予认定告知书.docx"
FOLDER = "不予认定告知书"
PLACEHOLDERS = ("office_name", "notice_no", "name", "id_number", "apply_date", "town_office", "categories", "reasons",
                "rehearing_days", "rehearing_office", "rehearing_address", "rehearing_phone", "decision_date")


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(application_id: str) -> str:
    """The notice's file name: the 申请编号, with characters a file name cannot hold replaced by _."""
    return _UNSAFE.sub("_", str(application_id)).strip("._") or "未编号"


def template_path(params: Parameters) -> Path:
    return params.root / TEMPLATE


def notice_number(application_id: str, on: dt.date) -> str:
    return f"清新就困不认〔{on.year}〕{application_id}号"


def context(row, reasons: list[dict], params: Parameters, on: dt.date) -> dict:
    """What the template is filled with, for one refused application (``row``: a decisions row)."""
    offices = params.district["offices"]
    town = offices["towns"].get(row["town"], {"name": f"{row['town']}公共就业服务站"})
    return {
        "office_name": offices["issuing"]["name"],
        "notice_no": notice_number(str(row["application_id"]), on),
        "name": row["name"],
        "id_number": row["id_number"],
        "apply_date": cn_date(row["apply_date"]),
        "town_office": town["name"],
        "categories": row["claimed_text"] or "（未填写）",
        "reasons": reasons,
        "rehearing_days": params["rules.procedure.rehearing_days"].at(on),
        "rehearing_office": offices["rehearing"]["name"],
        "rehearing_address": offices["rehearing"]["address"],
        "rehearing_phone": offices["rehearing"]["phone"],
        "decision_date": cn_date(on),
    }


def write_refusal_notices(setup, refused: pd.DataFrame, reasons: pd.DataFrame) -> list[Path]:
    """One notice per refused application. ``refused``: decisions rows (application_id, name, id_number, town,
    apply_date, claimed_text); ``reasons``: the shown reasons (application_id, text, clause) in order."""
    from docxtpl import DocxTemplate

    params, on = setup.params, setup.as_of
    by_app = {k: g[["text", "clause"]].to_dict("records") for k, g in reasons.groupby("application_id", sort=False)}
    template = template_path(params)
    out = []
    for row in refused.to_dict("records"):  # one file per refusal: the documents themselves are the output
        doc = DocxTemplate(str(template))
        doc.render(context(row, by_app.get(row["application_id"], []), params, on))
        path = setup.output_path(f"{FOLDER}/{file_name(row['application_id'])}.docx")
        with atomic_path(path, personal=True) as tmp:
            doc.save(str(tmp))
        out.append(path)
    return out
