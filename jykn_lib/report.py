"""Leadership reports: masking personal data, notebook → HTML without code, and a scan of the HTML for leaks.

Leaders see masked identity numbers (first 6 and last 4 characters) and no phone numbers. :func:`mask_frame` prepares a
table for display; :func:`notebook_to_html` renders an executed notebook without its code; the batch runner then calls
:func:`scan_html_for_personal_data` and :func:`html_has_code_cells` on the result.
"""

from __future__ import annotations

import copy
import html
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from jykn_lib import idcard
from jykn_lib.files import atomic_write

# Header fragments (matched after removing spaces, case-insensitive) that mark a column as identity numbers. 残疾人证号
# and 伤残证件号 embed the identity number, so they are masked the same way.
ID_HEADER_MARKERS: tuple[str, ...] = ("公民身份号码", "身份号码", "身份证", "证件号", "残疾人证号", "id_number")
PHONE_HEADER_MARKERS: tuple[str, ...] = ("联系电话", "电话", "手机", "phone")

DROPPED_CELL_TAGS = frozenset({"parameters", "injected-parameters", "interactive"})  # interactive: widget forms
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)

EXTRA_CSS = """
body, .jp-Notebook, .jp-RenderedHTMLCommon {
  font-family: "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC",
    "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
}
.jp-RenderedText pre {
  font-family: "Sarasa Mono SC", "Noto Sans Mono CJK SC", "Microsoft YaHei", Consolas, monospace;
}
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-OutputArea-output, .jp-OutputArea-output pre { overflow: visible; max-height: none; }
"""


# ---------------------------------------------------------------------------------------------------------------------
# Masking


def mask_id(value: object) -> str:
    """Identity number with the first 6 and last 4 characters kept and the rest as * (blank stays blank)."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # list-like values: let idcard.mask stringify them
        pass
    return idcard.mask(value)


def is_id_header(header: object) -> bool:
    key = _header_key(header)
    return any(marker.lower() in key for marker in ID_HEADER_MARKERS)


def is_phone_header(header: object) -> bool:
    key = _header_key(header)
    return any(marker.lower() in key for marker in PHONE_HEADER_MARKERS)


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for leadership output: identity-number columns masked, phone columns dropped.

    Index levels named like identity numbers are masked too (a table indexed by 公民身份号码 would otherwise leak).
    """
    out = df.drop(columns=[c for c in df.columns if is_phone_header(c)])
    out = out.copy()
    for col in out.columns:
        if is_id_header(col):
            out[col] = _mask_values(out[col])
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            # free text (判定依据, 排除原因 …) may quote a number (a 户号, a phone): mask what the scanner would find
            out[col] = out[col].map(lambda v: mask_text(v) if isinstance(v, str) else v)
    if any(is_id_header(name) for name in out.index.names if name is not None):
        if isinstance(out.index, pd.MultiIndex):
            levels = [
                _mask_values(pd.Series(out.index.get_level_values(i))) if is_id_header(name)
                else out.index.get_level_values(i)
                for i, name in enumerate(out.index.names)
            ]
            out.index = pd.MultiIndex.from_arrays(levels, names=out.index.names)
        else:
            out.index = pd.Index(_mask_values(pd.Series(out.index)), name=out.index.name)
    return out


def mask_text(text: str) -> str:
    """Every identity-like number → first 6 + * + last 4; every phone number → first 3 + **** + last 4."""
    for hit in scan_html_for_personal_data(text):
        digits = [c for c in hit if c.isdigit() or c in "Xx"]
        if len(digits) >= 15 and hit.isalnum():
            masked = hit[:6] + "*" * (len(hit) - 10) + hit[-4:]
        else:
            masked = "".join(digits[:3]) + "****" + "".join(digits[-4:])
        text = text.replace(hit, masked)
    return text


def _mask_values(values: pd.Series) -> pd.Series:
    masked = [pd.NA if _blank(v) else mask_id(v) for v in values]
    return pd.Series(masked, index=values.index, dtype="string", name=values.name)


