"""02 定期审验 and 退出机制: issue the verification lists to the towns, read their returns back, apply the exits.

The shape every analysis has (docs/notebook_kit.md), in two phases (the notebook's ``phase`` parameter):

- ``issue`` (default as_of: the quarter's first working day): every person 有效 in the ledger is evaluated by the rule
  engine (``evaluate_exits``). The district's own exits (``rules.exits.direct_codes``: E1, D1 — E1 only for men and
  for women with a recorded 女性退休基准, and also when the retirement date falls later in the quarter) go to the
  exit list with their event date; everyone with a signal a town must check gets a row in the town's 核实表 with a
  stable 核实编号.
- ``collect`` (default as_of: the due date): the returned workbooks (``returns_dir``, read by
  :mod:`jykn_lib.io.returns`) are reconciled with the rows issued (kept by the issue phase, never read back from our
  Excel), the towns' confirmed exits are passed to the engine as ``declared``, and the exits are applied to a NEW
  ledger version with its 变更记录 (:mod:`jykn_lib.ledger`). Nothing is lost: every issued row is returned once,
  returned unusable, or missing, and every returned row is used or listed with why.

The kept tables and their columns are described in docs/audit.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar

import numpy as np
import pandas as pd

from .. import ledger as L
from ..dates import cn_date
from ..io import returns as RT
from ..io.writer import Col, Sheet
from ..kit import results as K
from ..kit.flow import missing_lines
from ..kit.workbooks import instructions_sheet, problems_sheet, sources_sheet, title, write_workbook
from ..params import load_parameters
from ..rules.engine import evaluate_exits
from ..rules.exits import recognised_people
from ..rules.reasons import category_names
from ..workdays import audit_dates

NOTEBOOK = "02"
FIGURE_PREFIX = "审验"
ISSUE, COLLECT = "issue", "collect"
SOURCES = ["ledger", "hukou", "unemployment", "contributions", "market", "pension", "services", "dibao", "disability",
           "veteran"]
DEPENDS_ON = {
    "unemployment": "E2 失业登记记载无劳动能力、E5 失业登记已注销",
    "contributions": "E5 单位缴费（已就业）、E6 家庭成员就业",
    "market": "E5 市场主体法定代表人、负责人或经营者（已创业）",
    "pension": "E1 已领取基本养老保险待遇",
    "services": "E4 拒绝公共就业服务、E10 失联（无帮扶记录时按认定日期起算）",
    "dibao": "E11 低保已结束",
    "disability": "E11 残疾人证已注销",
    "veteran": "E11 退役军人伤残证件（第02类的另一依据）",
}
CONFIDENTIAL = "内部资料　注意保密"
ISSUED_SYSTEM = RT.SYSTEM_COLUMNS
HANDLING = {"direct": "区直接退出", "issued": "下发核实", "both": "区直接退出（季度内）并下发核实", "none": "无需核实"}


class AuditResult(K.Result):
    """The kept tables of one phase (docs/audit.md lists their columns): issue — ``people``, ``issued``, ``direct``;
    collect — also ``returned``, ``files``, ``problems``, ``outcome``, ``exits``, ``changes``, ``ledger``."""

    descriptions: ClassVar[dict[str, str]] = {
        "people": "审验对象：基准日台账有效的每个人，退出信号（代码）、区直接办理的、送镇街核实的及处理方式",
        "issued": "下发核实的行：核实编号（镇街返回时按此匹配）、系统列、系统提示、信号代码",
        "direct": "区级直接办理的退出（E1、D1）：代码、证据、事件日期（季度内稍后退休的为退休日期）",
        "returned": "收回的每个数据行：所在文件、工作表、行号，原值与识别结果，匹配到的核实编号和处理",
        "files": "收回文件夹中的每个文件：所属镇街、是否使用及原因、报送日期、是否按时、修改与读取时间",
        "problems": "收回核对发现的问题：位置、原值、问题代码和说明、处理",
        "outcome": "每个下发的核实行的结果：返回状态、核实结果、退出原因、结论",
        "exits": "本期办理的退出：退出日期、退出原因、决定依据、证据、来源文件与行号",
        "changes": "台账变更记录（较早版本的记录在前）",
        "ledger": "审验后的台账（数据契约字段，一次认定一行）",
        "sources": "数据来源：各来源的读取状态、文件数和行数，以及未提供时无法判断的事项",
    }
    town_columns: ClassVar[dict[str, str | None]] = {"sources": None}

    @property
    def phase(self) -> str:
        return self.meta.get("phase", ISSUE)


Result = AuditResult


def phase_of(setup) -> str:
    return setup.extra.get("phase", ISSUE)


def as_of_for(quarter: str, as_of: str, phase: str) -> str:
    """The run's as_of: the one given, else the issue date (issue) or the due date (collect) of the quarter."""
    if as_of and str(as_of).strip():
        return str(as_of).strip()
    issue_day, due = audit_dates(quarter)
    return (due if phase == COLLECT else issue_day).isoformat()


# ----------------------------------------------------------------------------------------------------------- inputs


def read_extra(setup) -> dict:
    """Collect phase: the issue phase's kept result and the returned workbooks; the input ledger's 变更记录."""
    if phase_of(setup) != COLLECT:
        return {}
    folder = str(setup.extra.get("returns_dir") or "").strip()
    if not folder:
        raise ValueError("收回阶段（phase=collect）须给出收回的核实表所在文件夹：参数 returns_dir，或 jykn run --returns DIR。")
    issue = K.load_result(AuditResult, setup.district_results(f"{NOTEBOOK}_{ISSUE}"),
                          expect={"quarter": setup.quarter_str}, what="本季度下发阶段（phase=issue）")
    returned = RT.read_returns(folder, as_of=setup.as_of, params=setup.params)
    return {"issue": issue, "returns": returned, "previous_log": L.read_change_log(_ledger_path(setup)),
            "returns_dir": folder}


