"""05 认定审核, the small parts: working-day 公示 across the 2026 National Day, the materials list is strict, which
applications a run decides, the notice template's placeholders, the applications mode of the YAML rule cases."""

from __future__ import annotations

import copy
import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from rule_cases import RuleCaseError, validate_file

from jykn_lib.analyses import applications as A
from jykn_lib.notices import PLACEHOLDERS, file_name, template_path
from jykn_lib.params import ParameterError, load_parameters
from jykn_lib.rules.applications import load_materials, submitted
from jykn_lib.synth.applications import decision_dates, publicity
from jykn_lib.workdays import add_working_days, add_working_days_many, working_days_between

# --- 公示 and deadlines in working days ---------------------------------------------------------------------------

def test_publicity_across_the_2026_national_day_and_its_make_up_saturday():
    # decided on Wed 2026-09-30: 10-01…10-07 are holidays, Sat 10-10 is a make-up working day (国务院办公厅 2026 安排)
    on = dt.date(2026, 9, 30)
    n = load_parameters()["rules.procedure.publicity_working_days"].at(on)
    assert n == 5
    assert add_working_days(on, 1) == dt.date(2026, 10, 8)  # the first working day after the decision
    assert [add_working_days(on, k) for k in range(1, 6)] == [
        dt.date(2026, 10, 8), dt.date(2026, 10, 9), dt.date(2026, 10, 10), dt.date(2026, 10, 12), dt.date(2026, 10, 13)]
    assert publicity(on) == {"start": "2026-10-08", "end": "2026-10-13", "recognition_date": "2026-10-14"}
    # the day before the holiday: the make-up Sunday 09-20 is long past, the Mid-Autumn Friday 09-25 too
    assert publicity(dt.date(2026, 9, 24))["start"] == "2026-09-28"


def test_vectorised_working_days_agree_with_the_scalar_function():
    days = np.arange(np.datetime64("2026-01-01"), np.datetime64("2026-12-15"))
    for n in (1, 5, 10):
        fast = add_working_days_many(days, n)
        slow = np.array([np.datetime64(add_working_days(d.astype(dt.date), n)) for d in days])
        assert (fast == slow).all(), n
    assert np.isnat(add_working_days_many(np.array(["NaT"], dtype="datetime64[D]"), 3)).all()
    # review deadline: 10 working days from 受理日期, counted as working_days_between does
    accepted = dt.date(2026, 9, 28)
    deadline = add_working_days_many(np.array([accepted], dtype="datetime64[D]"), 10)[0].astype(dt.date)
    # 09-29, 09-30, then 10-08, 10-09, Sat 10-10, 10-12 … 10-16
    assert deadline == dt.date(2026, 10, 16) and working_days_between(accepted, deadline) == 10


def test_decision_schedule_is_the_last_working_day_of_each_earlier_quarter_then_as_of():
    assert decision_dates(dt.date(2026, 11, 26)) == [dt.date(2026, 3, 31), dt.date(2026, 6, 30),
                                                     dt.date(2026, 9, 30), dt.date(2026, 11, 26)]
    assert decision_dates(dt.date(2026, 2, 10)) == [dt.date(2026, 2, 10)]


# --- materials -----------------------------------------------------------------------------------------------------

def test_materials_by_synonym_and_unknown_names_reported():
    m = load_materials(load_parameters())
    got, unknown = submitted(pd.Series(["身 份 证、户口本；承诺书", "保证书,申请表", None]), m)
    assert got.groupby("row")["material"].apply(list).to_dict() == {
        0: ["居民身份证", "户口簿", "无业承诺书"], 1: ["就业困难人员认定申请表"]}
    assert unknown.to_dict("records") == [{"row": 1, "written": "保证书"}]
    # what data sharing provides is never asked: the brief's six sources
    assert set(m.shared_by.values()) == {"dibao", "disability", "hukou", "contributions", "unemployment", "market"}


