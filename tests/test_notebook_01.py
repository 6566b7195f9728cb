"""Notebook 01 through the whole path: data files → papermill → workbooks, charts and HTML; and nbval on its summary
cells, whose expected figures come from the generator's answer key (synth_manifest.json)."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import papermill as pm
import pytest

from jykn_lib.contract import town_names
from jykn_lib.params import REPO_ROOT
from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_jargon, scan_html_for_personal_data
from jykn_lib.rules.reasons import load_reasons

pytestmark = pytest.mark.slow
NOTEBOOK = REPO_ROOT / "notebooks" / "01_screening.ipynb"


def _params(data, out, as_of, town="全区"):
    return {"quarter": "2026Q4", "as_of": as_of, "town": town, "data_dir": str(data), "out_dir": str(out)}


@pytest.fixture(scope="module")
def runs(synth_district, synth_manifest, tmp_path_factory):
    """The district run, then two town runs (the towns of the boundary cases), executed with papermill."""
    out = tmp_path_factory.mktemp("nb01")
    as_of = synth_manifest["generator"]["as_of"]
    cases = {c["case"]: c for c in synth_manifest["cases"]}
    towns = sorted({cases[k]["town"] for k in ("c01_female_turns_40_on_as_of", "c01_male_not_yet_retired",
                                                 "market_closed_before", "c03_fullwidth_id_in_registration",
                                                 "c01_lowercase_x_in_registration")})
    executed = {}
    for town in ["全区", *towns]:
        target = out / f"01_{town}.ipynb"
        pm.execute_notebook(str(NOTEBOOK), str(target), parameters=_params(synth_district, out, as_of, town),
                            kernel_name="python3", progress_bar=False, cwd=str(REPO_ROOT))
        executed[town] = target
    return out, executed, cases


def _town_ids(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    return [ws.cell(row=r, column=3).value for r in range(3, ws.max_row + 1)
            if isinstance(ws.cell(row=r, column=1).value, int)]


def test_boundary_cases_through_the_whole_path(runs):
    out, _, cases = runs
    q = out / "2026Q4"

    def listed(case):
        c = cases[case]
        path = q / c["town"] / f"引导申请名单_2026Q4_{c['town']}.xlsx"
        return c["id_number"] in _town_ids(path)

    assert listed("c01_female_turns_40_on_as_of")
    assert listed("c01_male_not_yet_retired")  # born 1966-07-01
    assert listed("market_closed_before")  # 法定代表人 of a company deregistered before as_of
    assert listed("c03_fullwidth_id_in_registration")  # full-width digits still match the 低保 list
    assert listed("c01_lowercase_x_in_registration")  # lower-case x still matches

    summary = openpyxl.load_workbook(q / "区汇总" / "筛查汇总_2026Q4.xlsx")
    excluded = {r[0]: r for r in summary["排除名单"].iter_rows(min_row=3, values_only=True) if r[0]}
    retired = cases["x_retired_male_boundary"]  # born 1966-06-15
    assert retired["id_number"] in excluded
    assert load_reasons()["X_RETIRED"].label in excluded[retired["id_number"]][3]
    later = cases["c01_female_turns_40_next_day"]
    for town in town_names():
        path = q / town / f"引导申请名单_2026Q4_{town}.xlsx"
        if path.exists():
            assert later["id_number"] not in _town_ids(path)
    assert later["id_number"] not in excluded


def test_district_run_writes_summary_charts_and_info(runs, synth_manifest):
    out, _, _ = runs
    d = out / "2026Q4" / "区汇总"
    assert (d / "筛查汇总_2026Q4.xlsx").stat().st_size > 0
    pngs = sorted(p.name for p in d.glob("*.png"))
    assert pngs == ["筛查_按类别_2026Q4_区汇总.png", "筛查_按镇街_2026Q4_区汇总.png"]
    info = json.loads((d / ".jykn" / "01_info.json").read_text(encoding="utf-8"))
    assert info["figures"]["符合人数"] == synth_manifest["screening_totals"]["candidates"]
    files = info["row_counts"]["files"]
    assert all(f["读入行数"] == f["使用行数"] + f["剔除行数"] for f in files)
    # the kit's steps with their seconds (the run manifest's timing.library): the district reads and decides …
    assert set(info["timings"]) == {"read", "decide", "keep", "workbooks", "figures"}
    assert all(v >= 0 for v in info["timings"].values())
    # … a town only loads the district's kept result
    town = next(p for p in (out / "2026Q4").iterdir() if p.is_dir() and p.name != "区汇总")
    town_info = json.loads((town / ".jykn" / "01_info.json").read_text(encoding="utf-8"))
    assert set(town_info["timings"]) == {"load", "workbooks", "figures"}


def test_html_has_no_code_and_no_unmasked_personal_data(runs):
    _, executed, _ = runs
    for town, nb in executed.items():
        html = notebook_to_html(nb, nb.with_suffix(".html")).read_text(encoding="utf-8")
        assert not html_has_code_cells(html), town
        assert scan_html_for_personal_data(html) == [], town
        assert "符合人数" in html
        assert "交互查询" not in html  # the widget forms are for JupyterLab only
        assert '<p class="jykn-meta">' in html and town in html.split('<p class="jykn-meta">')[1].split("</p>")[0]
        assert "2026Q4" in html.split('<h1 class="jykn-title">')[1].split("</h1>")[0]  # heading: town and quarter
        assert "筛查人数：" not in html and "输出文件" not in html  # printed lines and analyst-only cells left out
        assert scan_html_for_jargon(html) == []


def test_no_missing_glyph_warnings_in_the_executed_notebooks(runs):
    _, executed, _ = runs
    for nb_path in executed.values():
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    assert "Glyph" not in o["text"] and "missing from" not in o["text"], o["text"]


# --- nbval: the summary cells compared with figures from the answer key ----------------------------------------------


def _expected_outputs(manifest) -> list[str]:
    t = manifest["screening_totals"]
    counts = f"筛查人数：{t['screened']}\n符合人数：{t['candidates']}\n排除人数：{t['excluded']}\n" \
             f"无符合类别人数：{t['no_category']}\n"
    per_cat: dict[str, int] = {}
    for cats in t["candidates_by_town_category"].values():
        for code, n in cats.items():
            per_cat[code] = per_cat.get(code, 0) + n
    reasons = load_reasons()
    lines = [f"{reasons['C' + code].label}：{per_cat.get(code, 0)}" for code in
             [f"{i:02d}" for i in range(1, 12)]]
    return [counts + "\n".join(lines) + "\n"]


def _nbval_copy(path: Path, params: dict, expected: list[str]) -> Path:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    checked = 0
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected[checked])]
            cell.execution_count = checked + 1  # nbval ignores reference outputs of cells that were never run
            checked += 1
    assert checked == len(expected)
    nbformat.write(nb, path)
    return path


def _nbval(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:xdist", "-p", "no:cacheprovider",
                           "-q", str(path)], capture_output=True, text=True, cwd=path.parent)


def test_nbval_summary_cells_match_the_answer_key(synth_district, synth_manifest, tmp_path):
    params = _params(synth_district, tmp_path / "out", synth_manifest["generator"]["as_of"])
    good = _nbval_copy(tmp_path / "nb01_check.ipynb", params, _expected_outputs(synth_manifest))
    result = _nbval(good)
    assert result.returncode == 0, result.stdout[-3000:]
    # and the check can fail: one figure off by one is caught
    wrong = _expected_outputs(synth_manifest)
    wrong[0] = wrong[0].replace(f"符合人数：{synth_manifest['screening_totals']['candidates']}",
                                f"符合人数：{synth_manifest['screening_totals']['candidates'] + 1}")
    bad = _nbval_copy(tmp_path / "nb01_wrong.ipynb", params, wrong)
    assert _nbval(bad).returncode != 0


def test_the_interactive_cell_shows_no_forms_under_papermill(runs):
    """Without a front end the forms are not built: the executed notebook holds no widget (no widget state with
    identity numbers), only the sentence saying where the forms are."""
    from jykn_lib.widgets import NO_FRONT_END

    _, executed, _ = runs
    for town, nb_path in executed.items():
        raw = nb_path.read_text(encoding="utf-8")
        assert NO_FRONT_END in raw and "application/vnd.jupyter.widget" not in raw, town
