"""The per-person Python baseline of the rule benchmark: the engine's screening decision written the plain way — one
person at a time, dictionaries for the lookups — over the sources that ``district.build`` makes.

It covers exactly what those sources can trigger (hukou status, working age under the 2025 retirement schedule,
unit contributions and market roles, the ledger, 低保, households for category 04, category 07) and nothing else, so
that its answers can be asserted equal to the engine's. It shares no code with the engine: the retirement schedule and
every threshold are read from the same parameters, and computed again here person by person.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

import pandas as pd


def _birth_and_sex(pid: str) -> tuple[dt.date, str]:
    return dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14])), ("男" if int(pid[16]) % 2 else "女")


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + months
    y, mo = divmod(m, 12)
    return dt.date(y, mo + 1, min(day.day, calendar.monthrange(y, mo + 1)[1]))


def _retirement(birth: dt.date, sex: str, base, schedule: dict) -> dt.date:
    group = "male" if sex == "男" else ("female55" if base == 55 else "female50")
    g = schedule[group]
    delay = 0
    if g["months_per_delay"] and g["first_cohort"]:
        fy, fm = (int(x) for x in str(g["first_cohort"]).split("-")[:2])
        n = (birth.year * 12 + birth.month - 1) - (fy * 12 + fm - 1) + 1
        if n > 0:
            delay = min(-(-n // g["months_per_delay"]), g["max_delay_months"])
    return _add_months(birth, g["base_age"] * 12 + delay)


def screen(tables: dict[str, pd.DataFrame], as_of: dt.date, params) -> dict[str, dict]:
    """{id_number: {outcome, categories, exclusions}} for every registered person, one person at a time."""
    v = lambda name: params[name].at(as_of)  # noqa: E731
    schedule, base = v("rules.retirement.schedule"), v("rules.general.women_default_base")
    ok_status, dead = set(v("rules.general.hukou_statuses_ok")), set(v("rules.exits.deceased_statuses"))
    member_status = set(v("rules.categories.household_member_statuses"))
    roles, active = set(v("rules.evidence.employment_roles")), set(v("rules.evidence.active_entity_statuses"))
    unit_types = set(v("rules.evidence.unit_contribution_types"))
    lookback = v("rules.evidence.unit_contribution_lookback_months")
    dibao_types = set(v("rules.categories.c03.assistance_types"))
    min_age, f_min, m_min = v("rules.general.working_age_min"), v("rules.categories.c01.female_min_age"), v(
        "rules.categories.c01.male_min_age")
    c04_size, c04_area = v("rules.categories.c04.min_household_size"), v("rules.categories.c04.area_type")
    c07_months = v("rules.categories.c07.min_months_since_registration")
    eval_month = as_of.year * 12 + as_of.month - 1

    def records(name):
        out = defaultdict(list)
        for r in tables[name].to_dict("records"):
            out[str(r["id_number"])].append(r)
        return out

    hukou = {str(r["id_number"]): r for r in tables["hukou"].to_dict("records")}
    households = defaultdict(list)
    for pid, r in hukou.items():
        households[r["household_id"]].append(pid)
    regs, contribs, market, dibao, ledger = (records(n) for n in ("unemployment", "contributions", "market", "dibao",
                                                                    "ledger"))

    def month(period: int) -> int:
        return period // 100 * 12 + period % 100 - 1

    def unit(pid: str) -> bool:
        return any(r["contrib_type"] in unit_types and eval_month - lookback <= month(r["period"]) <= eval_month
                   for r in contribs.get(pid, []))

    def entity_role(pid: str) -> bool:
        return any(r["role"] in roles and r["entity_status"] in active
                   and (pd.isna(r["founded_date"]) or r["founded_date"].date() <= as_of) for r in market.get(pid, []))

    def employed(pid: str) -> bool:
        return unit(pid) or entity_role(pid)

    def working_age(pid: str) -> bool:
        birth, sex = _birth_and_sex(pid)
        return _age(birth, as_of) >= min_age and as_of < _retirement(birth, sex, base, schedule)

    out = {}
    for pid, rows in regs.items():
        current = max((r for r in rows if r["reg_date"].date() <= as_of), key=lambda r: r["reg_date"], default=None)
        if current is None or current["reg_status"] != "有效":
            continue
        birth, sex = _birth_and_sex(pid)
        age, retire = _age(birth, as_of), _retirement(birth, sex, base, schedule)
        h = hukou.get(pid)
        excl, cats = [], []
        status = h["hukou_status"] if h else None
        if status in dead:
            excl.append("X_DECEASED")
        elif h is not None and status not in ok_status:
            excl.append("X_HUKOU_OUT")
        if age < min_age:
            excl.append("X_UNDER_AGE")
        elif as_of >= retire:
            excl.append("X_RETIRED" if sex == "男" else "X_RETIRED_F50")
        reg_month = current["reg_date"].year * 12 + current["reg_date"].month - 1
        if unit(pid):
            excl.append("X_EMP_UNIT")
        if entity_role(pid):
            excl.append("X_EMP_MARKET")
        if any(r["status"] == "有效" and r["recognised_date"].date() <= as_of for r in ledger.get(pid, [])):
            excl.append("X_RECOGNISED")
        if (sex == "女" and age >= f_min) or (sex == "男" and age >= m_min):
            cats.append("01")
        if any(r["assistance_type"] in dibao_types and r["start_date"].date() <= as_of
               and (pd.isna(r["end_date"]) or r["end_date"].date() >= as_of) for r in dibao.get(pid, [])):
            cats.append("03")
        if h is not None:
            members = [m for m in households[h["household_id"]] if hukou[m]["hukou_status"] in member_status]
            if (pid in members and len(members) >= c04_size and h["area_type"] == c04_area
                    and not any(working_age(m) and employed(m) for m in members)):
                cats.append("04")
        if (_add_months(current["reg_date"].date(), c07_months) <= as_of
                and not any(r["contrib_type"] in unit_types and reg_month < month(r["period"]) <= eval_month
                            for r in contribs.get(pid, []))):
            cats.append("07")
        order = ["X_HUKOU_OUT", "X_DECEASED", "X_UNDER_AGE", "X_RETIRED", "X_RETIRED_F50", "X_EMP_UNIT", "X_EMP_MARKET",
                 "X_RECOGNISED"]
        excl = sorted(excl, key=order.index)
        outcome = "no_category" if not cats else ("excluded" if excl else "candidate")
        out[pid] = {"outcome": outcome, "categories": ",".join(cats), "exclusions": ",".join(excl)}
    return out
