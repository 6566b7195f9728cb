"""04 镇街年度考核 through the library on a small simulated year written as kept results (the Parquet the other
notebooks keep): indicators recomputed by hand, a missing quarter named and never a zero, the scheme's weights and
targets read from params/, and the leaders' HTML without identity numbers, names or phones."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from assessment_year import PEOPLE, S, T, write_year

from jykn_lib.analyses import assessment as A
from jykn_lib.kit import results as K
from jykn_lib.params import REPO_ROOT, load_parameters


@pytest.fixture()
def year(tmp_path):
    write_year(tmp_path)
    setup = A.validate_parameters(year=2026, as_of="2026-11-26", out_dir=str(tmp_path))
    return setup, A.decide(A.load_year(tmp_path, 2026, setup.as_of), setup)


def value(result, town, indicator) -> pd.Series:
    v = result["values"]
    return v[(v["所属镇街"] == town) & (v["指标"] == indicator)].iloc[0]


def test_two_indicators_recomputed_by_hand(year):
    _, r = year
    # 就业率: the last kept ledger (Q3): 太和镇 a, b, c active and employed; 山塘镇 f active, unemployed, and e left
    # this year for work (E5), which counts on both sides
    assert (value(r, T, "employment_rate")[["分子", "分母"]].tolist(), value(r, T, "employment_rate")["指标值"]) == ([3, 3], 1.0)
    assert value(r, S, "employment_rate")[["分子", "分母"]].tolist() == [1, 2]
    assert value(r, S, "employment_rate")["得分"] == pytest.approx(12 * min(0.5 / 0.5, 1))
    # 审验按时报送率: Q1 太和镇 2 of 3 rows in an on-time file (c not returned); 山塘镇 Q1 2 late + Q3 1 on time
    assert value(r, T, "audit_on_time")[["分子", "分母"]].tolist() == [2, 3]
    assert value(r, S, "audit_on_time")[["分子", "分母"]].tolist() == [1, 3]
    assert value(r, T, "audit_on_time")["得分"] == pytest.approx(8 * 2 / 3)
    # 稳定就业率 Q1 → Q3 (6 months): a still employed; e exited for work (E5) counts as still employed
    assert value(r, T, "stable_employment")[["分子", "分母"]].tolist() == [1, 1]
    assert value(r, S, "stable_employment")[["分子", "分母"]].tolist() == [1, 1]
    # 退出及时率: b 11 days after its 核实 (timely), d 60 days after the event (late)
    assert value(r, T, "exit_timeliness")[["分子", "分母"]].tolist() == [1, 2]
    # 筛查转化率: c recognised 27 days after screening; f not within 90 days
    assert value(r, T, "screening_conversion")[["分子", "分母"]].tolist() == [1, 1]
    assert value(r, S, "screening_conversion")[["分子", "分母"]].tolist() == [0, 1]
    # 零就业家庭: c (category 04) employed 19 days after recognition
    assert value(r, T, "zero_household")[["分子", "分母"]].tolist() == [1, 1]
    # 公益性岗位: 山塘镇 nobody in post (placements hold) but not reported: score × 0.5
    assert value(r, S, "public_posts")["得分"] == pytest.approx(6 * 0.5)
    assert value(r, T, "public_posts")["得分"] == pytest.approx(6 * min(0.5 / 1.0, 1))


def test_a_missing_quarter_is_named_and_never_a_zero(year):
    _, r = year
    cov = r["coverage"]
    q2 = cov[cov["季度"] == "2026年第2季度"]
    assert set(q2["状态"]) == {"缺少保存的结果"} and len(q2) == len(A.KEPT)
    assert "就业率" in q2.loc[q2["来源"] == "02 定期审验（收回）", "缺少时无法计算或只按其余季度计算的指标"].iloc[0]
    assert "2026年第2季度" in value(r, T, "employment_rate")["说明"]
    # a town with nobody to count: 无法计算 with its reason, no score, its weight left out of the total
    other = value(r, "石潭镇", "employment_rate")
    assert other["状态"] == A.UNAVAILABLE and other["说明"].startswith("无法计算（") and np.isnan(other["得分"])
    totals = r["totals"].set_index("所属镇街")
    ok = r["values"][(r["values"]["所属镇街"] == T) & (r["values"]["状态"] != A.UNAVAILABLE)]
    assert totals.loc[T, "可计算权重"] == ok["权重"].sum() < 100
    assert totals.loc[T, "总分"] == pytest.approx(round(ok["得分"].sum() / ok["权重"].sum() * 100, 1))
    assert "（部分指标无法计算）" in totals.loc[T, "等级"]


def test_no_kept_result_at_all_makes_the_indicator_unavailable(tmp_path):
    write_year(tmp_path)
    shutil.rmtree(tmp_path / "2026Q3" / "区汇总" / "results" / "03")
    setup = A.validate_parameters(year=2026, as_of="2026-11-26", out_dir=str(tmp_path))
    r = A.decide(A.load_year(tmp_path, 2026, setup.as_of), setup)
    row = value(r, T, "ledger_quality")
    assert row["状态"] == A.UNAVAILABLE and "03 台账检查" in row["说明"] and pd.isna(row["分子"])
    assert "台账合格率" in "".join(A.summary_lines(r, setup))


def test_results_made_after_the_as_of_are_not_used(tmp_path):
    write_year(tmp_path)
    setup = A.validate_parameters(year=2026, as_of="2026-07-20", out_dir=str(tmp_path))
    y = A.load_year(tmp_path, 2026, setup.as_of)
    assert [str(q) for q in y.of("02_collect")] == ["2026Q1"]  # Q3's audit was kept on 2026-07-31
    assert any("晚于考核基准日" in a["状态"] for a in y.absent)


def params_copy(tmp_path: Path, edit) -> Path:
    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    path = root / "rules" / "assessment" / "scheme.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(raw["values"])
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def indicator(entry, key):
    return next(i for i in entry["value"]["indicators"] if i["id"] == key)


def test_changing_a_weight_or_a_target_changes_the_scores(tmp_path, year):
    setup, before = year

    def edit(values):
        entry = values[dt.date(2026, 1, 1)]
        indicator(entry, "audit_on_time")["target"] = 0.5  # 太和镇's 2/3 now meets it
        indicator(entry, "audit_on_time")["weight"] = 12
        indicator(entry, "audit_complete")["weight"] = 4  # the sum stays 100

    changed = dataclasses.replace(setup, params=load_parameters(params_copy(tmp_path, edit)))
    after = A.decide(A.load_year(setup.out_root, 2026, setup.as_of), changed)
    assert value(before, T, "audit_on_time")["得分"] == pytest.approx(8 * (2 / 3) / 1.0)
    assert value(after, T, "audit_on_time")["得分"] == pytest.approx(12)  # capped at its weight
    assert value(after, S, "audit_on_time")["得分"] == pytest.approx(12 * (1 / 3) / 0.5)
    assert value(after, T, "audit_complete")["得分"] == pytest.approx(4 * 2 / 3)
    assert after["totals"].set_index("所属镇街").loc[T, "总分"] != before["totals"].set_index("所属镇街").loc[T, "总分"]


def test_weights_must_sum_to_100_and_a_new_year_is_a_new_dated_entry(tmp_path):
    def bad(values):
        indicator(values[dt.date(2026, 1, 1)], "audit_on_time")["weight"] = 9

    with pytest.raises(ValueError, match="合计为 101"):
        A.scheme(load_parameters(params_copy(tmp_path / "a", bad)), 2026)

    def new_year(values):
        entry = yaml.safe_load(yaml.safe_dump(values[dt.date(2026, 1, 1)]))
        indicator(entry, "employment_rate")["target"] = 0.7
        values[dt.date(2027, 1, 1)] = entry

    params = load_parameters(params_copy(tmp_path / "b", new_year))
    assert indicator({"value": A.scheme(params, 2026)}, "employment_rate")["target"] == 0.5
    assert indicator({"value": A.scheme(params, 2027)}, "employment_rate")["target"] == 0.7


def test_grades_ranking_and_last_year(tmp_path):
    write_year(tmp_path)
    last = tmp_path / "2025" / "区汇总" / "results" / "04"
    K.save_tables(last, {"totals": pd.DataFrame({"所属镇街": [T, S], "总分": [50.0, 99.0]})}, {"as_of": "2025-12-31"})
    setup = A.validate_parameters(year=2026, as_of="2026-11-26", out_dir=str(tmp_path))
    run = A.run(setup)
    t = run.result["totals"].set_index("所属镇街")
    assert t.loc[T, "较上年"] == pytest.approx(round(t.loc[T, "总分"] - 50.0, 1))
    assert list(run.result["totals"]["排名"].dropna()) == sorted(run.result["totals"]["排名"].dropna())
    assert t.loc[T, "等级"].startswith("优秀" if t.loc[T, "总分"] >= 90 else "达标" if t.loc[T, "总分"] >= 75 else "不达标")
    assert len(t.loc[T, "失分最多的三项"].split("、")) <= 3
    book = tmp_path / "2026" / "区汇总" / "镇街考核_2026.xlsx"
    import openpyxl

    assert openpyxl.load_workbook(book).sheetnames == ["总分排名", "指标明细", "指标说明", "数据来源"]
    assert {p.name for p in run.outputs if p.suffix == ".png"} == {
        f"镇街考核_{n}_2026_区汇总.png" for n in ("总分", "指标热力图", "季度趋势")}


def test_parameters_are_checked(tmp_path):
    with pytest.raises(ValueError, match="year"):
        A.validate_parameters(year="2026", out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="全区"):
        A.validate_parameters(year=2026, town=T, out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="不在 2026 年内"):
        A.validate_parameters(year=2026, as_of="2025-12-31", out_dir=str(tmp_path))
    assert A.validate_parameters(year=2026, out_dir=str(tmp_path)).as_of == dt.date(2026, 12, 31)


@pytest.mark.slow
def test_the_leaders_html_has_no_identity_number_name_or_phone(tmp_path):
    import papermill

    from jykn_lib.report.masking import scan_html_for_personal_data
    from jykn_lib.report.page import notebook_to_html, visible_text

    write_year(tmp_path)
    nb = tmp_path / "04.ipynb"
    papermill.execute_notebook(str(REPO_ROOT / "notebooks" / "04_town_assessment.ipynb"), str(nb),
                               parameters={"year": 2026, "as_of": "2026-11-26", "out_dir": str(tmp_path)},
                               cwd=str(REPO_ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    html = notebook_to_html(nb, tmp_path / "04.html").read_text(encoding="utf-8")
    text = visible_text(html)
    assert "总分排名" in text and "太和镇" in text and "筛查转化率" in text
    assert scan_html_for_personal_data(html) == []
    for id_number, name, phone in PEOPLE.values():
        assert id_number not in html and id_number[-4:] + "<" not in html and phone not in html
        assert name not in html  # the batch scanner only looks for numbers: names are checked here


def test_an_application_kept_by_05_counts_as_a_conversion(tmp_path):
    write_year(tmp_path)
    K.save_tables(tmp_path / "2026Q1" / "区汇总" / "results" / "05_20260301",
                  {"decisions": pd.DataFrame({"id_number": [PEOPLE["f"][0]], "apply_date": [pd.Timestamp("2026-03-01")]})},
                  {"as_of": "2026-03-01"})
    setup = A.validate_parameters(year=2026, as_of="2026-11-26", out_dir=str(tmp_path))
    r = A.decide(A.load_year(tmp_path, 2026, setup.as_of), setup)
    assert value(r, S, "screening_conversion")[["分子", "分母"]].tolist() == [1, 1]  # f applied 55 days after screening
