"""Exit conditions (退出情形) E1–E10 and the district's D1/D2 for people recognised on a date, with their evidence.

E2, E3, E7, E8 and E9 have no data source: they come only from the towns' answers (``declared``: one row per person
and exit code, from the returned 核实表); every code a town may answer is listed in ``rules.exits.town_answer_codes``.
Which codes the district applies itself (E1, D1) is ``rules.exits.direct_codes``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..dates import add_months
from ..params import Parameters
from ..rowtext import has_part
from .collect import Collector, age_text, employer_suffix, fmt_date


def recognised_mask(ledger: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Ledger rows of a recognition in force on ``as_of``: 认定日期 ≤ as_of, and 有效, or 已退出 after as_of."""
    on = pd.Timestamp(as_of)
    rec = pd.to_datetime(ledger["recognised_date"], errors="coerce")
    ext = pd.to_datetime(ledger.get("exit_date", pd.Series(pd.NaT, index=ledger.index)), errors="coerce")
    status = ledger["status"]
    return ((rec <= on) & ((status == "有效") | ((status == "已退出") & ext.notna() & (ext > on)))).fillna(False)


def recognised_people(tables, as_of: dt.date) -> pd.DataFrame:
    """Ledger people 有效 on ``as_of`` (认定日期 ≤ as_of, and 有效 or 已退出 after as_of), one row per person (the
    last such row of the ledger, as :func:`recognised_mask` and ``drop_duplicates(keep="last")`` pick it)."""
    ledger = tables.get("ledger")
    if ledger is None or ledger.empty:
        return pd.DataFrame({"id_number": pd.Series(dtype=object), "eval_date": pd.Series(dtype="datetime64[ns]")})
    on = pd.Timestamp(as_of)
    mask = recognised_mask(ledger, as_of)
    people = ledger.loc[mask, ["id_number"]].copy()
    people["eval_date"] = on
    if "women_base" in ledger:
        people["women_base"] = pd.to_numeric(ledger.loc[mask, "women_base"], errors="coerce")
    return people.drop_duplicates("id_number", keep="last").reset_index(drop=True)


def check_declared(declared: pd.DataFrame, params: Parameters, on: dt.date) -> pd.DataFrame:
    """The towns' answers as (id_number, code, evidence); a code a town may not answer is a programming error."""
    allowed = set(params["rules.exits.town_answer_codes"].at(on))
    bad = sorted(set(declared["code"]) - allowed)
    if bad:
        raise ValueError(f"镇街核实结果中的退出原因 {'、'.join(bad)} 不是镇街可填报的退出原因（{'、'.join(sorted(allowed))}）")
    out = declared[["id_number", "code"]].copy()
    out["evidence"] = declared["evidence"] if "evidence" in declared else "镇街核实"
    return out


def town_checks_e1(f: pd.DataFrame) -> pd.Series:
    """E1 reached by age only on the default base, for a woman whose 女性退休基准 is not recorded: not direct, her town
    checks which base applies (docs/rules.md §5)."""
    return f["retired"] & ~f["pension_started"] & (f["sex"] == "女") & ~f["women_base_given"]


