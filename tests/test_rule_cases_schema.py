"""The YAML rule cases are strict: a typo at any level fails, naming the file, the case and the key.

Each check comes in a pair: the broken case is refused, and its correct neighbour (the same case spelt right) passes,
so the test proves the check fires on the typo and on nothing else."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rule_cases import RuleCaseError, check_case, read_file, validate_file

TESTS = Path(__file__).parent
PATH = Path("tests/rules/示例.yaml")

GOOD_FILE = {
    "clause": "粤人社规〔2023〕11号 第一条第（一）项",
    "as_of": dt.date(2026, 11, 26),
    "people": {"p": {"birth": dt.date(1986, 11, 26), "sex": "女"}},
    "base": {
        "失业登记": [{"公民身份号码": "p", "失业登记日期": dt.date(2026, 9, 1)}],
        "户籍人口": [{"公民身份号码": "p", "户号": "H1", "城乡属性": "城镇", "所属镇街": "太和镇"}],
    },
    "cases": [{"name": "女性40周岁生日当天符合", "expect": {"outcome": "candidate", "categories": ["01"]}}],
}


def _file(case_patch=None, file_patch=None) -> dict:
    doc = copy.deepcopy(GOOD_FILE)
    if file_patch:
        file_patch(doc)
    if case_patch:
        case_patch(doc["cases"][0])
    return doc


def _rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _refused(doc: dict) -> str:
    with pytest.raises(RuleCaseError) as err:
        validate_file(doc, PATH)
    return str(err.value)


# (what is checked, the correct neighbour, the typo, fragments the error must contain)
PAIRS = [
    ("case key expect", lambda c: None, lambda c: _rename(c, "expect", "expext"),
     ["未知键“expext”", "缺少必填键“expect”"]),
    ("case key people",
     lambda c: c.update(people={"p": {"birth": dt.date(1986, 11, 26), "sex": "女"}}),
     lambda c: c.update(peeople={"p": {"birth": dt.date(1986, 11, 26), "sex": "女"}}),
     ["未知键“peeople”", "允许的键：name、people"]),
    ("expect key", lambda c: None, lambda c: _rename(c["expect"], "categories", "categoires"),
     ["expect.categoires", "未知键“categoires”"]),
    ("empty expect", lambda c: None, lambda c: c.update(expect={}), ["expect 为空"]),
    ("person spec key", lambda c: c.update(people={"p": {"birth": dt.date(1986, 11, 26), "sex": "女"}}),
     lambda c: c.update(people={"p": {"brith": dt.date(1986, 11, 26), "sex": "女"}}),
     ["people.p.brith", "未知键“brith”"]),
    ("source title in sources:",
     lambda c: c.update(sources={"失业登记": [{"公民身份号码": "p", "失业登记日期": dt.date(2026, 9, 1)}]}),
     lambda c: c.update(sources={"失业等级": [{"公民身份号码": "p", "失业登记日期": dt.date(2026, 9, 1)}]}),
     ["未知的来源表“失业等级”"]),
    ("source title in add:",
     lambda c: c.update(add={"残疾人": [{"公民身份号码": "p", "姓名": "甲", "残疾人证号": "R1"}]}),
     lambda c: c.update(add={"残疾人员": [{"公民身份号码": "p", "姓名": "甲", "残疾人证号": "R1"}]}),
     ["add", "未知的来源表“残疾人员”"]),
    ("column header",
     lambda c: c.update(sources={"失业登记": [{"公民身份号码": "p", "失业登记日期": dt.date(2026, 9, 1)}]}),
     lambda c: c.update(sources={"失业登记": [{"公民身份号码": "p", "失业登记日": dt.date(2026, 9, 1)}]}),
     ["没有表头“失业登记日”"]),
    ("reason code", lambda c: c["expect"].update(exclusions=["X_RETIRED"]),
     lambda c: c["expect"].update(exclusions=["X_RETIRD"]), ["未知的代码“X_RETIRD”"]),
    ("category code", lambda c: None, lambda c: c["expect"].update(categories=["1"]), ["未知的代码“1”"]),
    ("outcome", lambda c: None, lambda c: c["expect"].update(outcome="candiate"), ["candiate"]),
    ("an exits key in evaluate mode", lambda c: c["expect"].update(hints=[]),
     lambda c: c["expect"].update(exits=[]), ["expect.exits", "evaluate 模式下不会检查"]),
    ("evaluate alias", lambda c: c.update(evaluate=["p"]), lambda c: c.update(evaluate=["q"]),
     ["别名“q”不在 people 中"]),
    ("raises alone", lambda c: c.update(expect={"raises": "尚无取值"}),
     lambda c: c.update(expect={"raises": "尚无取值", "categories": []}), ["raises 只能单独使用"]),
    ("date", lambda c: c.update(as_of=dt.date(2026, 11, 26)), lambda c: c.update(as_of=20261126),
     ["as_of", "不是日期"]),
    ("women_base", lambda c: c.update(women_base=55), lambda c: c.update(women_base=45), ["women_base"]),
]


@pytest.mark.parametrize("good,bad,fragments", [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_a_typo_fails_and_its_correct_neighbour_passes(good, bad, fragments):
    validate_file(_file(good), PATH)  # the neighbour: no error
    message = _refused(_file(bad))
    for fragment in [str(PATH), "用例 00「女性40周岁生日当天符合」", *fragments]:
        assert fragment in message, message


FILE_PAIRS = [
    ("file key people", lambda d: None, lambda d: _rename(d, "people", "peeople"), ["未知键“peeople”"]),
    ("file key clause", lambda d: None, lambda d: _rename(d, "clause", "clase"),
     ["未知键“clase”", "缺少必填键“clause”"]),
    ("source title in base:", lambda d: None, lambda d: _rename(d["base"], "户籍人口", "户籍"),
     ["base", "未知的来源表“户籍”"]),
    ("no cases", lambda d: None, lambda d: d.update(cases=[]), ["cases"]),
    ("as_of nowhere", lambda d: d["cases"][0].update(as_of=dt.date(2026, 11, 26)) or d.pop("as_of"),
     lambda d: d.pop("as_of"), ["缺少 as_of"]),
]


@pytest.mark.parametrize("good,bad,fragments", [p[1:] for p in FILE_PAIRS], ids=[p[0] for p in FILE_PAIRS])
def test_a_file_level_typo_fails_and_its_correct_neighbour_passes(good, bad, fragments):
    validate_file(_file(file_patch=good), PATH)
    message = _refused(_file(file_patch=bad))
    for fragment in [str(PATH), *fragments]:
        assert fragment in message, message


def _exits_file(flags) -> dict:
    return {
        "clause": "退出情形",
        "as_of": dt.date(2026, 11, 26),
        "mode": "exits",
        "people": {"p": {"birth": dt.date(1980, 3, 1), "sex": "男"}},
        "base": {"就业困难人员台账": [{"公民身份号码": "p", "姓名": "甲", "所属镇街": "太和镇", "认定类别": "07",
                                     "认定日期": dt.date(2026, 10, 1), "状态": "有效"}]},
        "cases": [{"name": "E3 镇街核实已入学", "evaluate": ["p"], "declared": {"p": flags}, "expect": {"exits": ["E3"]}}],
    }


def test_a_misspelt_declared_code_fails_and_the_right_one_decides():
    doc, cases = validate_file(_exits_file("E3"), PATH)
    check_case(doc, cases[0])  # the engine really reads the town's answer: E3
    message = _refused(_exits_file("E33"))
    assert "“E33”不是镇街可填报的退出原因" in message and "用例 00「E3 镇街核实已入学」" in message
    # an exclusion code is never a town's answer (E1 is one since issue 10: women without a recorded base)
    assert "“X_RETIRED”不是镇街可填报的退出原因" in _refused(_exits_file("X_RETIRED"))


def test_an_evaluate_key_in_exits_mode_is_refused():
    doc = _exits_file("E3")
    doc["cases"][0]["expect"] = {"categories": []}
    assert "exits 模式下不会检查" in _refused(doc)


def test_the_correct_neighbour_really_decides():
    """The neighbour file of the pairs is a working case, not only a valid one."""
    doc, cases = validate_file(_file(), PATH)
    check_case(doc, cases[0])
    wrong = _file(lambda c: c["expect"].update(categories=[]))
    doc, cases = validate_file(wrong, PATH)
    with pytest.raises(AssertionError, match="categories"):
        check_case(doc, cases[0])


def test_a_key_written_twice_is_refused(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("clause: x\nas_of: 2026-11-26\ncases:\n  - name: a\n    expect: {categories: []}\n"
                    "    expect: {categories: ['01']}\n", encoding="utf-8")
    with pytest.raises(RuleCaseError, match="第 6 行：键“expect”重复"):
        read_file(path)
    path.write_text("clause: x\nas_of: 2026-11-26\ncases:\n  - name: a\n    expect: {categories: ['01']}\n",
                    encoding="utf-8")
    assert read_file(path)["cases"][0]["expect"] == {"categories": ["01"]}


@pytest.mark.parametrize("path", sorted((TESTS / "rules").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_rule_file_follows_the_schema(path):
    _, cases = validate_file(read_file(path), path)
    assert cases and all(c.expect.model_fields_set for c in cases)


def test_the_collector_fails_a_typo_and_runs_its_neighbour(tmp_path):
    """End to end: pytest itself, on a rules folder with one good case and one misspelt case."""
    rules = tmp_path / "tests" / "rules"
    rules.mkdir(parents=True)
    for name in ("conftest.py", "rule_cases.py"):
        shutil.copy(TESTS / name, tmp_path / "tests" / name)
    (rules / "c01_typo.yaml").write_text(
        "clause: 粤人社规〔2023〕11号 第一条第（一）项\n"
        "as_of: 2026-11-26\n"
        "people:\n  p: {birth: 1986-11-26, sex: 女}\n"
        "base:\n"
        "  失业登记: [{公民身份号码: p, 失业登记日期: 2026-09-01}]\n"
        "  户籍人口: [{公民身份号码: p, 户号: H1, 城乡属性: 城镇, 所属镇街: 太和镇}]\n"
        "cases:\n"
        "  - name: 拼写正确的用例\n    expect: {categories: ['01']}\n"
        "  - name: 拼错的用例\n    people: {p: {birth: 1986-11-27, sex: 女}}\n    expext: {categories: ['01']}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(rules)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "c01_typo.yaml" in out and "01「拼错的用例」" in out and "未知键“expext”" in out, out
