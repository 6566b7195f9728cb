"""05 严格认定: decide the applications the towns received, publish the 公示, serve refusal notices, recognise.

The shape every analysis has (docs/notebook_kit.md): ``decide`` (the rules, no I/O besides reading this notebook's own
earlier kept decisions) → ``tables`` → ``workbooks`` → ``figures``, run by :func:`jykn_lib.kit.run`. The decision
itself is :func:`jykn_lib.rules.applications.decide_applications`; this module adds the procedure (docs/applications.md):

- which applications a run decides: 申请日期 ≤ as_of, and not decided by an earlier run into the same output folder
  (earlier decisions are this notebook's kept results ``区汇总/results/05_<YYYYMMDD>/`` of every quarter folder, with a
  decision date before as_of). Not decided again: 拟认定, 不予认定, 已认定; an earlier 待补正材料 is decided again once
  the town has written new 已交材料 (the 补正), an earlier 待人工核实 in every run until it is decided;
- the decision date is as_of; the 公示 starts on the first working day after it and lasts
  ``rules.procedure.publicity_working_days`` working days (jykn_lib.workdays); 认定日期 is the first working day after
  the 公示; the review deadline is ``rules.procedure.review_working_days`` working days after 受理日期 (blank: 申请日期);
- recognition: an earlier 拟认定 whose 认定日期 ≤ as_of and whose application carries no 公示异议 is recognised into
  a new ledger version (jykn_lib.ledger); one with a 公示异议 goes to manual review instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

import numpy as np
import pandas as pd

from .. import ledger as L
from ..dates import cn_date
from ..io.writer import Col, Sheet
from ..kit import results as K
from ..kit.flow import missing_lines
from ..kit.setup import DISTRICT_DIR
from ..kit.workbooks import problems_sheet, sources_sheet, title, write_workbook
from ..notices import write_refusal_notices
from ..rowtext import join_by_row
from ..rules.applications import CONCLUSIONS, decide_applications, shown_reasons
from ..rules.engine import prepare_tables
from ..rules.reasons import category_names
from ..workdays import add_working_days, add_working_days_many, working_days_between_many

NOTEBOOK = "05"
FIGURE_PREFIX = "认定审核"
SOURCES = ["applications", "hukou", "unemployment", "dibao", "disability", "veteran", "poverty", "landless",
           "special", "contributions", "market", "pension", "ledger"]
DEPENDS_ON = {
    "unemployment": "第（七）、（十一）项（失业登记），劳动能力和就业意愿按“有”判断",
    "dibao": "第（三）项 享受最低生活保障待遇人员（申报该项的转人工核实）",
    "disability": "第（二）项 残疾人员（残疾人证；申报该项的转人工核实）",
    "veteran": "第（二）项（退役军人伤残证件）、第（十一）项（申报的转人工核实）",
    "poverty": "第（五）项 农村零转移就业原建档立卡贫困家庭人员（申报的转人工核实）",
    "landless": "第（六）项 失地农民（申报的转人工核实）",
    "special": "第（八）至（十）项（申报的转人工核实）",
    "contributions": "无业状态（单位缴费）：全部申请转人工核实",
    "market": "无业状态（企业法人等市场主体身份）：全部申请转人工核实",
    "pension": "是否已领取基本养老保险待遇：全部申请转人工核实",
    "ledger": "是否已认定（台账）；新台账版本只含本次认定的人员",
}
FINAL = ("propose", "refuse", "recognised")  # conclusions an earlier run closed
RESULTS_PATTERN = re.compile(rf"^{NOTEBOOK}_(\d{{8}})$")
CONFIDENTIAL = "内部资料　注意保密"
RESULT_COLUMNS = ["申请编号", "姓名", "公民身份号码", "受理镇街", "申请类别", "审核结论", "认定类别", "理由", "依据", "审核期限"]
PUBLICITY_COLUMNS = ["序号", "姓名", "性别", "年龄", "认定类别", "公示期", "受理镇街", "受理机构地址", "受理机构电话"]
PUBLICITY_DONE = {"recognised": "公示期满无异议，准予认定", "objection": "公示有异议，转人工核实"}


def results_name(setup) -> str:
    """One kept result per decision date: ``05_20261126`` (the kit keeps it in 区汇总/results/)."""
    return f"{NOTEBOOK}_{setup.as_of_compact}"


class ApplicationsResult(K.Result):
    """``decisions``: one row per application decided in this run; ``completed``: earlier 拟认定 whose 公示 has ended
    by as_of (recognised, or sent to manual review on an objection); ``sources``."""

    descriptions: ClassVar[dict[str, str]] = {
        "decisions": "本次审核的每份申请：申请人、受理镇街、申报类别、结论（conclusion）、认定类别、理由与依据、所缺材料、"
                     "审核期限、公示期和认定日期（拟认定的）",
        "reasons": "本次审核每份申请显示的理由：申请编号、理由代码、中文理由和依据（告知书和审核结果据此书写）",
        "completed": "此前拟认定、到本次基准日公示已期满的申请：无异议的准予认定（记入新台账版本），有异议的转人工核实",
        "sources": "数据来源：各来源的读取状态、文件数和行数，以及未提供时无法判断的事项",
    }
    town_columns: ClassVar[dict[str, str | None]] = {"decisions": "town", "completed": "town", "reasons": "town",
                                                     "sources": None}

    @property
    def decisions(self) -> pd.DataFrame:
        return self.tables["decisions"]

    @property
    def completed(self) -> pd.DataFrame:
        return self.tables["completed"]

    def of(self, conclusion: str) -> pd.DataFrame:
        return self.decisions[self.decisions["conclusion"] == conclusion]


Result = ApplicationsResult


# ------------------------------------------------------------------------------------------ earlier decisions


def earlier_decisions(setup) -> pd.DataFrame:
    """Every decision kept by an earlier run of this notebook into the same output folder (decision date before
    as_of), the latest per 申请编号."""
    frames = []
    for folder in sorted(setup.out_root.glob(f"*/{DISTRICT_DIR}/results/{NOTEBOOK}_*")):
        m = RESULTS_PATTERN.match(folder.name)
        meta = K.read_meta(folder)
        if not m or not meta or meta.get("notebook") != NOTEBOOK or not (folder / "decisions.parquet").exists():
            continue
        if dt.date.fromisoformat(meta["as_of"]) >= setup.as_of:
            continue
        frames.append(K.load_tables(folder, ["decisions"])["decisions"])
    if not frames:
        return pd.DataFrame(columns=["application_id", "conclusion", "decision_date", "materials"])
    every = pd.concat(frames, ignore_index=True)
    every = every.sort_values(["decision_date", "application_id"], kind="stable")
    return every.drop_duplicates("application_id", keep="last").reset_index(drop=True)


def _same_text(a: pd.Series, b: pd.Series) -> np.ndarray:
    return a.fillna("").astype(str).to_numpy() == b.fillna("").astype(str).to_numpy()


def to_decide(apps: pd.DataFrame, earlier: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, np.ndarray]:
    """The applications this run decides (申请日期 ≤ as_of, not closed by an earlier run) and, for each, whether it
    answers an earlier 一次性告知 (补正: new 已交材料)."""
    apps = apps[pd.to_datetime(apps["apply_date"]) <= pd.Timestamp(as_of)]
    prev = apps[["application_id"]].merge(earlier[["application_id", "conclusion", "materials"]], how="left",
                                          on="application_id", suffixes=("", "_prev"))
    closed = prev["conclusion"].isin(FINAL).to_numpy()
    was_notice = (prev["conclusion"] == "supplement").to_numpy()
    changed = ~_same_text(apps["materials"].reset_index(drop=True), prev["materials"])
    keep = ~closed & (~was_notice | changed)
    return apps[keep].reset_index(drop=True), was_notice[keep]


# ------------------------------------------------------------------------------------------------------ decide


def _labels(codes: pd.Series, names: dict[str, str]) -> np.ndarray:
    """'01,07' → '01 大龄失业人员、07 连续失业1年以上人员' (per distinct value)."""
    uniq = pd.Series(codes.fillna("").astype(str).unique())
    text = {u: "、".join(f"{c} {names[c]}" for c in u.split(",") if c in names) for u in uniq}
    return codes.fillna("").astype(str).map(text).to_numpy(dtype=object)


def reason_texts(shown: pd.DataFrame, reasons: dict) -> pd.DataFrame:
    """Each shown reason as a reader sees it: text ('label：evidence') and clause."""
    label = shown["code"].map({k: r.label for k, r in reasons.items()})
    clause = shown["code"].map({k: r.citation for k, r in reasons.items()})
    ev = shown["evidence"].fillna("").astype(str)
    return shown.assign(text=np.where(ev != "", label + "：" + ev, label), clause=clause.to_numpy())


def _join(frame: pd.DataFrame, column: str, n: int, sep: str, unique: bool = False) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if frame.empty:
        return out
    f = frame.drop_duplicates(["row", column]) if unique else frame
    return join_by_row(f["row"].to_numpy(dtype=int), f[column].to_numpy(dtype=object), n, sep)


def decide_run(apps: pd.DataFrame, tables, setup, missing_sources=(), earlier: pd.DataFrame | None = None
               ) -> ApplicationsResult:
    """The whole decision of one run (no I/O): ``apps`` are the reader's 认定申请 rows, ``earlier`` the kept decisions
    of earlier runs."""
    params, on = setup.params, setup.as_of
    tables = prepare_tables(tables)
    earlier = earlier if earlier is not None else pd.DataFrame(columns=["application_id", "conclusion",
                                                                        "decision_date", "materials"])
    todo, was_notice = to_decide(apps, earlier, on)
    todo = todo.assign(accept_date=pd.to_datetime(todo["accept_date"]).fillna(pd.to_datetime(todo["apply_date"])))
    d = decide_applications(todo, tables, on, params, missing_sources=missing_sources, resubmitted=was_notice)
    reasons = params.reasons(on)
    names = category_names(params, on)
    names = {k: v.split(" ", 1)[1] for k, v in names.items()}
    n = len(todo)
    s = d.summary
    shown = reason_texts(shown_reasons(d), reasons)
    f = d.on_decision.facts

    review_days = int(params["rules.procedure.review_working_days"].at(on))
    warn_days = int(params["rules.procedure.deadline_warning_working_days"].at(on))
    pub_days = int(params["rules.procedure.publicity_working_days"].at(on))
    deadline = add_working_days_many(todo["accept_date"], review_days)
    left = working_days_between_many(np.full(n, np.datetime64(on, "D")), deadline)
    status = np.select([deadline < np.datetime64(on, "D"), left <= warn_days], ["已超过审核期限", "即将到期"], "未到期")
    propose = s["conclusion"].to_numpy() == "propose"
    start, end, recog = (add_working_days(on, 1), add_working_days(on, pub_days), add_working_days(on, pub_days + 1))

    out = pd.DataFrame({
        "application_id": todo["application_id"].astype(str).to_numpy(),
        "id_number": todo["id_number"].astype(str).to_numpy(),
        "name": todo["name"].to_numpy(dtype=object),
        "town": todo["town"].to_numpy(dtype=object),
        "village": f["hukou_village"].fillna("").to_numpy(dtype=object),
        "sex": f["sex"].to_numpy(dtype=object),
        "age": pd.array(f["age"].to_numpy(), dtype="Int64"),
        "phone": todo["phone"].fillna("").to_numpy(dtype=object) if "phone" in todo else "",
        "women_base": pd.array(pd.to_numeric(todo["women_base"], errors="coerce"), dtype="Int64"),
        "apply_date": pd.to_datetime(todo["apply_date"]).to_numpy(),
        "accept_date": pd.to_datetime(todo["accept_date"]).to_numpy(),
        "claimed": s["claimed"].to_numpy(dtype=object),
        "claimed_text": _labels(s["claimed"], names),
        "conclusion": s["conclusion"].to_numpy(dtype=object),
        "conclusion_text": s["conclusion"].map(CONCLUSIONS).to_numpy(dtype=object),
        "categories": s["categories"].to_numpy(dtype=object),
        "categories_text": _labels(s["categories"], names),
        "reason_text": _join(shown, "text", n, "；"),
        "clause_text": _join(shown, "clause", n, "；", unique=True),
        "reason_codes": _join(d.reasons, "code", n, ",", unique=True),
        "materials": todo["materials"].fillna("").to_numpy(dtype=object),
        "submitted": s["submitted"].to_numpy(dtype=object),
        "missing": s["missing"].to_numpy(dtype=object),
        "not_asked": s["not_asked"].to_numpy(dtype=object),
        "unknown": s["unknown"].to_numpy(dtype=object),
        "resubmitted": s["resubmitted"].to_numpy(dtype=bool),
        "review_deadline": pd.to_datetime(deadline),
        "deadline_status": status,
        "decision_date": pd.Timestamp(on),
        "publicity_start": pd.to_datetime(np.where(propose, np.datetime64(start, "D"), np.datetime64("NaT"))),
        "publicity_end": pd.to_datetime(np.where(propose, np.datetime64(end, "D"), np.datetime64("NaT"))),
        "recognition_date": pd.to_datetime(np.where(propose, np.datetime64(recog, "D"), np.datetime64("NaT"))),
        "objection": todo["objection"].fillna("").to_numpy(dtype=object) if "objection" in todo else "",
        "source_file": todo["_file"].fillna("").to_numpy(dtype=object) if "_file" in todo else "",
        "source_row": pd.array(todo["_row"], dtype="Int64") if "_row" in todo else pd.array([pd.NA] * n, "Int64"),
    })
    kept_reasons = pd.DataFrame({
        "application_id": out["application_id"].to_numpy()[shown["row"].to_numpy(dtype=int)],
        "town": out["town"].to_numpy()[shown["row"].to_numpy(dtype=int)],
        "code": shown["code"].to_numpy(dtype=object), "role": shown["role"].to_numpy(dtype=object),
        "text": shown["text"].to_numpy(dtype=object), "clause": shown["clause"].to_numpy(dtype=object)})
    order = np.lexsort((out["application_id"].to_numpy(), out["town"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    completed = publicity_completed(earlier, apps, tables, on)
    meta = {"as_of": on.isoformat(), "decision_date": on.isoformat(), "publicity_start": start.isoformat(),
            "publicity_end": end.isoformat(), "recognition_date": recog.isoformat(),
            "earlier_runs": int(earlier["decision_date"].nunique()) if len(earlier) else 0}
    return ApplicationsResult({"decisions": out, "reasons": kept_reasons, "completed": completed}, meta)


def publicity_completed(earlier: pd.DataFrame, apps: pd.DataFrame, tables, on: dt.date) -> pd.DataFrame:
    """Earlier 拟认定 whose 认定日期 ≤ ``on``: recognised, unless the current 认定申请 row carries a 公示异议 (manual
    review), or the person is already 有效 in the input ledger (nothing to add)."""
    cols = ["application_id", "id_number", "name", "town", "village", "phone", "women_base", "categories",
            "categories_text", "publicity_start", "publicity_end", "recognition_date", "decision_date", "source_file",
            "source_row", "state", "state_text", "objection"]
    if earlier.empty or "recognition_date" not in earlier:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    done = earlier[(earlier["conclusion"] == "propose")
                   & (pd.to_datetime(earlier["recognition_date"]) <= pd.Timestamp(on))].reset_index(drop=True)
    now = apps.drop_duplicates("application_id", keep="last").set_index("application_id")
    objection = now["objection"].reindex(done["application_id"]).fillna("").astype(str).str.strip().to_numpy() \
        if "objection" in now else np.full(len(done), "")
    from ..rules.exits import recognised_people

    active = set(recognised_people(tables, on)["id_number"].astype(str))
    already = done["id_number"].astype(str).isin(active).to_numpy()
    state = np.select([objection != "", already], ["objection", "in_ledger"], "recognised")
    done = done.assign(state=state, objection=objection,
                       state_text=pd.Series(state).map({**PUBLICITY_DONE, "in_ledger": "已在台账中（有效）"}).to_numpy())
    return done[cols].sort_values(["town", "application_id"], kind="stable").reset_index(drop=True)


def decide(inputs, setup) -> ApplicationsResult:
    missing = [m for m in inputs.missing if m in SOURCES]
    tables = {k: v for k, v in inputs.tables.items() if k != "applications"}
    return decide_run(inputs.tables["applications"], tables, setup, missing, earlier_decisions(setup))


# ------------------------------------------------------------------------------------------------------ tables


def _date_text(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("")


def result_table(result: ApplicationsResult) -> pd.DataFrame:
    """审核结果: the issue's columns, one row per application decided in this run."""
    d = result.decisions
    return pd.DataFrame({
        "申请编号": d["application_id"], "姓名": d["name"], "公民身份号码": d["id_number"], "受理镇街": d["town"],
        "申请类别": d["claimed_text"], "审核结论": d["conclusion_text"], "认定类别": d["categories_text"],
        "理由": d["reason_text"], "依据": d["clause_text"], "审核期限": pd.to_datetime(d["review_deadline"]),
    })[RESULT_COLUMNS]


