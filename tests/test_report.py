"""Leadership HTML: masking, notebook → HTML without code, and the scans for code and unmasked personal data."""

from __future__ import annotations

import base64
import datetime as dt

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from jykn_lib import charts, idcard
from jykn_lib.report import (
    first_heading,
    html_has_code_cells,
    mask_frame,
    mask_id,
    notebook_to_html,
    scan_html_for_personal_data,
)

ID_A = idcard.make_id("441803", dt.date(1975, 3, 8), 123)
ID_B = idcard.make_id("441827", dt.date(1990, 12, 1), 45)
ID_15 = "441803750308123"


# --- masking ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44180319900101123X", "441803********123X"),
        ("44180319900101123x", "441803********123X"),
        (" 4418031990 0101123X ", "441803********123X"),
        ("４４１８０３１９９００１０１１２３Ｘ", "441803********123X"),
        ("441803900101123", "441803*****1123"),
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
    ],
)
def test_mask_id(value, expected):
    assert mask_id(value) == expected


def test_mask_frame_masks_ids_and_drops_phones():
    df = pd.DataFrame(
        {
            "姓名": ["张三", "李四"],
            "公民身份号码": [ID_A, None],
            "安置人员身份号码": [ID_B, ID_A],
            "身份证号": [ID_15, ID_B],
            "残疾人证号": [ID_A + "44", ""],
            "id_number": [ID_A, ID_B],
            "联系电话": ["13912345678", "0763-1234567"],
            "手机 号码": ["13800000000", None],
            "mobile_phone": ["13700000000", None],
            "人数": [1, 2],
        }
    )
    original = df.copy()
    out = mask_frame(df)
    assert list(out.columns) == ["姓名", "公民身份号码", "安置人员身份号码", "身份证号", "残疾人证号", "id_number", "人数"]
    assert out["公民身份号码"].tolist()[0] == ID_A[:6] + "********" + ID_A[-4:]
    assert pd.isna(out["公民身份号码"].tolist()[1])
    assert out["身份证号"].tolist()[0] == ID_15[:6] + "*****" + ID_15[-4:]
    assert out["残疾人证号"].tolist() == [ID_A[:6] + "*" * 10 + ID_A[-2:] + "44", ""]  # 20 characters, embeds the id
    assert all("*" in v for v in out["id_number"])
    assert out["姓名"].tolist() == ["张三", "李四"] and out["人数"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(df, original)  # the input is untouched
    rendered = out.to_html()
    assert scan_html_for_personal_data(rendered) == []
    assert scan_html_for_personal_data(df.to_html())  # the unmasked table would be caught


def test_mask_frame_masks_an_id_index():
    df = pd.DataFrame({"人数": [1]}, index=pd.Index([ID_A], name="公民身份号码"))
    assert mask_frame(df).index.tolist() == [mask_id(ID_A)]
    multi = df.set_index(pd.MultiIndex.from_arrays([["太和镇"], [ID_A]], names=["镇街", "公民身份号码"]))
    assert mask_frame(multi).index.tolist() == [("太和镇", mask_id(ID_A))]


# --- scanning ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        (f"<td>{ID_A}</td>", [ID_A]),
        ("<td>44180319900101123X</td>", ["44180319900101123X"]),
        ("<td>44180319900101123x</td>", ["44180319900101123x"]),
        (f"身份证{ID_15}。", [ID_15]),
        ("<td>13912345678</td>", ["13912345678"]),
        ("电话：139-1234-5678；", ["139-1234-5678"]),
        ("手机 139 1234 5678", ["139 1234 5678"]),
        ("+86 13912345678", ["+86 13912345678"]),
        ("<td>0763-1234567</td>", ["0763-1234567"]),
        ("020-12345678", ["020-12345678"]),
        ("(0763)5123456", ["(0763)5123456"]),
        (f"{ID_A} 与 {ID_A}", [ID_A]),  # distinct hits
        (f"<td>{ID_A}</td><td>13912345678</td>", [ID_A, "13912345678"]),
    ],
)
def test_scan_finds_unmasked_numbers(text, hits):
    assert scan_html_for_personal_data(text) == hits