def _ledger_path(setup):
    contract = setup.params.contract
    for p in sorted(setup.data_dir.iterdir()):
        src = contract.match_file(p.name) if p.is_file() else None
        if src is not None and src.name == "ledger":
            return p
    return None


# ----------------------------------------------------------------------------------------------------------- decide


def decide(inputs, setup) -> AuditResult:
    if phase_of(setup) == COLLECT:
        return collect(inputs, setup)
    return issue(inputs.tables, setup)


def _ledger_now(tables, as_of: dt.date) -> pd.DataFrame:
    """The ledger row that makes each person recognised on ``as_of`` (one per person), indexed by identity number."""
    ledger = tables["ledger"]
    people = recognised_people(tables, as_of)
    on = pd.Timestamp(as_of)
    rec = pd.to_datetime(ledger["recognised_date"], errors="coerce")
    ext = pd.to_datetime(ledger["exit_date"], errors="coerce")
    now = ledger[(rec <= on) & ((ledger["status"] == "有效") | ((ledger["status"] == "已退出") & (ext > on)))]
    now = now.drop_duplicates("id_number", keep="last").set_index(now["id_number"].astype(str).to_numpy())
    return now.reindex(people["id_number"].astype(str).to_numpy())


def _join_texts(n: int, long: pd.DataFrame, codes: list[str], text_of) -> np.ndarray:
    """Per row, the texts of ``codes`` present in the long (row, code, evidence) table, in code order, joined by ；."""
    out = np.full(n, "", dtype=object)
    for code in codes:
        sub = long[long["code"] == code]
        if sub.empty:
            continue
        rows = sub["row"].to_numpy()
        text = text_of(code, sub["evidence"].fillna("").astype(str).to_numpy())
        out[rows] = np.where(out[rows] == "", text, out[rows] + "；" + text)
    return out


def issue(tables, setup) -> AuditResult:
    """Decide the issue phase on ``setup.as_of`` (the rules only)."""
    params, as_of, q = setup.params, setup.as_of, setup.quarter
    issue_day, due = audit_dates(q)
    reasons = params.reasons(as_of)
    ev = evaluate_exits(tables, as_of, params=params)
    f, s, long = ev.facts, ev.summary, ev.reasons
    n = len(s)
    now = _ledger_now(tables, as_of)
    ids = s["id_number"].astype(str).to_numpy()

    # E1 later in the quarter: the retirement date falls after as_of and by the quarter's end
    end = pd.Timestamp(q.end)
    has_e1 = np.zeros(n, dtype=bool)
    has_e1[long.loc[long["code"] == "E1", "row"].to_numpy()] = True
    retire = pd.to_datetime(f["retirement_date"])
    later = (~has_e1 & (retire > pd.Timestamp(as_of)) & (retire <= end)).to_numpy()
    woman_unknown = ((f["sex"] == "女") & ~f["women_base_given"]).to_numpy()
    later_direct, later_town = later & ~woman_unknown, later & woman_unknown
    base = str(params["rules.general.women_default_base"].at(as_of))
    retire_text = retire.dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    extra = pd.DataFrame({"row": np.flatnonzero(later_town), "code": "E1", "kind": "exit",
                          "evidence": "将于 " + retire_text[later_town]
                          + f" 达到法定退休年龄（台账未记录女性退休基准，按{base}岁基准计算，请核实）"})
    direct_mask = pd.Series(False, index=long.index)
    for code in params["rules.exits.direct_codes"].at(as_of):  # which (row, code) pairs are direct (engine's summary)
        rows = np.flatnonzero(s["direct"].str.contains(rf"(?:^|,){code}(?:,|$)", regex=True).to_numpy())
        direct_mask |= (long["code"] == code) & long["row"].isin(rows)
    direct_long = long[direct_mask]
    verify_long = pd.concat([long[~direct_mask], extra], ignore_index=True)
    order = list(reasons)

    def label_text(code, ev_):
        head = f"{code} {reasons[code].label}"
        return np.where(ev_ != "", head + "：" + ev_, head).astype(object)

    prompt = _join_texts(n, verify_long, order, label_text)
    note = np.where(later_direct, "（E1 将于 " + retire_text + " 达到法定退休年龄，届时由区级直接办理退出）", "")
    prompt = np.where(note != "", np.where(prompt == "", note, prompt + "；" + note), prompt).astype(object)
    verify_codes = _codes(n, verify_long, order)
    direct_codes = _codes(n, direct_long, order)
    direct_codes = np.where(later_direct, np.where(direct_codes == "", "E1", direct_codes + ",E1"), direct_codes)
    now_direct = direct_codes != ""
    immediate = np.zeros(n, dtype=bool)
    immediate[direct_long["row"].to_numpy()] = True  # a direct exit that has happened: the town is not asked
    issued_mask = (verify_codes != "") & ~immediate
    handling = np.select([immediate, now_direct & issued_mask, issued_mask], [HANDLING["direct"], HANDLING["both"],
                                                                              HANDLING["issued"]], HANDLING["none"])

    cats = now["categories"].fillna("").astype(str).to_numpy()
    names = category_names(params, as_of)
    cat_text = pd.Series(cats).map({c: "、".join(names.get(x, x) for x in c.split(",") if x) for c in set(cats)})
    village = now["village"].astype(object).where(now["village"].notna(), f["hukou_village"].to_numpy())
    phone = now["phone"].astype(object).where(now["phone"].notna(), f["reg_phone"].to_numpy())
    people = pd.DataFrame({
        "公民身份号码": ids, "姓名": now["name"].fillna("").to_numpy(), "所属镇街": now["town"].fillna("").to_numpy(),
        "所属村居": village.fillna("").to_numpy(), "联系电话": phone.fillna("").astype(str).to_numpy(),
        "认定类别": cats, "认定类别名称": cat_text.to_numpy(), "认定日期": pd.to_datetime(now["recognised_date"]).to_numpy(),
        "性别": f["sex"].to_numpy(), "法定退休日期": retire.to_numpy(), "女性退休基准": f["women_base"].to_numpy(),
        "exits": s["exits"].to_numpy(), "direct": direct_codes, "verify": verify_codes, "处理": handling,
        "系统提示": prompt,
    })
    people["direct_date"] = _direct_dates(f, direct_codes, people["认定日期"])
    people = people.sort_values(["所属镇街", "所属村居", "公民身份号码"], kind="stable").reset_index(drop=True)
    result = AuditResult({"people": people, "issued": issued_table(people[people["处理"].isin(
        [HANDLING["issued"], HANDLING["both"]])], setup), "direct": direct_table(people, reasons, long, s)},
        {"as_of": as_of.isoformat(), "phase": ISSUE, "issue_date": issue_day.isoformat(), "due": due.isoformat()})
    return result


