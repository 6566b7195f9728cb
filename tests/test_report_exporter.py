"""The leaders' exporter skips nbconvert's BeautifulSoup pass and adds its attributes itself: the same page."""

import base64
import copy

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from jykn_lib.report import page
from jykn_lib.report.exporter import IMAGE_ALT, add_accessibility

PNG = base64.b64encode(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")).decode()
NBCONVERT_ALT = "No description has been provided for this image"


def _notebook():
    table = pd.DataFrame({"村居": ["太和村", "<新村>"], "人数": [3, 12]}).style.hide(axis="index").to_html()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# 主动筛查\n\n说明 &amp; 备注<br>\n\n![已有说明](data:image/png;base64,{PNG})\n\n"
                                      f'<img src="data:image/png;base64,{PNG}">'),
        nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "t"}),
            nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                                   metadata={"image/png": {"width": 640, "height": 480}}),
            nbformat.v4.new_output("stream", name="stdout", text="只给分析人员\n")]),
        nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": "<p class='x'>合计 <b>15</b> 人</p>"}, execution_count=2)]),
        nbformat.v4.new_code_cell("z", outputs=[nbformat.v4.new_output(
            "error", ename="ValueError", evalue="坏了", traceback=["ValueError: 坏了"])]),
        nbformat.v4.new_code_cell("p = 1", metadata={"tags": ["parameters"]}),
    ])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


@pytest.mark.parametrize("exclude_input", [True, False])
def test_the_page_is_nbconverts_without_the_second_parse(exclude_input):
    resources = {"metadata": {"name": "主动筛查", "path": "."}, "jykn": {"title": "主动筛查", "meta": ["全区"]}}
    # with the code shown, the input wrappers get their tabindex too
    ours_exporter = page.new_exporter(exclude_input=exclude_input)
    theirs_exporter = page.new_exporter(HTMLExporter, exclude_input=exclude_input)
    assert type(page.leaders_exporter()) is type(ours_exporter) is not HTMLExporter
    nb = _notebook()
    ours, _ = ours_exporter.from_notebook_node(copy.deepcopy(nb), resources=copy.deepcopy(resources))
    theirs, _ = theirs_exporter.from_notebook_node(copy.deepcopy(nb), resources=copy.deepcopy(resources))
    assert ours.count(f'alt="{IMAGE_ALT}"') == 2 and NBCONVERT_ALT not in ours  # the chart and the raw <img>
    assert 'alt="已有说明"' in ours
    assert '>主动筛查<a class="anchor-link"' in ours  # the heading's text as text, not as &#20027;&#21160;…
    assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') > 0
    normalised = str(BeautifulSoup(ours, features="html.parser")).replace(f'alt="{IMAGE_ALT}"', f'alt="{NBCONVERT_ALT}"')
    assert normalised == theirs


def test_attributes_are_added_once_and_only_where_nbconvert_adds_them():
    html = ('<img src="a.png"><img src="b.png" alt="有"><img src="c.png"/>'
            '<div class="jp-OutputArea-output jp-RenderedHTMLCommon"><div class="jp-OutputArea-output-x">'
            '<div class="x jp-Cell-inputWrapper" tabindex="1"><div data-class="jp-OutputArea-output">')
    assert add_accessibility(html) == (
        f'<img src="a.png" alt="{IMAGE_ALT}"><img src="b.png" alt="有"><img src="c.png" alt="{IMAGE_ALT}"/>'
        '<div class="jp-OutputArea-output jp-RenderedHTMLCommon" tabindex="0"><div class="jp-OutputArea-output-x">'
        '<div class="x jp-Cell-inputWrapper" tabindex="1"><div data-class="jp-OutputArea-output">')
    assert add_accessibility(add_accessibility(html)) == add_accessibility(html)
    assert add_accessibility("&#24635;&#x5206; &#60;b&#62; &#38; &#160;|&#55296;") == "总分 &#60;b&#62; &#38; \xa0|&#55296;"
