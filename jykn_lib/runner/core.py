"""run(): plan, execute, then always write index.html and run_manifest.json."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from jykn_lib.runner.execute import RunResult, run_plan
from jykn_lib.runner.index import write_index
from jykn_lib.runner.manifest import MANIFEST_NAME, build_manifest, input_files, write_json
from jykn_lib.runner.plan import RunRequest, build_plan


@dataclass
class RunOutcome:
    request: RunRequest
    results: list[RunResult]
    index_path: Path
    manifest_path: Path
    started: float
    finished: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary_lines(self) -> list[str]:
        n, bad = len(self.results), self.failed
        lines = [
            f"{self.request.quarter.label}（{self.request.quarter}，基准日 {self.request.as_of}）运行完成："
            f"共 {n} 个运行，成功 {n - len(bad)} 个，失败 {len(bad)} 个，用时 {self.finished - self.started:.1f} 秒。"
        ]
        if self.request.skipped_notebooks:
            lines.append(f"运行登记表中尚无文件、本次未运行的 Notebook：{'、'.join(self.request.skipped_notebooks)}。")
        if bad:
            lines.append("未成功的运行：")
            for r in bad:
                lines.append(f"  ✗ {r.report_line()}")
                if r.ipynb:
                    note = "（含出错的单元格）" if r.cell is not None else ""
                    lines.append(f"    执行记录{note}：{r.ipynb}")
        lines.append(f"运行清单：{self.manifest_path}")
        lines.append(f"索引页：{self.index_path}")
        return lines


def run(request: RunRequest, *, progress: bool | None = None) -> RunOutcome:
    """Execute a validated request; always writes index.html and run_manifest.json, even when runs fail."""
    started = time.time()
    inputs = input_files(request.data_dir)  # hashed before the runs: what they read
    specs = build_plan(request)
    request.quarter_dir.mkdir(parents=True, exist_ok=True)
    results = run_plan(
        specs,
        jobs=request.jobs,
        registry_path=str(request.registry_path),
        kernel=request.kernel,
        timeout=request.timeout,
        progress=progress,
    )
    finished = time.time()
    index_path = write_index(request, results, started=started, finished=finished)
    manifest = build_manifest(request, results, started=started, finished=finished, inputs=inputs)
    manifest_path = write_json(request.quarter_dir / MANIFEST_NAME, manifest)
    return RunOutcome(request, results, index_path, manifest_path, started, finished)
