"""主动筛查 on the default synthetic district, against the answer key that the generator wrote from how it planted each
person (synth_manifest.json) — never from the engine."""

import datetime as dt

import openpyxl
import pytest

from jykn_lib import kit
from jykn_lib.analyses import screening as S
from jykn_lib.contract import town_names
from jykn_lib.io.reader import read_folder
from jykn_lib.io.writer import write_workbook
from jykn_lib.params import load_parameters
from jykn_lib.rules.engine import evaluate_exits
from jykn_lib.rules.reasons import category_names

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def as_of(synth_manifest):
    return dt.date.fromisoformat(synth_manifest["generator"]["as_of"])


@pytest.fixture(scope="module")
def dataset(synth_district, as_of):
    return read_folder(synth_district, as_of=as_of)


@pytest.fixture(scope="module")
def params():
    return load_parameters()


@pytest.fixture(scope="module")
def result(dataset, as_of, params):
    return S.screen(dataset.tables, as_of, params)


@pytest.fixture
def setup(tmp_path, synth_district, as_of):
    return kit.validate_parameters(notebook="01", quarter="2026Q4", as_of=as_of, data_dir=str(synth_district),
                                   out_dir=str(tmp_path / "out"))


def _codes(text):
    return sorted(c for c in str(text).split(",") if c)


def test_every_labelled_person_comes_out_as_planted(result, synth_manifest):
    got = result.people.set_index("公民身份号码")
    wrong = []
    for pid, label in synth_manifest["screening_labels"].items():
        if label["outcome"] == "not_screened":
            if pid in got.index:
                wrong.append((pid, "screened", label))
            continue
        if pid not in got.index:
            wrong.append((pid, "missing", label))
            continue
        row = got.loc[pid]
        actual = {"outcome": row["outcome"], "categories": _codes(row["categories"]), "reasons": _codes(row["exclusions"]),
                  "hints": _codes(row["hints"]), "town": row["所属镇街"]}
        want = {"outcome": label["outcome"], "categories": sorted(label["categories"]),
                "reasons": sorted(label["reasons"]), "hints": sorted(label["hints"]), "town": label["town"]}
        if actual != want:
            wrong.append((pid, actual, want))
    assert not wrong, f"{len(wrong)} 人与答案不符，例如：{wrong[:5]}"
    assert len(synth_manifest["screening_labels"]) > 500


def test_named_cases_each_come_out_as_planted(result, synth_manifest):
    got = result.people.set_index("公民身份号码")
    checked = 0
    for case in synth_manifest["cases"]:
        want = case["expect"].get("screening")
        if not want:
            continue
        pid = case["id_number"]
        if want["outcome"] == "not_screened":
            assert pid not in got.index, case["case"]
        else:
            row = got.loc[pid]
            assert row["outcome"] == want["outcome"], (case["case"], row["outcome"])
            assert _codes(row["categories"]) == sorted(want["categories"]), case["case"]
            assert _codes(row["exclusions"]) == sorted(want["reasons"]), case["case"]
        checked += 1
    assert checked >= 100


def test_totals_match_the_answer_key(result, synth_manifest, params):
    t = synth_manifest["screening_totals"]
    assert S.outcome_counts(result) == {"筛查人数": t["screened"], "符合人数": t["candidates"],
                                        "排除人数": t["excluded"], "无符合类别人数": t["no_category"]}
    table = S.town_category_table(result, params).set_index("镇街")
    names = category_names(params)
    for town, cats in t["candidates_by_town_category"].items():
        for code, n in cats.items():
            assert table.loc[town, names[code]] == n, (town, code)


def test_exits_match_the_answer_key(dataset, synth_manifest, as_of):
    ex = evaluate_exits(dataset.tables, as_of).summary.set_index("id_number")
    labels = synth_manifest["exit_labels"]
    assert set(ex.index.astype(str)) == set(labels)
    wrong = [(pid, _codes(ex.loc[pid, "exits"]), sorted(codes)) for pid, codes in labels.items()
             if _codes(ex.loc[pid, "exits"]) != sorted(codes)]
    assert not wrong, wrong[:5]
    assert sum(1 for c in labels.values() if c) >= 10


