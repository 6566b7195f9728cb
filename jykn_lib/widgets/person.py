"""人员查询: one person by identity number (validated as typed) or by name (a pick list when several match).

    a = lookup(ctx, "张三")        # Lookup: kind "person" (with the panel), "choices", "invalid", "not_found" or "empty"
    html = panel(ctx, id_number)   # the whole panel of one person

The panel: identity (birth date, sex, age, statutory retirement date), hukou and household, each source the person
appears in (every row, conflicting ones marked), the ledger's status and categories, the service history as a
timeline, the decision of the rule engine on the reference date, open flags (exit signals of
:func:`jykn_lib.rules.engine.evaluate_exits`; overdue services from 03's kept results when there are any), the audit
history (02's kept results, this quarter and earlier) and the rows of every other kept result that concern the person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import ipywidgets as W
import pandas as pd

from .. import idcard
from ..rules.engine import OUTCOMES, evaluate, evaluate_exits, recognised_people
from ..rules.reasons import join_labels
from . import common as C
from .context import QueryContext

NOTEBOOK_TITLES = {"01": "主动筛查", "02": "定期审验", "03": "台账审核", "04": "年度考核", "05": "认定审核"}
_ID_LIKE = re.compile(r"^[0-9Xx*]+$")
META_HEADERS = {"_file": "文件", "_sheet": "工作表", "_row": "行号"}
MAX_CHOICES = 200  # a pick list longer than this asks for the full name instead
ROW_LIMIT = 24  # rows shown per source (社保缴费 has one per month); the count is always shown


@dataclass
class Lookup:
    kind: str  # empty | invalid | not_found | person | choices
    html: str = ""
    id_number: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, identity number)


def _looks_like_id(text: str) -> bool:
    return bool(_ID_LIKE.match(idcard.normalize(text)))


def lookup(ctx: QueryContext, text: str) -> Lookup:
    """What the form shows for what was typed: the panel, a pick list of names, or the Chinese reason it can't."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return Lookup("empty")
    if _looks_like_id(raw):
        check = idcard.validate(raw, on=ctx.as_of)
        if not check.ok:
            return Lookup("invalid", C.answer(C.error(check.message)))
        if not _known(ctx, check.id_number):
            return Lookup("not_found", C.answer(C.para(f"数据文件夹的各来源和保存的结果中都没有公民身份号码为 "
                                                      f"{check.id_number} 的人。")), check.id_number)
        return Lookup("person", panel(ctx, check.id_number), check.id_number)
    hits = ctx.find_name(raw)
    if hits.empty:
        return Lookup("not_found", C.answer(C.para(f"没有找到姓名为“{raw}”（或包含“{raw}”）的人。")))
    if len(hits) == 1:
        pid = hits["公民身份号码"].iloc[0]
        return Lookup("person", panel(ctx, pid), pid)
    more = f"列表中只列出前 {MAX_CHOICES} 人，请输入完整姓名或身份证号。" if len(hits) > MAX_CHOICES else "请从列表中选择。"
    return Lookup("choices", C.answer(C.para(f"有 {len(hits)} 人与“{raw}”匹配，{more}")),
                  choices=choice_labels(hits.head(MAX_CHOICES), ctx))


def choice_labels(hits: pd.DataFrame, ctx: QueryContext) -> list[tuple[str, str]]:
    """'张三　女　1980-05-17　太和镇黄坑村　441803********1234' for each match (masked: the list is only to choose)."""
    parsed = idcard.parse_ids(hits["公民身份号码"].reset_index(drop=True))
    where = hits["所属镇街"].fillna("").astype(str) + hits["所属村居"].fillna("").astype(str)
    born = pd.to_datetime(parsed["birth_date"]).dt.strftime("%Y-%m-%d").fillna("")
    labels = (hits["姓名"].astype(str).to_numpy() + "　" + parsed["sex"].fillna("").to_numpy() + "　"
              + born.to_numpy() + "　" + where.to_numpy() + "　" + hits["公民身份号码"].map(idcard.mask).to_numpy())
    return list(zip(labels.tolist(), hits["公民身份号码"].tolist()))


