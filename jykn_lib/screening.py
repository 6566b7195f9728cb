"""主动筛查 (notebook 01): registered unemployed people × other departments' data → who probably qualifies.

    result = screen(dataset, as_of)            # the decision for every screened person, with reasons in Chinese
    result.candidates / result.excluded / result.counts / result.by_town_category
    write_town_workbook(result, "太和镇", path, quarter)   # 引导申请名单
    write_district_workbook(result, path, quarter, dataset)  # 筛查汇总: 汇总, 排除名单, 问题数据, 数据来源

The screened population is everyone whose current 失业登记 is valid on ``as_of`` (docs/engine_rules.md); the decision is
the rule engine's. Town: 失业登记's 所属镇街, else 户籍人口's (RULES.md §0). Nobody is dropped: a screened person with no
town is listed under 镇街不明 in the district workbook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import load_contract, town_names
from .io.reader import DataSet, read_folder
from .io.writer import Col, Sheet, write_workbook
from .params import Parameters, load_parameters
from .rules import facts as F
from .rules.engine import evaluate, prepare_tables
from .rules.reasons import load_reasons

NOTEBOOK = "01"
SOURCES = ["unemployment", "hukou", "dibao", "disability", "veteran", "poverty", "landless", "special",
           "contributions", "market", "ledger"]
UNKNOWN_TOWN = "镇街不明"
# What cannot be decided without an optional source (reported as 未提供 with this line).
DEPENDS_ON = {
    "dibao": "第（三）项 享受最低生活保障待遇人员",
    "disability": "第（二）项 残疾人员（残疾人证）",
    "veteran": "第（二）项 残疾人员（退役军人伤残证件）、第（十一）项 失业6个月以上的退役军人",
    "poverty": "第（五）项 农村零转移就业原建档立卡贫困家庭人员",
    "landless": "第（六）项 失地农民",
    "special": "第（八）至（十）项 戒毒康复、刑满释放、精神障碍康复人员",
    "contributions": "无业状态（单位缴费）、家庭成员就业情况、第（七）项 连续失业1年以上的中断判断",
    "market": "无业状态（市场主体法定代表人、负责人、经营者）",
    "ledger": "已认定人员的排除（台账）",
}
TOWN_COLUMNS = ["序号", "姓名", "公民身份号码", "性别", "年龄", "所属村居", "联系电话", "符合类别", "判定依据", "提示"]
EXCLUDED_COLUMNS = ["公民身份号码", "姓名", "所属镇街", "排除原因", "依据"]


@dataclass
class ScreeningResult:
    as_of: dt.date
    people: pd.DataFrame  # one row per screened person: identity, town, decision and the Chinese texts
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)  # 数据来源 summary (reader), or empty
    missing: list[str] = field(default_factory=list)

    @property
    def candidates(self) -> pd.DataFrame:
        return self.people[self.people["outcome"] == "candidate"]

    @property
    def excluded(self) -> pd.DataFrame:
        return self.people[self.people["outcome"] == "excluded"]

    @property
    def counts(self) -> dict[str, int]:
        o = self.people["outcome"]
        return {"筛查人数": len(o), "符合人数": int((o == "candidate").sum()), "排除人数": int((o == "excluded").sum()),
                "无符合类别人数": int((o == "no_category").sum())}

    def town(self, town: str) -> "ScreeningResult":
        return ScreeningResult(self.as_of, self.people[self.people["所属镇街"] == town], self.sources, self.missing)

    def category_counts(self) -> pd.Series:
        """Candidates per category (a person with two categories counts in both)."""
        names = _category_names()
        cats = self.candidates["categories"].str.split(",").explode()
        counts = cats[cats != ""].value_counts()
        return pd.Series({names[c]: int(counts.get(c, 0)) for c in names if c not in _application_only(self.as_of)},
                         name="符合人数")

    def town_category_table(self) -> pd.DataFrame:
        """汇总: one row per town (and 镇街不明 when needed) × category, plus the four counts and a 合计 row."""
        names = _category_names()
        towns = town_names() + ([UNKNOWN_TOWN] if (self.people["所属镇街"] == UNKNOWN_TOWN).any() else [])
        cand = self.candidates[["所属镇街", "categories"]].assign(c=lambda d: d["categories"].str.split(","))
        cand = cand.explode("c")
        grid = pd.crosstab(cand["所属镇街"], cand["c"]).reindex(index=towns, fill_value=0)
        cols = [c for c in names if c not in _application_only(self.as_of)]
        grid = grid.reindex(columns=cols, fill_value=0)
        grid.columns = [names[c] for c in cols]
        o = self.people.groupby("所属镇街")["outcome"].value_counts().unstack(fill_value=0).reindex(towns, fill_value=0)
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

    def exclusion_reason_counts(self) -> pd.Series:
        """How many excluded people carry each reason (a person may carry several)."""
        reasons = load_reasons()
        codes = self.excluded["exclusions"].str.split(",").explode()
        counts = codes[codes != ""].value_counts()
        return pd.Series({reasons[c].label: int(n) for c, n in counts.items()}, name="人数").sort_values(
            ascending=False, kind="stable")


def _category_names() -> dict[str, str]:
    reasons = load_reasons()
    return {k[1:]: v.label for k, v in reasons.items() if v.kind == "category"}


def _application_only(on: dt.date | None = None) -> set[str]:
    param = load_parameters()["rules.categories.by_application_only"]
    return set(param.at(on) if on else param.entries[-1].value)


# ----------------------------------------------------------------------------------------------------------- decide


def screened_population(tables, as_of: dt.date, params: Parameters) -> pd.DataFrame:
    """Everyone whose current 失业登记 is valid on ``as_of``, with name, town, village and phone."""
    reg = tables.get("unemployment")
    if reg is None or reg.empty:
        return pd.DataFrame(columns=["id_number", "eval_date", "姓名", "所属镇街", "所属村居", "联系电话"])
    ids = pd.Series(reg["id_number"].dropna().unique())
    keys = pd.DataFrame({"row": np.arange(len(ids)), "id_number": ids.astype("string[pyarrow]"),
                         "eval_date": pd.Timestamp(as_of)})
    facts = F.registration_facts(keys, tables, params)
    valid = facts["reg_valid"].to_numpy()
    people = pd.DataFrame({"id_number": ids[valid].to_numpy(), "eval_date": pd.Timestamp(as_of)})
    people["姓名"] = facts.loc[valid, "reg_name"].to_numpy()  # from the current registration row
    people["_reg_town"] = facts.loc[valid, "reg_town"].to_numpy()
    people["_reg_village"] = facts.loc[valid, "reg_village"].to_numpy()
    people["联系电话"] = facts.loc[valid, "reg_phone"].to_numpy()
    return people


def screen(data: DataSet | dict, as_of: dt.date, params: Parameters | None = None) -> ScreeningResult:
    """Decide every screened person; ``data`` is a DataSet from the reader or a dict of source tables."""
    params = params or load_parameters()
    tables = prepare_tables(data.tables if isinstance(data, DataSet) else data)
    people = screened_population(tables, as_of, params)
    # RULES.md §0: screening uses the 50 base for women (an exclusion on that ground asks the town to check 55)
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
    names = _category_names()
    out["符合类别"] = [("、".join(names[c] for c in cats.split(",")) if cats else "") for cats in s["categories"]]
    texts = reason_texts(ev.reasons, len(out))
    out["判定依据"] = texts["category"]
    out["提示"] = texts["hint"]
    out["排除原因"] = texts["exclusion"]
    out["依据"] = texts["exclusion_clause"]
    out = out.sort_values(["所属镇街", "所属村居", "公民身份号码"], kind="stable").reset_index(drop=True)
    result = ScreeningResult(as_of=as_of, people=out)
    if isinstance(data, DataSet):
        result.sources = sources_summary(data)
        result.missing = [m for m in data.missing if m in SOURCES]
    return result


def _hukou_names(tables, ids: pd.Series) -> np.ndarray:
    h = tables.get("hukou")
    if h is None or h.empty or "name" not in h:
        return np.full(len(ids), None, dtype=object)
    names = h.drop_duplicates("id_number", keep="last")  # the reader already keeps one row per person
    return names.set_index(names["id_number"].astype(str))["name"].reindex(ids.astype(str)).to_numpy()


def reason_texts(long: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per person: 判定依据 (categories with evidence and clause), 提示, 排除原因 (with evidence) and 依据 (clauses).

    Built one reason code at a time (vectorised), in the order of params/reasons.yaml.
    """
    reasons = load_reasons()
    out = {k: np.full(n, "", dtype=object) for k in ("category", "hint", "exclusion", "exclusion_clause")}
    for code, r in reasons.items():
        sub = long[long["code"] == code]
        if sub.empty or r.kind not in ("category", "hint", "exclusion"):
            continue
        rows = sub["row"].to_numpy()
        ev = sub["evidence"].fillna("").astype(str).to_numpy()
        if r.kind == "category":
            text = np.array([f"{r.label}：{e}（{r.citation}）" if e else f"{r.label}（{r.citation}）" for e in ev],
                            dtype=object)
            _append(out["category"], rows, text, "；")
        elif r.kind == "hint":
            _append(out["hint"], rows, np.full(len(rows), r.label, dtype=object), "；")
        else:
            text = np.array([f"{r.label}（{e}）" if e else r.label for e in ev], dtype=object)
            _append(out["exclusion"], rows, text, "、")
            _append(out["exclusion_clause"], rows, np.full(len(rows), r.citation, dtype=object), "、", unique=True)
    return out


