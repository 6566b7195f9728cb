"""The demo year (``jykn demo``): the synthetic district through every quarter of the demo year, each quarter starting
from the ledger the previous one left.

    outputs/demo/data/base/          the synthetic district as generated (jykn_lib.synth), with its answer key
    outputs/demo/data/2026Q1/ …      one data folder per quarter: the base sources (hard links) and that quarter's ledger
                                     (Q1: the generated one; later: the previous quarter's 就业困难人员台账_<q>审验后.xlsx)
    outputs/demo/returns/2026Q1/ …   the synthetic towns' returned 核实表 and returns_truth.json
    outputs/demo/2026Q1/ …           each quarter's outputs

Each quarter runs :data:`QUARTER_STEPS` in order; a step is one function of :class:`Quarter` (adding a notebook to the
year is one line there). Earlier quarters run through the library calls the notebooks make (``kit.run``, no papermill,
no HTML); the demo quarter runs through the notebooks with ``jykn run``, then :data:`FINAL_STEPS` (the notebooks of
the demo quarter that are not part of the quarterly cycle, on the demo's reference date).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .periods import Quarter, quarter_range

BASE = "base"
MANIFEST = "synth_manifest.json"


class DemoError(RuntimeError):
    """A step of the demo year failed; the message says which (Chinese)."""


@dataclass
class Year:
    out: Path
    base: Path  # the generated synthetic district
    seed: int
    as_of: str  # the demo's reference date (the demo quarter's final steps)
    jobs: int | None
    quiet: bool
    last: Quarter
    notebooks: bool = True  # the demo quarter through the notebooks (False: every quarter through the library)

    def data(self, q: Quarter) -> Path:
        return self.out / "data" / str(q)

    def returns(self, q: Quarter) -> Path:
        return self.out / "returns" / str(q)


@dataclass
class Step:
    year: Year
    quarter: Quarter

    @property
    def through_notebooks(self) -> bool:
        return self.year.notebooks and self.quarter == self.year.last

    @property
    def data_dir(self) -> Path:
        return self.year.data(self.quarter)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------- the data


def quarter_data(year: Year, q: Quarter) -> Path:
    """The quarter's data folder: the base sources linked, the ledger the previous quarter left (or the base's)."""
    from .contract import load_contract

    contract = load_contract()
    folder = year.data(q)
    if folder.exists():
        if any(folder.iterdir()) and not (folder / MANIFEST).exists():
            raise DemoError(f"文件夹 {folder} 已有文件，但不是演示数据（没有 {MANIFEST}）：不覆盖。")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ledger = None
    if q != Quarter(q.year, 1) and year.data(q.prev()).exists():
        ledger = year.out / str(q.prev()) / "区汇总" / f"就业困难人员台账_{q.prev()}审验后.xlsx"
        if not ledger.is_file():
            raise DemoError(f"上一季度（{q.prev()}）没有生成审验后的台账：{ledger}")
    for p in sorted(year.base.iterdir()):
        if not p.is_file():
            continue
        src = contract.match_file(p.name)
        if src is not None and src.name == "ledger" and ledger is not None:
            continue
        _link(p, folder / p.name)
    if ledger is not None:
        shutil.copy2(ledger, folder / ledger.name)
    return folder


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ------------------------------------------------------------------------------------------------- running


def run_library(step: Step, notebook: str, analysis, **extra) -> None:
    """A notebook's district run and its town runs through the same library calls as the notebook (no papermill)."""
    from . import kit
    from .params import load_parameters
    from .runner.registry import load_registry

    entry = load_registry().get(notebook)
    as_of = analysis.as_of_for(str(step.quarter), "", extra.get("phase", "")) if hasattr(analysis, "as_of_for") else ""
    towns = load_parameters().town_names() if "town" in entry.scopes else []
    for town in [kit.DISTRICT, *towns]:
        setup = kit.validate_parameters(notebook=notebook, quarter=str(step.quarter), as_of=as_of, town=town,
                                        data_dir=str(step.data_dir), out_dir=str(step.year.out), **extra)
        kit.run(setup, analysis)


