"""The two charts of 04 that ``jykn_lib.charts`` has no shape for: a town × indicator heat map and quarterly trend
lines. Same font, palette and sizes as ``jykn_lib.charts`` (Chinese labels, no glyph warnings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from .. import charts

# one palette: from the charts' red (lost points) through white to their blue (full marks)
CMAP = LinearSegmentedColormap.from_list("jykn_score", [charts.PALETTE[3], "#f7f7f7", charts.PALETTE[0]])


def heatmap(values: pd.DataFrame, title: str) -> Figure:
    """Score share (得分 ÷ 权重) per town and indicator; an indicator that could not be computed is grey, marked “—”."""
    charts.cjk_font()
    grid = (values.assign(share=values["得分"] / values["权重"])
            .pivot_table(index="所属镇街", columns="指标名称", values="share", sort=False, dropna=False))
    grid = grid.reindex(index=list(dict.fromkeys(values["所属镇街"])), columns=list(dict.fromkeys(values["指标名称"])))
    fig = Figure(figsize=(max(8.0, 0.9 * grid.shape[1] + 2.5), max(4.0, 0.45 * grid.shape[0] + 2.0)),
                 layout="constrained")
    ax = fig.add_subplot()
    data = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    im = ax.imshow(data, cmap=CMAP.with_extremes(bad="#d9d9d9"), vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [charts._wrap(c, 8) for c in grid.columns], fontsize=9)
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=10)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        ax.text(j, i, "—" if np.isnan(v) else f"{v:.0%}", ha="center", va="center", fontsize=8,
                color="white" if not np.isnan(v) and v < 0.35 else "black")
    ax.set_title(title, fontsize=13)
    fig.colorbar(im, ax=ax, shrink=0.8, format=lambda x, _: f"{x:.0%}").set_label("得分率")
    return fig


def trends(quarterly: pd.DataFrame, title: str) -> Figure:
    """The district's quarterly rates (town rates averaged over the towns that have one), one line each."""
    charts.cjk_font()
    rates = [c for c in quarterly.columns if c not in ("所属镇街", "季度")]
    mean = quarterly.groupby("季度", sort=False)[rates].mean()
    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(mean))
    for k, name in enumerate(rates):
        y = mean[name].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", color=charts.PALETTE[k % len(charts.PALETTE)], label=name, linewidth=2)
        for xi, yi in zip(x, y):
            if not np.isnan(yi):
                ax.annotate(f"{yi:.0%}", (xi, yi), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.set_xticks(x, [q.replace("年", "年\n") for q in mean.index], fontsize=9)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_title(title, fontsize=13)
    ax.set_ylabel("各镇街平均")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(rates), fontsize=9, frameon=False,
              title="无数据的季度不画点", title_fontsize=8)
    return fig