def _known(ctx: QueryContext, pid: str) -> bool:
    if (ctx.directory["公民身份号码"] == pid).any():
        return True
    if any(len(ctx.source_rows(name, pid)) for name in ctx.data.tables):
        return True
    return any(b.rows_of(pid) for b in ctx.kept)


# -------------------------------------------------------------------------------------------------------- the panel


def _chinese(ctx: QueryContext, source: str, rows: pd.DataFrame) -> pd.DataFrame:
    """A source's rows with the contract's Chinese headers (and 文件/行号; 采用 when conflicting rows were kept)."""
    src = ctx.contract[source]
    headers = src.headers()
    cols = [c for c in src.fields if c in rows.columns]
    out = rows[cols].rename(columns=headers)
    for c in src.columns:
        if c.type == "bool" and c.header in out:
            out[c.header] = rows[c.field].map({True: c.true, False: c.false})
        elif c.type in ("categories", "exit_reason") and c.header in out:
            out[c.header] = rows[c.field].fillna("").map(lambda v: join_labels(v, ctx.params.reasons(ctx.as_of)))
    if "_chosen" in rows and not rows["_chosen"].all():
        out["采用"] = rows["_chosen"].map({True: "是（采用）", False: "否（冲突，未采用）"})
    for k, v in META_HEADERS.items():
        if k in rows and k != "_sheet":
            out[v] = rows[k]
    return out


def _identity(ctx: QueryContext, pid: str, facts: pd.Series) -> str:
    name = ctx.directory.loc[ctx.directory["公民身份号码"] == pid, "姓名"]
    base = ("" if facts["sex"] == "男" else
            (f"{int(facts['women_base'])}（台账记载）" if facts["women_base_given"] else "未记录（按规则默认基准）"))
    items = [("姓名", name.iloc[0] if len(name) else ""), ("公民身份号码", pid),
             ("出生日期", facts["birth_date"]), ("性别", facts["sex"]), (f"年龄（{ctx.as_of:%Y-%m-%d}）", facts["age"]),
             ("法定退休日期", facts["retirement_date"])] + ([("女性退休基准", base)] if base else [])
    return C.section("身份", C.pairs(items))


def _hukou(ctx: QueryContext, pid: str) -> str:
    rows = ctx.source_rows("hukou", pid)
    if rows.empty:
        return C.section("户籍与家庭", C.note("户籍人口中没有此人。"))
    parts = [_table_of(ctx, "hukou", rows)]
    hh = rows.loc[rows.get("_chosen", pd.Series(True, index=rows.index)).astype(bool), "household_id"].dropna()
    hukou = ctx.data.tables.get("hukou")
    if len(hh) and hukou is not None:
        members = hukou[hukou["household_id"].isin(hh) & (hukou["id_number"].astype(str) != pid)]
        if len(members):
            parsed = idcard.parse_ids(members["id_number"].astype(str).reset_index(drop=True))
            from ..dates import age_on

            family = pd.DataFrame({
                "姓名": members["name"].to_numpy(), "与户主关系": members["relation"].to_numpy(),
                "性别": parsed["sex"].to_numpy(), "年龄": age_on(parsed["birth_date"].to_numpy(), ctx.as_of),
                "户籍状态": members["hukou_status"].to_numpy(),
                "公民身份号码": members["id_number"].astype(str).map(idcard.mask).to_numpy()})
            parts.append(C.para(f"同一户号（{'、'.join(map(str, hh.unique()))}）的其他成员 {len(family)} 人："))
            parts.append(C.table(family))
        else:
            parts.append(C.note("同一户号中没有其他成员。"))
    return C.section("户籍与家庭", *parts)


def _table_of(ctx, source, rows) -> str:
    if "period" in rows:
        rows = rows.sort_values("period", ascending=False, kind="stable")
    return C.table(_chinese(ctx, source, rows), limit=ROW_LIMIT)


