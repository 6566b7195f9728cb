"""The quarter's two pages, rendered with Jinja2 (``jykn_lib/runner/templates/``):

- ``<quarter>/index.html`` for the analysts: every run with its status, report, workbooks, charts and executed
  notebook, grouped by 区汇总 and town; files in the folders that this batch did not write are listed apart, marked
  as from an earlier run (stale), with their time; a failed run's set-aside files are named, not linked.
- ``<quarter>/领导报告.html`` for the leaders: only the HTML reports (masked, without code). No workbook, no executed
  notebook (which may hold full identity numbers in widget state), no run manifest is linked from it.

Relative links, no personal data (titles, statuses, file names — masked — and times).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jykn_lib.files import atomic_write
from jykn_lib.periods import Quarter
from jykn_lib.runner.execute import RunResult, mask_personal
from jykn_lib.runner.manifest import (
    DONE,
    INDEX_NAME,
    LEADERS_NAME,
    MANIFEST_NAME,
    RUNNING,
    SCANNED_SUFFIXES,
    current_files,
    quarter_files,
)
from jykn_lib.runner.plan import DISTRICT_DIR, RunRequest

KIND = {".xlsx": "工作簿", ".html": "报告", ".png": "图表", ".docx": "文书", ".ipynb": "执行记录"}
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Link:
    href: str
    text: str
    kind: str = ""
    when: str = ""  # for files of an earlier run: when they were written


@dataclass
class Row:
    title: str
    status: str
    css: str  # ok / bad / wait
    detail: str
    report: Link | None
    outputs: list[Link]
    record: Link | None
    set_aside: str = ""  # where a failed run's files went (named, not linked: not to be used)


@dataclass
class Group:
    name: str
    rows: list[Row] = field(default_factory=list)
    earlier: list[Link] = field(default_factory=list)


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_index(request: RunRequest, results: list[RunResult], **kw) -> Path:
    text = render_index(request, results, **kw)
    return atomic_write(request.quarter_dir / INDEX_NAME, text, personal=False)


def write_leaders(request: RunRequest, results: list[RunResult], **kw) -> Path:
    text = render_leaders(request, results, **kw)
    return atomic_write(request.quarter_dir / LEADERS_NAME, text, personal=False)


def _common(request: RunRequest, results: list[RunResult], started: float, finished: float | None, status: str,
            interrupted: str | None) -> dict:
    from jykn_lib.contract import district

    info = district()["district"]
    q = request.quarter
    ok = sum(r.ok for r in results)
    return {
        "place": f"{info.get('city', '')}{info.get('name', '')}",
        "quarter": str(q),
        "quarter_label": q.label,
        "period_name": "季度" if isinstance(q, Quarter) else "年度",
        "period": f"{q.start}～{q.end}",
        "as_of": request.as_of.isoformat(),
        "started": _clock(started),
        "finished": _clock(finished) if finished else "",
        "seconds": f"{finished - started:.0f}" if finished else "",
        "status": status,
        "running": status == RUNNING,
        "done": status == DONE,
        "interrupted": interrupted,
        "n_runs": len(results),
        "n_ok": ok,
        "n_bad": len(results) - ok if status != RUNNING else 0,
    }


def render_index(request: RunRequest, results: list[RunResult], *, started: float, finished: float | None = None,
                 status: str = DONE, notes: list[str] | None = None, interrupted: str | None = None) -> str:
    qdir = request.quarter_dir
    current = current_files(results)
    linked: set[Path] = set()
    groups = []
    for name in _group_order(request, results, qdir):
        group = Group(name)
        for r in (r for r in results if r.scope_name == name):
            group.rows.append(_row(r, qdir, linked))
        folder = qdir / name
        for p in quarter_files(folder, SCANNED_SUFFIXES) if folder.is_dir() else []:
            if p.resolve() in linked:
                continue
            when = "" if p.resolve() in current else _clock(p.stat().st_mtime)
            group.earlier.append(_link(p, qdir, kind=KIND.get(p.suffix.lower(), "文件"), when=when))
        groups.append(group)
    context = _common(request, results, started, finished, status, interrupted)
    context |= {
        "title": f"{context['place']}就业困难人员认定和服务 · {request.quarter.label}报告索引",
        "periods": _other_periods(request),
        "groups": groups,
        "notes": [mask_personal(n) for n in notes or []],
        "manifest": Link(_href(MANIFEST_NAME), MANIFEST_NAME),
        "leaders": Link(_href(LEADERS_NAME), LEADERS_NAME),
    }
    return _environment().get_template("index.html.j2").render(**context)


def render_leaders(request: RunRequest, results: list[RunResult], *, started: float, finished: float | None = None,
                   status: str = DONE, interrupted: str | None = None) -> str:
    """Only reports: this batch's good ones, then any earlier ones still in the folders, marked with their time."""
    qdir = request.quarter_dir
    current = {r.html.resolve(): r for r in results if r.ok and r.html is not None and r.html.is_file()}
    unfinished = {r.scope_name for r in results if not r.ok}
    groups = []
    for name in _group_order(request, results, qdir):
        group = Group(name)
        for path, r in current.items():
            if r.scope_name == name:
                group.rows.append(Row(r.title, r.status, "ok", "", _link(path, qdir, text=r.title), [], None))
        folder = qdir / name
        for p in quarter_files(folder, {".html"}) if folder.is_dir() else []:
            if p.resolve() not in current:
                group.earlier.append(_link(p, qdir, text=_report_title(p, request), when=_clock(p.stat().st_mtime)))
        if group.rows or group.earlier or name in unfinished:
            groups.append(group)
    context = _common(request, results, started, finished, status, interrupted)
    context |= {
        "title": f"{context['place']}就业困难人员认定和服务 · {request.quarter.label}报告",
        "groups": groups,
        "unfinished": [g for g in _group_order(request, results, qdir) if g in unfinished],
    }
    return _environment().get_template("leaders.html.j2").render(**context)


