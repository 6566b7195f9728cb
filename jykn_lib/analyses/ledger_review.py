"""03 台账检查: the real-name ledger kept true (实名管理), the Art. 5 services delivered on time and followed up (精细服务),
the policy list pushed to every person and employer (应享尽享), the 公益性岗位 (兜底安置), and the provincial import file.

The shape every analysis has (docs/notebook_kit.md): ``decide`` (the rules, no I/O) → ``tables`` → ``workbooks`` →
``figures``. Who is reviewed: everyone recognised on ``as_of`` (the ledger's row in force, as the quarterly audit takes
it: :func:`jykn_lib.rules.exits.recognised_mask`). Each finding is a code of ``params/reasons/ledger_review.yaml`` with its
evidence and the ledger row (file, Excel row) it is about. The rules are the engine's: categories on the 认定日期 with
:func:`~jykn_lib.rules.engine.evaluate`, retirement, death, refusals (E4) and lost contact (E10) with
:func:`~jykn_lib.rules.engine.evaluate_exits`, the plan, follow-ups, 就业状态 and grade with
:func:`~jykn_lib.rules.services.evaluate_services`, the policy list with :mod:`jykn_lib.rules.policies`.
Semantics and decisions: docs/ledger_review.md.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import numpy as np
import pandas as pd

from ..dates import cn_date
from ..io import problems as P
from ..io.import_template import import_sheet, load_mapping
from ..io.writer import Col, Sheet
from ..kit import results as K
from ..kit.flow import missing_lines
from ..kit.setup import UNKNOWN_TOWN
from ..kit.workbooks import problems_sheet, sources_sheet, title, write_workbook
from ..params import ParameterError, Parameters
from ..rowtext import join_by_row, join_groups, per_value
from ..rules import facts as F
from ..rules import policies as POL
from ..rules import services as S
from ..rules.engine import evaluate, evaluate_exits, prepare_tables
from ..rules.exits import recognised_mask
from ..rules.reasons import application_only, category_names

NOTEBOOK = "03"
FIGURE_PREFIX = "台账检查"
SOURCES = ["ledger", "services", "unemployment", "hukou", "dibao", "disability", "veteran", "poverty", "landless",
           "special", "contributions", "market", "pension", "posts"]
DEPENDS_ON = {
    "services": "第五条帮扶服务是否按时完成、跟踪回访、拒绝服务（E4）和失联（E10）、无更新日期时的就业状态更新、职业培训补贴",
    "unemployment": "按失业时长分级；第（七）、（十一）项在认定日期的数据支持",
    "hukou": "死亡仍为有效；第（四）、（五）项在认定日期的数据支持",
    "dibao": "第（三）项在认定日期的数据支持",
    "disability": "第（二）项在认定日期的数据支持",
    "veteran": "第（二）、（十一）项在认定日期的数据支持",
    "poverty": "第（五）项在认定日期的数据支持",
    "landless": "第（六）项在认定日期的数据支持",
    "special": "第（八）至（十）项在认定日期的数据支持",
    "contributions": "社会保险补贴、岗位补贴（吸纳已认定人员的用人单位）和灵活就业社会保险补贴的推送",
    "market": "创业担保贷款及贴息的推送（市场主体）",
    "pension": "已领取养老金仍为有效",
    "posts": "公益性岗位的统计、安置对象、报送情况和公益性岗位补贴的推送",
}
# Sources without which a category cannot be found on its 认定日期 (a missing one would make it look unsupported).
CATEGORY_SOURCES = {"01": (), "02": ("disability", "veteran"), "03": ("dibao",), "04": ("hukou",),
                    "05": ("hukou", "poverty"), "06": ("landless",), "07": ("unemployment",), "08": ("special",),
                    "09": ("special",), "10": ("special",), "11": ("veteran", "unemployment")}
SERVICE_CODES = ("S_ART5_OVERDUE", "S_ART5_LATE", "S_ART5_DUE_SOON", "F_NO_CONTACT", "F_DUE_SOON", "F_E4", "F_E10")
KIND_NAMES = {"ledger": "台账质量", "service": "第五条帮扶服务", "followup": "跟踪回访", "post": "公益性岗位"}
PROBLEM_KINDS = tuple(KIND_NAMES)
ID_RULES = tuple(k for k in P.RULES if k.startswith("ID_"))
CONFIDENTIAL = "内部资料　注意保密"
ANSWERS = ["已整改", "情况属实，已说明", "无法整改"]
FINDING_COLUMNS = ["所属镇街", "所属村居", "姓名", "公民身份号码", "问题类别", "问题代码", "问题", "说明", "依据", "来源文件",
                   "行号", "kind"]
IMPORT_NAME = "服务跟踪情况-就业困难人员导入_{quarter}_{scope}.xlsx"


class LedgerReviewResult(K.Result):
    """The review of the ledger on ``as_of``: findings, people, plan, push, posts, post_towns (and sources)."""

    descriptions: ClassVar[dict[str, str]] = {
        "findings": "问题清单：每个问题一行（问题代码、类别、中文说明、依据），及其所在的台账（或公益性岗位）文件和 Excel 行号",
        "people": "基准日有效的每个已认定人员一行：台账字段、第五条服务、跟踪回访、就业状态、分级（台账与规则）、E4/E10 事实、政策",
        "plan": "第五条帮扶服务计划：每人每项服务一行（应完成、期限内完成、至今完成、期限、状态）",
        "push": "政策推送：可享受、尚未在台账“享受政策”中登记的政策，每人（或每个用人单位与人员）每项一行",
        "posts": "公益性岗位：每个岗位一行（在岗、安置人员是否在上岗日期已认定）",
        "post_towns": "公益性岗位按镇街：岗位数、在岗、空岗、安置已认定和未认定人员、报送情况",
        "sources": "数据来源：各来源的读取状态、文件数和行数，以及未提供时无法判断的事项",
    }
    town_columns: ClassVar[dict[str, str | None]] = {"sources": None}

    @property
    def problems(self) -> pd.DataFrame:
        f = self.tables["findings"]
        return f[f["kind"].isin(PROBLEM_KINDS)]


Result = LedgerReviewResult


# ----------------------------------------------------------------------------------------------------------- decide


def decide(inputs, setup) -> LedgerReviewResult:
    return review(inputs.data, setup.as_of, setup.params, missing=inputs.missing)


def review(data, as_of: dt.date, params: Parameters, missing: list[str] | None = None) -> LedgerReviewResult:
    """The whole review on ``as_of`` from a reader's DataSet (its tables, all_rows and problems); no I/O."""
    missing = set(missing or [])
    tables = prepare_tables(data.tables)
    reasons = params.reasons(as_of)
    ledger_all = _ledger_rows(data, params)
    chosen = tables.get("ledger")
    if chosen is None:
        chosen = ledger_all.iloc[:0]
    people = _recognised(chosen, as_of)
    found = [_reader_findings(data, ledger_all, params), _duplicates(ledger_all, data, params)]
    if len(people):
        ex = evaluate_exits(tables, as_of, people=people[["id_number", "eval_date", "women_base"]], params=params)
        sv = S.evaluate_services(people, tables, params)
        found += [_exit_findings(people, ex, "services" in missing), _service_findings(people, sv, "services" in missing),
                  _category_findings(people, tables, params, missing),
                  _contact_findings(people, data, params)]
        items = POL.in_force(POL.load_policies(params), as_of)
        claimed, unknown = POL.claimed_policies(people["policies_claimed"], items)
        found.append(_policy_unknown(people, unknown))
        push = _push(people, tables, params, items, claimed, ex.facts)
        people_table = _people_table(people, ex, sv, push, params, as_of, tables)
        plan = _plan_table(people, sv)
    else:
        push, plan = _empty_push(), _plan_table(people, None)
        people_table = _people_table(people, None, None, push, params, as_of, tables)
    posts, post_towns, post_found = _posts(tables, data, params, as_of, missing)
    found.append(post_found)
    findings = _findings_frame(found, reasons, params)
    people_table["台账问题"] = _problem_text(findings, people_table)
    meta = {"as_of": as_of.isoformat(), "ledger_rows": _ledger_counts(data, params),
            "posts_rejected": _rejected_rows(data, params, "posts")}
    return LedgerReviewResult({"findings": findings, "people": people_table, "plan": plan, "push": push,
                               "posts": posts, "post_towns": post_towns}, meta)


