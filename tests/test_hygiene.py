"""Repository hygiene: notebooks without outputs (tags kept), thin notebooks, no personal data paths in git."""

import json
import re
import subprocess

import pytest

from jykn_lib.params import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs_and_keeps_its_parameters_tag(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}：第 {dirty} 个代码单元格带有输出，请先 nbstripout"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "需要且只能有一个带 parameters 标签的单元格"
    # the parameters cell: typed lines with a Chinese comment each (papermill --help-notebook documents them)
    for line in "".join(tagged[0]["source"]).splitlines():
        assert re.match(r"^\w+: (str|int|bool|float) = .+  # .*[\u4e00-\u9fff]", line), line
    # the next cell validates them with a library call
    after = code[code.index(tagged[0]) + 1]
    assert "validate_parameters(" in "".join(after["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_are_thin(path):
    """Notebooks orchestrate and display; no function or class definitions, no bare except."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        assert not re.search(r"^\s*(def|class) ", src, re.M), src[:80]
        assert not re.search(r"^\s*except\s*:", src, re.M), src[:80]


def test_a_notebook_with_outputs_is_caught(tmp_path):
    """The check above can fail: a notebook with an output is reported."""
    nb = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x"]}]
    bad = tmp_path / NOTEBOOKS[0].name
    bad.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(AssertionError):
        test_notebook_is_committed_without_outputs_and_keeps_its_parameters_tag(bad)


def test_data_and_outputs_are_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "data/real.xlsx", "outputs/2026Q4/x.xlsx"], cwd=REPO_ROOT,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == ["data/real.xlsx", "outputs/2026Q4/x.xlsx"]
    tracked = subprocess.run(["git", "ls-files", "data", "outputs"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert sorted(tracked.stdout.split()) == ["data/.gitkeep", "outputs/.gitkeep"]


def test_no_threshold_literals_in_the_rule_code():
    """Thresholds of docs/rules.md live in params/: the rule modules compare against parameters, never against numbers
    such as 16, 40, 50, 55, 60 or month counts written in the code."""
    pattern = re.compile(r"(>=|<=|>|<|==)\s*(16|40|50|55|58|60|63|12|6|3|30|10|5)\b(?!\s*[:\]])")
    offenders = []
    for path in (REPO_ROOT / "jykn_lib" / "rules").glob("*.py"):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if pattern.search(code):
                offenders.append(f"{path.name}:{no}: {line.strip()}")
    assert not offenders, offenders


# --- labels never restate a parameter's number (docs/notebook_kit.md "Words from the parameters") -----------------

def _numbers(value) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {int(value)} if float(value).is_integer() else set()
    if isinstance(value, dict):
        return set().union(*(_numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value)) if value else set()
    return set()


def _parameter_numbers() -> set[int]:
    from jykn_lib.params import load_parameters

    found: set[int] = set()
    for p in load_parameters().params.values():
        for e in p.entries:
            found |= _numbers(e.value)
    return found - {0, 1}  # 0 and 1 occur in every text ("1年以上" is the category's official name, not a threshold)


def restated_numbers(label: str, numbers: set[int]) -> list[int]:
    from jykn_lib.rules.reasons import _PLACEHOLDER

    text = _PLACEHOLDER.sub("", label)
    return [int(n) for n in re.findall(r"\d+", text) if int(n) in numbers]


def _labels() -> list[tuple[str, str]]:
    import yaml

    from jykn_lib.params import load_parameters
    from jykn_lib.rules.reasons import reason_files

    params = load_parameters()
    out = []
    for path in reason_files(params.root):
        for kind, items in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            for code, item in (items or {}).items():
                if "label" in item:
                    out.append((f"{path.name}:{code}", str(item["label"])))
    for code, name in params["rules.exits.names"].entries[-1].value.items():  # exit labels are these names
        out.append((f"rules.exits.names:{code}", str(name)))
    return out


def test_no_label_restates_a_parameter_number():
    numbers = _parameter_numbers()
    offenders = [(where, label) for where, label in _labels() if restated_numbers(label, numbers)]
    assert not offenders, f"这些标签直接写出了参数中的数字，请改用 {{参数名}} 引用：{offenders}"


def test_the_label_check_fires():
    numbers = _parameter_numbers()
    assert restated_numbers("未满16周岁", numbers) == [16]
    assert restated_numbers("6个月内3次及以上拒绝", numbers) == [6, 3]
    assert restated_numbers("未满{rules.general.working_age_min}周岁", numbers) == []