def supplement_table(result: ApplicationsResult) -> pd.DataFrame:
    """补正材料告知: one row per 待补正材料 application, every missing material in one list."""
    d = result.of("supplement")
    return pd.DataFrame({
        "申请编号": d["application_id"], "姓名": d["name"], "公民身份号码": d["id_number"], "受理镇街": d["town"],
        "申请类别": d["claimed_text"], "须补正的全部材料": d["missing"], "已交材料": d["submitted"],
        "无需提交（区级数据共享核实）": d["not_asked"], "无法识别的材料名称": d["unknown"],
        "告知日期": pd.to_datetime(d["decision_date"]),
    }).reset_index(drop=True)


def _office(params, town: str) -> dict:
    return params.district["offices"]["towns"].get(town, {"address": "", "phone": ""})


def publicity_table(result: ApplicationsResult, params, town: str | None = None) -> pd.DataFrame:
    """公示名单: name, sex, age, category, period and the town office — no identity number, address or phone of the
    applicant."""
    d = result.of("propose")
    if town is not None:
        d = d[d["town"] == town]
    d = d.reset_index(drop=True)
    period = _date_text(d["publicity_start"]) + " 至 " + _date_text(d["publicity_end"])
    offices = {t: _office(params, t) for t in d["town"].unique()}
    return pd.DataFrame({
        "序号": np.arange(1, len(d) + 1), "姓名": d["name"], "性别": d["sex"], "年龄": d["age"],
        "认定类别": d["categories_text"], "公示期": period, "受理镇街": d["town"],
        "受理机构地址": d["town"].map({t: o["address"] for t, o in offices.items()}),
        "受理机构电话": d["town"].map({t: o["phone"] for t, o in offices.items()}),
    })[PUBLICITY_COLUMNS]


