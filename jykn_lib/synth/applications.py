"""Applications (认定申请) of the synthetic district through the year, each with its correct outcome written down from
how it was planted (never from the rule engine).

The year is decided in runs of 05 on the dates of :func:`decision_dates` — the last working day of each earlier
quarter of the reference date's year, then the reference date itself — and every application is decided by the first
run on or after its 申请日期. Named cases cover every kind of outcome (complete, incomplete materials, 企业法人, 低保
that ended before the decision, women on the 50 base within working age under the 2025 reform, a woman judged on
her written 55 base, a 公示异议, an applicant already 有效, a re-application after an exit, a category proven but not
claimed, a claimed category contradicted …); some background candidates apply shortly before the reference date.

Materials come from ``params/materials.yaml``: what a planted application lacks is what it is expected to be told,
and never a material obtained by data sharing.
"""

from __future__ import annotations

import datetime as dt

from ..materials import load_materials
from ..params import load_parameters
from ..workdays import add_working_days, is_working_day
from .config import rng_for
from .design import Design, Planter
from .population import World, ym

APPLY_SHARE = 0.10  # background candidates with an application shortly before the reference date
BACKGROUND_DAYS = (3, 12)  # …this many days before it: every background category already holds on the 申请日期
CONCLUSIONS = ("propose", "refuse", "supplement", "recognised", "review")


def decision_dates(as_of: dt.date) -> list[dt.date]:
    """The runs of 05 in the demo year: the last working day of each quarter of ``as_of``'s year that ends before
    ``as_of``'s quarter, then ``as_of``."""
    out = []
    for month in (3, 6, 9):
        end = dt.date(as_of.year, month + 1, 1) - dt.timedelta(days=1)
        if end >= dt.date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1):
            break
        while not is_working_day(end):
            end -= dt.timedelta(days=1)
        out.append(end)
    return out + [as_of]


def publicity(on: dt.date) -> dict:
    """The 公示 of an application decided on ``on``: its working-day period and the 认定日期 after it."""
    n = int(load_parameters()["rules.procedure.publicity_working_days"].at(on))
    return {"start": add_working_days(on, 1).isoformat(), "end": add_working_days(on, n).isoformat(),
            "recognition_date": add_working_days(on, n + 1).isoformat()}


