"""nbconvert's HTML exporter without its second pass through BeautifulSoup.

``HTMLExporter.from_notebook_node`` renders the page, then parses all of it again with BeautifulSoup's pure-Python
parser only to add three attributes: ``alt`` on images that have none and ``tabindex="0"`` on input wrappers and
outputs (writing numeric character references back as characters on the way). On a town's page (a 1,500-row table,
1.8 MB) that pass was 80% of the export, about 0.4 s a run. Here the same is done on the rendered text, to the tags
our template writes; the page is the same as nbconvert's up to BeautifulSoup's re-serialisation
(``tests/test_report_exporter.py`` compares them), except that the images' missing description is Chinese."""

from __future__ import annotations

import re
from typing import Any

from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

IMAGE_ALT = "图表"  # nbconvert: "No description has been provided for this image"

_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)([^>]*?)(\s*/?)>", re.IGNORECASE)
# nbconvert's selectors ".jp-Notebook div.jp-Cell-inputWrapper" and ".jp-Notebook div.jp-OutputArea-output": every
# such div of the lab template lies inside the notebook's main element.
_FOCUSABLE_DIV = re.compile(
    r'<div\b(?![^>]*\stabindex=)([^>]*\sclass="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?"'
    r'[^>]*?)>')


# nbconvert writes the headings' text (its anchor filter) as numeric character references (&#24635;&#20998; for 总分);
# BeautifulSoup's pass wrote them back as characters. So do we: the page's text must be findable as text, by a reader's
# search and by the scans of the finished page (jargon, personal data). Only code points from U+00A0 up: the ASCII
# ones may be markup (&#60; is "<").
_CHAR_REF = re.compile(r"&#(?:x([0-9a-fA-F]+)|([0-9]+));")


def _character(m: re.Match) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return chr(code) if code >= 0xA0 and not 0xD800 <= code <= 0xDFFF and code <= 0x10FFFF else m.group(0)


def add_accessibility(html: str) -> str:
    """What nbconvert's BeautifulSoup pass changes, done on the rendered text: the attributes it adds, and numeric
    character references written as the characters."""
    html = _CHAR_REF.sub(_character, html)
    html = _IMG_WITHOUT_ALT.sub(lambda m: f'<img{m.group(1)} alt="{IMAGE_ALT}"{m.group(2)}>', html)
    return _FOCUSABLE_DIV.sub(lambda m: f'<div{m.group(1)} tabindex="0">', html)


class LeadersHTMLExporter(HTMLExporter):
    """``HTMLExporter`` whose ``from_notebook_node`` is nbconvert 7's up to the BeautifulSoup pass."""

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return add_accessibility(html), resources
