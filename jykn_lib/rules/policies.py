"""政策服务清单 (“应享尽享”): the policy items of ``params/policies.yaml`` and who may claim each, from the ledger and
the data, vectorised over the people.

    items = load_policies(params)                         # {code: Policy}; a malformed file is refused in Chinese
    long = eligible(people, tables, params, items)        # row, policy, employer, evidence — may claim
    claimed, unknown = claimed_policies(texts, items)     # the ledger's 享受政策, matched to the items

An item's ``rule`` names one of :data:`RULES`; each is a mask over the person's data after the 认定日期 (the policy
texts themselves, amounts and durations, are data in the file: most are 待确认, docs/rules.md §7).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import month_index, period_index
from ..params import ParameterError, Parameters, Source, read_yaml_strict
from . import facts as F

POLICY_FILE = "policies.yaml"
RULES = ("employer_hired", "flexible_contributions", "public_post", "entrepreneur", "training_received")
TARGETS = {"person": "个人", "employer": "用人单位"}
KEYS = ("name", "aliases", "target", "rule", "amount", "reference", "duration", "since", "source", "article", "status")
REQUIRED = ("name", "target", "rule", "amount", "reference", "duration", "since", "source", "status")
TRAINING_TYPES = ("职业培训",)  # 帮扶记录 服务类型 that is a training (a value of the data contract)
SELF_EMPLOYED = "自主创业"  # 台账 就业状态 (a value of the data contract)
LONG_COLUMNS = ["row", "policy", "employer", "evidence"]
_SPLIT = re.compile(r"[、;,；，]+")


@dataclass(frozen=True)
class Policy:
    code: str
    name: str
    aliases: tuple[str, ...]
    target: str
    rule: str
    amount: str
    reference: str
    duration: str
    since: dt.date
    source: Source
    article: str | None
    status: str

    @property
    def citation(self) -> str:
        return self.source.citation(self.article)


def load_policies(params: Parameters) -> dict[str, Policy]:
    """Every policy item, checked: unknown or missing keys, an unknown rule, target, source or status are refused."""
    path = params.root / POLICY_FILE
    raw = read_yaml_strict(path) or {}
    where = f"政策清单 {path}"
    if set(raw) != {"policies"} or not isinstance(raw["policies"], dict) or not raw["policies"]:
        raise ParameterError(f"{where} 须只含一个非空的 policies 映射。")
    out, names = {}, {}
    for code, item in raw["policies"].items():
        w = f"{where} 的 {code}"
        if not isinstance(item, dict):
            raise ParameterError(f"{w} 须是映射。")
        unknown = [k for k in item if k not in KEYS]
        if unknown:
            raise ParameterError(f"{w}：未知键{'、'.join(unknown)}（允许的键：{'、'.join(KEYS)}）。")
        missing = [k for k in REQUIRED if item.get(k) in (None, "")]
        if missing:
            raise ParameterError(f"{w}：缺少 {'、'.join(missing)}。")
        if item["rule"] not in RULES:
            raise ParameterError(f"{w}：rule“{item['rule']}”不是 {'、'.join(RULES)} 之一。")
        if item["target"] not in TARGETS:
            raise ParameterError(f"{w}：target“{item['target']}”不是 {'、'.join(TARGETS)} 之一。")
        if item["source"] not in params.sources:
            raise ParameterError(f"{w}：引用了未登记的来源 {item['source']}（见 params/sources.yaml）。")
        if item["status"] not in ("C", "P", "U"):
            raise ParameterError(f"{w}：status 须是 C、P 或 U。")
        since = item["since"]
        if not isinstance(since, dt.date):
            raise ParameterError(f"{w}：since 须是 YYYY-MM-DD 日期。")
        aliases = tuple(str(a) for a in (item.get("aliases") or []))
        for label in (item["name"], *aliases):
            key = _key(label)
            if key in names:
                raise ParameterError(f"{w}：名称“{label}”与 {names[key]} 重复。")
            names[key] = code
        out[code] = Policy(code=str(code), name=str(item["name"]), aliases=aliases, target=item["target"],
                           rule=item["rule"], amount=str(item["amount"]), reference=str(item["reference"]),
                           duration=str(item["duration"]), since=since, source=params.sources[item["source"]],
                           article=item.get("article"), status=item["status"])
    return out


def in_force(items: dict[str, Policy], on: dt.date) -> dict[str, Policy]:
    return {k: p for k, p in items.items() if p.since <= on}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def claimed_policies(texts: pd.Series, items: dict[str, Policy]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger's 享受政策 (items separated by 、;,) per row: (row, policy) for each recognised item, and
    (row, item) for each item no policy name or alias matches (never guessed)."""
    lookup = {_key(label): code for code, p in items.items() for label in (p.name, *p.aliases)}
    s = pd.Series(texts).reset_index(drop=True).fillna("").astype(str)
    exploded = s.str.split(_SPLIT).explode()
    exploded = exploded[exploded.str.strip() != ""]
    frame = pd.DataFrame({"row": exploded.index.to_numpy(), "item": exploded.str.strip().to_numpy()})
    frame["policy"] = frame["item"].astype(str).str.normalize("NFKC").str.replace(r"\s+", "", regex=True).map(lookup)
    known = frame[frame["policy"].notna()][["row", "policy"]].drop_duplicates().reset_index(drop=True)
    unknown = frame[frame["policy"].isna()][["row", "item"]].reset_index(drop=True)
    return known, unknown


# -------------------------------------------------------------------------------------------------------- eligibility


