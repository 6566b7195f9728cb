"""``<out>/<quarter>/run_manifest.json``: the provenance of one batch run.

Parameters, the data folder's files (name, size, sha256), the versions of the package, the rules and the tools, every
run with its status, error, timing, outputs (relative path, size, sha256) and row counts, and the files of the quarter
folder, each marked current (written by this batch) or not. Written when the batch starts (状态 运行中), and again when
it ends (完成) or is interrupted (已中断, with what finished). It holds no personal data: file names, counts and
messages, with identity and phone numbers masked in the texts and names where they can appear — never in the hashes,
which stay exact (``sha256sum`` gives the same). ``.jykn`` caches and set-aside failed outputs are not listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any, Iterable

from jykn_lib.files import atomic_json, file_stamp, sha256_file
from jykn_lib.runner.execute import RunResult, mask_personal, sanitize
from jykn_lib.runner.plan import WORK_DIR_NAME, RunRequest

MANIFEST_NAME = "run_manifest.json"
INDEX_NAME = "index.html"
LEADERS_NAME = "领导报告.html"
SCANNED_SUFFIXES = {".xlsx", ".html", ".png", ".docx", ".ipynb"}
FORMAT_VERSION = 2
RUNNING, DONE, INTERRUPTED = "运行中", "完成", "已中断"


def file_record(path: Path, root: Path) -> dict[str, Any]:
    """Path (masked: an output may be named after a person), size, exact hash."""
    return {"path": mask_personal(rel(path, root)), "size": path.stat().st_size, "sha256": sha256_file(path)}


def rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def input_files(data_dir: Path, digests: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every file directly in the data folder (subfolders are ignored by the readers, so by the manifest too). A file
    that cannot be read (a dangling link, no permission) is listed with the reason instead of a hash. ``digests``:
    filled with absolute path → stamp and sha256, for the kernels' parse cache (a file that changed while it was
    hashed is left out)."""
    out = []
    for p in sorted(data_dir.iterdir(), key=lambda p: p.name):
        if not (p.is_file() or (p.is_symlink() and not p.is_dir())):
            continue
        entry: dict[str, Any] = {"name": mask_personal(p.name)}
        try:
            before = file_stamp(p)
            entry |= {"size": before[0], "sha256": sha256_file(p)}
            if digests is not None and file_stamp(p) == before:
                digests[os.path.abspath(p)] = {"stamp": before, "sha256": entry["sha256"]}
        except OSError as exc:
            entry["error"] = unreadable_reason(p, exc)
        out.append(entry)
    return out


def write_digests(quarter_dir: Path, digests: dict[str, Any]) -> Path | None:
    """The inputs' digests for this batch's kernels (``<quarter>/.jykn/input_digests.json``, owner only); None when it
    cannot be written (each kernel then hashes for itself)."""
    try:
        return atomic_json(quarter_dir / WORK_DIR_NAME / "input_digests.json", digests, personal=True)
    except OSError:
        return None


def unreadable_reason(path: Path, exc: OSError) -> str:
    import errno

    if path.is_symlink() and not path.exists():
        return f"链接指向的文件不存在（{os.readlink(path)}）"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "没有读取权限"
    return f"无法读取：{exc.strerror or exc}"


def quarter_files(quarter_dir: Path, suffixes: Iterable[str] | None = None) -> list[Path]:
    """Files of the quarter folder (outside ``.jykn`` work folders), optionally only some kinds, sorted."""
    out = []
    for root, dirs, files in os.walk(quarter_dir):
        dirs[:] = sorted(d for d in dirs if d != WORK_DIR_NAME and not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if name.startswith((".", "~$")) or name in (MANIFEST_NAME, INDEX_NAME, LEADERS_NAME) and Path(root) == quarter_dir:
                continue
            if suffixes is None or path.suffix.lower() in suffixes:
                out.append(path)
    return out


def versions() -> dict[str, str]:
    """Versions from the installed packages' metadata: importing papermill and nbconvert here would cost the runner's
    own process about a second before the first run starts."""
    from importlib import metadata

    import jykn_lib
    from jykn_lib.params import load_parameters

    return {
        "jykn": jykn_lib.__version__,
        "rules": load_parameters().version(),
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in ("pandas", "papermill", "nbconvert")},
    }


def build_manifest(
    request: RunRequest,
    results: list[RunResult],
    *,
    started: float,
    finished: float | None,
    inputs: list[dict[str, Any]],
    status: str = DONE,
    interrupted: str | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    qdir = request.quarter_dir
    current = current_files(results)
    runs = []
    for r in results:
        produced = [p for p in (r.ipynb, r.html, *r.written, *r.outputs) if p is not None]
        outputs = [file_record(p, qdir) for p in dict.fromkeys(produced) if p.is_file()] if r.ok else []
        runs.append(
            {
                "key": r.key,
                "notebook": r.notebook_id,
                "title": r.title,
                "scope": r.scope,
                "town": r.town,
                "status": r.status,
                "status_text": r.status_text,
                "ok": r.ok,
                "error": None
                if r.ok
                else {
                    "detail": mask_personal(r.detail),
                    "cell": r.cell,
                    "cell_first_line": mask_personal(r.cell_first_line),
                    "ename": r.ename,
                    "evalue": mask_personal(r.evalue),
                    "missing_outputs": [mask_personal(m) for m in r.missing],
                },
                "started_offset_seconds": round(max(0.0, r.started - started), 2) if r.started else None,
                "duration_seconds": round(r.duration, 2),
                "outputs": outputs,
                # a failed run's files: moved aside, not to be used (their hashes say which versions they were)
                "set_aside": [file_record(p, qdir) for p in (*r.moved, *([r.ipynb] if not r.ok and r.ipynb else []))
                              if p.is_file()],
                "restored_earlier": [mask_personal(rel(p, qdir)) for p in r.restored],
                "row_counts": r.info.get("row_counts", {}),
                "figures": r.info.get("figures", {}),
                # where the run's seconds went: kernel start-up, the notebook's cells, the library's steps, the HTML
                "timing": r.timing,
            }
        )
    ok = sum(r.ok for r in results)
    return {
        "format": FORMAT_VERSION,
        "title": f"{request.quarter.label}批量运行清单",
        "status": status,
        "interrupted_by": interrupted,
        "notes": [mask_personal(n) for n in notes or []],
        "parameters": _masked_parameters(request.parameters_record()),
        "started_at": _stamp(started),
        "finished_at": _stamp(finished) if finished else None,
        "duration_seconds": round(finished - started, 2) if finished else None,
        "versions": versions(),
        "inputs": inputs,
        "summary": {"runs": len(results), "ok": ok, "failed": len(results) - ok},
        "runs": runs,
        "leaders_page": LEADERS_NAME,
        "files": [file_record(p, qdir) | {"current": p.resolve() in current} for p in quarter_files(qdir)],
    }


def current_files(results: list[RunResult]) -> set[Path]:
    """Files written by this batch's successful runs (resolved paths)."""
    out: set[Path] = set()
    for r in results:
        if r.ok:
            out |= {p.resolve() for p in (r.ipynb, r.html, *r.written, *r.outputs) if p is not None}
    return out


def _masked_parameters(record: dict[str, Any]) -> dict[str, Any]:
    return sanitize(record)  # folder names and extra values are free text: masked like messages


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """The manifest holds no personal data: readable like the reports."""
    return atomic_json(path, payload, personal=False)


def _stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
