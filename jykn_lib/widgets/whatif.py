"""资格测算 (what-if): one hypothetical person, decided by the rule engine on a date the analyst can move.

    s = Scenario(sex="男", birth_date=date(1966, 1, 20), registered=True, reg_date=date(2025, 3, 1))
    w = decide(s, date(2026, 5, 19), params)     # the engine's Evaluation for that date, with the tables it was given
    html = render(w, params)                      # decision, categories, exclusions, hints, clauses — as the engine says
    changes = timeline(s, date(2026, 5, 19), params)   # when the outcome changes around that date

The form's ticks and dates become the minimal source tables of the data contract (the reader's field names and
types) for that one person — and, for the household categories, the other members of the household — and
:func:`jykn_lib.rules.engine.evaluate` decides. There is no second rule implementation here: what is shown is the
engine's summary and reason codes, worded by ``params.reasons(on)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from itertools import pairwise

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import idcard
from ..params import ParameterError, Parameters
from ..rules.engine import OUTCOMES, Evaluation, evaluate
from . import common as C

NO_HUKOU = "户籍人口中无此人"
UNRECORDED = "未填"
WHATIF_NAME = "（测算）"
HOUSEHOLD_ID = "测算户"


@dataclass
class Scenario:
    """The facts of one hypothetical person. Dates left ``None`` where a tick is off."""

    id_number: str = ""  # when given (and valid), sex and birth date come from it
    sex: str = "女"
    birth_date: dt.date = dt.date(1980, 1, 1)
    women_base: int | None = None  # 50 / 55 / None (not recorded: the engine's rule for a blank base)
    hukou_status: str = "正常"  # 户籍状态, or NO_HUKOU
    area_type: str = "城镇"
    household_others: int = 0  # other members in the same 户号
    household_employed: bool = False  # one of them has 单位 contributions
    poverty: bool = False  # 原建档立卡
    registered: bool = True
    reg_date: dt.date | None = dt.date(2026, 1, 5)
    able: str = "有"  # 有 / 无 / 未填
    willing: str = "是"  # 是 / 否 / 未填
    disability: bool = False
    disability_date: dt.date | None = None
    dibao: bool = False
    dibao_start: dt.date | None = None
    dibao_end: dt.date | None = None
    landless: bool = False
    landless_date: dt.date | None = None
    special: str = ""  # 人员类型 of 特殊人员, or ""
    special_date: dt.date | None = None
    veteran: bool = False
    discharge_date: dt.date | None = None
    veteran_disability_cert: bool = False
    unit_contribution: bool = False
    unit_month: dt.date | None = None  # 费款所属期 (the month of this date)
    flex_contribution: bool = False
    flex_month: dt.date | None = None
    market_role: str = ""  # 法定代表人 / 负责人 / 经营者 / 股东 of a 存续 entity, or ""
    pension: bool = False
    pension_start: dt.date | None = None
    recognised: bool = False
    recognised_date: dt.date | None = None


def person_id(s: Scenario, params: Parameters) -> tuple[str, str, dt.date]:
    """(identity number, sex, birth date): from the typed number when valid, else one built from sex and birth date
    with the district's own region code (so that the 身份证地址码 is the province's)."""
    if s.id_number.strip():
        check = idcard.validate(s.id_number)
        if not check.ok:
            raise ValueError(check.message)
        return check.id_number, idcard.sex(check.id_number), idcard.birth_date(check.id_number)
    if s.birth_date is None:
        raise ValueError("请填写出生日期，或填写身份证号。")
    region = str(params.district["district"]["code"])
    return idcard.make_id(region, s.birth_date, 1 if s.sex == "男" else 2), s.sex, s.birth_date


def _ts(day) -> pd.Timestamp:
    return pd.Timestamp(day) if day is not None else pd.NaT


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _bool(word: str, yes: str, no: str):
    return True if word == yes else (False if word == no else pd.NA)


def build_tables(s: Scenario, params: Parameters) -> tuple[str, dict[str, pd.DataFrame]]:
    """The person's identity number and the source tables (contract field names and types) holding the scenario."""
    pid, _, _ = person_id(s, params)
    town = params.town_names()[0]
    name = WHATIF_NAME
    t: dict[str, pd.DataFrame] = {}
    members = [idcard.make_id(str(params.district["district"]["code"]), dt.date(1985, 1, 1) + dt.timedelta(days=k),
                              10 + k) for k in range(max(0, int(s.household_others)))]
    if s.hukou_status != NO_HUKOU:
        hukou = [{"id_number": pid, "name": name, "household_id": HOUSEHOLD_ID, "area_type": s.area_type,
                  "town": town, "village": None, "relation": "户主", "hukou_status": s.hukou_status,
                  "change_date": pd.NaT}]
        hukou += [{"id_number": m, "name": f"{name}家庭成员{k + 1}", "household_id": HOUSEHOLD_ID,
                   "area_type": s.area_type, "town": town, "village": None, "relation": "其他", "hukou_status": "正常",
                   "change_date": pd.NaT} for k, m in enumerate(members)]
        t["hukou"] = _frame(hukou, ["id_number", "name", "household_id", "area_type", "town", "village", "relation",
                                    "hukou_status", "change_date"])
    if s.registered and s.reg_date:
        t["unemployment"] = _frame([{
            "id_number": pid, "name": name, "reg_date": _ts(s.reg_date), "reg_status": "有效", "cancel_date": pd.NaT,
            "town": town, "village": None, "phone": None,
            "willing": _bool(s.willing, "是", "否"), "able": _bool(s.able, "有", "无")}],
            ["id_number", "name", "reg_date", "reg_status", "cancel_date", "town", "village", "phone", "willing",
             "able"]).astype({"willing": "boolean", "able": "boolean"})
    if s.disability:
        t["disability"] = _frame([{"id_number": pid, "name": name, "cert_no": pid + "11",
                                   "issue_date": _ts(s.disability_date), "cert_status": "有效"}],
                                 ["id_number", "name", "cert_no", "issue_date", "cert_status"])
    if s.dibao:
        kind = "城市低保" if s.area_type == "城镇" else "农村低保"
        t["dibao"] = _frame([{"id_number": pid, "name": name, "assistance_type": kind,
                              "start_date": _ts(s.dibao_start), "end_date": _ts(s.dibao_end)}],
                            ["id_number", "name", "assistance_type", "start_date", "end_date"])
    if s.landless:
        t["landless"] = _frame([{"id_number": pid, "name": name, "expropriation_date": _ts(s.landless_date),
                                 "all_land_lost": True}], ["id_number", "name", "expropriation_date", "all_land_lost"]
                               ).astype({"all_land_lost": "boolean"})
    if s.poverty:
        t["poverty"] = _frame([{"id_number": pid, "name": name}], ["id_number", "name"])
    if s.special:
        t["special"] = _frame([{"id_number": pid, "name": name, "person_type": s.special,
                                "date": _ts(s.special_date)}], ["id_number", "name", "person_type", "date"])
    if s.veteran:
        t["veteran"] = _frame([{"id_number": pid, "name": name, "discharge_date": _ts(s.discharge_date),
                                "disability_cert_no": "测算伤残证" if s.veteran_disability_cert else None}],
                              ["id_number", "name", "discharge_date", "disability_cert_no"])
    contributions = []
    if s.unit_contribution and s.unit_month:
        contributions.append({"id_number": pid, "period": s.unit_month.year * 100 + s.unit_month.month,
                              "contrib_type": "单位", "insurance": "养老", "employer": "（测算）某单位"})
    if s.flex_contribution and s.flex_month:
        contributions.append({"id_number": pid, "period": s.flex_month.year * 100 + s.flex_month.month,
                              "contrib_type": "灵活就业", "insurance": "养老", "employer": None})
    if s.household_employed and members:
        contributions += [{"id_number": members[0], "period": p, "contrib_type": "单位", "insurance": "养老",
                           "employer": "（测算）家庭成员单位"} for p in _all_months()]
    if contributions:
        t["contributions"] = _frame(contributions, ["id_number", "period", "contrib_type", "insurance", "employer"]
                                    ).astype({"period": "Int64"})
    if s.market_role:
        t["market"] = _frame([{"id_number": pid, "entity_name": "（测算）某市场主体", "role": s.market_role,
                               "entity_status": "存续", "founded_date": pd.NaT, "closed_date": pd.NaT}],
                             ["id_number", "entity_name", "role", "entity_status", "founded_date", "closed_date"])
    if s.pension and s.pension_start:
        t["pension"] = _frame([{"id_number": pid, "start_date": _ts(s.pension_start)}], ["id_number", "start_date"])
    if s.recognised and s.recognised_date:
        t["ledger"] = _frame([{"id_number": pid, "name": name, "town": town, "categories": "", "status": "有效",
                               "recognised_date": _ts(s.recognised_date), "women_base": s.women_base}],
                             ["id_number", "name", "town", "categories", "status", "recognised_date", "women_base"])
    return pid, t