def eligible(people: pd.DataFrame, tables, params: Parameters, items: dict[str, Policy],
             facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who may claim which item: ``people`` has row, id_number, eval_date, recognised_date, employment_status (the
    ledger's); the result has one row per (person, item, employer) with the evidence in Chinese. ``facts``: the
    engine's facts of the same people on the same date (row order as ``people``), when the caller has them."""
    if people.empty or not items:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LONG_COLUMNS})
    by_rule = {rule: fn(people, tables, params, facts) for rule, fn in _RULE_FUNCTIONS.items()
               if any(p.rule == rule for p in items.values())}
    parts = [found.assign(policy=code) for code, p in items.items() if len(found := by_rule[p.rule])]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LONG_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[LONG_COLUMNS]
    return out.sort_values(["row", "policy", "employer"], kind="stable", na_position="first").reset_index(drop=True)


def _contributions_after(people, tables, params, types_param: str) -> pd.DataFrame:
    """社保缴费 of the types in ``types_param`` with a 费款所属期 after the month of the 认定日期, up to the evaluation
    month: one row per person and employer with the first and last period."""
    t = F._table(tables, "contributions", ["id_number", "period", "contrib_type", "employer"])
    j = F._join(people, t, ["period", "contrib_type", "employer"])
    types = params[types_param].constant_over(people["eval_date"])
    j = j.merge(people[["row", "recognised_date"]], on="row", how="left")
    p = period_index(j["period"])
    keep = (j["contrib_type"].isin(types).to_numpy() & (p > month_index(j["recognised_date"]))
            & (p <= month_index(j["eval_date"])))
    j = j[keep].assign(employer=lambda d: d["employer"].fillna("（缴费单位名称空白）"))
    g = j.groupby(["row", "employer"], sort=True)["period"]
    return pd.DataFrame({"first": g.min(), "last": g.max()}).reset_index()


def _span(frame: pd.DataFrame) -> pd.Series:
    first, last = frame["first"].astype("Int64").astype(str), frame["last"].astype("Int64").astype(str)
    return first.where(frame["first"] == frame["last"], first + "–" + last)


def _employer_hired(people, tables, params, facts=None) -> pd.DataFrame:
    f = _contributions_after(people, tables, params, "rules.evidence.unit_contribution_types")
    return pd.DataFrame({"row": f["row"], "employer": f["employer"], "evidence": "认定后单位缴费 " + _span(f)})


def _flexible(people, tables, params, facts=None) -> pd.DataFrame:
    f = _contributions_after(people, tables, params, "rules.evidence.weak_contribution_types")
    f = f.groupby("row", as_index=False).agg(first=("first", "min"), last=("last", "max"))
    return pd.DataFrame({"row": f["row"], "employer": None, "evidence": "认定后灵活就业缴费 " + _span(f)})


def _public_post(people, tables, params, facts=None) -> pd.DataFrame:
    t = F._table(tables, "posts", ["holder_id", "post_id", "town", "post_name", "start_date", "leave_date"])
    t = t[t["holder_id"].notna()].rename(columns={"holder_id": "id_number"}).drop(columns="_pid", errors="ignore")
    t = t.assign(_pid=F.person_codes(t, tables))  # the holder's code, in the same code space as the people's
    j = F._join(people, t, ["post_id", "town", "post_name", "start_date", "leave_date"])
    j = j.merge(people[["row", "recognised_date"]], on="row", how="left")
    start, leave = pd.to_datetime(j["start_date"]), pd.to_datetime(j["leave_date"])
    on_post = (start <= j["eval_date"]) & (leave.isna() | (leave > j["eval_date"])) & (start >= j["recognised_date"])
    j = j[on_post.to_numpy()]
    employer = j["town"].fillna("") + "公益性岗位用人单位（岗位" + j["post_id"].astype(str) + "）"
    evidence = ("岗位 " + j["post_id"].astype(str) + " " + j["post_name"].fillna("") + "，"
                + start[on_post.to_numpy()].dt.strftime("%Y-%m-%d") + " 上岗")
    return pd.DataFrame({"row": j["row"].to_numpy(), "employer": employer.to_numpy(), "evidence": evidence.to_numpy()})


def _entrepreneur(people, tables, params, facts=None) -> pd.DataFrame:
    if facts is not None and len(facts) == len(people):
        emp = facts.reset_index(drop=True)
    else:
        emp = F.employment_facts(people[["row", "id_number", "eval_date"]], tables, params).reset_index(drop=True)
    market = emp["emp_market"].to_numpy()
    own = (people["employment_status"] == SELF_EMPLOYED).fillna(False).to_numpy()
    hit = market | own
    evidence = np.where(market, "市场主体：" + emp["emp_market_entities"].fillna("").astype(str).to_numpy(),
                        "台账就业状态：" + SELF_EMPLOYED)
    return pd.DataFrame({"row": people["row"].to_numpy()[hit], "employer": None, "evidence": evidence[hit]})


def _training(people, tables, params, facts=None) -> pd.DataFrame:
    t = F._table(tables, "services", ["id_number", "service_date", "service_type"])
    j = F._join(people, t, ["service_date", "service_type"]).merge(people[["row", "recognised_date"]], on="row")
    day = pd.to_datetime(j["service_date"])
    j = j[(j["service_type"].isin(TRAINING_TYPES) & (day >= j["recognised_date"]) & (day <= j["eval_date"])).to_numpy()]
    g = j.assign(day=pd.to_datetime(j["service_date"])).groupby("row")["day"].max()
    return pd.DataFrame({"row": g.index.to_numpy(), "employer": None,
                         "evidence": ("认定后参加职业培训（最近一次 " + g.dt.strftime("%Y-%m-%d") + "）").to_numpy()})


_RULE_FUNCTIONS = {"employer_hired": _employer_hired, "flexible_contributions": _flexible,
                   "public_post": _public_post, "entrepreneur": _entrepreneur, "training_received": _training}
assert set(_RULE_FUNCTIONS) == set(RULES)