def exit_conditions(f: pd.DataFrame, people: pd.DataFrame, params: Parameters, c: Collector,
                    declared: pd.DataFrame | None = None) -> None:
    d = f["eval_date"]
    pension_text = "养老待遇开始日期 " + fmt_date(f["pension_start"])
    retired_text = age_text(f) + "，法定退休日期" + fmt_date(f["retirement_date"])
    default_base = params["rules.general.women_default_base"].at_many(d).astype(int).astype(str)
    retired_text = retired_text.where(~town_checks_e1(f), retired_text + "（台账未记录女性退休基准，按" + default_base
                                      + "岁基准计算，请核实）")
    c.add("E1", f["retired"] | f["pension_started"], np.where(f["pension_started"], pension_text, retired_text))
    c.add("E2", f["no_ability"], "失业登记记载无劳动能力")
    refusal_n = params["rules.exits.e4_refusal_count"].at_many(d)
    c.add("E4", f["refusals_in_window"] >= refusal_n, "近期拒绝服务 " + f["refusals_in_window"].astype(str) + " 次")
    emp_text = (
        np.where(f["emp_unit"], "单位缴费所属期 " + f["emp_unit_periods"].fillna("") + employer_suffix(f), "")
        + np.where(f["emp_market"], " 市场主体：" + f["emp_market_entities"].fillna(""), "")
        + np.where(f["emp_ledger"], " 台账就业状态：" + f["ledger_employment_status"].fillna(""), "")
        + np.where(f["reg_cancelled"], " 失业登记已注销 " + fmt_date(f["reg_cancel_date"]), "")
    )
    c.add("E5", f["employed"] | f["reg_cancelled"], pd.Series(emp_text).str.strip())
    household = [str(k).zfill(2) for k in params["rules.categories.household_categories"].constant_over(d)]
    cats = f["ledger_categories"].fillna("")
    in_household_cat = pd.Series(np.zeros(len(f), dtype=bool), index=f.index)
    for code in household:  # bounded by the household categories (a parameter)
        in_household_cat |= has_part(cats, code, ",")
    c.add("E6", in_household_cat & f["household_other_employed"], "家庭成员已有就业")
    months10 = params["rules.exits.e10_no_contact_months"].at_many(d).astype(np.int64)
    baseline = f["last_contact"].fillna(f["ledger_recognised_date"])
    cutoff = pd.Series(add_months(d, -months10), index=f.index)
    c.add("E10", baseline.notna() & (baseline < cutoff), "最后有效联系 " + fmt_date(baseline))
    basis_lost(f, params, c)
    c.add("D1", f["deceased"], "户籍状态：死亡")
    out_statuses = params["rules.exits.out_of_province_statuses"].constant_over(d)
    c.add("D2", f["hukou_found"] & f["hukou_status_on"].isin(out_statuses), "户籍状态：" + f["hukou_status_on"].fillna(""))

    if declared is not None and not declared.empty:
        row_of = pd.Series(np.arange(len(people)), index=people["id_number"].astype(str).to_numpy())
        dec = declared[declared["id_number"].astype(str).isin(row_of.index)]
        for code, grp in dec.groupby("code", sort=False):
            mask = np.zeros(len(people), dtype=bool)
            mask[row_of.loc[grp["id_number"].astype(str)].to_numpy()] = True
            evidence = pd.Series("", index=range(len(people)), dtype=object)
            evidence.iloc[row_of.loc[grp["id_number"].astype(str)].to_numpy()] = grp["evidence"].astype(str).to_numpy()
            c.add(code, mask, evidence)



def basis_lost(f: pd.DataFrame, params: Parameters, c: Collector) -> None:
    """E11: the basis of every category the person was recognised in is gone — 低保 ended (03), 残疾人证 cancelled
    (02, unless a veteran's disability certificate counts), another household member employed (household categories,
    whose loss alone is E6). Categories whose basis data cannot show a loss (age, registration, special lists …) keep
    the person: no E11."""
    d = f["eval_date"]
    household = [str(k).zfill(2) for k in params["rules.categories.household_categories"].constant_over(d)]
    vet_counts = bool(params["rules.categories.c02.veteran_disability_cert_counts"].constant_over(d))
    vet = f["veteran_disability_cert"] & vet_counts
    lost = {"02": (f["disability_cancelled"] & ~vet, pd.Series("02 残疾人证已注销", index=f.index)),
            "03": (f["dibao_ended"], "03 低保已于 " + fmt_date(f["dibao_end_date"]) + " 结束")}
    for code in household:
        lost[code] = (f["household_other_employed"], pd.Series(f"{code} 家庭其他成员已就业", index=f.index))
    cats = f["ledger_categories"].fillna("").astype(str)
    every = pd.Series(cats != "", index=f.index)
    own = pd.Series(False, index=f.index)  # a lost basis that is not a household one (else E6 says it)
    text = pd.Series("", index=f.index, dtype=object)
    for code in sorted({x for cs in cats.unique() for x in cs.split(",") if x}):
        has = cats.str.contains(rf"(?:^|,){code}(?:,|$)", regex=True)
        if code not in lost:
            every &= ~has
            continue
        mask, why = lost[code]
        mask = mask.fillna(False).astype(bool)
        every &= ~has | mask
        own |= has & mask & (code not in household)
        text = text.where(~(has & mask), np.where(text == "", why, text + "；" + why))
    c.add("E11", every & own, "认定类别的依据均已不存在：" + text)