def _all_months() -> list[int]:
    """Every month from 2000 to 2040: a household member employed throughout any window looked at."""
    months = pd.period_range("2000-01", "2040-12", freq="M")
    return list(months.year * 100 + months.month)


@dataclass
class WhatIf:
    scenario: Scenario
    id_number: str
    on: dt.date
    evaluation: Evaluation


def decide(s: Scenario, on: dt.date, params: Parameters) -> WhatIf:
    pid, tables = build_tables(s, params)
    people = pd.DataFrame({"id_number": [pid], "eval_date": [pd.Timestamp(on)],
                           "women_base": [float(s.women_base) if s.women_base else np.nan]})
    return WhatIf(s, pid, on, evaluate(people, tables, params))


def render(w: WhatIf, params: Parameters) -> str:
    """The decision as the engine gives it: outcome, G1–G4, categories, exclusions and hints with evidence and clause."""
    ev, on = w.evaluation, w.on
    reasons = params.reasons(on)
    row = ev.summary.iloc[0]
    f = ev.facts.iloc[0]
    long = ev.reasons
    parts = [C.para(f"判定日期 {on:%Y-%m-%d}：{OUTCOMES[row['outcome']]}")]
    facts = [("公民身份号码", w.id_number), ("性别", f["sex"]), ("出生日期", f["birth_date"]), ("年龄", f["age"]),
             ("法定退休日期", f["retirement_date"]),
             ("女性退休基准", "" if f["sex"] == "男" else (int(f["women_base"]) if f["women_base_given"]
                                                     else "未记录（按规则默认）"))]
    parts.append(C.section("测算对象", C.pairs(facts)))
    general = [f"{'✓' if row[g] else '✗'} {reasons[g].label}（{reasons[g].citation}）" for g in ("G1", "G2", "G3", "G4")]
    parts.append(C.section("一般条件", C.bullet(general)))
    for kind, title in (("category", "符合类别"), ("exclusion", "排除原因"), ("hint", "提示")):
        sub = long[long["kind"] == kind]
        lines = [reasons[code].text(ev_text or None) for code, ev_text in
                 zip(sub["code"], sub["evidence"].fillna("").astype(str))]
        parts.append(C.section(title, C.bullet(lines) if lines else C.note("（无）")))
    return "".join(parts)


