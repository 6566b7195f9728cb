"""run(): check and claim the quarter folder, execute the plan, and always write the index pages and the manifest.

Before any notebook runs: the output folder must be writable (and not full); the quarter folder is locked for this
run (one run at a time, :mod:`jykn_lib.runner.lock`) and claimed for this data folder
(:func:`jykn_lib.kit.setup.claim_quarter`; ``--replace`` hands it over); files left by a batch that was killed are set
aside. The index pages and the manifest are written at once with 状态 运行中 (so an earlier 成功 page never stays up
during or after a run that dies), and again at the end: 完成, or 已中断 with what finished.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from jykn_lib.files import DIGESTS_ENV, OutputError, atomic_write
from jykn_lib.runner import outputs as runfiles
from jykn_lib.runner.execute import RunResult, blocked_result, run_plan, stamp
from jykn_lib.runner.index import write_index, write_leaders
from jykn_lib.runner.lock import LockBusy, QuarterLock
from jykn_lib.runner.manifest import (
    DONE,
    INTERRUPTED,
    MANIFEST_NAME,
    RUNNING,
    build_manifest,
    input_files,
    write_digests,
    write_json,
)
from jykn_lib.runner.plan import WORK_DIR_NAME, RunError, RunRequest, build_plan
from jykn_lib.runner.procs import Interrupted, interrupt_signals, signals_ignored

MIN_FREE_BYTES = 20 * 1024 * 1024  # refuse to start on a (nearly) full disk rather than fail after every notebook


@dataclass
class RunOutcome:
    request: RunRequest
    results: list[RunResult]
    index_path: Path
    leaders_path: Path
    manifest_path: Path
    started: float
    finished: float
    interrupted: Interrupted | None = None
    notes: list[str] = field(default_factory=list)  # stale lock taken over, abandoned outputs set aside …
    write_errors: list[str] = field(default_factory=list)  # index or manifest could not be written (Chinese)

    @property
    def ok(self) -> bool:
        return self.interrupted is None and not self.write_errors and all(r.ok for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        if self.interrupted is not None:
            return self.interrupted.exit_code
        return 0 if self.ok else 1

    def summary_lines(self) -> list[str]:
        n, bad = len(self.results), self.failed
        head = "运行被中断" if self.interrupted else "运行完成"
        lines = [
            f"[{stamp()}] {self.request.quarter.label}（{self.request.quarter}，基准日 {self.request.as_of}）{head}："
            f"共 {n} 个运行，成功 {n - len(bad)} 个，未成功 {len(bad)} 个，用时 {self.finished - self.started:.1f} 秒。"
        ]
        if self.interrupted:
            lines.append(f"收到 {self.interrupted.label}：已停止全部 Notebook 和内核；中断时未完成的运行记为“已中断”，"
                         "它们写出的文件已移开，不可使用。")
        lines += self.notes
        if self.request.skipped_notebooks:
            lines.append(f"运行登记表中尚无文件、本次未运行的 Notebook：{'、'.join(self.request.skipped_notebooks)}。")
        if bad:
            lines.append("未成功的运行：")
            for r in bad:
                lines.append(f"  ✗ {r.report_line()}")
                if r.ipynb:
                    note = "（含出错的单元格）" if r.cell is not None else ""
                    lines.append(f"    执行记录{note}：{r.ipynb}")
        for err in self.write_errors:
            lines.append(f"错误：{err}")
        lines.append(f"运行清单：{self.manifest_path}")
        lines.append(f"领导阅览页（只含 HTML 报告）：{self.leaders_path}")
        lines.append(f"索引页：{self.index_path}")
        return lines


def check_writable(quarter_dir: Path) -> None:
    """The output folder can take files and has room: else RunError (Chinese), before anything runs."""
    probe = quarter_dir / WORK_DIR_NAME / ".写入检查"
    try:
        atomic_write(probe, b"ok", personal=False)
        probe.unlink()
    except OSError as exc:
        raise RunError(f"无法写入输出文件夹 {quarter_dir}：{exc.strerror or exc}。本次未运行任何 Notebook。") from None
    free = shutil.disk_usage(quarter_dir).free
    if free < MIN_FREE_BYTES:
        raise RunError(f"输出文件夹 {quarter_dir} 所在磁盘只剩 {free // (1024 * 1024)} MB：请清理磁盘后重新运行。"
                       "本次未运行任何 Notebook。")


def run(request: RunRequest, *, progress: bool | None = None) -> RunOutcome:
    """Execute a validated request. Raises RunError (Chinese) when it cannot start: folder not writable, another run
    holds it, made from another data folder. Once started, always writes the index pages and run_manifest.json."""
    from jykn_lib.kit.setup import claim_quarter

    qdir = request.quarter_dir
    check_writable(qdir)
    lock = QuarterLock(qdir)
    try:
        taken_over = lock.acquire()
    except LockBusy as exc:
        raise RunError(str(exc)) from None
    try:
        try:
            claim_quarter(qdir, request.data_dir, replace=request.replace)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        notes = [taken_over] if taken_over else []
        for rf, q in runfiles.recover_abandoned(qdir):
            if q.moved or q.ipynb:
                notes.append(f"上次被强行终止的运行 {rf.stem} 写出的 {len(q.moved)} 个文件已移到 "
                             f"{rf.failed.relative_to(qdir).as_posix()}/，不可使用。")
        return _run_locked(request, progress, notes)
    finally:
        lock.release()


def _run_locked(request: RunRequest, progress: bool | None, notes: list[str]) -> RunOutcome:
    started = time.time()
    specs = build_plan(request)
    runfiles.reset(runfiles.run_files(s) for s in specs)
    digests: dict = {}
    inputs = input_files(request.data_dir, digests)  # hashed before the runs: what they read
    digest_file = write_digests(request.quarter_dir, digests)  # the kernels' parse cache need not hash them again
    paths = _pages(request)
    waiting = [blocked_result(s, "等待或正在运行") for s in specs]
    for r in waiting:
        r.status = RUNNING
    interrupted: Interrupted | None = None
    results = None
    with interrupt_signals():  # from the first page on, a signal ends in pages saying 已中断
        try:
            try:  # the pages say 运行中 at once: an earlier 成功 page must not outlive a run that is killed
                _write_pages(request, waiting, started=started, finished=None, inputs=inputs, status=RUNNING,
                             notes=notes)
            except OutputError as exc:
                raise RunError(f"{exc.strerror or exc}。本次未运行任何 Notebook。") from None
            results, interrupted = run_plan(  # Ctrl-C and SIGTERM while it runs: handled inside
                specs,
                jobs=request.jobs,
                registry_path=str(request.registry_path),
                kernel=request.kernel,
                timeout=request.timeout,
                progress=progress,
                env={**request.kernel_env(), DIGESTS_ENV: str(digest_file) if digest_file else None},
            )
        except Interrupted as exc:  # before the pool started (or right after it ended): record what is known
            interrupted = exc
            if results is None:
                results = [blocked_result(s, f"运行被中断（{exc.label}），未开始") for s in specs]
        with signals_ignored():
            finished = time.time()
            errors = _write_pages(request, results, started=started, finished=finished, inputs=inputs,
                                  status=INTERRUPTED if interrupted else DONE, notes=notes, interrupted=interrupted,
                                  strict=False)
    return RunOutcome(request, results, *paths, started, finished, interrupted, notes, errors)


def _pages(request: RunRequest) -> tuple[Path, Path, Path]:
    from jykn_lib.runner.manifest import INDEX_NAME, LEADERS_NAME

    q = request.quarter_dir
    return q / INDEX_NAME, q / LEADERS_NAME, q / MANIFEST_NAME


def _write_pages(request, results, *, started, finished, inputs, status, notes, interrupted=None,
                 strict: bool = True) -> list[str]:
    """The two pages and the manifest. ``strict``: the first OutputError is raised; else each is tried, and the
    Chinese errors are returned (a page that cannot be written must not keep the manifest from being written)."""
    label = interrupted.label if interrupted else None
    steps = [
        lambda: write_index(request, results, started=started, finished=finished, status=status, notes=notes,
                            interrupted=label),
        lambda: write_leaders(request, results, started=started, finished=finished, status=status, interrupted=label),
        lambda: write_json(request.quarter_dir / MANIFEST_NAME,
                           build_manifest(request, results, started=started, finished=finished, inputs=inputs,
                                          status=status, interrupted=label, notes=notes)),
    ]
    errors = []
    for step in steps:
        try:
            step()
        except OutputError as exc:
            if strict:
                raise
            errors.append(f"{exc.strerror or exc}（索引页或运行清单未能更新）")
    return errors
