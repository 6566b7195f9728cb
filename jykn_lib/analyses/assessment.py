"""04 镇街年度考核: each town's indicators for the year, scored against the district's targets and weights.

The shape of every analysis (docs/notebook_kit.md) — ``decide`` → ``tables`` → ``workbooks`` → ``figures`` — but the
inputs are not the contract's sources: they are the year's KEPT results of the other notebooks (Parquet under
``<out>/<quarter>/区汇总/results/``: 01 screening, 02 audit collect with its post-audit ledger, 03 ledger review, 05
applications), never our own Excel. The run is district-wide and lives in ``<out>/<year>/区汇总/``.

Indicators, targets, weights and grade bands are the dated parameter ``rules.assessment.scheme`` (status U: no town
indicators are published, docs/rules.md §8). An indicator that cannot be computed (its kept results are missing, or a
town has nobody it applies to) is "无法计算（原因）", never 0; its weight is left out and the total rescaled to the
weight that could be computed (the district's missing run is not the town's failing), with that weight shown beside
the total and the grade marked. Everything is computed per town with group-bys: no per-person loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..io.writer import Col, Sheet
from ..kit import results as K
from ..kit.flow import Run, save_figures
from ..kit.setup import DISTRICT, DISTRICT_DIR, WORK_DIR_NAME, NotebookSetup, resolve_path
from ..kit.workbooks import title, write_workbook
from ..params import load_parameters
from ..periods import Quarter
from ..rowtext import has_part

NOTEBOOK = "04"
FIGURE_PREFIX = "镇街考核"
SCHEME = "rules.assessment.scheme"
SOURCES: list[str] = []  # no contract source: the year's kept results
UNEMPLOYED = "未就业"  # the ledger's 就业状态 for not employed (the data contract's vocabulary)
EMPLOYMENT_EXIT = "E5"  # exit because the person found work: still counts as employed for 稳定就业
ACTIVE = "有效"
DONE_ON_TIME, DUE = "按时完成", ("按时完成", "逾期完成", "逾期未完成")  # 03's plan statuses (rules/services.py)
NOT_USABLE = ("未返回", "待补正")  # 02's 结论 of a row that is not a usable answer
KEPT = {  # kept result folder → what it is (the 数据来源 sheet)
    "01": "01 主动筛查",
    "02_collect": "02 定期审验（收回）",
    "03": "03 台账检查",
    "05": "05 认定审核",
}
UNAVAILABLE = "无法计算"
EMPTY_NOTES = {"zero_household": "本镇没有需要清零的零就业家庭人员，视为已清零",
               "public_posts": "本镇没有在岗的公益性岗位人员，安置部分视为符合"}


# ------------------------------------------------------------------------------------------------ set-up


def validate_parameters(year: int, as_of: str | dt.date = "", town: str = DISTRICT,
                        out_dir: str = "outputs") -> NotebookSetup:
    """The year's run: ``<out>/<year>/区汇总/``; ``as_of`` blank → 31 December (a year-to-date run gives a date)."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValueError(f"参数 year 应为年份（如 2026），而不是 {year!r}。")
    if town != DISTRICT:
        raise ValueError(f"年度考核只做全区一次（town=“{DISTRICT}”），不按镇街分别运行：收到 {town!r}。")
    day = dt.date(year, 12, 31) if as_of in ("", None) else _date(as_of)
    if day.year != year:
        raise ValueError(f"基准日 as_of {day} 不在 {year} 年内。")
    out = resolve_path(out_dir, "out_dir")
    scope = out / str(year) / DISTRICT_DIR
    (scope / WORK_DIR_NAME).mkdir(parents=True, exist_ok=True)
    return NotebookSetup(notebook=NOTEBOOK, quarter=Quarter(year, 4), quarter_str=str(year), as_of=day, town=DISTRICT,
                         is_district=True, data_dir=out / str(year), out_root=out, scope_dir=scope, district_dir=scope,
                         work_dir=scope / WORK_DIR_NAME, params=load_parameters(), extra={"year": year})


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"参数 as_of 应为 YYYY-MM-DD 格式的日期，而不是 {value!r}。") from None


