"""Execute the planned runs with papermill in a pool of processes, keep going on failure, check the outputs.

Working folder of a kernel: the notebook's own folder, as when it is opened in JupyterLab, so a notebook behaves the
same interactively and in the batch; the notebooks resolve their relative paths against the repository root anyway
(``jykn_lib.kit.setup``) and the runner passes absolute ones.

A run counts as failed when a cell raises (papermill keeps the partial notebook, with the error, at the output path),
when an expected output is missing, empty or left over from an earlier run, when the HTML cannot be made, or when the
HTML would show code or an unmasked identity/phone number (that HTML is deleted). A town run whose notebook's district
run failed is not started: it would read missing or stale shared results.
"""

from __future__ import annotations

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

from jykn_lib.runner.plan import RunSpec
from jykn_lib.runner.registry import REGISTRY_ENV

OK, FAILED, MISSING, NOT_RUN = "成功", "失败", "缺少输出", "未运行"
ERROR_MARKER_TAG = "papermill-error-cell-tag"
INJECTED_TAG = "injected-parameters"
MTIME_SLACK = 2.0  # seconds: coarse file-system timestamps


@dataclass
class RunResult:
    key: str
    notebook_id: str
    title: str
    scope: str
    town: str
    scope_name: str
    status: str  # 成功 / 失败 / 缺少输出 / 未运行
    detail: str = ""  # one Chinese line: what went wrong
    cell: int | None = None  # 1-based position of the failing cell in the source notebook
    cell_first_line: str = ""
    ename: str = ""
    evalue: str = ""
    ipynb: Path | None = None  # the executed (or partial) notebook, when it exists
    html: Path | None = None
    outputs: list[Path] = field(default_factory=list)  # expected outputs found
    missing: list[str] = field(default_factory=list)  # expected patterns not satisfied, with the reason
    info: dict[str, Any] = field(default_factory=dict)  # the run's .jykn/<id>_info.json
    started: float = 0.0  # epoch seconds
    duration: float = 0.0

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


def execute_run(spec: RunSpec, registry_path: str, kernel: str, timeout: int | None = None) -> RunResult:
    """Run one notebook with papermill and judge the result. Never raises for a notebook problem."""
    start = time.time()
    clock = time.perf_counter()
    os.environ[REGISTRY_ENV] = registry_path  # the kernel inherits it: validate_parameters reads the same run file
    logging.getLogger("papermill").setLevel(logging.ERROR)
    res = _result(spec, OK, started=start)
    try:
        _clear_previous(spec)
        spec.output_ipynb.parent.mkdir(parents=True, exist_ok=True)
        import papermill
        from papermill.exceptions import PapermillExecutionError

        _readable_parameters(kernel)

        try:
            with _stderr_to(log_path(spec)):
                papermill.execute_notebook(
                    str(spec.input_path),
                    str(spec.output_ipynb),
                    parameters=dict(spec.parameters),
                    kernel_name=kernel,
                    cwd=str(spec.input_path.parent),
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=True,
                    execution_timeout=timeout,
                )
        except PapermillExecutionError as exc:
            _cell_error(res, exc, spec.output_ipynb)
    except Exception as exc:  # kernel died, timeout, unreadable notebook …: the other runs go on
        res.status, res.ename, res.evalue = FAILED, type(exc).__name__, _short(mask_personal(str(exc)))
        res.detail = f"执行出错：{res.ename}: {res.evalue}"

    res.ipynb = spec.output_ipynb if spec.output_ipynb.is_file() else None
    res.outputs, res.missing = _check_outputs(spec, start)
    if res.ok and res.missing:
        res.status = MISSING
        res.detail = "没有写出预期的输出：" + "；".join(res.missing)
    if res.ok:
        _make_html(res, spec)
    res.info = _read_info(spec.info_path, start)
    res.duration = time.perf_counter() - clock
    return res


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
    messages belong in ``.jykn/<run>.log``, not between the progress lines. Cell output still goes to the notebook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _clear_previous(spec: RunSpec) -> None:
    """Remove what this run will write again, so nothing stale passes for a fresh result."""
    for path in (spec.output_ipynb, spec.output_html, spec.info_path, log_path(spec)):
        path.unlink(missing_ok=True)
    for pattern in spec.expected:
        for path in _matches(spec.quarter_dir, pattern):
            path.unlink(missing_ok=True)


