"""01 主动筛查: registered unemployed people × other departments' data → who probably qualifies and is not recognised.

The shape every analysis has (docs/notebook_kit.md): ``decide`` (the rules, no I/O) → ``tables`` → ``workbooks`` →
``figures``, run by :func:`jykn_lib.kit.run`. The screened population is everyone whose current 失业登记 is valid on
``as_of`` (docs/engine_rules.md); the decision is the rule engine's. Town: 失业登记's 所属镇街, else 户籍人口's
(docs/rules.md §0). Nobody is dropped: a screened person with no town is listed under 镇街不明 in the district workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..dates import cn_date
from ..io.writer import Col, Sheet
from ..kit import results as K
from ..kit.flow import missing_lines
from ..kit.setup import UNKNOWN_TOWN
from ..kit.workbooks import problems_sheet, sources_sheet, title, write_workbook
from ..params import Parameters
from ..rowtext import has_part, per_value
from ..rules import facts as F
from ..rules.engine import evaluate, prepare_tables
from ..rules.reasons import application_only, category_names

NOTEBOOK = "01"
FIGURE_PREFIX = "筛查"
SOURCES = ["unemployment", "hukou", "dibao", "disability", "veteran", "poverty", "landless", "special",
           "contributions", "market", "pension", "ledger"]
# What cannot be decided without an optional source (数据来源 sheet, summary lines).
DEPENDS_ON = {
    "dibao": "第（三）项 享受最低生活保障待遇人员",
    "disability": "第（二）项 残疾人员（残疾人证）",
    "veteran": "第（二）项 残疾人员（退役军人伤残证件）、第（十一）项 失业6个月以上的退役军人",
    "poverty": "第（五）项 农村零转移就业原建档立卡贫困家庭人员",
    "landless": "第（六）项 失地农民",
    "special": "第（八）至（十）项 戒毒康复、刑满释放、精神障碍康复人员",
    "contributions": "无业状态（单位缴费）、家庭成员就业情况、第（七）项 连续失业1年以上的中断判断",
    "market": "无业状态（市场主体法定代表人、负责人、经营者）",
    "pension": "已领取基本养老保险待遇人员的排除",
    "ledger": "已认定人员的排除（台账）",
}
TOWN_COLUMNS = ["序号", "姓名", "公民身份号码", "性别", "年龄", "所属村居", "联系电话", "符合类别", "判定依据", "提示"]
# The town's follow-up, returned and counted (the outcome of each 引导)
FOLLOW_UP = {"引导结果": ["已引导申请", "本人不愿申请", "无法联系", "情况不符"], "经办人": None, "日期": None, "备注": None}
EXCLUDED_COLUMNS = ["公民身份号码", "姓名", "所属镇街", "排除原因", "依据"]
CONFIDENTIAL = "内部资料　注意保密"


class ScreeningResult(K.Result):
    """``people``: one row per screened person (identity, town, decision and the Chinese texts); ``sources``."""

    descriptions = {
        "people": "每个纳入筛查的人（失业登记在基准日有效）：身份、镇街、结论（outcome）、类别、排除与提示代码及中文理由",
        "sources": "数据来源：各来源的读取状态、文件数和行数，以及未提供时无法判断的事项",
    }
    town_columns = {"sources": None}

    @property
    def people(self) -> pd.DataFrame:
        return self.tables["people"]

    @property
    def candidates(self) -> pd.DataFrame:
        return self.people[self.people["outcome"] == "candidate"]

    @property
    def excluded(self) -> pd.DataFrame:
        return self.people[self.people["outcome"] == "excluded"]


Result = ScreeningResult


# ----------------------------------------------------------------------------------------------------------- decide


def screened_population(tables, as_of: dt.date, params: Parameters) -> pd.DataFrame:
    """Everyone whose current 失业登记 is valid on ``as_of``, with name, town, village and phone."""
    reg = tables.get("unemployment")
    if reg is None or reg.empty:
        return pd.DataFrame(columns=["id_number", "eval_date", "姓名", "_reg_town", "_reg_village", "联系电话"])
    ids = pd.Series(reg["id_number"].dropna().unique())
    keys = pd.DataFrame({"row": np.arange(len(ids)), "id_number": ids.astype("string[pyarrow]"),
                         "eval_date": pd.Timestamp(as_of)})
    facts = F.registration_facts(keys, F.Sources({"unemployment": reg}), params)
    valid = facts["reg_valid"].to_numpy()
    people = pd.DataFrame({"id_number": ids[valid].to_numpy(), "eval_date": pd.Timestamp(as_of)})
    people["姓名"] = facts.loc[valid, "reg_name"].to_numpy()  # from the current registration row
    people["_reg_town"] = facts.loc[valid, "reg_town"].to_numpy()
    people["_reg_village"] = facts.loc[valid, "reg_village"].to_numpy()
    people["联系电话"] = facts.loc[valid, "reg_phone"].to_numpy()
    return people


def screen(tables: dict, as_of: dt.date, params: Parameters) -> ScreeningResult:
    """Decide every screened person on ``as_of`` (the rules only: ``tables`` are the reader's source tables)."""
    tables = prepare_tables(tables)
    people = screened_population(tables, as_of, params)
    # docs/rules.md §0: screening uses the 50 base for women (an exclusion on that ground asks the town to check 55)
    ev = evaluate(people[["id_number", "eval_date"]].assign(women_base=np.nan), tables, params)
    f, s = ev.facts, ev.summary
    out = pd.DataFrame({"公民身份号码": people["id_number"].astype(str).to_numpy()})
    hukou_name = _hukou_names(tables, out["公民身份号码"])
    out["姓名"] = people["姓名"].fillna(pd.Series(hukou_name)).fillna("").to_numpy()
    out["性别"] = f["sex"].to_numpy()
    out["年龄"] = pd.array(f["age"].to_numpy(), dtype="Int64")
    town = people["_reg_town"].where(people["_reg_town"].notna(), f["hukou_town"].to_numpy())
    out["所属镇街"] = town.fillna(UNKNOWN_TOWN).to_numpy()
    village = people["_reg_village"].where(people["_reg_village"].notna(), f["hukou_village"].to_numpy())
    out["所属村居"] = village.fillna("").to_numpy()
    out["联系电话"] = people["联系电话"].fillna("").to_numpy()
    for col in ("categories", "exclusions", "hints", "outcome"):
        out[col] = s[col].to_numpy()
    names = category_names(params, as_of)
    out["符合类别"] = per_value(s["categories"], lambda cats: "、".join(names[c] for c in cats.split(",")) if cats else "")
    texts = reason_texts(ev.reasons, len(out), params.reasons(as_of))
    out["判定依据"] = texts["category"]
    out["提示"] = texts["hint"]
    out["排除原因"] = texts["exclusion"]
    out["依据"] = texts["exclusion_clause"]
    out = out.sort_values(["所属镇街", "所属村居", "公民身份号码"], kind="stable").reset_index(drop=True)
    return ScreeningResult({"people": out}, {"as_of": as_of.isoformat()})


def decide(inputs, setup) -> ScreeningResult:
    return screen(inputs.tables, setup.as_of, setup.params)


def _hukou_names(tables, ids: pd.Series) -> np.ndarray:
    h = tables.get("hukou")
    if h is None or h.empty or "name" not in h:
        return np.full(len(ids), None, dtype=object)
    ids = ids.astype(str)
    # the screened people's rows first: a city's 户籍人口 is ~15× the screened, and the reindex hashes every row kept
    h = h.loc[F.isin(h["id_number"], ids), ["id_number", "name"]]
    names = h.drop_duplicates("id_number", keep="last")  # the reader already keeps one row per person
    return names.set_index(names["id_number"].astype(str))["name"].reindex(ids).to_numpy()


def reason_texts(long: pd.DataFrame, n: int, reasons: dict) -> dict[str, np.ndarray]:
    """Per person: 判定依据 (categories with evidence and clause), 提示, 排除原因 (with evidence) and 依据 (clauses).

    Built one reason code at a time (vectorised), in the order of params/reasons.yaml.
    """
    out = {k: np.full(n, "", dtype=object) for k in ("category", "hint", "exclusion", "exclusion_clause")}
    for code, r in reasons.items():
        sub = long[long["code"] == code]
        if sub.empty or r.kind not in ("category", "hint", "exclusion"):
            continue
        rows = sub["row"].to_numpy()
        ev = sub["evidence"].fillna("").astype(str).to_numpy()
        if r.kind == "category":
            text = np.where(ev != "", r.label + "：" + ev + "（" + r.citation + "）", f"{r.label}（{r.citation}）")
            _append(out["category"], rows, text.astype(object), "；")
        elif r.kind == "hint":
            _append(out["hint"], rows, np.full(len(rows), r.label, dtype=object), "；")
        else:
            text = np.where(ev != "", r.label + "（" + ev + "）", r.label).astype(object)
            _append(out["exclusion"], rows, text, "、")
            _append(out["exclusion_clause"], rows, np.full(len(rows), r.citation, dtype=object), "、", unique=True)
    return out


def _append(target: np.ndarray, rows: np.ndarray, text: np.ndarray, sep: str, unique: bool = False) -> None:
    current = target[rows]
    if unique:  # leave out a text already among the row's sep-separated texts
        keep = ~_among(pd.Series(current, dtype=object), text, sep)
        rows, current, text = rows[keep], current[keep], text[keep]
    target[rows] = np.where(current == "", text, current + sep + text)


def _among(current: pd.Series, text: np.ndarray, sep: str) -> np.ndarray:
    """``text[i] in current[i].split(sep)`` for each i, one pass per distinct text (a clause: bounded by the
    reasons file)."""
    found = np.zeros(len(current), dtype=bool)
    for t in pd.unique(text):
        m = text == t
        found[m] = has_part(current[m], t, sep)
    return found


# ------------------------------------------------------------------------------------------------------------ tables


def screenable_categories(params: Parameters, on: dt.date) -> dict[str, str]:
    """Categories that screening can find: code → '01 大龄失业人员' (12 and 13 only by application)."""
    only = set(application_only(params, on))
    return {c: label for c, label in category_names(params, on).items() if c not in only}


def outcome_counts(result: ScreeningResult) -> dict[str, int]:
    o = result.people["outcome"]
    return {"筛查人数": len(o), "符合人数": int((o == "candidate").sum()), "排除人数": int((o == "excluded").sum()),
            "无符合类别人数": int((o == "no_category").sum())}


def counts(result: ScreeningResult, setup) -> dict[str, int]:
    """The key figures: the four outcome counts, then the candidates per category."""
    return {**outcome_counts(result), **category_counts(result, setup.params).to_dict()}


def category_counts(result: ScreeningResult, params: Parameters) -> pd.Series:
    """Candidates per category (a person with two categories counts in both)."""
    cats = result.candidates["categories"].str.split(",").explode()
    n = cats[cats != ""].value_counts()
    return pd.Series({label: int(n.get(c, 0)) for c, label in screenable_categories(params, result.as_of).items()},
                     name="符合人数", dtype="int64")


def town_category_table(result: ScreeningResult, params: Parameters) -> pd.DataFrame:
    """汇总: one row per town (and 镇街不明 when needed) × category, plus the four counts and a 合计 row."""
    labels = screenable_categories(params, result.as_of)
    people = result.people
    towns = params.town_names() + ([UNKNOWN_TOWN] if (people["所属镇街"] == UNKNOWN_TOWN).any() else [])
    cand = result.candidates[["所属镇街", "categories"]].assign(c=lambda d: d["categories"].str.split(",")).explode("c")
    grid = pd.crosstab(cand["所属镇街"], cand["c"]).reindex(index=towns, fill_value=0)
    grid = grid.reindex(columns=list(labels), fill_value=0)
    grid.columns = list(labels.values())
    o = people.groupby("所属镇街")["outcome"].value_counts().unstack(fill_value=0).reindex(towns, fill_value=0)
    table = pd.DataFrame({
        "镇街": towns,
        "筛查人数": o.sum(axis=1).to_numpy(),
        "符合人数": o.get("candidate", pd.Series(0, index=towns)).to_numpy(),
        "排除人数": o.get("excluded", pd.Series(0, index=towns)).to_numpy(),
        "无符合类别人数": o.get("no_category", pd.Series(0, index=towns)).to_numpy(),
    })
    table = pd.concat([table, grid.reset_index(drop=True)], axis=1)
    total = table.drop(columns="镇街").sum().to_frame().T
    total.insert(0, "镇街", "合计")
    return pd.concat([table, total], ignore_index=True)


def exclusion_reason_counts(result: ScreeningResult, params: Parameters) -> pd.Series:
    """How many excluded people carry each reason (a person may carry several)."""
    reasons = params.reasons(result.as_of)
    codes = result.excluded["exclusions"].str.split(",").explode()
    n = codes[codes != ""].value_counts()
    return pd.Series({reasons[c].label: int(k) for c, k in n.items()}, name="人数", dtype="int64").sort_values(
        ascending=False, kind="stable")


def town_table(result: ScreeningResult, town: str) -> pd.DataFrame:
    """引导申请名单 of one town: the contract's columns, sorted by village and identity number, and the follow-up
    columns the town fills in (blank)."""
    c = result.candidates[result.candidates["所属镇街"] == town].reset_index(drop=True)
    table = c[[col for col in TOWN_COLUMNS if col != "序号"]].copy()
    table.insert(0, "序号", np.arange(1, len(table) + 1))
    for col in FOLLOW_UP:
        table[col] = pd.Series([None] * len(table), dtype=object)
    return table


def excluded_table(result: ScreeningResult) -> pd.DataFrame:
    return result.excluded[EXCLUDED_COLUMNS].reset_index(drop=True)


def tables(result: ScreeningResult, setup) -> dict[str, pd.DataFrame]:
    """What the notebook shows for its scope (masked on display)."""
    if setup.is_district:
        return {"分镇街、分类别人数": town_category_table(result, setup.params),
                "排除原因": exclusion_reason_counts(result, setup.params).rename_axis("排除原因").reset_index()}
    return {f"{setup.town}引导申请名单": town_table(result, setup.town).drop(columns=list(FOLLOW_UP)),
            "排除原因": exclusion_reason_counts(result, setup.params).rename_axis("排除原因").reset_index()}


def summary_lines(result: ScreeningResult, setup) -> list[str]:
    """A short summary in words for leaders (no personal data)."""
    params, scope = setup.params, ("全区" if setup.is_district else setup.town)
    c = outcome_counts(result)
    n = c["筛查人数"]
    share = f"（占{c['符合人数'] / n:.1%}）" if n else ""
    lines = [
        f"以 {cn_date(result.as_of)} 为基准日，{scope}失业登记有效人员共 {n} 人。",
        f"其中符合一般条件且至少符合一个类别、建议镇街引导申请认定的 {c['符合人数']} 人{share}；"
        f"符合某一类别但因一般条件不满足或已认定而排除的 {c['排除人数']} 人；"
        f"不符合任何类别的 {c['无符合类别人数']} 人（只计数）。",
    ]
    cats = category_counts(result, params)
    cats = cats[cats > 0].sort_values(ascending=False, kind="stable")
    if len(cats):
        lines.append("符合人数最多的类别：" + "、".join(f"{k}（{v}人）" for k, v in cats.head(3).items()) + "。")
    reasons = exclusion_reason_counts(result, params)
    if len(reasons):
        lines.append("排除的主要原因：" + "、".join(f"{k}（{v}人）" for k, v in reasons.head(3).items()) + "。")
    only = category_names(params, result.as_of)
    lines.append("、".join(only[c] for c in application_only(params, result.as_of))
                 + " 只能由本人申请认定，不在数据筛查范围内。")
    return lines + missing_lines(result.missing, DEPENDS_ON, params)


# ----------------------------------------------------------------------------------------------------------- writing


def town_sheet(setup, result: ScreeningResult, town: str) -> Sheet:
    table = town_table(result, town)
    only = category_names(setup.params, result.as_of)
    by_application = "、".join(only[c] for c in application_only(setup.params, result.as_of))
    notes = ["本镇本期无符合条件人员（0人）。" if table.empty else f"本镇本期符合条件、建议引导申请 {len(table)} 人。",
             "判定依据为区级数据比对结果（主动筛查），请镇街联系本人核实后引导申请；" + by_application + " 只能由本人申请。",
             "“提示”列所列情况不作为排除理由，请镇街核实。",
             "引导结果请从下拉选项中选择，并填写经办人、日期（YYYY-MM-DD）；备注可写核实情况。",
             CONFIDENTIAL + "：本表含公民身份号码和联系电话，仅限镇街经办人员使用，不得外传。"]
    columns = {"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"), "判定依据": Col(wrap=True, width=60),
               "提示": Col(wrap=True, width=40), "年龄": Col(kind="int"),
               "引导结果": Col(dropdown=FOLLOW_UP["引导结果"], editable=True, width=14),
               "经办人": Col(kind="text", editable=True, width=10), "日期": Col(kind="date", editable=True, width=12),
               "备注": Col(kind="text", editable=True, width=20)}
    return Sheet(name="引导申请名单", data=table, title=title(setup, "引导申请名单", town) + f"（{CONFIDENTIAL}）",
                 columns=columns, highlight=table["提示"] != "", highlight_note="红色底纹：有“提示”事项，请镇街核实。",
                 note_lines=notes, protect=False, mark=CONFIDENTIAL)