def completed_table(result: ApplicationsResult) -> pd.DataFrame:
    c = result.completed
    return pd.DataFrame({
        "申请编号": c["application_id"], "姓名": c["name"], "公民身份号码": c["id_number"], "受理镇街": c["town"],
        "认定类别": c["categories_text"],
        "公示期": _date_text(c["publicity_start"]) + " 至 " + _date_text(c["publicity_end"]),
        "公示结果": c["state_text"], "认定日期": pd.to_datetime(c["recognition_date"]).where(c["state"] == "recognised"),
        "异议情况": c["objection"],
    }).reset_index(drop=True)


def deadline_table(result: ApplicationsResult) -> pd.DataFrame:
    """Applications past the review deadline, or due within the warning period, on as_of."""
    d = result.decisions[result.decisions["deadline_status"] != "未到期"]
    return pd.DataFrame({
        "申请编号": d["application_id"], "姓名": d["name"], "受理镇街": d["town"],
        "受理日期": _date_text(d["accept_date"]), "审核期限": _date_text(d["review_deadline"]),
        "期限状态": d["deadline_status"], "审核结论": d["conclusion_text"],
    }).sort_values(["期限状态", "审核期限", "申请编号"], kind="stable").reset_index(drop=True)


def town_conclusion_table(result: ApplicationsResult, params) -> pd.DataFrame:
    d = result.decisions
    towns = params.town_names()
    grid = pd.crosstab(d["town"], d["conclusion"]).reindex(index=towns, columns=list(CONCLUSIONS), fill_value=0)
    grid.columns = [CONCLUSIONS[c] for c in grid.columns]
    table = grid.reset_index(names="受理镇街")
    table.insert(1, "审核件数", grid.sum(axis=1).to_numpy())
    total = table.drop(columns="受理镇街").sum().to_frame().T
    total.insert(0, "受理镇街", "合计")
    return pd.concat([table, total], ignore_index=True)


