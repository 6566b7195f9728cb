"""Notebook 02 through the whole path with papermill: the issue phase (district and one town) with as_of left blank,
the synthetic town's return, the collect phase; the 2026Q4 dates come out of the notebook (issued 2026-10-08, due
2026-10-30); the HTML has no code and no unmasked personal data, and says that people who exited may apply again."""

from __future__ import annotations

import json

import nbformat
import openpyxl
import papermill as pm
import pytest

from jykn_lib.params import REPO_ROOT
from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_personal_data
from jykn_lib.synth.returns import fill_returns

pytestmark = pytest.mark.slow
NOTEBOOK = REPO_ROOT / "notebooks" / "02_quarterly_audit.ipynb"
TOWN = "太和镇"


def _run(target, data, out, town, phase, returns=""):
    pm.execute_notebook(str(NOTEBOOK), str(target), kernel_name="python3", progress_bar=False, cwd=str(REPO_ROOT),
                        parameters={"quarter": "2026Q4", "as_of": "", "town": town, "data_dir": str(data),
                                    "out_dir": str(out), "phase": phase, "returns_dir": str(returns)})
    return target


@pytest.fixture(scope="module")
def runs(synth_district, tmp_path_factory):
    out = tmp_path_factory.mktemp("nb02")
    executed = {"issue": _run(out / "issue.ipynb", synth_district, out, "全区", "issue"),
                "issue_town": _run(out / "issue_town.ipynb", synth_district, out, TOWN, "issue")}
    returns = out / "returns"
    fill_returns(out / "2026Q4", synth_district, returns, seed=3)
    executed["collect"] = _run(out / "collect.ipynb", synth_district, out, "全区", "collect", returns)
    return out, executed, returns


def test_quarter_dates_come_from_the_notebook(runs):
    out, _, _ = runs
    d = out / "2026Q4" / "区汇总"
    issue = json.loads((d / "results" / "02_issue" / "meta.json").read_text(encoding="utf-8"))
    collect = json.loads((d / "results" / "02_collect" / "meta.json").read_text(encoding="utf-8"))
    assert (issue["as_of"], issue["due"]) == ("2026-10-08", "2026-10-30")
    assert (collect["as_of"], collect["issue_date"]) == ("2026-10-30", "2026-10-08")
    ws = openpyxl.load_workbook(out / "2026Q4" / TOWN / f"审验核实表_2026Q4_{TOWN}.xlsx")["核实表"]
    assert "下发日期 2026-10-08" in ws["A1"].value and "请于 2026-10-30 前报送" in ws["A1"].value


def test_outputs_of_both_phases(runs):
    out, executed, returns = runs
    d = out / "2026Q4" / "区汇总"
    for name in ("审验下发名单_2026Q4.xlsx", "审验结果汇总_2026Q4.xlsx", "就业困难人员台账_2026Q4审验后.xlsx"):
        assert (d / name).stat().st_size > 0, name
    summary = openpyxl.load_workbook(d / "审验结果汇总_2026Q4.xlsx")
    assert summary.sheetnames[:4] == ["汇总", "退出名单", "未返回", "问题数据"]
    truth = json.loads((returns / "returns_truth.json").read_text(encoding="utf-8"))
    exits = [r for r in summary["退出名单"].iter_rows(min_row=3, values_only=True) if r[0]]
    town_exits = {r[0]: r[4] for r in exits if r[6] == "镇街核实确认"}
    assert town_exits == truth["expected_exits"]  # only the one town returned: the others are 未返回
    counts = "".join(o.get("text", "") for c in nbformat.read(executed["collect"], as_version=4).cells
                     if "NBVAL_CHECK_OUTPUT" in c.source for o in c.outputs)
    assert f"确认退出人数：{len(truth['expected_exits'])}" in counts


def test_html_has_no_code_and_no_unmasked_personal_data(runs):
    _, executed, _ = runs
    for phase, nb in executed.items():
        html = notebook_to_html(nb, nb.with_suffix(".html")).read_text(encoding="utf-8")
        assert not html_has_code_cells(html), phase
        assert scan_html_for_personal_data(html) == [], phase
    collect = executed["collect"].with_suffix(".html").read_text(encoding="utf-8")
    assert "可以按规定重新申请认定" in collect and "按时返回率" in collect and "<img" in collect