@pytest.mark.parametrize(
    "text",
    [
        "<td>441803********123X</td>",
        "<td>441803*****0123</td>",
        "<td>139****5678</td>",
        "<td>0763-****567</td>",
        "1234567890123456789",  # 19 digits: part of a longer run
        "12345678901234567890123",
        "123456789012",  # 12 digits, not an identity number, not a mobile
        "12912345678",  # 129… is no mobile prefix
        "139123456789",  # 12 digits starting like a mobile
        "统计用区划代码 441803100000 2026-11-26 2026Q4 共 1,234 人",
        '<img src="data:image/png;base64,AAAA13912345678BBBB441803199001011234CCCC=">',
    ],
)
def test_scan_ignores_masked_and_other_numbers(text):
    assert scan_html_for_personal_data(text) == []


LAB_CODE_INPUT = (
    '<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-InputPrompt jp-InputArea-prompt">In [1]:</div>'
    '<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline"><div class="cm-editor">'
    '<div class="highlight hl-ipython3"><pre>x = 1</pre></div></div></div></div>'
)
CLASSIC_CODE_INPUT = (
    '<div class="input"><div class="inner_cell"><div class="input_area"><pre>x = 1</pre></div></div></div>'
)
MARKDOWN_ONLY = (
    '<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown">'
    '<h1>标题</h1><div class="highlight"><pre>x = 1</pre></div></div></div>'
)
CSS_ONLY = "<style>.jp-InputArea-editor { color: red } .jp-CodeMirrorEditor {} .input_area {}</style>"


@pytest.mark.parametrize(("text", "expected"), [
    (LAB_CODE_INPUT, True),
    (CLASSIC_CODE_INPUT, True),
    ("<div class='highlight hl-python'><pre>x</pre></div>", True),
    (MARKDOWN_ONLY, False),
    (CSS_ONLY, False),
    ('<div class="jp-OutputArea-output"><pre>太和镇 120</pre></div>', False),
])
def test_html_has_code_cells(text, expected):
    assert html_has_code_cells(text) is expected


# --- notebook → HTML --------------------------------------------------------------------------------------------------


def chart_png() -> str:
    fig = charts.bar_chart(pd.Series({"太和镇": 3, "山塘镇": 2}), "按镇街统计的符合条件人数", "镇街", "人数")
    return base64.b64encode(charts.png_bytes(fig, dpi=60)).decode()