def _blank(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _header_key(header: object) -> str:
    text = "".join(str(part) for part in header) if isinstance(header, tuple) else str(header)
    return re.sub(r"\s+", "", text).lower()


# ---------------------------------------------------------------------------------------------------------------------
# Notebook → HTML


def notebook_to_html(ipynb_path: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None) -> Path:
    """Render an executed notebook as HTML for leaders: no code, no prompts, no parameter cells, no stderr.

    The page title is *title*, else the notebook's first markdown heading, else the file name. Images are embedded, the
    page is marked ``lang="zh-CN"`` with a CJK font stack. Written atomically. Returns the HTML path.
    """
    import nbformat
    from nbconvert import HTMLExporter

    source = Path(ipynb_path)
    nb = nbformat.read(source, as_version=4)
    nb = _strip_for_leaders(nb)
    page_title = title or first_heading(nb) or source.stem
    nb.metadata["title"] = page_title  # the lab template prefers metadata.title over resources

    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="zh",  # nbconvert accepts only ISO 639-1 here; the region is added below
    )
    resources = {"metadata": {"name": page_title, "path": str(source.parent.resolve())}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _HTML_TAG.sub('<html lang="zh-CN">', body, count=1)
    body = _EXTERNAL_SCRIPT.sub("", body)  # require.js, MathJax, mermaid from CDNs: offline office browsers
    body = _add_css(body)
    return atomic_write(Path(html_path), body, personal=False)


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
    return html.unescape(text).strip()


def _strip_for_leaders(nb):
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # saved widget state would embed the forms' answers (unmasked) in the page
    kept = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & DROPPED_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        kept.append(cell)
    nb.cells = kept
    return nb


# A <script> element that loads or imports from the internet (the lab template adds three; leaders' reports need none).
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>\s*|"
                              r"<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", re.S | re.I)


def _add_css(body: str) -> str:
    style = f'<style type="text/css">{EXTRA_CSS}</style>\n'
    index = body.find("</head>")
    return body[:index] + style + body[index:] if index >= 0 else style + body


# ---------------------------------------------------------------------------------------------------------------------
# Scanning the HTML


# Embedded images and fonts are base64: random digit runs there are not personal data.
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*;base64,[A-Za-z0-9+/=\s]+")
_PERSONAL = re.compile(
    r"""
    (?<![0-9])(?:
        [0-9]{17}[0-9Xx]                                  # 18-character identity number
      | [0-9]{15}                                         # 15-digit identity number (before 1999)
      | (?:\+?86[-\x20]?)?1[3-9][0-9](?:[-\x20]?[0-9]{4}){2}  # mobile, also 139-1234-5678 / 139 1234 5678 / +86
      | (?:\(0[0-9]{2,3}\)|（0[0-9]{2,3}）|0[0-9]{2,3}[-－\x20])[0-9]{7,8}  # landline with area code: 0763-1234567
    )(?![0-9])
    """,
    re.VERBOSE,
)

# Class names nbconvert gives only to the input (code) part of a code cell, in the lab and classic templates.
_CODE_INPUT_CLASSES = frozenset({"jp-InputArea-editor", "jp-CodeMirrorEditor", "input_area"})
_CLASS_ATTR = re.compile(r"<[A-Za-z][^<>]*?\bclass\s*=\s*(\"[^\"]*\"|'[^']*')", re.DOTALL)


def scan_html_for_personal_data(html_text: str) -> list[str]:
    """Unmasked identity numbers and phone numbers found in the HTML, distinct, in order of first appearance.

    Masked forms (441803********123X, 139****5678) are not hits: the * breaks the digit run. A number is only a hit
    when it is not part of a longer digit run.
    """
    text = _DATA_URI.sub(" ", html_text)
    hits: list[str] = []
    for m in _PERSONAL.finditer(text):
        if m.group(0) not in hits:
            hits.append(m.group(0))
    return hits


def html_has_code_cells(html_text: str) -> bool:
    """True if the HTML shows the source of any code cell (nbconvert's input editor areas)."""
    for m in _CLASS_ATTR.finditer(html_text):
        classes = m.group(1)[1:-1].split()
        if _CODE_INPUT_CLASSES.intersection(classes) or any(c.startswith("hl-") for c in classes):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------------
# Tables in the leaders' HTML

LONG_TEXT_COLUMNS = ("判定依据", "排除原因", "依据", "提示", "符合类别", "说明", "未提供时无法判断", "问题类型")


def styled(df: pd.DataFrame, wrap: tuple[str, ...] = LONG_TEXT_COLUMNS):
    """A masked table for display: no index, left-aligned, short columns kept on one line, long texts wrapped."""
    masked = mask_frame(df)
    style = masked.style.hide(axis="index").set_properties(**{"text-align": "left", "vertical-align": "top"})
    short = [c for c in masked.columns if c not in wrap]
    if short:
        style = style.set_properties(subset=short, **{"white-space": "nowrap"})
    long = [c for c in masked.columns if c in wrap]
    if long:
        style = style.set_properties(subset=long, **{"min-width": "16em"})
    return style.set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("white-space", "nowrap")]}])