def refusal_reason_counts(result: ApplicationsResult) -> pd.Series:
    """How many refused applications carry each reason (a refusal may carry several)."""
    r = result.tables["reasons"]
    refused = set(result.of("refuse")["application_id"])
    r = r[r["application_id"].isin(refused) & (r["role"] == "refusal")]
    label = r["text"].str.split("：", n=1).str[0]
    return label.groupby(label).size().sort_values(ascending=False, kind="stable").rename("件数")


def counts(result: ApplicationsResult, setup) -> dict[str, int]:
    c = result.decisions["conclusion"]
    done = result.completed["state"] if len(result.completed) else pd.Series(dtype=object)
    status = result.decisions["deadline_status"]
    return {"审核件数": len(c), **{CONCLUSIONS[k]: int((c == k).sum()) for k in CONCLUSIONS},
            "公示期满准予认定": int((done == "recognised").sum()), "公示有异议转人工核实": int((done == "objection").sum()),
            "已超过审核期限": int((status == "已超过审核期限").sum()), "即将到期": int((status == "即将到期").sum())}


def tables(result: ApplicationsResult, setup) -> dict[str, pd.DataFrame]:
    if setup.is_district:
        return {"分镇街审核结论": town_conclusion_table(result, setup.params),
                "不予认定的主要理由": refusal_reason_counts(result).rename_axis("理由").reset_index(),
                "审核期限提醒（已超期和即将到期）": deadline_table(result),
                "公示期满处理": completed_table(result).drop(columns=["公民身份号码"])}
    return {f"{setup.town}公示名单": publicity_table(result, setup.params, setup.town).drop(
                columns=["受理机构地址", "受理机构电话"]),
            "审核期限提醒（已超期和即将到期）": deadline_table(result)}