def _codes(n: int, long: pd.DataFrame, order: list[str]) -> np.ndarray:
    from ..rules.collect import codes_by_row

    return codes_by_row(long, n, order)


def _direct_dates(f: pd.DataFrame, direct_codes: np.ndarray, recognised: pd.Series) -> np.ndarray:
    """The event date of the direct exit (docs/rules.md: rules.audit.exit_date_rule): D1 the 户籍 变动日期, E1 the
    pension start or the retirement date; never before the recognition; NaT when the data give none."""
    d1 = pd.Series(direct_codes).str.contains("D1").to_numpy()
    death = pd.to_datetime(f["hukou_change_date"]).to_numpy()
    e1 = np.where(f["pension_started"].to_numpy(), pd.to_datetime(f["pension_start"]).to_numpy(),
                  pd.to_datetime(f["retirement_date"]).to_numpy())
    day = np.where(d1, death, np.where(direct_codes != "", e1, np.datetime64("NaT")))
    day = pd.to_datetime(pd.Series(day))
    rec = pd.to_datetime(pd.Series(np.asarray(recognised)))
    return day.where(day.isna() | (day >= rec), rec).to_numpy()


def issued_table(rows: pd.DataFrame, setup) -> pd.DataFrame:
    """The rows sent to the towns, numbered per town (核实编号 ``2026Q4-102-0001``: quarter, the last three digits of
    the town's 统计用区划代码, the position in the town's list sorted by village and identity number)."""
    codes = {t["name"]: str(t["code"])[-3:] for t in setup.params.district["towns"]}
    rows = rows.sort_values(["所属镇街", "所属村居", "公民身份号码"], kind="stable").reset_index(drop=True)
    seq = rows.groupby("所属镇街", sort=False).cumcount() + 1
    out = pd.DataFrame({
        "序号": seq.astype("int64"),
        "核实编号": setup.quarter_str + "-" + rows["所属镇街"].map(codes).fillna("000") + "-"
                  + seq.astype(str).str.zfill(4),
        "姓名": rows["姓名"], "公民身份号码": rows["公民身份号码"], "所属村居": rows["所属村居"],
        "联系电话": rows["联系电话"], "认定类别": rows["认定类别名称"], "认定日期": rows["认定日期"],
        "系统提示": rows["系统提示"], "所属镇街": rows["所属镇街"], "信号代码": rows["verify"],
        "区直接退出": rows["direct"], "区直接退出日期": rows["direct_date"],
    })
    return out


