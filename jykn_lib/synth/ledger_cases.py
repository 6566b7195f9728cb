"""Named cases of the ledger review (03 台账检查): one recognised person per kind of finding, otherwise clean, and the
answer key written from how each was planted (``world.ledger_review``, ``synth_manifest.json`` → ``ledger_findings``
and ``ledger_review``).

A clean person here: no 失业登记 row (so no screening label) unless the case needs one; recognised months ago; the
service plan of params/rules/services/art5_plan.yaml delivered in the first days (the third requirement by 创业服务,
so no training subsidy); a successful follow-up every few weeks up to a few days before the reference date; the
分级 the grading rule gives; a valid phone; nothing under 享受政策. Each case then plants one defect (or one policy
a person or employer may claim). Dates are derived from the reference date and the parameters; the cases stay
clear of every boundary (the boundaries are in tests/rules/services_*.yaml).
"""

from __future__ import annotations

import datetime as dt
import itertools

from .cases import births_with_retirement
from .config import rng_for
from .design import Design, Planter
from .population import World, credit_code, ym
from .writers import ErrorCell

FOLLOWUP_GAP = 25  # days between planted follow-ups (inside any interval the parameters are likely to hold)


class LedgerCases:
    def __init__(self, world: World):
        self.w = world
        self.rng = rng_for(world.s.seed, "ledger_cases")
        self.pl = Planter(world, self.rng)
        self._towns = itertools.cycle([t.name for t in world.towns][::-1])
        p = world.r
        self.c01 = {"女": p.female_c01, "男": p.male_c01}
        self.findings: dict[int, list[str]] = {}
        self.upcoming: dict[int, list[str]] = {}
        self.policies: dict[int, list[str]] = {}
        self.rows: dict[str, int] = {}  # case → pid

    # -- planting ---------------------------------------------------------------------------------------------------
    def days_ago(self, n: int) -> dt.date:
        return self.w.as_of - dt.timedelta(days=n)

    def plan(self, rec: dt.date, third: str = "创业服务", referrals: int = 3, late: int | None = None) -> list:
        """The Art. 5 plan in the first days after recognition (``late``: the last referral that many days after)."""
        rows = [(rec + dt.timedelta(days=2), "职业指导", "来访", "已联系")]
        for k in range(referrals):
            day = rec + dt.timedelta(days=5 + 3 * k)
            if late is not None and k == referrals - 1:
                day = rec + dt.timedelta(days=late)
            rows.append((day, "岗位推荐", "电话", "已推荐"))
        rows.append((rec + dt.timedelta(days=20), third, "电话", "已联系"))
        return rows

    def followups(self, after: dt.date, until: dt.date, result: str = "已联系") -> list:
        """A follow-up every FOLLOWUP_GAP days, the last one on ``until``, none on or before ``after``."""
        out, day = [], until
        while day > after:
            out.append((day, "跟踪回访", "电话", result))
            day -= dt.timedelta(days=FOLLOWUP_GAP)
        return out[::-1]

    def person(self, slug: str, desc: str, *, findings=(), upcoming=(), policies=(), exits=(), cats=("01",),
               grade: str = "C", rec_days: int = 200, sex: str | None = None, birth: dt.date | None = None,
               town: str | None = None, services: list | None = None, last_contact: int = 3, emp: str = "未就业",
               emp_date: dt.date | None = None, status_date: dt.date | None = None, claimed=(), hukou=None,
               extra_rows: list[dict] | None = None, grade_blank: bool = False) -> tuple[int, dt.date, str]:
        w, rng = self.w, self.rng
        sex = sex or ("男" if rng.random() < 0.5 else "女")
        if birth is None:
            base = self.c01[sex]
            birth = self.pl.safe_birth(sex, base + 2, base + 8) if "01" in cats else self.pl.safe_birth(sex, 25, base - 3)
        town = town or next(self._towns)
        p = self.pl.plant(Design(group="named", town=town, sex=sex, birth=birth, no_registration=True, hukou=hukou))
        rec = self.days_ago(rec_days)
        if services is None:
            services = self.plan(rec) + self.followups(rec + dt.timedelta(days=20), self.days_ago(last_contact))
        for day, stype, method, result in services:
            w.services.add(pid=p.pid, date=day, stype=stype, method=method, result=result,
                           clerk=self.pl.clerk(p.town), town=p.town, group="named")
        row = dict(pid=p.pid, town=p.town, village=self.pl.village_of(p), cats=tuple(cats), recognised=rec,
                   status="有效", exit_date=None, exit_reason=None, emp_status=emp, emp_date=emp_date, skills="无",
                   income="无变化", helper=self.pl.clerk(p.town), grade=None if grade_blank else grade, base=None,
                   group="named", status_date=status_date, policies=list(claimed) or None)
        w.ledger.add(**row)
        for extra in extra_rows or []:
            w.ledger.add(**{**row, **extra})
        w.exits[p.pid] = list(exits)
        self.findings[p.pid] = sorted(findings)
        self.upcoming[p.pid] = sorted(upcoming)
        self.policies[p.pid] = sorted(policies)
        self.rows[slug] = p.pid
        w.cases.append({"case": slug, "description": desc, "pid": p.pid, "town": p.town,
                        "expect": {"screening": {"outcome": "not_screened", "categories": [], "reasons": [],
                                                 "hints": []}, "exits": list(exits),
                                   "ledger_findings": sorted(findings), "ledger_upcoming": sorted(upcoming),
                                   "ledger_policies": sorted(policies)}})
        return p.pid, rec, p.town

    def fault(self, slug: str, kind: str, pid: int, **extra) -> None:
        self.w.forced_faults.append({"kind": kind, "source": "ledger", "pid": pid, "case": slug, **extra})