def _append(target: np.ndarray, rows: np.ndarray, text: np.ndarray, sep: str, unique: bool = False) -> None:
    current = target[rows]
    if unique:
        keep = np.array([t not in c.split(sep) for c, t in zip(current, text)], dtype=bool)
        rows, current, text = rows[keep], current[keep], text[keep]
    target[rows] = np.where(current == "", text, current + sep + text)


def sources_summary(data: DataSet) -> pd.DataFrame:
    """数据来源: the reader's per-source summary plus what could not be decided without a missing source."""
    summary = data.summary()
    contract = load_contract()
    wanted = {contract[n].title: n for n in SOURCES}
    summary = summary[summary["来源"].isin(wanted)].copy()
    effect = [DEPENDS_ON.get(wanted[t], "") if state == "未提供" else "" for t, state in
              zip(summary["来源"], summary["状态"])]
    summary["未提供时无法判断"] = effect
    return summary.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------ tables


def town_table(result: ScreeningResult, town: str) -> pd.DataFrame:
    """引导申请名单 of one town, in the contract's columns, sorted by village and identity number."""
    c = result.candidates[result.candidates["所属镇街"] == town].reset_index(drop=True)
    table = c[[col for col in TOWN_COLUMNS if col != "序号"]].copy()
    table.insert(0, "序号", np.arange(1, len(table) + 1))
    return table


