"""The rule engine: the facts of each person on their evaluation date, and the clause families over them.

    ev = evaluate(people, tables, params)            # people: id_number, eval_date[, women_base]
    ev.summary      one row per person: G1–G4, categories "01,07", exclusions, hints, eligible, outcome
    ev.reasons      long table: row, code, kind, evidence (Chinese) — every code that applies, with its evidence
    ev.facts        the facts the decision used

    ex = evaluate_exits(tables, as_of, params=params)   # everyone 有效 in the ledger on as_of (or the people given)

Clause families, each a small module over the same facts: :mod:`.general` (第一条 G1–G4), :mod:`.categories`
(第一条第（一）至（十三）项), :mod:`.exits` (退出情形). Vectorised over the people; the semantics are those of
docs/engine_rules.md, the numbers come from params/rules/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import month_index
from ..params import Parameters, load_parameters
from . import facts as F
from .categories import categories
from .collect import Collector, codes_by_row, join_codes, looked_up
from .exits import check_declared, exit_conditions, recognised_people, town_checks_e1
from .general import general_conditions

OUTCOMES = {"candidate": "符合条件", "excluded": "排除", "no_category": "无符合类别"}

__all__ = ["OUTCOMES", "Evaluation", "build_facts", "evaluate", "evaluate_exits", "prepare_tables",
           "recognised_people"]


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


def prepare_tables(tables) -> dict[str, pd.DataFrame]:
    """The source tables as the engine takes them (a plain mapping; absent sources dropped)."""
    return {name: df for name, df in tables.items() if df is not None}


def _prepare(people: pd.DataFrame) -> pd.DataFrame:
    if "id_number" not in people or "eval_date" not in people:
        raise ValueError("people 需要 id_number 和 eval_date 两列")
    p = people.reset_index(drop=True).copy()
    p["id_number"] = p["id_number"].astype("string[pyarrow]")
    p["eval_date"] = pd.to_datetime(p["eval_date"]).astype("datetime64[ns]")
    if p["eval_date"].isna().any():
        raise ValueError("people 的 eval_date 不能为空")
    p["row"] = np.arange(len(p))
    return p


def build_facts(people: pd.DataFrame, tables, params: Parameters) -> pd.DataFrame:
    # every table cut to these people and their households, with integer person codes (facts.Sources)
    tables = F.Sources.for_people(tables, people["id_number"])
    keys = people[["row", "id_number", "eval_date"]].assign(_pid=tables.codes(people["id_number"]))
    base = people["women_base"] if "women_base" in people else None
    reg = F.registration_facts(keys, tables, params)
    reg_month = pd.Series(np.where(reg["reg_date"].notna(), month_index(reg["reg_date"]), -1), index=reg.index)
    hukou = F.hukou_facts(keys, tables, params)
    emp = F.employment_facts(keys, tables, params, reg_month=reg_month)
    if base is None:  # no column given: the ledger's 女性退休基准 applies to its own people (exits, audit)
        base = emp["ledger_women_base"].reset_index(drop=True)
    # a women_base column, even blank, is the caller's decision (screening passes blanks: docs/rules.md "screening
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
        F.household_facts(keys, hukou, tables, params, employed=emp["employed"].to_numpy()),
        F.basis_ended(keys, tables, params),
    ]
    facts = pd.concat(parts, axis=1)
    facts["dibao"] = F.dibao_active(keys, tables, params)
    facts["poverty_self"] = F.listed(keys, tables, "poverty")
    facts["landless_all"] = F.landless_all(keys, tables, params)
    facts.insert(0, "id_number", people["id_number"].to_numpy())
    facts.insert(1, "eval_date", people["eval_date"].to_numpy())
    return facts


def evaluate(people: pd.DataFrame, tables, params: Parameters | None = None) -> Evaluation:
    """General conditions, categories, exclusions and hints for each person on their evaluation date."""
    params = params or load_parameters()
    people = _prepare(people)
    on = _label_date(people)
    reasons = params.reasons(on)
    f = build_facts(people, prepare_tables(tables), params).reset_index(drop=True)
    c = Collector(reasons, f)
    general = general_conditions(f, c)
    cats = categories(f, params, c)
    c.add("H_HOUSEHOLD_AREA", f["household_area_unknown"] & f["household_member"])
    long = c.frame()
    summary = _summarise(people, long, general, cats, list(reasons))
    return Evaluation(people=people, facts=f, reasons=long, summary=summary)


def _label_date(people: pd.DataFrame):
    """The date whose parameters word the labels: the latest evaluation date of the batch."""
    if people.empty:
        return None
    return pd.Timestamp(people["eval_date"].max()).date()


def _summarise(people, long: pd.DataFrame, general: dict, cats: dict, order: list[str]) -> pd.DataFrame:
    n = len(people)
    out = {"id_number": people["id_number"].to_numpy(), "eval_date": people["eval_date"].to_numpy()}
    for g, met in general.items():
        out[g] = np.asarray(met, dtype=bool)
    out["general_ok"] = out["G1"] & out["G2"] & out["G3"] & out["G4"]
    codes = sorted(cats)
    cat_matrix = np.column_stack([np.asarray(cats[k], dtype=bool) for k in codes]) if codes else np.zeros((n, 0))
    out["categories"] = join_codes(cat_matrix, codes, text=True)
    out["n_categories"] = cat_matrix.sum(axis=1)
    out["exclusions"] = codes_by_row(long[(long["kind"] == "exclusion").to_numpy()], n, order, text=True)
    out["hints"] = codes_by_row(long[(long["kind"] == "hint").to_numpy()], n, order, text=True)
    out["eligible"] = out["general_ok"] & (np.asarray(out["exclusions"] == "", dtype=bool)) & (out["n_categories"] > 0)
    out["outcome"] = looked_up(["candidate", "excluded", "no_category"],
                               np.where(out["eligible"], 0, np.where(out["n_categories"] > 0, 1, 2)))
    return pd.DataFrame(out)


def evaluate_exits(
    tables,
    as_of: dt.date,
    people: pd.DataFrame | None = None,
    declared: pd.DataFrame | None = None,
    params: Parameters | None = None,
) -> Evaluation:
    """Exit conditions E1–E10, D1, D2 for recognised people on ``as_of`` (docs/engine_rules.md, exit table).

    ``declared``: the towns' answers, one row per person and exit code (id_number, code[, evidence]).
    The summary has ``exits`` (codes), ``direct`` (applied by the district) and ``verify`` (sent to the town).
    """
    params = params or load_parameters()
    tables = prepare_tables(tables)
    if people is None:
        people = recognised_people(tables, as_of)
    people = _prepare(people)
    reasons = params.reasons(as_of)
    f = build_facts(people, tables, params).reset_index(drop=True)
    c = Collector(reasons)
    if declared is not None and not declared.empty:
        declared = check_declared(declared, params, as_of)
    exit_conditions(f, people, params, c, declared)
    long = c.frame().drop_duplicates(["row", "code"], keep="first")
    order = list(reasons)
    direct_codes = params["rules.exits.direct_codes"].at(as_of)
    n = len(people)
    out = pd.DataFrame({"id_number": people["id_number"].to_numpy(), "eval_date": people["eval_date"].to_numpy()})
    # E1 of a woman whose 女性退休基准 is not recorded is reached on the default base only: her town checks it
    e1_town = town_checks_e1(f).to_numpy()
    direct = (long["code"].isin(direct_codes) & ~((long["code"] == "E1") & e1_town[long["row"].to_numpy()])).to_numpy()
    out["exits"] = codes_by_row(long, n, order)
    out["direct"] = codes_by_row(long[direct], n, order)
    out["verify"] = codes_by_row(long[~direct], n, order)
    return Evaluation(people=people, facts=f, reasons=long.reset_index(drop=True), summary=out)
