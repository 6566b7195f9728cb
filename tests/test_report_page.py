"""The leaders' page (jykn_lib.report.page): our nbconvert template and the tag-removal preprocessor — what is shown,
what is left out, the heading naming town and quarter, no repository jargon; and in headless Chromium, a 16-column
table fits 1280 px while a phone never scrolls the page sideways."""

from __future__ import annotations

import base64
import html as _html
import json
import os
import re
import shutil
import subprocess

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from jykn_lib import charts, idcard
from jykn_lib.report import (
    DROPPED_CELL_TAGS,
    ReportError,
    html_has_code_cells,
    notebook_to_html,
    scan_html_for_jargon,
    scan_html_for_personal_data,
    styled,
    visible_text,
)

ID = idcard.make_id("441803", dt_date := __import__("datetime").date(1980, 2, 3), 77)


def html_output(df: pd.DataFrame):
    return new_output("display_data", data={"text/html": styled(df).to_html(), "text/plain": "table"})


def chart_output():
    fig = charts.bar_chart(pd.Series({"太和镇": 3, "山塘镇": 2}), "符合条件人数", ylabel="人数")
    return new_output("display_data", data={"image/png": base64.b64encode(charts.png_bytes(fig, 60)).decode(),
                                            "text/plain": "<Figure>"})