def excluded_table(result: ScreeningResult) -> pd.DataFrame:
    return result.excluded[EXCLUDED_COLUMNS].reset_index(drop=True)


def summary_lines(result: ScreeningResult, scope: str = "全区") -> list[str]:
    """A short summary in words for leaders (no personal data)."""
    c = result.counts
    n = c["筛查人数"]
    share = f"（占{c['符合人数'] / n:.1%}）" if n else ""
    lines = [
        f"以 {_cn_date(result.as_of)} 为基准日，{scope}失业登记有效人员共 {n} 人。",
        f"其中符合一般条件且至少符合一个类别、建议镇街引导申请认定的 {c['符合人数']} 人{share}；"
        f"符合某一类别但因一般条件不满足或已认定而排除的 {c['排除人数']} 人；"
        f"不符合任何类别的 {c['无符合类别人数']} 人（只计数）。",
    ]
    cats = result.category_counts()
    cats = cats[cats > 0].sort_values(ascending=False, kind="stable")
    if len(cats):
        top = "、".join(f"{k}（{v}人）" for k, v in cats.head(3).items())
        lines.append(f"符合人数最多的类别：{top}。")
    reasons = result.exclusion_reason_counts()
    if len(reasons):
        top = "、".join(f"{k}（{v}人）" for k, v in reasons.head(3).items())
        lines.append(f"排除的主要原因：{top}。")
    lines.append("第（十二）项、第（十三）项只能由本人申请认定，不在数据筛查范围内。")
    if result.missing:
        contract = load_contract()
        for m in result.missing:
            lines.append(f"未提供“{contract[m].title}”：无法判断{DEPENDS_ON.get(m, '相关条件')}。")
    return lines


