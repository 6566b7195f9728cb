"""An executed notebook → the leaders' HTML page: nbconvert with our template ``jykn_leaders`` (extends ``lab``).

What is left out, and how:

- cells tagged ``parameters``, ``injected-parameters``, ``interactive`` (widget forms) or ``analyst-only`` (what only
  the analyst needs: output file lists, check counts) — nbconvert's ``TagRemovePreprocessor``;
- all code, prompts, printed lines (stdout and stderr), plain-text-only results, widget views and tracebacks — the
  template (a failed section reads "本节未能生成"); saved widget state — removed from the notebook's metadata;
- scripts from the internet (require.js, MathJax, mermaid): office browsers are often offline.

What is added: a heading that names the report, the district, the town (or 全区), the quarter and the reference date
(from the runner's title and the notebook's parameters); a CJK font stack; styles that keep wide tables inside 1280 px,
let them scroll inside their own box on a phone, and print them on A4 landscape.

A page that would show repository jargon (file names such as ``docs/rules.md``, "见仓库…") is refused with
:class:`ReportError`: leaders never read how the repository is organised. The batch runner then also scans the page for
code and unmasked personal numbers (:func:`html_has_code_cells`, :func:`jykn_lib.report.scan_html_for_personal_data`).
"""

from __future__ import annotations

import ast
import copy
import functools
import html as _html
import os
import re
from pathlib import Path

from jykn_lib.files import atomic_write

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "jykn_leaders"
# Cells that never reach leaders; ``analyst-only`` is this project's tag (docs/notebook_kit.md §1).
DROPPED_CELL_TAGS = frozenset({"parameters", "injected-parameters", "interactive", "analyst-only"})
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


class ReportError(ValueError):
    """The leaders' page cannot be made as it would read. The message is Chinese."""


def notebook_to_html(ipynb_path: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None) -> Path:
    """Render an executed notebook as the leaders' HTML page, written atomically (a report: mode 0644).

    The heading is *title* (the runner passes "主动筛查（太和镇，2026Q4）"), else the notebook's first markdown heading
    completed with the town and quarter of its parameters, else the file name; under it a line with the district, the
    scope, the quarter and the reference date. Raises :class:`ReportError` when the page would show repository jargon.
    """
    import nbformat

    source = Path(ipynb_path)
    nb = nbformat.read(source, as_version=4)
    facts = notebook_parameters(nb)
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # saved widget state would embed the forms' answers (unmasked) in the page
    page_title = title or default_title(nb, facts, source.stem)
    nb.metadata["title"] = page_title  # the lab template prefers metadata.title over resources

    resources = {"metadata": {"name": page_title, "path": str(source.parent.resolve())},
                 "jykn": {"title": page_title, "meta": meta_line(facts)}}
    body, _ = leaders_exporter().from_notebook_node(nb, resources=resources)
    body = _HTML_TAG.sub('<html lang="zh-CN">', body, count=1)
    jargon = scan_html_for_jargon(body)
    if jargon:
        raise ReportError(f"领导看的报告 {Path(html_path).name} 中出现了仓库内部的说明（{'、'.join(jargon[:5])}）："
                          "请改写 Notebook 中给领导看的文字，或给只供分析人员看的单元格加上 analyst-only 标签。")
    return atomic_write(Path(html_path), body, personal=False)


@functools.lru_cache(maxsize=1)
def leaders_exporter():
    """One exporter per process: its templates are compiled once (about a second), not for every report."""
    return new_exporter()


def new_exporter(exporter_class=None, **options):
    """The leaders' page exporter, configured; ``exporter_class`` (default :class:`LeadersHTMLExporter`) lets the
    tests render the same page with nbconvert's own ``HTMLExporter``."""
    from nbconvert.preprocessors import TagRemovePreprocessor

    from jykn_lib.report.exporter import LeadersHTMLExporter

    settings = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True,
                "embed_images": True,
                "language_code": "zh"}  # nbconvert accepts only ISO 639-1 here; the region is added below
    exporter = (exporter_class or LeadersHTMLExporter)(extra_template_basedirs=[str(TEMPLATE_DIR)],
                                                       template_name=TEMPLATE_NAME, **{**settings, **options})
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(DROPPED_CELL_TAGS), enabled=True), enabled=True)
    return exporter