class Planting:
    """Plants applications into a world and writes their answer-key entries."""

    def __init__(self, world: World):
        self.w = world
        self.rng = rng_for(world.s.seed, "applications")
        self.materials = load_materials(load_parameters())
        self.dates = decision_dates(world.as_of)
        world.app_schedule = list(self.dates)

    # -- materials ---------------------------------------------------------------------------------------------
    def required(self, cats) -> tuple[list[str], list[str]]:
        """(what the applicant must hand in, what data sharing provides) for claimed categories."""
        m = self.materials
        names = list(m.required_all)
        for c in cats:
            names += [x for x in m.by_category.get(c, ()) if x not in names]
        names = m.sort(names)
        return [x for x in names if x not in m.shared_by], [x for x in names if x in m.shared_by]

    def written(self, names: list[str]) -> list[str]:
        """Names as a clerk writes them: sometimes a synonym of the list (the reader matches synonyms)."""
        lookup = self.materials.lookup
        out = []
        for name in names:
            alts = [k for k, v in lookup.items() if v == name and k != name]
            out.append(alts[int(self.rng.integers(0, len(alts)))] if alts and self.rng.random() < 0.3 else name)
        return out

    # -- one application ---------------------------------------------------------------------------------------
    def add(self, pid: int, date: dt.date, cats, town: str, *, missing=(), extra=(), base=None, accept=None,
            objection=None, case=None, expect=None) -> str:
        w = self.w
        required, shared = self.required(cats)
        missing = [m for m in required if m in set(missing)]
        handed = [m for m in required if m not in missing]
        if shared and self.rng.random() < 0.4:  # some hand in a shared one anyway (户口本): allowed, not needed
            handed.append(shared[0])
        app_id = f"SQ{w.as_of.year}{len(w.app_keys) + 1:05d}"
        w.applications.add(app_id=app_id, pid=pid, date=date, cats=tuple(cats), town=town,
                           materials=self.written(handed) + list(extra), base=base, accept=accept,
                           objection=objection, group="named" if case else "bu")
        decided = next(d for d in self.dates if d >= date)
        expect = dict(expect or {})
        conclusion = expect.setdefault("conclusion", "supplement" if missing else "propose")
        assert conclusion in CONCLUSIONS, conclusion
        expect.setdefault("categories", sorted(cats) if conclusion == "propose" else [])
        entry = {"application_id": app_id, "pid": pid, "apply_date": date.isoformat(), "categories": list(cats),
                 "town": town, "materials_required": required, "materials_submitted": handed,
                 "materials_missing": list(missing), "materials_not_asked": shared, "unknown_materials": list(extra),
                 "complete": not missing, "women_base": base, "accept_date": accept.isoformat() if accept else None,
                 "objection": objection, "decided_on": decided.isoformat(), "expect": expect}
        if conclusion == "propose":
            pub = publicity(decided)
            later = [d for d in self.dates if d.isoformat() >= pub["recognition_date"]]
            entry["publicity"] = pub
            entry["after_publicity"] = None if not later else {
                "run": later[0].isoformat(), "state": "objection" if objection else "recognised"}
        if case:
            entry["case"] = case
        w.app_keys.append(entry)
        return app_id

    # -- dates --------------------------------------------------------------------------------------------------
    def window(self, k: int) -> tuple[dt.date, dt.date]:
        """(first, last) possible 申请日期 decided by run k (a later k than there are runs: the last run)."""
        k = min(k, len(self.dates) - 1)
        first = self.dates[k - 1] + dt.timedelta(days=1) if k else dt.date(self.w.as_of.year, 1, 1)
        return first, self.dates[k]

    def day(self, k: int, back: int) -> dt.date:
        """A 申请日期 ``back`` days before run k, inside its window."""
        first, last = self.window(k)
        return max(first, last - dt.timedelta(days=back))

    def birth(self, age: int, on: dt.date) -> dt.date:
        """Someone ``age`` 周岁 on ``on``, the birthday months away."""
        return dt.date(on.year - age, 1, 1) + dt.timedelta(days=int(self.rng.integers(40, 120)))

    def woman(self, on: dt.date, *, f50_past: bool) -> dt.date:
        """A woman on ``on``: aged 50 or more but, under the 2025 reform, still before her 50-base retirement date
        (f50_past False); or past the 50-base date and before the 55-base date (f50_past True). Both by at least two
        months, so a run a little earlier or later decides the same."""
        w, gap = self.w, dt.timedelta(days=60)
        for age in range(50, 56):
            for offset in range(20, 340, 7):
                b = dt.date(on.year - age, 1, 1) + dt.timedelta(days=offset)
                r50, r55 = w.retirement(b, "女", None), w.retirement(b, "女", 55)
                age_ok = (on.year - b.year - ((on.month, on.day) < (b.month, b.day))) >= 50
                if not f50_past and age_ok and r50 > on + gap:
                    return b
                if f50_past and r50 < on - 3 * gap and r55 > on + 3 * gap:
                    return b
        raise ValueError("no birth date for the women's cases")