def summary_lines(result: ApplicationsResult, setup) -> list[str]:
    scope = "全区" if setup.is_district else setup.town
    c = counts(result, setup)
    meta = result.meta
    lines = [f"决定日 {cn_date(result.as_of)}，{scope}本次审核认定申请 {c['审核件数']} 件：拟认定 {c['拟认定']} 件，"
             f"不予认定 {c['不予认定']} 件，待补正材料 {c['待补正材料']} 件，已认定（不再审核）{c['已认定']} 件，"
             f"待人工核实 {c['待人工核实']} 件。"]
    if c["拟认定"]:
        lines.append(f"拟认定人员于 {cn_date(meta['publicity_start'])} 至 {cn_date(meta['publicity_end'])} 公示"
                     f"（{setup.params['rules.procedure.publicity_working_days'].at(result.as_of)}个工作日），"
                     f"公示期满无异议的自 {cn_date(meta['recognition_date'])} 起认定。")
    if c["公示期满准予认定"] or c["公示有异议转人工核实"]:
        lines.append(f"此前拟认定、到本次公示已期满的：准予认定 {c['公示期满准予认定']} 人（记入新台账版本），"
                     f"公示有异议转人工核实 {c['公示有异议转人工核实']} 人。")
    reasons = refusal_reason_counts(result)
    if len(reasons):
        lines.append("不予认定的主要理由：" + "、".join(f"{k}（{v}件）" for k, v in reasons.head(3).items()) + "。")
    if c["已超过审核期限"] or c["即将到期"]:
        lines.append(f"审核期限（受理后{setup.params['rules.procedure.review_working_days'].at(result.as_of)}个工作日）："
                     f"已超过 {c['已超过审核期限']} 件，即将到期 {c['即将到期']} 件。")
    return lines + missing_lines(result.missing, DEPENDS_ON, setup.params)