def _sources(ctx: QueryContext, pid: str) -> str:
    found, absent = [], []
    for name in ctx.contract.sources:
        if name in ("hukou", "ledger"):  # shown in their own sections above
            continue
        title = ctx.contract[name].title
        if name not in ctx.data.tables:
            absent.append(title + ("（未提供）" if name in ctx.data.missing else "（无法使用）"))
            continue
        rows = ctx.source_rows(name, pid)
        if rows.empty:
            absent.append(title)
            continue
        found.append(C.para(f"{title}（{len(rows)} 条）") + _table_of(ctx, name, rows))
    body = found or [C.note("除户籍人口和台账（见上）外，没有出现在其他来源中。")]
    return C.section("出现在哪些数据来源", *body, C.note("未出现：" + "、".join(absent) + "。") if absent else "")


def _ledger(ctx: QueryContext, pid: str) -> str:
    rows = ctx.source_rows("ledger", pid)
    if rows.empty:
        return C.section("台账状态与类别", C.note("就业困难人员台账中没有此人（未认定）。"))
    rows = rows.sort_values("recognised_date", kind="stable")
    current = rows[rows["status"] == "有效"]
    reasons = ctx.params.reasons(ctx.as_of)
    if len(current):
        r = current.iloc[-1]
        head = C.para(f"状态：有效；认定类别：{join_labels(r['categories'] or '', reasons)}；"
                      f"认定日期 {C.text(r['recognised_date'])}；就业状态：{C.text(r.get('employment_status')) or '未填'}；"
                      f"分级：{C.text(r.get('grade')) or '未填'}。")
    else:
        r = rows.iloc[-1]
        head = C.para(f"状态：已退出（退出日期 {C.text(r.get('exit_date')) or '未填'}，"
                      f"退出原因 {join_labels(C.text(r.get('exit_reason')), reasons) if C.text(r.get('exit_reason')) else '未填'}）。")
    return C.section("台账状态与类别", head, C.para(f"台账中共 {len(rows)} 条认定记录："),
                     C.table(_chinese(ctx, "ledger", rows)))


def timeline_events(ctx: QueryContext, pid: str) -> pd.DataFrame:
    """日期 + 事项, in date order: registrations, recognitions and exits, services, posts, applications."""
    ev = []

    def add(source, date_col, what):
        rows = ctx.source_rows(source, pid)
        if rows.empty or date_col not in rows:
            return
        rows = rows[rows[date_col].notna()]
        if len(rows):
            ev.append(pd.DataFrame({"日期": pd.to_datetime(rows[date_col]).to_numpy(), "事项": what(rows).to_numpy()}))

    def s(rows, col):
        return rows[col].fillna("").astype(str) if col in rows else pd.Series("", index=rows.index)

    add("unemployment", "reg_date", lambda r: "失业登记" + s(r, "reg_status").map(lambda v: f"（{v}）" if v else ""))
    add("unemployment", "cancel_date", lambda r: pd.Series("失业登记注销", index=r.index))
    add("ledger", "recognised_date", lambda r: "认定为就业困难人员：" + s(r, "categories").map(
        lambda v: join_labels(v, ctx.params.reasons(ctx.as_of))))
    add("ledger", "exit_date", lambda r: "退出：" + s(r, "exit_reason").map(
        lambda v: join_labels(v, ctx.params.reasons(ctx.as_of)) if v else "原因未填"))
    add("services", "service_date", lambda r: "帮扶服务：" + s(r, "service_type") + s(r, "method").map(
        lambda v: f"（{v}）" if v else "") + s(r, "result").map(lambda v: f" → {v}" if v else "")
        + s(r, "clerk").map(lambda v: f"，经办人 {v}" if v else ""))
    add("posts", "start_date", lambda r: "公益性岗位上岗：" + s(r, "post_name") + "（" + s(r, "post_id") + "）")
    add("posts", "leave_date", lambda r: "公益性岗位离岗：" + s(r, "post_name") + "（" + s(r, "post_id") + "）")
    add("applications", "apply_date", lambda r: "提出认定申请（" + s(r, "application_id") + "）")
    if not ev:
        return pd.DataFrame(columns=["日期", "事项"])
    out = pd.concat(ev, ignore_index=True).sort_values("日期", kind="stable").reset_index(drop=True)
    return out


