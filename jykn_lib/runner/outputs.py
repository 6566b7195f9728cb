"""What one notebook run wrote, and what happens to it when the run fails or is interrupted.

Policy (README, "季度批量运行"): a run's files replace the earlier run's only when it succeeds. Before a run, the files of
its scope folder are snapshotted as hard links (``<scope>/.jykn/snapshot/<run>/``); every file the kernel writes is
recorded by :func:`jykn_lib.files.atomic_path` in ``<scope>/.jykn/<run>.written``. When the run fails (or the batch is
interrupted), everything it wrote — workbooks, charts, kept results, and the executed notebook with the error — is moved
to ``<scope>/.失败输出/<run>/`` with a note saying not to use it, and the earlier files it had replaced are put back, so
the scope folder holds the earlier run's files, which the index lists as earlier (stale). A run killed with its batch
(``kill -9``, power cut) leaves its ``.written`` record behind; the next batch moves those files aside the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jykn_lib.files import atomic_write

WORK_DIR = ".jykn"
FAILED_DIR = ".失败输出"
SNAPSHOT_DIR = "snapshot"
WRITTEN_SUFFIX = ".written"
PARTIAL_SUFFIX = ".partial.ipynb"  # papermill warns about an output not ending in .ipynb
NOTE_NAME = "说明_勿用.txt"
MTIME_SLACK = 2.0  # seconds: coarse file-system timestamps


@dataclass
class Quarantined:
    moved: list[Path]  # the failed run's files, at their new place
    ipynb: Path | None  # its executed notebook (with the error), None when it never started
    restored: list[Path]  # earlier files put back in place
    stuck: list[str]  # files that could not be moved (Chinese: path and reason)


@dataclass(frozen=True)
class RunFiles:
    """The bookkeeping paths of one run: its scope folder and the stem of its executed notebook."""

    scope_dir: Path
    stem: str

    @property
    def work(self) -> Path:
        return self.scope_dir / WORK_DIR

    @property
    def written_log(self) -> Path:
        return self.work / f"{self.stem}{WRITTEN_SUFFIX}"

    @property
    def partial(self) -> Path:
        """Where papermill writes the notebook while it runs (renamed into place only when the run is judged)."""
        return self.work / f"{self.stem}{PARTIAL_SUFFIX}"

    @property
    def signal_mark(self) -> Path:
        """Written by a worker stopped by a signal while on this run (jykn_lib.runner.procs)."""
        return self.work / f"{self.stem}.signal"

    @property
    def snapshot(self) -> Path:
        return self.work / SNAPSHOT_DIR / self.stem

    @property
    def failed(self) -> Path:
        return self.scope_dir / FAILED_DIR / self.stem


def run_files(spec) -> RunFiles:
    return RunFiles(spec.output_ipynb.parent, spec.output_ipynb.stem)


def visible_files(folder: Path) -> list[Path]:
    """Files under ``folder`` outside hidden folders (``.jykn``, ``.失败输出``) and without hidden or lock names."""
    out = []
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(root) / f for f in sorted(files) if not f.startswith((".", "~$"))]
    return out


# ------------------------------------------------------------------------------------------------ before a run


def prepare(rf: RunFiles) -> None:
    """Fresh bookkeeping for a run: no record, no partial notebook, a snapshot of the scope folder as it is now."""
    rf.work.mkdir(parents=True, exist_ok=True)
    rf.written_log.unlink(missing_ok=True)
    rf.partial.unlink(missing_ok=True)
    rf.signal_mark.unlink(missing_ok=True)
    shutil.rmtree(rf.snapshot, ignore_errors=True)
    for path in visible_files(rf.scope_dir):
        link = rf.snapshot / path.relative_to(rf.scope_dir)
        try:
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
        except OSError:  # no hard links here (some network shares): that file cannot be put back, nothing else
            pass
    # papermill opens the output with "w" each time it saves: created owner-only, it stays so (it holds personal data)
    os.close(os.open(rf.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def reset(runs: Iterable[RunFiles]) -> None:
    """At the start of a batch (after :func:`recover_abandoned`): no record of an earlier batch can be taken for ours."""
    for rf in runs:
        rf.written_log.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ what a run wrote


def written(rf: RunFiles, quarter_dir: Path, expected: Iterable[Path] = (), start: float | None = None) -> list[Path]:
    """Files the run wrote that are still in place: its record (atomic writes, our own code), plus the expected
    outputs newer than ``start`` (a notebook that wrote them another way). Only files in the quarter folder,
    outside hidden folders; the executed notebook and HTML report are the runner's own and not included."""
    found: list[Path] = []
    try:
        lines = rf.written_log.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    root = quarter_dir.resolve()
    for line in lines:
        path = Path(line)
        if path.is_file() and path.is_relative_to(root) and not _hidden(path.relative_to(root)):
            found.append(path)
    for path in expected:
        if start is not None and path.is_file() and path.stat().st_mtime >= start - MTIME_SLACK:
            found.append(path.resolve())
    own = {(rf.scope_dir / f"{rf.stem}{s}").resolve() for s in (".ipynb", ".html")}
    unique: list[Path] = []
    for p in found:
        if p not in unique and p not in own:
            unique.append(p)
    return unique


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


