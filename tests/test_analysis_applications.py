"""05 认定审核 on the default synthetic district, run on each decision date of its year, against the answer key the
generator wrote from how it planted each application (synth_manifest.json) — never from the engine."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from docx import Document

from jykn_lib.analyses import applications as A
from jykn_lib.io.reader import read_folder
from jykn_lib.params import load_parameters
from jykn_lib.report import scan_html_for_personal_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def year(synth_district, synth_manifest, tmp_path_factory):
    out = tmp_path_factory.mktemp("app05")
    runs = A.decide_year(synth_district, out)
    return out, {r.setup.as_of.isoformat(): r for r in runs}, synth_manifest


@pytest.fixture(scope="module")
def apps(year):
    _, _, m = year
    return {a.get("case", a["application_id"]): a for a in m["applications"]}


def _decision(year, a) -> dict:
    _, runs, _ = year
    d = runs[a["decided_on"]].result.decisions
    rows = d[d["application_id"] == a["application_id"]]
    assert len(rows) == 1, (a["application_id"], a["decided_on"])
    return rows.iloc[0].to_dict()


def test_every_planted_application_is_decided_once_on_its_date_as_planted(year):
    _, runs, m = year
    assert list(runs) == m["application_schedule"]
    seen = pd.concat([r.result.decisions.assign(run=day) for day, r in runs.items()])
    assert not seen["application_id"].duplicated().any()  # never decided twice
    wrong = []
    for a in m["applications"]:
        got = _decision(year, a)
        e = a["expect"]
        cats = sorted(c for c in got["categories"].split(",") if c)
        missing = sorted(x for x in got["missing"].split("、") if x)
        if (got["conclusion"], cats) != (e["conclusion"], sorted(e["categories"])):
            wrong.append((a.get("case"), got["conclusion"], cats, e))
        if e["conclusion"] == "supplement" and missing != sorted(a["materials_missing"]):
            wrong.append((a.get("case"), "missing", missing, a["materials_missing"]))
        for code in e.get("reasons", []):
            if code not in got["reason_codes"].split(","):
                wrong.append((a.get("case"), "reason", code, got["reason_codes"]))
    assert wrong == []
    planted = {a["expect"]["conclusion"] for a in m["applications"]}
    assert {"propose", "refuse", "supplement", "recognised"} <= planted


def test_legal_representative_refused_with_the_entity_named(year, apps):
    a = apps["app_legal_representative"]
    got = _decision(year, a)
    assert got["conclusion"] == "refuse"
    assert a["expect"]["entity"] in got["reason_text"]
    assert "不得认定企业法人" in got["clause_text"]
    out, _, _ = year
    notice = out / "2026Q2" / "区汇总" / "不予认定告知书" / f"{a['application_id']}.docx"
    text = "\n".join(p.text for p in Document(str(notice)).paragraphs)
    assert a["expect"]["entity"] in text


def test_dibao_ended_before_the_decision_refused_on_03_recognised_on_01_saying_so(year, apps):
    a = apps["app_dibao_ended_before_decision"]
    got = _decision(year, a)
    assert (got["conclusion"], got["categories"]) == ("propose", "01")
    assert "03 享受最低生活保障待遇人员：申请日" in got["reason_text"]
    assert f"低保结束日期 {a['expect']['dibao_end']}" in got["reason_text"]
    assert "01 大龄失业人员" in got["reason_text"]


def test_missing_materials_listed_completely_in_one_notice_without_shared_ones(year, apps):
    _out, runs, m = year
    shared = set(m["materials_required"]["shared_by"])
    for case in ("app_missing_materials", "app_missing_materials_early", "app_unknown_material"):
        a = apps[case]
        run = runs[a["decided_on"]]
        sheet = A.supplement_table(run.result)
        row = sheet[sheet["申请编号"] == a["application_id"]]
        assert len(row) == 1  # one notice
        listed = row.iloc[0]["须补正的全部材料"].split("、")
        assert sorted(listed) == sorted(a["materials_missing"])  # complete
        assert not shared & set(listed)  # nothing obtainable by data sharing
        assert set(row.iloc[0]["无需提交（区级数据共享核实）"].split("、")) <= shared
    unknown = apps["app_unknown_material"]
    row = A.supplement_table(runs[unknown["decided_on"]].result)
    assert "保证书" in row[row["申请编号"] == unknown["application_id"]].iloc[0]["无法识别的材料名称"]


def test_the_womens_cases(year, apps):
    assert _decision(year, apps["app_woman_f50_reform"])["conclusion"] == "propose"  # 50+, within working age
    base55 = _decision(year, apps["app_woman_base55"])
    assert (base55["conclusion"], base55["women_base"]) == ("propose", 55)  # judged on her written 55 base
    f50 = _decision(year, apps["app_woman_f50_retired"])  # the same age without a written base: the 50 base
    assert f50["conclusion"] == "refuse" and "X_RETIRED_F50" in f50["reason_codes"]
    assert "请镇街核实是否适用女干部55岁基准" in f50["reason_text"]


def test_publicity_of_the_september_run_spans_the_national_day(year):
    _, runs, _ = year
    meta = runs["2026-09-30"].result.meta
    assert (meta["publicity_start"], meta["publicity_end"], meta["recognition_date"]) == (
        "2026-10-08", "2026-10-13", "2026-10-14")
    proposed = runs["2026-09-30"].result.of("propose")
    assert set(pd.to_datetime(proposed["publicity_end"]).dt.date) == {dt.date(2026, 10, 13)}


def test_objection_is_not_recognised_automatically(year, apps):
    out, runs, _ = year
    a = apps["app_objection"]
    later = a["after_publicity"]["run"]
    done = runs[later].result.completed
    row = done[done["application_id"] == a["application_id"]].iloc[0]
    assert row["state"] == "objection" and "在外地务工" in row["objection"]
    new = _ledger_version(out, later)
    assert a["id_number"] not in set(new["公民身份号码"])


def _ledger_version(out, day: str) -> pd.DataFrame:
    from jykn_lib.periods import Quarter

    q = str(Quarter.of(dt.date.fromisoformat(day)))
    path = out / q / "区汇总" / f"就业困难人员台账_{day.replace('-', '')}认定后.xlsx"
    return pd.read_excel(path, sheet_name="就业困难人员台账", header=1, dtype=str, engine="openpyxl")


def test_applicant_already_recognised_is_reported_not_decided_again(year, apps):
    got = _decision(year, apps["app_already_recognised"])
    assert got["conclusion_text"] == "已认定" and "X_RECOGNISED" in got["reason_codes"]


def test_recognised_after_publicity_into_a_new_ledger_version_and_re_recognition_reads_back(year, apps, tmp_path):
    out, runs, _ = year
    a = apps["app_reapply_after_exit"]
    later = a["after_publicity"]["run"]
    new = _ledger_version(out, later)
    rows = new[new["公民身份号码"] == a["id_number"]]
    assert sorted(rows["状态"]) == ["已退出", "有效"]  # the old row stays 已退出, a new row per recognition
    assert rows[rows["状态"] == "有效"].iloc[0]["认定日期"].startswith(a["publicity"]["recognition_date"])
    complete = apps["app_complete_01"]
    assert (new["公民身份号码"] == complete["id_number"]).sum() == 1
    # the new version reads back as the ledger source without a conflict and carries its 变更记录
    data = tmp_path / "data"
    data.mkdir()
    from jykn_lib.periods import Quarter

    q = str(Quarter.of(dt.date.fromisoformat(later)))
    src = out / q / "区汇总" / f"就业困难人员台账_{later.replace('-', '')}认定后.xlsx"
    shutil.copy(src, data / src.name)
    ds = read_folder(data, only=["ledger"])
    changes = pd.read_excel(src, sheet_name="变更记录", header=1, dtype=str, engine="openpyxl")
    added = changes[changes["变更类型"] == "新增认定"]
    assert len(added) == runs[later].result.completed["state"].eq("recognised").sum() > 0
    # the synthetic ledger carries the ledger review's planted duplicates; none of them is a person 05 recognised
    ours = set(added["公民身份号码"]) | {a["id_number"]}
    conflicts = ds.problems[ds.problems["规则代码"] == "DUPLICATE_CONFLICT"]
    assert ds.errors == [] and not set(conflicts["原值"]) & ours
    used = ds.tables["ledger"]
    active = used[(used["status"] == "有效") & used["id_number"].isin(ours)]
    assert not active["id_number"].duplicated().any()  # at most one 有效 row per person
    assert (used["id_number"] == a["id_number"]).sum() == 2


def test_a_rerun_on_the_same_date_decides_the_same_and_earlier_ones_are_not_redone(year, synth_district, tmp_path):
    out, runs, _ = year
    again = A.decide_quarter("2026Q3", "2026-09-30", synth_district, out)
    first = runs["2026-09-30"].result.decisions
    pd.testing.assert_frame_equal(again.result.decisions.reset_index(drop=True), first.reset_index(drop=True))


def test_refusal_notice_text_reasons_and_rehearing_sentence(year, apps):
    out, _runs, _ = year
    params = load_parameters()
    a = apps["app_no_category"]
    got = _decision(year, a)
    path = out / "2026Q1" / "区汇总" / "不予认定告知书" / f"{a['application_id']}.docx"
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    days = params["rules.procedure.rehearing_days"].at(dt.date(2026, 3, 31))
    assert "不予认定就业困难人员告知书" in text
    assert got["name"] in text and got["id_number"] in text and "2026年" in text
    reasons = params.reasons(dt.date(2026, 3, 31))
    assert f"1. {reasons['A_NOT_03'].label}" in text and reasons["A_NO_CATEGORY"].label in text
    assert "粤人社规〔2023〕11号 第一条第（三）项" in text
    assert f"可自收到本告知书之日起{days}日内，向清远市清新区人力资源和社会保障局申请重核" in text
    assert "清远市清新区劳动就业服务中心（盖章）" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "送达回证" in text and "受送达人（签名或盖章）" in cells and got["name"] in cells
    assert "{{" not in text and "{%" not in text


def test_publicity_list_has_no_identity_number_address_or_phone_of_the_applicant(year, synth_district):
    out, runs, m = year
    last = m["application_schedule"][-1]
    proposed = runs[last].result.of("propose")
    town = proposed["town"].value_counts().index[0]
    A.decide_quarter("2026Q4", last, synth_district, out, town=town)
    path = out / "2026Q4" / town / f"公示名单_{last.replace('-', '')}_{town}.xlsx"
    ws = openpyxl.load_workbook(path).active
    headers = [c.value for c in ws[2]]
    assert headers == A.PUBLICITY_COLUMNS
    cells = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    mine = proposed[proposed["town"] == town]
    assert len(mine) and all(n in cells for n in mine["name"])
    for value in [*mine["id_number"], *[p for p in mine["phone"] if p], *[v for v in mine["village"] if v]]:
        assert value not in cells
    assert scan_html_for_personal_data(cells.replace("0763-", "")) == []  # no identity or mobile number
    assert "占位" in cells  # the town office's address and phone: placeholders from params/district.yaml
    # the district workbook's 公示名单 sheet too
    wb = openpyxl.load_workbook(out / "2026Q4" / "区汇总" / f"认定审核结果_{last.replace('-', '')}.xlsx")
    assert wb.sheetnames[:5] == ["审核结果", "补正材料告知", "公示名单", "公示期满", "问题数据"]
    assert [c.value for c in wb["审核结果"][2]] == A.RESULT_COLUMNS
    pub = " ".join(str(c.value) for row in wb["公示名单"].iter_rows() for c in row if c.value is not None)
    assert not any(i in pub for i in proposed["id_number"])


def test_deadline_list_names_late_and_due_applications(year):
    _, runs, _ = year
    for day, run in runs.items():
        d = run.result.decisions
        table = A.deadline_table(run.result)
        late = d[pd.to_datetime(d["review_deadline"]) < pd.Timestamp(day)]
        assert set(table.loc[table["期限状态"] == "已超过审核期限", "申请编号"]) == set(late["application_id"])
        assert (table["期限状态"] != "未到期").all()


@pytest.mark.libreoffice
def test_a_notice_converts_to_pdf_with_libreoffice(year, apps, tmp_path):
    from test_libreoffice import convert

    out, _, _ = year
    a = apps["app_legal_representative"]
    src = out / "2026Q2" / "区汇总" / "不予认定告知书" / f"{a['application_id']}.docx"
    pdf = convert(src, "pdf", tmp_path / "pdf", tmp_path)
    assert pdf.suffix == ".pdf" and pdf.stat().st_size > 5000
    if shutil.which("pdftotext") is None:  # poppler absent (CI installs poppler-utils): the size check above stands
        return
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    if text:  # the PDF holds the notice's words (the reasons, the 重核 office)
        assert "不予认定就业困难人员告知书" in text and a["expect"]["entity"] in text.replace("\n", "")