def _timeline(ctx: QueryContext, pid: str) -> str:
    events = timeline_events(ctx, pid)
    if events.empty:
        return C.section("服务与经历时间线", C.note("没有失业登记、认定、帮扶服务、公益性岗位或申请记录。"))
    n_services = int(events["事项"].str.startswith("帮扶服务").sum())
    items = "".join(f"<li><b>{C.esc(d)}</b>　{C.esc(e)}</li>" for d, e in events.itertuples(index=False))
    return C.section("服务与经历时间线", C.para(f"帮扶服务 {n_services} 次；全部事项按日期排列："),
                     f"<ol class='jykn-timeline'>{items}</ol>")


def _decision(ctx: QueryContext, pid: str, tables) -> tuple[str, pd.Series]:
    people = pd.DataFrame({"id_number": [pid], "eval_date": [pd.Timestamp(ctx.as_of)]})
    ev = evaluate(people, tables, ctx.params)  # the ledger's own 女性退休基准 applies (no women_base column)
    row, reasons = ev.summary.iloc[0], ctx.params.reasons(ctx.as_of)
    lines = [reasons[c].text(e or None) for c, e in zip(ev.reasons["code"], ev.reasons["evidence"].fillna("").astype(str))
             if reasons[c].kind in ("category", "exclusion", "hint")]
    body = [C.para(f"结论：{OUTCOMES[row['outcome']]}（一般条件 " + "、".join(
        f"{g}{'✓' if row[g] else '✗'}" for g in ("G1", "G2", "G3", "G4")) + "）"), C.bullet(lines)]
    return C.section(f"按现有数据在基准日 {ctx.as_of:%Y-%m-%d} 的判定（规则引擎）", *body), ev.facts.iloc[0]


def _flags(ctx: QueryContext, pid: str, tables) -> str:
    parts = []
    people = recognised_people(tables, ctx.as_of)
    people = people[people["id_number"].astype(str) == pid]
    if people.empty:
        parts.append(C.note(f"退出情形：此人在 {ctx.as_of:%Y-%m-%d} 不是台账有效人员，不检查。"))
    else:
        ex = evaluate_exits(tables, ctx.as_of, people=people, params=ctx.params)
        reasons = ctx.params.reasons(ctx.as_of)
        direct = set(ctx.params["rules.exits.direct_codes"].at(ctx.as_of))
        lines = [reasons[c].text(e or None) + ("　［区直接办理］" if c in direct else "　［需镇街核实］")
                 for c, e in zip(ex.reasons["code"], ex.reasons["evidence"].fillna("").astype(str))]
        parts.append(C.para("退出情形（按数据提示）：") + C.bullet(lines) if lines else C.para("退出情形：按数据未发现。"))
    ledger_review = ctx.bundles("03", current=True)
    if not ledger_review:
        parts.append(C.note(f"逾期服务：未计算（{ctx.quarter} 没有台账审核（03）保存的结果）。"))
    else:
        rows = _kept_rows(ledger_review, pid)
        parts.append(rows or C.para("逾期服务：台账审核（03）保存的结果中没有此人。"))
    return C.section("待处理事项", *parts)