def _valid_window(params: Parameters) -> tuple[dt.date, dt.date | None]:
    """The dates on which every parameter has a value: from the latest first entry to the earliest end."""
    first = max(p.entries[0].start for p in params.params.values())
    ends = [p.end for p in params.params.values() if p.end is not None]
    return first, (min(ends) if ends else None)


def _change_dates(params: Parameters, lo: dt.date, hi: dt.date) -> list[dt.date]:
    return sorted({e.start for p in params.params.values() for e in p.entries if lo < e.start <= hi})


def timeline(s: Scenario, on: dt.date, params: Parameters, before_days: int = 366, after_days: int = 3 * 366
             ) -> pd.DataFrame:
    """When the outcome changes between ``on − before_days`` and ``on + after_days``: one row per period with the
    same outcome, categories and exclusions (起始日期, 截止日期, 结论, 符合类别, 排除原因). The engine is asked once per
    day, in one vectorised call per stretch of unchanged parameters (a parameter's new value starts a new stretch)."""
    first, end = _valid_window(params)
    lo = max(on - dt.timedelta(days=before_days), first)
    hi = on + dt.timedelta(days=after_days)
    if end is not None:
        hi = min(hi, end - dt.timedelta(days=1))
    if hi < lo:
        return pd.DataFrame(columns=["起始日期", "截止日期", "结论", "符合类别", "排除原因"])
    pid, tables = build_tables(s, params)
    cuts = [lo, *_change_dates(params, lo, hi), hi + dt.timedelta(days=1)]
    pieces = []
    base = float(s.women_base) if s.women_base else np.nan
    for a, b in pairwise(cuts):
        days = pd.date_range(a, b - dt.timedelta(days=1), freq="D")
        people = pd.DataFrame({"id_number": pid, "eval_date": days, "women_base": base})
        summary = evaluate(people, tables, params).summary
        pieces.append(summary[["eval_date", "outcome", "categories", "exclusions"]])
    days = pd.concat(pieces, ignore_index=True)
    key = days["outcome"] + "|" + days["categories"] + "|" + days["exclusions"]
    start = key.ne(key.shift())
    days["_seg"] = start.cumsum()
    segs = days.groupby("_seg").agg(起始日期=("eval_date", "first"), 截止日期=("eval_date", "last"),
                                    outcome=("outcome", "first"), categories=("categories", "first"),
                                    exclusions=("exclusions", "first"))
    reasons = params.reasons(on)
    names = {k: r.label for k, r in reasons.items()}
    segs["结论"] = segs["outcome"].map(OUTCOMES)
    segs["符合类别"] = segs["categories"].map(lambda c: "、".join(names[f"C{x}"] for x in c.split(",") if x))
    segs["排除原因"] = segs["exclusions"].map(lambda c: "、".join(names[x] for x in c.split(",") if x))
    out = segs[["起始日期", "截止日期", "结论", "符合类别", "排除原因"]].reset_index(drop=True)
    for col in ("起始日期", "截止日期"):
        out[col] = out[col].dt.date
    return out