def scheme(params, year: int) -> dict:
    """The scheme in force on 1 January of the year, checked: weights sum to 100, targets positive, bands ordered."""
    s = params.value(SCHEME, dt.date(year, 1, 1))
    inds = s["indicators"]
    total = sum(float(i["weight"]) for i in inds)
    if abs(total - 100) > 1e-9:
        raise ValueError(f"考核方案（{year} 年）各指标权重合计为 {total:g}，应为 100。")
    bad = [i["name"] for i in inds if not float(i["target"]) > 0 or i["direction"] not in ("higher", "lower")]
    if bad:
        raise ValueError(f"考核方案（{year} 年）指标 {'、'.join(bad)} 的目标值应大于 0、方向应为 higher 或 lower。")
    mins = [float(g["min"]) for g in s["grades"]]
    if mins != sorted(mins, reverse=True) or mins[-1] != 0:
        raise ValueError(f"考核方案（{year} 年）的等级线应从高到低排列，最后一档为 0：{mins}。")
    return s


# ------------------------------------------------------------------------------------------------ the kept year


@dataclass
class Year:
    """The kept results of the year's quarters: ``kept[name][quarter] = tables``; what is missing, and why."""

    year: int
    as_of: dt.date
    quarters: list[Quarter]
    kept: dict[str, dict[Quarter, dict[str, pd.DataFrame]]] = field(default_factory=dict)
    absent: list[dict[str, str]] = field(default_factory=list)  # 来源、季度、状态

    def of(self, name: str) -> dict[Quarter, dict[str, pd.DataFrame]]:
        return self.kept.get(name, {})

    def missing_quarters(self, name: str) -> list[Quarter]:
        return [q for q in self.quarters if q not in self.of(name)]


def load_year(out_root: Path, year: int, as_of: dt.date) -> Year:
    """Every quarter of the year up to ``as_of``: its kept results made on or before ``as_of``."""
    quarters = [q for q in (Quarter(year, n) for n in range(1, 5)) if q.start <= as_of]
    y = Year(year, as_of, quarters)
    for q in quarters:
        base = Path(out_root) / str(q) / DISTRICT_DIR / "results"
        for name in KEPT:
            folder = _latest(base, name, as_of)
            state = "已使用"
            if folder is None:
                state = "缺少保存的结果"
            else:
                made = dt.date.fromisoformat(str(K.read_meta(folder).get("as_of")))
                if made > as_of:
                    state = f"结果基准日 {made} 晚于考核基准日，未使用"
                else:
                    y.kept.setdefault(name, {})[q] = {**K.load_tables(folder), "_as_of": made}
            y.absent.append({"来源": KEPT[name], "季度": q.label, "状态": state,
                             "基准日": "" if folder is None else str(K.read_meta(folder).get("as_of"))})
    return y


def _latest(base: Path, name: str, as_of: dt.date) -> Path | None:
    """The kept folder of ``name`` (05 keeps one per decision date: the latest on or before ``as_of``)."""
    if name != "05":
        return base / name if K.read_meta(base / name) else None
    dated = sorted(p for p in base.glob("05_*") if K.read_meta(p) and p.name[3:] <= as_of.strftime("%Y%m%d"))
    return dated[-1] if dated else None


# ------------------------------------------------------------------------------------------------ indicators

# Each indicator: (year, towns, windows) → frame indexed by town with 分子, 分母 (and optionally 值, 说明), or raises
# Unavailable(reason) when it cannot be computed for any town.


class Unavailable(Exception):
    """The indicator cannot be computed for the year (Chinese reason)."""


def _need(y: Year, name: str, what: str) -> dict[Quarter, dict[str, pd.DataFrame]]:
    kept = y.of(name)
    if not kept:
        raise Unavailable(f"本年度没有{KEPT[name]}保存的结果，无法计算{what}")
    return kept


def _count(frame: pd.DataFrame, towns: list[str], by: str = "所属镇街") -> pd.Series:
    return frame.groupby(by).size().reindex(towns, fill_value=0) if len(frame) else pd.Series(0, index=towns)


def _ratio(num: pd.Series, den: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"分子": num.astype(int), "分母": den.astype(int)})


def _ledgers(y: Year) -> dict[Quarter, pd.DataFrame]:
    return {q: t["ledger"] for q, t in _need(y, "02_collect", "台账指标").items()}


def _employed(ledger: pd.DataFrame) -> pd.Series:
    return ledger["employment_status"].notna() & (ledger["employment_status"] != UNEMPLOYED)


