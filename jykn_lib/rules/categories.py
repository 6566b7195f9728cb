"""The 13 categories of 粤人社规〔2023〕11号 第一条第（一）至（十三）项, each a mask over the facts with its evidence.

Thresholds come from ``params/rules/categories/``; the household categories (04, 05) and their area types, and the
special-person categories (08–10) and their 人员类型, are tables in the parameters, not names in code. Categories
decided only on application (``rules.categories.by_application_only``: 12, 13) are never found from data here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates import add_months
from ..params import Parameters
from .collect import Collector, age_text, fmt_date


def categories(f: pd.DataFrame, params: Parameters, c: Collector) -> dict[str, pd.Series]:
    d = f["eval_date"]
    cats: dict[str, pd.Series] = {}

    fmin = params["rules.categories.c01.female_min_age"].at_many(d)
    mmin = params["rules.categories.c01.male_min_age"].at_many(d)
    cats["01"] = ((f["sex"] == "女") & (f["age"] >= fmin)) | ((f["sex"] == "男") & (f["age"] >= mmin))
    c.add("C01", cats["01"], age_text)

    vet_counts = params["rules.categories.c02.veteran_disability_cert_counts"].constant_over(d)
    vet = f["veteran_disability_cert"] & bool(vet_counts)
    cats["02"] = f["disability_cert"] | vet
    c.add("C02", cats["02"], lambda r: np.where(r["disability_cert"], "持有效残疾人证", "持退役军人伤残证件"))

    cats["03"] = f["dibao"]
    c.add("C03", cats["03"], "民政低保在保")

    for code, rule in params["rules.categories.household_categories"].constant_over(d).items():
        code = str(code).zfill(2)
        area = params[f"{rule['parameters']}.area_type"].constant_over(d)
        min_size = params[f"{rule['parameters']}.min_household_size"].at_many(d)
        met = (f["household_member"] & (f["household_area_type"] == area) & (f["household_size"] >= min_size)
               & ~f["household_checked_employed"] & ~f["household_area_unknown"])
        if rule.get("former_poverty_household"):
            met = met & f["household_poverty"]
        cats[code] = met.fillna(False).astype(bool)
        c.add(f"C{code}", cats[code], lambda r, area=area: "户号 " + r["hukou_household_id"].fillna("").astype(str) + "，"
              + area + "户籍，家庭" + r["household_size"].astype(int).astype(str) + "人，劳动年龄内有劳动能力和就业意愿的成员均无就业")

    cats["06"] = f["landless_all"]
    c.add("C06", cats["06"], "因征地全部失去土地")

    months07 = params["rules.categories.c07.min_months_since_registration"].at_many(d).astype(np.int64)
    reg_date = f["reg_date"]
    since_ok = pd.Series(add_months(reg_date, months07), index=f.index) <= d
    cats["07"] = (f["reg_valid"] & since_ok & ~f["unit_since_registration"]).fillna(False).astype(bool)
    c.add("C07", cats["07"], lambda r: "最近一次失业登记 " + fmt_date(r["reg_date"]))

    for code, person_type in params["rules.categories.special_person_types"].constant_over(d).items():
        code = str(code).zfill(2)
        cats[code] = f[f"special_{code}"]
        c.add(f"C{code}", cats[code], f"人员类型：{person_type}")

    months11 = params["rules.categories.c11.min_months_registered"].at_many(d).astype(np.int64)
    since11 = pd.Series(add_months(reg_date, months11), index=f.index) <= d
    cats["11"] = (f["veteran"] & f["reg_valid"] & since11).fillna(False).astype(bool)
    c.add("C11", cats["11"], lambda r: "退役军人，失业登记 " + fmt_date(r["reg_date"]))
    return cats
