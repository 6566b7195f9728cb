"""One run of a notebook's analysis, the same for every notebook:

    run = kit.run(setup, analysis)          # analysis: a module of jykn_lib.analyses

District run: read the analysis's sources (refusing a run whose inputs cannot be trusted), ``decide`` (the rules, no
I/O), keep the result, write the district's workbooks and figures. Town run: load the district run's kept result
(made from the same inputs and date), take the town's share, write the town's workbooks and figures. Both write the
run information the batch manifest collects.

An analysis module provides: ``NOTEBOOK``, ``SOURCES`` (what the district run reads), ``DEPENDS_ON`` (optional source
→ the decisions that cannot be made without it), ``Result`` (a :class:`~jykn_lib.kit.results.Result` subclass),
``decide(inputs, setup)``, ``workbooks(setup, result, inputs)``, ``figures(result, setup)``, ``summary_lines(result,
setup)``, ``counts(result, setup)``, ``tables(result, setup)`` and ``FIGURE_PREFIX``; optionally ``read_extra(setup)`` for
inputs that are not contract sources (the towns' returned workbooks). docs/notebook_kit.md describes the shape.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from ..io.cache import ReadCache
from ..io.reader import DataSet, MissingSourceError, read_folder
from .results import Result, inputs_fingerprint, load_result, save_result


class UntrustedInputError(MissingSourceError):
    """A source the run reads was refused (unreadable, a required column missing, two ledgers …): no result."""


@dataclass
class Inputs:
    """What a district run read: the source tables, the reader's report, and extra inputs of the analysis."""

    data: DataSet
    as_of: Any
    params: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.data.tables

    @property
    def problems(self) -> pd.DataFrame:
        return self.data.problems

    @property
    def missing(self) -> list[str]:
        return list(self.data.missing)


@dataclass
class Run:
    setup: Any
    analysis: ModuleType
    result: Result  # the whole district's result
    scoped: Result  # the run's scope: the whole district, or the town's share
    inputs: Inputs | None  # None in a town run (it reads the kept result, not the sources)
    outputs: list[Path]
    figures: dict[str, Any]

    @property
    def scope_name(self) -> str:
        return "全区" if self.setup.is_district else self.setup.town


def read_inputs(setup, analysis: ModuleType) -> Inputs:
    """Read the analysis's sources; a required source missing or any source refused stops the run (in Chinese)."""
    contract = setup.params.contract
    # parse once: every notebook and town of a batch, and later batches, load a file already parsed (jykn_lib.io.cache)
    data = read_folder(setup.data_dir, as_of=setup.as_of, only=analysis.SOURCES,
                       cache=ReadCache.for_outputs(setup.out_root))
    data.require(contract.required_sources[analysis.NOTEBOOK])
    refused = [n for n in analysis.SOURCES if n in data.broken]
    if refused:
        lines = [f"数据来源“{contract[n].title}”无法使用：" + "；".join(data.broken[n]) for n in refused]
        raise UntrustedInputError("\n".join(lines + ["该来源有文件无法读取，本次结果不可信，未生成。请修正文件后重新运行。"]),
                                  [], refused)
    extra = analysis.read_extra(setup) if hasattr(analysis, "read_extra") else {}
    return Inputs(data, setup.as_of, setup.params, extra)


def sources_summary(inputs: Inputs, analysis: ModuleType) -> pd.DataFrame:
    """数据来源: the reader's summary of the analysis's sources, with what an absent source leaves undecided."""
    summary = inputs.data.summary()
    contract = inputs.params.contract
    wanted = {contract[n].title: n for n in analysis.SOURCES}
    summary = summary[summary["来源"].isin(wanted)].copy()
    depends = getattr(analysis, "DEPENDS_ON", {})
    summary["未提供时无法判断"] = [depends.get(wanted[t], "") if state == "未提供" else ""
                            for t, state in zip(summary["来源"], summary["状态"])]
    return summary.reset_index(drop=True)


def missing_lines(missing: list[str], depends_on: dict[str, str], params) -> list[str]:
    """One sentence per optional source not provided, naming what could not be decided without it."""
    contract = params.contract
    return [f"未提供“{contract[m].title}”：无法判断{depends_on.get(m, '相关条件')}。" for m in missing]


def _expect(setup) -> dict[str, Any]:
    return {"as_of": setup.as_of.isoformat(), "inputs": inputs_fingerprint(setup.data_dir),
            "quarter": setup.quarter_str, "extra": {k: str(v) for k, v in setup.extra.items()}}


def results_name(setup, analysis: ModuleType) -> str:
    """The kept result's folder under ``区汇总/results/``: the notebook id, with its phase when it has one
    (``02_issue``, ``02_collect``), or what the analysis's ``results_name(setup)`` says (05: one per decision date)."""
    if hasattr(analysis, "results_name"):
        return analysis.results_name(setup)
    phase = setup.extra.get("phase")
    return f"{setup.notebook}_{phase}" if phase else setup.notebook


def run(setup, analysis: ModuleType) -> Run:
    inputs = None
    folder = setup.district_results(results_name(setup, analysis))
    clock = _Clock()  # seconds of each step, for the run manifest (benchmarks/bench_quarter.py reads them)
    if setup.is_district:
        with clock("read"):
            inputs = read_inputs(setup, analysis)
        with clock("decide"):
            result = analysis.decide(inputs, setup)
        result.meta.update(_expect(setup), notebook=setup.notebook,
                           missing=[m for m in inputs.missing if m in analysis.SOURCES])
        with clock("keep"):
            result.tables.setdefault("sources", sources_summary(inputs, analysis))
            save_result(result, folder)
        scoped = result
    else:
        with clock("load"):
            result = load_result(analysis.Result, folder, expect=_expect(setup))
            scoped = result.for_town(setup.town)
    with clock("workbooks"):
        outputs = list(analysis.workbooks(setup, result, inputs))
    with clock("figures"):
        figures = analysis.figures(scoped, setup)
        outputs += save_figures(setup, figures, analysis.FIGURE_PREFIX)
    row_counts = {}
    if inputs is not None:
        files = inputs.data.files
        row_counts = {"files": files[["来源", "文件", "读入行数", "使用行数", "剔除行数", "空行数"]].to_dict("records")}
    setup.write_info(row_counts=row_counts, figures=analysis.counts(scoped, setup), timings=clock.seconds)
    return Run(setup, analysis, result, scoped, inputs, outputs, figures)


class _Clock:
    """``with clock("read"): ...`` adds the block's wall seconds to ``clock.seconds["read"]``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = round(self.seconds.get(step, 0.0) + time.perf_counter() - start, 3)


def save_figures(setup, figures: dict[str, Any], prefix: str) -> list[Path]:
    from .. import charts

    return [charts.save_png(fig, setup.output_path(f"{prefix}_{name}_{setup.quarter_str}_{setup.scope_name}.png"))
            for name, fig in figures.items()]