def readable(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A kept table's rows as a person reads them: ``outcome`` in Chinese, the other code columns (ASCII names such as
    ``categories``, whose Chinese text the table carries beside them) left out; returns how many were left out."""
    out = rows.copy()
    if "outcome" in out:
        out["outcome"] = out["outcome"].map(OUTCOMES).fillna(out["outcome"])
    out = out.rename(columns={"id_number": "公民身份号码", "town": "所属镇街", "outcome": "结论"})
    codes = [c for c in out.columns if str(c).isascii()]
    return out.drop(columns=codes), len(codes)


def _kept_rows(bundles, pid: str, with_quarter: bool = False) -> str:
    parts = []
    for b in bundles:
        for table, rows in b.rows_of(pid).items():
            rows, hidden = readable(rows)
            what = b.description(table) or table
            where = f"{b.quarter} " if with_quarter else ""
            title = f"{where}{NOTEBOOK_TITLES.get(b.notebook, 'Notebook ' + b.notebook)}（{b.name}）：{what}"
            stale = "　（保存后数据文件已变化，请重新运行该 Notebook）" if b.stale else ""
            shown = rows.T.reset_index() if len(rows) == 1 else rows
            if len(rows) == 1:
                shown.columns = ["项目", "内容"]
            more = C.note(f"（另有 {hidden} 个代码列未显示）") if hidden else ""
            parts.append(C.para(title + stale) + C.table(shown, limit=ROW_LIMIT) + more)
    return "".join(parts)


def _audits(ctx: QueryContext, pid: str) -> str:
    audits = ctx.bundles("02")
    if not audits:
        return C.section("审验记录", C.note("没有定期审验（02）保存的结果。"))
    rows = _kept_rows(audits, pid, with_quarter=True)
    return C.section("审验记录", rows or C.note("定期审验（02）保存的结果中没有此人。"))


def _other_kept(ctx: QueryContext, pid: str) -> str:
    others = [b for b in ctx.bundles(current=True) if b.notebook not in ("02", "03")]
    if not others:
        return C.section("本季度保存的其他结果", C.note(f"{ctx.quarter} 还没有保存的结果（先运行主动筛查等 Notebook 的区汇总）。"))
    rows = _kept_rows(others, pid)
    return C.section("本季度保存的其他结果", rows or C.note("本季度保存的结果中没有此人。"))


def panel(ctx: QueryContext, pid: str) -> str:
    """The whole panel of one person (HTML)."""
    tables = ctx.subset([pid])
    decision, facts = _decision(ctx, pid, tables)
    return C.answer(_identity(ctx, pid, facts), _hukou(ctx, pid), _ledger(ctx, pid), _timeline(ctx, pid),
                    decision, _flags(ctx, pid, tables), _audits(ctx, pid), _other_kept(ctx, pid), _sources(ctx, pid))


# ---------------------------------------------------------------------------------------------------------- the form


class PersonForm(W.VBox):
    """A text box (identity number or name), a pick list shown when several people match, and the answer."""

    def __init__(self, ctx: QueryContext):
        self.ctx = ctx
        self.box = W.Text(description="身份证号或姓名", placeholder="输入18位公民身份号码（全角、小写x均可）或姓名",
                          continuous_update=True, style={"description_width": "100px"}, layout=W.Layout(width="520px"))
        self.box.add_class("jykn-person-query")
        self.pick = W.Select(description="同名人员", options=[], rows=6, style={"description_width": "100px"},
                             layout=W.Layout(width="640px", display="none"))
        self.output = W.HTML()
        self.output.add_class("jykn-person-answer")
        self.box.observe(self._typed, names="value")
        self.pick.observe(self._picked, names="value")
        super().__init__([W.HTML("<b>人员查询</b>：按身份证号或姓名查询一个人的全部情况。"), self.box, self.pick, self.output])

    def _typed(self, change=None) -> None:
        found = lookup(self.ctx, self.box.value)
        if found.kind == "choices":
            self.pick.unobserve(self._picked, names="value")
            self.pick.options = found.choices
            self.pick.value = None
            self.pick.observe(self._picked, names="value")
            self.pick.layout.display = None
        else:
            self.pick.options = []
            self.pick.layout.display = "none"
        self.output.value = found.html

    def _picked(self, change=None) -> None:
        if self.pick.value:
            self.output.value = panel(self.ctx, self.pick.value)


def person_form(ctx: QueryContext) -> PersonForm:
    return PersonForm(ctx)
