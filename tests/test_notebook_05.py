"""Notebook 05 through the whole path: the earlier decision dates of the year through the library, then the last one
with papermill (district and one town) → workbooks, notices, the new ledger, charts and HTML without code or personal
data; the summary counts checked with nbval against the answer key (synth_manifest.json)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter

import nbformat
import openpyxl
import papermill as pm
import pytest

from jykn_lib.analyses import applications as A
from jykn_lib.params import REPO_ROOT
from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_personal_data
from jykn_lib.runner.registry import load_registry
from jykn_lib.workdays import add_working_days, working_days_between

pytestmark = pytest.mark.slow
NOTEBOOK = REPO_ROOT / "notebooks" / "05_application_review.ipynb"


def _params(data, out, as_of, town="全区"):
    return {"quarter": "2026Q4", "as_of": as_of, "town": town, "data_dir": str(data), "out_dir": str(out)}


@pytest.fixture(scope="module")
def runs(synth_district, synth_manifest, tmp_path_factory):
    out = tmp_path_factory.mktemp("nb05")
    dates = synth_manifest["application_schedule"]
    A.decide_year(synth_district, out, dates=dates[:-1])  # the earlier runs of the year
    last = dates[-1]
    towns = Counter(a["town"] for a in synth_manifest["applications"]
                    if a["decided_on"] == last and a["expect"]["conclusion"] == "propose")
    executed = {}
    for town in ["全区", towns.most_common(1)[0][0]]:
        target = out / f"05_{town}.ipynb"
        pm.execute_notebook(str(NOTEBOOK), str(target), parameters=_params(synth_district, out, last, town),
                            kernel_name="python3", progress_bar=False, cwd=str(REPO_ROOT))
        executed[town] = target
    return out, executed, last


def test_the_registered_outputs_are_written(runs):
    out, executed, last = runs
    entry = load_registry().get("05")
    q = out / "2026Q4"
    fill = {"as_of": last.replace("-", ""), "quarter": "2026Q4"}
    for pattern in entry.outputs["district"]:
        found = list(q.glob(pattern.path.format(**fill)))
        assert found and all(p.stat().st_size > 0 for p in found), pattern.path
    town = next(t for t in executed if t != "全区")
    for pattern in entry.outputs["town"]:
        assert (q / pattern.path.format(**fill, town=town)).stat().st_size > 0
    assert sorted(p.name for p in (q / "区汇总").glob("认定审核_*.png")) == [
        "认定审核_不予认定理由_2026Q4_区汇总.png", "认定审核_按结论_2026Q4_区汇总.png", "认定审核_按镇街_2026Q4_区汇总.png"]


def test_result_workbook_counts_match_the_answer_key(runs, synth_manifest):
    out, _, last = runs
    wb = openpyxl.load_workbook(out / "2026Q4" / "区汇总" / f"认定审核结果_{last.replace('-', '')}.xlsx")
    ws = wb["审核结果"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] and str(r[0]).startswith("SQ")]
    want = Counter(a["expect"]["conclusion"] for a in synth_manifest["applications"] if a["decided_on"] == last)
    got = Counter(r[5] for r in rows)
    assert got == Counter({A.CONCLUSIONS[k]: n for k, n in want.items()})
    ids = {r[2] for r in rows}
    assert all(isinstance(i, str) and len(i) == 18 for i in ids)  # identity numbers stay text


def test_html_has_no_code_and_no_unmasked_personal_data(runs):
    _, executed, _ = runs
    for town, nb in executed.items():
        html = notebook_to_html(nb, nb.with_suffix(".html")).read_text(encoding="utf-8")
        assert not html_has_code_cells(html), town
        assert scan_html_for_personal_data(html) == [], town
        assert "审核认定申请" in html and "拟认定" in html  # the summary (the counts cell is analyst-only)


def _expected_counts(manifest, last) -> str:
    apps = [a for a in manifest["applications"] if a["decided_on"] == last]
    n = Counter(a["expect"]["conclusion"] for a in apps)
    done = Counter(a["after_publicity"]["state"] for a in manifest["applications"]
                   if a.get("after_publicity") and a["after_publicity"]["run"] <= last)
    # the review deadline from the planted dates and the working-day calendar (not from the analysis)
    day = dt.date.fromisoformat(last)
    deadlines = [add_working_days(dt.date.fromisoformat(a["accept_date"] or a["apply_date"]), 10) for a in apps]
    late = sum(d < day for d in deadlines)
    due = sum(d >= day and working_days_between(day, d) <= 3 for d in deadlines)
    lines = [f"审核件数：{len(apps)}", *[f"{A.CONCLUSIONS[k]}：{n.get(k, 0)}" for k in A.CONCLUSIONS],
             f"公示期满准予认定：{done.get('recognised', 0)}", f"公示有异议转人工核实：{done.get('objection', 0)}",
             f"已超过审核期限：{late}", f"即将到期：{due}"]
    return "\n".join(lines) + "\n"


def _nbval_copy(path, params, expected: str):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected)]
            cell.execution_count = 1
    nbformat.write(nb, path)
    return path


def _nbval(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:xdist", "-p", "no:cacheprovider",
                           "-q", str(path)], capture_output=True, text=True, cwd=path.parent)


def test_nbval_summary_counts_match_the_answer_key(runs, synth_district, synth_manifest, tmp_path):
    out, _, last = runs
    params = _params(synth_district, out, last)
    good = _nbval_copy(tmp_path / "nb05_check.ipynb", params, _expected_counts(synth_manifest, last))
    result = _nbval(good)
    assert result.returncode == 0, result.stdout[-3000:]
    wrong = _expected_counts(synth_manifest, last).replace("审核件数：", "审核件数：9")
    assert _nbval(_nbval_copy(tmp_path / "nb05_wrong.ipynb", params, wrong)).returncode != 0