def district_sheets(setup, result: ScreeningResult, inputs) -> list[Sheet]:
    params = setup.params
    excluded = excluded_table(result)
    sheets = [
        Sheet(name="汇总", data=town_category_table(result, params), title=title(setup, "主动筛查汇总"),
              note_lines=summary_lines(result, setup)),
        Sheet(name="排除名单", data=excluded, title=title(setup, "主动筛查排除名单"),
              columns={"公民身份号码": Col(kind="text"), "排除原因": Col(wrap=True, width=60),
                       "依据": Col(wrap=True, width=40)},
              note_lines=["排除：至少符合一个类别，但不满足一般条件或已认定；全部原因以“、”分隔。"]
              if not excluded.empty else ["本期无排除人员（0人）。"], mark=CONFIDENTIAL),
    ]
    unknown = result.candidates[result.candidates["所属镇街"] == UNKNOWN_TOWN]
    if not unknown.empty:
        sheets.append(Sheet(name=UNKNOWN_TOWN, data=unknown[TOWN_COLUMNS[1:]].reset_index(drop=True),
                            title=title(setup, "符合条件但镇街不明的人员"),
                            columns={"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text")},
                            note_lines=["失业登记和户籍人口均未写所属镇街，请区级核实后转交镇街。"], mark=CONFIDENTIAL))
    sheets.append(problems_sheet(setup, inputs.problems if inputs is not None else None))
    if "sources" in result.tables and not result.tables["sources"].empty:
        sheets.append(sources_sheet(setup, result.tables["sources"]))
    return sheets


