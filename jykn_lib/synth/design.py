"""Planting one labelled person: their household, registrations and department records, built so that the outcome
on the reference date is fixed by construction (docs/engine_rules.md), and the label written down as planted.

A :class:`Design` says what the person should be: the categories they meet, the exclusions and hints that apply, and
optionally exact dates for boundary cases. :func:`plant` builds the facts and records the label; nothing here looks
at the generated files or runs a rule engine. Background people are kept away from every boundary:
ages at least a year from the category 01 thresholds and half a year from retirement, registrations months away from
the 6- and 12-month marks, contributions either inside the look-back window or months before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .population import OTHER_GUANGDONG, OTHER_PROVINCES, World, credit_code, to_day, ym

EXCLUSION_ORDER = ["X_HUKOU_OUT", "X_HUKOU_UNMATCHED", "X_DECEASED", "X_UNDER_AGE", "X_RETIRED", "X_RETIRED_F50",
                   "X_PENSION", "X_NO_ABILITY", "X_NOT_WILLING", "X_EMP_UNIT", "X_EMP_MARKET", "X_EMP_LEDGER", "X_RECOGNISED"]
HINT_ORDER = ["H_HUKOU_CHECK", "H_FLEX", "H_SHAREHOLDER", "H_EXITED", "H_HOUSEHOLD_AREA"]
EXIT_ORDER = ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "D1", "D2"]
CATEGORY_CODES = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"]
SPECIAL_TYPES = {"08": "戒毒康复", "09": "刑满释放", "10": "精神障碍康复"}
# Ages of planted people past retirement, checked against the schedule by Planter.safe_birth: men past it, women
# past it on the 50 base but not on the 55 base (so that only X_RETIRED_F50 applies).
RETIRED_MALE_AGES = (61, 64)
RETIRED_F50_AGES = (51, 53)
SKILLS = ["无", "初级工", "中级工", "有驾驶证", "厨师证", "电工证", "育婴员证", "无"]
INCOME = ["无变化", "无变化", "无变化", "增加", "减少"]


@dataclass
class Design:
    cats: tuple[str, ...] = ()
    excl: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    group: str = "bu"
    town: str | None = None
    area: str | None = None  # 城镇 / 农村
    sex: str | None = None
    birth: dt.date | None = None
    reg_date: dt.date | None = None
    household: str | None = None  # alone, earner, rural_idle, zero_urban, zero_rural_poor
    screened: bool = True  # False: the only registration was cancelled before the reference date
    ledger: str | None = None  # active, active_unit, active_post, exited
    ledger_cats: tuple[str, ...] | None = None
    town_blank: bool = False  # 失业登记 所属镇街 left blank (town then comes from 户籍人口)
    history_row: bool | None = None
    want: str | None = None  # identity number wish (see World.alloc_id)
    region: str | None = None
    women_base: int | None = None  # written in the ledger (女性退休基准)
    poverty_listed: str = "any"  # zero_rural_poor: who is in 原建档立卡: any, self, member
    zero_members: tuple[str, ...] | None = None  # kid, retired, spouse, spouse_flex, spouse_newjob
    cancel_date: dt.date | None = None  # explicit 注销日期 of the current registration (screened=False or later)
    change_date: dt.date | None = None  # explicit 变动日期 for a hukou change
    no_registration: bool = False  # no 失业登记 row at all
    services: list | str = "regular"  # "regular", "none", or [(date, 服务类型, 服务方式, 服务结果)]
    recognised: dt.date | None = None
    hukou: tuple[str, dt.date | None] | None = None  # explicit (户籍状态, 变动日期), outcome labelled by the caller


@dataclass
class Planted:
    pid: int
    hid: int | None
    town: str
    area: str
    members: list[int]
    reg_date: dt.date | None
    recognised: dt.date | None = None
    village: str | None = None
    cancel_date: dt.date | None = None


def sort_codes(codes, order) -> list[str]:
    codes = list(dict.fromkeys(codes))
    return sorted(codes, key=lambda c: order.index(c) if c in order else len(order))


def make_label(cats, reasons, hints, town, screened=True) -> dict:
    if not screened:
        return {"town": town, "outcome": "not_screened", "categories": [], "reasons": [], "hints": []}
    cats = sorted(set(cats))
    reasons = sort_codes(reasons, EXCLUSION_ORDER)
    hints = sort_codes(hints, HINT_ORDER)
    if not cats:
        if reasons or hints:
            raise AssertionError(f"a person without category must carry no reason or hint ({reasons}, {hints})")
        outcome = "no_category"
    else:
        outcome = "excluded" if reasons else "candidate"
    if outcome != "candidate" and hints:
        raise AssertionError(f"hints are planted on candidates only ({hints})")
    return {"town": town, "outcome": outcome, "categories": cats, "reasons": reasons, "hints": hints}


class Planter:
    """Builds labelled people into a world with one random generator."""

    def __init__(self, world: World, rng: np.random.Generator):
        self.w = world
        self.rng = rng
        r = world.r
        self.f_c01, self.m_c01 = r.female_c01, r.male_c01

    # -- small helpers -----------------------------------------------------------------------------------------
    def pick_town(self) -> str:
        towns = self.w.towns
        if not hasattr(self, "_town_cum"):
            self._town_cum = np.cumsum([t.weight for t in towns])
        i = int(np.searchsorted(self._town_cum, self.rng.random() * self._town_cum[-1], side="right"))
        return towns[min(i, len(towns) - 1)].name

    def pick_area(self, town: str) -> str:
        return "城镇" if self.rng.random() < self.w.town_by_name[town].urban_share else "农村"

    def days(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def safe_birth(self, sex: str, age_min: int, age_max: int, *, retired: bool = False) -> dt.date:
        """A birth date in the age range, at least half a year from retirement (or past it, for ``retired``)."""
        w = self.w
        for _ in range(200):
            b = w.birth_for_age(self.rng, age_min, age_max)
            r50 = w.retirement(b, sex, None)
            if retired:
                r55 = w.retirement(b, sex, 55) if sex == "女" else r50
                if r50 <= w.as_of - dt.timedelta(days=60) and (sex == "男" or r55 > w.as_of + dt.timedelta(days=180)):
                    return b
            elif r50 > w.as_of + dt.timedelta(days=180):
                return b
        raise ValueError(f"no safe birth date for {sex} {age_min}-{age_max}")

    def person_birth(self, d: Design, sex: str) -> dt.date:
        if d.birth:
            return d.birth
        if "X_RETIRED" in d.excl:
            return self.safe_birth(sex, *RETIRED_MALE_AGES, retired=True)
        if "X_RETIRED_F50" in d.excl:
            return self.safe_birth(sex, *RETIRED_F50_AGES, retired=True)
        if "01" in d.cats:
            base = self.f_c01 if sex == "女" else self.m_c01
            return self.safe_birth(sex, base + 1, base + 8)
        base = self.f_c01 if sex == "女" else self.m_c01
        return self.safe_birth(sex, 20, base - 3)

    def reg_date_for(self, d: Design) -> dt.date:
        if d.reg_date:
            return d.reg_date
        w = self.w
        if "07" in d.cats:
            return w.days_before(self.days(400, 690))
        if "11" in d.cats or d.ledger in ("active", "active_unit", "active_post"):
            return w.days_before(self.days(200, 330))
        if not d.screened:
            return w.days_before(self.days(200, 600))
        if d.ledger == "exited":
            return w.days_before(self.days(40, 150))
        if self.rng.random() < 0.8:
            return w.days_before(self.days(15, 160))
        return w.days_before(self.days(200, 330))

    # -- the person and their household ------------------------------------------------------------------------
    def plant(self, d: Design) -> Planted:
        w, rng = self.w, self.rng
        town = d.town or self.pick_town()
        veteran = "11" in d.cats
        sex = d.sex or ("男" if veteran and rng.random() < 0.95 else ("男" if rng.random() < 0.5 else "女"))
        if "X_RETIRED" in d.excl:
            sex = "男"
        if "X_RETIRED_F50" in d.excl:
            sex = "女"
        birth = self.person_birth(d, sex)
        # hukou situation
        absent = "X_HUKOU_UNMATCHED" in d.excl or "H_HUKOU_CHECK" in d.hints
        status, change = "正常", None
        if "X_HUKOU_OUT" in d.excl:
            status, change = "迁出省外", d.change_date or w.days_before(self.days(30, 400))
        if "X_DECEASED" in d.excl:
            status, change = "死亡", d.change_date or w.days_before(self.days(20, 300))
        if d.hukou:
            status, change = d.hukou
        region = d.region
        if absent and not region:
            region = (str(rng.choice(OTHER_PROVINCES)) if "X_HUKOU_UNMATCHED" in d.excl
                      else str(rng.choice(list(OTHER_GUANGDONG) + [w.district_code])))
        household = d.household
        if household is None:
            if "04" in d.cats:
                household = "zero_urban"
            elif "05" in d.cats:
                household = "zero_rural_poor"
            elif absent:
                household = "absent"
            elif status != "正常":
                household = "alone"
            else:
                household = None
        area = d.area or ("城镇" if household == "zero_urban" else "农村" if household in ("zero_rural_poor",)
                          else "农村" if "06" in d.cats else self.pick_area(town))
        if household is None:
            r = rng.random()
            if area == "城镇":
                household = "alone" if r < 0.3 else "earner"
            else:
                household = "alone" if r < 0.2 else "earner" if r < 0.7 else "rural_idle"
        hid = None if household == "absent" else w.add_household(rng, town, area)
        relation = "户主"
        young = (w.as_of.year - birth.year) < 26
        if household == "earner" and young:
            relation = "子" if sex == "男" else "女"
        pid = w.add_person(hid, relation, sex, birth, region=region, status=status, change_date=change,
                           group=d.group, want=d.want)
        members: list[int] = []
        if household == "earner":
            members += self.add_earner(hid, pid, sex, birth, head=young)
            members += self.add_dependants(hid, area, kids=not young)
        elif household == "rural_idle":
            members += self.add_idle_adult(hid, sex, birth)
            members += self.add_dependants(hid, area, kids=True)
        elif household in ("zero_urban", "zero_rural_poor"):
            members += self.add_zero_members(hid, sex, birth, d.zero_members)
            if household == "zero_rural_poor":
                listed = {"any": [pid] + members[:1], "self": [pid], "member": members[:1]}[d.poverty_listed]
                for m in listed:
                    w.poverty.add(pid=m, group=d.group)
        planted = Planted(pid, hid, town, area, members, None)
        self.registrations(d, planted)
        self.category_facts(d, planted, sex, birth)
        self.exclusion_facts(d, planted)
        self.work_history(d, planted)
        self.ledger_facts(d, planted, sex)
        return planted

    def add_earner(self, hid: int, pid: int, sex: str, birth: dt.date, head: bool) -> list[int]:
        """A household member of safe working age with 单位 contributions through the reference month."""
        w, rng = self.w, self.rng
        if head:  # the person is young: a parent earns
            e_sex = "男"
            e_birth = self.safe_birth("男", 45, 55)
            e = w.add_person(hid, "父亲", e_sex, e_birth, group="member")
        else:
            e_sex = "女" if sex == "男" else "男"
            e_birth = self.safe_birth(e_sex, 24, 44 if e_sex == "女" else 54)
            e = w.add_person(hid, "配偶", e_sex, e_birth, group="member")
        employer = str(w.pools.companies[rng.integers(0, len(w.pools.companies))])
        start = w.hist_start_ym + (0 if rng.random() < 0.7 else int(rng.integers(1, 12)))
        w.spells.add(pid=e, start=start, end=w.as_of_ym, ctype="单位", employer=employer, group="member")
        return [e]

    def add_idle_adult(self, hid: int, sex: str, birth: dt.date, old_job: bool = True) -> list[int]:
        """A spouse of working age without any employment evidence (not registered unemployed)."""
        s_sex = "女" if sex == "男" else "男"
        age = max(22, min(self.w.as_of.year - birth.year + int(self.rng.integers(-3, 4)), 45))
        b = self.safe_birth(s_sex, age - 1, age + 1)
        m = self.w.add_person(hid, "配偶", s_sex, b, group="member")
        if old_job:
            self.old_spell(m)
        return [m]

    def old_spell(self, pid: int) -> None:
        """Sometimes a job that ended months before the look-back window (not employment evidence now)."""
        w, rng = self.w, self.rng
        if rng.random() < 0.4:
            end = w.window_start_ym - int(rng.integers(2, 10))
            start = max(w.hist_start_ym, end - int(rng.integers(2, 14)))
            if start <= end:
                w.spells.add(pid=pid, start=start, end=end, ctype="单位",
                             employer=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), group="member")

    def add_dependants(self, hid: int, area: str, kids: bool) -> list[int]:
        w, rng = self.w, self.rng
        out = []
        if kids:
            for _ in range(int(rng.choice([0, 1, 1, 2]))):
                s = "男" if rng.random() < 0.52 else "女"
                out.append(w.add_person(hid, "子" if s == "男" else "女", s,
                                        w.birth_for_age(rng, 1, 14), group="member"))
        if rng.random() < 0.2:
            s = "男" if rng.random() < 0.45 else "女"
            out.append(w.add_person(hid, "父亲" if s == "男" else "母亲", s, w.birth_for_age(rng, 67, 85),
                                    group="member"))
        return out

    def add_zero_members(self, hid: int, sex: str, birth: dt.date, kinds=None) -> list[int]:
        """Members of a household where nobody checked works: children under 14, retirees, an idle spouse.
        Named cases may add a spouse with only 灵活就业 contributions (weak evidence) or one who just found work."""
        w, rng = self.w, self.rng
        out = []
        if kinds is None:
            kinds = [str(k) for k in rng.permutation(["kid", "retired", "spouse"])[: int(rng.integers(1, 4))]]
        for k in kinds:
            if k == "kid":
                s = "男" if rng.random() < 0.5 else "女"
                out.append(w.add_person(hid, "子" if s == "男" else "女", s, w.birth_for_age(rng, 2, 13),
                                        group="member"))
            elif k == "retired":
                s = "男" if rng.random() < 0.4 else "女"
                out.append(w.add_person(hid, "父亲" if s == "男" else "母亲", s, w.birth_for_age(rng, 67, 84),
                                        group="member"))
            elif k == "spouse":
                out += self.add_idle_adult(hid, sex, birth)
            elif k == "spouse_flex":
                m = self.add_idle_adult(hid, sex, birth)
                w.spells.add(pid=m[0], start=w.window_start_ym - 8, end=w.as_of_ym, ctype="灵活就业", employer=None,
                             group="member")
                out += m
            elif k == "spouse_newjob":
                m = self.add_idle_adult(hid, sex, birth, old_job=False)
                w.spells.add(pid=m[0], start=w.window_start_ym + 1, end=w.as_of_ym, ctype="单位",
                             employer=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), group="member")
                out += m
            elif k == "moved_worker":  # moved within the province: no longer a household member, works elsewhere
                s = "女" if sex == "男" else "男"
                m = w.add_person(hid, "子" if s == "男" else "女", s, self.safe_birth(s, 22, 30), status="迁出省内",
                                 change_date=w.days_before(self.days(60, 300)), group="member")
                w.spells.add(pid=m, start=w.hist_start_ym, end=w.as_of_ym, ctype="单位",
                             employer=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), group="member")
                out.append(m)
            elif k == "dead":
                s = "男" if rng.random() < 0.5 else "女"
                out.append(w.add_person(hid, "父亲" if s == "男" else "母亲", s, w.birth_for_age(rng, 70, 85),
                                        status="死亡", change_date=w.days_before(self.days(30, 300)), group="member"))
            else:
                raise ValueError(k)
        return out

    # -- 失业登记 -----------------------------------------------------------------------------------------------
    def registrations(self, d: Design, p: Planted) -> None:
        w, rng = self.w, self.rng
        if d.no_registration:
            return
        reg = self.reg_date_for(d)
        p.reg_date = reg
        vil = self.village_of(p)
        history = d.history_row if d.history_row is not None else (
            d.group == "bu" and d.ledger != "exited" and rng.random() < 0.15)
        if history and reg > w.hist_start + dt.timedelta(days=90):
            first = w.hist_start + dt.timedelta(days=self.days(0, 30))
            cancel = first + dt.timedelta(days=self.days(20, max(21, (reg - first).days - 10)))
            w.unemp.add(pid=p.pid, reg_date=first, status="已注销", cancel_date=min(cancel, reg - dt.timedelta(days=1)),
                        town=p.town, village=vil, willing="是", able="有", group=d.group)
        willing = "否" if "X_NOT_WILLING" in d.excl else ("是" if rng.random() < 0.9 else None)
        able = "无" if "X_NO_ABILITY" in d.excl else ("有" if rng.random() < 0.9 else None)
        status, cancel = "有效", None
        if d.cancel_date:
            status, cancel = "已注销", d.cancel_date
        elif not d.screened:
            status = "已注销"
            cancel = w.days_before(self.days(5, min(150, max(6, (w.as_of - reg).days - 5))))
        p.cancel_date = cancel
        w.unemp.add(pid=p.pid, reg_date=reg, status=status, cancel_date=cancel, town=None if d.town_blank else p.town,
                    village=vil, willing=willing, able=able, group=d.group)

    def village_of(self, p: Planted) -> str:
        if p.hid is None:
            if p.village is None:
                p.village = self.w.village_for(self.rng, p.town, p.area)
            return p.village
        return self.w.hh_village[p.hid]

    # -- categories ---------------------------------------------------------------------------------------------
    def category_facts(self, d: Design, p: Planted, sex: str, birth: dt.date) -> None:
        w, rng, g = self.w, self.rng, d.group
        if "02" in d.cats:
            w.disability.add(pid=p.pid, dtype=int(rng.integers(1, 8)), grade=int(rng.integers(2, 5)),
                             issue=w.days_before(self.days(90, 3000)), status="有效", group=g)
        if "03" in d.cats:
            start = w.days_before(self.days(200, 1500))
            kind = "城市低保" if p.area == "城镇" else "农村低保"
            for m in [p.pid] + p.members:
                w.dibao.add(pid=m, type=kind, start=start, end=None, group=g)
        if "06" in d.cats:
            w.landless.add(pid=p.pid, date=w.days_before(self.days(120, 4000)), all_lost="是", group=g)
        for code, kind in SPECIAL_TYPES.items():
            if code in d.cats:
                date = None if rng.random() < 0.2 else w.days_before(self.days(60, 2500))
                w.special.add(pid=p.pid, type=kind, date=date, group=g)
        if "11" in d.cats:
            discharge = birth + dt.timedelta(days=int(365.25 * rng.integers(20, 25)))
            discharge = min(discharge, p.reg_date - dt.timedelta(days=30))
            w.veteran.add(pid=p.pid, discharge=discharge, cert=None, grade=None, group=g)

    # -- exclusions and hints -----------------------------------------------------------------------------------
    def exclusion_facts(self, d: Design, p: Planted) -> None:
        w, rng, g = self.w, self.rng, d.group
        if "X_EMP_UNIT" in d.excl:
            if "07" in d.cats:
                raise AssertionError("a recent 单位 contribution after registration rules out category 07")
            start = min(max(ym(p.reg_date) + 1, w.window_start_ym + int(rng.integers(0, 2))), w.as_of_ym)
            w.spells.add(pid=p.pid, start=start, end=w.as_of_ym, ctype="单位",
                         employer=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), group=g)
        if "X_EMP_MARKET" in d.excl:
            individual = rng.random() < 0.5
            w.market.add(pid=p.pid, name=w.pools.shop_name(rng, p.town) if individual else
                         str(w.pools.companies[rng.integers(0, len(w.pools.companies))]),
                         role="经营者" if individual else "法定代表人", status="存续",
                         etype="个体工商户" if individual else "企业", credit=credit_code(rng, individual),
                         founded=w.days_before(self.days(100, 3000)), closed=None, group=g)
        if "H_FLEX" in d.hints:
            w.spells.add(pid=p.pid, start=w.window_start_ym - int(rng.integers(0, 6)), end=w.as_of_ym,
                         ctype="灵活就业", employer=None, group=g)
        if "H_SHAREHOLDER" in d.hints:
            w.market.add(pid=p.pid, name=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]),
                         role="股东", status="存续", etype="企业", credit=credit_code(rng, False),
                         founded=w.days_before(self.days(100, 3000)), closed=None, group=g)

    def work_history(self, d: Design, p: Planted) -> None:
        """A job that ended before registration and before the look-back window (or none)."""
        w, rng = self.w, self.rng
        if p.reg_date is None or rng.random() > 0.6:
            return
        end = min(ym(p.reg_date) - 1, w.window_start_ym - 1)
        start = max(w.hist_start_ym, end - int(rng.integers(3, 20)))
        if start <= end:
            w.spells.add(pid=p.pid, start=start, end=end, ctype="单位",
                         employer=str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), group=d.group)

    # -- the ledger ---------------------------------------------------------------------------------------------
    def ledger_facts(self, d: Design, p: Planted, sex: str) -> None:
        if not d.ledger:
            return
        w = self.w
        cats = d.ledger_cats or tuple(c for c in d.cats if c in ("01", "02", "03", "06", "07", "08", "09", "10",
                                                                    "11")) or ("01",)
        if d.ledger == "exited":
            # recognised on an earlier registration, exited (found work), registered again later
            recognised = w.days_before(self.days(420, 640))
            exit_date = p.reg_date - dt.timedelta(days=self.days(20, 60))
            earlier = recognised - dt.timedelta(days=self.days(30, 120))
            w.unemp.add(pid=p.pid, reg_date=earlier, status="已注销", cancel_date=exit_date, town=p.town,
                        village=self.village_of(p), willing="是", able="有", group=d.group)
            self.ledger_row(d, p, cats, recognised, "已退出", exit_date, "E5", "单位就业", exit_date, sex)
            self.services(p, recognised, exit_date)
            return
        if d.recognised:
            recognised = d.recognised
        elif p.reg_date is None:
            recognised = w.days_before(self.days(200, 400))
        else:
            recognised = w.days_before(self.days(20, max(21, (w.as_of - p.reg_date).days - 15)))
        if "07" in cats and not d.recognised:
            recognised = max(recognised, w.add_months(p.reg_date, w.r.c07_months) + dt.timedelta(days=5))
        emp, emp_date = "未就业", None
        if d.ledger == "active_unit":
            emp, emp_date = "单位就业", dt.date(w.window_start_ym // 12, w.window_start_ym % 12 + 1, 1)
        elif d.ledger == "active_post":
            emp, emp_date = "公益性岗位", recognised + dt.timedelta(days=self.days(5, 15))
            emp_date = min(emp_date, w.as_of - dt.timedelta(days=3))
        p.recognised = recognised
        self.ledger_row(d, p, cats, recognised, "有效", None, None, emp, emp_date, sex)
        if d.services == "regular":
            self.services(p, recognised, w.as_of)
        elif d.services != "none":
            for day, stype, method, result in d.services:
                w.services.add(pid=p.pid, date=day, stype=stype, method=method, result=result,
                               clerk=self.clerk(p.town), town=p.town, group=d.group)

    def ledger_row(self, d: Design, p: Planted, cats, recognised, status, exit_date, exit_reason, emp, emp_date,
                   sex) -> int:
        w, rng = self.w, self.rng
        base = d.women_base if sex == "女" else None
        if base is None and sex == "女" and d.group == "bu" and rng.random() < 0.3:
            base = 55 if rng.random() < 0.3 else 50
        return w.ledger.add(pid=p.pid, town=p.town, village=self.village_of(p), cats=tuple(cats),
                            recognised=recognised, status=status, exit_date=exit_date, exit_reason=exit_reason,
                            emp_status=emp, emp_date=emp_date, skills=SKILLS[int(rng.integers(0, len(SKILLS)))],
                            income=INCOME[int(rng.integers(0, len(INCOME)))], helper=self.clerk(p.town),
                            grade=str(rng.choice(["A", "B", "C"])), base=base, group=d.group)

    def clerk(self, town: str) -> str:
        w = self.w
        if not hasattr(w, "_clerks"):
            from .config import rng_for

            r = rng_for(w.s.seed, "clerks")
            w._clerks = {t.name: list(w.pools.names(r, r.random(3) < 0.4)) for t in w.towns}
        names = w._clerks[town]
        return names[int(self.rng.integers(0, len(names)))]

    def services(self, p: Planted, recognised: dt.date, until: dt.date, pattern: str = "regular") -> None:
        """Art. 5 services after recognition, then follow-ups about monthly. For people still recognised the last
        record, within 45 days of the reference date, is a real contact; at most one refusal ever."""
        w, rng = self.w, self.rng
        clerk = self.clerk(p.town)
        day = recognised
        plan = [("职业指导", "来访", "已联系"), ("岗位推荐", "电话", "已推荐"), ("岗位推荐", "电话", "已推荐"),
                ("岗位推荐", "线上", "已推荐"), ("职业培训", "电话", "已联系")]
        if rng.random() < 0.2:  # some plans are incomplete (for the ledger review)
            plan = plan[: int(rng.integers(1, 4))]
        refuse = rng.random() < 0.1
        rows = []
        for stype, method, result in plan:
            day = day + dt.timedelta(days=self.days(1, 6))
            if day >= until:
                break
            if refuse and stype == "岗位推荐":
                result, refuse = "拒绝", False
            rows.append([day, stype, method, result])
        while True:
            day = day + dt.timedelta(days=self.days(22, 34))
            if day >= until:
                break
            method = "电话" if rng.random() < 0.7 else str(rng.choice(["上门", "线上"]))
            result = "已联系" if (method != "电话" or rng.random() < 0.8) else "未接通"
            rows.append([day, "跟踪回访", method, result])
        if until >= w.as_of:
            if not rows or (w.as_of - rows[-1][0]).days > 45:
                rows.append([w.as_of - dt.timedelta(days=self.days(3, 30)), "跟踪回访", "电话", "已联系"])
            elif rows[-1][3] == "未接通":
                rows[-1][3] = "已联系"
        for day, stype, method, result in rows:
            w.services.add(pid=p.pid, date=day, stype=stype, method=method, result=result, clerk=clerk, town=p.town,
                           group="bu")

    # -- the answer key -----------------------------------------------------------------------------------------
    def plant_labelled(self, d: Design) -> Planted:
        """Plant and write down the label that follows from the design."""
        p = self.plant(d)
        reasons = list(d.excl)
        hints = list(d.hints)
        if d.ledger in ("active", "active_unit", "active_post"):
            reasons.append("X_RECOGNISED")
            if d.ledger in ("active_unit", "active_post"):
                reasons.append("X_EMP_LEDGER")
        if d.ledger == "exited":
            hints.append("H_EXITED")
        if not d.no_registration:
            self.w.screening[p.pid] = make_label(d.cats, reasons, hints, p.town, screened=d.screened)
        if d.ledger in ("active", "active_unit", "active_post"):
            self.w.exits[p.pid] = design_exits(d)
        return p


def design_exits(d: Design) -> list[str]:
    """Exit conditions that follow from a design of a person recognised (有效) on the reference date."""
    out = []
    if "X_RETIRED" in d.excl or ("X_RETIRED_F50" in d.excl and d.women_base != 55):
        out.append("E1")
    if "X_NO_ABILITY" in d.excl:
        out.append("E2")
    if {"X_EMP_UNIT", "X_EMP_MARKET", "X_EMP_LEDGER"} & set(d.excl) or d.ledger in ("active_unit", "active_post"):
        out.append("E5")
    if not d.screened:
        out.append("E5")
    if "X_DECEASED" in d.excl:
        out.append("D1")
    if "X_HUKOU_OUT" in d.excl:
        out.append("D2")
    return sort_codes(out, EXIT_ORDER)


__all__ = ["Design", "Planted", "Planter", "make_label", "sort_codes", "to_day"]
