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
    """Thresholds of RULES.md live in params/: the rule modules compare against parameters, never against numbers
    such as 16, 40, 50, 55, 60 or month counts written in the code."""
    pattern = re.compile(r"(>=|<=|>|<|==)\s*(16|40|50|55|58|60|63|12|6|3|30|10|5)\b(?!\s*[:\]])")
    offenders = []
    for path in (REPO_ROOT / "jykn_lib" / "rules").glob("*.py"):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if pattern.search(code):
                offenders.append(f"{path.name}:{no}: {line.strip()}")
    assert not offenders, offenders