# ----------------------------------------------------------------------------------------------------- writing


def district_sheets(setup, result: ApplicationsResult, inputs) -> list[Sheet]:
    q = title
    res = result_table(result)
    sup = supplement_table(result)
    pub = publicity_table(result, setup.params)
    done = completed_table(result)
    wrap = {"理由": Col(wrap=True, width=60), "依据": Col(wrap=True, width=36)}
    sheets = [
        Sheet(name="审核结果", data=res, title=q(setup, "认定申请审核结果", date_label="决定日"),
              columns={"公民身份号码": Col(kind="text"), "申请类别": Col(wrap=True, width=24),
                       "认定类别": Col(wrap=True, width=24), "审核期限": Col(kind="date"), **wrap},
              highlight=result.decisions["deadline_status"] == "已超过审核期限",
              highlight_note="红色底纹：决定日已超过审核期限（受理后"
                             f"{setup.params['rules.procedure.review_working_days'].at(setup.as_of)}个工作日）。",
              note_lines=summary_lines(result, setup) if len(res) else ["本次没有待审核的申请（0件）。"],
              mark=CONFIDENTIAL),
        Sheet(name="补正材料告知", data=sup, title=q(setup, "申请材料一次性补正告知", date_label="告知日"),
              columns={"公民身份号码": Col(kind="text"), "须补正的全部材料": Col(wrap=True, width=40),
                       "已交材料": Col(wrap=True, width=30), "无需提交（区级数据共享核实）": Col(wrap=True, width=30),
                       "告知日期": Col(kind="date")},
              note_lines=["每份申请所缺的全部材料一次列出；通过数据共享取得的材料（户口簿、社保、低保、残疾、失业登记、"
                          "市场主体信息）不要求提交。补正后仍不齐全的不再二次告知，按不予认定处理。"] if len(sup)
              else ["本次没有需要补正材料的申请（0件）。"], mark=CONFIDENTIAL),
        Sheet(name="公示名单", data=pub, title=q(setup, "拟认定人员公示名单", date_label="决定日"),
              columns={"年龄": Col(kind="int"), "认定类别": Col(wrap=True, width=30)},
              note_lines=[f"公示期 {cn_date(result.meta['publicity_start'])} 至 {cn_date(result.meta['publicity_end'])}"
                          "（按法定工作日计算）；公示期间对名单有异议的，可向受理机构反映。"] if len(pub)
              else ["本次没有拟认定人员（0人）。"]),
        Sheet(name="公示期满", data=done, title=q(setup, "公示期满处理"),
              columns={"公民身份号码": Col(kind="text"), "认定日期": Col(kind="date"), "异议情况": Col(wrap=True, width=30)},
              note_lines=["此前拟认定、到本次基准日公示已期满的申请：无异议的准予认定并记入新台账版本；有异议的转人工核实，"
                          "不自动认定。"] if len(done) else ["没有到本次基准日公示期满的申请。"], mark=CONFIDENTIAL),
        problems_sheet(setup, inputs.problems if inputs is not None else None),
    ]
    if "sources" in result.tables and not result.tables["sources"].empty:
        sheets.append(sources_sheet(setup, result.tables["sources"]))
    return sheets