def test_each_town_workbook_holds_only_its_own_people(result, tmp_path, synth_manifest, setup):
    labels = synth_manifest["screening_labels"]
    total = 0
    for town in town_names():
        path = write_workbook(tmp_path / f"{town}.xlsx", [S.town_sheet(setup, result, town)])
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        assert ws.title == "引导申请名单"
        header = [c.value for c in ws[2]]
        assert header == S.TOWN_COLUMNS + list(S.FOLLOW_UP)
        answer = ws.data_validations.dataValidation
        assert any(dv.formula1 and "已引导申请" in dv.formula1 for dv in answer) if ws.max_row > 2 else True
        assert S.CONFIDENTIAL in ws.oddHeader.left.text
        ids = [ws.cell(row=r, column=3).value for r in range(3, ws.max_row + 1)
               if isinstance(ws.cell(row=r, column=1).value, int)]
        for pid in ids:
            assert isinstance(pid, str) and labels[pid]["town"] == town
            assert labels[pid]["outcome"] == "candidate"
        assert ws.cell(row=3, column=3).data_type == "s" if ids else True
        total += len(ids)
    assert total == len(result.candidates[result.candidates["所属镇街"].isin(town_names())])


def test_a_town_with_nobody_found_gets_a_workbook_saying_zero(result, tmp_path, setup):
    empty = S.ScreeningResult({"people": result.people.iloc[0:0]}, dict(result.meta))
    path = write_workbook(tmp_path / "x.xlsx", [S.town_sheet(setup, empty, "笔架林场")])
    ws = openpyxl.load_workbook(path).active
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("0人" in t for t in texts)


def test_district_workbook_sheets_and_rows(result, dataset, tmp_path, setup):
    inputs = kit.Inputs(dataset, setup.as_of, setup.params)
    path = write_workbook(tmp_path / "s.xlsx", S.district_sheets(setup, result, inputs))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["汇总", "排除名单"] and "问题数据" in wb.sheetnames
    ws = wb["排除名单"]
    assert [c.value for c in ws[2]] == S.EXCLUDED_COLUMNS
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] and r[2]]  # note lines fill column A only
    assert len(rows) == S.outcome_counts(result)["排除人数"]
    assert all("粤人社规" in r[4] or "国务院" in r[4] or "清新区" in r[4] or "区级工作口径（" in r[4] for r in rows)
    assert not any("RULES" in r[4] or ".md" in r[4] for r in rows)  # a clerk never sees a repository file
    problems = wb["问题数据"]
    n_problem_rows = sum(1 for r in problems.iter_rows(min_row=3, values_only=True) if r[1])
    assert n_problem_rows == len(dataset.problems)


def test_reasons_are_written_in_chinese_with_clauses(result):
    retired = result.people[result.people["exclusions"].str.contains("X_RETIRED")]
    assert len(retired) and retired["排除原因"].str.contains("已达法定退休年龄").all()
    f50 = result.people[result.people["exclusions"].str.contains("X_RETIRED_F50")]
    assert len(f50) and f50["排除原因"].str.contains("按女职工50岁基准").all()
    cand = result.candidates
    assert cand["判定依据"].str.contains("粤人社规〔2023〕11号 第一条第").all()
    assert (cand["符合类别"].str.match(r"^\d\d ")).all()


def test_hukou_names_of_the_screened_only_last_row_wins_absent_is_blank():
    import pandas as pd

    hukou = pd.DataFrame({"id_number": pd.array(["A1", "B2", None, "A1", "C3"], dtype="str"),
                          "name": pd.array(["甲", "乙", "丙", "甲二", "丁"], dtype="str")})
    names = S._hukou_names({"hukou": hukou}, pd.Series(["A1", "Z9", "C3"]))
    assert list(names[[0, 2]]) == ["甲二", "丁"] and pd.isna(names[1])
    assert S._hukou_names({}, pd.Series(["A1"])).tolist() == [None]