def _ledger_rows(data, params) -> pd.DataFrame:
    fields = params.contract["ledger"].fields
    rows = data.all_rows.get("ledger")
    if rows is None:
        cols = {f: pd.Series(dtype=object) for f in fields + ["_file", "_row"]}
        return pd.DataFrame({**cols, "_chosen": pd.Series(dtype=bool)})
    return rows.reset_index(drop=True)


def _rejected_rows(data, params, source: str) -> int:
    title = params.contract[source].title
    f = data.files[data.files["来源"] == title] if len(data.files) else data.files
    return int(f["剔除行数"].sum()) if len(f) else 0


def _ledger_counts(data, params) -> dict:
    title = params.contract["ledger"].title
    f = data.files[data.files["来源"] == title] if len(data.files) else data.files
    return {c: int(f[c].sum()) if len(f) else 0 for c in ("读入行数", "使用行数", "剔除行数", "合并重复行数")}


def _recognised(chosen: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per person recognised on ``as_of``: the row in force, as the audit's recognised_people picks it."""
    if chosen.empty:
        cols = ["id_number", "eval_date", "recognised_date", "women_base", "_file", "_row"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    rows = chosen[recognised_mask(chosen, as_of).to_numpy()].drop_duplicates("id_number", keep="last")
    p = rows.reset_index(drop=True).copy()
    p["id_number"] = p["id_number"].astype(str)
    p["eval_date"] = pd.Timestamp(as_of)
    p["women_base"] = pd.to_numeric(p["women_base"], errors="coerce")
    p["recognised_date"] = pd.to_datetime(p["recognised_date"])
    return p


# ------------------------------------------------------------------------------------------------- finding helpers


def _found(rows: pd.DataFrame, code: str, evidence, *, town=None, village=None, name=None, id_number=None,
           file=None, row=None) -> pd.DataFrame:
    """Findings of one code: one per row of ``rows`` (a frame with the ledger fields and _file/_row by default)."""
    n = len(rows)

    def col(value, default):
        if value is None and default in rows:
            value = rows[default].to_numpy(dtype=object)
        if value is None:
            return pd.Series([None] * n, dtype=object)
        if isinstance(value, str):
            return pd.Series([value] * n, dtype=object)
        return pd.Series(np.asarray(value, dtype=object))

    return pd.DataFrame({"所属镇街": col(town, "town"), "所属村居": col(village, "village"), "姓名": col(name, "name"),
                         "公民身份号码": col(id_number, "id_number"), "code": code,
                         "说明": col(evidence, "__none__") if not isinstance(evidence, str) else evidence,
                         "来源文件": col(file, "_file"), "行号": col(row, "_row")})


def _reader_findings(data, ledger_all: pd.DataFrame, params) -> pd.DataFrame:
    """What the reader said about the ledger's rows: rejected rows, cells it blanked, suspicious phones (those on
    rows in force are checked with the people), identical duplicates (with the duplicates)."""
    title = params.contract["ledger"].title
    pr = data.problems[(data.problems["来源"] == title) & data.problems["行号"].notna()]
    parts = []
    rejected = pr[pr["处理"] == P.REJECT]
    if len(rejected):
        keys = ["文件", "行号"]
        rejected = rejected.assign(_id=rejected["规则代码"].isin(ID_RULES).to_numpy())
        text = join_groups(rejected, keys, "问题说明", "；")
        is_id = rejected.groupby(keys, sort=True)["_id"].any().reindex(text.index)
        # the identity number the first identity problem of the row quoted; None when the row has none
        first = rejected[rejected["_id"]].drop_duplicates(keys).set_index(keys)["原值"]
        ids = first.reindex(text.index).astype(object).where(is_id.to_numpy(), None)
        frame = pd.DataFrame({"_file": text.index.get_level_values(0).to_numpy(dtype=object),
                              "_row": text.index.get_level_values(1).to_numpy(dtype=object),
                              "id_number": ids.to_numpy(dtype=object), "evidence": text.to_numpy(),
                              "is_id": is_id.to_numpy(dtype=bool)})
        for code, mask in (("L_ID_INVALID", frame["is_id"]), ("L_REQUIRED", ~frame["is_id"])):
            sub = frame[mask.to_numpy()]
            if len(sub):
                parts.append(_found(sub, code, sub["evidence"].to_numpy(), town=UNKNOWN_TOWN, village="", name=""))
    blanked = pr[pr["处理"] == P.BLANK]
    if len(blanked):
        b = join_groups(blanked, ["文件", "行号"], "问题说明", "；").reset_index()
        b = b.merge(ledger_all, left_on=["文件", "行号"], right_on=["_file", "_row"], how="inner")
        parts.append(_found(b, "L_CELL_INVALID", b["问题说明"].to_numpy()))
    return pd.concat(parts, ignore_index=True) if parts else _found(ledger_all.iloc[:0], "L_REQUIRED", "")


def _duplicates(ledger_all: pd.DataFrame, data, params) -> pd.DataFrame:
    """The same person twice: two or more 有效 rows (in one town: L_DUPLICATE; in two: L_TWO_TOWNS), or a row merged
    into an identical one by the reader."""
    parts = []
    active = ledger_all[(ledger_all["status"] == "有效").fillna(False).to_numpy()]
    many = active[active["id_number"].duplicated(keep=False).to_numpy()].copy()
    if len(many):
        many["_place"] = "第" + many["_row"].astype(str) + "行（" + many["town"].astype(str) + "）"
        towns = many.groupby("id_number")["town"].transform("nunique")
        places = many["id_number"].map(join_groups(many, "id_number", "_place", "、"))
        evidence = "同一人有" + many.groupby("id_number")["_row"].transform("size").astype(str) + "条有效记录：" + places
        for code, mask in (("L_TWO_TOWNS", towns > 1), ("L_DUPLICATE", towns <= 1)):
            sub = many[mask.to_numpy()]
            if len(sub):
                parts.append(_found(sub, code, evidence[mask.to_numpy()].to_numpy()))
    title = params.contract["ledger"].title
    pr = data.problems
    merged = pr[(pr["来源"] == title) & (pr["规则代码"] == "DUPLICATE_IDENTICAL")]
    if len(merged):
        first = ledger_all.drop_duplicates("id_number", keep="last").set_index(ledger_all.drop_duplicates(
            "id_number", keep="last")["id_number"].astype(str))
        ids = merged["原值"].astype(str)
        known = ids.isin(first.index).to_numpy()
        m = merged[known]
        base = first.loc[ids[known]]
        parts.append(_found(base, "L_DUPLICATE", m["问题说明"].to_numpy(), file=m["文件"].to_numpy(),
                            row=m["行号"].to_numpy()))
    return pd.concat(parts, ignore_index=True) if parts else _found(ledger_all.iloc[:0], "L_DUPLICATE", "")


def _codes_of(ev, code: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    r = ev.reasons[ev.reasons["code"] == code]
    mask = np.zeros(n, dtype=bool)
    mask[r["row"].to_numpy()] = True
    evidence = np.full(n, "", dtype=object)
    evidence[r["row"].to_numpy()] = r["evidence"].fillna("").astype(str).to_numpy()
    return mask, evidence


def _exit_findings(people, ex, no_services: bool) -> pd.DataFrame:
    """The exit family's signals on people still 有效: retired or pension (E1), deceased (D1), refusals (E4), lost
    contact (E10) — the audit's own computation."""
    parts = []
    pairs = [("E1", "L_RETIRED_ACTIVE"), ("D1", "L_DECEASED_ACTIVE")]
    if not no_services:
        pairs += [("E4", "F_E4"), ("E10", "F_E10")]
    for exit_code, code in pairs:
        mask, evidence = _codes_of(ex, exit_code, len(people))
        if mask.any():
            parts.append(_found(people[mask], code, evidence[mask]))
    return pd.concat(parts, ignore_index=True) if parts else _found(people.iloc[:0], "L_RETIRED_ACTIVE", "")


def _service_findings(people, sv, no_services: bool) -> pd.DataFrame:
    parts = []
    for code in sv.reasons["code"].unique():
        if code.startswith("GR_") or (no_services and code in SERVICE_CODES):
            continue
        mask, evidence = _codes_of(sv, code, len(people))
        if no_services and code == "L_STATUS_STALE":  # without 帮扶记录 only a written 就业状态更新日期 is a baseline
            mask &= people["employment_status_date"].notna().to_numpy()
        if mask.any():
            parts.append(_found(people[mask], code, evidence[mask]))
    return pd.concat(parts, ignore_index=True) if parts else _found(people.iloc[:0], "L_STATUS_STALE", "")


def _category_findings(people, tables, params, missing: set) -> pd.DataFrame:
    """Each recognised category that the data does not support on the 认定日期 (the engine at that date). Categories
    decided only on application, categories whose sources are missing, and recognitions before the rules' first
    date are not checked."""
    first = max(p.entries[0].start for n, p in params.params.items()
                if n.startswith(("rules.categories.", "rules.general.", "rules.evidence.")))
    rec = pd.to_datetime(people["recognised_date"])
    checkable = (rec >= pd.Timestamp(first)).to_numpy()
    if not checkable.any():
        return _found(people.iloc[:0], "L_CATEGORY_UNSUPPORTED", "")
    sub = people[checkable].reset_index(drop=True)
    asked = pd.DataFrame({"id_number": sub["id_number"], "eval_date": sub["recognised_date"],
                          "women_base": sub["women_base"]})
    found_cats = _evaluate_by_period(asked, tables, params)
    on = people["eval_date"].max().date()
    names = category_names(params, on)
    skip = set(application_only(params, on))
    checked = {c for c, srcs in CATEGORY_SOURCES.items() if not (set(srcs) & missing)} - skip
    # (row, category) in the ledger's order, less those the engine found on that row's date
    cats = sub["categories"].fillna("").astype(str).str.split(",").explode()
    cats = pd.DataFrame({"row": cats.index.to_numpy(), "c": cats.to_numpy(dtype=object)})
    cats = cats[(cats["c"] != "") & cats["c"].isin(checked)]
    got = pd.Series(found_cats, dtype=object).str.split(",").explode()
    got = pd.MultiIndex.from_arrays([got.index.to_numpy(), got.to_numpy(dtype=object)])
    cats = cats[~pd.MultiIndex.from_arrays([cats["row"], cats["c"]]).isin(got)]
    hit = np.zeros(len(sub), dtype=bool)
    hit[cats["row"].to_numpy()] = True
    label = np.where(cats["c"].isin(names), cats["c"].map(names), cats["c"]).astype(object)
    text = join_by_row(cats["row"].to_numpy(), label, len(sub), "、")
    day = pd.to_datetime(sub["recognised_date"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    evidence = ("认定日期 " + day[hit] + " 的数据不支持：" + text[hit]).astype(object)
    return _found(sub[hit], "L_CATEGORY_UNSUPPORTED", evidence)


def _evaluate_by_period(asked: pd.DataFrame, tables, params) -> list[str]:
    """Categories found by the engine, each person on their own date. One call when the parameters allow it; when a
    list parameter changes between the dates (the engine then asks to evaluate by period), the dates are evaluated
    in groups within which every parameter keeps one value."""
    try:
        return list(evaluate(asked, tables, params).summary["categories"])
    except ParameterError as err:
        if "分段" not in str(err):
            raise
    starts = sorted({e.start for p in params.params.values() for e in p.entries})
    day = pd.to_datetime(asked["eval_date"]).dt.date
    group = np.searchsorted(np.array(starts, dtype="datetime64[D]"), day.to_numpy(dtype="datetime64[D]"),
                            side="right")
    out = np.full(len(asked), "", dtype=object)
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        ev = evaluate(asked.iloc[idx].reset_index(drop=True), tables, params)
        out[idx] = ev.summary["categories"].to_numpy()
    return list(out)


def _contact_findings(people, data, params) -> pd.DataFrame:
    parts = []
    blank = people["phone"].isna().to_numpy() | (people["phone"].astype(str).str.strip() == "").to_numpy()
    if blank.any():
        parts.append(_found(people[blank], "L_PHONE_MISSING", "台账联系电话为空"))
    title = params.contract["ledger"].title
    pr = data.problems[(data.problems["来源"] == title) & (data.problems["规则代码"] == "PHONE_SUSPICIOUS")]
    if len(pr):
        key = pd.MultiIndex.from_arrays([people["_file"].astype(str), people["_row"].astype("Int64")])
        warn = pd.MultiIndex.from_arrays([pr["文件"].astype(str), pr["行号"].astype("Int64")])
        hit = key.isin(warn)
        if hit.any():
            text = pr.set_index(warn)["问题说明"]
            parts.append(_found(people[hit], "L_PHONE_MALFORMED", text.loc[key[hit]].to_numpy()))
    return pd.concat(parts, ignore_index=True) if parts else _found(people.iloc[:0], "L_PHONE_MISSING", "")


def _policy_unknown(people, unknown: pd.DataFrame) -> pd.DataFrame:
    if unknown.empty:
        return _found(people.iloc[:0], "L_POLICY_UNKNOWN", "")
    g = join_groups(unknown, "row", "item", "、")
    rows = people.iloc[g.index.to_numpy()]
    return _found(rows, "L_POLICY_UNKNOWN", ("享受政策中的“" + g + "”不是政策清单中的政策项目").to_numpy())


def _findings_frame(found: list[pd.DataFrame], reasons, params) -> pd.DataFrame:
    f = pd.concat([x for x in found if len(x)], ignore_index=True) if any(len(x) for x in found) else None
    if f is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS}).rename(columns={"kind": "kind"})
    unknown = set(f["code"]) - set(reasons)
    if unknown:
        raise KeyError(sorted(unknown)[0])  # every finding's code is in params/reasons.yaml
    f["kind"] = f["code"].map({c: r.kind for c, r in reasons.items()})
    f["问题类别"] = f["kind"].map(KIND_NAMES).fillna("即将到期")
    f["问题"] = f["code"].map({c: r.label for c, r in reasons.items()})
    f["依据"] = f["code"].map({c: r.citation for c, r in reasons.items()})
    f["问题代码"] = f["code"]
    for c in ("所属村居", "姓名", "公民身份号码", "说明", "来源文件"):
        f[c] = f[c].fillna("").astype(str)
    f["行号"] = pd.to_numeric(f["行号"], errors="coerce").astype("Int64")
    order = {c: i for i, c in enumerate(reasons)}
    towns = {t: i for i, t in enumerate(params.town_names())}
    f["_t"] = f["所属镇街"].map(towns).fillna(len(towns))
    f["_c"] = f["code"].map(order)
    f = f.sort_values(["_t", "所属村居", "公民身份号码", "_c", "行号"], kind="stable", na_position="last")
    f["所属镇街"] = f["所属镇街"].fillna(UNKNOWN_TOWN).astype(str)
    return f[FINDING_COLUMNS].reset_index(drop=True)


def _problem_text(findings: pd.DataFrame, people: pd.DataFrame) -> np.ndarray:
    """Per person, the labels of their problems (the import file's 备注)."""
    f = findings[findings["kind"].isin(PROBLEM_KINDS) & (findings["公民身份号码"] != "")]
    text = join_groups(f, "公民身份号码", "问题", "；", unique=True)
    return people["公民身份号码"].map(text).fillna("").to_numpy()


# ------------------------------------------------------------------------------------------------- the people table


def _people_table(people, ex, sv, push, params, as_of, tables) -> pd.DataFrame:
    n = len(people)
    names = category_names(params, as_of)
    cats = people["categories"].fillna("").astype(str) if n else pd.Series(dtype=str)
    out = pd.DataFrame({
        "所属镇街": people.get("town", pd.Series(dtype=object)).astype(object),
        "所属村居": people.get("village", pd.Series(dtype=object)).fillna("").astype(str),
        "姓名": people.get("name", pd.Series(dtype=object)).astype(object),
        "公民身份号码": people.get("id_number", pd.Series(dtype=object)).astype(str),
    })
    if not n:
        return out
    f = ex.facts
    out["性别"] = f["sex"].to_numpy()
    out["出生日期"] = pd.to_datetime(f["birth_date"]).to_numpy()
    out["年龄"] = pd.array(f["age"].to_numpy(), dtype="Int64")
    out["联系电话"] = people["phone"].fillna("").astype(str).to_numpy()
    out["认定类别代码"] = cats.str.replace(",", "、").to_numpy()
    out["认定类别"] = per_value(cats, lambda cs: "、".join(names.get(c, c) for c in cs.split(",") if c))
    out["认定日期"] = people["recognised_date"].to_numpy()
    out["状态"] = people["status"].astype(object).to_numpy()
    out["就业状态"] = people["employment_status"].astype(object).to_numpy()
    out["就业日期"] = pd.to_datetime(people["employment_date"]).to_numpy()
    out["就业状态更新日期"] = pd.to_datetime(people["employment_status_date"]).to_numpy()
    out["分级"] = people["grade"].astype(object).to_numpy()
    s = sv.summary
    out["规则分级"] = s["rule_grade"].to_numpy()
    out["分级依据"] = s["rule_grade_reason"].to_numpy()
    out["失业月数"] = pd.array(pd.Series(s["months_unemployed"]).round().to_numpy(), dtype="Int64")
    for col in ("helper", "skills", "income_change"):
        out[{"helper": "帮扶责任人", "skills": "技能状况", "income_change": "家庭收入变动"}[col]] = (
            people[col].astype(object).to_numpy())
    svc = S.recorded_services(sv.people, tables)
    counts = svc.groupby(["row", "service_type"]).size().unstack(fill_value=0) if len(svc) else pd.DataFrame()
    for kind, header in (("职业指导", "职业指导次数"), ("岗位推荐", "岗位推荐次数"), ("职业培训", "职业培训次数"),
                         ("创业服务", "创业服务次数"), ("跟踪回访", "跟踪回访次数")):
        col = counts[kind] if kind in counts else pd.Series(dtype=int)
        out[header] = col.reindex(range(n), fill_value=0).astype(int).to_numpy()
    last = svc.groupby("row")["service_date"].max() if len(svc) else pd.Series(dtype="datetime64[ns]")
    out["最近服务日期"] = last.reindex(range(n)).to_numpy()
    out["最近成功跟踪日期"] = s["last_followup"].to_numpy()
    out["下次跟踪期限"] = s["followup_due"].to_numpy()
    out["帮扶计划期限"] = s["plan_due"].to_numpy()
    out["帮扶计划完成情况"] = s["plan_status"].to_numpy()
    out["近期拒绝服务次数"] = f["refusals_in_window"].astype(int).to_numpy()
    last_contact = f["last_contact"].fillna(f["ledger_recognised_date"])
    out["最后有效联系日期"] = f["last_contact"].to_numpy()
    out["失联月数"] = pd.array(S.whole_months(last_contact, f["eval_date"]), dtype="Int64")
    out["享受政策"] = people["policies_claimed"].fillna("").astype(str).to_numpy()
    pushed = join_groups(push, "公民身份号码", "政策项目", "、", unique=True)
    out["可享受未享受政策"] = out["公民身份号码"].map(pushed.to_dict()).astype(object).fillna("").to_numpy()
    out["法定退休日期"] = pd.to_datetime(f["retirement_date"]).to_numpy()
    out["台账文件"] = people["_file"].astype(str).to_numpy()
    out["台账行号"] = pd.array(people["_row"].to_numpy(), dtype="Int64")
    return out


def _plan_table(people, sv) -> pd.DataFrame:
    cols = ["所属镇街", "所属村居", "姓名", "公民身份号码", "帮扶责任人", "认定日期", "服务", "应完成次数", "期限内完成次数",
            "至今完成次数", "期限", "状态", "台账行号"]
    if sv is None or sv.plan.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    p = sv.plan.merge(people[["town", "village", "name", "id_number", "helper", "recognised_date", "_row"]]
                      .reset_index(drop=True).reset_index(names="row"), on="row", how="left")
    out = pd.DataFrame({"所属镇街": p["town"].astype(object), "所属村居": p["village"].fillna("").astype(str),
                        "姓名": p["name"].astype(object), "公民身份号码": p["id_number"].astype(str),
                        "帮扶责任人": p["helper"].astype(object), "认定日期": p["recognised_date"],
                        "服务": p["services"], "应完成次数": p["required"].astype(int),
                        "期限内完成次数": p["done_by_due"].astype(int), "至今完成次数": p["done"].astype(int),
                        "期限": p["due"], "状态": p["status"], "台账行号": pd.array(p["_row"], dtype="Int64")})
    return out.sort_values(["所属镇街", "所属村居", "公民身份号码", "服务"], kind="stable").reset_index(drop=True)


# -------------------------------------------------------------------------------------------------------- policies

PUSH_COLUMNS = ["所属镇街", "所属村居", "对象", "用人单位", "姓名", "公民身份号码", "政策项目", "可享受依据", "标准", "期限",
                "出处", "确认状态", "policy"]


def _empty_push() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PUSH_COLUMNS})


def _push(people, tables, params, items, claimed, facts) -> pd.DataFrame:
    """May claim and has not claimed: the eligible items minus those the ledger's 享受政策 lists."""
    keys = people[["id_number", "eval_date", "recognised_date", "employment_status"]].reset_index(drop=True)
    keys.insert(0, "row", np.arange(len(keys)))
    long = POL.eligible(keys, tables, params, items, facts=facts)
    if long.empty:
        return _empty_push()
    if len(claimed):  # less the (row, policy) pairs the ledger already lists
        done = pd.MultiIndex.from_arrays([claimed["row"].to_numpy(), claimed["policy"].to_numpy(dtype=object)])
        long = long[~pd.MultiIndex.from_arrays([long["row"].to_numpy(), long["policy"].to_numpy(dtype=object)]).isin(
            done)]
    rows = people.reset_index(drop=True).iloc[long["row"].to_numpy()]
    from ..params import STATUSES

    unknown = set(long["policy"]) - set(items)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    policy = long["policy"]

    def per_policy(fn) -> np.ndarray:  # one value per policy item (the list is a parameter), mapped to the rows
        return policy.map({c: fn(i) for c, i in items.items()}).to_numpy(dtype=object)

    out = pd.DataFrame({
        "所属镇街": rows["town"].astype(object).to_numpy(), "所属村居": rows["village"].fillna("").astype(str).to_numpy(),
        "对象": per_policy(lambda i: POL.TARGETS[i.target]), "用人单位": long["employer"].fillna("").to_numpy(),
        "姓名": rows["name"].astype(object).to_numpy(), "公民身份号码": rows["id_number"].astype(str).to_numpy(),
        "政策项目": per_policy(lambda i: i.name), "可享受依据": long["evidence"].to_numpy(),
        "标准": per_policy(lambda i: f"{i.amount}（{i.reference}）" if i.amount != i.reference else i.amount),
        "期限": per_policy(lambda i: i.duration), "出处": per_policy(lambda i: i.citation),
        "确认状态": per_policy(lambda i: STATUSES[i.status]), "policy": policy.to_numpy()})
    return out.sort_values(["所属镇街", "所属村居", "公民身份号码", "policy", "用人单位"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------- posts

POST_COLUMNS = ["所属镇街", "岗位编号", "岗位类别", "岗位名称", "开发日期", "报送日期", "安置人员身份号码", "上岗日期",
                "离岗日期", "在岗", "上岗时已认定", "说明", "来源文件", "行号"]
TOWN_POST_COLUMNS = ["所属镇街", "岗位数", "在岗", "空岗", "安置已认定人员", "安置未认定人员", "报送截止日", "最早报送日期",
                     "报送情况"]


def report_deadline(params: Parameters, as_of: dt.date) -> dt.date:
    """The latest yearly 报送 deadline on or before ``as_of`` (rules.posts.report_deadline, MM-DD)."""
    text = str(params["rules.posts.report_deadline"].at(as_of))
    month, day = (int(x) for x in text.split("-"))
    this_year = dt.date(as_of.year, month, day)
    return this_year if this_year <= as_of else dt.date(as_of.year - 1, month, day)


def _posts(tables, data, params, as_of, missing) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    posts = tables.get("posts")
    empty_found = _found(pd.DataFrame(), "P_NOT_RECOGNISED", "")
    if posts is None or "posts" in missing:
        return (pd.DataFrame({c: pd.Series(dtype=object) for c in POST_COLUMNS}),
                pd.DataFrame({c: pd.Series(dtype=object) for c in TOWN_POST_COLUMNS}), empty_found)
    on = pd.Timestamp(as_of)
    p = posts.reset_index(drop=True).copy()
    start, leave = pd.to_datetime(p["start_date"]), pd.to_datetime(p["leave_date"])
    held = p["holder_id"].notna() & (start.isna() | (start <= on)) & (leave.isna() | (leave > on))
    keys = pd.DataFrame({"row": np.arange(len(p)), "id_number": p["holder_id"].fillna("").astype("string[pyarrow]"),
                         "eval_date": start.fillna(on)})
    lf = F.ledger_facts(keys, tables, params)
    recognised = lf["recognised_on"].fillna(False).to_numpy() & held.to_numpy()
    poor = F.listed(keys, tables, "poverty").to_numpy()
    why = np.where(~lf["ledger_found"].to_numpy(), "台账中无此人",
                   np.where(lf["ledger_recognised_date"].to_numpy() > keys["eval_date"].to_numpy(),
                            "认定日期 " + pd.Series(lf["ledger_recognised_date"]).dt.strftime("%Y-%m-%d").fillna("").to_numpy()
                            + " 晚于上岗日期", "上岗日期时不是有效认定"))
    why = ("上岗日期 " + start.dt.strftime("%Y-%m-%d").fillna("未填").to_numpy() + "，" + why
           + np.where(poor, "；在原建档立卡名单中（巩固脱贫过渡期内的脱贫劳动力可以安置，请核实）", ""))
    not_rec = held.to_numpy() & ~recognised
    table = pd.DataFrame({
        "所属镇街": p["town"].astype(object), "岗位编号": p["post_id"].astype(str), "岗位类别": p["post_category"],
        "岗位名称": p["post_name"].fillna(""), "开发日期": p["created_date"], "报送日期": p["report_date"],
        "安置人员身份号码": p["holder_id"].fillna("").astype(str), "上岗日期": start, "离岗日期": leave,
        "在岗": np.where(held, "是", "否"), "上岗时已认定": np.where(held, np.where(recognised, "是", "否"), ""),
        "说明": np.where(not_rec, why, ""), "来源文件": p["_file"].astype(str), "行号": pd.array(p["_row"], dtype="Int64")})
    found = [_found(table[not_rec], "P_NOT_RECOGNISED", why[not_rec],
                    town=table.loc[not_rec, "所属镇街"].to_numpy(), village="", name="",
                    id_number=table.loc[not_rec, "安置人员身份号码"].to_numpy(),
                    file=table.loc[not_rec, "来源文件"].to_numpy(), row=table.loc[not_rec, "行号"].to_numpy())]
    deadline = report_deadline(params, as_of)
    year_start = pd.Timestamp(deadline.year, 1, 1)
    reported = pd.to_datetime(p["report_date"]).where(lambda d: d >= year_start)
    towns = params.town_names()
    by = pd.DataFrame({"town": p["town"], "held": held.to_numpy(), "rec": recognised, "not_rec": not_rec,
                       "reported": reported})
    g = by.groupby("town")
    earliest = g["reported"].min().reindex(towns)
    state = np.where(earliest.isna(), "未报送", np.where(earliest <= pd.Timestamp(deadline), "按时报送", "逾期报送"))
    town_table = pd.DataFrame({
        "所属镇街": towns, "岗位数": g.size().reindex(towns, fill_value=0).to_numpy(),
        "在岗": g["held"].sum().reindex(towns, fill_value=0).astype(int).to_numpy(),
        "安置已认定人员": g["rec"].sum().reindex(towns, fill_value=0).astype(int).to_numpy(),
        "安置未认定人员": g["not_rec"].sum().reindex(towns, fill_value=0).astype(int).to_numpy(),
        "报送截止日": pd.Timestamp(deadline), "最早报送日期": earliest.to_numpy(), "报送情况": state})
    town_table.insert(3, "空岗", town_table["岗位数"] - town_table["在岗"])
    for code, status in (("P_REPORT_LATE", "逾期报送"), ("P_REPORT_MISSING", "未报送")):
        sub = town_table[town_table["报送情况"] == status]
        if len(sub):
            evidence = (f"{deadline.year}年报送截止日 {deadline:%Y-%m-%d}，" +
                        (("最早报送日期 " + pd.to_datetime(sub["最早报送日期"]).dt.strftime("%Y-%m-%d")).to_numpy()
                         if status == "逾期报送" else
                         np.where(sub["岗位数"].to_numpy() > 0, "本镇公益性岗位均无本年度报送日期", "无公益性岗位记录")))
            found.append(_found(sub, code, evidence, town=sub["所属镇街"].to_numpy(), village="", name="",
                                id_number="", file="", row=np.full(len(sub), None)))
    ordered = table.assign(_t=table["所属镇街"].map({t: i for i, t in enumerate(towns)})).sort_values(
        ["_t", "岗位编号"], kind="stable").drop(columns="_t").reset_index(drop=True)
    return ordered, town_table, pd.concat(found, ignore_index=True)


# ------------------------------------------------------------------------------------------------------------ tables

OVERDUE_STATUSES = (S.OVERDUE, S.LATE)
FOLLOW_CODES = ("F_NO_CONTACT", "F_DUE_SOON", "S_ART5_DUE_SOON", "F_E4", "F_E10")


def _town_order(params) -> list[str]:
    return params.town_names()


def overdue_table(result: LedgerReviewResult) -> pd.DataFrame:
    """帮扶超期: each service of the plan done late or still not done after its due date."""
    plan = result.tables["plan"]
    out = plan[plan["状态"].isin(OVERDUE_STATUSES)].copy()
    due = pd.to_datetime(out["期限"])
    out["超期天数"] = pd.array((pd.Timestamp(result.as_of) - due).dt.days.where(out["状态"] == S.OVERDUE), dtype="Int64")
    return out.reset_index(drop=True)


def followup_table(result: LedgerReviewResult) -> pd.DataFrame:
    """待跟踪: who needs a contact — overdue follow-ups, services and follow-ups due within the horizon, E4/E10."""
    f = result.tables["findings"]
    f = f[f["问题代码"].isin(FOLLOW_CODES)]
    items = join_groups(f, "公民身份号码", "问题", "；", unique=True)
    people = result.tables["people"]
    if people.empty or items.empty:
        cols = ["所属镇街", "所属村居", "姓名", "公民身份号码", "联系电话", "帮扶责任人", "待办事项", "下次跟踪期限",
                "最近成功跟踪日期", "帮扶计划期限", "帮扶计划完成情况", "近期拒绝服务次数", "最后有效联系日期", "失联月数"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    p = people[people["公民身份号码"].isin(items.index)].copy()
    p["待办事项"] = p["公民身份号码"].map(items)
    cols = ["所属镇街", "所属村居", "姓名", "公民身份号码", "联系电话", "帮扶责任人", "待办事项", "下次跟踪期限",
            "最近成功跟踪日期", "帮扶计划期限", "帮扶计划完成情况", "近期拒绝服务次数", "最后有效联系日期", "失联月数"]
    return p[cols].sort_values(["所属镇街", "所属村居", "公民身份号码"], kind="stable").reset_index(drop=True)


def problem_list(result: LedgerReviewResult) -> pd.DataFrame:
    """问题清单 as the towns read it (without the machine columns)."""
    return result.problems.drop(columns=["kind"]).reset_index(drop=True)


def town_summary(result: LedgerReviewResult, params: Parameters) -> pd.DataFrame:
    """汇总: per town the people reviewed, the people with problems, the problems by kind, the plan on time, the
    follow-ups overdue, and a 合计 row (镇街不明 when the reader rejected ledger rows)."""
    people = result.tables["people"]
    problems = result.problems
    towns = _town_order(params) + ([UNKNOWN_TOWN] if (problems["所属镇街"] == UNKNOWN_TOWN).any() else [])
    n = people.groupby("所属镇街").size().reindex(towns, fill_value=0)
    with_problem = problems[problems["公民身份号码"] != ""].groupby("所属镇街")["公民身份号码"].nunique()
    kinds = pd.crosstab(problems["所属镇街"], problems["问题类别"]).reindex(index=towns, fill_value=0)
    kinds = kinds.reindex(columns=[KIND_NAMES[k] for k in PROBLEM_KINDS], fill_value=0)
    due = people[people["帮扶计划完成情况"].isin([S.ON_TIME, S.LATE, S.OVERDUE])]
    on_time = due.assign(ok=due["帮扶计划完成情况"] == S.ON_TIME).groupby("所属镇街")["ok"].agg(["sum", "size"])
    on_time = on_time.reindex(towns, fill_value=0)
    table = pd.DataFrame({"镇街": towns, "有效认定人数": n.to_numpy(),
                          "有问题人数": with_problem.reindex(towns, fill_value=0).to_numpy(),
                          "问题数": kinds.sum(axis=1).to_numpy()})
    table = pd.concat([table, kinds.reset_index(drop=True)], axis=1)
    table["计划已到期人数"] = on_time["size"].astype(int).to_numpy()
    table["按时完成人数"] = on_time["sum"].astype(int).to_numpy()
    total = table.drop(columns="镇街").sum().to_frame().T
    total.insert(0, "镇街", "合计")
    total["有问题人数"] = problems.loc[problems["公民身份号码"] != "", "公民身份号码"].nunique()  # once, even in two towns
    table = pd.concat([table, total], ignore_index=True)
    rate = table["按时完成人数"] / table["计划已到期人数"].where(table["计划已到期人数"] > 0)
    table["按时完成率"] = rate.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    return table


def code_counts(result: LedgerReviewResult) -> pd.DataFrame:
    """问题类型: how many of each finding (upcoming items included, marked), in the order of the reasons file."""
    f = result.tables["findings"]
    if f.empty:
        return pd.DataFrame(columns=["问题类别", "问题代码", "问题", "依据", "数量"])
    g = f.groupby(["问题代码"], sort=False).agg(问题类别=("问题类别", "first"), 问题=("问题", "first"),
                                             依据=("依据", "first"), 数量=("问题", "size"), kind=("kind", "first"))
    g = g.reset_index()
    kinds = {k: i for i, k in enumerate([*PROBLEM_KINDS, "upcoming"])}
    codes = {c: i for i, c in enumerate(load_codes())}
    g = g.assign(_k=g["kind"].map(kinds), _c=g["问题代码"].map(codes)).sort_values(["_k", "_c"], kind="stable")
    return g[["问题类别", "问题代码", "问题", "依据", "数量"]].reset_index(drop=True)


def load_codes() -> list[str]:
    """The finding codes in the order of params/reasons/ledger_review.yaml."""
    from ..params import load_parameters, load_yaml

    raw = load_yaml("reasons/ledger_review.yaml", load_parameters().root) or {}
    return [code for items in raw.values() for code in (items or {})]


def grade_table(result: LedgerReviewResult) -> pd.DataFrame:
    """分级对照: the ledger's 分级 against the rule's."""
    p = result.tables["people"]
    if p.empty:
        return pd.DataFrame(columns=["规则分级", "台账A", "台账B", "台账C", "台账未填", "合计"])
    ledger = p["分级"].fillna("未填").astype(str)
    t = pd.crosstab(p["规则分级"], ledger).reindex(index=["A", "B", "C"], columns=["A", "B", "C", "未填"], fill_value=0)
    t.columns = ["台账A", "台账B", "台账C", "台账未填"]
    t["合计"] = t.sum(axis=1)
    return t.rename_axis("规则分级").reset_index()


def policy_summary(result: LedgerReviewResult, params: Parameters) -> pd.DataFrame:
    """政策推送汇总: per policy item, the push lines and the people and employers they concern."""
    push = result.tables["push"]
    items = POL.in_force(POL.load_policies(params), result.as_of)
    rows = []
    for code, item in items.items():
        mine = push[push["policy"] == code]
        rows.append({"政策项目": item.name, "对象": POL.TARGETS[item.target], "待推送条数": len(mine),
                     "涉及人员": mine["公民身份号码"].nunique(),
                     "涉及用人单位": mine["用人单位"].replace("", np.nan).nunique(), "标准": item.amount,
                     "期限": item.duration, "出处": item.citation})
    return pd.DataFrame(rows)


def tables(result: LedgerReviewResult, setup) -> dict[str, pd.DataFrame]:
    """What the notebook shows for its scope (masked on display)."""
    if setup.is_district:
        return {"分镇街情况": town_summary(result, setup.params), "问题类型": code_counts(result),
                "分级对照（规则与台账）": grade_table(result), "政策推送汇总": policy_summary(result, setup.params),
                "公益性岗位（按镇街）": result.tables["post_towns"]}
    keep = ["所属村居", "姓名", "公民身份号码", "问题类别", "问题", "说明"]
    shown = problem_list(result)[keep]
    phone = problem_list(result)["问题代码"].str.startswith("L_PHONE_")
    shown.loc[phone, "说明"] = ""  # the evidence quotes the phone as written: the workbook has it, the report does not
    return {"问题类型": code_counts(result), f"{setup.town}问题清单": shown,
            "帮扶超期": overdue_table(result).drop(columns=["所属镇街", "台账行号"]),
            "公益性岗位": result.tables["post_towns"]}


def counts(result: LedgerReviewResult, setup) -> dict[str, int]:
    """The key figures (the notebook's checked cell and the run manifest)."""
    f = result.tables["findings"]
    people = result.tables["people"]
    plan = result.tables["plan"]
    out = {"有效认定人数": len(people), "问题数": len(result.problems),
           "有问题人数": int(result.problems.loc[result.problems["公民身份号码"] != "", "公民身份号码"].nunique())}
    for kind in PROBLEM_KINDS:
        out[f"{KIND_NAMES[kind]}问题数"] = int((f["kind"] == kind).sum())
    out["帮扶服务逾期未完成项数"] = int((plan["状态"] == S.OVERDUE).sum())
    out["即将到期事项数"] = int((f["kind"] == "upcoming").sum())
    out["政策推送条数"] = len(result.tables["push"])
    out["公益性岗位数"] = len(result.tables["posts"])
    return out


def summary_lines(result: LedgerReviewResult, setup) -> list[str]:
    """A short summary in words for leaders (no personal data)."""
    scope = "全区" if setup.is_district else setup.town
    c = counts(result, setup)
    lines = [f"以 {cn_date(result.as_of)} 为基准日，{scope}台账中有效的就业困难人员共 {c['有效认定人数']} 人；"
             f"发现问题 {c['问题数']} 个，涉及 {c['有问题人数']} 人。"]
    by_kind = "、".join(f"{KIND_NAMES[k]} {c[KIND_NAMES[k] + '问题数']} 个" for k in PROBLEM_KINDS)
    lines.append(f"按类别：{by_kind}。")
    rows = result.meta.get("ledger_rows", {})
    if setup.is_district and rows:
        lines.append(f"台账文件读入 {rows.get('读入行数', 0)} 行，使用 {rows.get('使用行数', 0)} 行，"
                     f"无法使用 {rows.get('剔除行数', 0)} 行（列入问题清单，镇街不明的由区级核实）。")
    people = result.tables["people"]
    due = people[people["帮扶计划完成情况"].isin([S.ON_TIME, S.LATE, S.OVERDUE])] if len(people) else people
    if len(due):
        share = (due["帮扶计划完成情况"] == S.ON_TIME).mean()
        lines.append(f"第五条帮扶服务计划已到期的 {len(due)} 人中，按时完成 {share:.0%}；"
                     f"逾期未完成的服务 {c['帮扶服务逾期未完成项数']} 项；"
                     f"今后 {setup.params['rules.services.due_soon_working_days'].at(result.as_of)} 个工作日内到期的事项 "
                     f"{c['即将到期事项数']} 个（见“待跟踪”）。")
    if c["政策推送条数"]:
        lines.append(f"按政策清单可享受、台账尚未登记享受的政策 {c['政策推送条数']} 条（见“政策推送”，标准待确认的项目已注明）。")
    towns = result.tables["post_towns"]
    if len(towns):
        late = towns[towns["报送情况"] != "按时报送"]["所属镇街"].tolist()
        done = ("各镇均按时报送。" if setup.is_district else "本镇已按时报送。")
        lines.append(f"公益性岗位 {int(towns['岗位数'].sum())} 个，在岗 {int(towns['在岗'].sum())} 个，"
                     f"空岗 {int(towns['空岗'].sum())} 个；安置未认定人员 {int(towns['安置未认定人员'].sum())} 人。"
                     + (f"未按时报送的：{'、'.join(late)}。" if late else done))
    rejected = result.meta.get("posts_rejected", 0)
    if setup.is_district and rejected:
        lines.append(f"公益性岗位文件有 {rejected} 行无法使用，未计入上述岗位数（见“问题数据”）。")
    return lines + missing_lines(result.missing, DEPENDS_ON, setup.params)


# ----------------------------------------------------------------------------------------------------------- writing

_TEXT = Col(kind="text")
_WRAP = Col(wrap=True, width=50)


TOWN_PROBLEM_COLUMNS = ["所属村居", "姓名", "公民身份号码", "问题类别", "问题", "说明", "依据", "行号"]


def _problem_sheet(setup, result, scope: str | None, for_town: bool) -> Sheet:
    table = problem_list(result)
    if for_town:  # the town's own list: no town column, no machine code, the district's file name is not theirs
        table = table[TOWN_PROBLEM_COLUMNS].rename(columns={"行号": "台账行号"})
    table.insert(0, "序号", np.arange(1, len(table) + 1))
    columns = {"公民身份号码": _TEXT, "说明": _WRAP, "问题": Col(wrap=True, width=36), "依据": Col(wrap=True, width=30),
               "行号": Col(kind="int"), "台账行号": Col(kind="int"), "序号": Col(kind="int")}
    if for_town:
        table["处理情况"] = pd.Series([None] * len(table), dtype=object)
        table["处理说明"] = pd.Series([None] * len(table), dtype=object)
        columns.update({"处理情况": Col(dropdown=ANSWERS, editable=True, width=16),
                        "处理说明": Col(kind="text", editable=True, width=30)})
    where = ("“台账行号”是问题所在的区台账（公益性岗位问题为公益性岗位文件）的 Excel 行号。" if for_town else
             "“来源文件”“行号”是问题所在的台账（或公益性岗位）文件和 Excel 行号；镇街不明的是台账中无法读取的行，由区级核实。")
    notes = [f"共 {len(table)} 个问题。" if len(table) else "本期未发现问题（0个）。", where]
    if for_town:
        notes.append("请逐条核实整改，“处理情况”从下拉选项中选择，并在“处理说明”中写明。")
    notes.append(CONFIDENTIAL + "：本表含公民身份号码，仅限经办人员使用。")
    return Sheet(name="问题清单", data=table, title=title(setup, "台账问题清单", scope) + f"（{CONFIDENTIAL}）",
                 columns=columns, note_lines=notes, mark=CONFIDENTIAL)


def _overdue_sheet(setup, result, scope) -> Sheet:
    table = overdue_table(result)
    return Sheet(name="帮扶超期", data=table, title=title(setup, "第五条帮扶服务超期名单", scope),
                 columns={"公民身份号码": _TEXT, "认定日期": Col(kind="date"), "期限": Col(kind="date"),
                          "台账行号": Col(kind="int")},
                 highlight=table["状态"] == S.OVERDUE, highlight_note="红色底纹：逾期未完成，请尽快补做并记入帮扶记录。",
                 note_lines=[f"超期 {len(table)} 项。" if len(table) else "本期无超期的帮扶服务（0项）。",
                             _plan_note(setup)], mark=CONFIDENTIAL)


def _plan_note(setup) -> str:
    p = setup.params
    plan = p["rules.services.art5_plan"].at(setup.as_of)
    kind = p["rules.services.art5_day_kind"].at(setup.as_of)
    need = "、".join(f"{'或'.join(m['types'])}{m['count']}次" for m in plan["minimums"])
    rolls = "，期限最后一日为法定休假日的顺延至其后第一个工作日" if (
        kind == S.CALENDAR and p["rules.services.deadline_rolls_over"].at(setup.as_of)) else ""
    return f"第五条帮扶服务计划（区级工作口径，待确认）：认定后{plan['within_days']}个{kind}内完成{need}{rolls}。"


def _followup_sheet(setup, result, scope) -> Sheet:
    table = followup_table(result)
    horizon = setup.params["rules.services.due_soon_working_days"].at(setup.as_of)
    return Sheet(name="待跟踪", data=table, title=title(setup, "待跟踪名单", scope),
                 columns={"公民身份号码": _TEXT, "联系电话": _TEXT, "待办事项": _WRAP,
                          "下次跟踪期限": Col(kind="date"), "最近成功跟踪日期": Col(kind="date"),
                          "帮扶计划期限": Col(kind="date"), "最后有效联系日期": Col(kind="date")},
                 note_lines=[f"需要跟踪的 {len(table)} 人：超期未跟踪、{horizon}个工作日内到期的服务和跟踪，"
                             "以及近期多次拒绝服务或失联的人员。"
                             if len(table) else "本期无待跟踪人员（0人）。",
                             "成功跟踪指服务结果为“" + "、".join(setup.params["rules.services.followup_success_results"]
                                                          .at(setup.as_of)) + "”的帮扶记录。"],
                 mark=CONFIDENTIAL)


def _push_sheet(setup, result, scope) -> Sheet:
    table = result.tables["push"].drop(columns=["policy"])
    return Sheet(name="政策推送", data=table, title=title(setup, "政策推送清单", scope),
                 columns={"公民身份号码": _TEXT, "可享受依据": Col(wrap=True, width=30), "标准": _WRAP,
                          "期限": Col(wrap=True, width=30)},
                 note_lines=[f"可享受、台账“享受政策”中尚未登记的政策 {len(table)} 条。" if len(table)
                             else "本期无待推送的政策（0条）。",
                             "请向本人或用人单位推送并指导申领；已享受的请在台账“享受政策”中登记。标准和期限写“待确认”的，以区人社局文件为准。"],
                 mark=CONFIDENTIAL)


def _posts_sheet(setup, result, scope, town: str | None) -> Sheet:
    posts = result.tables["posts"]
    if town is not None:
        posts = posts[posts["所属镇街"] == town]
    posts = posts.drop(columns=["来源文件"])
    towns = result.tables["post_towns"]
    mine = towns if town is None else towns[towns["所属镇街"] == town]
    notes = [f"{r.所属镇街}：岗位 {r.岗位数} 个，在岗 {r.在岗} 个，空岗 {r.空岗} 个；{r.报送截止日:%Y-%m-%d} 前报送情况：{r.报送情况}。"
             for r in mine.itertuples(index=False)]
    return Sheet(name="公益性岗位", data=posts.reset_index(drop=True), title=title(setup, "公益性岗位", scope),
                 columns={"安置人员身份号码": _TEXT, "开发日期": Col(kind="date"), "报送日期": Col(kind="date"),
                          "上岗日期": Col(kind="date"), "离岗日期": Col(kind="date"), "说明": Col(wrap=True, width=40),
                          "行号": Col(kind="int")},
                 highlight=(posts["说明"] != "").reset_index(drop=True),
                 highlight_note="红色底纹：安置人员在上岗日期不是已认定的就业困难人员，请核实。", note_lines=notes,
                 mark=CONFIDENTIAL)


def town_sheets(setup, result, town: str) -> list[Sheet]:
    return [_problem_sheet(setup, result, town, True), _overdue_sheet(setup, result, town),
            _followup_sheet(setup, result, town), _push_sheet(setup, result, town),
            _posts_sheet(setup, result, town, town)]


def district_sheets(setup, result, inputs) -> list[Sheet]:
    params = setup.params
    sheets = [
        Sheet(name="汇总", data=town_summary(result, params), title=title(setup, "台账检查汇总"),
              note_lines=summary_lines(result, setup)),
        Sheet(name="问题类型", data=code_counts(result), title=title(setup, "台账检查问题类型"),
              columns={"问题": Col(wrap=True, width=40), "依据": Col(wrap=True, width=30)}),
        _problem_sheet(setup, result, None, False),
        _overdue_sheet(setup, result, None),
        _followup_sheet(setup, result, None),
        Sheet(name="分级对照", data=grade_table(result), title=title(setup, "分级对照（规则与台账）"),
              note_lines=["分级规则（区级工作口径，待确认）见 params/rules/services/grading.yaml 的说明；"
                          "台账分级与规则不一致的，已逐人列入问题清单，并写明规则的理由。"]),
        Sheet(name="政策推送汇总", data=policy_summary(result, params), title=title(setup, "政策推送汇总"),
              columns={"出处": Col(wrap=True, width=30), "期限": Col(wrap=True, width=30)}),
        _push_sheet(setup, result, None),
        Sheet(name="公益性岗位汇总", data=result.tables["post_towns"], title=title(setup, "公益性岗位（按镇街）"),
              columns={"报送截止日": Col(kind="date"), "最早报送日期": Col(kind="date")}),
        _posts_sheet(setup, result, None, None),
        problems_sheet(setup, inputs.problems if inputs is not None else None),
    ]
    if "sources" in result.tables and not result.tables["sources"].empty:
        sheets.append(sources_sheet(setup, result.tables["sources"]))
    return sheets


def import_people(result: LedgerReviewResult, town: str | None) -> pd.DataFrame:
    p = result.tables["people"]
    if town is not None:
        p = p[p["所属镇街"] == town]
    return p.reset_index(drop=True)


def workbooks(setup, result: LedgerReviewResult, inputs) -> list:
    q = setup.quarter_str
    mapping = load_mapping(setup.params)
    if setup.is_district:
        return [write_workbook(setup, f"台账检查汇总_{q}.xlsx", district_sheets(setup, result, inputs)),
                write_workbook(setup, IMPORT_NAME.format(quarter=q, scope="全区"),
                               [import_sheet(import_people(result, None), mapping)], leaves_office=True)]
    town = setup.town
    scoped = result.for_town(town)
    return [write_workbook(setup, f"台账问题清单_{q}_{town}.xlsx", town_sheets(setup, scoped, town), leaves_office=True),
            write_workbook(setup, IMPORT_NAME.format(quarter=q, scope=town),
                           [import_sheet(import_people(result, town), mapping)], leaves_office=True)]


# ----------------------------------------------------------------------------------------------------------- figures


def figures(result: LedgerReviewResult, setup) -> dict[str, object]:
    """Problems by town and kind (a town: by kind) and the plan on time by town (a town: by service)."""
    from .. import charts

    problems = result.problems
    order = [KIND_NAMES[k] for k in PROBLEM_KINDS]
    if setup.is_district:
        towns = setup.params.town_names() + ([UNKNOWN_TOWN] if (problems["所属镇街"] == UNKNOWN_TOWN).any() else [])
        grid = pd.crosstab(problems["所属镇街"], problems["问题类别"]).reindex(index=towns, columns=order, fill_value=0)
        out = {"问题按镇街": charts.stacked_bar_chart(grid, f"台账检查问题数（按镇街、类别）　{result.as_of:%Y-%m-%d}",
                                                  ylabel="问题数", legend_title="问题类别")}
        summary = town_summary(result, setup.params)
        summary = summary[~summary["镇街"].isin(["合计", UNKNOWN_TOWN])]
        rate = (summary["按时完成人数"] / summary["计划已到期人数"].where(summary["计划已到期人数"] > 0)).fillna(0)
        out["服务按时率"] = charts.bar_chart(pd.Series(100 * rate.to_numpy(), index=summary["镇街"]),
                                         "第五条帮扶服务按时完成率（按镇街，计划已到期人员）", ylabel="按时完成率（%）",
                                         value_format="{:.0f}%")
        return out
    by_kind = problems["问题类别"].value_counts().reindex(order, fill_value=0)
    plan = result.tables["plan"]
    status_order = [S.ON_TIME, S.LATE, S.DUE_SOON, S.OVERDUE, S.PENDING]  # the palette's red on 逾期未完成
    services = ["或".join(m["types"]) for m in setup.params["rules.services.art5_plan"].at(result.as_of)["minimums"]]
    grid = (pd.crosstab(plan["服务"], plan["状态"]).reindex(index=services, columns=status_order, fill_value=0)
            if len(plan) else pd.DataFrame(columns=status_order))
    return {"问题按类别": charts.bar_chart(by_kind, f"{setup.town}台账检查问题数（按类别）", xlabel="问题数",
                                       horizontal=True),
            "服务完成情况": charts.stacked_bar_chart(grid, f"{setup.town}第五条帮扶服务完成情况（按服务）", xlabel="人数",
                                               horizontal=True, legend_title="状态")}