def publicity_sheet(setup, result: ApplicationsResult, town: str) -> Sheet:
    table = publicity_table(result, setup.params, town)
    office = _office(setup.params, town)
    notes = ([f"以上人员经审核拟认定为就业困难人员，现予公示。公示期 {cn_date(result.meta['publicity_start'])} 至 "
              f"{cn_date(result.meta['publicity_end'])}（{setup.params['rules.procedure.publicity_working_days'].at(setup.as_of)}"
              "个工作日）。",
              f"对公示名单有异议的，请于公示期内向{office.get('name', town)}反映（地址：{office.get('address', '')}；"
              f"电话：{office.get('phone', '')}）。"]
             if len(table) else ["本镇本次没有拟认定人员（0人）。"])
    return Sheet(name="公示名单", data=table, title=title(setup, "拟认定人员公示名单", town, date_label="决定日"),
                 columns={"年龄": Col(kind="int"), "认定类别": Col(wrap=True, width=30)}, note_lines=notes)


def ledger_version(setup, result: ApplicationsResult, inputs):
    """The new ledger version: the input ledger plus one 有效 row per recognition, with its 变更记录."""
    params = setup.params
    current = L.ledger_rows(inputs.data, params)
    done = result.completed[result.completed["state"] == "recognised"]
    new = pd.DataFrame({
        "id_number": done["id_number"], "name": done["name"], "town": done["town"], "categories": done["categories"],
        "recognised_date": pd.to_datetime(done["recognition_date"]), "village": done["village"].replace("", None),
        "phone": done["phone"].replace("", None), "women_base": done["women_base"], "employment_status": "未就业",
        "basis": "认定审核：拟认定，公示期满无异议（" + _date_text(done["publicity_start"]) + " 至 "
                 + _date_text(done["publicity_end"]) + "）",
        "evidence": "申请编号 " + done["application_id"].astype(str) + "，决定日 " + _date_text(done["decision_date"]),
        "source_file": done["source_file"], "source_row": done["source_row"],
    })
    version = f"{setup.as_of:%Y-%m-%d}认定"
    out, log = L.add_recognitions(current, new, version=version, on=setup.as_of)
    files = inputs.data.files
    ledger_files = files.loc[files["来源"] == params.contract["ledger"].title, "文件"].tolist()
    previous = L.read_change_log(setup.data_dir / ledger_files[0] if ledger_files else None)
    return L.version_sheets(setup, out, log, previous, title_kind=f"台账（{version}后）")