def screening_conversion(y: Year, towns, w) -> pd.DataFrame:
    days = int(w["conversion_days"])
    kept = _need(y, "01", "筛查转化率")
    cand = pd.concat([t["people"].loc[t["people"]["outcome"] == "candidate", ["公民身份号码", "所属镇街"]]
                      .assign(screened=pd.Timestamp(t["_as_of"])) for t in kept.values()])
    cand = cand.sort_values("screened").drop_duplicates("公民身份号码")  # first screened in the year
    later = []
    for t in y.of("02_collect").values():
        later.append(t["ledger"][["id_number", "recognised_date"]].rename(columns={"recognised_date": "d"}))
    for t in y.of("05").values():  # an application counts from its 申请日期 (05 keeps every decision)
        later.append(t["decisions"][["id_number", "apply_date"]].set_axis(["id_number", "d"], axis=1))
    if not later:
        raise Unavailable("没有审验后的台账和认定审核结果，无法判断筛查对象是否申请或被认定")
    seen = pd.concat(later).dropna()
    seen["d"] = pd.to_datetime(seen["d"])
    m = cand.merge(seen, left_on="公民身份号码", right_on="id_number", how="left")
    m["ok"] = (m["d"] >= m["screened"]) & (m["d"] <= m["screened"] + pd.Timedelta(days=days))
    conv = m.groupby("公民身份号码")["ok"].any()
    cand["ok"] = cand["公民身份号码"].map(conv).fillna(False).astype(bool)
    closed = cand["screened"] + pd.Timedelta(days=days) <= pd.Timestamp(y.as_of)
    counted = cand[closed | cand["ok"]]
    return _ratio(_count(counted[counted["ok"]], towns), _count(counted, towns))


def service_timeliness(y: Year, towns, w) -> pd.DataFrame:
    kept = _need(y, "03", "帮扶及时率")
    plan = pd.concat([t["plan"].assign(_q=str(q)) for q, t in kept.items()])
    plan = plan[pd.to_datetime(plan["认定日期"]).dt.year == y.year]
    plan = plan.sort_values("_q").drop_duplicates(["公民身份号码", "服务"], keep="last")  # the latest look at each item
    due = plan[plan["状态"].isin(DUE)]
    return _ratio(_count(due[due["状态"] == DONE_ON_TIME], towns), _count(due, towns))