def render_timeline(frame: pd.DataFrame, on: dt.date) -> str:
    if frame.empty:
        return C.note("该期间没有可用的参数，无法测算。")
    lo, hi = frame["起始日期"].iloc[0], frame["截止日期"].iloc[-1]
    lines = [f"{a:%Y-%m-%d} 至 {b:%Y-%m-%d}：{r}" + (f"（{c}）" if c else "") + (f"；排除：{x}" if x else "")
             for a, b, r, c, x in frame[["起始日期", "截止日期", "结论", "符合类别", "排除原因"]].itertuples(index=False)]
    return C.section(f"资格变化（{lo:%Y-%m-%d} 至 {hi:%Y-%m-%d}，其他条件不变）", C.bullet(lines))


def answer(s: Scenario, on: dt.date, params: Parameters, with_timeline: bool = True) -> str:
    """What the form shows for a scenario and decision date (an error in Chinese when the scenario is not usable)."""
    try:
        w = decide(s, on, params)
        parts = [render(w, params)]
        if with_timeline:
            parts.append(render_timeline(timeline(s, on, params), on))
    except (ValueError, ParameterError) as exc:
        return C.answer(C.error(str(exc)))
    return C.answer(*parts)


# ---------------------------------------------------------------------------------------------------------- the form


class WhatIfForm(W.VBox):
    """The widgets, named by the Scenario fields (``form.inputs["dibao_end"]``), the decision date, and the answer."""

    def __init__(self, params: Parameters, on: dt.date):
        self.params = params
        self.inputs: dict[str, W.Widget] = {}
        d = Scenario()
        i = self.inputs

        def date(name, label, value=None):
            i[name] = W.DatePicker(description=label, value=value, style={"description_width": "90px"})
            return i[name]

        def tick(name, label):
            i[name] = W.Checkbox(description=label, value=getattr(d, name), indent=False)
            return i[name]

        def choice(name, label, options, value=None):
            i[name] = W.Dropdown(description=label, options=options, value=getattr(d, name) if value is None else value,
                                 style={"description_width": "90px"})
            return i[name]

        contract = params.contract
        special = [("无", "")] + [(v, v) for v in contract["special"].column("person_type").values]
        roles = [("无", "")] + [(v, v) for v in contract["market"].column("role").values]
        hukou = [*contract["hukou"].column("hukou_status").values, NO_HUKOU]
        i["id_number"] = W.Text(description="身份证号", placeholder="可不填：按性别和出生日期测算",
                                style={"description_width": "90px"}, layout=W.Layout(width="380px"))
        person = W.VBox([
            i["id_number"], choice("sex", "性别", ["女", "男"]), date("birth_date", "出生日期", d.birth_date),
            choice("women_base", "女性退休基准", [("未记录", 0), ("50", 50), ("55", 55)], value=0),  # 0: not recorded
        ])
        household = W.VBox([
            choice("hukou_status", "户籍状态", hukou), choice("area_type", "城乡属性", ["城镇", "农村"]),
            W.BoundedIntText(description="同户其他人数", min=0, max=9, value=0, style={"description_width": "90px"}),
            tick("household_employed", "同户成员中有人就业（单位缴费）"), tick("poverty", "原建档立卡贫困家庭成员"),
        ])
        i["household_others"] = household.children[2]
        registration = W.VBox([
            tick("registered", "有失业登记"), date("reg_date", "登记日期", d.reg_date),
            choice("able", "劳动能力", ["有", "无", UNRECORDED]), choice("willing", "就业意愿", ["是", "否", UNRECORDED]),
        ])
        categories = W.VBox([
            W.HBox([tick("disability", "持有效残疾人证"), date("disability_date", "发证日期")]),
            W.HBox([tick("dibao", "享受低保"), date("dibao_start", "开始日期"), date("dibao_end", "结束日期")]),
            W.HBox([tick("landless", "因征地全部失地"), date("landless_date", "征地日期")]),
            W.HBox([choice("special", "特殊人员", special), date("special_date", "日期")]),
            W.HBox([tick("veteran", "退役军人"), date("discharge_date", "退役日期"),
                    tick("veteran_disability_cert", "持伤残证件")]),
        ])
        work = W.VBox([
            W.HBox([tick("unit_contribution", "有单位社保缴费"), date("unit_month", "费款所属月")]),
            W.HBox([tick("flex_contribution", "有灵活就业缴费"), date("flex_month", "费款所属月")]),
            choice("market_role", "市场主体身份", roles),
            W.HBox([tick("pension", "已领养老待遇"), date("pension_start", "开始日期")]),
            W.HBox([tick("recognised", "已认定（台账有效）"), date("recognised_date", "认定日期")]),
        ])
        sections = W.Accordion(children=[person, household, registration, categories, work])
        for k, t in enumerate(["本人", "户籍与家庭", "失业登记", "类别事实（勾选并填日期）", "就业、养老与台账"]):
            sections.set_title(k, t)
        sections.selected_index = 0
        self.on = W.DatePicker(description="判定日期", value=on, style={"description_width": "90px"})
        self.earlier = W.Button(description="前一天", layout=W.Layout(width="80px"))
        self.later = W.Button(description="后一天", layout=W.Layout(width="80px"))
        self.run = W.Button(description="测算", button_style="primary")
        self.output = W.HTML()
        self.output.add_class("jykn-whatif-answer")
        self.earlier.on_click(lambda _: self._shift(-1))
        self.later.on_click(lambda _: self._shift(1))
        self.run.on_click(lambda _: self.refresh())
        super().__init__([W.HTML("<b>资格测算</b>：勾选事实和日期，按规则引擎判定；可移动判定日期查看何时进入或退出资格。"),
                          sections, W.HBox([self.on, self.earlier, self.later, self.run]), self.output])

    def scenario(self) -> Scenario:
        values = {}
        for f in fields(Scenario):
            widget = self.inputs[f.name]
            values[f.name] = widget.value
        values["id_number"] = (values["id_number"] or "").strip()
        values["women_base"] = values["women_base"] or None
        return Scenario(**values)

    def _shift(self, days: int) -> None:
        if self.on.value is not None:
            self.on.value = self.on.value + dt.timedelta(days=days)
            self.refresh()

    def refresh(self) -> None:
        if self.on.value is None:
            self.output.value = C.answer(C.error("请填写判定日期。"))
            return
        self.output.value = answer(self.scenario(), self.on.value, self.params)


def whatif_form(params: Parameters, on: dt.date) -> WhatIfForm:
    return WhatIfForm(params, on)
