"""Deciding applications for recognition (严格认定): what is particular to an application, over the rule engine.

    materials = load_materials(params)                       # params/materials.yaml
    d = decide_applications(apps, tables, on, params)        # apps: the 认定申请 rows to decide, on: the decision date
    d.summary   one row per application (input order): conclusion, categories (认定类别), claimed, submitted,
                missing (一次性告知), not_asked (obtained by data sharing), unknown (names not in the list)
    d.reasons   long: row, code, kind, role, evidence — every reason with its evidence

Semantics (docs/applications.md, docs/rules.md §0 “评估日”):

- The engine evaluates every applicant twice: on the 申请日期 (categories and general conditions) and on the decision
  date ``on`` (general conditions again), each time with the application's own 女性退休基准 as ``women_base`` (blank:
  the 50 base, as the engine does for anyone without a recorded base).
- A category is recognised when it holds on the 申请日期 and still holds on the decision date: one that ended before
  the decision (低保 stopped) is refused on it, saying so, while the others may still hold. A category the data proves
  but the applicant did not claim is recognised too, and the decision says so.
- Categories decided only on application (12, 13: ``rules.categories.by_application_only``) hold when their materials
  are submitted; 13 only when ``rules.categories.c13.local_groups`` names local groups.
- Materials: required = ``all`` + the materials of each claimed category that may hold; a material obtained by data
  sharing (``shared_by``) is never asked for. Names are matched through the list and its synonyms; an unknown name is
  reported, never counted as submitted.
- The conclusion, in this order: ``recognised`` (有效 in the ledger on the decision date: not decided again) →
  ``refuse`` (a general condition fails on either date, or no category can hold, or materials are still missing after
  a 补正) → ``supplement`` (materials missing: listed completely, once) → ``review`` (a source needed to decide is
  not provided, or the applicant is not in 户籍人口) → ``propose`` (拟认定, to the 公示).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..materials import Materials, load_materials, material_key  # also re-exported for callers
from ..params import Parameters
from ..rowtext import join_by_row
from .collect import Collector, age_text, fmt_date
from .engine import Evaluation, evaluate
from .reasons import application_only

CONCLUSIONS = {"propose": "拟认定", "refuse": "不予认定", "supplement": "待补正材料", "recognised": "已认定",
               "review": "待人工核实"}
# Optional sources whose absence leaves a decision open (docs/applications.md): the general conditions' evidence …
GENERAL_SOURCES = {"contributions": "无业状态（单位社保缴费）", "market": "无业状态（市场主体法定代表人、负责人、经营者）",
                   "pension": "是否已领取基本养老保险待遇"}
# … and each data category's sources (a claimed category whose source is absent is neither met nor refused).
CATEGORY_SOURCES = {"02": ("disability", "veteran"), "03": ("dibao",), "04": ("contributions", "market"),
                    "05": ("poverty", "contributions", "market"), "06": ("landless",), "07": ("unemployment",),
                    "08": ("special",), "09": ("special",), "10": ("special",), "11": ("veteran", "unemployment")}


def _split_items(texts: pd.Series) -> pd.DataFrame:
    """(row, written) for each item of a list cell (the reader joins items with 、)."""
    items = texts.fillna("").astype(str).str.split(r"[、;,；，]+", regex=True)
    long = items.explode().rename("written").rename_axis("row").reset_index()
    long["written"] = long["written"].astype(str).str.strip()
    return long[long["written"] != ""].reset_index(drop=True)


def submitted(texts: pd.Series, materials: Materials) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The submitted materials (row, material) and the names not in the list (row, written), in cell order."""
    long = _split_items(texts.reset_index(drop=True))
    long["material"] = long["written"].map(material_key).map(materials.lookup)
    known = long.dropna(subset=["material"]).drop_duplicates(["row", "material"])[["row", "material"]]
    unknown = long[long["material"].isna()].drop_duplicates(["row", "written"])[["row", "written"]]
    return known.reset_index(drop=True), unknown.reset_index(drop=True)


def _join_by_row(long: pd.DataFrame, column: str, n: int, materials: Materials | None = None) -> np.ndarray:
    """'A、B' per row (in the materials' order when given), '' where none."""
    out = np.full(n, "", dtype=object)
    if long.empty:
        return out
    frame = long[["row", column]]
    if materials is not None:
        rank = {m: i for i, m in enumerate(materials.order)}
        frame = frame.assign(_r=frame[column].map(rank)).sort_values(["row", "_r"], kind="stable")
    return join_by_row(frame["row"].to_numpy(dtype=int), frame[column].to_numpy(dtype=object), n, "、")


