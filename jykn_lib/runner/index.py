"""``<out>/<quarter>/index.html``: one page linking every report and workbook of the quarter, grouped by 区汇总 and
by town, with a one-line status per run. Built from the run results plus a scan of the quarter folder (files from
earlier runs are listed too, marked as earlier). Relative links, no personal data (file names and statuses only).
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from urllib.parse import quote

from jykn_lib.files import atomic_write
from jykn_lib.runner.execute import RunResult
from jykn_lib.runner.manifest import INDEX_NAME, MANIFEST_NAME, SCANNED_SUFFIXES, quarter_files
from jykn_lib.runner.plan import DISTRICT_DIR, RunRequest

KIND = {".xlsx": "工作簿", ".html": "报告", ".png": "图表", ".docx": "文书", ".ipynb": "执行记录"}

CSS = """
body { font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif;
       margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; line-height: 1.5; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 2px solid #2b6cb0; padding-bottom: .2rem; }
.meta { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; table-layout: fixed; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f3f6f9; }
td.ok { color: #1a7f37; font-weight: bold; }
td.bad { color: #c62828; font-weight: bold; }
.detail { color: #555; font-size: .85rem; font-weight: normal; }
.old { color: #888; }
ul.files { margin: .3rem 0 0 1.2rem; padding: 0; font-size: .92rem; }
a { color: #0b5cad; text-decoration: none; }
a:hover { text-decoration: underline; }
"""


def write_index(request: RunRequest, results: list[RunResult], *, started: float, finished: float) -> Path:
    text = render_index(request, results, started=started, finished=finished)
    return atomic_write(request.quarter_dir / INDEX_NAME, text, personal=False)


def render_index(request: RunRequest, results: list[RunResult], *, started: float, finished: float) -> str:
    from jykn_lib.contract import district

    qdir = request.quarter_dir
    info = district()["district"]
    place = f"{info.get('city', '')}{info.get('name', '')}"
    q = request.quarter
    title = f"{place}就业困难人员认定和服务 · {q.label}报告索引"
    ok = sum(r.ok for r in results)
    failed = len(results) - ok

    groups = _group_order(request, results, qdir)
    linked: set[Path] = set()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">季度 {_e(str(q))}（{q.start}～{q.end}）· 基准日 {request.as_of.isoformat()} · '
        f"运行于 {_e(_clock(started))}，用时 {finished - started:.0f} 秒 · 共 {len(results)} 个运行："
        f"成功 {ok}，失败 {failed} · "
        f'<a href="{_href(MANIFEST_NAME)}">运行清单 {MANIFEST_NAME}</a></p>',
    ]
    if failed:
        parts.append(f'<p class="meta">有 {failed} 个运行未成功，原因见各表“状态”列；失败运行的执行记录（.ipynb）保留了出错的单元格。</p>')

    for name in groups:
        folder = qdir / name
        group_runs = [r for r in results if r.scope_name == name]
        parts.append(f"<h2>{_e(name)}</h2>")
        if group_runs:
            parts.append(_runs_table(group_runs, qdir, linked))
        scanned = quarter_files(folder, SCANNED_SUFFIXES) if folder.is_dir() else []
        others = [p for p in scanned if p not in linked]
        if others:
            label = "本文件夹中的其他文件" if group_runs else "本文件夹中的文件（本次未运行）"
            items = []
            for p in others:
                old = p.stat().st_mtime < started - 2
                note = '<span class="old">（较早生成）</span>' if old else ""
                items.append(f'<li>{KIND.get(p.suffix.lower(), "文件")}：{_link(p, qdir)}{note}</li>')
            parts.append(f"<p>{label}：</p><ul class=\"files\">{''.join(items)}</ul>")
        if not group_runs and not others:
            parts.append("<p class=\"detail\">（无文件）</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _group_order(request: RunRequest, results: list[RunResult], qdir: Path) -> list[str]:
    from jykn_lib.contract import town_names

    present = {r.scope_name for r in results}
    if qdir.is_dir():
        present |= {p.name for p in qdir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    order = [DISTRICT_DIR] + town_names()
    return [g for g in order if g in present] + sorted(present - set(order))


def _runs_table(runs: list[RunResult], qdir: Path, linked: set[Path]) -> str:
    rows = [
        "<table>",
        '<colgroup><col style="width:16%"><col style="width:24%"><col style="width:11%">'
        '<col style="width:27%"><col style="width:22%"></colgroup>',
        "<thead><tr><th>Notebook</th><th>状态</th><th>报告</th><th>工作簿与其他输出</th><th>执行记录</th></tr></thead>",
        "<tbody>",
    ]
    for r in runs:
        css = "ok" if r.ok else "bad"
        detail = f'<div class="detail">{_e(r.detail)}</div>' if r.detail and not r.ok else ""
        report = _link(r.html, qdir, "HTML 报告") if r.html else "—"
        outputs = "<br>".join(_link(p, qdir) for p in r.outputs) or "—"
        record = _link(r.ipynb, qdir, r.ipynb.name) if r.ipynb else "—"
        linked.update(p for p in (r.html, r.ipynb, *r.outputs) if p is not None)
        rows.append(
            f"<tr><td>{_e(r.notebook_id)} {_e(r.title)}</td><td class=\"{css}\">{_e(r.status_text)}{detail}</td>"
            f"<td>{report}</td><td>{outputs}</td><td>{record}</td></tr>"
        )
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)


def _link(path: Path, qdir: Path, text: str | None = None) -> str:
    rel = Path(os.path.relpath(path, qdir)).as_posix()
    return f'<a href="{_href(rel)}">{_e(text or path.name)}</a>'


def _href(rel: str) -> str:
    return html.escape(quote(rel, safe="/"), quote=True)


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _clock(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")