def plant(world: World) -> None:
    """Named application cases through the year, then background candidates' applications."""
    p = Planting(world)
    pl = Planter(world, p.rng)
    w = world

    def person(sex: str, age: int, on: dt.date, town=None, **kw):
        d = Design(group="named", sex=sex, birth=p.birth(age, on), no_registration=True, town=town, **kw)
        return pl.plant(d)

    # run 1 ------------------------------------------------------------------------------------------------------
    d1 = p.day(0, 40)
    a = person("男", 55, d1)
    p.add(a.pid, d1, ["01"], a.town, accept=d1 + dt.timedelta(days=2), case="app_complete_01")
    b = person("女", 35, p.day(0, 30))
    w.dibao.add(pid=b.pid, type="城市低保" if b.area == "城镇" else "农村低保", start=dt.date(w.as_of.year - 2, 3, 1),
                end=None, group="named")
    p.add(b.pid, p.day(0, 30), ["03"], b.town, missing=["居民身份证", "无业承诺书"], case="app_missing_materials_early",
          expect={"conclusion": "supplement", "missing": ["居民身份证", "无业承诺书"]})
    c = person("男", 30, p.day(0, 20))
    p.add(c.pid, p.day(0, 20), ["03"], c.town, case="app_no_category",
          expect={"conclusion": "refuse", "reasons": ["A_NOT_03", "A_NO_CATEGORY"]})
    e = person("女", 33, p.day(0, 15))
    p.add(e.pid, p.day(0, 15), ["12"], e.town, missing=["直系亲属关系证明"], case="app_category_12_missing",
          expect={"conclusion": "supplement", "missing": ["直系亲属关系证明"]})

    # run 2 ------------------------------------------------------------------------------------------------------
    _first2, last2 = p.window(1)
    rep = person("男", 52, p.day(1, 50))
    w.market.add(pid=rep.pid, name=f"清远市清新区{rep.town}合成建材有限公司", role="法定代表人", status="存续",
                 etype="企业", credit="91441803SYNTH00001", founded=dt.date(w.as_of.year - 6, 5, 1), closed=None,
                 group="named")
    p.add(rep.pid, p.day(1, 50), ["01"], rep.town, case="app_legal_representative",
          expect={"conclusion": "refuse", "reasons": ["X_EMP_MARKET"], "entity": f"清远市清新区{rep.town}合成建材有限公司"})
    applied = p.day(1, 55)
    low = person("女", 45, applied)
    ended = min(last2 - dt.timedelta(days=20), applied + dt.timedelta(days=20))
    w.dibao.add(pid=low.pid, type="城市低保" if low.area == "城镇" else "农村低保", start=dt.date(w.as_of.year - 2, 1, 1),
                end=ended, group="named")
    p.add(low.pid, applied, ["01", "03"], low.town, case="app_dibao_ended_before_decision",
          expect={"conclusion": "propose", "categories": ["01"], "reasons": ["C01", "A_LAPSED"],
                  "dibao_end": ended.isoformat()})
    obj = person("男", 56, p.day(1, 35))
    p.add(obj.pid, p.day(1, 35), ["01"], obj.town, objection="公示期间有群众反映其在外地务工，请核实", case="app_objection")
    ex = person("男", 54, p.day(1, 25))
    pl.ledger_row(Design(group="named"), ex, ("01",), dt.date(w.as_of.year - 2, 10, 9), "已退出",
                  dt.date(w.as_of.year - 1, 12, 31), "E5", "单位就业", dt.date(w.as_of.year - 1, 12, 31), "男")
    p.add(ex.pid, p.day(1, 25), ["01"], ex.town, case="app_reapply_after_exit")
    job = person("男", 53, p.day(1, 70))
    w.spells.add(pid=job.pid, start=ym(last2), end=ym(last2), ctype="单位", employer="清远合成物流有限公司", group="named")
    p.add(job.pid, p.day(1, 70), ["01"], job.town, case="app_found_work_before_decision",
          expect={"conclusion": "refuse", "reasons": ["X_EMP_UNIT"]})
    reg07 = p.window(1)[0] - dt.timedelta(days=420)
    c07 = pl.plant_labelled(Design(group="named", cats=("07",), reg_date=reg07, history_row=False))
    p.add(c07.pid, p.day(1, 30), ["07"], c07.town, case="app_c07_registered")

    # run 3 ------------------------------------------------------------------------------------------------------
    d3 = p.window(2)[1]
    f50 = pl.plant(Design(group="named", sex="女", birth=p.woman(d3, f50_past=False), no_registration=True))
    p.add(f50.pid, p.day(2, 20), ["01"], f50.town, case="app_woman_f50_reform")
    f55 = pl.plant(Design(group="named", sex="女", birth=p.woman(d3, f50_past=True), no_registration=True))
    p.add(f55.pid, p.day(2, 25), ["01"], f55.town, base=55, case="app_woman_base55")
    f50x = pl.plant(Design(group="named", sex="女", birth=p.woman(d3, f50_past=True), no_registration=True))
    p.add(f50x.pid, p.day(2, 26), ["01"], f50x.town, case="app_woman_f50_retired",
          expect={"conclusion": "refuse", "reasons": ["X_RETIRED_F50"]})
    act = pl.plant_labelled(Design(group="named", cats=("01",), sex="男", ledger="active",
                                   reg_date=w.as_of - dt.timedelta(days=300), recognised=w.as_of - dt.timedelta(days=280),
                                   history_row=False))
    p.add(act.pid, p.day(2, 10), ["01"], act.town, case="app_already_recognised",
          expect={"conclusion": "recognised", "reasons": ["X_RECOGNISED"]})
    unc = person("男", 52, p.day(2, 30))
    w.disability.add(pid=unc.pid, dtype=4, grade=3, issue=dt.date(w.as_of.year - 7, 4, 1), status="有效", group="named")
    p.add(unc.pid, p.day(2, 30), ["01"], unc.town, case="app_unclaimed_category",
          expect={"conclusion": "propose", "categories": ["01", "02"], "reasons": ["C01", "C02", "A_UNCLAIMED"]})
    con = person("女", 47, p.day(2, 40), area="农村")
    w.landless.add(pid=con.pid, date=dt.date(w.as_of.year - 3, 6, 1), all_lost="否", group="named")
    p.add(con.pid, p.day(2, 40), ["01", "06"], con.town, case="app_claim_contradicted",
          expect={"conclusion": "propose", "categories": ["01"], "reasons": ["C01", "A_NOT_06"]})

    # run 4 (the reference date) ---------------------------------------------------------------------------------
    named = w.app_people  # screening cases of .cases who also apply
    if "app_complete_c02" in named:
        q = named["app_complete_c02"]
        p.add(q.pid, p.day(3, 12), ["02"], q.town, case="app_complete_c02")
    if "app_missing_materials" in named:
        q = named["app_missing_materials"]
        p.add(q.pid, p.day(3, 9), ["03"], q.town, missing=["居民身份证", "无业承诺书"], case="app_missing_materials",
              expect={"conclusion": "supplement", "missing": ["居民身份证", "无业承诺书"]})
    if "x_retired_f50" in named:  # past the 50 base, the application writes 55: judged on 55
        q = named["x_retired_f50"]
        p.add(q.pid, p.day(3, 7), ["01"], q.town, base=55, case="x_retired_f50")
    if "market_active_legal_rep" in named:
        q = named["market_active_legal_rep"]
        p.add(q.pid, p.day(3, 5), ["01"], q.town, case="market_active_legal_rep",
              expect={"conclusion": "refuse", "reasons": ["X_EMP_MARKET"]})
    if "app_category_12" in named:
        q = named["app_category_12"]
        p.add(q.pid, p.day(3, 15), ["12"], q.town, case="app_category_12")
    pen = person("男", 58, p.day(3, 20))
    w.pension.add(pid=pen.pid, start=p.day(3, 60), group="named")
    p.add(pen.pid, p.day(3, 20), ["01"], pen.town, case="app_pension",
          expect={"conclusion": "refuse", "reasons": ["X_PENSION"]})
    unk = person("男", 51, p.day(3, 8))
    p.add(unk.pid, p.day(3, 8), ["01"], unk.town, missing=["无业承诺书"], extra=["保证书"], case="app_unknown_material",
          expect={"conclusion": "supplement", "missing": ["无业承诺书"], "unknown": ["保证书"]})
    background(p)