def report_notebook():
    """A notebook shaped like notebook 01 after papermill: parameters, injected parameters, sections, tags."""
    cells = [
        new_markdown_cell("# 主动筛查：就业困难人员引导申请名单\n\n以失业登记有效人员为对象。"),
        new_code_cell('quarter: str = "2026Q4"  # 季度\ntown: str = "全区"  # 镇街\nas_of: str = ""  # 基准日',
                      metadata={"tags": ["parameters"]}),
        new_code_cell('# Parameters\nquarter = "2026Q3"\ntown = "太和镇"\nas_of = "2026-08-03"\n',
                      metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("## 概况"),
        new_code_cell("kit.show.summary(run)", outputs=[new_output("display_data", data={
            "text/markdown": "以 2026年8月3日 为基准日，太和镇失业登记有效人员共 12 人。", "text/plain": "md"})]),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nkit.show.counts(run)", metadata={"tags": ["analyst-only"]},
                      outputs=[new_output("stream", name="stdout", text="筛查人数：12\n")]),
        new_code_cell("print('调试行')", outputs=[new_output("stream", name="stdout", text="调试行 见 docs/x\n"),
                                               new_output("stream", name="stderr", text="警告行\n")]),
        new_code_cell("run", outputs=[new_output("execute_result", execution_count=3,
                                                 data={"text/plain": "<Run 内部对象 RULES.md>"})]),
        new_code_cell("kit.show.figures(run)", outputs=[chart_output()]),
        new_code_cell("kit.show.tables(run)", outputs=[html_output(pd.DataFrame(
            {"镇街": ["太和镇"], "公民身份号码": [ID], "联系电话": ["13912345678"], "符合人数": [3]}))]),
        new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                 traceback=["Traceback 1/0 in cell"])]),
        new_markdown_cell("## 输出文件", metadata={"tags": ["analyst-only"]}),
        new_code_cell("kit.show.outputs(run)", metadata={"tags": ["analyst-only"]},
                      outputs=[new_output("stream", name="stdout", text="2026Q3/太和镇/引导申请名单_2026Q3_太和镇.xlsx\n")]),
        new_markdown_cell("## 交互查询", metadata={"tags": ["interactive"]}),
        new_code_cell("widgets.show(run)", metadata={"tags": ["interactive"]}, outputs=[new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                                                "version_minor": 0},
                                  "text/plain": "Form"})]),
        new_code_cell("w", outputs=[new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "def", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox()"})]),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"x": {"value": ID}}}}
    return nb


@pytest.fixture
def page(tmp_path):
    src = tmp_path / "01_screening_2026Q3_太和镇.ipynb"
    nbformat.write(report_notebook(), src)
    out = notebook_to_html(src, tmp_path / "01.html", title="主动筛查（太和镇，2026Q3）")
    return out.read_text(encoding="utf-8")


def test_heading_names_report_town_quarter_and_date(page):
    assert re.search(r'<h1 class="jykn-title">主动筛查（太和镇，2026Q3）</h1>', page)
    meta = re.search(r'<p class="jykn-meta">(.*?)</p>', page).group(1)
    assert [p.strip() for p in _html.unescape(meta).split("·")] == ["清新区", "太和镇", "2026年第3季度（2026Q3）",
                                                                    "基准日 2026-08-03"]  # injected values win
    assert "<title>主动筛查（太和镇，2026Q3）</title>" in page
    assert '<html lang="zh-CN">' in page


def test_without_a_title_the_heading_is_completed_with_town_and_quarter(tmp_path):
    src = tmp_path / "nb.ipynb"
    nbformat.write(report_notebook(), src)
    text = notebook_to_html(src, tmp_path / "nb.html").read_text(encoding="utf-8")
    assert "<h1 class=\"jykn-title\">主动筛查：就业困难人员引导申请名单（太和镇，2026Q3）</h1>" in text


def test_what_leaders_read_and_what_is_left_out(page):
    seen = visible_text(page)
    assert "以 2026年8月3日 为基准日" in seen and "概况" in seen  # sentences and sections stay
    assert "data:image/png;base64," in page  # the chart
    assert idcard.mask(ID) in seen and "符合人数" in seen  # the masked table
    assert not html_has_code_cells(page) and scan_html_for_personal_data(page) == []
    for gone in ("筛查人数：12", "调试行", "警告行", "<Run", "输出文件", "引导申请名单_2026Q3", "交互查询", "Form", "VBox",
                 "Traceback", "ZeroDivisionError", "kit.show"):
        assert gone not in seen, gone
    assert "本节未能生成" in seen  # a failed section says so in Chinese, without its traceback
    assert "widget-state" not in page and "widget-view" not in page


def test_no_script_from_the_internet_and_a_print_style(page):
    scripts = re.findall(r"<script\b[^>]*>", page, re.I)
    assert not [s for s in scripts if "http" in s]
    assert not re.search(r"https?://[^\"'\s]*(require|mathjax|mermaid)", page, re.I)
    assert "@page { size: A4 landscape" in page and "@media print" in page and "@media (max-width: 600px)" in page
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page


def test_the_tags_left_out_are_documented():
    assert {"parameters", "injected-parameters", "interactive", "analyst-only"} <= DROPPED_CELL_TAGS
    kit_doc = (__import__("jykn_lib.params", fromlist=["REPO_ROOT"]).REPO_ROOT / "docs" / "notebook_kit.md").read_text(
        encoding="utf-8")
    assert "analyst-only" in kit_doc


@pytest.mark.parametrize(("text", "found"), [
    ("依据：RULES.md §0 RULES.md §0", ["RULES.md"]),
    ("见 RULES §0 与 README", ["RULES", "README"]),
    ("详细口径见仓库中的 docs/rules.md。", ["仓库", "docs/rules.md"]),
    ("参数见 params/rules/c01/female_min_age.yaml", ["params/rules/c01/female_min_age.yaml"]),
    ("由 jykn_lib/analyses/screening.py 计算", ["jykn_lib/analyses/screening.py"]),
])
def test_jargon_is_found(text, found):
    assert scan_html_for_jargon(f"<p>{text}</p>") == found


@pytest.mark.parametrize("text", [
    "粤人社规〔2023〕11号 第一条第（一）项", "区级工作口径（已认定且未退出的人员不重复认定）", "引导申请名单_2026Q4_太和镇.xlsx",
    "筛查_按镇街_2026Q4_区汇总.png", "2026Q4 基准日 2026-11-26", "国务院关于渐进式延迟法定退休年龄的办法 第一条",
])
def test_legal_bases_and_file_names_of_outputs_are_no_jargon(text):
    assert scan_html_for_jargon(f"<p>{text}</p>") == []


def test_jargon_in_the_style_sheet_is_not_read(page):
    assert scan_html_for_jargon("<style>/* docs/x.md */</style><script>var a='README';</script><p>正文</p>") == []


def test_a_page_with_jargon_is_refused(tmp_path):
    nb = report_notebook()
    nb.cells.insert(1, new_markdown_cell("判定口径见仓库中的 docs/engine_rules.md。"))
    src = tmp_path / "bad.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(ReportError, match=r"docs/engine_rules\.md"):
        notebook_to_html(src, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


# --- in a browser -----------------------------------------------------------------------------------------------------


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe:
        return exe
    if os.environ.get("JYKN_NO_CHROMIUM") == "1":
        pytest.skip("Chromium 未安装：未运行（not run）")
    pytest.fail("未找到 chromium：请安装（apt-get install chromium），或设置 JYKN_NO_CHROMIUM=1 把这些测试列为未运行。",
                pytrace=False)


# The page is measured inside an iframe of the wanted width (headless Chromium will not make a window narrower than
# 500 px); the probe in the page posts its measurements to the wrapper, whose DOM --dump-dom prints.
PROBE = """<script>window.addEventListener('load', function () {
  var d = document.documentElement, r = function (e) { return Math.round(e.getBoundingClientRect().right); };
  parent.postMessage(JSON.stringify({page: d.scrollWidth, view: window.innerWidth,
    tables: Array.from(document.querySelectorAll('table')).map(r), images: Array.from(document.images).map(r)}), '*');
});</script>"""
WRAPPER = """<!DOCTYPE html><html><body style="margin:0"><iframe src="{src}" width="{width}" height="900"
  style="border:0"></iframe><script>window.addEventListener('message', function (e) {{
  document.body.setAttribute('data-probe', e.data); }});</script></body></html>"""


def measure(html_path, width: int, tmp_path) -> dict:
    probe = html_path.with_name(f"probe_{width}.html")
    probe.write_text(html_path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    wrapper = html_path.with_name(f"wrapper_{width}.html")
    wrapper.write_text(WRAPPER.format(src=probe.name, width=width), encoding="utf-8")
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                           f"--user-data-dir={tmp_path / f'chromium_{width}'}", "--allow-file-access-from-files",
                           "--virtual-time-budget=10000", "--dump-dom", wrapper.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    result = json.loads(_html.unescape(found.group(1)))
    assert result["view"] == width, result
    return result


def wide_table() -> pd.DataFrame:
    """The district's town × category table: 镇街, four counts and eleven categories with their long names."""
    from jykn_lib.params import load_parameters
    from jykn_lib.rules.reasons import category_names

    names = list(category_names(load_parameters(), __import__("datetime").date(2026, 11, 26)).values())[:11]
    towns = ["太和镇", "太平镇", "山塘镇", "三坑镇", "龙颈镇", "禾云镇", "浸潭镇", "石潭镇", "笔架林场", "合计"]
    cols = ["筛查人数", "符合人数", "排除人数", "无符合类别人数", *names]
    data = {c: [238 + 7 * i for i in range(len(towns))] for c in cols}
    return pd.DataFrame({"镇街": towns, **data})


@pytest.mark.chromium
def test_a_wide_table_fits_1280_px_and_a_phone_never_scrolls_the_page(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("# 主动筛查"), new_code_cell("t", outputs=[html_output(wide_table())]),
                             new_code_cell("f", outputs=[chart_output()])])
    src = tmp_path / "wide.ipynb"
    nbformat.write(nb, src)
    page = notebook_to_html(src, tmp_path / "wide.html", title="主动筛查（全区，2026Q4）")
    desk = measure(page, 1280, tmp_path)
    assert desk["page"] <= desk["view"] and max(desk["tables"]) <= desk["view"], desk
    phone = measure(page, 390, tmp_path)
    assert phone["page"] <= phone["view"], phone  # the table scrolls inside its own box, the page does not
    assert max(phone["images"]) <= phone["view"], phone  # charts shrink to the screen
    assert max(phone["tables"]) > phone["view"]  # (the check can fail: the table itself is wider than a phone)