# ------------------------------------------------------------------------------------------------------- deciding


@dataclass
class Decisions:
    summary: pd.DataFrame
    reasons: pd.DataFrame
    on_apply: Evaluation
    on_decision: Evaluation


def _matrix(codes: pd.Series, wanted: list[str]) -> pd.DataFrame:
    """'01,07' per row → a boolean frame with one column per wanted code."""
    lists = codes.fillna("").astype(str).str.split(",")
    long = lists.explode()
    out = pd.DataFrame(False, index=range(len(codes)), columns=wanted)
    for c in wanted:
        rows = long.index[(long == c).to_numpy()]
        out.loc[np.unique(rows), c] = True
    return out


def _codes_text(matrix: pd.DataFrame) -> np.ndarray:
    out = np.full(len(matrix), "", dtype=object)
    for c in matrix.columns:
        col = matrix[c].to_numpy(dtype=bool)
        out[col] = np.where(out[col] == "", c, out[col] + "," + c)
    return out


def _reason_rows(ev: Evaluation, kind: str, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    r = ev.reasons
    return r[(r["kind"] == kind) & ~r["code"].isin(exclude)][["row", "code", "evidence"]]


def _two_dates(a: pd.DataFrame, d: pd.DataFrame, apply_text: np.ndarray, on_text: str) -> pd.DataFrame:
    """Exclusions found on the 申请日期 and/or the decision date, with one evidence text saying on which."""
    both = a.merge(d, on=["row", "code"], how="outer", suffixes=("_a", "_d"), indicator=True)
    ea, ed = both["evidence_a"].fillna("").astype(str), both["evidence_d"].fillna("").astype(str)
    day = apply_text[both["row"].to_numpy(dtype=int)]
    text = np.select(
        [both["_merge"] == "left_only", both["_merge"] == "right_only", ea == ed],
        ["申请日（" + day + "）：" + ea, "决定日（" + on_text + "）：" + ed, "申请日和决定日：" + ea],
        "申请日（" + day + "）：" + ea + "；决定日（" + on_text + "）：" + ed,
    )
    return pd.DataFrame({"row": both["row"].to_numpy(dtype=int), "code": both["code"].to_numpy(),
                         "evidence": pd.Series(text).str.rstrip("：").to_numpy()})


def _dibao_end_before(apps: pd.DataFrame, tables, on: dt.date, params: Parameters) -> pd.Series:
    """For each application: the end date of a 低保 period active on its 申请日期 that ended before ``on``."""
    t = tables.get("dibao")
    out = pd.Series(pd.NaT, index=range(len(apps)), dtype="datetime64[ns]")
    if t is None or t.empty:
        return out
    types = params["rules.categories.c03.assistance_types"].at(on)
    keys = pd.DataFrame({"row": np.arange(len(apps)), "id_number": apps["id_number"].astype(str).to_numpy(),
                         "apply": pd.to_datetime(apps["apply_date"]).to_numpy()})
    j = keys.merge(t.assign(id_number=t["id_number"].astype(str))[["id_number", "assistance_type", "start_date",
                                                                   "end_date"]], on="id_number")
    start, end = pd.to_datetime(j["start_date"]), pd.to_datetime(j["end_date"])
    ok = j["assistance_type"].isin(types) & (start <= j["apply"]) & (end >= j["apply"]) & (end < pd.Timestamp(on))
    ends = j.loc[ok.to_numpy()].assign(end=end[ok]).groupby("row")["end"].max()
    out.loc[ends.index] = ends.to_numpy()
    return out


def decide_applications(apps: pd.DataFrame, tables, on: dt.date, params: Parameters, *,
                        missing_sources=(), resubmitted=None) -> Decisions:
    """Decide each application on ``on`` (the rules only, no I/O).

    ``apps``: application_id, id_number, apply_date, categories (codes "01,07"), materials (names joined by 、),
    women_base (50/55/blank). ``missing_sources``: optional contract sources not provided in this run.
    ``resubmitted``: boolean per application — an earlier 一次性告知 was answered with new materials (补正), so materials
    still missing now refuse the application instead of asking again.
    """
    apps = apps.reset_index(drop=True)
    n = len(apps)
    if n == 0:
        return _nothing()
    on_ts = pd.Timestamp(on)
    base = pd.to_numeric(apps["women_base"], errors="coerce") if "women_base" in apps else pd.Series(np.nan, index=apps.index)
    people = pd.DataFrame({"id_number": apps["id_number"].astype(str), "women_base": base.astype(float)})
    ev_a = evaluate(people.assign(eval_date=pd.to_datetime(apps["apply_date"])), tables, params)
    ev_d = evaluate(people.assign(eval_date=on_ts), tables, params)
    reasons = params.reasons(on)
    materials = load_materials(params)
    only = application_only(params, on)
    names = {str(k).zfill(2): v for k, v in params["rules.categories.names"].at(on).items()}
    data_codes = [c for c in sorted(names) if c not in only]
    local_groups = params["rules.categories.c13.local_groups"].at(on)
    missing_sources = set(missing_sources)
    resubmitted = np.zeros(n, dtype=bool) if resubmitted is None else np.asarray(resubmitted, dtype=bool)
    apply_text = pd.to_datetime(apps["apply_date"]).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    on_text = on.isoformat()

    claimed = _matrix(apps["categories"], sorted(names))
    held_a = _matrix(pd.Series(ev_a.summary["categories"]), data_codes)
    held_d = _matrix(pd.Series(ev_d.summary["categories"]), data_codes)
    unverifiable = pd.DataFrame(False, index=claimed.index, columns=data_codes)
    for c in data_codes:
        if missing_sources & set(CATEGORY_SOURCES.get(c, ())):
            unverifiable[c] = claimed[c] & ~held_a[c]
    holds = (held_a & held_d).reindex(columns=sorted(names), fill_value=False)
    not_met = (claimed[data_codes] & ~held_a & ~unverifiable)
    lapsed = claimed[data_codes] & held_a & ~held_d

    # materials: what was submitted, what each application needs, what is missing
    got, unknown = submitted(apps["materials"] if "materials" in apps else pd.Series("", index=apps.index), materials)
    need_cats = (claimed[data_codes] & (holds[data_codes] | unverifiable)).reindex(columns=sorted(names),
                                                                                 fill_value=False)
    for c in only:
        if c != "13" or local_groups:
            need_cats[c] = claimed[c]
    long_cats = need_cats.stack()
    long_cats = long_cats[long_cats].reset_index()
    long_cats.columns = ["row", "category", "_"]
    per_cat = pd.DataFrame([(c, m) for c, ms in materials.by_category.items() for m in ms],
                           columns=["category", "material"])
    needed = pd.concat([
        pd.DataFrame({"row": np.repeat(np.arange(n), len(materials.required_all)),
                      "material": np.tile(list(materials.required_all), n)}),
        long_cats.merge(per_cat, on="category")[["row", "material"]],
    ], ignore_index=True).drop_duplicates()
    shared = needed["material"].isin(list(materials.shared_by))
    not_asked = needed[shared]
    asked = needed[~shared].merge(got.assign(_got=True), on=["row", "material"], how="left")
    lacking = asked[asked["_got"].isna()][["row", "material"]]
    # categories decided on the materials (12, 13 with local groups): held when their own materials are all there
    for c in only:
        if c == "13" and not local_groups:
            continue
        own = set(materials.by_category.get(c, ())) - set(materials.shared_by)
        short = lacking[lacking["material"].isin(own)]["row"].unique()
        holds[c] = claimed[c].to_numpy() & ~np.isin(np.arange(n), short)
    pending = pd.DataFrame({c: claimed[c] & ~holds[c] for c in only if c != "13" or local_groups},
                           index=claimed.index)
    not13 = claimed["13"] if "13" in claimed and not local_groups else pd.Series(False, index=claimed.index)

    missing_text = _join_by_row(lacking, "material", n, materials)
    has_missing = missing_text != ""
    recognised = ev_d.facts["recognised_on"].to_numpy(dtype=bool)
    excl = _two_dates(_reason_rows(ev_a, "exclusion", ("X_RECOGNISED",)),
                      _reason_rows(ev_d, "exclusion", ("X_RECOGNISED",)), apply_text, on_text)
    general_fail = np.isin(np.arange(n), excl["row"].to_numpy())
    any_holds = holds.any(axis=1).to_numpy()
    open_claims = unverifiable.any(axis=1).to_numpy() | (pending.any(axis=1).to_numpy() if len(pending.columns)
                                                          else np.zeros(n, bool))
    no_category = ~any_holds & ~open_claims
    still = resubmitted & has_missing
    hukou_review = (ev_a.facts["hukou_found"].to_numpy() == False) | (ev_d.facts["hukou_found"].to_numpy() == False)  # noqa: E712
    hukou_review &= ev_d.facts["id_in_province"].to_numpy(dtype=bool)
    general_missing = sorted(missing_sources & set(GENERAL_SOURCES))
    review = unverifiable.any(axis=1).to_numpy() | hukou_review | bool(general_missing)
    conclusion = np.select([recognised, general_fail | no_category | still, has_missing, review],
                           ["recognised", "refuse", "supplement", "review"], "propose")

    # the reasons, each with its evidence (vectorised per code)
    c = Collector(reasons)
    c.add("X_RECOGNISED", recognised, "认定日期 " + fmt_date(ev_d.facts["ledger_recognised_date"]))
    for code, grp in excl.groupby("code", sort=False):
        mask = np.zeros(n, dtype=bool)
        mask[grp["row"].to_numpy()] = True
        ev = pd.Series("", index=range(n), dtype=object)
        ev.iloc[grp["row"].to_numpy()] = grp["evidence"].to_numpy()
        c.add(code, mask, ev)
    cat_ev = _reason_rows(ev_a, "category")
    for code in sorted(names):
        rows = cat_ev[cat_ev["code"] == f"C{code}"]
        ev = pd.Series("", index=range(n), dtype=object)
        ev.iloc[rows["row"].to_numpy()] = rows["evidence"].to_numpy()
        if code in only:
            ev = pd.Series("已交" + "、".join(m for m in materials.by_category.get(code, ())), index=range(n))
        c.add(f"C{code}", holds[code].to_numpy(), ev)
    unclaimed = holds & ~claimed
    if unclaimed.to_numpy().any():
        labels = np.full(n, "", dtype=object)
        for code in sorted(names):
            col = unclaimed[code].to_numpy()
            labels[col] = np.where(labels[col] == "", f"{code} {names[code]}", labels[col] + "、" + f"{code} {names[code]}")
        c.add("A_UNCLAIMED", unclaimed.any(axis=1).to_numpy(), labels)
    fa = ev_a.facts
    claim_ev = {
        "01": age_text(fa) + "（申请日）",
        "07": np.where(fa["reg_found"], "最近一次失业登记 " + fmt_date(fa["reg_date"]), "申请日无有效失业登记"),
        "11": np.where(fa["veteran"], "失业登记 " + fmt_date(fa["reg_date"]), "退役军人名单中无此人"),
    }
    for code in data_codes:
        c.add(f"A_NOT_{code}", not_met[code].to_numpy(), claim_ev.get(code))
    c.add("A_NOT_13", not13.to_numpy())
    dibao_end = _dibao_end_before(apps, tables, on, params)
    lapsed_text = np.full(n, "", dtype=object)
    for code in data_codes:
        col = lapsed[code].to_numpy()
        extra = ("，低保结束日期 " + fmt_date(dibao_end)).where(dibao_end.notna(), "").to_numpy() if code == "03" \
            else np.full(n, "")
        text = f"{code} {names[code]}：申请日（" + apply_text + f"）符合，决定日（{on_text}）已不符合" + extra
        lapsed_text[col] = np.where(lapsed_text[col] == "", text[col], lapsed_text[col] + "；" + text[col])
    c.add("A_LAPSED", lapsed.any(axis=1).to_numpy(), lapsed_text)
    c.add("A_NO_CATEGORY", no_category & ~general_fail & ~recognised)
    c.add("A_STILL_INCOMPLETE", still & ~recognised & ~general_fail, missing_text)
    c.add("A_MATERIALS_MISSING", has_missing & ~still & ~recognised & ~general_fail & ~no_category, missing_text)
    unknown_text = _join_by_row(unknown, "written", n)
    c.add("A_MATERIAL_UNKNOWN", unknown_text != "", unknown_text)
    source_titles = {s: params.contract[s].title for s in missing_sources}
    need = np.full(n, "", dtype=object)
    for code in data_codes:
        col = unverifiable[code].to_numpy()
        srcs = "、".join(source_titles[s] for s in CATEGORY_SOURCES.get(code, ()) if s in missing_sources)
        text = f"未提供“{srcs}”，无法核实 {code} {names[code]}"
        need[col] = np.where(need[col] == "", text, need[col] + "；" + text)
    if general_missing:
        text = "未提供“" + "、".join(source_titles[s] for s in general_missing) + "”，无法核实" + \
               "、".join(GENERAL_SOURCES[s] for s in general_missing)
        need = np.where(need == "", text, need + "；" + text)
    c.add("A_SOURCE_MISSING", need != "", need)
    c.add("A_HUKOU_REVIEW", hukou_review)
    hints = _reason_rows(ev_d, "hint", ("H_HUKOU_CHECK",))
    for code, grp in hints.groupby("code", sort=False):
        mask = np.zeros(n, dtype=bool)
        mask[grp["row"].to_numpy()] = True
        ev = pd.Series("", index=range(n), dtype=object)
        ev.iloc[grp["row"].to_numpy()] = grp["evidence"].to_numpy()
        c.add(code, mask, ev)
    long = c.frame()
    long["role"] = _roles(long, conclusion)

    summary = pd.DataFrame({
        "row": np.arange(n),
        "conclusion": conclusion,
        "categories": np.where(conclusion == "propose", _codes_text(holds), ""),
        "claimed": _codes_text(claimed),
        "submitted": _join_by_row(got, "material", n, materials),
        "missing": np.where((conclusion == "supplement") | ((conclusion == "refuse") & still), missing_text, ""),
        "not_asked": _join_by_row(not_asked, "material", n, materials),
        "unknown": unknown_text,
        "resubmitted": resubmitted,
    })
    return Decisions(summary=summary, reasons=long, on_apply=ev_a, on_decision=ev_d)


SUMMARY_COLUMNS = ["row", "conclusion", "categories", "claimed", "submitted", "missing", "not_asked", "unknown",
                   "resubmitted"]


def _nothing() -> Decisions:
    """No application to decide: empty tables with their columns (the engine is not run on nobody)."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in SUMMARY_COLUMNS})
    reasons = pd.DataFrame({c: pd.Series(dtype=object) for c in ("row", "code", "kind", "role", "evidence")})
    facts = pd.DataFrame({c: pd.Series(dtype=object) for c in ("hukou_village", "sex", "age", "recognised_on")})
    ev = Evaluation(people=pd.DataFrame(), facts=facts, reasons=reasons, summary=pd.DataFrame())
    return Decisions(summary=empty, reasons=reasons, on_apply=ev, on_decision=ev)


REFUSAL_CODES = ("A_NO_CATEGORY", "A_STILL_INCOMPLETE")


def _roles(long: pd.DataFrame, conclusion: np.ndarray) -> np.ndarray:
    """What each reason is for, given the row's conclusion: refusal, partial (a claimed category refused while others
    hold or are still open), basis, materials, review, hint, recognised."""
    if long.empty:
        return np.array([], dtype=object)
    kind, code = long["kind"].to_numpy(), long["code"].to_numpy()
    own = conclusion[long["row"].to_numpy(dtype=int)]
    return np.select(
        [code == "X_RECOGNISED", kind == "exclusion", np.isin(code, REFUSAL_CODES),
         (kind == "claim") & (own == "refuse"), kind == "claim", (kind == "category") | (code == "A_UNCLAIMED"),
         np.isin(code, ["A_MATERIALS_MISSING", "A_MATERIAL_UNKNOWN"]), kind == "review"],
        ["recognised", "refusal", "refusal", "refusal", "partial", "basis", "materials", "review"], "hint")


# The reasons a reader sees under each conclusion (理由 in 审核结果, the list in a 告知书).
SHOWN = {"propose": ("basis", "partial", "hint", "materials"), "refuse": ("refusal",),
         "supplement": ("materials", "partial"), "review": ("review", "partial", "materials"),
         "recognised": ("recognised",)}


def shown_reasons(decisions: Decisions) -> pd.DataFrame:
    """The reasons shown for each application's conclusion (row, code, kind, role, evidence), in collection order."""
    long = decisions.reasons
    if long.empty:
        return long
    own = decisions.summary["conclusion"].to_numpy()[long["row"].to_numpy(dtype=int)].astype(str)
    allowed = [f"{o}|{r}" for o, roles in SHOWN.items() for r in roles]
    keep = np.isin(np.char.add(np.char.add(own, "|"), long["role"].to_numpy().astype(str)), allowed)
    return long[keep].reset_index(drop=True)


__all__ = ["CONCLUSIONS", "Decisions", "Materials", "decide_applications", "load_materials",
           "material_key", "shown_reasons", "submitted"]
