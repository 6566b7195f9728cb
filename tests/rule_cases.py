"""YAML rule cases (tests/rules/*.yaml), read by a small pytest collector (see conftest.py).

A file groups the cases of one clause::

    clause: 粤人社规〔2023〕11号 第一条第（一）项
    as_of: 2026-11-26                  # default evaluation date of the file's cases
    people:                            # aliases → synthetic identity numbers built with make_id
      p: {birth: 1986-11-26, sex: 女}  # region 441803 unless `region:` is given; `id:` gives a literal number
    base:                              # rows every case starts from (data-contract headers, Chinese)
      失业登记: [{公民身份号码: p, 失业登记日期: 2026-09-01}]
      户籍人口: [{公民身份号码: p, 户号: H1, 城乡属性: 城镇, 所属镇街: 太和镇}]
    cases:
      - name: 女性年满40周岁当日符合          # Chinese
        people: {p: {birth: 1986-11-26, sex: 女}}   # optional: override aliases
        sources: {...}                 # optional: replaces the base rows of the sources it names
        add: {...}                     # optional: rows appended to the base
        evaluate: [p]                  # default: every alias of `people`, in order (expect applies to the first)
        as_of / women_base / declared  # optional; declared: {alias: E2} — the town's answer
        mode: evaluate | exits         # exits: evaluate_exits over the ledger on as_of
        expect: {outcome, categories, exclusions, hints, general, exits, direct, verify, raises}

Identity numbers in cells may be aliases; the collector parses each row with the reader's cell parsers.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from jykn_lib.contract import load_contract
from jykn_lib.idcard import make_id
from jykn_lib.io.cells import Cells, Context, parse
from jykn_lib.params import ParameterError
from jykn_lib.rules.engine import evaluate, evaluate_exits

_SEQ = itertools.count(1)


def build_people(spec: dict) -> dict[str, str]:
    ids = {}
    for alias, p in (spec or {}).items():
        if "id" in p:
            ids[alias] = str(p["id"])
            continue
        birth = p["birth"] if isinstance(p["birth"], dt.date) else dt.date.fromisoformat(str(p["birth"]))
        seq = next(_SEQ) % 400 * 2 + (1 if p.get("sex", "男") == "男" else 2)
        ids[alias] = make_id(str(p.get("region", "441803")), birth, seq)
    return ids


def records_to_table(title: str, rows: list[dict], ids: dict[str, str]) -> pd.DataFrame:
    """Rows written with the contract's Chinese headers → the source table, parsed cell by cell by the reader's own
    parsers (jykn_lib.io.cells), so the cases go through the same typing as files do."""
    source = load_contract().source_for_title(title)
    by_header = {c.header: c for c in source.columns}
    unknown = {h for row in rows for h in row} - set(by_header)
    if unknown:
        raise ValueError(f"{title}: 未知表头 {sorted(unknown)}")
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
    out = {}
    for title, rows in (sources or {}).items():
        out[contract.source_for_title(title).name] = records_to_table(title, rows or [], ids)
    return out


def run_case(doc: dict, case: dict):
    people_spec = {**(doc.get("people") or {}), **(case.get("people") or {})}
    ids = build_people(people_spec)
    sources = {k: list(v or []) for k, v in (doc.get("base") or {}).items()}
    for title, rows in (case.get("sources") or {}).items():
        sources[title] = list(rows or [])
    for title, rows in (case.get("add") or {}).items():
        sources[title] = sources.get(title, []) + list(rows or [])
    tables = tables_from(sources, ids)
    as_of = pd.Timestamp(case.get("as_of", doc.get("as_of")))
    aliases = case.get("evaluate") or list(people_spec)
    if isinstance(aliases, str):
        aliases = [aliases]
    mode = case.get("mode", doc.get("mode", "evaluate"))
    if mode == "exits":
        declared = None
        if case.get("declared"):  # alias → the exit code(s) the town answered
            declared = pd.DataFrame([{"id_number": ids[a], "code": code} for a, codes in case["declared"].items()
                                     for code in ([codes] if isinstance(codes, str) else codes)])
        people = pd.DataFrame({"id_number": [ids[a] for a in aliases], "eval_date": as_of})
        if "women_base" in case:
            people["women_base"] = case["women_base"]
        return evaluate_exits(tables, as_of.date(), people=people, declared=declared), ids, aliases
    people = pd.DataFrame({"id_number": [ids[a] for a in aliases], "eval_date": as_of})
    if "women_base" in case:
        people["women_base"] = case["women_base"]
    return evaluate(people, tables), ids, aliases


def _codes(text: str) -> list[str]:
    return sorted(c for c in str(text).split(",") if c)


def check_case(doc: dict, case: dict) -> None:
    expect = case.get("expect") or {}
    if "raises" in expect:
        with pytest.raises(ParameterError) as err:
            run_case(doc, case)
        assert expect["raises"] in str(err.value), str(err.value)
        return
    ev, ids, aliases = run_case(doc, case)
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
    for key, want in expect.items():
        if key == "evidence":
            for code, fragment in want.items():
                fragment = fragment.isoformat() if hasattr(fragment, "isoformat") else str(fragment)
                texts = list(r.loc[r["code"] == code, "evidence"])
                assert texts and any(fragment in t for t in texts), f"{code} 的依据 {texts} 不含“{fragment}”"
            continue
        if isinstance(want, list):
            want = sorted(str(w) for w in want)
        assert got[key] == want, f"{key}: 期望 {want}，实际 {got[key]}（全部理由：{list(r['code'])}）"


class RuleCaseFile(pytest.File):
    def collect(self):
        doc = yaml.safe_load(Path(self.path).read_text(encoding="utf-8"))
        for i, case in enumerate(doc.get("cases") or []):
            yield RuleCaseItem.from_parent(self, name=f"{i:02d}-{case['name']}", doc=doc, case=case)


class RuleCaseItem(pytest.Item):
    def __init__(self, *, doc, case, **kwargs):
        super().__init__(**kwargs)
        self.doc = doc
        self.case = case

    def runtest(self):
        check_case(self.doc, self.case)

    def reportinfo(self):
        return self.path, 0, f"{self.doc.get('clause', '')} — {self.case['name']}"

    def repr_failure(self, excinfo):
        return f"{self.doc.get('clause', '')} — {self.case['name']}\n{excinfo.getrepr(style='short')}"