def tiny_notebook(with_outputs: bool):
    params = new_code_cell(f'town = "太和镇"\nsecret = "{ID_B}"', metadata={"tags": ["parameters"]})
    table = new_code_cell(
        "import pandas as pd, sys\n"
        "from jykn_lib.report import mask_frame\n"
        f'df = pd.DataFrame({{"姓名": ["张三"], "公民身份号码": ["{ID_A}"], "联系电话": ["13912345678"]}})\n'
        'print("调试 13800001111", file=sys.stderr)\n'
        "mask_frame(df)"
    )
    chart = new_code_cell(
        "from jykn_lib.charts import bar_chart\n"
        'fig = bar_chart(pd.Series({"太和镇": 3, "山塘镇": 2}), "按镇街统计的符合条件人数", "镇街", "人数")\n'
        "fig"
    )
    if with_outputs:
        params.outputs = [new_output("stream", name="stdout", text=f"参数 {ID_B}\n")]
        table.outputs = [
            new_output("stream", name="stderr", text="调试 13800001111\n"),
            new_output("execute_result", execution_count=2, data={
                "text/html": mask_frame(pd.DataFrame({"姓名": ["张三"], "公民身份号码": [ID_A]})).to_html(),
                "text/plain": "masked"}),
        ]
        chart.outputs = [new_output("display_data", data={"image/png": chart_png(), "text/plain": "<Figure>"})]
    nb = new_notebook(cells=[
        new_markdown_cell("# 太和镇 2026Q4 **筛查**报告\n\n以下为按镇街统计的结果。"),
        params, table, chart,
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def check_leadership_html(html_text: str) -> None:
    assert not html_has_code_cells(html_text)
    assert scan_html_for_personal_data(html_text) == []
    assert "<title>太和镇 2026Q4 筛查报告</title>" in html_text
    assert '<html lang="zh-CN">' in html_text
    assert "Noto Sans CJK SC" in html_text and "Microsoft YaHei" in html_text  # the CJK font stack
    assert "data:image/png;base64," in html_text  # the chart is embedded
    assert mask_id(ID_A) in html_text  # the masked table is shown
    assert "调试" not in html_text  # stderr dropped
    assert "secret" not in html_text and ID_B not in html_text  # parameters cell dropped with its output
    assert "以下为按镇街统计的结果" in html_text


def test_notebook_to_html_leaves_no_code_and_no_personal_data(tmp_path):
    src = tmp_path / "01_screening.ipynb"
    nbformat.write(tiny_notebook(with_outputs=True), src)
    out = notebook_to_html(src, tmp_path / "html" / "01_screening.html")
    assert out == tmp_path / "html" / "01_screening.html"
    check_leadership_html(out.read_text(encoding="utf-8"))
    assert [p.name for p in out.parent.iterdir()] == ["01_screening.html"]  # atomic: no temp file left


def test_scan_catches_a_leak_in_a_converted_notebook(tmp_path):
    nb = tiny_notebook(with_outputs=True)
    leak = pd.DataFrame({"备注": [f"{ID_A} 0763-1234567"]}).to_html()  # an unmasked table, not through mask_frame
    nb.cells[2].outputs.append(new_output("display_data", data={"text/html": leak, "text/plain": "leak"}))
    src = tmp_path / "leak.ipynb"
    nbformat.write(nb, src)
    html_text = notebook_to_html(src, tmp_path / "leak.html").read_text(encoding="utf-8")
    assert scan_html_for_personal_data(html_text) == [ID_A, "0763-1234567"]


def test_html_with_code_is_detected_in_a_real_export(tmp_path):
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(tiny_notebook(with_outputs=True))
    assert html_has_code_cells(body)


def test_first_heading():
    nb = new_notebook(cells=[new_code_cell("# 注释不是标题"), new_markdown_cell("说明\n\n## 退出报告 ##")])
    assert first_heading(nb) == "退出报告"
    nb = new_notebook(cells=[new_markdown_cell("年度考核 <small>2026</small>\n========")])
    assert first_heading(nb) == "年度考核 2026"
    assert first_heading(new_notebook(cells=[new_markdown_cell("没有标题")])) is None


def test_title_falls_back_to_file_name(tmp_path):
    src = tmp_path / "03_ledger_review.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("正文")]), src)
    html_text = notebook_to_html(src, tmp_path / "x.html").read_text(encoding="utf-8")
    assert "<title>03_ledger_review</title>" in html_text


@pytest.mark.slow
def test_executed_notebook_to_html(tmp_path):
    from nbclient import NotebookClient

    nb = tiny_notebook(with_outputs=False)
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    chart_outputs = nb.cells[3].outputs
    assert any("image/png" in o.get("data", {}) for o in chart_outputs), chart_outputs  # figure shown inline
    assert any(o.get("name") == "stderr" for o in nb.cells[2].outputs)  # there was stderr to drop
    src = tmp_path / "run.ipynb"
    nbformat.write(nb, src)
    html_text = notebook_to_html(src, tmp_path / "run.html").read_text(encoding="utf-8")
    check_leadership_html(html_text)
