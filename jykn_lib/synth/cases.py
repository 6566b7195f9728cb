"""Named planted cases: every category as a candidate, their negatives, the boundaries of docs/engine_rules.md, and the
exit conditions of the quarterly audit. Each case says in Chinese what it is and what the suite should conclude.

Dates are derived from the reference date and the parameters (ages of category 01, months of 07/11, the look-back
window, the E4/E10 windows), so the boundaries move with them. The label is written from how the case is planted.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd

from ..retirement import retirement_dates
from .config import rng_for
from .design import Design, Planted, Planter, make_label
from .population import World, credit_code

BRIEF_MALE_PAIR = (dt.date(1966, 7, 1), dt.date(1966, 6, 15))  # the issue's pair for 2026-11-26


class Cases:
    def __init__(self, world: World):
        self.w = world
        self.rng = rng_for(world.s.seed, "cases")
        self.pl = Planter(world, self.rng)
        self._towns = itertools.cycle([t.name for t in world.towns])

    def town(self) -> str:
        return next(self._towns)

    def add(self, slug: str, desc: str, d: Design, *, after=None, label=None, exits=None) -> Planted:
        w = self.w
        d.group = "named"
        d.town = d.town or self.town()
        p = self.pl.plant_labelled(d)
        if after:
            after(p)
        if label is not None:
            cats, reasons, hints = label
            w.screening[p.pid] = make_label(cats, reasons, hints, p.town, screened=True)
        if exits is not None:
            w.exits[p.pid] = list(exits)
        screening = w.screening.get(p.pid) or {"town": p.town, "outcome": "not_screened", "categories": [],
                                                "reasons": [], "hints": []}
        if d.no_registration:
            w.screening.pop(p.pid, None)
        w.cases.append({"case": slug, "description": desc, "pid": p.pid, "town": screening["town"],
                        "expect": {"screening": {k: screening[k] for k in ("outcome", "categories", "reasons",
                                                                             "hints")},
                                   "exits": list(w.exits.get(p.pid, []))}})
        return p

    # -- small fact helpers ---------------------------------------------------------------------------------------
    def entity(self, pid, role, status, *, closed=None, founded=None, individual=False, town="太和镇"):
        w, rng = self.w, self.rng
        w.market.add(pid=pid, name=w.pools.shop_name(rng, town) if individual else
                     str(w.pools.companies[rng.integers(0, len(w.pools.companies))]), role=role, status=status,
                     etype="个体工商户" if individual else "企业", credit=credit_code(rng, individual),
                     founded=founded or w.days_before(2000), closed=closed, group="named")

    def spell(self, pid, start, end, ctype="单位"):
        w = self.w
        w.spells.add(pid=pid, start=start, end=end, ctype=ctype,
                     employer=None if ctype != "单位" else str(w.pools.companies[0]), group="named")

    def fault(self, slug, kind, source, pid, **extra):
        self.w.forced_faults.append({"kind": kind, "source": source, "pid": pid, "case": slug, **extra})


def births_with_retirement(world: World, sex: str, base, lo: dt.date, hi: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(birth, retirement date) for every birth date whose retirement date falls in [lo, hi]."""
    days = np.arange(np.datetime64(world.add_months(world.as_of, -12 * 66), "D"),
                     np.datetime64(world.add_months(world.as_of, -12 * 49), "D"))
    ret = retirement_dates(days, np.full(len(days), sex), np.full(len(days), base if base else np.nan), world.as_of)
    sel = (ret >= np.datetime64(lo, "D")) & (ret <= np.datetime64(hi, "D"))
    return [(pd.Timestamp(b).date(), pd.Timestamp(r).date()) for b, r in zip(days[sel], ret[sel])]


def one_day_short(world: World, months: int) -> dt.date:
    """The earliest registration date that is NOT yet ``months`` old on the reference date (month ends clamp)."""
    d = world.add_months(world.as_of, -months) + dt.timedelta(days=1)
    while world.add_months(d, months) <= world.as_of:
        d += dt.timedelta(days=1)
    return d


def male_boundary_pair(world: World) -> tuple[dt.date, dt.date]:
    """(born: still of working age on as_of, born: reached retirement on or before as_of), as close as possible."""
    a, b = BRIEF_MALE_PAIR
    if world.retirement(a, "男") > world.as_of >= world.retirement(b, "男"):
        return a, b
    after = births_with_retirement(world, "男", None, world.as_of + dt.timedelta(days=1),
                                   world.as_of + dt.timedelta(days=40))
    before = births_with_retirement(world, "男", None, world.as_of - dt.timedelta(days=40), world.as_of)
    return min(after, key=lambda x: x[1])[0], max(before, key=lambda x: x[1])[0]