@pytest.mark.parametrize("patch, message", [
    (lambda t: t.replace("synonyms: [身份证,", "synonym: [身份证,"), "synonym"),
    (lambda t: t.replace("shared_by: hukou", "shared_by: huko"), "huko"),
    (lambda t: t.replace('  "06": [征地证明]', '  "6": [征地证明]'), "“6”"),
    (lambda t: t.replace('  "06": [征地证明]', '  "06": [征地协议书]'), "征地协议书"),
    (lambda t: t.replace("无业承诺书: {synonyms: [承诺书,", "无业承诺书: {synonyms: [户口本,"), "户口本"),
])
def test_the_materials_list_is_strict(tmp_path, patch, message):
    root = tmp_path / "params"
    shutil.copytree(load_parameters().root, root)
    path = root / "materials.yaml"
    text = path.read_text(encoding="utf-8")
    from jykn_lib.params import _load_cached

    load_materials(load_parameters(root))  # the copy as it is loads
    path.write_text(patch(text), encoding="utf-8")
    _load_cached.cache_clear()  # a fresh Parameters: the materials are cached per parameter set
    with pytest.raises(ParameterError, match=message):
        load_materials(load_parameters(root))
    _load_cached.cache_clear()


# --- which applications a run decides ------------------------------------------------------------------------------

def test_a_run_decides_new_and_answered_applications_only():
    apps = pd.DataFrame({"application_id": ["A", "B", "C", "D", "E", "F"],
                         "apply_date": pd.to_datetime(["2026-06-01"] * 5 + ["2026-07-01"]),
                         "materials": ["x", "x、y", "x", "x", "x", "x"]})
    earlier = pd.DataFrame({"application_id": ["A", "B", "C", "D"],
                            "conclusion": ["propose", "supplement", "supplement", "review"],
                            "decision_date": pd.to_datetime(["2026-06-10"] * 4), "materials": ["x", "x", "x", "x"]})
    todo, answered = A.to_decide(apps, earlier, dt.date(2026, 6, 30))
    # A closed; B answered the 一次性告知 with new materials; C unchanged (already told once); D still open; E new;
    # F applied after the decision date
    assert list(todo["application_id"]) == ["B", "D", "E"]
    assert list(answered) == [True, False, False]


# --- the notice template -------------------------------------------------------------------------------------------

def test_the_committed_template_has_every_placeholder():
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(template_path(load_parameters())))
    assert tpl.get_undeclared_template_variables() == set(PLACEHOLDERS)
    assert file_name("SQ/2026 01") == "SQ_2026_01" and file_name("..") == "未编号"


# --- the applications mode of the YAML rule cases is strict too ----------------------------------------------------

GOOD = {
    "clause": "粤人社规〔2023〕11号 第二章", "as_of": dt.date(2026, 6, 30), "mode": "applications",
    "people": {"p": {"birth": dt.date(1970, 3, 1), "sex": "男"}},
    "base": {"户籍人口": [{"公民身份号码": "p", "户号": "H1", "城乡属性": "城镇", "所属镇街": "太和镇"}],
             "认定申请": [{"申请编号": "S1", "公民身份号码": "p", "姓名": "甲", "申请日期": dt.date(2026, 6, 1),
                       "申请类别": "01", "受理镇街": "太和镇"}]},
    "cases": [{"name": "材料不全", "expect": {"conclusion": "supplement", "missing": ["居民身份证"]}}],
}


@pytest.mark.parametrize("patch, fragment", [
    (lambda c: c["expect"].update(conclusion="拟认定"), "conclusion “拟认定”"),
    (lambda c: c["expect"].update(missing=["身份证复印件"]), "不是 params/materials.yaml 中的材料名称"),
    (lambda c: c["expect"].update(reasons=["A_NOT_99"]), "未知的理由代码“A_NOT_99”"),
    (lambda c: c["expect"].update(exits=["E1"]), "applications 模式下不会检查此键"),
    (lambda c: c.update(not_provied=["社保缴费"]), "未知键“not_provied”"),
    (lambda c: c.update(not_provided=["社保"]), "未知的来源表“社保”"),
    (lambda c: c.update(mode="evaluate", resubmitted=True, expect={"outcome": "candidate"}), "只在 applications 模式"),
])
def test_a_typo_in_an_applications_case_fails(patch, fragment):
    validate_file(copy.deepcopy(GOOD), "tests/rules/示例.yaml")  # the correct neighbour passes
    doc = copy.deepcopy(GOOD)
    patch(doc["cases"][0])
    with pytest.raises(RuleCaseError) as err:
        validate_file(doc, "tests/rules/示例.yaml")
    assert fragment in str(err.value)
