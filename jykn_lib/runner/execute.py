"""Execute the planned runs with papermill in a pool of processes, keep going on failure, check the outputs.

Working folder of a kernel: the notebook's own folder, as when it is opened in JupyterLab, so a notebook behaves the
same interactively and in the batch; the notebooks resolve their relative paths against the repository root anyway
(``jykn_lib.kit.setup``) and the runner passes absolute ones.

Papermill writes the executed notebook to ``<scope>/.jykn/<run>.partial.ipynb`` while it runs; only a judged run's
notebook is put in place (atomically), so a kill or a full disk never leaves a truncated ``.ipynb`` that looks good.

A run counts as failed when a cell raises, when an expected output is missing, empty or left over from an earlier run,
when the HTML cannot be made, or when the HTML would show code or an unmasked identity/phone number (that HTML is
deleted). A failed run's files — what it wrote and its executed notebook with the error — are moved aside and the
earlier files it replaced are put back (:mod:`jykn_lib.runner.outputs`). A town run whose notebook's district run
failed is not started: it would read missing or stale shared results. An interrupted batch (Ctrl-C, SIGTERM) stops
its workers and their kernels, and records what finished and what was interrupted (:mod:`jykn_lib.runner.procs`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from jykn_lib.files import WRITTEN_LOG_ENV, atomic_write
from jykn_lib.runner import outputs as runfiles
from jykn_lib.runner import procs
from jykn_lib.runner.outputs import MTIME_SLACK
from jykn_lib.runner.plan import RunSpec
from jykn_lib.runner.procs import (
    SIGNAL_NAMES,
    Interrupted,
    pool_workers,
    signal_mark,
    signals_ignored,
    stop_tree,
    worker_init,
)
from jykn_lib.runner.registry import REGISTRY_ENV

OK, FAILED, MISSING, NOT_RUN, INTERRUPTED = "成功", "失败", "缺少输出", "未运行", "已中断"
ERROR_MARKER_TAG = "papermill-error-cell-tag"
INJECTED_TAG = "injected-parameters"
IPC_PATH_LIMIT = 90  # a Unix socket path is at most ~107 bytes; the kernel appends "-<port>"


@dataclass
class RunResult:
    key: str
    notebook_id: str
    title: str
    scope: str
    town: str
    scope_name: str
    status: str  # 成功 / 失败 / 缺少输出 / 未运行 / 已中断
    detail: str = ""  # one Chinese line: what went wrong
    cell: int | None = None  # 1-based position of the failing cell in the source notebook
    cell_first_line: str = ""
    ename: str = ""
    evalue: str = ""
    ipynb: Path | None = None  # the executed (or partial) notebook, when it exists
    html: Path | None = None
    outputs: list[Path] = field(default_factory=list)  # expected outputs found (a good run only)
    written: list[Path] = field(default_factory=list)  # every file the (good) run wrote, outside hidden folders
    moved: list[Path] = field(default_factory=list)  # a failed run's files, moved aside (not to be used)
    restored: list[Path] = field(default_factory=list)  # earlier files a failed run had replaced, put back
    failed_dir: Path | None = None  # <scope>/.失败输出/<run>/ when files were moved there
    missing: list[str] = field(default_factory=list)  # expected patterns not satisfied, with the reason
    info: dict[str, Any] = field(default_factory=dict)  # the run's .jykn/<id>_info.json
    started: float = 0.0  # epoch seconds
    duration: float = 0.0
    timing: dict[str, Any] = field(default_factory=dict)  # seconds by stage (run_timing), for the manifest

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def label(self) -> str:
        return f"{self.notebook_id} {self.title} · {self.scope_name}"

    @property
    def status_text(self) -> str:
        """成功 / 失败（第3个单元格：ValueError）/ 缺少输出 / 未运行 — the one-line status of the index page."""
        if self.status == FAILED and self.cell is not None:
            return f"{FAILED}（第{self.cell}个单元格：{self.ename}）"
        if self.status == FAILED and self.ename:
            return f"{FAILED}（{self.ename}）"
        return self.status

    def report_line(self) -> str:
        """Notebook, town, cell and exception in one Chinese line (terminal summary)."""
        head = f"{self.notebook_id} {self.title} · {self.scope_name}：{self.status}"
        if self.cell is not None:
            where = f"第{self.cell}个单元格（{self.cell_first_line}）" if self.cell_first_line else f"第{self.cell}个单元格"
            return f"{head}，{where}出错：{self.ename}: {self.evalue}"
        return f"{head}：{self.detail}" if self.detail else head


def blocked_result(spec: RunSpec, reason: str) -> RunResult:
    return _result(spec, NOT_RUN, detail=reason)


def _result(spec: RunSpec, status: str, **kw: Any) -> RunResult:
    return RunResult(
        key=spec.key,
        notebook_id=spec.notebook_id,
        title=spec.title,
        scope=spec.scope,
        town=spec.town,
        scope_name=spec.scope_name,
        status=status,
        **kw,
    )


# ------------------------------------------------------------------------------------------------ one run (worker)


def execute_run(spec: RunSpec, registry_path: str, kernel: str, timeout: int | None = None,
                env: dict[str, str | None] | None = None) -> RunResult:
    """Run one notebook with papermill and judge the result. Never raises for a notebook problem.

    ``env``: variables the kernel must see (``None`` removes one), e.g. the encryption switch of ``--encrypt``."""
    start = time.time()
    clock = time.perf_counter()
    os.environ[REGISTRY_ENV] = registry_path  # the kernel inherits it: validate_parameters reads the same run file
    for name, value in (env or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    logging.getLogger("papermill").setLevel(logging.ERROR)
    res = _result(spec, OK, started=start)
    rf = runfiles.run_files(spec)
    marks = [("start", clock)]  # the runner's own steps around papermill, for the manifest's timing.runner
    try:
        _clear_previous(spec)
        runfiles.prepare(rf)
        procs.CURRENT_MARK = str(rf.signal_mark)
        os.environ[WRITTEN_LOG_ENV] = str(rf.written_log)  # every atomic write of the kernel is recorded there
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from jykn_lib.runner import nb_engine

        _readable_parameters(kernel)
        marks.append(("prepare", time.perf_counter()))
        try:
            with _stderr_to(log_path(spec)), _kernel_config() as config:
                _off_main_thread(lambda: papermill.execute_notebook(
                    str(spec.input_path),
                    str(rf.partial),
                    parameters=dict(spec.parameters),
                    kernel_name=kernel,
                    cwd=str(spec.input_path.parent),
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=True,
                    engine_name=nb_engine.ENGINE_NAME,  # the partial notebook saved every few seconds, not every cell
                    execution_timeout=timeout,
                    coalesce_streams=True,  # one text output per stream and cell, however the kernel flushed it
                    config=config,
                ))
        except PapermillExecutionError as exc:
            _cell_error(res, exc, rf.partial)
    except Exception as exc:  # kernel died, timeout, unreadable notebook, full disk …: the other runs go on
        res.status, res.ename, res.evalue = FAILED, type(exc).__name__, _short(mask_personal(str(exc)))
        res.detail = f"执行出错：{res.ename}: {res.evalue}"

    marks.append(("papermill", time.perf_counter()))
    expected = expected_paths(spec)
    res.outputs, res.missing = _check_outputs(spec, start, rf)
    if res.ok and res.missing:
        res.status = MISSING
        res.detail = "没有写出预期的输出：" + "；".join(res.missing)
    marks.append(("check", time.perf_counter()))
    draft = _make_html(res, spec, rf) if res.ok else None
    marks.append(("html", time.perf_counter()))
    executed = _finish_notebook(res, rf.partial, spec.output_ipynb) if res.ok else None
    if draft is not None:
        if res.ok:
            os.replace(draft, spec.output_html)  # written atomically beside it; in place only with its notebook
            res.html = spec.output_html
        draft.unlink(missing_ok=True)
    if res.ok:
        res.written = runfiles.written(rf, spec.quarter_dir, expected, start)
        res.ipynb = spec.output_ipynb
        res.info = _read_info(spec.info_path, start)
        runfiles.succeeded(rf)
        marks.append(("finish", time.perf_counter()))
        steps = {name: round(t - before, 3) for (_, before), (name, t) in itertools.pairwise(marks)}
        res.timing = run_timing(executed, res.info.get("timings", {}), steps)
    else:
        res.outputs = []
        set_aside(res, rf, spec, expected, start)
    os.environ.pop(WRITTEN_LOG_ENV, None)
    procs.CURRENT_MARK = None
    log = log_path(spec)
    if log.is_file() and log.stat().st_size == 0:
        log.unlink()  # nothing to read
    res.duration = time.perf_counter() - clock
    if res.timing:
        res.timing["total"] = round(res.duration, 3)
    return res


def run_timing(nb: Any, library: dict[str, float], runner: dict[str, float]) -> dict[str, Any]:
    """Seconds of one good run by stage, from papermill's cell timestamps in the executed notebook:

    ``kernel_start`` (papermill's start to the first cell), ``setup`` (the set-up cell: imports and parameters),
    ``run`` (the kit's cell), ``cells`` (every other cell: summaries, tables, figures shown), ``library`` (the kit's
    own steps inside the run cell: read, decide, keep | load, workbooks, figures), ``html`` (the leaders' report) and
    ``runner`` (the runner's own steps: prepare, papermill — all of the above but the HTML, with the kernel's
    shutdown —, check, html, finish). Empty when the notebook carries no timestamps."""
    try:
        begin = dt.datetime.fromisoformat(nb["metadata"]["papermill"]["start_time"])
        cells = [c for c in nb["cells"] if c.get("metadata", {}).get("papermill", {}).get("start_time")]
        first = dt.datetime.fromisoformat(cells[0]["metadata"]["papermill"]["start_time"])
        code = [c for c in cells if c["cell_type"] == "code"
                and not set(c["metadata"].get("tags", [])) & {"parameters", "injected-parameters"}]
        seconds = [float(c["metadata"]["papermill"].get("duration") or 0.0) for c in code]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    setup_s = seconds[0] if seconds else 0.0
    run_s = seconds[1] if len(seconds) > 1 else 0.0
    return {"kernel_start": round((first - begin).total_seconds(), 3), "setup": round(setup_s, 3),
            "run": round(run_s, 3), "cells": round(sum(seconds[2:]), 3),
            "library": {k: float(v) for k, v in library.items()}, "html": runner.get("html", 0.0), "runner": runner}


def _off_main_thread(call) -> Any:
    """Run papermill in a thread. On the main thread nbclient installs its own SIGINT/SIGTERM handlers (shut the
    kernel down, keep the worker alive) and leaves the defaults behind; off it, the worker's own handlers stay in
    charge (jykn_lib.runner.procs): Ctrl-C ignored, SIGTERM stops the kernel and the worker together."""
    import threading

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="papermill", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def set_aside(res: RunResult, rf: runfiles.RunFiles, spec: RunSpec, expected: list[Path], start: float,
              reason: str = "运行未成功") -> None:
    """A failed or interrupted run: its files moved aside, the earlier ones put back; the detail says so."""
    q = runfiles.quarantine(rf, spec.quarter_dir, expected, start, reason=reason)
    res.moved, res.restored, res.ipynb = q.moved, q.restored, q.ipynb
    if q.moved or q.ipynb:
        res.failed_dir = rf.failed
    notes = []
    if q.moved:
        notes.append(f"本次运行写出的 {len(q.moved)} 个文件已移到 {_rel_display(rf.failed, spec)}，不可使用")
    if q.restored:
        notes.append(f"被它替换的 {len(q.restored)} 个较早文件已放回原处（标为较早运行）")
    if q.stuck:
        notes.append("以下文件无法移开，不可使用：" + "、".join(q.stuck))
    if notes:
        res.detail = "；".join([res.detail] + notes if res.detail else notes)


def _rel_display(path: Path, spec: RunSpec) -> str:
    try:
        return path.relative_to(spec.quarter_dir).as_posix() + "/"
    except ValueError:
        return str(path)


def expected_paths(spec: RunSpec) -> list[Path]:
    return [p for pattern in spec.expected for p in _matches(spec.quarter_dir, pattern)]


def _finish_notebook(res: RunResult, partial: Path, final: Path) -> Any:
    """Put the executed notebook in place atomically, after checking that papermill wrote it completely; the parsed
    notebook (its cell timestamps give the run's timing), or None when it could not be put in place."""
    try:
        import nbformat

        data = partial.read_bytes()
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        atomic_write(final, data, personal=True)  # it may hold full identity numbers (tables, widget state)
        return nb
    except Exception as exc:
        res.status, res.ename, res.evalue = FAILED, type(exc).__name__, _short(mask_personal(str(exc)))
        res.detail = f"执行记录（.ipynb）无法完整写出：{res.ename}: {res.evalue}"
        return None


@contextmanager
def _kernel_config() -> Iterator[Any]:
    """The kernel talks to this worker over Unix sockets in a private folder (not TCP ports on the machine, and
    none of ipykernel's "running over TCP without encryption" warnings); TCP where such a path would be too long."""
    import shutil
    import tempfile

    from traitlets.config import Config

    # The kernel is stopped at once when the last cell is done, not given time for its exit hooks: every output was
    # written (atomically) by the cells themselves, and the graceful wait cost about a second per run.
    from jykn_lib.runner import kernels

    # Forked from the worker's preloaded fork server unless switched off (launched then); either way ready as soon
    # as the kernel answers (jykn_lib.runner.kernels).
    manager = f"{kernels.__name__}.{kernels.PreloadedKernelManager.__name__}"
    client: dict[str, Any] = {"NotebookClient": {"shutdown_kernel": "immediate", "kernel_manager_class": manager}}
    folder = tempfile.mkdtemp(prefix="jykn-k")
    try:
        if len(folder) + 10 > IPC_PATH_LIMIT or os.name != "posix":
            yield Config(client)
        else:
            yield Config({**client, "KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _readable_parameters(kernel: str) -> None:
    """Papermill writes ``town = "\\u592a\\u548c\\u9547"`` in the injected cell; write ``town = "太和镇"`` so the
    analyst can read the executed notebook. Registered for our kernel name in this worker process only."""
    from papermill.translators import PythonTranslator, papermill_translators

    class ReadablePythonTranslator(PythonTranslator):
        @classmethod
        def translate_str(cls, val: str) -> str:
            return json.dumps(val, ensure_ascii=False)  # JSON string escapes are valid Python escapes

    papermill_translators.register(kernel, ReadablePythonTranslator)


def log_path(spec: RunSpec) -> Path:
    """Kernel process messages of one run: ``<scope>/.jykn/<notebook stem>_<quarter>_<scope>.log``."""
    return spec.info_path.parent / f"{spec.output_ipynb.stem}.log"


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's stderr (inherited by the kernel it starts) to a log file: kernel start-up and shutdown
    messages belong in ``.jykn/<run>.log``, not between the progress lines. Cell output still goes to the notebook.
    The log may quote a traceback with personal data: owner-only, like the workbooks."""
    from jykn_lib.runner import kernels  # in the worker: jupyter_client is not imported by the runner's own process

    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.dup2(fd, 2)
            kernels.current_log = path  # a forked kernel opens it itself
            try:
                yield
            finally:
                kernels.current_log = None
                sys.stderr.flush()
                os.dup2(saved, 2)
        finally:
            os.close(fd)
    finally:
        os.close(saved)


def _clear_previous(spec: RunSpec) -> None:
    """The run's own records start afresh. The earlier run's workbooks, notebook and HTML stay until this run has
    succeeded: a failed re-run leaves them in place, listed as earlier (never as this run's)."""
    for path in (spec.info_path, log_path(spec)):
        path.unlink(missing_ok=True)


def _matches(root: Path, pattern: str) -> list[Path]:
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return sorted(p for p in root.glob(pattern) if p.is_file())
    path = root / pattern
    return [path] if path.is_file() else []


def _check_outputs(spec: RunSpec, start: float, rf: runfiles.RunFiles) -> tuple[list[Path], list[str]]:
    """Expected outputs this run wrote (its record, or a modification time since it started), not empty."""
    found: list[Path] = []
    missing: list[str] = []
    recorded = set(runfiles.written(rf, spec.quarter_dir))
    for pattern in spec.expected:
        paths = _matches(spec.quarter_dir, pattern)
        fresh = [p for p in paths if p.resolve() in recorded or p.stat().st_mtime >= start - MTIME_SLACK]
        good = [p for p in fresh if p.stat().st_size > 0]
        found.extend(good)
        if not paths:
            missing.append(f"{pattern}（不存在）")
        elif not fresh:
            missing.append(f"{pattern}（不是本次运行写出的）")
        elif not good:
            missing.append(f"{pattern}（空文件）")
    return found, missing


def _cell_error(res: RunResult, exc: Any, output: Path) -> None:
    """Cell position in the source notebook (papermill counts its injected cell), first line, exception."""
    res.status = FAILED
    res.ename = str(exc.ename or "")
    res.evalue = _short(mask_personal(str(exc.evalue or "")))
    lines = [ln.strip() for ln in str(exc.source or "").splitlines() if ln.strip()]
    res.cell_first_line = _short(mask_personal(lines[0]), 80) if lines else ""
    index = int(exc.cell_index)
    try:
        import nbformat

        nb = nbformat.read(str(output), as_version=4)
        cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
        injected = sum(1 for c in cells[:index] if INJECTED_TAG in c.get("metadata", {}).get("tags", []))
    except Exception:  # unreadable partial notebook: report papermill's own index
        injected = 0
    res.cell = index - injected + 1
    res.detail = f"第{res.cell}个单元格（{res.cell_first_line}）出错：{res.ename}: {res.evalue}"


def _make_html(res: RunResult, spec: RunSpec, rf: runfiles.RunFiles) -> Path | None:
    """Render the leaders' HTML from the executed notebook into the work folder and scan it; the caller puts it in
    place with the notebook. None (and the run failed) when it cannot be made or would show code or personal data."""
    draft = rf.work / f"{rf.stem}.partial.html"
    try:
        from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_personal_data

        title = f"{spec.title}（{spec.scope_name}，{spec.quarter_dir.name}）"
        notebook_to_html(rf.partial, draft, title=title)
        text = draft.read_text(encoding="utf-8")
    except Exception as exc:
        res.status, res.ename, res.evalue = FAILED, type(exc).__name__, _short(mask_personal(str(exc)))
        res.detail = f"生成 HTML 报告失败：{res.ename}: {res.evalue}"
        draft.unlink(missing_ok=True)
        return None
    hits = scan_html_for_personal_data(text)
    if hits or html_has_code_cells(text):
        draft.unlink(missing_ok=True)
        res.status = FAILED
        res.ename = "PersonalDataInReport" if hits else "CodeInReport"
        res.detail = (
            f"HTML 报告含 {len(hits)} 处未遮蔽的身份证号或电话号码，已删除该报告"
            if hits
            else "HTML 报告中显示了代码，已删除该报告"
        )
        return None
    return draft


def _read_info(path: Path, start: float) -> dict[str, Any]:
    try:
        if path.stat().st_mtime < start - MTIME_SLACK:
            return {}
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {k: sanitize(raw[k]) for k in ("row_counts", "figures", "timings") if k in raw}


def sanitize(value: Any) -> Any:
    """JSON value with identity and phone numbers masked in every string (the manifest carries no personal data)."""
    if isinstance(value, dict):
        return {mask_personal(str(k)): sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    if isinstance(value, str):
        return mask_personal(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return mask_personal(str(value))


def mask_personal(text: str) -> str:
    """Identity numbers → first 6 + * + last 4; phone numbers → first 3 + **** + last 4."""
    from jykn_lib.report import mask_text

    return mask_text(text)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------------ the pool


def stamp() -> str:
    """The time at the head of every progress line (cron and systemd logs)."""
    return time.strftime("%Y-%m-%d %H:%M:%S")


def run_plan(
    specs: list[RunSpec],
    *,
    jobs: int,
    registry_path: str,
    kernel: str,
    timeout: int | None = None,
    progress: bool | None = None,
    env: dict[str, str | None] | None = None,
) -> tuple[list[RunResult], Interrupted | None]:
    """Execute every run, respecting ``needs``/``after``; results in plan order, and the interruption if any.

    ``progress``: True = tqdm bar, False = silent, None = bar on a terminal, else one line per finished run (cron logs).
    On Ctrl-C or SIGTERM (:func:`jykn_lib.runner.procs.interrupt_signals` must be active): the workers and their
    kernels are stopped, the running runs' files set aside, and the runs are reported 已中断 / 未运行.
    """
    from tqdm import tqdm

    bar_on = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(specs), desc="运行 Notebook", unit="个", disable=not bar_on, file=sys.stderr, dynamic_ncols=True)
    log_lines = progress is None and not bar_on
    results: dict[str, RunResult] = {}
    pending = {s.key: s for s in specs}
    submitted: dict[str, float] = {}

    def finish(res: RunResult) -> None:
        results[res.key] = res
        bar.update(1)
        bar.set_postfix_str(f"{res.label}：{res.status}", refresh=True)
        line = f"[{stamp()}] [{len(results)}/{len(specs)}] {res.label}：{res.status}（{res.duration:.1f} 秒）"
        if log_lines:
            print(line, file=sys.stderr, flush=True)
        elif bar_on and not res.ok:
            bar.write(line, file=sys.stderr)

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or state

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_start,
                                   initargs=(os.getpid(),))

    pool = new_pool()
    running: dict[Future, RunSpec] = {}
    interrupted: Interrupted | None = None
    try:
        while pending or running:
            for key in list(pending):
                spec = pending[key]
                if spec.blocked:
                    del pending[key]
                    finish(blocked_result(spec, spec.blocked))
                    continue
                failed = [n for n in spec.needs if n in results and not results[n].ok]
                if failed:
                    del pending[key]
                    names = "、".join(results[n].scope_name + "运行" for n in failed)
                    finish(blocked_result(spec, f"本 Notebook 的{names}未成功，依赖其共享结果的本运行不进行"))
                    continue
                if all(k in results for k in (*spec.needs, *spec.after)):
                    del pending[key]
                    submitted[key] = time.time()
                    try:
                        fut = pool.submit(execute_run, spec, registry_path, kernel, timeout, env)
                    except BrokenProcessPool:
                        pool = new_pool()
                        fut = pool.submit(execute_run, spec, registry_path, kernel, timeout, env)
                    running[fut] = spec
            if not running:
                for key, spec in list(pending.items()):  # unreachable dependencies (not expected after validation)
                    del pending[key]
                    finish(blocked_result(spec, "所依赖的运行不在本次计划中"))
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                spec = running.pop(fut)
                try:
                    finish(fut.result())
                except Exception as exc:  # the worker process itself died: its files are set aside here
                    finish(_worker_died(spec, exc, submitted[spec.key]))
        with signals_ignored():  # all runs are in: a signal now changes nothing
            pool.shutdown(wait=True, cancel_futures=True)
    except Interrupted as exc:  # anywhere above, even after the last run finished
        interrupted = exc
        with signals_ignored():
            _stop(pool, running, pending, submitted, finish, exc)
    finally:
        bar.close()
    return [results[s.key] for s in specs], interrupted


def _worker_start(parent_pid: int) -> None:
    """Every pool worker: its signals (procs.worker_init), then papermill, nbformat and the HTML export imported
    once, when the worker starts, not in its first run (about 1–3 seconds); and the fork server its kernels come from."""
    worker_init(parent_pid)
    try:
        import nbformat  # noqa: F401
        import papermill  # noqa: F401

        from jykn_lib.report.page import warm_up
        from jykn_lib.runner import kernels

        warm_up()  # nbconvert imported, the leaders' template compiled
        kernels.start_server()  # the kernels' fork server imports while the first run is prepared
    except Exception:  # not hidden: the worker's runs import the same and fail with the reason
        pass


def _worker_died(spec: RunSpec, exc: Exception, submitted: float) -> RunResult:
    """A run whose worker process died: interrupted when a signal stopped it, else failed; its files set aside."""
    rf = runfiles.run_files(spec)
    signum = signal_mark(rf.signal_mark)
    if signum is not None:
        label = SIGNAL_NAMES.get(signum, f"信号 {signum}")
        res = _result(spec, INTERRUPTED, started=submitted, duration=time.time() - submitted,
                      detail=f"运行被中断（工作进程收到 {label}），未完成")
        set_aside(res, rf, spec, expected_paths(spec), submitted, reason="被中断")
    else:
        res = _result(spec, FAILED, ename=type(exc).__name__, evalue=_short(str(exc)), started=submitted,
                      detail=f"工作进程异常退出：{type(exc).__name__}: {_short(str(exc))}",
                      duration=time.time() - submitted)
        set_aside(res, rf, spec, expected_paths(spec), submitted)
    return res


def _stop(pool: ProcessPoolExecutor, running: dict[Future, RunSpec], pending: dict[str, RunSpec],
          submitted: dict[str, float], finish, exc: Interrupted) -> None:
    """After Ctrl-C or SIGTERM: no worker or kernel may go on writing; record every run that did not finish."""
    print(f"[{stamp()}] 收到 {exc.label}：正在停止运行中的 Notebook 和它们的内核……", file=sys.stderr, flush=True)
    workers = {p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid}
    workers |= set(pool_workers())  # also one the pool started in place of a worker that died a moment ago
    stop_tree(sorted(workers))
    pool.shutdown(wait=False, cancel_futures=True)
    for fut, spec in list(running.items()):
        if fut.done() and not fut.cancelled() and fut.exception() is None:  # finished just before the signal
            finish(fut.result())
            continue
        signal_mark(runfiles.run_files(spec).signal_mark)  # the worker's own note: the same interruption
        res = _result(spec, INTERRUPTED, started=submitted[spec.key],
                      detail=f"运行被中断（{exc.label}），未完成", duration=time.time() - submitted[spec.key])
        set_aside(res, runfiles.run_files(spec), spec, expected_paths(spec), submitted[spec.key], reason="被中断")
        finish(res)
    for spec in pending.values():
        finish(blocked_result(spec, f"运行被中断（{exc.label}），未开始"))