def build_ledger_cases(world: World) -> None:
    c = LedgerCases(world)
    w = world
    as_of = w.as_of
    companies = w.pools.companies

    c.person("lr_clean", "台账记录完整、帮扶服务按时、跟踪及时、分级正确（C）：无问题")
    c.person("lr_clean_b_dibao", "低保人员（B），认定前已在保：类别有数据支持，分级正确：无问题", cats=("03",), grade="B")
    pid = c.rows["lr_clean_b_dibao"]
    w.dibao.add(pid=pid, type="城市低保", start=c.days_ago(200 + 100), end=None, group="named")

    # ---- 台账质量 ----------------------------------------------------------------------------------------------
    pid, _, _ = c.person("lr_bad_id", "台账中身份号码校验码错误：该行无法使用，列入问题清单（镇街不明，由区级核实）",
                         findings=["L_ID_INVALID"])
    w.exits.pop(pid)  # the row cannot be read: nobody is recognised under it
    c.fault("lr_bad_id", "id_check_digit", pid)
    pid, _, _ = c.person("lr_blank_recognised_date", "台账认定日期为空：该行无法使用，列入问题清单",
                         findings=["L_REQUIRED"])
    w.exits.pop(pid)
    c.fault("lr_blank_recognised_date", "required_blank", pid, field="recognised_date", value=None)
    c.person("lr_duplicate", "同一人在同一镇街有两条状态为有效的记录（帮扶责任人不同）：重复登记",
             findings=["L_DUPLICATE"], extra_rows=[{"helper": "另一经办人"}])
    w.conflicts.append({"source": "ledger", "pid": c.rows["lr_duplicate"], "case": "lr_duplicate"})
    towns = [t.name for t in w.towns]
    first = towns[3]
    c.person("lr_two_towns", f"同一人在{first}和{towns[4]}各有一条有效记录：两个镇街重复登记", findings=["L_TWO_TOWNS"],
             town=first, extra_rows=[{"town": towns[4], "village": w.town_by_name[towns[4]].rural[0]}])
    w.conflicts.append({"source": "ledger", "pid": c.rows["lr_two_towns"], "case": "lr_two_towns"})
    pid, rec, _ = c.person("lr_category_unsupported", "以低保人员认定，但低保在认定日期之后才开始：认定类别在认定日期没有数据支持",
                           findings=["L_CATEGORY_UNSUPPORTED"], cats=("03",), grade="B")
    w.dibao.add(pid=pid, type="农村低保", start=rec + dt.timedelta(days=40), end=None, group="named")
    c.person("lr_status_stale", "就业状态更新日期在130日前（近期虽有跟踪回访）：就业状态未及时更新",
             findings=["L_STATUS_STALE"], status_date=c.days_ago(130))
    c.person("lr_grade_missing", "台账未填分级：按规则应为C", findings=["L_GRADE_MISSING"], grade_blank=True)
    pid, rec, _ = c.person("lr_grade_differs", "大龄且残疾（两个类别，按规则应为A），台账写C：分级不一致",
                           findings=["L_GRADE_DIFFERS"], cats=("01", "02"), grade="C")
    w.disability.add(pid=pid, dtype=4, grade=3, issue=rec - dt.timedelta(days=300), status="有效", group="named")
    retired = births_with_retirement(w, "男", None, c.days_ago(120), c.days_ago(30))[0][0]
    c.person("lr_retired_active", "男性已于近期达到法定退休年龄，台账仍为有效：建议区直接办理退出（E1）",
             findings=["L_RETIRED_ACTIVE"], exits=["E1"], sex="男", birth=retired, rec_days=400)
    c.person("lr_deceased_active", "户籍状态为死亡（10日前），台账仍为有效：区直接办理退出（D1）",
             findings=["L_DECEASED_ACTIVE"], exits=["D1"], hukou=("死亡", c.days_ago(10)), last_contact=12)
    pid, _, _ = c.person("lr_phone_missing", "台账联系电话为空", findings=["L_PHONE_MISSING"])
    c.fault("lr_phone_missing", "phone_blank", pid, field="phone", value=None)
    pid, _, _ = c.person("lr_phone_malformed", "台账联系电话只有10位：格式可疑", findings=["L_PHONE_MALFORMED"])
    c.fault("lr_phone_malformed", "phone_malformed", pid, field="phone", value="1381234567")
    c.person("lr_policy_unknown", "享受政策写了“社保补贴、购物券”：购物券不是政策清单中的项目",
             findings=["L_POLICY_UNKNOWN"], claimed=["社保补贴", "购物券"])
    pid, _, _ = c.person("lr_grade_invalid", "分级写成“甲”（不是A/B/C）：未知取值不按空白处理，该行无法使用，列入问题清单",
                         findings=["L_REQUIRED"])
    w.exits.pop(pid)
    c.fault("lr_grade_invalid", "enum_invalid", pid, field="grade", value="甲")
    pid, _, _ = c.person("lr_skills_error", "技能状况是公式错误值#N/A（选填的文字项）：该格按空白处理，列入问题清单",
                         findings=["L_CELL_INVALID"])
    c.fault("lr_skills_error", "error_cell", pid, field="skills", value=ErrorCell("#N/A"))

    # ---- 第五条帮扶服务、跟踪回访 ----------------------------------------------------------------------------------
    rec = c.days_ago(60)
    c.person("lr_art5_overdue", "认定60日，岗位推荐只做了1次：第五条服务逾期未完成", findings=["S_ART5_OVERDUE"], rec_days=60,
             services=c.plan(rec, referrals=1) + c.followups(rec + dt.timedelta(days=20), c.days_ago(3)))
    rec = c.days_ago(100)
    c.person("lr_art5_late", "第3次岗位推荐在认定后45日才完成：第五条服务逾期完成", findings=["S_ART5_LATE"], rec_days=100,
             services=c.plan(rec, late=45) + c.followups(rec + dt.timedelta(days=45), c.days_ago(3)))
    rec = c.days_ago(22)
    c.person("lr_art5_due_soon", "认定22日，只做了职业指导：服务和跟踪回访都将在10个工作日内到期（待跟踪，不是问题）",
             upcoming=["F_DUE_SOON", "S_ART5_DUE_SOON"], rec_days=22,
             services=[(rec + dt.timedelta(days=2), "职业指导", "来访", "已联系")])
    rec = c.days_ago(300)
    c.person("lr_followup_overdue", "最后一次成功跟踪在50日前，其后两次电话未接通：超过跟踪回访间隔",
             findings=["F_NO_CONTACT"], rec_days=300,
             services=c.plan(rec) + c.followups(rec + dt.timedelta(days=20), c.days_ago(50))
             + [(c.days_ago(30), "跟踪回访", "电话", "未接通"), (c.days_ago(8), "跟踪回访", "电话", "未接通")])
    rec = c.days_ago(150)
    c.person("lr_employed_no_followup", "已单位就业（台账就业状态），4个月无跟踪回访：就业期间不要求跟踪，不是问题",
             exits=["E5"], rec_days=150, emp="单位就业", emp_date=rec + dt.timedelta(days=30),
             status_date=c.days_ago(20), services=c.plan(rec))
    rec = c.days_ago(300)
    refusals = [(c.days_ago(n), "岗位推荐", "电话", "拒绝") for n in (150, 90, 40)]
    c.person("lr_refused_three_times", "近6个月内3次拒绝岗位推荐（其间仍有成功跟踪）：退出情形第（四）项，待审验核实",
             findings=["F_E4"], exits=["E4"], rec_days=300,
             services=c.plan(rec) + c.followups(rec + dt.timedelta(days=20), c.days_ago(3)) + refusals)
    rec = c.days_ago(400)
    c.person("lr_lost_contact", "最后一次有效联系在220日前，其后电话均未接通：失联超过6个月，且超过跟踪回访间隔",
             findings=["F_E10", "F_NO_CONTACT"], exits=["E10"], rec_days=400,
             services=c.plan(rec) + c.followups(rec + dt.timedelta(days=20), c.days_ago(220))
             + c.followups(c.days_ago(220), c.days_ago(5), result="未接通"))

    # ---- 政策推送 ------------------------------------------------------------------------------------------------
    for slug, claimed, pushed in (("lr_employer_unclaimed", (), ["job_subsidy", "social_insurance_subsidy"]),
                                  ("lr_employer_claimed", ("社会保险补贴", "岗位补贴"), [])):
        rec = c.days_ago(240)
        start = ym(rec) + 3
        hired = dt.date(start // 12, start % 12 + 1, 1)
        what = "尚未登记享受：向用人单位推送社会保险补贴和岗位补贴" if pushed else "台账已登记享受社会保险补贴、岗位补贴：不再推送"
        pid, _, _ = c.person(slug, f"认定后被一家单位录用（单位缴费），{what}", exits=["E5"], policies=pushed,
                             rec_days=240, emp="单位就业", emp_date=hired, status_date=c.days_ago(20), claimed=claimed)
        w.spells.add(pid=pid, start=start, end=w.as_of_ym, ctype="单位",
                     employer=str(companies[int(c.rng.integers(0, len(companies)))]), group="named")
    rec = c.days_ago(240)
    start = ym(rec) + 2
    flex = dt.date(start // 12, start % 12 + 1, 1)
    pid, _, _ = c.person("lr_flexible", "认定后灵活就业并按灵活就业缴费：推送灵活就业社会保险补贴", exits=["E5"],
                         policies=["flexible_insurance_subsidy"], rec_days=240, emp="灵活就业", emp_date=flex,
                         status_date=c.days_ago(20))
    w.spells.add(pid=pid, start=start, end=w.as_of_ym, ctype="灵活就业", employer=None, group="named")
    rec = c.days_ago(200)
    post = rec + dt.timedelta(days=30)
    c.person("lr_public_post", "认定后安置到公益性岗位：向岗位用人单位推送公益性岗位补贴", exits=["E5"],
             policies=["public_post_subsidy"], rec_days=200, emp="公益性岗位", emp_date=post,
             status_date=c.days_ago(20))
    rec = c.days_ago(200)
    opened = rec + dt.timedelta(days=40)
    pid, _, town = c.person("lr_entrepreneur", "认定后开办个体工商户（经营者）：推送创业担保贷款及贴息", exits=["E5"],
                            policies=["business_loan"], rec_days=200, emp="自主创业", emp_date=opened,
                            status_date=c.days_ago(20))
    w.market.add(pid=pid, name=w.pools.shop_name(c.rng, town), role="经营者", status="存续", etype="个体工商户",
                 credit=credit_code(c.rng, True), founded=opened, closed=None, group="named")
    rec = c.days_ago(200)
    c.person("lr_training", "认定后参加了职业培训：推送职业培训补贴", policies=["training_subsidy"], rec_days=200,
             services=c.plan(rec, third="职业培训") + c.followups(rec + dt.timedelta(days=20), c.days_ago(3)))

    # ---- 公益性岗位 ----------------------------------------------------------------------------------------------
    holder = c.pl.plant(Design(group="named", town=towns[5], no_registration=True,
                               birth=c.pl.safe_birth("女", 30, 38), sex="女"))
    code = w.town_by_name[towns[5]].code
    post_id = f"GY{code[-3:]}{as_of.year}901"
    w.posts.add(town=towns[5], post_id=post_id, category="保洁", created=c.days_ago(400),
                name=f"{w.town_by_name[towns[5]].rural[0]}保洁员", holder=holder.pid, start=c.days_ago(100), leave=None,
                group="named")
    w.cases.append({"case": "lr_post_not_recognised", "description": "公益性岗位安置了台账中没有的人：安置对象不是已认定的就业困难人员",
                    "pid": holder.pid, "town": towns[5],
                    "expect": {"screening": {"outcome": "not_screened", "categories": [], "reasons": [], "hints": []},
                               "exits": []}})
    deadline = _deadline(w)
    late, missing = towns[6], towns[7]
    reports = {}
    for t in towns:
        if t == missing:
            reports[t] = None
        elif t == late:
            reports[t] = deadline + dt.timedelta(days=15)
        else:
            reports[t] = deadline - dt.timedelta(days=int(c.rng.integers(3, 40)))
    w.post_reports.update(reports)
    w.ledger_review.update({
        "findings": c.findings, "upcoming": c.upcoming, "policies": c.policies,
        "post_findings": {post_id: ["P_NOT_RECOGNISED"]},
        "post_reports": {t: ("missing" if d is None else "late" if d > deadline else "on_time") for t, d in reports.items()},
        "report_deadline": deadline.isoformat(),
    })


def _deadline(w: World) -> dt.date:
    """The latest yearly 报送 deadline on or before the reference date (rules.posts.report_deadline, MM-DD)."""
    from ..params import load_parameters

    month, day = (int(x) for x in str(load_parameters()["rules.posts.report_deadline"].at(w.as_of)).split("-"))
    this_year = dt.date(w.as_of.year, month, day)
    return this_year if this_year <= w.as_of else dt.date(w.as_of.year - 1, month, day)