# ----------------------------------------------------------------------------------------------------------- writing


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _title(kind: str, quarter: str, scope: str, as_of: dt.date) -> str:
    return f"清新区就业困难人员{kind}　{quarter}　{scope}　基准日 {as_of:%Y-%m-%d}"


def write_town_workbook(result: ScreeningResult, town: str, path: Path, quarter: str) -> Path:
    table = town_table(result, town)
    notes = ["本镇本期无符合条件人员（0人）。" if table.empty else f"本镇本期符合条件、建议引导申请 {len(table)} 人。",
             "判定依据为区级数据比对结果（主动筛查），请镇街联系本人核实后引导申请；第（十二）、（十三）项只能由本人申请。",
             "“提示”列所列情况不作为排除理由，请镇街核实。"]
    sheet = Sheet(
        name="引导申请名单",
        data=table,
        title=_title("引导申请名单", quarter, town, result.as_of),
        columns={"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text"), "判定依据": Col(wrap=True, width=60),
                 "提示": Col(wrap=True, width=40), "年龄": Col(kind="int")},
        highlight=table["提示"] != "",
        highlight_note="红色底纹：有“提示”事项，请镇街核实。",
        note_lines=notes,
        protect=False,
    )
    return write_workbook(path, [sheet])


def write_district_workbook(result: ScreeningResult, path: Path, quarter: str, problems: pd.DataFrame | None) -> Path:
    summary = result.town_category_table()
    excluded = excluded_table(result)
    sheets = [
        Sheet(name="汇总", data=summary, title=_title("主动筛查汇总", quarter, "全区", result.as_of),
              note_lines=summary_lines(result), protect=False),
        Sheet(name="排除名单", data=excluded, title=_title("主动筛查排除名单", quarter, "全区", result.as_of),
              columns={"公民身份号码": Col(kind="text"), "排除原因": Col(wrap=True, width=60),
                       "依据": Col(wrap=True, width=40)},
              note_lines=["排除：至少符合一个类别，但不满足一般条件或已认定；全部原因以“、”分隔。"]
              if not excluded.empty else ["本期无排除人员（0人）。"], protect=False),
    ]
    unknown = result.candidates[result.candidates["所属镇街"] == UNKNOWN_TOWN]
    if not unknown.empty:
        sheets.append(Sheet(name="镇街不明", data=unknown[TOWN_COLUMNS[1:]].reset_index(drop=True),
                            title=_title("符合条件但镇街不明的人员", quarter, "全区", result.as_of),
                            columns={"公民身份号码": Col(kind="text"), "联系电话": Col(kind="text")},
                            note_lines=["失业登记和户籍人口均未写所属镇街，请区级核实后转交镇街。"], protect=False))
    problems = problems if problems is not None else pd.DataFrame()
    sheets.append(Sheet(name="问题数据", data=problems.reset_index(drop=True),
                        title=_title("问题数据", quarter, "全区", result.as_of),
                        columns={"原值": Col(kind="text"), "行号": Col(kind="int")},
                        note_lines=["读入的每个文件：读入行数 = 使用行数 + 剔除行数；剔除的每一行都列在本表。"]
                        if not problems.empty else ["未发现问题数据。"], protect=False))
    if not result.sources.empty:
        sheets.append(Sheet(name="数据来源", data=result.sources,
                            title=_title("数据来源与行数", quarter, "全区", result.as_of), protect=False))
    return write_workbook(path, sheets)


# ------------------------------------------------------------------------------------------------------------- cache