def background(p: Planting) -> None:
    """Candidates of the screening background (no exclusion, categories as planted) who apply shortly before the
    reference date: complete or incomplete; one not found in 户籍人口 goes to manual review."""
    w, rng = p.w, p.rng
    ledger_pids = set(w.ledger.frame()["pid"].tolist())
    last_reg = w.unemp.frame().groupby("pid")["reg_date"].max()
    for pid, label in sorted(w.screening.items()):
        if label["outcome"] != "candidate" or pid in ledger_pids or w.pp_group(pid) != "bu" or rng.random() > APPLY_SHARE:
            continue
        date = w.as_of - dt.timedelta(days=int(rng.integers(*BACKGROUND_DAYS)))
        reg = last_reg.get(pid)
        if reg is not None and date <= reg:
            continue  # registered after: would need its own checks
        cats = list(label["categories"])
        required, _ = p.required(cats)
        complete = rng.random() < 0.6
        missing = [] if complete else sorted(rng.choice(required, size=int(rng.integers(1, 3)), replace=False).tolist(),
                                             key=required.index)
        review = "H_HUKOU_CHECK" in label["hints"]
        conclusion = "supplement" if missing else "review" if review else "propose"
        base = (55 if rng.random() < 0.6 else 50) if w.pp_sex(pid) == "女" and rng.random() < 0.3 else None
        p.add(pid, date, cats, label["town"], missing=missing, base=base,
              expect={"conclusion": conclusion, "categories": cats if conclusion == "propose" else []})


__all__ = ["decision_dates", "plant", "publicity"]