def _report_title(path: Path, request: RunRequest) -> str:
    """The notebook's Chinese title for a report this batch did not make (``01_screening_2026Q4_太和镇.html`` →
    主动筛查); the file name only for a report of no registered notebook."""
    for nb in request.registry.notebooks:
        if path.stem.startswith(f"{nb.stem}_"):
            return nb.title
    return mask_personal(path.stem)


def _row(r: RunResult, qdir: Path, linked: set[Path]) -> Row:
    css = "ok" if r.ok else ("wait" if r.status == RUNNING else "bad")
    report = _link(r.html, qdir, text="HTML 报告") if r.ok and r.html else None
    outputs: list[Link] = []
    record = None
    if r.ok:
        shown = [p for p in dict.fromkeys([*r.outputs, *r.written]) if p.suffix.lower() in SCANNED_SUFFIXES]
        outputs = [_link(p, qdir, kind=KIND.get(p.suffix.lower(), "文件")) for p in shown]
        record = _link(r.ipynb, qdir) if r.ipynb else None
        linked.update(p.resolve() for p in (r.html, r.ipynb, *shown) if p is not None)
    elif r.ipynb is not None and r.ipynb.is_file():  # the failed run's notebook, with the error (set aside)
        record = _link(r.ipynb, qdir, text=f"{r.ipynb.name}（出错记录）")
    aside = ""
    if r.failed_dir is not None:
        aside = Path(os.path.relpath(r.failed_dir, qdir)).as_posix() + "/"
    return Row(f"{r.notebook_id} {r.title}", r.status_text, css, mask_personal(r.detail) if not r.ok else "",
               report, outputs, record, aside)


def _group_order(request: RunRequest, results: list[RunResult], qdir: Path) -> list[str]:
    from jykn_lib.contract import town_names

    present = {r.scope_name for r in results}
    if qdir.is_dir():
        present |= {p.name for p in qdir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    order = [DISTRICT_DIR] + town_names()
    return [g for g in order if g in present] + sorted(present - set(order))


def _other_periods(request: RunRequest) -> list[Link]:
    """A quarter's page links its year's page (年度考核) and a year's page its quarters' pages, when they exist (a link
    must resolve: a quarter run before the year run has no year page to link yet)."""
    from .plan import YearPeriod

    out, year = request.out_dir, request.quarter.year
    if not isinstance(request.quarter, YearPeriod):
        page = out / str(year) / INDEX_NAME
        return [_link(page, request.quarter_dir, f"{year}年度（镇街年度考核）")] if page.is_file() else []
    pages = [out / f"{year}Q{n}" / INDEX_NAME for n in range(1, 5)]
    return [_link(p, request.quarter_dir, f"{year}年第{n}季度") for n, p in enumerate(pages, 1) if p.is_file()]


def _link(path: Path, qdir: Path, text: str | None = None, kind: str = "", when: str = "") -> Link:
    rel = Path(os.path.relpath(path, qdir)).as_posix()
    return Link(_href(rel), mask_personal(text or path.name), kind, when)


def _href(rel: str) -> str:
    return quote(rel, safe="/")  # escaped again by the template


def _clock(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")
