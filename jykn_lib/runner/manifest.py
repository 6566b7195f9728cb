"""``<out>/<quarter>/run_manifest.json``: the provenance of one batch run.

Parameters, the data folder's files (name, size, sha256), the versions of the package, the rules and the tools, every
run with its status, error, timing, outputs (relative path, size, sha256) and row counts, and the files of the quarter
folder. It holds no personal data: file names, counts and masked messages only (``.jykn`` caches are not listed).
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

from jykn_lib.files import atomic_json
from jykn_lib.runner.execute import RunResult, sanitize
from jykn_lib.runner.plan import WORK_DIR_NAME, RunRequest

MANIFEST_NAME = "run_manifest.json"
INDEX_NAME = "index.html"
SCANNED_SUFFIXES = {".xlsx", ".html", ".png", ".docx"}
FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_record(path: Path, root: Path) -> dict[str, Any]:
    return {"path": rel(path, root), "size": path.stat().st_size, "sha256": sha256_file(path)}


def rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def input_files(data_dir: Path) -> list[dict[str, Any]]:
    """Every file directly in the data folder (subfolders are ignored by the readers, so by the manifest too)."""
    return [
        {"name": p.name, "size": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(data_dir.iterdir(), key=lambda p: p.name)
        if p.is_file()
    ]


def quarter_files(quarter_dir: Path, suffixes: Iterable[str] | None = None) -> list[Path]:
    """Files of the quarter folder (outside ``.jykn`` work folders), optionally only some kinds, sorted."""
    out = []
    for root, dirs, files in os.walk(quarter_dir):
        dirs[:] = sorted(d for d in dirs if d != WORK_DIR_NAME and not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if name.startswith((".", "~$")) or name in (MANIFEST_NAME, INDEX_NAME) and Path(root) == quarter_dir:
                continue
            if suffixes is None or path.suffix.lower() in suffixes:
                out.append(path)
    return out


def versions() -> dict[str, str]:
    import nbconvert
    import pandas
    import papermill

    import jykn_lib
    from jykn_lib.params import load_parameters

    return {
        "jykn": jykn_lib.__version__,
        "rules": load_parameters().version(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "papermill": papermill.__version__,
        "nbconvert": nbconvert.__version__,
    }


def build_manifest(
    request: RunRequest,
    results: list[RunResult],
    *,
    started: float,
    finished: float,
    inputs: list[dict[str, Any]],
) -> dict[str, Any]:
    qdir = request.quarter_dir
    runs = []
    for r in results:
        outputs = [file_record(p, qdir) for p in (r.ipynb, r.html, *r.outputs) if p is not None and p.is_file()]
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
                    "detail": r.detail,
                    "cell": r.cell,
                    "cell_first_line": r.cell_first_line,
                    "ename": r.ename,
                    "evalue": r.evalue,
                    "missing_outputs": r.missing,
                },
                "started_offset_seconds": round(max(0.0, r.started - started), 2) if r.started else None,
                "duration_seconds": round(r.duration, 2),
                "outputs": outputs,
                "row_counts": r.info.get("row_counts", {}),
                "figures": r.info.get("figures", {}),
            }
        )
    ok = sum(r.ok for r in results)
    manifest = {
        "format": FORMAT_VERSION,
        "title": f"{request.quarter.label}批量运行清单",
        "parameters": request.parameters_record(),
        "started_at": _stamp(started),
        "finished_at": _stamp(finished),
        "duration_seconds": round(finished - started, 2),
        "versions": versions(),
        "inputs": inputs,
        "summary": {"runs": len(results), "ok": ok, "failed": len(results) - ok},
        "runs": runs,
        "files": [file_record(p, qdir) for p in quarter_files(qdir)],
    }
    return sanitize(manifest)


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """The manifest holds no personal data: readable like the reports."""
    return atomic_json(path, payload, personal=False)


def _stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
