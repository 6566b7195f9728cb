"""What the three forms share: HTML pieces (tables, sections, messages), value formatting, and knowing whether a front
end shows widgets at all.

Everything here returns HTML text; the forms put it into an ``HTML`` widget, and the tests read it back.
"""

from __future__ import annotations

import datetime as dt
import html
import os

import numpy as np
import pandas as pd

APP_ENV = "JYKN_APP"  # set by `jykn app` for the Voilà kernel: a browser shows the widgets
NO_FRONT_END = ("本 Notebook 的查询表单（人员查询、资格测算、名单筛选）需要在 JupyterLab 中交互使用，"
                "或用 jykn app 在浏览器中打开；在批量运行（papermill）中不显示表单。")
ALL = "（全部）"
STYLE = """<style>
.jykn-answer table {border-collapse: collapse; margin: 4px 0 10px 0; font-size: 13px;}
.jykn-answer th, .jykn-answer td {border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top;}
.jykn-answer th {background: #f0f0f0; white-space: nowrap;}
.jykn-answer td {white-space: nowrap;}
.jykn-answer td.jykn-wrap {white-space: normal; min-width: 240px;}
.jykn-answer .jykn-scroll {overflow-x: auto; max-width: 100%;}
.jykn-answer h4 {margin: 12px 0 4px 0; border-bottom: 1px solid #ddd;}
.jykn-answer .jykn-error {color: #b00;}
.jykn-answer .jykn-note {color: #666;}
.jykn-answer ol.jykn-timeline {margin: 4px 0; padding-left: 22px;}
.jykn-answer ol.jykn-timeline li {margin: 2px 0;}
</style>"""


def has_front_end() -> bool:
    """Whether the widgets are shown to a person: JupyterLab (its requests allow stdin), or the Voilà page of
    ``jykn app`` (which sets ``$JYKN_APP``). Under papermill or nbclient (no stdin, no browser) they are not."""
    if os.environ.get(APP_ENV) == "1":
        return True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(getattr(kernel, "_allow_stdin", False))


def esc(value) -> str:
    return html.escape(text(value))


def text(value) -> str:
    """A cell as a person reads it: dates as YYYY-MM-DD, blanks as empty, booleans as 是/否."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def answer(*parts: str) -> str:
    """The whole answer of a form, styled."""
    return STYLE + "<div class='jykn-answer'>" + "".join(parts) + "</div>"


def section(title: str, *body: str) -> str:
    return f"<h4>{html.escape(title)}</h4>" + "".join(body)


def para(words: str, cls: str = "") -> str:
    klass = f" class='{cls}'" if cls else ""
    return f"<p{klass}>{html.escape(words)}</p>"


def error(words: str) -> str:
    return para(words, "jykn-error")


def note(words: str) -> str:
    return para(words, "jykn-note")


def table(frame: pd.DataFrame, limit: int | None = None) -> str:
    """A frame as an HTML table (escaped), at most ``limit`` rows with a line saying how many there are."""
    if frame.empty:
        return note("（无记录）")
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    columns = [shown[c].map(esc).to_numpy() for c in shown.columns]
    # long texts (reasons, evidence) wrap; codes, dates and numbers stay on one line
    opens = ["<td class='jykn-wrap'>" if len(v) and max(map(len, v)) > 30 else "<td>" for v in columns]
    rows = "".join("<tr>" + "".join(f"{o}{v}</td>" for o, v in zip(opens, row)) + "</tr>" for row in zip(*columns))
    more = note(f"共 {len(frame)} 条，显示前 {limit} 条。") if limit is not None and len(frame) > limit else ""
    return f"<div class='jykn-scroll'><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{more}"


def pairs(items: list[tuple[str, object]]) -> str:
    """A two-column table of labels and values (one person's facts)."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td class='jykn-wrap'>{esc(v)}</td></tr>" for k, v in items)
    return f"<table><tbody>{rows}</tbody></table>"


def bullet(lines: list[str]) -> str:
    if not lines:
        return ""
    return "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"
