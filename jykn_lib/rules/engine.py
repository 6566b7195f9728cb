"""The rule engine: general conditions, categories, exclusions and hints, and exit conditions — with reasons.

    ev = evaluate(people, tables)            # people: id_number, eval_date[, women_base]
    ev.summary      one row per person: G1–G4, categories "01,07", exclusions, hints, eligible, outcome
    ev.reasons      long table: row, code, kind, evidence (Chinese) — every code that applies, with its evidence
    ev.facts        the facts the decision used

    ex = evaluate_exits(tables, as_of)       # everyone 有效 in the ledger on as_of (or the ids given)

Vectorised over the people; the semantics are those of docs/engine_rules.md, the numbers come from params/rules/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import add_months, month_index
from ..params import Parameters, load_parameters
from . import facts as F
from .reasons import load_reasons

OUTCOMES = {"candidate": "符合条件", "excluded": "排除", "no_category": "无符合类别"}
DECLARED_FLAGS = {  # declared facts (towns' answers) → exit code
    "lost_ability": "E2",
    "in_school": "E3",
    "enlisted": "E3",
    "emigrated": "E3",
    "no_longer_needs": "E4",
    "voluntary_exit": "E4",
    "sentenced": "E7",
    "false_info": "E8",
    "subsidy_fraud": "E9",
}
DECLARED_TEXT = {
    "lost_ability": "镇街核实：完全丧失劳动能力",
    "in_school": "镇街核实：已入学",
    "enlisted": "镇街核实：已应征入伍",
    "emigrated": "镇街核实：已移居境外",
    "no_longer_needs": "镇街核实：不再需要就业帮扶",
    "voluntary_exit": "镇街核实：本人申请退出",
    "sentenced": "镇街核实：被判处刑罚",
    "false_info": "镇街核实：以虚假材料取得认定",
    "subsidy_fraud": "镇街核实：骗取就业补助资金",
}


@dataclass
class Evaluation:
    people: pd.DataFrame
    facts: pd.DataFrame
    reasons: pd.DataFrame
    summary: pd.DataFrame

    def codes(self, row: int, kind: str | None = None) -> list[str]:
        r = self.reasons[self.reasons["row"] == row]
        if kind:
            r = r[r["kind"] == kind]
        return list(r["code"])


KEY_COLUMNS = ("id_number", "household_id")


def prepare_tables(tables) -> dict[str, pd.DataFrame]:
    """Key columns as Arrow strings, once per evaluation, so that joins and membership tests stay vectorised."""
    out = {}
    for name, df in tables.items():
        if df is None:
            continue
        cast = {c: "string[pyarrow]" for c in KEY_COLUMNS if c in df.columns and df[c].dtype != "string[pyarrow]"}
        out[name] = df.astype(cast) if cast else df
    return out


def _prepare(people: pd.DataFrame) -> pd.DataFrame:
    p = people.reset_index(drop=True).copy()
    p["id_number"] = p["id_number"].astype("string[pyarrow]")
    if "id_number" not in p or "eval_date" not in p:
        raise ValueError("people 需要 id_number 和 eval_date 两列")
    p["eval_date"] = pd.to_datetime(p["eval_date"]).astype("datetime64[ns]")
    if p["eval_date"].isna().any():
        raise ValueError("people 的 eval_date 不能为空")
    p["row"] = np.arange(len(p))
    return p


def _fmt_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("")


def build_facts(people: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    keys = people[["row", "id_number", "eval_date"]]
    base = people["women_base"] if "women_base" in people else None
    reg = F.registration_facts(keys, tables, params)
    reg_month = pd.Series(np.where(reg["reg_date"].notna(), month_index(reg["reg_date"]), -1), index=reg.index)
    hukou = F.hukou_facts(keys, tables, params)
    emp = F.employment_facts(keys, tables, params, reg_month=reg_month)
    if base is None:  # no column given: the ledger's 女性退休基准 applies to its own people (exits, audit)
        base = emp["ledger_women_base"].reset_index(drop=True)
    # a women_base column, even blank, is the caller's decision (screening passes blanks: RULES.md §0 "screening
    # uses 50"; applications pass the application's own field)
    person = F.person_facts(keys, base, params)
    parts = [
        person,
        reg,
        hukou,
        emp,
        F.disability_facts(keys, tables, params),
        F.special_facts(keys, tables, params),
        F.pension_started(keys, tables),
        F.service_facts(keys, tables, params),
        F.household_facts(keys, hukou, tables, params),
    ]
    facts = pd.concat(parts, axis=1)
    facts["dibao"] = F.dibao_active(keys, tables, params)
    facts["poverty_self"] = F.listed(keys, tables, "poverty")
    facts["landless_all"] = F.landless_all(keys, tables, params)
    facts.insert(0, "id_number", people["id_number"].to_numpy())
    facts.insert(1, "eval_date", people["eval_date"].to_numpy())
    return facts


class _Collector:
    """Accumulates (row, code, kind, evidence) in column blocks — one block per rule, never one per person."""

    def __init__(self, reasons):
        self.blocks: list[pd.DataFrame] = []
        self.reasons = reasons

    def add(self, code: str, mask, evidence=None, facts: pd.DataFrame | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        if evidence is None:
            ev = np.full(len(rows), "", dtype=object)
        elif isinstance(evidence, str):
            ev = np.full(len(rows), evidence, dtype=object)
        else:
            ev = np.asarray(pd.Series(evidence).reset_index(drop=True).astype(str))[rows]
        self.blocks.append(
            pd.DataFrame({"row": rows, "code": code, "kind": self.reasons[code].kind, "evidence": ev})
        )

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return pd.DataFrame({"row": pd.Series(dtype=int), "code": pd.Series(dtype=object),
                                 "kind": pd.Series(dtype=object), "evidence": pd.Series(dtype=object)})
        return pd.concat(self.blocks, ignore_index=True)


def _age_text(f: pd.DataFrame) -> pd.Series:
    return f["sex"].fillna("") + "，" + f["age"].fillna(-1).astype(int).astype(str) + "周岁"


def evaluate(people: pd.DataFrame, tables, params: Parameters | None = None) -> Evaluation:
    """General conditions, categories, exclusions and hints for each person on their evaluation date."""
    params = params or load_parameters()
    reasons = load_reasons(params.root)
    people = _prepare(people)
    tables = prepare_tables(tables)
    f = build_facts(people, tables, params).reset_index(drop=True)
    c = _Collector(reasons)

    # G1 — hukou
    c.add("X_DECEASED", f["deceased"], "户籍状态：死亡")
    c.add("X_HUKOU_OUT", f["hukou_out"], "户籍状态：" + f["hukou_status_on"].fillna(""))
    unmatched = ~f["hukou_found"]
    c.add("H_HUKOU_CHECK", unmatched & f["id_in_province"])
    c.add("X_HUKOU_UNMATCHED", unmatched & ~f["id_in_province"])
    g1 = f["hukou_ok"] | (unmatched & f["id_in_province"])
    # G2 — working age
    c.add("X_UNDER_AGE", f["under_age"], _age_text(f))
    retired_text = _age_text(f) + "，法定退休日期" + _fmt_date(f["retirement_date"])
    f50 = (f["sex"] == "女") & ~f["women_base_given"]
    c.add("X_RETIRED", f["retired"] & ~f50, retired_text)
    c.add("X_RETIRED_F50", f["retired"] & f50, retired_text)
    g2 = f["working_age"]
    # G3 — no work
    c.add("X_EMP_UNIT", f["emp_unit"], "单位缴费所属期 " + f["emp_unit_periods"].fillna(""))
    c.add("X_EMP_MARKET", f["emp_market"], f["emp_market_entities"].fillna(""))
    c.add("X_EMP_LEDGER", f["emp_ledger"], "台账就业状态：" + f["ledger_employment_status"].fillna(""))
    g3 = ~f["employed"]
    c.add("H_FLEX", f["flex"])
    c.add("H_SHAREHOLDER", f["shareholder"])
    # G4 — ability and willingness
    c.add("X_NO_ABILITY", f["no_ability"])
    c.add("X_NOT_WILLING", f["not_willing"])
    g4 = ~f["no_ability"] & ~f["not_willing"]
    # recognised already / exited before
    c.add("X_RECOGNISED", f["recognised_on"], "认定日期 " + _fmt_date(f["ledger_recognised_date"]))
    c.add("H_EXITED", f["exited_before"] & ~f["recognised_on"],
          "退出日期 " + _fmt_date(f["ledger_exit_date"]) + " " + f["ledger_exit_reason"].fillna(""))

    # categories
    cats = _categories(f, params, c)
    for g, met in (("G1", g1), ("G2", g2), ("G3", g3), ("G4", g4)):
        c.add(g, met)

    long = c.frame()
    summary = _summarise(people, long, {"G1": g1, "G2": g2, "G3": g3, "G4": g4}, cats)
    return Evaluation(people=people, facts=f, reasons=long, summary=summary)


def _categories(f: pd.DataFrame, params: Parameters, c: _Collector) -> dict[str, pd.Series]:
    d = f["eval_date"]
    cats: dict[str, pd.Series] = {}
    fmin = params["rules.categories.c01.female_min_age"].at_many(d)
    mmin = params["rules.categories.c01.male_min_age"].at_many(d)
    cats["01"] = ((f["sex"] == "女") & (f["age"] >= fmin)) | ((f["sex"] == "男") & (f["age"] >= mmin))
    c.add("C01", cats["01"], _age_text(f))

    vet_counts = params["rules.categories.c02.veteran_disability_cert_counts"].constant_over(d)
    vet = f["veteran_disability_cert"] & bool(vet_counts)
    cats["02"] = f["disability_cert"] | vet
    c.add("C02", cats["02"], np.where(f["disability_cert"], "持有效残疾人证", "持退役军人伤残证件"))

    cats["03"] = f["dibao"]
    c.add("C03", cats["03"], "民政低保在保")

    member = f["household_member"]
    for code, area_param, size_param, extra in (
        ("04", "rules.categories.c04.area_type", "rules.categories.c04.min_household_size", None),
        ("05", "rules.categories.c05.area_type", "rules.categories.c05.min_household_size", "household_poverty"),
    ):
        area = params[area_param].constant_over(d)
        min_size = params[size_param].at_many(d)
        met = member & (f["hukou_area_type"] == area) & (f["household_size"] >= min_size) & ~f[
            "household_checked_employed"]
        if extra:
            met = met & f[extra]
        cats[code] = met.fillna(False).astype(bool)
        c.add(f"C{code}", cats[code], "户号 " + f["hukou_household_id"].fillna("").astype(str) + "，" + area + "户籍，家庭"
              + f["household_size"].astype(int).astype(str) + "人，劳动年龄内有劳动能力和就业意愿的成员均无就业")

    cats["06"] = f["landless_all"]
    c.add("C06", cats["06"], "因征地全部失去土地")

    months07 = params["rules.categories.c07.min_months_since_registration"].at_many(d).astype(np.int64)
    reg_date = f["reg_date"]
    since_ok = pd.Series(add_months(reg_date, months07), index=f.index) <= d
    cats["07"] = (f["reg_valid"] & since_ok & ~f["unit_since_registration"]).fillna(False).astype(bool)
    c.add("C07", cats["07"], "最近一次失业登记 " + _fmt_date(reg_date))

    mapping = params["rules.categories.special_person_types"].constant_over(d)
    for code, person_type in mapping.items():
        cats[code] = f[f"special_{code}"]
        c.add(f"C{code}", cats[code], f"人员类型：{person_type}")

    months11 = params["rules.categories.c11.min_months_registered"].at_many(d).astype(np.int64)
    since11 = pd.Series(add_months(reg_date, months11), index=f.index) <= d
    cats["11"] = (f["veteran"] & f["reg_valid"] & since11).fillna(False).astype(bool)
    c.add("C11", cats["11"], "退役军人，失业登记 " + _fmt_date(reg_date))
    # 12 and 13 come only by application (rules.categories.by_application_only): never from data.
    return cats


def _summarise(people, long: pd.DataFrame, general: dict, cats: dict) -> pd.DataFrame:
    n = len(people)
    out = pd.DataFrame({"id_number": people["id_number"].to_numpy(), "eval_date": people["eval_date"].to_numpy()})
    for g, met in general.items():
        out[g] = np.asarray(met, dtype=bool)
    out["general_ok"] = out[["G1", "G2", "G3", "G4"]].all(axis=1)
    codes = sorted(cats)
    cat_matrix = np.column_stack([np.asarray(cats[k], dtype=bool) for k in codes]) if codes else np.zeros((n, 0))
    out["categories"] = _join_codes(cat_matrix, codes)
    out["n_categories"] = cat_matrix.sum(axis=1)

    out["exclusions"] = codes_by_row(long[long["kind"] == "exclusion"], n)
    out["hints"] = codes_by_row(long[long["kind"] == "hint"], n)
    out["eligible"] = out["general_ok"] & (out["exclusions"] == "") & (out["n_categories"] > 0)
    out["outcome"] = np.where(out["eligible"], "candidate", np.where(out["n_categories"] > 0, "excluded", "no_category"))
    return out


def codes_by_row(long: pd.DataFrame, n: int, order: list[str] | None = None) -> np.ndarray:
    """Long (row, code) pairs → 'X_A,X_B' per row, codes in registry order; one pass per code, not per person."""
    order = order or list(load_reasons())
    seen = set(long["code"])
    present = [c for c in order if c in seen]
    matrix = np.zeros((n, len(present)), dtype=bool)
    for j, code in enumerate(present):
        matrix[long.loc[long["code"] == code, "row"].to_numpy(), j] = True
    return _join_codes(matrix, present)


def _join_codes(matrix: np.ndarray, codes: list[str]) -> np.ndarray:
    """Boolean matrix → '01,07' per row, vectorised by column."""
    out = np.full(matrix.shape[0], "", dtype=object)
    for j, code in enumerate(codes):
        col = matrix[:, j]
        out[col] = np.where(out[col] == "", code, out[col] + "," + code)
    return out


# --- exits ------------------------------------------------------------------------------------------------------------


def recognised_people(tables, as_of: dt.date) -> pd.DataFrame:
    """Ledger people 有效 on ``as_of`` (认定日期 ≤ as_of, and 有效 or 已退出 after as_of)."""
    ledger = tables.get("ledger")
    if ledger is None or ledger.empty:
        return pd.DataFrame({"id_number": pd.Series(dtype=object), "eval_date": pd.Series(dtype="datetime64[ns]")})
    on = pd.Timestamp(as_of)
    rec = pd.to_datetime(ledger["recognised_date"], errors="coerce")
    ext = pd.to_datetime(ledger.get("exit_date", pd.Series(pd.NaT, index=ledger.index)), errors="coerce")
    status = ledger["status"]
    mask = (rec <= on) & ((status == "有效") | ((status == "已退出") & ext.notna() & (ext > on)))
    people = ledger.loc[mask, ["id_number"]].copy()
    people["eval_date"] = on
    if "women_base" in ledger:
        people["women_base"] = pd.to_numeric(ledger.loc[mask, "women_base"], errors="coerce")
    return people.reset_index(drop=True)


def evaluate_exits(
    tables,
    as_of: dt.date,
    people: pd.DataFrame | None = None,
    declared: pd.DataFrame | None = None,
    params: Parameters | None = None,
) -> Evaluation:
    """Exit conditions E1–E10, D1, D2 for recognised people on ``as_of`` (docs/engine_rules.md, exit table).

    ``declared``: optional frame with id_number and boolean columns named in DECLARED_FLAGS (the towns' answers).
    The summary has ``exits`` (codes), ``direct`` (applied by the district) and ``verify`` (sent to the town).
    """
    params = params or load_parameters()
    reasons = load_reasons(params.root)
    if people is None:
        people = recognised_people(tables, as_of)
    people = _prepare(people)
    tables = prepare_tables(tables)
    f = build_facts(people, tables, params).reset_index(drop=True)
    d = f["eval_date"]
    c = _Collector(reasons)

    age_text = _age_text(f) + "，法定退休日期" + _fmt_date(f["retirement_date"])
    pension_text = "养老待遇开始日期 " + _fmt_date(f["pension_start"])
    c.add("E1", f["retired"] | f["pension_started"], np.where(f["pension_started"], pension_text, age_text))
    c.add("E2", f["no_ability"], "失业登记记载无劳动能力")
    refusal_n = params["rules.exits.e4_refusal_count"].at_many(d)
    c.add("E4", f["refusals_in_window"] >= refusal_n, "近期拒绝服务 " + f["refusals_in_window"].astype(str) + " 次")
    emp_text = (
        np.where(f["emp_unit"], "单位缴费所属期 " + f["emp_unit_periods"].fillna(""), "")
        + np.where(f["emp_market"], " 市场主体：" + f["emp_market_entities"].fillna(""), "")
        + np.where(f["emp_ledger"], " 台账就业状态：" + f["ledger_employment_status"].fillna(""), "")
        + np.where(f["reg_cancelled"], " 失业登记已注销 " + _fmt_date(f["reg_cancel_date"]), "")
    )
    c.add("E5", f["employed"] | f["reg_cancelled"], pd.Series(emp_text).str.strip())
    household_cats = f["ledger_categories"].fillna("").str.contains(r"\b0[45]\b", regex=True)
    c.add("E6", household_cats & f["household_other_employed"], "家庭成员已有就业")
    months10 = params["rules.exits.e10_no_contact_months"].at_many(d).astype(np.int64)
    baseline = f["last_contact"].fillna(f["ledger_recognised_date"])
    cutoff = pd.Series(add_months(d, -months10), index=f.index)
    lost = baseline.notna() & (baseline < cutoff)
    c.add("E10", lost, "最后有效联系 " + _fmt_date(baseline))
    c.add("D1", f["deceased"], "户籍状态：死亡")
    out_statuses = params["rules.exits.out_of_province_statuses"].constant_over(d)
    c.add("D2", f["hukou_found"] & f["hukou_status_on"].isin(out_statuses), "户籍状态：" + f["hukou_status_on"].fillna(""))

    if declared is not None and not declared.empty:
        dec = people[["id_number"]].merge(declared, on="id_number", how="left")
        for flag, code in DECLARED_FLAGS.items():
            if flag in dec:
                c.add(code, dec[flag].astype("boolean").fillna(False).to_numpy(dtype=bool), DECLARED_TEXT[flag])

    long = c.frame().drop_duplicates(["row", "code"], keep="first")
    direct_codes = params["rules.exits.direct_codes"].constant_over(d)
    n = len(people)
    out = pd.DataFrame({"id_number": people["id_number"].to_numpy(), "eval_date": people["eval_date"].to_numpy()})
    direct = long["code"].isin(direct_codes).to_numpy()
    out["exits"] = codes_by_row(long, n)
    out["direct"] = codes_by_row(long[direct], n)
    out["verify"] = codes_by_row(long[~direct], n)
    return Evaluation(people=people, facts=f, reasons=long.reset_index(drop=True), summary=out)