# ------------------------------------------------------------------------------------------------ after a run


def succeeded(rf: RunFiles) -> None:
    """The run is good: its files stay; the snapshot and an older failed attempt's files go."""
    shutil.rmtree(rf.snapshot, ignore_errors=True)
    _prune(rf.snapshot.parent)
    shutil.rmtree(rf.failed, ignore_errors=True)
    _prune(rf.failed.parent)
    rf.partial.unlink(missing_ok=True)
    rf.written_log.unlink(missing_ok=True)


def quarantine(rf: RunFiles, quarter_dir: Path, expected: Iterable[Path] = (), start: float | None = None,
               *, reason: str = "运行未成功") -> Quarantined:
    """Move what a failed run wrote to ``<scope>/.失败输出/<run>/`` and put back the earlier files it replaced."""
    files = written(rf, quarter_dir, expected, start)
    shutil.rmtree(rf.failed, ignore_errors=True)
    out = Quarantined([], None, [], [])
    for path in files:
        rel = _rel(path, rf.scope_dir, quarter_dir)
        dest = rf.failed / rel
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
        except OSError as exc:
            out.stuck.append(f"{path}（{exc.strerror or exc}）")
            continue
        out.moved.append(dest)
        earlier = rf.snapshot / rel
        try:
            if earlier.is_file() and not os.path.samestat(os.stat(earlier), os.stat(dest)):
                os.replace(earlier, path)  # the earlier run's file, as it was
                out.restored.append(path)
        except OSError:  # the earlier file stays in the snapshot's place; the failed one is already aside
            pass
    if rf.partial.is_file() and rf.partial.stat().st_size > 0:
        # a notebook papermill could not finish writing (killed, disk full) must not look complete
        out.ipynb = rf.failed / (f"{rf.stem}.ipynb" if _complete(rf.partial) else f"{rf.stem}（不完整）.ipynb")
        try:
            out.ipynb.parent.mkdir(parents=True, exist_ok=True)
            os.replace(rf.partial, out.ipynb)
        except OSError:
            out.ipynb = None
    rf.partial.unlink(missing_ok=True)
    if out.moved or out.ipynb:
        when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        atomic_write(rf.failed / NOTE_NAME,
                     f"本文件夹中的文件来自 {when} 一次{reason}的运行（{rf.stem}），不可使用。\n"
                     "执行记录（.ipynb）中保留了出错的单元格。修正问题后重新运行即可；较早运行的文件仍在原位置。\n",
                     personal=False)
    shutil.rmtree(rf.snapshot, ignore_errors=True)
    _prune(rf.snapshot.parent)
    rf.written_log.unlink(missing_ok=True)
    return out


def _complete(path: Path) -> bool:
    try:
        import nbformat

        nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        return True
    except Exception:  # truncated JSON, bad encoding, not a notebook
        return False


def _rel(path: Path, scope_dir: Path, quarter_dir: Path) -> Path:
    scope = scope_dir.resolve()
    if path.is_relative_to(scope):
        return path.relative_to(scope)
    return Path("其他文件夹") / path.relative_to(quarter_dir.resolve())


def _prune(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty


def recover_abandoned(quarter_dir: Path) -> list[tuple[RunFiles, Quarantined]]:
    """Runs of a batch that was killed without cleaning up (their ``.written`` record is still there): move what they
    wrote aside, as for a failed run."""
    found = []
    if not quarter_dir.is_dir():
        return found
    for log in sorted(quarter_dir.glob(f"*/{WORK_DIR}/*{WRITTEN_SUFFIX}")):
        rf = RunFiles(log.parent.parent, log.name[: -len(WRITTEN_SUFFIX)])
        found.append((rf, quarantine(rf, quarter_dir, reason="被强行终止")))
    return found