def input_fingerprint(data_dir: Path) -> str:
    """Names, sizes and modification times of the data folder's files: the district run's cache key."""
    h = hashlib.sha256()
    for p in sorted(Path(data_dir).rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(data_dir)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def save_cache(result: ScreeningResult, work_dir: Path, key: str, problems: pd.DataFrame | None = None) -> Path:
    """The district run's result, for the town runs (personal data stays under outputs/, which git ignores)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    stem = work_dir / f"screening_{key}"
    result.people.to_parquet(stem.with_suffix(".parquet"), index=False)
    result.sources.to_parquet(stem.with_name(stem.name + "_sources.parquet"), index=False)
    meta = {"as_of": result.as_of.isoformat(), "missing": result.missing}
    stem.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return stem


def load_cache(work_dir: Path, key: str) -> ScreeningResult | None:
    stem = work_dir / f"screening_{key}"
    if not stem.with_suffix(".json").exists():
        return None
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    people = pd.read_parquet(stem.with_suffix(".parquet"))
    sources = pd.read_parquet(stem.with_name(stem.name + "_sources.parquet"))
    return ScreeningResult(dt.date.fromisoformat(meta["as_of"]), people, sources, meta["missing"])


def run(setup) -> tuple[ScreeningResult, DataSet | None]:
    """Read (or reuse the district run's result), decide, and return. ``setup`` is a NotebookSetup."""
    key = f"{setup.quarter_str}_{setup.as_of:%Y%m%d}_{input_fingerprint(setup.data_dir)}"
    if not setup.is_district:
        cached = load_cache(setup.work_dir, key)
        if cached is not None:
            return cached, None
    data = read_folder(setup.data_dir, as_of=setup.as_of, only=SOURCES)
    data.require(load_contract().required_sources[NOTEBOOK])
    result = screen(data, setup.as_of)
    if setup.is_district:
        save_cache(result, setup.work_dir, key)
    return result, data


# ----------------------------------------------------------------------------------------------------------- outputs


def figures(result: ScreeningResult, scope: str) -> dict[str, object]:
    """Charts of the candidates: by town (district) or by village (a town), and by category."""
    from . import charts

    out = {}
    cand = result.candidates
    if scope == "全区":
        by_town = cand["所属镇街"].value_counts().reindex(town_names(), fill_value=0)
        out["按镇街"] = charts.bar_chart(by_town, f"符合条件人数（按镇街）　{result.as_of:%Y-%m-%d}", ylabel="人数")
    else:
        by_village = cand["所属村居"].replace("", "（未填村居）").value_counts().sort_index()
        out["按村居"] = charts.bar_chart(by_village, f"{scope}符合条件人数（按村居）", xlabel="人数",
                                        horizontal=True, sort=True)
    out["按类别"] = charts.bar_chart(result.category_counts(), f"{scope}符合条件人数（按类别，可兼类）", xlabel="人数",
                                   horizontal=True)
    return out


def write_outputs(setup, result: ScreeningResult, data: DataSet | None) -> list[Path]:
    """Everything notebook 01 hands over: the district summary or the town's list, the charts, the run info."""
    from . import charts

    q = setup.quarter_str
    written: list[Path] = []
    if setup.is_district:
        problems = data.problems if data is not None else None
        written.append(write_district_workbook(result, setup.output_path(f"筛查汇总_{q}.xlsx"), q, problems))
        scope_result, scope = result, "全区"
    else:
        written.append(write_town_workbook(result, setup.town, setup.output_path(f"引导申请名单_{q}_{setup.town}.xlsx"), q))
        scope_result, scope = result.town(setup.town), setup.town
    for name, fig in figures(scope_result, scope).items():
        written.append(charts.save_png(fig, setup.output_path(f"筛查_{name}_{q}_{setup.scope_name}.png")))
    row_counts = {}
    if data is not None:
        row_counts = {"files": data.files[["来源", "文件", "读入行数", "使用行数", "剔除行数", "空行数"]].to_dict("records")}
    setup.write_info(row_counts=row_counts, figures={**scope_result.counts,
                                                    "按类别": scope_result.category_counts().to_dict()})
    return written


def problem_counts(data: DataSet) -> pd.DataFrame:
    """问题数据 counted by source, kind and handling (no personal data: for the leaders' report)."""
    from .io import problems as P

    p = data.problems
    if p.empty:
        return pd.DataFrame(columns=["来源", "问题类型", "处理", "行数"])
    table = p.groupby(["来源", "规则代码", "处理"]).size().rename("行数").reset_index()
    table.insert(1, "问题类型", table.pop("规则代码").map(lambda c: P.RULES.get(c, c)))
    return table


def category_labels() -> dict[str, str]:
    """Categories that screening can find: code → '01 大龄失业人员'."""
    return {c: label for c, label in _category_names().items() if c not in _application_only()}