def build_cases(world: World) -> None:
    c = Cases(world)
    w, r = world, world.r
    as_of = w.as_of
    day = dt.timedelta(days=1)
    months = w.add_months
    ws_ym = w.window_start_ym

    # ---- every category as a candidate ---------------------------------------------------------------------------
    c.add("c01_candidate_f", "女性45岁左右失业登记人员，家中有人就业：符合01大龄失业人员",
          Design(cats=("01",), sex="女", household="earner"))
    c.add("c01_candidate_m", "男性55岁左右失业登记人员：符合01大龄失业人员", Design(cats=("01",), sex="男"))
    c.add("c01_candidate_rural", "农村女性大龄失业人员（有家庭成员就业）：符合01", Design(cats=("01",), sex="女", area="农村",
                                                                   household="earner"))
    c.add("c01_c03_candidate", "大龄且享受城市低保：同时符合01和03", Design(cats=("01", "03"), area="城镇"))
    c.add("c02_candidate_1", "持有效残疾人证的青年失业人员：符合02", Design(cats=("02",)))
    c.add("c02_candidate_2", "持有效残疾人证（农村）：符合02", Design(cats=("02",), area="农村"))
    c.add("c01_c02_candidate", "大龄且持有效残疾人证：同时符合01和02", Design(cats=("01", "02")))
    c.add("c03_candidate_urban", "享受城市低保（结束日期为空）：符合03", Design(cats=("03",), area="城镇"))
    c.add("c03_candidate_rural", "享受农村低保：符合03", Design(cats=("03",), area="农村"))
    c.add("c04_retired_member", "城镇两人户：本人失业，另一成员已达退休年龄（不计入核查）：符合04城镇零就业家庭",
          Design(cats=("04",), zero_members=("retired",)))
    c.add("c04_child_member", "城镇两人户：本人失业，另一成员是未满16周岁的学生（不计入核查）：符合04",
          Design(cats=("04",), zero_members=("kid",)))
    c.add("c04_idle_spouse", "城镇三人户：配偶在劳动年龄内但无任何就业证据，另有子女：符合04",
          Design(cats=("04",), zero_members=("spouse", "kid")))
    c.add("c04_member_flex_only", "城镇零就业家庭：配偶只有灵活就业缴费（弱证据，不算就业）：仍符合04",
          Design(cats=("04",), zero_members=("spouse_flex", "kid")))
    c.add("c04_member_moved_out", "城镇户：曾同户的就业子女已迁出省内（不再计为家庭成员），其余为本人和退休父母：符合04",
          Design(cats=("04",), zero_members=("moved_worker", "retired")))
    c.add("c05_listed_member", "农村原建档立卡户：名单上是配偶（不是本人），全家无人就业：本人符合05",
          Design(cats=("05",), zero_members=("spouse", "kid"), poverty_listed="member"))
    c.add("c05_listed_self", "农村原建档立卡户：本人在名单中，另一成员为退休老人：符合05",
          Design(cats=("05",), zero_members=("retired",), poverty_listed="self"))
    c.add("c06_candidate_1", "失地农民（全部失地）：符合06", Design(cats=("06",)))
    c.add("c06_candidate_2", "失地农民（全部失地，大龄）：同时符合01和06", Design(cats=("01", "06")))
    c.add("c07_candidate_1", "最近一次失业登记已满一年半，其后无单位缴费：符合07", Design(cats=("07",)))
    c.add("c07_candidate_2", "失业登记一年多，登记前曾有单位缴费：符合07", Design(cats=("07",), history_row=True))
    c.add("c01_c07_candidate", "大龄且连续失业1年以上：同时符合01和07", Design(cats=("01", "07")))
    for code, name in (("08", "戒毒康复"), ("09", "刑满释放"), ("10", "精神障碍康复")):
        c.add(f"c{code}_candidate_1", f"特殊人员名单（{name}）中的失业登记人员：符合{code}", Design(cats=(code,)))
        c.add(f"c{code}_candidate_2", f"特殊人员名单（{name}），大龄：同时符合01和{code}", Design(cats=("01", code)))
    c.add("c11_candidate_1", "退役军人，失业登记约8个月：符合11", Design(cats=("11",)))
    c.add("c11_candidate_2", "退役军人，失业登记约10个月：符合11", Design(cats=("11",), reg_date=w.days_before(300)))
    c.add("c07_c11_candidate", "退役军人，失业登记一年半：同时符合07和11", Design(cats=("07", "11")))

    # ---- 04 / 05 negatives ------------------------------------------------------------------------------------------
    c.add("c04_single_urban", "城镇单人户的失业人员：一人不成家庭，不符合04（无其他类别）",
          Design(household="alone", area="城镇"))
    c.add("c04_working_member", "城镇户：配偶近期有单位缴费（已就业）：不符合04（无其他类别）",
          Design(household="earner", area="城镇"))
    c.add("c04_only_member_deceased", "城镇户：另一成员户籍状态为死亡，正常成员只剩本人：不符合04",
          Design(household="zero_urban", zero_members=("dead",)))
    c.add("c05_rural_nonpoverty", "农村户：全家无人就业但不是原建档立卡户：不符合05（无其他类别）",
          Design(household="rural_idle", area="农村"))

    def poor(p):
        w.poverty.add(pid=p.pid, group="named")

    c.add("c05_poor_with_worker", "农村原建档立卡户：配偶有单位缴费（已就业）：不符合05", Design(household="earner", area="农村"),
          after=poor)

    # ---- age boundaries ---------------------------------------------------------------------------------------------
    b40 = months(as_of, -12 * r.female_c01)
    c.add("c01_female_turns_40_on_as_of", f"女性于基准日当天满{r.female_c01}周岁（生日当天计入）：符合01",
          Design(cats=("01",), sex="女", birth=b40))
    c.add("c01_female_turns_40_next_day", f"女性于基准日次日才满{r.female_c01}周岁：不符合01（无其他类别）",
          Design(sex="女", birth=b40 + day))
    b50 = months(as_of, -12 * r.male_c01)
    c.add("c01_male_turns_50_on_as_of", f"男性于基准日当天满{r.male_c01}周岁：符合01", Design(cats=("01",), sex="男", birth=b50))
    working, retired = male_boundary_pair(w)
    c.add("c01_male_not_yet_retired", f"男性生于{working}，法定退休日期{w.retirement(working, '男')}在基准日之后：仍在劳动年龄内，符合01",
          Design(cats=("01",), sex="男", birth=working))
    c.add("x_retired_male_boundary", f"男性生于{retired}，法定退休日期{w.retirement(retired, '男')}不晚于基准日：已达退休年龄，排除",
          Design(cats=("01",), excl=("X_RETIRED",), sex="男", birth=retired))
    f50 = births_with_retirement(w, "女", None, as_of, as_of)
    if f50:
        c.add("x_retired_f50_on_as_of", "女性按50岁基准的法定退休日期恰为基准日（当日起不在劳动年龄内）：排除（按女职工50岁基准）",
              Design(cats=("01",), excl=("X_RETIRED_F50",), sex="女", birth=f50[0][0]))
    f50n = births_with_retirement(w, "女", None, as_of + day, as_of + day)
    if f50n:
        c.add("c01_female_retires_next_day", "女性按50岁基准的法定退休日期为基准日次日：仍在劳动年龄内，符合01",
              Design(cats=("01",), sex="女", birth=f50n[0][0]))
    f50p = c.add("x_retired_f50", "女性51岁左右，已过50岁基准退休年龄（未到55岁基准）：排除，提示核实是否适用55岁基准",
                 Design(cats=("01",), excl=("X_RETIRED_F50",), sex="女"))
    c.add("x_retired_male", "男性63岁左右仍在失业登记：已达法定退休年龄，排除", Design(cats=("01",), excl=("X_RETIRED",)))

    # ---- employment evidence --------------------------------------------------------------------------------------
    def ent(role, status, closed=None, founded=None, individual=False):
        return lambda p: c.entity(p.pid, role, status, closed=closed, founded=founded, individual=individual,
                                  town=p.town)

    c.add("market_closed_before", "企业法定代表人，企业已于基准日前注销：不算就业，符合01",
          Design(cats=("01",), sex="男"), after=ent("法定代表人", "注销", closed=w.days_before(200)))
    p_rep = c.add("market_active_legal_rep", "存续企业的法定代表人（企业法人）：不属于无业状态，排除",
                  Design(cats=("01",), sex="男"), after=ent("法定代表人", "存续"),
                  label=(["01"], ["X_EMP_MARKET"], []))
    c.add("market_closed_after_as_of", "企业法定代表人，企业注销日期在基准日之后（基准日仍存续）：排除",
          Design(cats=("01",)), after=ent("法定代表人", "注销", closed=as_of + dt.timedelta(days=14)),
          label=(["01"], ["X_EMP_MARKET"], []))
    c.add("market_individual_business", "存续个体工商户的经营者：不属于无业状态，排除",
          Design(cats=("01",)), after=ent("经营者", "存续", individual=True), label=(["01"], ["X_EMP_MARKET"], []))
    c.add("market_revoked_no_date", "企业法定代表人，企业已吊销且注销日期为空（视为已关闭）：不算就业，符合01",
          Design(cats=("01",)), after=ent("法定代表人", "吊销"))
    c.add("market_founded_after_as_of", "企业法定代表人，企业成立日期在基准日之后（基准日尚不存在）：不算就业，符合01",
          Design(cats=("01",)), after=ent("法定代表人", "存续", founded=as_of + dt.timedelta(days=20)))
    c.add("shareholder_only", "只是存续企业的股东（无法定代表人等身份）：不排除，提示核实", Design(cats=("01",), hints=("H_SHAREHOLDER",)))
    c.add("flex_only", "近3个月有灵活就业缴费：不排除，提示核实是否已就业", Design(cats=("01",), hints=("H_FLEX",)))
    reg150 = w.days_before(150)
    c.add("unit_contribution_first_window_month", f"单位缴费费款所属期为{ws_ym // 12}{ws_ym % 12 + 1:02d}（回溯窗口第一个月）：排除",
          Design(cats=("01",), reg_date=reg150), after=lambda p: c.spell(p.pid, ws_ym, ws_ym),
          label=(["01"], ["X_EMP_UNIT"], []))
    prev = ws_ym - 1
    c.add("unit_contribution_before_window", f"单位缴费只到{prev // 12}{prev % 12 + 1:02d}（回溯窗口之前）：不排除，符合01",
          Design(cats=("01",), reg_date=reg150), after=lambda p: c.spell(p.pid, prev, prev))
    c.add("x_no_ability", "失业登记记载劳动能力为无（持残疾人证）：排除", Design(cats=("02",), excl=("X_NO_ABILITY",)))
    c.add("x_not_willing", "失业登记记载就业意愿为否：排除", Design(cats=("01",), excl=("X_NOT_WILLING",)))

    # ---- hukou -----------------------------------------------------------------------------------------------------
    c.add("x_hukou_out", "户籍已迁出省外（变动日期在基准日前）：排除", Design(cats=("01",), excl=("X_HUKOU_OUT",)))
    c.add("hukou_out_after_as_of", "户籍迁出省外，但变动日期在基准日之后（基准日仍为本省户籍）：符合01",
          Design(cats=("01",), hukou=("迁出省外", as_of + dt.timedelta(days=20))))
    c.add("hukou_out_undated", "户籍状态为迁出省外且无变动日期（视为已迁出）：排除",
          Design(cats=("01",), hukou=("迁出省外", None)), label=(["01"], ["X_HUKOU_OUT"], []))
    c.add("hukou_moved_in_province", "户籍迁出省内（仍为本省户籍）：符合01", Design(cats=("01",), hukou=("迁出省内", w.days_before(100))))
    c.add("x_deceased", "户籍状态为死亡，失业登记仍有效：排除", Design(cats=("01",), excl=("X_DECEASED",)))
    c.add("hukou_absent_44", "户籍人口中无此人，身份证地址码为本省（441881）：暂按本省户籍，列入名单并提示核实户籍；镇街取失业登记",
          Design(cats=("01",), hints=("H_HUKOU_CHECK",), region="441881"))
    c.add("hukou_absent_non44", "户籍人口中无此人，身份证地址码为外省（430621）：户籍未匹配，排除",
          Design(cats=("01",), excl=("X_HUKOU_UNMATCHED",), region="430621"))

    def hukou_conflict(p):
        w.extra_hukou.append({"pid": p.pid, "before": True, "status": "正常", "change_date": None})
        w.conflicts.append({"source": "hukou", "pid": p.pid, "case": "hukou_conflict_out"})

    c.add("hukou_conflict_out", "户籍人口同一人两条记录：一条正常（无变动日期）、一条迁出省外（有变动日期），按取变动日期最新的一条：排除",
          Design(cats=("01",), excl=("X_HUKOU_OUT",)), after=hukou_conflict)

    # ---- the ledger (screening side) ------------------------------------------------------------------------------
    c.add("x_recognised", "已在台账中且状态有效：已认定，排除", Design(cats=("01",), ledger="active"))
    c.add("exited_rescreened", "曾认定、已于基准日前退出，后又失业登记：重新列入名单并提示曾退出", Design(cats=("01",), ledger="exited"))

    def ledger_exit_later(p):
        pl = c.pl
        rec = w.days_before(200)
        pl.ledger_row(Design(group="named"), p, ("01",), rec, "已退出", as_of + dt.timedelta(days=10), "E3", "未就业",
                      None, w.pp_sex(p.pid))
        pl.services(p, rec, as_of)

    c.add("ledger_exit_date_after_as_of", "台账状态为已退出，但退出日期在基准日之后（基准日仍有效）：已认定，排除",
          Design(cats=("01",), reg_date=w.days_before(250)), after=ledger_exit_later,
          label=(["01"], ["X_RECOGNISED"], []), exits=[])

    def ledger_future(p):
        c.pl.ledger_row(Design(group="named"), p, ("01",), as_of + dt.timedelta(days=5), "有效", None, None, "未就业",
                        None, w.pp_sex(p.pid))

    c.add("ledger_recognised_after_as_of", "台账认定日期在基准日之后（基准日尚未认定）：列入名单", Design(cats=("01",)),
          after=ledger_future)

    # ---- registrations ----------------------------------------------------------------------------------------------
    c07 = months(as_of, -r.c07_months)
    c07_short = one_day_short(w, r.c07_months)
    c.add("c07_exactly_one_year", f"最近一次失业登记于{c07}，基准日恰满{r.c07_months}个月（同日计入）：符合07",
          Design(cats=("07",), reg_date=c07, history_row=False))
    c.add("c07_one_day_short", f"失业登记于{c07_short}（满{r.c07_months}个月的最早一个未满日期），基准日尚未满：不符合07（无其他类别）",
          Design(reg_date=c07_short, history_row=False))
    reg_b = w.days_before(500)
    rb = reg_b.year * 12 + reg_b.month - 1
    c.add("c07_broken_by_unit_contribution", "失业登记一年多，但登记月份之后有单位缴费（在回溯窗口之前）：不符合07，也不排除",
          Design(reg_date=reg_b, history_row=False), after=lambda p: c.spell(p.pid, rb + 2, rb + 3))
    c.add("c07_contribution_in_registration_month", "单位缴费只在失业登记当月（不在其后）：仍符合07",
          Design(cats=("07",), reg_date=reg_b, history_row=False), after=lambda p: c.spell(p.pid, rb, rb))
    c.add("c07_future_period_ignored", "失业登记一年多，有一条费款所属期在基准日所在月之后的单位缴费（不计）：仍符合07，不排除",
          Design(cats=("07",), reg_date=w.days_before(450), history_row=False),
          after=lambda p: c.spell(p.pid, w.as_of_ym + 1, w.as_of_ym + 1))
    c11 = months(as_of, -r.c11_months)
    c.add("c11_exactly_six_months", f"退役军人，失业登记于{c11}，恰满{r.c11_months}个月：符合11",
          Design(cats=("11",), reg_date=c11, history_row=False))

    def veteran(p):
        w.veteran.add(pid=p.pid, discharge=w.days_before(2000), cert=None, grade=None, group="named")

    c11_short = one_day_short(w, r.c11_months)
    c.add("c11_one_day_short", f"退役军人，失业登记于{c11_short}（满{r.c11_months}个月的最早一个未满日期），基准日尚未满：不符合11（无其他类别）",
          Design(sex="男", reg_date=c11_short, history_row=False), after=veteran)
    c.add("reg_cancelled_before_as_of", "失业登记已于基准日前注销：不在筛查范围", Design(cats=("01",), reg_date=w.days_before(200),
                                                                     cancel_date=w.days_before(30), screened=False,
                                                                     history_row=False))
    c.add("reg_cancelled_on_as_of", "失业登记注销日期恰为基准日：基准日已不有效，不在筛查范围",
          Design(cats=("01",), reg_date=w.days_before(200), cancel_date=as_of, screened=False, history_row=False))
    c.add("reg_cancelled_after_as_of", "失业登记已注销，但注销日期在基准日之后：基准日仍有效，纳入筛查，符合01",
          Design(cats=("01",), reg_date=w.days_before(200), cancel_date=as_of + dt.timedelta(days=10), history_row=False))

    def older_valid(p):
        w.unemp.add(pid=p.pid, reg_date=w.days_before(420), status="有效", cancel_date=None, town=p.town,
                    village=c.pl.village_of(p), willing="是", able="有", group="named", seq=0)

    c.add("reg_latest_cancelled", "两条失业登记：较早一条有效，最近一条已于基准日前注销（以最近一条为准）：不在筛查范围",
          Design(cats=("01",), reg_date=w.days_before(100), cancel_date=w.days_before(20), screened=False,
                 history_row=False), after=older_valid)
    tie = w.days_before(100)

    def tie_first(p):
        w.unemp.add(pid=p.pid, reg_date=tie, status="有效", cancel_date=None, town=p.town,
                    village=c.pl.village_of(p), willing="是", able="有", group="named", seq=-1)

    c.add("reg_same_day_later_row_cancelled", "同一天两条失业登记，文件中靠后的一条已注销（同日取靠后一条）：不在筛查范围",
          Design(cats=("01",), reg_date=tie, cancel_date=w.days_before(20), screened=False, history_row=False),
          after=tie_first)
    c.add("town_from_hukou", "失业登记所属镇街为空：镇街取户籍人口所属镇街（石潭镇），符合01",
          Design(cats=("01",), town="石潭镇", town_blank=True))

    # ---- category negatives -----------------------------------------------------------------------------------------
    def dibao(start, end, kind="城市低保"):
        return lambda p: w.dibao.add(pid=p.pid, type=kind, start=start, end=end, group="named")

    c.add("dibao_ended", "低保已于基准日前结束：不符合03（无其他类别）", Design(area="城镇", household="alone"),
          after=dibao(w.days_before(700), w.days_before(60)))
    c.add("dibao_ends_on_as_of", "低保结束日期恰为基准日（当日仍在享受）：符合03", Design(area="城镇", household="alone"),
          after=dibao(w.days_before(700), as_of), label=(["03"], [], []))
    c.add("dibao_starts_after_as_of", "低保开始日期在基准日之后：不符合03", Design(area="城镇", household="alone"),
          after=dibao(as_of + dt.timedelta(days=5), None))
    c.add("tekun_not_dibao", "特困供养人员（不是最低生活保障）：不符合03", Design(household="alone"),
          after=dibao(w.days_before(900), None, "特困供养"))

    def disability(status, issue):
        return lambda p: w.disability.add(pid=p.pid, dtype=4, grade=3, issue=issue, status=status, group="named")

    c.add("disability_cert_cancelled", "残疾人证已注销：不符合02", Design(), after=disability("注销", w.days_before(900)))
    c.add("disability_issued_after_as_of", "残疾人证发证日期在基准日之后：基准日不符合02", Design(),
          after=disability("有效", as_of + dt.timedelta(days=3)))

    def vet_cert(p):
        w.veteran.add(pid=p.pid, discharge=w.days_before(3000), cert="粤军残字第2019001号", grade="八级", group="named")

    c.add("veteran_disability_cert", "退役军人持伤残证件（失业登记不足6个月）：符合02", Design(sex="男", reg_date=w.days_before(60)),
          after=vet_cert, label=(["02"], [], []))

    def landless(all_lost, date):
        return lambda p: w.landless.add(pid=p.pid, date=date, all_lost=all_lost, group="named")

    c.add("landless_not_all", "失地农民但“是否全部失地”为否：不符合06", Design(area="农村"), after=landless("否", w.days_before(800)))
    c.add("landless_after_as_of", "征地日期在基准日之后：基准日不符合06", Design(area="农村"),
          after=landless("是", as_of + dt.timedelta(days=30)))

    def special(kind, date):
        return lambda p: w.special.add(pid=p.pid, type=kind, date=date, group="named")

    c.add("special_date_after_as_of", "刑满释放日期在基准日之后：基准日不符合09", Design(),
          after=special("刑满释放", as_of + dt.timedelta(days=15)))
    c.add("special_blank_date", "刑满释放人员，日期为空（无时间限制，视为已释放）：符合09", Design(),
          after=special("刑满释放", None), label=(["09"], [], []))

    # ---- faults that must still match (issue 5) -----------------------------------------------------------------
    p = c.add("c03_fullwidth_id_in_registration", "失业登记中的身份证号为全角数字，低保名单为正常号码：仍应匹配，符合03",
              Design(cats=("03",)))
    c.fault("c03_fullwidth_id_in_registration", "id_fullwidth", "unemployment", p.pid)
    p = c.add("c02_lowercase_x_in_disability", "残疾人名单中身份证号末位为小写x：仍应匹配，符合02", Design(cats=("02",), want="X"))
    c.fault("c02_lowercase_x_in_disability", "id_lowercase_x", "disability", p.pid)
    p = c.add("c01_lowercase_x_in_registration", "失业登记中身份证号末位为小写x：仍应匹配，符合01", Design(cats=("01",), want="X"))
    c.fault("c01_lowercase_x_in_registration", "id_lowercase_x", "unemployment", p.pid)
    p = c.add("c09_fullwidth_id_in_special", "特殊人员名单中的身份证号为全角数字：仍应匹配，符合09", Design(cats=("09",)))
    c.fault("c09_fullwidth_id_in_special", "id_fullwidth", "special", p.pid)
    p = c.add("c07_text_registration_date", "失业登记日期写成文本“YYYY年M月D日”：仍按日期解读，符合07", Design(cats=("07",)))
    c.fault("c07_text_registration_date", "text_date", "unemployment", p.pid, field="reg_date", style="cn")
    p = c.add("c06_text_expropriation_date", "征地日期写成文本“YYYY/M/D”：仍按日期解读，符合06", Design(cats=("06",)))
    c.fault("c06_text_expropriation_date", "text_date", "landless", p.pid, field="expropriation_date", style="slash")
    p = c.add("c11_text_discharge_date", "退役日期写成文本“YYYY.M.D”：仍按日期解读，符合11", Design(cats=("11",)))
    c.fault("c11_text_discharge_date", "text_date", "veteran", p.pid, field="discharge_date", style="dot")

    def dis_conflict(p):
        w.disability.add(pid=p.pid, dtype=4, grade=3, issue=w.days_before(1500), status="有效", group="named")
        w.disability.add(pid=p.pid, dtype=4, grade=3, issue=w.days_before(300), status="注销", group="named")
        w.conflicts.append({"source": "disability", "pid": p.pid, "case": "c02_disability_conflict"})

    c.add("c02_disability_conflict", "残疾人名单同一人两条记录：先有效（发证较早）、后注销（发证较晚），按优先取有效的规则：符合02",
          Design(), after=dis_conflict, label=(["02"], [], []))

    def land_conflict(p):
        w.landless.add(pid=p.pid, date=w.days_before(2000), all_lost="是", group="named")
        w.landless.add(pid=p.pid, date=w.days_before(400), all_lost="否", group="named")
        w.conflicts.append({"source": "landless", "pid": p.pid, "case": "c06_landless_conflict"})

    c.add("c06_landless_conflict", "失地农民名单同一人两条记录：先“是”（征地较早）、后“否”（征地较晚），按优先取“是”的规则：符合06",
          Design(area="农村"), after=land_conflict, label=(["06"], [], []))

    # ---- exits (ledger people 有效 on the reference date) -------------------------------------------------------
    ws6 = months(as_of, -r.e4_window_months)
    e10 = months(as_of, -r.e10_months)
    rec = w.days_before(300)
    reg = w.days_before(330)

    def plan(start):
        return [(start + dt.timedelta(days=2), "职业指导", "来访", "已联系"),
                (start + dt.timedelta(days=5), "岗位推荐", "电话", "已推荐"),
                (start + dt.timedelta(days=8), "岗位推荐", "电话", "已推荐"),
                (start + dt.timedelta(days=12), "岗位推荐", "线上", "已推荐"),
                (start + dt.timedelta(days=20), "职业培训", "电话", "已联系")]

    def refusals(*days_):
        return [(d_, "岗位推荐", "电话", "拒绝") for d_ in days_]

    recent = [(w.days_before(20), "跟踪回访", "电话", "已联系")]
    base_l = dict(cats=("01",), ledger="active", recognised=rec, reg_date=reg, history_row=False)
    c.add("e4_three_refusals", "近6个月内3次拒绝公共就业服务：建议退出E4",
          Design(**base_l, services=plan(rec) + refusals(ws6 + dt.timedelta(days=10), ws6 + dt.timedelta(days=70),
                                                           ws6 + dt.timedelta(days=130)) + recent), exits=["E4"])
    c.add("e4_window_start_counts", "3次拒绝，最早一次恰在6个月窗口首日（含）：建议退出E4",
          Design(**base_l, services=plan(rec) + refusals(ws6, ws6 + dt.timedelta(days=70),
                                                           ws6 + dt.timedelta(days=130)) + recent), exits=["E4"])
    c.add("e4_two_refusals", "近6个月内只有2次拒绝：不触发E4",
          Design(**base_l, services=plan(rec) + refusals(ws6 + dt.timedelta(days=10), ws6 + dt.timedelta(days=70))
                 + recent), exits=[])
    c.add("e4_one_refusal_outside_window", "3次拒绝，其中一次在6个月窗口前一天：不触发E4",
          Design(**base_l, services=plan(rec) + refusals(ws6 - day, ws6 + dt.timedelta(days=70),
                                                           ws6 + dt.timedelta(days=130)) + recent), exits=[])
    calls = [(e10 + dt.timedelta(days=k), "跟踪回访", "电话", "未接通") for k in (10, 40, 70, 100, 130)]
    c.add("e10_lost_contact", "最后一次有效联系在6个月以前，其后电话均未接通：建议退出E10",
          Design(**base_l, services=plan(rec) + [(e10 - dt.timedelta(days=20), "跟踪回访", "电话", "已联系")] + calls),
          exits=["E10"])
    c.add("e10_exactly_six_months", f"最后一次有效联系恰在{e10}（恰满6个月，不算超过）：不触发E10",
          Design(**base_l, services=plan(rec) + [(e10, "跟踪回访", "上门", "已联系")] + calls), exits=[])
    c.add("e10_no_services", "认定已超过6个月且从无帮扶记录（以认定日期计）：建议退出E10",
          Design(**{**base_l, "recognised": w.days_before(250)}, services="none"), exits=["E10"])
    c.add("e10_self_visit_counts", "电话多次未接通，但本人2个月前来访（服务结果空白）：视为主动联系，不触发E10",
          Design(**base_l, services=plan(rec) + calls[:2] + [(w.days_before(60), "职业指导", "来访", None)]
                 + [(w.days_before(25), "跟踪回访", "电话", "未接通")]), exits=[])
    m_ret = births_with_retirement(w, "男", None, w.days_before(120), w.days_before(30))
    c.add("e1_age_male", "台账有效的男性已于近期达到法定退休年龄：区直接办理退出E1",
          Design(cats=("01",), excl=("X_RETIRED",), sex="男", birth=m_ret[0][0], ledger="active", recognised=rec,
                 reg_date=reg, history_row=False))
    f_ret = births_with_retirement(w, "女", None, w.days_before(150), w.days_before(30))
    c.add("e1_age_female_default_50", "台账未写女性退休基准（按50岁）的女性已达退休年龄：退出E1",
          Design(cats=("01",), excl=("X_RETIRED_F50",), sex="女", birth=f_ret[0][0], ledger="active", recognised=rec,
                 reg_date=reg, history_row=False, women_base=None))
    c.add("e1_female_base55_not_yet", "同龄女性，台账写明女性退休基准55：未达退休年龄，不退出（筛查按50岁基准仍排除）",
          Design(cats=("01",), excl=("X_RETIRED_F50",), sex="女", birth=f_ret[-1][0], ledger="active",
                 recognised=rec, reg_date=reg, history_row=False, women_base=55))
    f55 = births_with_retirement(w, "女", 55, w.days_before(60), w.days_before(5))
    c.add("e1_female_base55_past", "台账写明55岁基准的女性，已过55岁基准的法定退休日期（无失业登记）：退出E1",
          Design(sex="女", birth=f55[0][0], ledger="active", ledger_cats=("01",), women_base=55,
                 no_registration=True, recognised=w.days_before(500)), exits=["E1"])
    c.add("e1_pension", "台账有效，已开始领取基本养老金（未到法定退休年龄）：退出E1；筛查排除（已领取养老金、已认定）",
          Design(cats=("01",), sex="男", ledger="active", recognised=rec, reg_date=reg, history_row=False),
          after=lambda p: w.pension.add(pid=p.pid, start=w.days_before(100), group="named"), exits=["E1"],
          label=(("01",), ("X_PENSION", "X_RECOGNISED"), ()))
    c.add("e2_no_ability", "台账有效，当前失业登记记载劳动能力为无：建议退出E2",
          Design(cats=("02",), excl=("X_NO_ABILITY",), ledger="active"))
    c.add("e5_unit_contribution", "台账有效（就业状态仍为未就业），近3个月有单位缴费：建议退出E5",
          Design(cats=("01",), excl=("X_EMP_UNIT",), ledger="active"))
    c.add("e5_registration_cancelled", "台账有效，失业登记已于基准日前注销：建议退出E5（不在筛查范围）",
          Design(cats=("01",), ledger="active", reg_date=reg, recognised=rec, cancel_date=w.days_before(15),
                 screened=False, history_row=False))
    c.add("e5_ledger_employed", "台账有效，就业状态为单位就业（就业日期在基准日前）：建议退出E5",
          Design(cats=("01",), excl=("X_EMP_UNIT",), ledger="active_unit"))
    c.add("e6_household_member_employed", "以04城镇零就业家庭认定，配偶近期已单位就业：建议退出E6（本人仍大龄，01）",
          Design(cats=("01",), sex="女", household="zero_urban", zero_members=("spouse_newjob", "kid"),
                 ledger="active", ledger_cats=("04",)), exits=["E6"])
    death = w.days_before(45)
    c.add("d1_deceased", "台账有效，户籍状态为死亡：区直接办理退出D1",
          Design(cats=("01",), excl=("X_DECEASED",), change_date=death, ledger="active", recognised=rec, reg_date=reg,
                 history_row=False, services=plan(rec) + [(death - dt.timedelta(days=20), "跟踪回访", "电话", "已联系")]))
    c.add("d2_out_of_province", "台账有效，户籍已迁出省外：建议退出D2",
          Design(cats=("01",), excl=("X_HUKOU_OUT",), change_date=w.days_before(60), ledger="active"))

    # ---- applications (planted by .applications, which writes their expected outcomes) ---------------------------
    p = c.add("app_complete_c02", "残疾人提出认定申请，材料齐全", Design(cats=("02",)))
    w.app_people["app_complete_c02"] = p
    p = c.add("app_missing_materials", "低保人员提出认定申请，缺身份证和无业承诺书（应一次性告知，不要求低保证等共享材料）",
              Design(cats=("03",)))
    w.app_people["app_missing_materials"] = p
    w.app_people["x_retired_f50"] = f50p
    w.app_people["market_active_legal_rep"] = p_rep
    p = c.add("app_category_12", "申请12类（需赡养患重大疾病直系亲属）：数据筛查不认定此类（只能申请），筛查无类别", Design(sex="女"))
    w.app_people["app_category_12"] = p
