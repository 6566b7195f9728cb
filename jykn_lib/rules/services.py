"""第五条 落实帮扶 and 分类管理、分级服务 for people recognised on a date: the service plan (which services, how many,
how soon after the 认定日期), the follow-up interval while unemployed, the 就业状态 update interval, and the A/B/C
grade, each a mask with its evidence. Semantics: docs/engine_rules.md ("帮扶服务与分级"); numbers and lists come from
params/rules/services/, due dates over the holiday calendar from :mod:`jykn_lib.workdays`.

Refusals in the rolling window (E4) and the months without contact (E10) are not computed here: they are the exit
family's (:func:`jykn_lib.rules.engine.evaluate_exits`), and the ledger review uses that result as it is.

    ev = evaluate_services(people, tables, params)
    #   people: id_number, eval_date, recognised_date, categories ("01,07"), employment_status,
    #           employment_status_date, grade (the ledger's 分级)
    ev.summary   one row per person: the plan's due date, the last successful follow-up and the next one due, the
                 就业状态 baseline and its due date, the grade by the rule with its reasons
    ev.plan      one row per person and requirement of the plan: required, done by the due date, done by the
                 evaluation date, status (STATUS_*)
    ev.reasons   row, code, kind, evidence — the codes of params/reasons/ledger_review.yaml
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import add_months, to_day_array
from ..params import ParameterError, Parameters
from ..rowtext import join_by_row, join_groups
from ..workdays import CalendarMissingError, add_working_days_many, year_flags
from . import facts as F
from .collect import Collector, fmt_date

CALENDAR, WORKING = "自然日", "工作日"
# status of one requirement of the plan on the evaluation date
ON_TIME, LATE, OVERDUE, PENDING, DUE_SOON = "按时完成", "逾期完成", "逾期未完成", "未到期", "即将到期"
GRADE_KEYS = ("min_categories", "categories", "min_months_unemployed")
PEOPLE_COLUMNS = ("id_number", "eval_date", "recognised_date", "categories", "employment_status",
                  "employment_status_date", "grade")


@dataclass
class ServiceEvaluation:
    people: pd.DataFrame
    summary: pd.DataFrame
    plan: pd.DataFrame
    reasons: pd.DataFrame


# --------------------------------------------------------------------------------------------------------- due dates


def due_dates(start, days, kind: str, rolls: bool) -> np.ndarray:
    """``start`` + ``days`` as ``kind`` says (自然日 or 工作日), vectorised (``datetime64[D]``, NaT stays NaT).

    Working days: the ``days``-th working day after ``start`` (the start itself never counts). Calendar days: the
    date ``days`` later; with ``rolls``, a due date on a rest day or holiday moves to the next working day.
    A due date in a year whose holidays are not published yet is NaT: it lies after every date the calendar knows,
    so it is neither overdue nor due soon (the due-soon horizon itself needs the calendar and raises without it).
    """
    start = to_day_array(start)
    n = np.broadcast_to(np.asarray(days, dtype=np.int64), start.shape)
    if kind == WORKING:
        return add_working_days_many(start, n, unknown="nat")
    if kind != CALENDAR:
        raise ParameterError(f"计日方式“{kind}”不是“{CALENDAR}”或“{WORKING}”（参数 rules.services.art5_day_kind）。")
    raw = start + n.astype("timedelta64[D]")
    if not rolls:
        return raw
    year = np.where(np.isnat(raw), 0, raw.astype("datetime64[Y]").astype(np.int64) + 1970)
    known = np.isin(year, [y for y in np.unique(year[~np.isnat(raw)]) if _year_known(int(y))])
    out = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[D]")
    if known.any():
        out[known] = add_working_days_many(raw[known], 0, unknown="nat")
    return out


def _year_known(year: int) -> bool:
    try:
        year_flags(year)
    except CalendarMissingError:
        return False
    return True


def whole_months(start, end) -> np.ndarray:
    """Completed calendar months from ``start`` to ``end`` (as jykn_lib.dates.add_months counts them); NaN if blank."""
    s, e = to_day_array(start), to_day_array(end)
    ok = ~(np.isnat(s) | np.isnat(e))
    months = np.zeros(len(s), dtype=np.int64)
    sm, em = s[ok].astype("datetime64[M]").astype(np.int64), e[ok].astype("datetime64[M]").astype(np.int64)
    m = em - sm
    m = m - (add_months(s[ok], m) > e[ok]).astype(np.int64)
    months[ok] = m
    out = months.astype(float)
    out[~ok] = np.nan
    return out


# ------------------------------------------------------------------------------------------------------- evaluation


def _prepare(people: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("id_number", "eval_date", "recognised_date") if c not in people]
    if missing:
        raise ValueError(f"people 缺少列 {'、'.join(missing)}")
    p = people.reset_index(drop=True).copy()
    for c in PEOPLE_COLUMNS:
        if c not in p:
            p[c] = pd.NA
    p["row"] = np.arange(len(p))
    p["id_number"] = p["id_number"].astype("string[pyarrow]")
    for c in ("eval_date", "recognised_date", "employment_status_date"):
        p[c] = pd.to_datetime(p[c], errors="coerce").astype("datetime64[ns]")
    if p["eval_date"].isna().any() or p["recognised_date"].isna().any():
        raise ValueError("people 的 eval_date 和 recognised_date 不能为空")
    return p


def recorded_services(people: pd.DataFrame, tables) -> pd.DataFrame:
    """帮扶记录 of the people dated from their 认定日期 to their evaluation date."""
    t = F._table(tables, "services", ["id_number", "service_date", "service_type", "method", "result"])
    j = F._join(people, t, ["service_date", "service_type", "method", "result"])
    j = j.merge(people[["row", "recognised_date"]], on="row", how="left")
    j["service_date"] = pd.to_datetime(j["service_date"], errors="coerce")
    return j[(j["service_date"] >= j["recognised_date"]) & (j["service_date"] <= j["eval_date"])].reset_index(drop=True)


def evaluate_services(people: pd.DataFrame, tables, params: Parameters) -> ServiceEvaluation:
    p = _prepare(people)
    n = len(p)
    d = p["eval_date"]
    on = pd.Timestamp(d.max()).date() if n else None
    c = Collector(params.reasons(on))
    svc = recorded_services(p, tables)
    rolls = bool(params["rules.services.deadline_rolls_over"].constant_over(d)) if n else True
    horizon = (add_working_days_many(d, params["rules.services.due_soon_working_days"].at_many(d).astype(np.int64))
               if n else np.array([], dtype="datetime64[D]"))
    today = to_day_array(d) if n else np.array([], dtype="datetime64[D]")
    summary = pd.DataFrame({"id_number": p["id_number"].to_numpy(), "eval_date": d.to_numpy()})
    plan = _plan(p, svc, params, rolls, today, horizon, summary, c) if n else _empty_plan()
    if n:
        _followup(p, svc, params, rolls, today, horizon, summary, c)
        _status(p, svc, params, rolls, today, summary, c)
        _grade(p, tables, params, summary, c)
    return ServiceEvaluation(people=p, summary=summary, plan=plan, reasons=c.frame())


def _empty_plan() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype=int), "requirement": pd.Series(dtype=int),
                         "services": pd.Series(dtype=object), "required": pd.Series(dtype=int),
                         "done_by_due": pd.Series(dtype=int), "done": pd.Series(dtype=int),
                         "due": pd.Series(dtype="datetime64[ns]"), "status": pd.Series(dtype=object)})


def _plan(p, svc, params, rolls, today, horizon, summary, c: Collector) -> pd.DataFrame:
    d = p["eval_date"]
    spec = params["rules.services.art5_plan"].constant_over(d)
    kind = params["rules.services.art5_day_kind"].constant_over(d)
    due = due_dates(p["recognised_date"], int(spec["within_days"]), kind, rolls)
    summary["plan_due"] = due.astype("datetime64[ns]")
    parts = []
    rows = p["row"].to_numpy()
    for k, req in enumerate(spec["minimums"]):
        types, need = list(req["types"]), int(req["count"])
        mine = svc[svc["service_type"].isin(types)]
        due_of = pd.Series(due, index=rows)
        by_due = mine[mine["service_date"].to_numpy() <= due_of.reindex(mine["row"]).to_numpy()]
        done_by_due = by_due.groupby("row").size().reindex(rows, fill_value=0).to_numpy()
        done = mine.groupby("row").size().reindex(rows, fill_value=0).to_numpy()
        status = np.select(
            [done_by_due >= need, (due < today) & (done >= need), due < today, due <= horizon],
            [ON_TIME, LATE, OVERDUE, DUE_SOON], PENDING).astype(object)
        status[(status == PENDING) & (done >= need)] = ON_TIME  # done before the due date, which is still ahead
        parts.append(pd.DataFrame({"row": rows, "requirement": k, "services": "或".join(types), "required": need,
                                   "done_by_due": done_by_due, "done": done, "due": due.astype("datetime64[ns]"),
                                   "status": status}))
    plan = pd.concat(parts, ignore_index=True) if parts else _empty_plan()
    text = (plan["services"] + " 应" + plan["required"].astype(str) + "次、期限内" + plan["done_by_due"].astype(str)
            + "次、至今" + plan["done"].astype(str) + "次，期限 " + fmt_date(plan["due"]))
    for code, status in (("S_ART5_OVERDUE", OVERDUE), ("S_ART5_LATE", LATE), ("S_ART5_DUE_SOON", DUE_SOON)):
        hit = plan[plan["status"] == status]
        mask = np.isin(rows, hit["row"].to_numpy())
        evidence = join_groups(pd.DataFrame({"row": hit["row"], "t": text[plan["status"] == status]}), "row", "t",
                               "；").reindex(rows).fillna("")
        c.add(code, mask, evidence.to_numpy())
    worst = plan.assign(o=plan["status"].map({OVERDUE: 0, LATE: 1, DUE_SOON: 2, PENDING: 3, ON_TIME: 4}))
    summary["plan_status"] = (worst.sort_values(["row", "o"]).drop_duplicates("row").set_index("row")["status"]
                              .reindex(rows).to_numpy())
    return plan


def _followup(p, svc, params, rolls, today, horizon, summary, c: Collector) -> None:
    d = p["eval_date"]
    rows = p["row"].to_numpy()
    employed = params["rules.evidence.ledger_employed_statuses"].constant_over(d)
    applies = ~p["employment_status"].isin(employed).to_numpy()
    success = params["rules.services.followup_success_results"].constant_over(d)
    last = svc[svc["result"].isin(success)].groupby("row")["service_date"].max().reindex(rows)
    baseline = last.fillna(pd.Series(p["recognised_date"].to_numpy(), index=rows))
    interval = params["rules.services.followup_interval_days"].at_many(d).astype(np.int64)
    due = due_dates(baseline, interval, CALENDAR, rolls)
    summary["followup_applies"] = applies
    summary["last_followup"] = last.to_numpy()
    summary["followup_due"] = np.where(applies, due, np.datetime64("NaT")).astype("datetime64[ns]")
    evidence = np.where(last.notna().to_numpy(), "最后一次成功跟踪 " + fmt_date(last).to_numpy(),
                        "认定（" + fmt_date(p["recognised_date"]).to_numpy() + "）后无成功跟踪")
    evidence = evidence + "，应于 " + pd.Series(due).dt.strftime("%Y-%m-%d").to_numpy() + " 前回访"
    c.add("F_NO_CONTACT", applies & (today > due), evidence)
    c.add("F_DUE_SOON", applies & (today <= due) & (due <= horizon), evidence)


def _status(p, svc, params, rolls, today, summary, c: Collector) -> None:
    d = p["eval_date"]
    rows = p["row"].to_numpy()
    latest = svc.groupby("row")["service_date"].max().reindex(rows)
    given = pd.Series(p["employment_status_date"].to_numpy(), index=rows)
    baseline = given.fillna(latest).fillna(pd.Series(p["recognised_date"].to_numpy(), index=rows))
    source = np.select([given.notna().to_numpy(), latest.notna().to_numpy()],
                       ["就业状态更新日期 ", "无就业状态更新日期，最近一次帮扶记录 "], "无就业状态更新日期和帮扶记录，认定日期 ")
    days = params["rules.services.status_update_days"].at_many(d).astype(np.int64)
    due = due_dates(baseline, days, CALENDAR, rolls)
    summary["status_baseline"] = baseline.to_numpy()
    summary["status_due"] = due.astype("datetime64[ns]")
    c.add("L_STATUS_STALE", today > due, source + fmt_date(baseline).to_numpy())


def _grade(p, tables, params, summary, c: Collector) -> None:
    d = p["eval_date"]
    rule = params["rules.services.grading"].constant_over(d)
    _check_grading(rule)
    names = {str(k).zfill(2): str(v) for k, v in params["rules.categories.names"].constant_over(d).items()}
    # (row, code) for each non-empty code of the row's categories, in their order
    long = p["categories"].fillna("").astype(str).str.split(",").explode()
    long = pd.DataFrame({"row": np.repeat(np.arange(len(p)), p["categories"].fillna("").astype(str).str.count(",")
                                          .to_numpy() + 1), "code": long.to_numpy(dtype=object)})
    long = long[long["code"] != ""]
    n_cat = np.bincount(long["row"].to_numpy(), minlength=len(p))
    keys = p[["row", "id_number", "eval_date"]]
    reg = F.registration_facts(keys, tables, params)
    reg_date = reg["reg_date"].where(reg["reg_valid"]).to_numpy()
    months = whole_months(reg_date, d)
    grade = np.full(len(p), None, dtype=object)
    reason = np.full(len(p), "", dtype=object)
    labels = c.reasons
    for level in rule["order"]:
        cond = rule[level]
        open_ = grade == None  # noqa: E711 — elementwise on an object array
        met_any = np.zeros(len(p), dtype=bool)
        texts = []
        if cond.get("min_categories") is not None:
            met = n_cat >= int(cond["min_categories"])
            joined = pd.Series(join_by_row(long["row"], long["code"], len(p), "、"), index=p.index)
            texts.append((met, "GR_CATEGORIES", "兼有" + pd.Series(n_cat).astype(str) + "个认定类别（" + joined + "）"))
            met_any |= met
        if cond.get("categories"):
            wanted = [str(x).zfill(2) for x in cond["categories"]]
            hit = long[long["code"].isin(wanted)]
            met = np.bincount(hit["row"].to_numpy(), minlength=len(p)) > 0
            label = hit["code"] + " " + hit["code"].map(names).fillna("")
            texts.append((met, "GR_CATEGORY", "认定类别含" + pd.Series(
                join_by_row(hit["row"], label.to_numpy(dtype=object), len(p), "、"), index=p.index)))
            met_any |= met
        if cond.get("min_months_unemployed") is not None:
            met = np.nan_to_num(months, nan=-1) >= int(cond["min_months_unemployed"])
            texts.append((met, "GR_MONTHS", "失业登记 " + fmt_date(pd.Series(reg_date)) + " 起已失业"
                          + pd.Series(np.nan_to_num(months, nan=0).astype(int)).astype(str) + "个月"))
            met_any |= met
        chosen = open_ & met_any
        for met, code, text in texts:
            mask = chosen & met
            c.add(code, mask, text)
            part = pd.Series(text).astype(str).to_numpy()  # the evidence says it all: 兼有2个认定类别（01、02）
            reason[mask] = np.where(reason[mask] == "", part[mask], reason[mask] + "；" + part[mask])
        grade[chosen] = level
    default = grade == None  # noqa: E711
    grade[default] = rule["default"]
    reason[default] = labels["GR_DEFAULT"].label
    c.add("GR_DEFAULT", default)
    summary["months_unemployed"] = months
    summary["rule_grade"] = grade
    summary["rule_grade_reason"] = reason
    ledger = p["grade"].astype(object).where(p["grade"].notna(), None).to_numpy()
    blank = pd.isna(pd.Series(ledger)).to_numpy()
    c.add("L_GRADE_MISSING", blank, "按规则应为" + pd.Series(grade) + "级：" + pd.Series(reason))
    differs = ~blank & (pd.Series(ledger).astype(str).to_numpy() != grade.astype(str))
    c.add("L_GRADE_DIFFERS", differs, "台账为" + pd.Series(ledger).astype(str) + "级，按规则应为" + pd.Series(grade)
          + "级：" + pd.Series(reason))


def _check_grading(rule) -> None:
    """The grading table is refused when malformed: an unknown key would otherwise be ignored."""
    where = "参数 rules.services.grading"
    if not isinstance(rule, dict) or set(rule) - {"order", "default", *rule.get("order", [])}:
        raise ParameterError(f"{where} 须含 order、default 和 order 中每一级的条件，而不是 {rule!r}。")
    for level in rule["order"]:
        cond = rule.get(level)
        if not isinstance(cond, dict) or not cond or set(cond) - set(GRADE_KEYS):
            raise ParameterError(f"{where} 的 {level} 级条件只能是 {'、'.join(GRADE_KEYS)}，而不是 {cond!r}。")