def workbooks(setup, result: ApplicationsResult, inputs) -> list:
    day = setup.as_of_compact
    if not setup.is_district:
        return [write_workbook(setup, f"公示名单_{day}_{setup.town}.xlsx", [publicity_sheet(setup, result, setup.town)],
                               leaves_office=True)]
    paths = [write_workbook(setup, f"认定审核结果_{day}.xlsx", district_sheets(setup, result, inputs))]
    paths.append(write_workbook(setup, f"就业困难人员台账_{day}认定后.xlsx", ledger_version(setup, result, inputs)))
    refused = result.of("refuse")
    reasons = result.tables["reasons"]
    paths += write_refusal_notices(setup, refused, reasons[reasons["application_id"].isin(set(refused["application_id"]))])
    return paths


# ----------------------------------------------------------------------------------------------------- figures


def figures(result: ApplicationsResult, setup) -> dict[str, object]:
    from .. import charts

    d = result.decisions
    scope = "全区" if setup.is_district else setup.town
    by = d["conclusion"].map(CONCLUSIONS).value_counts().reindex(list(CONCLUSIONS.values()), fill_value=0)
    out = {"按结论": charts.bar_chart(by, f"{scope}认定申请审核结论　决定日 {result.as_of:%Y-%m-%d}", ylabel="件数")}
    if setup.is_district:
        grid = pd.crosstab(d["town"], d["conclusion"].map(CONCLUSIONS)).reindex(
            index=setup.params.town_names(), columns=list(CONCLUSIONS.values()), fill_value=0)
        out["按镇街"] = charts.stacked_bar_chart(grid, "各镇街审核结论（件）", ylabel="件数", legend_title="审核结论")
        reasons = refusal_reason_counts(result)
        out["不予认定理由"] = charts.bar_chart(reasons.head(8), "不予认定的主要理由（件，可兼有）", xlabel="件数",
                                           horizontal=True)
    return out


# ---------------------------------------------------------------------------------------------- the demo year


def decide_quarter(quarter: str, as_of, data_dir, out_dir, town: str = "全区"):
    """One run of 05 outside a notebook (the demo of the year calls it once per decision date, in order): the same as
    running the notebook with these parameters. Returns the kit's Run."""
    from .. import kit
    from . import applications as analysis

    setup = kit.validate_parameters(notebook=NOTEBOOK, quarter=quarter, as_of=str(as_of), town=town,
                                    data_dir=str(data_dir), out_dir=str(out_dir))
    return kit.run(setup, analysis)


def decide_year(data_dir, out_dir, dates=None, towns: bool = False) -> list:
    """05 on each decision date in order (default: the synthetic district's schedule, synth_manifest.json
    ``application_schedule``, or jykn_lib.synth.applications.decision_dates of params/demo.yaml's as_of), each into
    the quarter folder of its date; with ``towns`` also every town's run. Returns the district runs."""
    import json
    from pathlib import Path

    from ..periods import Quarter
    from ..synth.applications import decision_dates

    if dates is None:
        manifest = Path(data_dir) / "synth_manifest.json"
        if manifest.exists():
            dates = [dt.date.fromisoformat(d) for d in json.loads(manifest.read_text(encoding="utf-8"))
                     ["application_schedule"]]
        else:
            from ..params import load_yaml

            as_of = load_yaml("demo.yaml")["as_of"]
            dates = decision_dates(as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of)))
    runs = []
    for day in dates:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        q = str(Quarter.of(day))
        runs.append(decide_quarter(q, day, data_dir, out_dir))
        if towns:
            from ..params import load_parameters

            for town in load_parameters().town_names():
                decide_quarter(q, day, data_dir, out_dir, town=town)
    return runs
