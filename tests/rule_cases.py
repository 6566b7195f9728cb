"""YAML rule cases (tests/rules/*.yaml), read by a small pytest collector (see conftest.py).

A file groups the cases of one clause::

    clause: 粤人社规〔2023〕11号 第一条第（一）项
    as_of: 2026-11-26                  # default evaluation date of the file's cases
    mode: evaluate                     # optional default mode of the file's cases (evaluate | exits)
    people:                            # aliases → synthetic identity numbers built with make_id
      p: {birth: 1986-11-26, sex: 女}  # region 441803 unless `region:` is given; or `id:` alone, a literal number
    base:                              # rows every case starts from (data-contract titles and headers, Chinese)
      失业登记: [{公民身份号码: p, 失业登记日期: 2026-09-01}]
      户籍人口: [{公民身份号码: p, 户号: H1, 城乡属性: 城镇, 所属镇街: 太和镇}]
    cases:
      - name: 女性年满40周岁当日符合          # Chinese
        people: {p: {birth: 1986-11-26, sex: 女}}   # optional: override aliases
        sources: {...}                 # optional: replaces the base rows of the sources it names
        add: {...}                     # optional: rows appended to the base
        evaluate: [p]                  # default: every alias of `people`, in order (expect applies to the first)
        as_of / women_base / mode      # optional
        declared: {p: E3}              # exits mode only: the towns' answers, alias → exit code(s) (rules.exits.town_answer_codes)
        expect: {...}                  # required, not empty

``expect`` keys by mode — evaluate: outcome, categories, exclusions, hints, general; exits: exits, direct, verify;
both: evidence ({code: fragment of its evidence text}) and raises (a fragment of the ParameterError, alone).

The files are strict (openfisca's TEST_KEYWORDS): a key that is not in the schema at any level — file, case,
person, expect, a source title or a column header — fails the case with the file, the case and the key named, so a
typo (``expext:``) can never pass without asserting anything. Codes are checked against params/reasons.yaml, and a
key written twice in one mapping is refused (plain YAML would keep only the last). Identity numbers in cells may be
aliases; the collector parses each row with the reader's cell parsers.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError, model_validator

from jykn_lib.contract import load_contract
from jykn_lib.idcard import make_id
from jykn_lib.io.cells import Cells, Context, parse
from jykn_lib.params import ParameterError, load_yaml, read_yaml_strict
from jykn_lib.params import load_parameters
from jykn_lib.rules.engine import OUTCOMES, evaluate, evaluate_exits

# --- the schema -------------------------------------------------------------------------------------------------------

MODE_EXPECT_KEYS = {
    "evaluate": ("outcome", "categories", "exclusions", "hints", "general", "evidence", "raises"),
    "exits": ("exits", "direct", "verify", "evidence", "raises"),
}
# expect key → the kind of reason code (params/reasons.yaml) its items must be
CODE_KINDS = {"categories": "category", "exclusions": "exclusion", "hints": "hint", "general": "general",
              "exits": "exit", "direct": "exit", "verify": "exit"}


class RuleCaseError(Exception):
    """A rule-case file or case does not follow the schema. The message names the file, the case and the key."""


def _as_date(value: Any) -> Any:
    # YAML gives dates; a quoted ISO string is accepted too. A number is refused (pydantic would read it as a timestamp).
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"日期“{value}”须写成 YYYY-MM-DD") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError(f"{value!r} 不是日期（须写成 YYYY-MM-DD）")


def _as_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else str(value) if isinstance(value, int) else value


Date = Annotated[dt.date, BeforeValidator(_as_date)]
Fragment = Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
Codes = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Person(_Strict):
    birth: Date | None = None
    sex: Literal["男", "女"] = "男"
    region: str = Field("441803", pattern=r"^\d{6}$")
    id: str | None = None

    @model_validator(mode="after")
    def _birth_or_id(self):
        if self.id is not None and self.model_fields_set - {"id"}:
            raise ValueError("写了 id 时不能再写 birth/sex/region（它们会被忽略）")
        if self.id is None and self.birth is None:
            raise ValueError("须写 birth（出生日期）或 id（身份号码）")
        return self


Rows = dict[str, list[dict[str, Any]]]


class Expect(_Strict):
    outcome: str | None = None
    categories: Codes | None = None
    exclusions: Codes | None = None
    hints: Codes | None = None
    general: Codes | None = None
    exits: Codes | None = None
    direct: Codes | None = None
    verify: Codes | None = None
    evidence: dict[str, Fragment] | None = Field(None, min_length=1)
    raises: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _asserts_something(self):
        if not self.model_fields_set:
            raise ValueError("expect 为空：用例没有断言任何结果")
        if self.raises is not None and len(self.model_fields_set) > 1:
            raise ValueError("raises 只能单独使用：报错时其他期望不会被检查")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"outcome “{self.outcome}”不是 {'、'.join(OUTCOMES)} 之一")
        return self


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Case(_Strict):
    name: str = Field(min_length=1)
    people: dict[str, Person] = {}
    sources: Rows = {}
    add: Rows = {}
    evaluate: Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)] | None = None
    as_of: Date | None = None
    women_base: Literal[50, 55] | None = None
    declared: dict[str, str | list[str]] | None = None
    mode: Literal["evaluate", "exits"] | None = None
    expect: Expect


class RuleFile(_Strict):
    clause: str = Field(min_length=1)
    as_of: Date | None = None
    mode: Literal["evaluate", "exits"] = "evaluate"
    people: dict[str, Person] = {}
    base: Rows = {}
    cases: list[dict[str, Any]] = Field(min_length=1)  # each validated as a Case, one by one


@functools.lru_cache(maxsize=1)
def _reason_codes() -> dict[str, set[str]]:
    """kind → codes, from params/reasons.yaml and each notebook's params/reasons/*.yaml."""
    from jykn_lib.params import params_dir
    from jykn_lib.rules.reasons import reason_files

    root = params_dir()
    out: dict[str, set[str]] = {}
    for path in reason_files(root):
        for kind, codes in (load_yaml(str(path.relative_to(root))) or {}).items():
            out.setdefault(kind, set()).update(codes or {})
    return out


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed where ``loc`` points, following it through the schema's fields, lists and dicts."""
    tp: Any = model
    for part in loc[:-1]:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            tp = tp.model_fields[part].annotation if part in tp.model_fields else None
        else:
            args = typing.get_args(tp)
            tp = args[-1] if args else None
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _where(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "（顶层）"


def _messages(err: ValidationError, model: type[BaseModel], prefix: tuple = ()) -> list[str]:
    out = []
    for e in err.errors():
        loc = prefix + tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            allowed = "、".join(_allowed_keys(model, tuple(e["loc"])))
            out.append(f"{_where(loc)}：未知键“{loc[-1]}”（允许的键：{allowed}；是否拼写错误？）")
        elif e["type"] == "missing":
            out.append(f"{_where(loc)}：缺少必填键“{loc[-1]}”")
        else:
            out.append(f"{_where(loc)}：{e['msg'].removeprefix('Value error, ')}（实际值 {e.get('input')!r}）")
    return out


def _row_problems(rows: Rows, where: str) -> list[str]:
    """Source titles and column headers against the data contract."""
    contract = load_contract()
    out = []
    for title, table in rows.items():
        if title not in contract.by_title:
            out.append(f"{where}：未知的来源表“{title}”（数据契约中的来源：{'、'.join(contract.by_title)}）")
            continue
        headers = [c.header for c in contract.by_title[title].columns]
        for i, row in enumerate(table):
            for header in row:
                if header not in headers:
                    out.append(f"{where}.{title}[{i}]：来源表“{title}”没有表头“{header}”（可用：{'、'.join(headers)}）")
    return out


def _code_problems(expect: Expect) -> list[str]:
    codes = _reason_codes()
    out = []
    for key, kind in CODE_KINDS.items():
        for code in getattr(expect, key) or []:
            known = f"C{code}" if kind == "category" else code
            if known not in codes.get(kind, set()):
                out.append(f"expect.{key}：未知的代码“{code}”（params/reasons.yaml 的 {kind} 中没有）")
    every = set().union(*codes.values())
    for code in expect.evidence or {}:
        if code not in every:
            out.append(f"expect.evidence：未知的理由代码“{code}”（params/reasons.yaml 中没有）")
    return out


def _cross_problems(doc: RuleFile, case: Case) -> list[str]:
    """What one case's fields mean together with its file: aliases, the date, the mode's expect keys."""
    out = []
    aliases = {**doc.people, **case.people}
    for alias in case.evaluate or []:
        if alias not in aliases:
            out.append(f"evaluate：别名“{alias}”不在 people 中（已有：{'、'.join(aliases)}）")
    if case.as_of is None and doc.as_of is None:
        out.append("缺少 as_of（用例和文件都没有写评估日期）")
    mode = case.mode or doc.mode
    allowed = MODE_EXPECT_KEYS[mode]
    for key in sorted(case.expect.model_fields_set - set(allowed)):
        out.append(f"expect.{key}：{mode} 模式下不会检查此键（{mode} 模式可用：{'、'.join(allowed)}）")
    if case.declared is not None:
        if mode != "exits":
            out.append("declared：只在 exits 模式下使用（镇街核实结果）")
        answer_codes = load_parameters()["rules.exits.town_answer_codes"].entries[-1].value
        for alias, codes in case.declared.items():
            if alias not in aliases:
                out.append(f"declared：别名“{alias}”不在 people 中")
            for code in [codes] if isinstance(codes, str) else codes:
                if code not in answer_codes:
                    out.append(f"declared.{alias}：“{code}”不是镇街可填报的退出原因（可用：{'、'.join(answer_codes)}）")
    return out + _row_problems(case.sources, "sources") + _row_problems(case.add, "add") + _code_problems(case.expect)


def _fail(path: Path, problems: list[str], case_label: str | None = None) -> RuleCaseError:
    head = f"规则用例文件 {path}" + (f" 用例 {case_label}" if case_label else "") + " 不符合格式："
    return RuleCaseError("\n  ".join([head, *problems]))


def case_label(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"{index:02d}「{name or '（无 name）'}」"


def validate_header(raw: Any, path: Path) -> RuleFile:
    """The file's own keys (everything but the contents of the cases); raises RuleCaseError."""
    if not isinstance(raw, dict):
        raise _fail(path, ["文件内容须是一个映射（clause、people、base、cases …）"])
    try:
        doc = RuleFile.model_validate(raw)
    except ValidationError as err:
        raise _fail(path, _messages(err, RuleFile)) from None
    problems = _row_problems(doc.base, "base")
    problems += [f"cases[{i}]：每个用例须是一个映射" for i, c in enumerate(doc.cases) if not isinstance(c, dict)]
    if problems:
        raise _fail(path, problems)
    return doc


def validate_case(doc: RuleFile, raw: Any, index: int, path: Path) -> Case:
    """One case against the schema and its file; raises RuleCaseError naming the file, the case and the key."""
    label = case_label(index, raw)
    try:
        case = Case.model_validate(raw)
    except ValidationError as err:
        raise _fail(path, _messages(err, Case), label) from None
    problems = _cross_problems(doc, case)
    if problems:
        raise _fail(path, problems, label)
    return case


def validate_file(raw: Any, path: Path) -> tuple[RuleFile, list[Case]]:
    """A whole file; raises RuleCaseError listing every problem of every case."""
    doc = validate_header(raw, path)
    cases, problems = [], []
    for i, item in enumerate(doc.cases):
        try:
            cases.append(validate_case(doc, item, i, path))
        except RuleCaseError as err:
            problems.append(str(err))
    if problems:
        raise RuleCaseError("\n".join(problems))
    return doc, cases


def read_file(path: Path) -> Any:
    try:
        return read_yaml_strict(Path(path))
    except ParameterError as err:
        raise RuleCaseError(str(err)) from None


# --- running a case ---------------------------------------------------------------------------------------------------

_SEQ = itertools.count(1)


def build_people(spec: dict[str, Person]) -> dict[str, str]:
    ids = {}
    for alias, p in spec.items():
        if p.id is not None:
            ids[alias] = p.id
            continue
        seq = next(_SEQ) % 400 * 2 + (1 if p.sex == "男" else 2)
        ids[alias] = make_id(p.region, p.birth, seq)
    return ids


def records_to_table(title: str, rows: list[dict], ids: dict[str, str]) -> pd.DataFrame:
    """Rows written with the contract's Chinese headers → the source table, parsed cell by cell by the reader's own
    parsers (jykn_lib.io.cells), so the cases go through the same typing as files do."""
    source = load_contract().source_for_title(title)
    ctx = Context.load(as_of=None)
    data = {}
    for col in source.columns:
        raw = [row.get(col.header) for row in rows]
        if col.type == "id":
            raw = [ids.get(str(v), v) if v is not None else None for v in raw]
        parsed = parse(col, Cells(np.array(raw, dtype=object)), ctx)
        bad = [m for m in parsed.message[np.asarray(parsed.error != None)]]  # noqa: E711
        if bad:
            raise ValueError(f"{title}.{col.header}: {bad}")
        data[col.field] = parsed.values.reset_index(drop=True)
    return pd.DataFrame(data, index=range(len(rows)))


def tables_from(sources: dict, ids: dict[str, str]) -> dict[str, pd.DataFrame]:
    contract = load_contract()
    return {contract.source_for_title(title).name: records_to_table(title, rows, ids) for title, rows in sources.items()}


def run_case(doc: RuleFile, case: Case):
    people_spec = {**doc.people, **case.people}
    ids = build_people(people_spec)
    sources = {k: list(v) for k, v in doc.base.items()}
    sources.update({title: list(rows) for title, rows in case.sources.items()})
    for title, rows in case.add.items():
        sources[title] = sources.get(title, []) + list(rows)
    tables = tables_from(sources, ids)
    as_of = pd.Timestamp(case.as_of or doc.as_of)
    aliases = case.evaluate or list(people_spec)
    people = pd.DataFrame({"id_number": [ids[a] for a in aliases], "eval_date": as_of})
    if case.women_base is not None:
        people["women_base"] = case.women_base
    if (case.mode or doc.mode) == "exits":
        declared = None
        if case.declared:
            declared = pd.DataFrame([{"id_number": ids[a], "code": code} for a, codes in case.declared.items()
                                     for code in ([codes] if isinstance(codes, str) else codes)])
        return evaluate_exits(tables, as_of.date(), people=people, declared=declared), ids, aliases
    return evaluate(people, tables), ids, aliases


def _codes(text: str) -> list[str]:
    return sorted(c for c in str(text).split(",") if c)


def check_case(doc: RuleFile, case: Case) -> None:
    expect = case.expect
    if expect.raises is not None:
        with pytest.raises(ParameterError) as err:
            run_case(doc, case)
        assert expect.raises in str(err.value), str(err.value)
        return
    ev = run_case(doc, case)[0]
    row = ev.summary.iloc[0]
    r = ev.reasons[ev.reasons["row"] == 0]
    got = {
        "outcome": row.get("outcome"),
        "categories": _codes(row.get("categories", "")),
        "exclusions": _codes(row.get("exclusions", "")),
        "hints": _codes(row.get("hints", "")),
        "general": sorted(r.loc[r["kind"] == "general", "code"]),
        "exits": _codes(row.get("exits", "")),
        "direct": _codes(row.get("direct", "")),
        "verify": _codes(row.get("verify", "")),
    }
    for key in sorted(expect.model_fields_set):
        want = getattr(expect, key)
        if key == "evidence":
            for code, fragment in want.items():
                texts = list(r.loc[r["code"] == code, "evidence"])
                assert texts and any(fragment in t for t in texts), f"{code} 的依据 {texts} 不含“{fragment}”"
            continue
        if isinstance(want, list):
            want = sorted(want)
        assert got[key] == want, f"{key}: 期望 {want}，实际 {got[key]}（全部理由：{list(r['code'])}）"


# --- the pytest collector ---------------------------------------------------------------------------------------------


class RuleCaseFile(pytest.File):
    """One tests/rules/*.yaml: the file's own keys are checked at collection, each case when it runs."""

    def collect(self):
        doc = validate_header(read_file(self.path), Path(self.path))
        for i, raw in enumerate(doc.cases):
            yield RuleCaseItem.from_parent(self, name=f"{i:02d}-{raw.get('name', '')}", doc=doc, raw=raw, index=i)


class RuleCaseItem(pytest.Item):
    def __init__(self, *, doc: RuleFile, raw: dict, index: int, **kwargs):
        super().__init__(**kwargs)
        self.doc = doc
        self.raw = raw
        self.index = index

    def runtest(self):
        case = validate_case(self.doc, self.raw, self.index, Path(self.path))
        check_case(self.doc, case)

    def reportinfo(self):
        return self.path, 0, f"{self.doc.clause} — {self.raw.get('name', '')}"

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, RuleCaseError):
            return str(excinfo.value)
        return f"{self.doc.clause} — {self.raw.get('name', '')}\n{excinfo.getrepr(style='short')}"
