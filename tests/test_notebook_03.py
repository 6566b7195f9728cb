"""Notebook 03 through the whole path: data files → papermill (district run, then two town runs) → workbooks, import
files, charts and the leaders' HTML, checked against the generator's answer key (synth_manifest.json)."""

import json

import nbformat
import openpyxl
import papermill as pm
import pytest

from jykn_lib.params import REPO_ROOT, load_yaml
from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_personal_data

pytestmark = pytest.mark.slow
NOTEBOOK = REPO_ROOT / "notebooks" / "03_ledger_review.ipynb"


@pytest.fixture(scope="module")
def runs(synth_district, synth_manifest, tmp_path_factory):
    out = tmp_path_factory.mktemp("nb03")
    as_of = synth_manifest["generator"]["as_of"]
    cases = {c["case"]: c for c in synth_manifest["cases"]}
    towns = sorted({cases[k]["town"] for k in ("lr_art5_overdue", "lr_employer_unclaimed")})
    executed = {}
    for town in ["全区", *towns]:
        target = out / f"03_{town}.ipynb"
        pm.execute_notebook(str(NOTEBOOK), str(target),
                            parameters={"quarter": "2026Q4", "as_of": as_of, "town": town,
                                        "data_dir": str(synth_district), "out_dir": str(out)},
                            kernel_name="python3", progress_bar=False, cwd=str(REPO_ROOT))
        executed[town] = target
    return out, executed, cases


def _counts(nb_path) -> dict[str, str]:
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    return dict(line.split("：", 1) for line in text.strip().splitlines())


def test_the_registered_outputs_exist_for_every_run(runs):
    out, executed, _ = runs
    entry = next(e for e in load_yaml("notebooks.yaml")["notebooks"] if e["id"] == "03")
    for town in executed:
        patterns = entry["outputs"]["district" if town == "全区" else "town"]
        for pattern in patterns:
            path = out / "2026Q4" / pattern.format(quarter="2026Q4", town=town)
            assert path.exists() and path.stat().st_size > 0, path


def test_counts_cell_and_run_info_agree_with_the_answer_key(runs, synth_manifest):
    out, executed, cases = runs
    counts = _counts(executed["全区"])
    assert int(counts["有效认定人数"]) == len(synth_manifest["exit_labels"])
    info = json.loads((out / "2026Q4" / "区汇总" / ".jykn" / "03_info.json").read_text(encoding="utf-8"))
    assert info["figures"]["有效认定人数"] == len(synth_manifest["exit_labels"])
    assert all(f["读入行数"] == f["使用行数"] + f["剔除行数"] for f in info["row_counts"]["files"])
    for town, nb in executed.items():
        if town == "全区":
            continue
        mine = [c for c in cases.values() if c["town"] == town and c["case"].startswith("lr_")
                and c["id_number"] in synth_manifest["exit_labels"]]
        assert int(_counts(nb)["有效认定人数"]) >= len(mine) > 0


def test_planted_cases_reach_their_town_workbook(runs):
    out, _executed, cases = runs
    for slug, sheet in (("lr_art5_overdue", "帮扶超期"), ("lr_employer_unclaimed", "政策推送")):
        c = cases[slug]
        wb = openpyxl.load_workbook(out / "2026Q4" / c["town"] / f"台账问题清单_2026Q4_{c['town']}.xlsx")
        ws = wb[sheet]
        head = [x.value for x in ws[2]]
        j = head.index("公民身份号码") + 1
        assert c["id_number"] in {ws.cell(row=r, column=j).value for r in range(3, ws.max_row + 1)}, slug
        problems = wb["问题清单"]
        assert problems.data_validations.dataValidation  # the town answers 处理情况 from a dropdown


def test_html_has_no_code_and_no_unmasked_personal_data(runs):
    _, executed, _ = runs
    for town, nb in executed.items():
        html = notebook_to_html(nb, nb.with_suffix(".html")).read_text(encoding="utf-8")
        assert not html_has_code_cells(html), town
        assert scan_html_for_personal_data(html) == [], town
        assert "有效的就业困难人员共" in html and "台账检查" in html  # the summary (the counts cell is analyst-only)


def test_no_missing_glyph_warnings(runs):
    _, executed, _ = runs
    for nb_path in executed.values():
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    assert "Glyph" not in o["text"] and "missing from" not in o["text"], o["text"]