def _per_quarter_people(y: Year, what: str, code: Callable[[pd.Series], pd.Series],
                        who: Callable[[pd.DataFrame], pd.Series] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, bad = [], []
    for q, t in _need(y, "03", what).items():
        people = t["people"]
        if who is not None:
            people = people[who(people)]
        f = t["findings"]
        flagged = set(f.loc[code(f["问题代码"]), "公民身份号码"])
        rows.append(people[["公民身份号码", "所属镇街"]].assign(_q=str(q)))
        bad.append(people.loc[people["公民身份号码"].isin(flagged), ["公民身份号码", "所属镇街"]].assign(_q=str(q)))
    return pd.concat(rows), pd.concat(bad)


def followup_coverage(y: Year, towns, w) -> pd.DataFrame:
    people, bad = _per_quarter_people(y, "跟踪覆盖率", lambda c: c == "F_NO_CONTACT",
                                      lambda p: p["就业状态"].fillna(UNEMPLOYED) == UNEMPLOYED)
    den = _count(people, towns)
    return _ratio(den - _count(bad, towns), den)


def ledger_quality(y: Year, towns, w) -> pd.DataFrame:
    people, bad = _per_quarter_people(y, "台账合格率", lambda c: c.str.startswith("L_"))
    den = _count(people, towns)
    return _ratio(den - _count(bad, towns), den)


def employment_rate(y: Year, towns, w) -> pd.DataFrame:
    """Active people employed, plus those who left this year because they found work (E5): an exit for work is the
    aim reached, and leaving them out would make a town that helps people into work look worse."""
    ledgers = _ledgers(y)
    last = ledgers[max(ledgers)]
    active = last[last["status"] == ACTIVE]
    exit_date = pd.to_datetime(last["exit_date"])
    for_work = last[(last["exit_reason"] == EMPLOYMENT_EXIT) & (exit_date.dt.year == y.year)
                    & (exit_date <= pd.Timestamp(y.as_of))]
    return _ratio(_count(active[_employed(active)], towns, "town") + _count(for_work, towns, "town"),
                  _count(active, towns, "town") + _count(for_work, towns, "town"))


def stable_employment(y: Year, towns, w) -> pd.DataFrame:
    ledgers = _ledgers(y)
    step = max(1, round(int(w["stable_months"]) / 3))
    num, den = pd.Series(0, index=towns), pd.Series(0, index=towns)
    pairs = [(q, _shift(q, step)) for q in ledgers if _shift(q, step) in ledgers]
    if not pairs:
        raise Unavailable(f"本年度没有相隔 {w['stable_months']} 个月的两个季度的审验后台账，无法计算稳定就业率")
    for q, later in pairs:
        now = ledgers[q]
        emp = now[(now["status"] == ACTIVE) & _employed(now)]
        after = ledgers[later]
        still = after.loc[(after["status"] == ACTIVE) & _employed(after) | (after["exit_reason"] == EMPLOYMENT_EXIT),
                          "id_number"]
        num = num + _count(emp[emp["id_number"].isin(still)], towns, "town")
        den = den + _count(emp, towns, "town")
    return _ratio(num, den)


def _shift(q: Quarter, n: int) -> Quarter:
    for _ in range(n):
        q = q.next()
    return q


def _outcomes(y: Year) -> pd.DataFrame:
    rows = []
    for q, t in _need(y, "02_collect", "审验指标").items():
        files = t["files"][["文件", "所属镇街", "按时"]].drop_duplicates(["文件", "所属镇街"])
        o = t["outcome"].merge(files, left_on=["来源文件", "所属镇街"], right_on=["文件", "所属镇街"], how="left")
        rows.append(o.assign(_q=str(q)))
    return pd.concat(rows)


def audit_on_time(y: Year, towns, w) -> pd.DataFrame:
    o = _outcomes(y)
    return _ratio(_count(o[o["按时"] == "按时"], towns), _count(o, towns))


def audit_complete(y: Year, towns, w) -> pd.DataFrame:
    o = _outcomes(y)
    return _ratio(_count(o[~o["结论"].isin(NOT_USABLE)], towns), _count(o, towns))


def exit_timeliness(y: Year, towns, w) -> pd.DataFrame:
    days = int(w["exit_days"])
    rows = []
    for t in _need(y, "02_collect", "退出及时率").values():
        trigger = pd.concat([t["direct"][["公民身份号码", "事件日期"]].set_axis(["id", "d"], axis=1),
                             t["outcome"][["公民身份号码", "核实日期"]].set_axis(["id", "d"], axis=1)]).dropna()
        trigger = trigger.drop_duplicates("id")
        e = t["exits"][["公民身份号码", "所属镇街", "退出日期"]].merge(trigger, left_on="公民身份号码", right_on="id")
        rows.append(e)
    e = pd.concat(rows)
    late = pd.to_datetime(e["退出日期"]) - pd.to_datetime(e["d"])
    ok = late <= pd.Timedelta(days=days)
    return _ratio(_count(e[ok], towns), _count(e, towns))


def zero_household(y: Year, towns, w) -> pd.DataFrame:
    days = int(w["zero_household_days"])
    ledgers = _ledgers(y)
    last = ledgers[max(ledgers)]
    z = last[has_part(last["categories"].fillna(""), w["zero_category"], ",")]
    z = z[pd.to_datetime(z["recognised_date"]) <= pd.Timestamp(y.as_of)]
    gap = pd.to_datetime(z["employment_date"]) - pd.to_datetime(z["recognised_date"])
    cleared = _employed(z) & (gap <= pd.Timedelta(days=days))
    closed = pd.to_datetime(z["recognised_date"]) + pd.Timedelta(days=days) <= pd.Timestamp(y.as_of)
    counted = z[closed | cleared]
    out = _ratio(_count(counted[cleared[counted.index]], towns, "town"), _count(counted, towns, "town"))
    out["空时满分"] = True  # no zero-employment household left to clear: the aim is met
    return out


def public_posts(y: Year, towns, w) -> pd.DataFrame:
    kept = _need(y, "03", "公益性岗位")
    pt = kept[max(kept)]["post_towns"].set_index("所属镇街").reindex(towns)
    out = _ratio(pt["安置已认定人员"].fillna(0), pt["在岗"].fillna(0))
    out["空时满分"] = True  # nobody in a post: the placement part holds; the report date still counts
    late = pt["报送情况"].fillna("未报送") != "按时报送"
    out["系数"] = np.where(late, float(w["posts_late_factor"]), 1.0)
    out["说明"] = np.where(late, "公益性岗位" + pt["报送情况"].fillna("未报送") + "：得分按系数折算", "")
    return out


INDICATORS: dict[str, Callable] = {
    "screening_conversion": screening_conversion, "service_timeliness": service_timeliness,
    "followup_coverage": followup_coverage, "employment_rate": employment_rate,
    "stable_employment": stable_employment, "audit_on_time": audit_on_time, "audit_complete": audit_complete,
    "ledger_quality": ledger_quality, "public_posts": public_posts, "exit_timeliness": exit_timeliness,
    "zero_household": zero_household,
}
DEPENDS = {  # indicator → kept results it reads (the missing-quarter notes)
    "screening_conversion": ["01", "02_collect", "05"], "service_timeliness": ["03"], "followup_coverage": ["03"],
    "employment_rate": ["02_collect"], "stable_employment": ["02_collect"], "audit_on_time": ["02_collect"],
    "audit_complete": ["02_collect"], "ledger_quality": ["03"], "public_posts": ["03"],
    "exit_timeliness": ["02_collect"], "zero_household": ["02_collect"],
}


# ------------------------------------------------------------------------------------------------ the result


class AssessmentResult(K.Result):
    descriptions: ClassVar[dict[str, str]] = {
        "totals": "每个镇街一行：总分（满分 100，按可计算指标的权重折算）、可计算权重、等级、排名、上年总分与变化、失分最多的三项",
        "values": "每个镇街每项指标一行：分子、分母、指标值、目标、权重、得分、失分；无法计算的写明原因",
        "quarterly": "每个镇街每个季度：就业率、审验按时报送率、帮扶及时率（季度趋势图）",
        "scheme": "指标说明：名称、计算口径、目标、权重、方向、数据来源、状态和依据",
        "coverage": "数据来源：各季度各项保存的结果是否可用，缺少时无法计算的指标",
    }
    town_columns: ClassVar[dict[str, str | None]] = {"scheme": None, "coverage": None}


def decide(y: Year, setup) -> AssessmentResult:
    """Indicators, scores, grades and ranking for every town (pure: the kept tables in, the result out)."""
    params = setup.params
    s = scheme(params, y.year)
    towns = params.town_names()
    w = {**s["windows"], "stable_months": params.value("rules.services.stable_employment_months", y.as_of)}
    values = pd.concat([_indicator(spec, y, towns, w) for spec in s["indicators"]], ignore_index=True)
    totals = _totals(values, towns, s["grades"], _last_year(setup))
    meta = {"notebook": NOTEBOOK, "year": y.year, "as_of": y.as_of.isoformat(), "quarter": str(y.year),
            "quarters": [str(q) for q in y.quarters], "scheme_version": params.version()}
    return AssessmentResult({"totals": totals, "values": values, "quarterly": _quarterly(y, towns),
                             "scheme": _scheme_table(s, params, y.year), "coverage": _coverage(y, s)}, meta)


def _indicator(spec: dict, y: Year, towns: list[str], w: dict) -> pd.DataFrame:
    base = pd.DataFrame({"所属镇街": towns, "指标": spec["id"], "指标名称": spec["name"],
                         "目标": float(spec["target"]), "权重": float(spec["weight"])})
    missing = sorted({q for name in DEPENDS[spec["id"]] for q in y.missing_quarters(name)})
    try:
        f = INDICATORS[spec["id"]](y, towns, w).reindex(towns)
    except Unavailable as exc:
        return base.assign(分子=pd.NA, 分母=pd.NA, 指标值=np.nan, 得分=np.nan, 失分=np.nan, 状态=UNAVAILABLE,
                           说明=f"{UNAVAILABLE}（{exc}）")
    den = f["分母"].astype(float).to_numpy()
    value = np.divide(f["分子"].astype(float).to_numpy(), den, out=np.full(len(den), np.nan), where=den > 0)
    full_when_empty = bool(f.get("空时满分", pd.Series(False, index=towns)).fillna(False).any())
    if full_when_empty:
        value = np.where(den > 0, value, 1.0)
    factor = f["系数"].to_numpy(dtype=float) if "系数" in f else np.ones(len(towns))
    target, weight = float(spec["target"]), float(spec["weight"])
    ratio = value / target if spec["direction"] == "higher" else np.divide(target, value, out=np.ones(len(value)),
                                                                           where=value > 0)
    score = weight * np.minimum(ratio, 1.0) * factor
    notes = np.where(np.isnan(value), f"{UNAVAILABLE}（本镇没有应计入本指标的人员或记录）",
                     np.where(den > 0, "", EMPTY_NOTES.get(spec["id"], "")))
    if "说明" in f:
        notes = np.where((f["说明"].fillna("") != "").to_numpy() & ~np.isnan(value),
                         np.char.add(np.char.add(notes.astype(str), np.where(notes == "", "", "；")),
                                     f["说明"].fillna("").to_numpy().astype(str)), notes)
    if missing:
        gap = "缺少" + "、".join(q.label for q in missing) + "的保存结果，按其余季度计算"
        notes = np.where(np.isnan(value), notes, np.char.add(np.char.add(notes.astype(str),
                                                                         np.where(notes == "", "", "；")), gap))
    return base.assign(分子=pd.array(f["分子"], dtype="Int64"), 分母=pd.array(f["分母"], dtype="Int64"), 指标值=value,
                       得分=score, 失分=weight - score, 状态=np.where(np.isnan(value), UNAVAILABLE, "已计算"),
                       说明=notes)


def _totals(values: pd.DataFrame, towns: list[str], grades: list[dict], last: pd.DataFrame | None) -> pd.DataFrame:
    ok = values[values["状态"] != UNAVAILABLE]
    g = ok.groupby("所属镇街")
    weight = g["权重"].sum().reindex(towns, fill_value=0.0)
    raw = g["得分"].sum().reindex(towns, fill_value=0.0)
    total = (raw / weight.where(weight > 0) * 100).round(1)
    mins = np.array([float(x["min"]) for x in grades])
    names = np.array([x["name"] for x in grades])
    idx = (total.to_numpy()[:, None] >= mins[None, :]).argmax(axis=1)
    grade = np.where(total.isna(), UNAVAILABLE, names[idx])
    grade = np.where((weight < 100) & total.notna(), np.char.add(grade.astype(str), "（部分指标无法计算）"), grade)
    top = (ok[ok["失分"] > 1e-9].sort_values(["所属镇街", "失分"], ascending=[True, False], kind="stable")
           .groupby("所属镇街").head(3))
    top = top.assign(t=top["指标名称"] + "（失" + top["失分"].round(1).astype(str) + "分）")
    lost = top.groupby("所属镇街")["t"].agg("、".join).reindex(towns).fillna("")
    out = pd.DataFrame({"所属镇街": towns, "总分": total.to_numpy(), "可计算权重": weight.to_numpy(), "等级": grade,
                        "失分最多的三项": lost.to_numpy()})
    out["排名"] = pd.array(out["总分"].rank(ascending=False, method="min"), dtype="Int64")
    prev = (last.set_index("所属镇街")["总分"] if last is not None else pd.Series(dtype=float)).reindex(towns)
    out["上年总分"] = prev.to_numpy(dtype=float)
    out["较上年"] = (out["总分"] - out["上年总分"]).round(1)
    out = out.sort_values(["排名", "所属镇街"], kind="stable", na_position="last").reset_index(drop=True)
    return out[["排名", "所属镇街", "总分", "等级", "可计算权重", "上年总分", "较上年", "失分最多的三项"]]


def _last_year(setup) -> pd.DataFrame | None:
    folder = setup.out_root / str(setup.as_of.year - 1) / DISTRICT_DIR / "results" / NOTEBOOK
    return K.load_tables(folder, ["totals"])["totals"] if K.read_meta(folder) else None


def _quarterly(y: Year, towns: list[str]) -> pd.DataFrame:
    rows = []
    for q in y.quarters:
        one = Year(y.year, y.as_of, [q], {n: {q: t[q]} for n, t in y.kept.items() if q in t})
        row = pd.DataFrame({"所属镇街": towns, "季度": q.label})
        for name, fn in (("就业率", employment_rate), ("审验按时报送率", audit_on_time), ("帮扶及时率", service_timeliness)):
            try:
                f = fn(one, towns, {}).reindex(towns)
                den = f["分母"].to_numpy(dtype=float)
                row[name] = np.divide(f["分子"].to_numpy(dtype=float), den, out=np.full(len(den), np.nan),
                                      where=den > 0)
            except Unavailable:
                row[name] = np.nan
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def _scheme_table(s: dict, params, year: int) -> pd.DataFrame:
    entry = params[SCHEME].entry_at(dt.date(year, 1, 1))
    fill = {k: str(v) for k, v in s["windows"].items()}
    return pd.DataFrame({
        "指标": [i["name"] for i in s["indicators"]],
        "计算口径": [i["formula"].format(**fill) for i in s["indicators"]],
        "目标": [float(i["target"]) for i in s["indicators"]],
        "权重": [float(i["weight"]) for i in s["indicators"]],
        "方向": ["越高越好" if i["direction"] == "higher" else "越低越好" for i in s["indicators"]],
        "数据来源": [i["data"] for i in s["indicators"]],
        "状态": f"{entry.status}（{'未确认，项目建议的默认值' if entry.status == 'U' else entry.status}）",
        "依据": entry.source.citation(entry.article) if hasattr(entry.source, "citation") else entry.source.title,
    })


def _coverage(y: Year, s: dict) -> pd.DataFrame:
    frame = pd.DataFrame(y.absent)
    if frame.empty:
        return pd.DataFrame(columns=["来源", "季度", "基准日", "状态", "缺少时无法计算或只按其余季度计算的指标"])
    names = {i["id"]: i["name"] for i in s["indicators"]}
    by = {KEPT[k]: "、".join(names[i] for i, d in DEPENDS.items() if k in d and i in names) for k in KEPT}
    frame["缺少时无法计算或只按其余季度计算的指标"] = np.where(frame["状态"] == "已使用", "", frame["来源"].map(by))
    return frame[["来源", "季度", "基准日", "状态", "缺少时无法计算或只按其余季度计算的指标"]]


# ------------------------------------------------------------------------------------------------ the run


def run(setup) -> Run:
    """Load the kept year, decide, keep the result, write the workbook and charts (the kit's flow, year scope)."""
    import sys

    y = load_year(setup.out_root, setup.as_of.year, setup.as_of)
    result = decide(y, setup)
    K.save_result(result, setup.district_results(NOTEBOOK))
    outputs = list(workbooks(setup, result, None))
    figs = figures(result, setup)
    outputs += save_figures(setup, figs, FIGURE_PREFIX)
    setup.write_info(figures=counts(result, setup))
    return Run(setup, sys.modules[__name__], result, result, None, outputs, figs)


def workbook_name(year: int) -> str:
    return f"镇街考核_{year}.xlsx"


def workbooks(setup, result: AssessmentResult, inputs) -> list[Path]:
    pct = {c: Col(kind="number", num_format="0.0%") for c in ("指标值", "目标")}
    sheets = [
        Sheet(name="总分排名", data=result["totals"], title=title(setup, "镇街年度考核 总分排名", date_label="考核基准日"),
              columns={"失分最多的三项": Col(wrap=True, width=60)},
              note_lines=_notes(result)),
        Sheet(name="指标明细", data=result["values"].drop(columns=["指标"]),
              title=title(setup, "镇街年度考核 指标明细", date_label="考核基准日"),
              columns={**pct, "说明": Col(wrap=True, width=60)}),
        Sheet(name="指标说明", data=result["scheme"], title=title(setup, "镇街年度考核 指标说明", date_label="考核基准日"),
              columns={"计算口径": Col(wrap=True, width=60), "数据来源": Col(wrap=True, width=40),
                       "目标": Col(kind="number", num_format="0.0%")}),
        Sheet(name="数据来源", data=result["coverage"], title=title(setup, "镇街年度考核 数据来源", date_label="考核基准日"),
              columns={"缺少时无法计算或只按其余季度计算的指标": Col(wrap=True, width=60)}),
    ]
    return [write_workbook(setup, workbook_name(result.meta["year"]), sheets)]


def _notes(result: AssessmentResult) -> list[str]:
    return ["总分 = 各项得分之和 ÷ 可计算指标的权重之和 × 100；无法计算的指标不计分，其权重不计入（见“可计算权重”）。",
            "单项得分 = 权重 × min(指标值 ÷ 目标, 1)。指标、目标和权重为区级建议口径，尚未经上级确认。"]


# ------------------------------------------------------------------------------------------------ for people


def tables(result: AssessmentResult, setup) -> dict[str, pd.DataFrame]:
    scheme_shown = result["scheme"].assign(目标=(result["scheme"]["目标"] * 100).round(1).astype(str) + "%")
    return {"总分排名": _shown(result["totals"]), "指标说明": scheme_shown, "数据来源": result["coverage"]}


def _shown(totals: pd.DataFrame) -> pd.DataFrame:
    """Numbers as a leader reads them: one decimal, a dash where there is none (no last year, not scored)."""
    out = totals.copy()
    for col in ("总分", "可计算权重", "上年总分", "较上年"):
        v = out[col].astype(float)
        fmt = "{:+.1f}" if col == "较上年" else "{:.1f}"
        out[col] = np.where(v.isna(), "—", v.map(fmt.format))
    return out


def town_table(result: AssessmentResult, town: str) -> pd.DataFrame:
    v = result["values"]
    v = v[v["所属镇街"] == town]
    shown = np.where(v["状态"] == UNAVAILABLE, v["说明"], (v["指标值"] * 100).round(1).astype(str) + "%")
    score = np.where(v["得分"].isna(), "—", v["得分"].map("{:.1f}".format))
    return pd.DataFrame({"指标": v["指标名称"].to_numpy(), "指标值": shown, "目标": (v["目标"] * 100).round(1).astype(str) + "%",
                         "权重": v["权重"].map("{:g}".format).to_numpy(), "得分": score,
                         "说明": np.where(v["状态"] == UNAVAILABLE, "", v["说明"])})


def town_lines(result: AssessmentResult, town: str) -> list[str]:
    t = result["totals"].set_index("所属镇街").loc[town]
    if pd.isna(t["总分"]):
        return [f"{town}：各项指标均无法计算，未评分。"]
    change = "" if pd.isna(t["较上年"]) else f"，较上年{'提高' if t['较上年'] >= 0 else '下降'} {abs(t['较上年']):.1f} 分"
    lost = f"失分最多的是{t['失分最多的三项']}。" if t["失分最多的三项"] else "各项均达到目标。"
    return [f"{town}：总分 {t['总分']:.1f}，{t['等级']}，全区第 {t['排名']} 名{change}。{lost}"]


def summary_lines(result: AssessmentResult, setup) -> list[str]:
    """The opening paragraph, in words generated from the figures (no personal data: towns and numbers only)."""
    t = result["totals"]
    scored = t[t["总分"].notna()]
    y = result.meta["year"]
    lines = [f"{y} 年（截至 {result.meta['as_of']}）全区 {len(t)} 个镇街参加考核，{len(scored)} 个评出总分。"]
    if len(scored):
        best, worst = scored.iloc[0], scored.iloc[-1]
        grades = scored["等级"].str.replace("（部分指标无法计算）", "", regex=False).value_counts()
        lines.append(f"{best['所属镇街']}以 {best['总分']:.1f} 分居首，{worst['所属镇街']} {worst['总分']:.1f} 分居末；"
                     + "，".join(f"{g} {n} 个" for g, n in grades.items()) + "。")
    v = result["values"]
    ok = v[v["状态"] != UNAVAILABLE]
    if len(ok):
        lost = ok.groupby("指标名称")["失分"].mean().sort_values(ascending=False)
        lines.append(f"全区失分最多的指标是{lost.index[0]}（平均每镇失 {lost.iloc[0]:.1f} 分）"
                     + (f"和{lost.index[1]}（{lost.iloc[1]:.1f} 分）" if len(lost) > 1 else "") + "。")
    na = v[v["状态"] == UNAVAILABLE]
    if len(na):
        lines.append("无法计算的指标（不计分，总分按其余指标折算）：" + "；".join(
            f"{k}（{n} 个镇街）" for k, n in na.groupby("指标名称", sort=False).size().items()) + "。")
    gaps = result["coverage"]
    gaps = gaps[gaps["状态"] != "已使用"]
    if len(gaps):
        lines.append("缺少的保存结果：" + "；".join(f"{q} {s}" for s, q in
                                            gaps.groupby("来源", sort=False)["季度"].agg("、".join).items()) + "。")
    return lines


def counts(result: AssessmentResult, setup) -> dict[str, Any]:
    v = result["values"]
    return {"镇街数": len(result["totals"]), "指标数": int(v["指标"].nunique()),
            "无法计算的镇街指标": int((v["状态"] == UNAVAILABLE).sum()),
            "平均总分": float(round(result["totals"]["总分"].mean(), 1))}


def figures(result: AssessmentResult, setup) -> dict[str, Any]:
    from .. import charts
    from . import assessment_charts as C

    t = result["totals"]
    return {
        "总分": charts.bar_chart(t.set_index("所属镇街")["总分"].dropna(), f"{result.meta['year']} 年各镇街考核总分",
                               xlabel="总分（满分 100）", horizontal=True, sort=True, value_format="{:.1f}"),
        "指标热力图": C.heatmap(result["values"], f"{result.meta['year']} 年各镇街指标得分率（得分 ÷ 权重）"),
        "季度趋势": C.trends(result["quarterly"], f"{result.meta['year']} 年各季度全区就业率与按时服务"),
    }


def show_towns(run: Run) -> None:
    """A page per town (the leaders' HTML breaks the page before each heading): its total, grade and indicators."""
    from IPython.display import HTML, Markdown, display

    from .. import report

    for town in run.result["totals"]["所属镇街"]:
        display(HTML('<div style="break-before: page"></div>'))
        display(Markdown(f"### {town}\n\n" + "\n\n".join(town_lines(run.result, town))))
        display(report.styled(town_table(run.result, town)))
