"""The general conditions of 粤人社规〔2023〕11号 第一条 (G1–G4), the exclusions that defeat them, and the district's
working rules for people already recognised or receiving a pension. Semantics: docs/engine_rules.md.

    met = general_conditions(facts, collector)     # {"G1": mask, …}; adds X_*/H_* reasons to the collector
"""

from __future__ import annotations

import pandas as pd

from .collect import Collector, age_text, employer_suffix, fmt_date


def general_conditions(f: pd.DataFrame, c: Collector) -> dict[str, pd.Series]:
    # G1 — hukou in the province (a person absent from 户籍人口 with a 44 region code: a hint, not an exclusion)
    c.add("X_DECEASED", f["deceased"], "户籍状态：死亡")
    c.add("X_HUKOU_OUT", f["hukou_out"], lambda r: "户籍状态：" + r["hukou_status_on"].fillna(""))
    unmatched = ~f["hukou_found"]
    c.add("H_HUKOU_CHECK", unmatched & f["id_in_province"])
    c.add("X_HUKOU_UNMATCHED", unmatched & ~f["id_in_province"])
    g1 = f["hukou_ok"] | (unmatched & f["id_in_province"])

    # G2 — working age; a woman without a recorded base is judged on the 50 base, and the town is asked to check 55
    c.add("X_UNDER_AGE", f["under_age"], age_text)

    def retired_text(r):
        return age_text(r) + "，法定退休日期" + fmt_date(r["retirement_date"])

    f50 = (f["sex"] == "女") & ~f["women_base_given"]
    c.add("X_RETIRED", f["retired"] & ~f50, retired_text)
    c.add("X_RETIRED_F50", f["retired"] & f50, retired_text)
    g2 = f["working_age"]
    # a pension already paid ends the status at once (exit E1): not recognised
    c.add("X_PENSION", f["pension_started"] & ~f["retired"], lambda r: "养老待遇开始日期 " + fmt_date(r["pension_start"]))

    # G3 — without work: strong evidence excludes, weak evidence is a hint
    c.add("X_EMP_UNIT", f["emp_unit"], lambda r: "单位缴费所属期 " + r["emp_unit_periods"].fillna("") + employer_suffix(r))
    c.add("X_EMP_MARKET", f["emp_market"], lambda r: r["emp_market_entities"].fillna(""))
    c.add("X_EMP_LEDGER", f["emp_ledger"], lambda r: "台账就业状态：" + r["ledger_employment_status"].fillna(""))
    g3 = ~f["employed"]
    c.add("H_FLEX", f["flex"])
    c.add("H_SHAREHOLDER", f["shareholder"])

    # G4 — able and willing to work
    c.add("X_NO_ABILITY", f["no_ability"])
    c.add("X_NOT_WILLING", f["not_willing"])
    g4 = ~f["no_ability"] & ~f["not_willing"]

    # recognised already, or recognised before and exited
    c.add("X_RECOGNISED", f["recognised_on"], lambda r: "认定日期 " + fmt_date(r["ledger_recognised_date"]))
    c.add("H_EXITED", f["exited_before"] & ~f["recognised_on"],
          lambda r: "退出日期 " + fmt_date(r["ledger_exit_date"]) + " " + r["ledger_exit_reason"].fillna(""))
    met = {"G1": g1, "G2": g2, "G3": g3, "G4": g4}
    for code, mask in met.items():
        c.add(code, mask)
    return met

