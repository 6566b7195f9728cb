"""What a notebook shows, the same sections in every notebook: 概况, figures, tables, 数据来源与问题数据, 输出文件.

Tables are masked for display (identity numbers first 6 and last 4, no phones: :func:`jykn_lib.report.styled`), so the
executed notebook's HTML can go to leaders. Each function displays and returns nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import report
from ..io import problems as P
from .flow import Run


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def _markdown(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(text))


def summary(run: Run) -> None:
    """概况: the analysis's summary in words."""
    _markdown("\n\n".join(run.analysis.summary_lines(run.scoped, run.setup)))


def counts(run: Run) -> None:
    """The key counts, one per line (the cell nbval checks)."""
    for name, value in run.analysis.counts(run.scoped, run.setup).items():
        print(f"{name}：{value}")


def figures(run: Run) -> None:
    for fig in run.figures.values():
        _display(fig)


def tables(run: Run, empty: str = "（无记录）") -> None:
    """Each table of the scope under its own heading; an empty one says so."""
    for name, table in run.analysis.tables(run.scoped, run.setup).items():
        _markdown(f"### {name}")
        _display(report.styled(table) if len(table) else _markdown_obj(empty))


def _markdown_obj(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def _rule_names(codes: pd.Series) -> pd.Series:
    """Each rule code's Chinese name (the code itself when it has none)."""
    return pd.Series(np.where(codes.isin(list(P.RULES)), codes.map(P.RULES), codes), index=codes.index, dtype=object)


def problem_counts(problems: pd.DataFrame) -> pd.DataFrame:
    """问题数据 counted by source, kind and handling (no personal data: for the leaders' report)."""
    if problems.empty:
        return pd.DataFrame(columns=["来源", "问题类型", "处理", "行数"])
    table = problems.groupby(["来源", "规则代码", "处理"]).size().rename("行数").reset_index()
    table.insert(1, "问题类型", _rule_names(table.pop("规则代码")))
    return table


def sources(run: Run) -> None:
    """数据来源与问题数据 (district run); a town run says where they are."""
    if run.inputs is None:
        _markdown("数据读取与检查见区汇总报告（本报告使用区级运行的结果）。")
        return
    _display(report.styled(run.result.tables["sources"]))
    counted = problem_counts(run.inputs.problems)
    _display(report.styled(counted) if len(counted) else _markdown_obj("未发现问题数据。"))


def outputs(run: Run) -> None:
    """The files this run wrote, relative to the output folder."""
    for path in run.outputs:
        print(path.relative_to(run.setup.out_root))