def warm_up() -> None:
    """Compile the templates now (a pool worker calls this when it starts, before its first run)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 预热")])
    leaders_exporter().from_notebook_node(nb, resources={"metadata": {"name": "预热", "path": "."},
                                                         "jykn": {"title": "预热", "meta": ""}})


# ---------------------------------------------------------------------------------------------------------------------
# The heading


def notebook_parameters(nb) -> dict[str, str]:
    """The literal values of the parameters cell, overridden by papermill's injected cell (quarter, town, as_of …)."""
    values: dict[str, str] = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type == "code" and tag in cell.get("metadata", {}).get("tags", []):
                values.update(_literal_assignments(cell.source))
    return values


def _literal_assignments(source: str) -> dict[str, str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                continue
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out[target.id] = str(value)
    return out


def meta_line(facts: dict[str, str]) -> list[str]:
    """区 · 范围 · 季度 · 基准日, from what the parameters say (missing parts are left out)."""
    parts = []
    district = _district_name()
    if district:
        parts.append(district)
    if facts.get("town"):
        parts.append(facts["town"])
    quarter = facts.get("quarter", "").strip()
    if quarter:
        try:
            from jykn_lib.periods import Quarter

            parts.append(f"{Quarter.parse(quarter).label}（{quarter}）")
        except ValueError:
            parts.append(quarter)
    if facts.get("as_of", "").strip():
        parts.append(f"基准日 {facts['as_of'].strip()}")
    return parts


def default_title(nb, facts: dict[str, str], fallback: str) -> str:
    """The first heading (or the file name), completed with the town and quarter when it does not name them."""
    head = first_heading(nb) or fallback
    missing = [facts[k] for k in ("town", "quarter") if facts.get(k) and facts[k] not in head]
    return f"{head}（{'，'.join(missing)}）" if missing else head


def _district_name() -> str:
    try:
        from jykn_lib.params import load_yaml

        return str(load_yaml("district.yaml")["district"]["name"])
    except (OSError, KeyError, TypeError):
        return ""


def first_heading(nb) -> str | None:
    """Text of the first markdown heading (ATX ``#`` or setext) in the notebook, without markup."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m and m.group(1):
                return _plain(m.group(1))
            if i + 1 < len(lines) and line.strip() and re.match(r"^ {0,3}(=+|-+)\s*$", lines[i + 1]):
                return _plain(line.strip())
    return None


def _plain(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[*_`]+", "", text)
    return _html.unescape(text).strip()


# ---------------------------------------------------------------------------------------------------------------------
# Scans of the page

# Class names nbconvert gives only to the input (code) part of a code cell, in the lab and classic templates.
_CODE_INPUT_CLASSES = frozenset({"jp-InputArea-editor", "jp-CodeMirrorEditor", "input_area"})
_CLASS_ATTR = re.compile(r"<[A-Za-z][^<>]*?\bclass\s*=\s*(\"[^\"]*\"|'[^']*')", re.DOTALL)


def html_has_code_cells(html_text: str) -> bool:
    """True if the HTML shows the source of any code cell (nbconvert's input editor areas)."""
    for m in _CLASS_ATTR.finditer(html_text):
        classes = m.group(1)[1:-1].split()
        if _CODE_INPUT_CLASSES.intersection(classes) or any(c.startswith("hl-") for c in classes):
            return True
    return False


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_JARGON = re.compile(
    r"""(?:\b(?:docs|params|jykn_lib|notebooks|tests|benchmarks)/[\w./\-]*     # a repository folder
      | \b[\w\-]+\.(?:md|py|ya?ml|ipynb|toml|parquet)\b                        # a repository file
      | 仓库 | \bRULES\b | \bREADME\b)""",
    re.VERBOSE,
)


def visible_text(html_text: str) -> str:
    """What a reader of the page sees: no scripts, no styles, no tags, entities decoded."""
    text = _SCRIPT_OR_STYLE.sub(" ", html_text)
    text = re.sub(r"<[^<>]*>", " ", text)
    return _html.unescape(text)


def scan_html_for_jargon(html_text: str) -> list[str]:
    """Repository words a leader would read (``docs/rules.md``, ``RULES.md §0``, "见仓库中的…"), distinct, in order."""
    found: list[str] = []
    for m in _JARGON.finditer(visible_text(html_text)):
        if m.group(0) not in found:
            found.append(m.group(0))
    return found