def direct_table(people: pd.DataFrame, reasons, long: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """One row per direct exit: the reason (death before age when both apply), its evidence, the event date."""
    d = people[people["direct"] != ""].reset_index(drop=True)
    code = pd.Series(np.where(d["direct"].str.contains("D1"), "D1", d["direct"].str.split(",").str[0]), dtype=object)
    ev = long.assign(公民身份号码=s["id_number"].astype(str).to_numpy()[long["row"].to_numpy()])
    ev = ev.drop_duplicates(["公民身份号码", "code"]).set_index(["公民身份号码", "code"])["evidence"]
    evidence = pd.Series(ev.reindex(pd.MultiIndex.from_arrays([d["公民身份号码"], code])).to_numpy(), dtype=object)
    later = "将于 " + pd.to_datetime(d["法定退休日期"]).dt.strftime("%Y-%m-%d") + " 达到法定退休年龄"
    evidence = evidence.where(evidence.notna() | (code != "E1"), later).fillna("")
    return pd.DataFrame({
        "公民身份号码": d["公民身份号码"], "姓名": d["姓名"], "所属镇街": d["所属镇街"], "所属村居": d["所属村居"],
        "退出原因": code, "退出原因名称": code.map({c: r.label for c, r in reasons.items()}), "证据": evidence,
        "依据": code.map({c: r.citation for c, r in reasons.items()}), "事件日期": d["direct_date"],
        "认定日期": d["认定日期"], "处理": d["处理"],
    })


# ------------------------------------------------------------------------------------------------------- collect


def exit_date_rule(params, on: dt.date) -> dict:
    rule = params["rules.audit.exit_date_rule"].at(on)
    if rule != {"direct": "event_date", "town": "collect_date"}:
        from ..params import ParameterError

        raise ParameterError(f"参数 rules.audit.exit_date_rule 的取值 {rule} 未实现：direct 只能为 event_date，"
                             "town 只能为 collect_date。")
    return rule


def collect(inputs, setup) -> AuditResult:
    """Decide the collect phase: reconcile the returns, the engine's verdict on the towns' answers, the exits (the
    earliest of a person's exits wins; on the same day the district's own first) and the new ledger version."""
    params, as_of, q = setup.params, setup.as_of, setup.quarter_str
    issue_day, due = audit_dates(setup.quarter)
    exit_date_rule(params, as_of)
    reasons = params.reasons(as_of)
    extra = inputs.extra
    first = extra["issue"]
    issued, direct = first["issued"], first["direct"]
    rec = RT.reconcile(issued, extra["returns"], issue_day=issue_day, due=due, as_of=as_of, params=params)
    returned = rec.outcome["返回状态"] == RT.RETURNED
    if len(rec.outcome) != len(issued) or returned.sum() + (~returned).sum() != len(issued):
        raise AssertionError("收回核对未覆盖全部下发行")  # cannot happen: one outcome per issued row

    o = rec.outcome[rec.outcome["结论"] == RT.CONFIRMED].reset_index(drop=True)
    evidence = ("镇街核实：" + o["来源文件"].astype(str) + " 第" + o["来源行号"].astype(str) + "行"
                + np.where(o["核实方式"].notna(), "，" + o["核实方式"].fillna(""), "")
                + np.where(o["核实人"].notna(), "，核实人 " + o["核实人"].fillna(""), "")
                + np.where(o["核实日期"].notna(), "，" + o["核实日期"].dt.strftime("%Y-%m-%d").fillna(""), "")
                + np.where(o["备注"].notna(), "；" + o["备注"].fillna(""), ""))
    declared = pd.DataFrame({"id_number": o["公民身份号码"].astype(str), "code": o["退出原因"], "evidence": evidence})
    people = pd.DataFrame({"id_number": issued["公民身份号码"].astype(str), "eval_date": pd.Timestamp(as_of)})
    ev = evaluate_exits(inputs.tables, as_of, people=people, declared=declared, params=params)
    long = ev.reasons.assign(id_number=ev.people["id_number"].astype(str).to_numpy()[ev.reasons["row"].to_numpy()])
    accepted = declared.merge(long[["id_number", "code"]].drop_duplicates(), on=["id_number", "code"])
    f = ev.facts.set_index(ev.people["id_number"].astype(str).to_numpy())
    e1_day = pd.Series(np.where(f["pension_started"], pd.to_datetime(f["pension_start"]),
                                pd.to_datetime(f["retirement_date"])), index=f.index)
    town = o.merge(accepted[["id_number", "code"]], left_on=["公民身份号码", "退出原因"], right_on=["id_number", "code"])
    rec_day = pd.to_datetime(town["公民身份号码"].map(issued.set_index("公民身份号码")["认定日期"]))
    day = pd.Series(pd.Timestamp(as_of), index=town.index)
    is_e1 = town["退出原因"] == "E1"
    day[is_e1] = pd.to_datetime(town.loc[is_e1, "公民身份号码"].map(e1_day)).fillna(pd.Timestamp(as_of))
    day = day.where(day >= rec_day, rec_day.fillna(day))
    town_exits = pd.DataFrame({
        "id_number": town["公民身份号码"], "姓名": town["姓名"], "所属镇街": town["所属镇街"], "exit_date": day,
        "exit_reason": town["退出原因"], "决定方式": "镇街核实确认",
        "basis": "镇街核实确认：" + town["退出原因"] + " " + town["退出原因"].map({c: r.label for c, r in reasons.items()})
                 + "（" + town["退出原因"].map({c: r.citation for c, r in reasons.items()}) + "）",
        "evidence": town["公民身份号码"].map(dict(zip(declared["id_number"], declared["evidence"]))),
        "source_file": town["来源文件"], "source_row": town["来源行号"]})
    d = direct.reset_index(drop=True)
    direct_exits = pd.DataFrame({
        "id_number": d["公民身份号码"], "姓名": d["姓名"], "所属镇街": d["所属镇街"],
        "exit_date": pd.to_datetime(d["事件日期"]).fillna(pd.Timestamp(as_of)), "exit_reason": d["退出原因"],
        "决定方式": "区级直接办理", "basis": "区级直接办理：" + d["退出原因"] + " " + d["退出原因名称"] + "（" + d["依据"] + "）",
        "evidence": d["证据"], "source_file": f"审验下发名单_{q}.xlsx（区直接退出）",
        "source_row": pd.array(np.arange(len(d)) + 3, dtype="Int64")})
    exits = pd.concat([direct_exits, town_exits], ignore_index=True)
    exits["_order"] = np.where(exits["决定方式"] == "区级直接办理", 0, 1)
    exits = exits.sort_values(["id_number", "exit_date", "_order"], kind="stable").drop_duplicates("id_number")
    exits = exits.drop(columns="_order").sort_values(["所属镇街", "id_number"], kind="stable").reset_index(drop=True)
    exits["source_row"] = pd.array(exits["source_row"], dtype="Int64")

    before = L.ledger_rows(inputs.data, params)
    after, log = L.apply_exits(before, exits, version=f"{q}定期审验", on=as_of)
    changed = set(log["公民身份号码"])
    exits["台账处理"] = np.where(exits["id_number"].isin(changed), "已变更",
                             "未变更（输入台账中此人已无有效记录，或已是同样的退出）")
    previous = extra.get("previous_log")
    history = pd.concat([previous, log], ignore_index=True) if previous is not None and len(previous) else log
    table = exits.rename(columns={"id_number": "公民身份号码", "exit_date": "退出日期", "exit_reason": "退出原因",
                                  "basis": "决定依据", "evidence": "证据", "source_file": "来源文件",
                                  "source_row": "来源行号"})
    table.insert(5, "退出原因名称", table["退出原因"].map({c: r.label for c, r in reasons.items()}))
    tables_ = {"issued": issued, "direct": direct, "returned": rec.rows, "files": rec.files, "problems": rec.problems,
               "outcome": rec.outcome, "exits": table, "changes": history,
               "ledger": after.drop(columns=["_file", "_row"], errors="ignore")}
    meta = {"as_of": as_of.isoformat(), "phase": COLLECT, "issue_date": first.meta.get("as_of"),
            "due": due.isoformat(), "version": f"{q}定期审验", "changes_this_version": len(log),
            "returns_dir": str(extra.get("returns_dir", ""))}
    return AuditResult(tables_, meta)


def collect_table(result: AuditResult, setup) -> pd.DataFrame:
    """汇总 of the collect phase: per town, rows issued, the file used and its 报送日期, rows returned and missing, the
    conclusions, exits, problems and the on-time return rate."""
    towns = setup.params.town_names() if setup.is_district else [setup.town]
    o, files, exits, problems = result["outcome"], result["files"], result["exits"], result["problems"]
    used = files[files["使用"] == RT.USED].drop_duplicates("所属镇街").set_index("所属镇街")
    g = o.groupby("所属镇街")

    def n(mask) -> np.ndarray:
        return o[mask].groupby("所属镇街").size().reindex(towns, fill_value=0).to_numpy()

    issued = g.size().reindex(towns, fill_value=0).to_numpy()
    state = used["按时"].reindex(towns)
    state = np.where(state.notna(), state.fillna(""), np.where(issued > 0, "未返回", "无需报送"))
    on_time = o["所属镇街"].map(used["按时"]).eq("按时") & (o["返回状态"] == RT.RETURNED)
    table = pd.DataFrame({
        "镇街": towns, "下发行数": issued, "采用的文件": used["文件"].reindex(towns).fillna("").to_numpy(),
        "报送日期": used["报送日期"].reindex(towns).dt.strftime("%Y-%m-%d").fillna("").to_numpy(), "报送情况": state,
        "已返回行数": n(o["返回状态"] == RT.RETURNED), "未返回行数": n(o["返回状态"] != RT.RETURNED),
        "确认退出": n(o["结论"] == RT.CONFIRMED), "仍符合条件": n(o["结论"] == RT.STAY),
        "无法联系": n(o["结论"] == RT.UNREACHABLE), "待补正": n(o["结论"] == RT.PENDING),
        "区级直接退出": exits[exits["决定方式"] == "区级直接办理"].groupby("所属镇街").size().reindex(towns, fill_value=0)
        .to_numpy(),
        "本期退出人数": exits.groupby("所属镇街").size().reindex(towns, fill_value=0).to_numpy(),
        "问题条数": problems.groupby("所属镇街").size().reindex(towns, fill_value=0).to_numpy(),
        "按时返回行数": n(on_time),
    })
    table["按时返回率"] = np.where(table["下发行数"] > 0, table["按时返回行数"] / table["下发行数"].clip(lower=1), np.nan)
    total = table.drop(columns=["镇街", "采用的文件", "报送日期", "报送情况", "按时返回率"]).sum().to_frame().T
    total.insert(0, "镇街", "合计")
    total["按时返回率"] = total["按时返回行数"] / total["下发行数"] if int(total["下发行数"].iloc[0]) else np.nan
    return pd.concat([table, total], ignore_index=True).fillna({"采用的文件": "", "报送日期": "", "报送情况": ""})


def collect_counts(result: AuditResult) -> dict[str, int]:
    o, exits = result["outcome"], result["exits"]
    files = result["files"]
    return {"下发行数": len(o), "已返回行数": int((o["返回状态"] == RT.RETURNED).sum()),
            "未返回行数": int((o["返回状态"] != RT.RETURNED).sum()), "确认退出人数": int((o["结论"] == RT.CONFIRMED).sum()),
            "区级直接退出人数": int((exits["决定方式"] == "区级直接办理").sum()), "本期退出人数": len(exits),
            "按时报送镇街数": int(((files["使用"] == RT.USED) & (files["按时"] == "按时")).sum()),
            "问题条数": len(result["problems"]), "台账变更项数": int(result.meta.get("changes_this_version", 0))}


def exits_by_reason(result: AuditResult, params=None) -> pd.Series:
    """Exits per reason, in the order of the reason codes (E1 … E11, D1, D2)."""
    e = result["exits"]
    n = (e["退出原因"] + " " + e["退出原因名称"]).value_counts()
    order = list((params or load_parameters()).reasons(result.as_of))
    return n.reindex(sorted(n.index, key=lambda k: order.index(k.split(" ")[0]))).rename("人数")


def collect_lines(result: AuditResult, setup) -> list[str]:
    c = collect_counts(result)
    scope = "全区" if setup.is_district else setup.town
    lines = [f"{setup.quarter_str}定期审验收回（{cn_date(result.as_of)}）：{scope}下发核实 {c['下发行数']} 行，已返回 "
             f"{c['已返回行数']} 行，未返回 {c['未返回行数']} 行（下发 = 已返回 + 未返回）。",
             f"本期退出 {c['本期退出人数']} 人：镇街核实确认 {c['确认退出人数']} 人，区级直接办理 {c['区级直接退出人数']} 人。"]
    reasons = exits_by_reason(result, setup.params)
    if len(reasons):
        lines.append("退出原因：" + "、".join(f"{k}（{v}人）" for k, v in reasons.items()) + "。")
    if setup.is_district:
        lines.append(f"按时报送的镇街 {c['按时报送镇街数']} 个；收回核对发现问题 {c['问题条数']} 条（见审验结果汇总的“问题数据”）；"
                     f"台账新版本变更 {c['台账变更项数']} 项。")
    lines.append("退出认定的人员，今后再次符合就业困难人员认定条件的，可以按规定重新申请认定。")
    return lines


def collect_tables(result: AuditResult, setup) -> dict[str, pd.DataFrame]:
    exits = result["exits"][["姓名", "公民身份号码", "所属镇街", "退出日期", "退出原因名称", "决定方式"]]
    problems = result["problems"]
    kinds = (problems.groupby(["问题类型", "处理"]).size().rename("条数").reset_index() if len(problems)
             else pd.DataFrame(columns=["问题类型", "处理", "条数"]))
    return {"分镇街收回情况": collect_table(result, setup), "退出名单": exits, "收回核对的问题（按类型）": kinds}


def collect_sheets(setup, result: AuditResult, inputs) -> list[Sheet]:
    text = {"公民身份号码": Col(kind="text"), "核实编号": Col(kind="text"), "证据": Col(wrap=True, width=50),
            "决定依据": Col(wrap=True, width=40), "问题说明": Col(wrap=True, width=50), "原值": Col(kind="text"),
            "行号": Col(kind="int"), "来源行号": Col(kind="int"), "使用说明": Col(wrap=True, width=50)}
    o = result["outcome"]
    missing = o[o["返回状态"] != RT.RETURNED][["所属镇街", "核实编号", "姓名", "公民身份号码", "返回状态", "信号代码"]]
    summary = collect_table(result, setup)
    files = result["files"][["文件", "所属镇街", "使用", "使用说明", "工作表", "表头行", "数据行数", "说明行数", "空行数",
                             "报送日期", "报送日期原值", "按时", "修改时间", "读取时间", "状态"]]
    problems = result["problems"]
    sheets = [
        Sheet(name="汇总", data=summary, title=title(setup, "定期审验收回汇总"), note_lines=collect_lines(result, setup),
              columns={"按时返回率": Col(num_format="0.0%")}),
        Sheet(name="退出名单", data=result["exits"], title=title(setup, "定期审验退出人员名单"), columns=text,
              note_lines=["退出认定的人员，今后再次符合条件的，可以按规定重新申请认定。"] if len(result["exits"])
              else ["本期无退出人员（0人）。"], mark=CONFIDENTIAL),
        Sheet(name="未返回", data=missing.reset_index(drop=True), title=title(setup, "定期审验未返回的核实行"), columns=text,
              note_lines=["未返回的人员本期不作退出处理，请镇街补报。"] if len(missing) else ["下发的核实行全部已返回。"],
              mark=CONFIDENTIAL),
        Sheet(name="问题数据", data=problems, title=title(setup, "定期审验收回核对的问题"), columns=text,
              note_lines=["每个下发的核实行：已返回或未返回；每个返回的行：已使用、已合并或未使用（写明原因）。原值为镇街填写的原文。"]
              if len(problems) else ["未发现问题。"], mark=CONFIDENTIAL),
        Sheet(name="返回文件", data=files.reset_index(drop=True), title=title(setup, "收回的核实表文件"), columns=text,
              note_lines=["同一镇街返回多个文件时，采用报送日期最晚的一份；相同时采用已填核实结果较多的一份。"]),
        replace_name(problems_sheet(setup, inputs.problems if inputs is not None else None), "源数据问题"),
    ]
    if "sources" in result.tables and not result.tables["sources"].empty:
        sheets.append(sources_sheet(setup, result.tables["sources"]))
    return sheets


def collect_workbooks(setup, result: AuditResult, inputs) -> list:
    q = setup.quarter_str
    if not setup.is_district:
        o = result["outcome"]
        mine = o[o["所属镇街"] == setup.town][["核实编号", "姓名", "公民身份号码", "返回状态", "核实结果", "退出原因", "结论"]]
        fix = result["problems"]
        fix = fix[(fix["所属镇街"] == setup.town) & (fix["处理"].isin([RT.TO_FIX, RT.NOT_USED]))]
        cols = {"公民身份号码": Col(kind="text"), "核实编号": Col(kind="text"), "问题说明": Col(wrap=True, width=50),
                "原值": Col(kind="text"), "行号": Col(kind="int")}
        sheets = [Sheet(name="核实结果", data=mine.reset_index(drop=True), columns=cols, mark=CONFIDENTIAL,
                        title=title(setup, "定期审验核实结果反馈", setup.town)),
                  Sheet(name="需补正", data=fix.reset_index(drop=True), columns=cols, mark=CONFIDENTIAL,
                        title=title(setup, "定期审验需镇街补正的行", setup.town),
                        note_lines=["请按“问题说明”补正后重新报送这些行。"] if len(fix) else ["无需补正。"])]
        return [write_workbook(setup, f"审验结果反馈_{q}_{setup.town}.xlsx", sheets, leaves_office=True)]
    previous = inputs.extra.get("previous_log") if inputs is not None else None
    previous = previous if previous is not None else L.read_change_log(None)
    n_new = int(result.meta.get("changes_this_version", 0))
    log = result["changes"].iloc[len(result["changes"]) - n_new:] if n_new else result["changes"].iloc[0:0]
    ledger_sheets = L.version_sheets(setup, result["ledger"], log.reset_index(drop=True), previous,
                                     title_kind=f"台账（{q}定期审验后）")
    return [write_workbook(setup, f"审验结果汇总_{q}.xlsx", collect_sheets(setup, result, inputs)),
            write_workbook(setup, f"就业困难人员台账_{q}审验后.xlsx", ledger_sheets)]


def collect_figures(result: AuditResult, setup) -> dict[str, object]:
    from .. import charts

    scope = "全区" if setup.is_district else setup.town
    out = {"退出原因": charts.bar_chart(exits_by_reason(result, setup.params), f"{scope}本期退出人数（按退出原因）", xlabel="人数",
                                       horizontal=True)}
    if setup.is_district:
        table = collect_table(result, setup)
        table = table[table["镇街"] != "合计"].set_index("镇街")
        out["按时返回率"] = charts.bar_chart(table["按时返回率"].fillna(0), "各镇街核实表按时返回率（按时返回行数 / 下发行数）",
                                        ylabel="按时返回率", value_format="{:.0%}")
        e = result["exits"]
        grid = pd.crosstab(e["所属镇街"], e["决定方式"]).reindex(setup.params.town_names(), fill_value=0)
        out["按镇街退出"] = charts.stacked_bar_chart(grid, "本期退出人数（按镇街）", ylabel="人数", legend_title="决定方式")
    return out


# ------------------------------------------------------------------------------------------------------------ tables


def counts(result: AuditResult, setup) -> dict[str, int]:
    if result.phase == COLLECT:
        return collect_counts(result)
    p = result["people"]
    return {"审验人数": len(p), "下发核实人数": len(result["issued"]), "区直接退出人数": len(result["direct"]),
            "无需核实人数": int((p["处理"] == HANDLING["none"]).sum())}


def signal_table(result: AuditResult, setup) -> pd.DataFrame:
    """汇总 of the issue phase: per town, people recognised, issued and direct, and each signal's count."""
    p = result["people"]
    towns = setup.params.town_names() if setup.is_district else [setup.town]
    reasons = setup.params.reasons(result.as_of)
    table = pd.DataFrame({"镇街": towns})
    g = p.groupby("所属镇街")
    table["有效人数"] = g.size().reindex(towns, fill_value=0).to_numpy()
    issued = p["处理"].isin([HANDLING["issued"], HANDLING["both"]]).groupby(p["所属镇街"]).sum()
    table["下发核实人数"] = issued.reindex(towns, fill_value=0).to_numpy()
    table["区直接退出人数"] = (p["direct"] != "").groupby(p["所属镇街"]).sum().reindex(towns, fill_value=0).to_numpy()
    both = pd.concat([p[["所属镇街"]].assign(code=p["verify"].str.split(",")).explode("code"),
                      p[["所属镇街"]].assign(code=p["direct"].str.split(",")).explode("code")])
    both = both[both["code"].fillna("") != ""]
    grid = pd.crosstab(both["所属镇街"], both["code"]).reindex(index=towns, fill_value=0)
    for code in [c for c in reasons if c in grid.columns]:
        table[f"{code} {reasons[code].label}"] = grid[code].to_numpy()
    total = table.drop(columns="镇街").sum().to_frame().T
    total.insert(0, "镇街", "合计")
    return pd.concat([table, total], ignore_index=True)


def tables(result: AuditResult, setup) -> dict[str, pd.DataFrame]:
    if result.phase == COLLECT:
        return collect_tables(result, setup)
    shown = ["核实编号", "姓名", "公民身份号码", "所属村居", "认定类别", "系统提示"]
    direct = result["direct"][["姓名", "公民身份号码", "所属镇街", "退出原因名称", "证据", "事件日期"]]
    return {"分镇街、分信号人数": signal_table(result, setup), "区直接办理的退出": direct,
            ("下发核实名单" if setup.is_district else f"{setup.town}核实名单"): result["issued"][shown]}


def summary_lines(result: AuditResult, setup) -> list[str]:
    if result.phase == COLLECT:
        return collect_lines(result, setup) + missing_lines(result.missing, DEPENDS_ON, setup.params)
    c = counts(result, setup)
    scope = "全区" if setup.is_district else setup.town
    lines = [f"以 {cn_date(result.as_of)} 为基准日，{scope}台账中有效的就业困难人员共 {c['审验人数']} 人。",
             f"其中有退出信号、下发镇街核实的 {c['下发核实人数']} 人；达到法定退休年龄（含本季度内将达到）或死亡、由区级直接办理退出的 "
             f"{c['区直接退出人数']} 人；其余 {c['无需核实人数']} 人无需核实。",
             f"请镇街于 {cn_date(result.meta['due'])} 前报送核实结果。"]
    return lines + missing_lines(result.missing, DEPENDS_ON, setup.params)


# ----------------------------------------------------------------------------------------------------------- writing


def exit_labels(setup) -> list[str]:
    return RT.Vocabulary.load(setup.params, setup.as_of).labels(setup.params, setup.as_of)


def town_sheets(setup, result: AuditResult, town: str) -> list[Sheet]:
    """The 核实表 a town fills in: system columns, the answer columns with dropdowns, 报送信息 and 填写说明.

    Not protected (docs/audit.md): Excel cannot sort a protected sheet's locked cells, and clerks sort and filter;
    the return is matched on 核实编号 and 公民身份号码, whatever the row order, and a changed system cell is found by
    that cross-check."""
    due = dt.date.fromisoformat(result.meta["due"])
    issued = result["issued"]
    table = issued[issued["所属镇街"] == town][ISSUED_SYSTEM].reset_index(drop=True)
    for col in RT.ANSWER_COLUMNS:
        table[col] = pd.Series([None] * len(table), dtype=object)
    editable = dict(editable=True)
    columns = {"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"), "核实编号": Col(kind="text"),
               # widths kept narrow so that the printed page (A4 landscape, one page wide) stays legible
               "认定日期": Col(kind="date"), "序号": Col(kind="int", width=5), "系统提示": Col(wrap=True, width=40),
               "认定类别": Col(wrap=True, width=14), "所属村居": Col(wrap=True, width=12),
               "核实结果": Col(dropdown=RT.RESULTS, width=12, required=True, **editable),
               "退出原因": Col(dropdown=exit_labels(setup), width=18, wrap=True, **editable),
               "核实方式": Col(dropdown=RT.METHODS, width=10, **editable),
               "核实日期": Col(kind="date", width=11, **editable), "核实人": Col(kind="text", width=8, **editable),
               "备注": Col(kind="text", width=14, wrap=True, **editable)}
    head = title(setup, "定期审验核实表", town, date_label="下发日期") + f"　请于 {due:%Y-%m-%d} 前报送（{CONFIDENTIAL}）"
    sheet = Sheet(name=RT.SHEET, data=table, title=head, columns=columns, protect=False, mark=CONFIDENTIAL)
    info = pd.DataFrame({"项目": ["镇街", RT.SUBMIT_LABEL, "报送人", "联系电话", "下发日期", "报送截止日期"],
                         "填写内容": [town, None, None, None, setup.as_of.isoformat(), due.isoformat()]})
    info_sheet = Sheet(name=RT.INFO_SHEET, data=info, title=title(setup, "定期审验核实表报送信息", town),
                       columns={"项目": Col(width=14), "填写内容": Col(kind="text", width=44, editable=True)},
                       note_lines=[f"报送日期请写成 {due:%Y-%m-%d} 这样的日期；截止日期为 {due:%Y-%m-%d}。"])
    return [sheet, info_sheet, instructions_sheet(setup, instructions(setup, due, len(table)))]


