"""资格测算 driven through its widgets: the decision is the rule engine's, worded by params.reasons(on), and the
decision date can be moved across a boundary (a statutory retirement date, the end of 低保)."""

import datetime as dt

import pytest

from jykn_lib.idcard import make_id
from jykn_lib.params import load_parameters
from jykn_lib.widgets import whatif

P = load_parameters()


@pytest.fixture
def form():
    return whatif.whatif_form(P, dt.date(2026, 5, 19))


def _set(form, **values):
    for name, value in values.items():
        form.inputs[name].value = value


def test_a_man_is_eligible_the_day_before_his_retirement_date_and_excluded_on_it(form):
    # docs/rules.md §6 worked example: a man born 1966-01 retires at 60 years 4 months, in 2026-05 (same day of month)
    _set(form, sex="男", birth_date=dt.date(1966, 1, 20), registered=True, reg_date=dt.date(2025, 3, 1))
    form.run.click()
    before = form.output.value
    assert "判定日期 2026-05-19：符合条件" in before
    assert "法定退休日期</th><td class='jykn-wrap'>2026-05-20" in before
    assert P.reasons(dt.date(2026, 5, 19))["C01"].label in before
    assert P.reasons(dt.date(2026, 5, 19))["X_RETIRED"].label not in before.split("资格变化")[0]
    form.later.click()  # the decision date moves one day: the retirement date itself
    assert form.on.value == dt.date(2026, 5, 20)
    on = form.output.value
    assert "判定日期 2026-05-20：排除" in on
    retired = P.reasons(dt.date(2026, 5, 20))["X_RETIRED"]
    assert retired.label in on and retired.citation in on  # label and clause exactly as the engine words them
    assert "✗ " + P.reasons(dt.date(2026, 5, 20))["G2"].label in on
    # the timeline finds the same day by itself
    assert "2026-05-20 至" in on.split("资格变化")[1] and "已达法定退休年龄" in on.split("资格变化")[1]
    form.earlier.click()
    assert "判定日期 2026-05-19：符合条件" in form.output.value


def test_the_timeline_is_the_engine_asked_day_by_day():
    s = whatif.Scenario(sex="男", birth_date=dt.date(1966, 1, 20), reg_date=dt.date(2025, 3, 1))
    t = whatif.timeline(s, dt.date(2026, 5, 19), P)
    retired = t[t["排除原因"].str.contains("已达法定退休年龄")]
    assert retired["起始日期"].iloc[0] == dt.date(2026, 5, 20)
    # each stretch, asked on its first and last day, is what the engine says for that day
    for row in t.itertuples(index=False):
        for day in (row.起始日期, row.截止日期):
            assert whatif.OUTCOMES[whatif.decide(s, day, P).evaluation.summary["outcome"].iloc[0]] == row.结论


def test_a_woman_without_a_recorded_base_is_judged_on_50_and_the_town_asked(form):
    # a woman born 1976-03-10: on the 50 base she retires in 2026-11 (50 years 8 months), on the 55 base in 2031
    _set(form, sex="女", birth_date=dt.date(1976, 3, 10), registered=True, reg_date=dt.date(2026, 1, 5))
    form.on.value = dt.date(2029, 6, 1)
    form.run.click()
    assert P.reasons(dt.date(2029, 6, 1))["X_RETIRED_F50"].label in form.output.value
    form.inputs["women_base"].value = 55
    form.run.click()
    assert "判定日期 2029-06-01：符合条件" in form.output.value
    assert "X_RETIRED" not in form.output.value and "已达法定退休年龄" not in form.output.value.split("资格变化")[0]


def test_dibao_ending_next_month_moves_her_out_of_category_03(form):
    """“Would this applicant qualify if her 低保 ends next month?” — on the last day she still does, the day after not."""
    _set(form, sex="女", birth_date=dt.date(1995, 4, 2), registered=True, reg_date=dt.date(2026, 9, 1),
         dibao=True, dibao_start=dt.date(2025, 1, 1), dibao_end=dt.date(2026, 12, 31))
    c03 = P.reasons(dt.date(2026, 12, 31))["C03"].label
    form.on.value = dt.date(2026, 12, 31)
    form.run.click()
    assert "符合条件" in form.output.value.split("测算对象")[0] and c03 in form.output.value
    form.later.click()
    assert "判定日期 2027-01-01：无符合类别" in form.output.value
    assert c03 not in form.output.value.split("资格变化")[0]


@pytest.mark.parametrize("tick, code", [({"unit_contribution": True, "unit_month": dt.date(2026, 4, 1)}, "X_EMP_UNIT"),
                                        ({"market_role": "法定代表人"}, "X_EMP_MARKET"),
                                        ({"pension": True, "pension_start": dt.date(2026, 1, 1)}, "X_PENSION"),
                                        ({"hukou_status": "迁出省外"}, "X_HUKOU_OUT"),
                                        ({"able": "无"}, "X_NO_ABILITY")])
def test_each_exclusion_tick_gives_the_engines_exclusion(tick, code):
    on = dt.date(2026, 5, 19)
    base = {"sex": "男", "birth_date": dt.date(1970, 2, 2), "reg_date": dt.date(2025, 1, 6)}
    w = whatif.decide(whatif.Scenario(**base, **tick), on, P)
    assert w.evaluation.summary["exclusions"].iloc[0].split(",") == [code]
    plain = whatif.decide(whatif.Scenario(**base), on, P)
    assert plain.evaluation.summary["outcome"].iloc[0] == "candidate"  # the other side: without the tick, eligible


def test_household_categories_come_from_the_household_members():
    on = dt.date(2026, 5, 19)
    base = {"sex": "女", "birth_date": dt.date(1990, 2, 2), "reg_date": dt.date(2026, 1, 6), "area_type": "城镇"}
    min_size = P["rules.categories.c04.min_household_size"].at(on)
    alone = whatif.decide(whatif.Scenario(**base, household_others=min_size - 2), on, P)
    family = whatif.decide(whatif.Scenario(**base, household_others=min_size - 1), on, P)
    employed = whatif.decide(whatif.Scenario(**base, household_others=min_size - 1, household_employed=True), on, P)
    assert "04" not in alone.evaluation.summary["categories"].iloc[0].split(",")
    assert "04" in family.evaluation.summary["categories"].iloc[0].split(",")
    assert "04" not in employed.evaluation.summary["categories"].iloc[0].split(",")


def test_an_identity_number_gives_sex_and_birth_date_and_a_bad_one_is_refused_in_chinese(form):
    pid = make_id("441803", dt.date(1966, 1, 20), 123)  # odd sequence: a man
    _set(form, id_number=pid, sex="女", birth_date=dt.date(1990, 1, 1))  # the number wins over the ticks
    form.on.value = dt.date(2026, 5, 20)
    form.run.click()
    assert pid in form.output.value and "判定日期 2026-05-20：排除" in form.output.value
    form.inputs["id_number"].value = pid[:-1] + ("0" if pid[-1] != "0" else "1")
    form.run.click()
    assert "校验码" in form.output.value and "jykn-error" in form.output.value
    form.inputs["id_number"].value = ""
    form.inputs["birth_date"].value = None
    form.run.click()
    assert "请填写出生日期" in form.output.value