def workbooks(setup, result: ScreeningResult, inputs) -> list:
    q = setup.quarter_str
    if setup.is_district:
        return [write_workbook(setup, f"筛查汇总_{q}.xlsx", district_sheets(setup, result, inputs))]
    return [write_workbook(setup, f"引导申请名单_{q}_{setup.town}.xlsx", [town_sheet(setup, result, setup.town)],
                           leaves_office=True)]


# ----------------------------------------------------------------------------------------------------------- figures


def figures(result: ScreeningResult, setup) -> dict[str, object]:
    """Charts of the candidates: by town (district) or by village (a town), and by category."""
    from .. import charts

    out = {}
    cand = result.candidates
    scope = "全区" if setup.is_district else setup.town
    if setup.is_district:
        by_town = cand["所属镇街"].value_counts().reindex(setup.params.town_names(), fill_value=0)
        out["按镇街"] = charts.bar_chart(by_town, f"符合条件人数（按镇街）　{result.as_of:%Y-%m-%d}", ylabel="人数")
    else:
        by_village = cand["所属村居"].replace("", "（未填村居）").value_counts().sort_index()
        out["按村居"] = charts.bar_chart(by_village, f"{scope}符合条件人数（按村居）", xlabel="人数",
                                        horizontal=True, sort=True)
    out["按类别"] = charts.bar_chart(category_counts(result, setup.params), f"{scope}符合条件人数（按类别，可兼类）",
                                   xlabel="人数", horizontal=True)
    return out