def instructions(setup, due: dt.date, n: int) -> list[tuple[str, str]]:
    reasons = setup.params.reasons(setup.as_of)
    codes = setup.params["rules.exits.town_answer_codes"].at(setup.as_of)
    return [
        ("本表", f"本镇本期需核实 {n} 人（0 人时无需填写，仍请报送）。系统列（序号至系统提示）由区级填写，请勿修改；"
                "请在右侧的答案列逐人填写，并在“报送信息”表中填写报送日期。"),
        ("核实编号", "每行唯一，区级按核实编号和公民身份号码读回本表：可以排序、筛选、插入空行，但不要修改或删除这两列，也不要删除行。"),
        ("系统提示", "区级比对数据发现的情况（退出情形代码和证据），请通过电话、走访或系统比对核实。"),
        ("核实结果", "从下拉选项中选择：仍符合条件 / 建议退出 / 无法联系。"),
        ("退出原因", "核实结果为“建议退出”时必填，从下拉选项中选择：" + "；".join(f"{c} {reasons[c].label}" for c in codes)
         + "。其他核实结果不填。"),
        ("核实方式", "从下拉选项中选择：电话 / 走访 / 系统比对。"),
        ("核实日期、核实人", "每行必填：核实日期写成 2026-10-20 这样的日期，核实人写姓名。"),
        ("备注", "可写核实情况，如女性“女干部（管理或专业技术岗位），按55岁基准”。"),
        ("报送", f"请于 {due:%Y-%m-%d} 前报送；另存为 .xlsx 或 .xls 均可，文件名可以修改。"),
        ("重新申请", "退出认定的人员，以后再次符合条件的，可按规定重新申请认定。"),
        ("保密", CONFIDENTIAL + "：本表含公民身份号码和联系电话，仅限镇街经办人员使用，不得外传。"),
    ]