def run_notebooks(step: Step, notebooks: list[str], *, as_of: str | None = None, extra: dict | None = None) -> None:
    from .commands.run import execute

    args = argparse.Namespace(quarter=str(step.quarter), out=str(step.year.out), jobs=step.year.jobs,
                              quiet=step.year.quiet, notebooks=",".join(notebooks), data=str(step.data_dir))
    code = execute(args, data_dir=str(step.data_dir), as_of=as_of, extra=extra)
    if code != 0:
        raise DemoError(f"{step.quarter} Notebook {'、'.join(notebooks)} 运行失败（退出状态 {code}）")


# ------------------------------------------------------------------------------------------------- the steps


def audit_issue(step: Step) -> None:
    """02 定期审验下发：各镇街的核实表。"""
    if step.through_notebooks:
        from .analyses.audit import as_of_for

        run_notebooks(step, ["02"], as_of=as_of_for(str(step.quarter), "", "issue"), extra={"phase": "issue"})
    else:
        from .analyses import audit

        run_library(step, "02", audit, phase="issue", returns_dir="")


def town_returns(step: Step) -> None:
    """合成镇街填写并返回核实表（jykn synth returns）。"""
    from .synth.returns import fill_returns

    fill_returns(step.year.out / str(step.quarter), step.year.base, step.year.returns(step.quarter),
                 seed=step.year.seed)


def audit_collect(step: Step) -> None:
    """02 定期审验收回：读回核实表、办理退出、生成本季度审验后的台账。"""
    returns = str(step.year.returns(step.quarter))
    if step.through_notebooks:
        from .analyses.audit import as_of_for

        run_notebooks(step, ["02"], as_of=as_of_for(str(step.quarter), "", "collect"),
                      extra={"phase": "collect", "returns_dir": returns})
    else:
        from .analyses import audit

        run_library(step, "02", audit, phase="collect", returns_dir=returns)


def quarter_reviews(step: Step) -> None:
    """01 主动筛查、03 台账检查（区汇总，供 04 年度考核读取各季度的结果）。"""
    if step.through_notebooks:
        return  # the demo quarter runs them through the notebooks (other_notebooks)
    from . import kit
    from .analyses import ledger_review, screening

    for notebook, analysis in (("01", screening), ("03", ledger_review)):
        setup = kit.validate_parameters(notebook=notebook, quarter=str(step.quarter), town=kit.DISTRICT,
                                        data_dir=str(step.data_dir), out_dir=str(step.year.out))
        kit.run(setup, analysis)


def year_assessment(step: Step) -> None:
    """04 镇街年度考核（演示年度，截至演示基准日；jykn run --year）。"""
    from .commands.run import execute

    args = argparse.Namespace(year=step.quarter.year, quarter=None, out=str(step.year.out), jobs=step.year.jobs,
                              quiet=step.year.quiet, notebooks="04", as_of=step.year.as_of)
    code = execute(args, data_dir="")
    if code != 0:
        raise DemoError(f"{step.quarter.year} 年度 Notebook 04 运行失败（退出状态 {code}）")


def other_notebooks(step: Step) -> None:
    """演示季度的其他 Notebook（01 主动筛查等），按演示基准日运行。"""
    from .runner.registry import load_registry

    ids = [nb.id for nb in load_registry().notebooks if nb.path.is_file() and nb.id != "02" and nb.period == "quarter"]
    if ids:
        run_notebooks(step, ids, as_of=step.year.as_of)


QUARTER_STEPS: list[Callable[[Step], None]] = [audit_issue, town_returns, audit_collect, quarter_reviews]
FINAL_STEPS: list[Callable[[Step], None]] = [other_notebooks, year_assessment]


def run_year(year: Year, first: Quarter | None = None) -> Path:
    """Every quarter from ``first`` (default: Q1 of the demo year) to the demo quarter; returns the index page."""
    first = first or Quarter(year.last.year, 1)
    for q in quarter_range(first, year.last):
        quarter_data(year, q)
        step = Step(year, q)
        for fn in QUARTER_STEPS + (FINAL_STEPS if step.through_notebooks else []):
            what = fn.__doc__.splitlines()[0]
            log(f"{q}：{what}")
            started = time.time()
            try:
                fn(step)
            except DemoError:
                raise
            except Exception as exc:  # any failure stops the year, named with its quarter and step
                raise DemoError(f"{q}“{what}”失败：{type(exc).__name__}：{exc}") from exc
            log(f"{q}：用时 {time.time() - started:.1f} 秒")
    return year.out / str(year.last) / "index.html"