def _matches(root: Path, pattern: str) -> list[Path]:
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return sorted(p for p in root.glob(pattern) if p.is_file())
    path = root / pattern
    return [path] if path.is_file() else []


def _check_outputs(spec: RunSpec, start: float) -> tuple[list[Path], list[str]]:
    found: list[Path] = []
    missing: list[str] = []
    for pattern in spec.expected:
        paths = _matches(spec.quarter_dir, pattern)
        fresh = [p for p in paths if p.stat().st_mtime >= start - MTIME_SLACK]
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


def _make_html(res: RunResult, spec: RunSpec) -> None:
    try:
        from jykn_lib.report import html_has_code_cells, notebook_to_html, scan_html_for_personal_data

        title = f"{spec.title}（{spec.scope_name}，{spec.parameters['quarter']}）"
        notebook_to_html(spec.output_ipynb, spec.output_html, title=title)
        text = spec.output_html.read_text(encoding="utf-8")
    except Exception as exc:
        res.status, res.ename, res.evalue = FAILED, type(exc).__name__, _short(mask_personal(str(exc)))
        res.detail = f"生成 HTML 报告失败：{res.ename}: {res.evalue}"
        spec.output_html.unlink(missing_ok=True)
        return
    hits = scan_html_for_personal_data(text)
    if hits or html_has_code_cells(text):
        spec.output_html.unlink(missing_ok=True)
        res.status = FAILED
        res.ename = "PersonalDataInReport" if hits else "CodeInReport"
        res.detail = (
            f"HTML 报告含 {len(hits)} 处未遮蔽的身份证号或电话号码，已删除该报告（执行记录保留）"
            if hits
            else "HTML 报告中显示了代码，已删除该报告（执行记录保留）"
        )
        return
    res.html = spec.output_html


def _read_info(path: Path, start: float) -> dict[str, Any]:
    try:
        if path.stat().st_mtime < start - MTIME_SLACK:
            return {}
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {k: sanitize(raw[k]) for k in ("row_counts", "figures") if k in raw}


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


def run_plan(
    specs: list[RunSpec],
    *,
    jobs: int,
    registry_path: str,
    kernel: str,
    timeout: int | None = None,
    progress: bool | None = None,
) -> list[RunResult]:
    """Execute every run, respecting ``needs``/``after``; results in plan order.

    ``progress``: True = tqdm bar, False = silent, None = bar on a terminal, else one line per finished run (cron logs).
    """
    from tqdm import tqdm

    bar_on = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(specs), desc="运行 Notebook", unit="个", disable=not bar_on, file=sys.stderr, dynamic_ncols=True)
    log_lines = progress is None and not bar_on
    results: dict[str, RunResult] = {}
    pending = {s.key: s for s in specs}

    def finish(res: RunResult) -> None:
        results[res.key] = res
        bar.update(1)
        bar.set_postfix_str(f"{res.label}：{res.status}", refresh=True)
        line = f"[{len(results)}/{len(specs)}] {res.label}：{res.status}（{res.duration:.1f} 秒）"
        if log_lines:
            print(line, file=sys.stderr, flush=True)
        elif bar_on and not res.ok:
            bar.write(line, file=sys.stderr)

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or state
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
    running: dict[Future, RunSpec] = {}
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
                    try:
                        fut = pool.submit(execute_run, spec, registry_path, kernel, timeout)
                    except BrokenProcessPool:
                        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
                        fut = pool.submit(execute_run, spec, registry_path, kernel, timeout)
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
                except Exception as exc:  # the worker process itself died
                    finish(_result(spec, FAILED, ename=type(exc).__name__, evalue=_short(str(exc)),
                                   detail=f"工作进程异常退出：{type(exc).__name__}: {_short(str(exc))}"))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return [results[s.key] for s in specs]