def district_issue_sheets(setup, result: AuditResult, inputs) -> list[Sheet]:
    issued = result["issued"]
    listed = issued[["所属镇街", *ISSUED_SYSTEM]]
    text = {"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"), "核实编号": Col(kind="text"),
            "系统提示": Col(wrap=True, width=60), "证据": Col(wrap=True, width=50), "依据": Col(wrap=True, width=40)}
    direct = result["direct"]
    sheets = [
        Sheet(name="汇总", data=signal_table(result, setup), title=title(setup, "定期审验下发汇总"),
              note_lines=summary_lines(result, setup)),
        Sheet(name="区直接退出", data=direct, title=title(setup, "定期审验区级直接办理的退出"), columns=text,
              note_lines=["区级直接办理：达到法定退休年龄或领取养老金（E1）、死亡（D1）；事件日期在季度内稍后的，于该日退出。"]
              if len(direct) else ["本期无区级直接办理的退出（0人）。"], mark=CONFIDENTIAL),
        Sheet(name="下发名单", data=listed, title=title(setup, "定期审验下发核实名单"), columns=text,
              note_lines=[f"共 {len(listed)} 人，按镇街分发核实表。"], mark=CONFIDENTIAL),
        problems_sheet(setup, inputs.problems if inputs is not None else None),
    ]
    if "sources" in result.tables and not result.tables["sources"].empty:
        sheets.append(sources_sheet(setup, result.tables["sources"]))
    return sheets


def workbooks(setup, result: AuditResult, inputs) -> list:
    q = setup.quarter_str
    if result.phase == COLLECT:
        return collect_workbooks(setup, result, inputs)
    if setup.is_district:
        return [write_workbook(setup, f"审验下发名单_{q}.xlsx", district_issue_sheets(setup, result, inputs))]
    return [write_workbook(setup, f"审验核实表_{q}_{setup.town}.xlsx", town_sheets(setup, result, setup.town),
                           leaves_office=True)]


# ----------------------------------------------------------------------------------------------------------- figures


def figures(result: AuditResult, setup) -> dict[str, object]:
    if not setup.is_district:  # the district report carries the charts; a town's report its tables
        return {}
    if result.phase == COLLECT:
        return collect_figures(result, setup)
    from .. import charts

    table = signal_table(result, setup)
    table = table[table["镇街"] != "合计"].set_index("镇街")
    codes = [c for c in table.columns if c[:1] in ("E", "D")]
    scope = "全区" if setup.is_district else setup.town
    return {"信号": charts.stacked_bar_chart(table[codes].rename(columns=lambda c: c.split(" ")[0]),
                                           f"{scope}退出信号人数（按镇街，可兼有）　{result.as_of:%Y-%m-%d}", ylabel="人数",
                                           legend_title="退出情形")}


def replace_name(sheet: Sheet, name: str) -> Sheet:
    return dataclasses.replace(sheet, name=name)
