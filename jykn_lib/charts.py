"""Charts with Chinese labels for notebooks and leadership reports.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state: safe in batch workers and on machines
without a display). Every chart function first calls :func:`cjk_font`, so Chinese text never falls back to a font
without the glyphs. In a notebook, a returned figure displays inline as PNG.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager, rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# CJK families a machine may already have, best first: Windows, Linux, macOS. Names as matplotlib reports them.
SYSTEM_CJK_FAMILIES: tuple[str, ...] = (
    "Microsoft YaHei",
    "DengXian",
    "SimHei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
)

# Open-licensed (OFL-1.1) fallback from the PyPI package noto-cjk-sans-otc. The .ttc holds one face per region;
# matplotlib ≥ 3.10 registers all of them and face "Noto Sans CJK SC" has the Simplified Chinese glyph forms.
# Older matplotlib registers only face 0 ("Noto Sans CJK JP"), which still covers every Chinese character.
BUNDLED_FONT_PACKAGE = "noto_cjk_sans_otc"
BUNDLED_FONT_FILE = "NotoSansCJK-Regular.ttc"
BUNDLED_PREFERRED_FAMILY = "Noto Sans CJK SC"

DPI = 150
# Phone width. A figure is shown at 100 px per inch (``_figure_png_for_display``) and scaled down to fit the screen;
# on a phone (about 360 CSS px for the content) text of f points reads as 5·f/W CSS px in a figure W inches wide.
# So figures are at most PHONE_WIDTH inches wide, tick labels 11 pt (about 10 px on a phone), values 10 pt, and long
# labels wrap onto two lines instead of widening the figure.
PHONE_WIDTH = 5.5
TITLE_SIZE, TICK_SIZE, VALUE_SIZE, LEGEND_SIZE = 13, 11, 10, 10
LABEL_WRAP = 22  # display width (a CJK character counts two) beyond which a category label is split over two lines
TITLE_WRAP = 56
PALETTE = ("#3b6ea5", "#e08a3c", "#5a9e6f", "#c4504d", "#8571b0", "#8c6d5a", "#d37fb8", "#7f7f7f", "#b5b83f", "#4bb3c4")
_NO_DATA = "无数据"

_chosen: str | None = None  # the family picked from the installed fonts on the first call (cheap second call)


def pick_system_font(available: Iterable[str]) -> str | None:
    """The first of :data:`SYSTEM_CJK_FAMILIES` present among *available* family names, or None."""
    names = set(available)
    return next((family for family in SYSTEM_CJK_FAMILIES if family in names), None)


def bundled_font_path() -> Path:
    """Path of the .ttc shipped by the noto-cjk-sans-otc package (read in place, never copied)."""
    import importlib

    package = importlib.import_module(BUNDLED_FONT_PACKAGE)
    return Path(package.__file__).resolve().parent / BUNDLED_FONT_FILE


def register_bundled_font() -> str:
    """Register the bundled font with matplotlib (in memory only) and return the family name to ask for."""
    path = bundled_font_path()
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体文件：{path}（请安装 noto-cjk-sans-otc）")

    def families() -> list[str]:
        return [f.name for f in font_manager.fontManager.ttflist if _same_file(f.fname, path)]

    if not families():
        font_manager.fontManager.addfont(str(path))
    names = families()
    if not names:
        raise RuntimeError(f"matplotlib 未能载入中文字体：{path}")
    return BUNDLED_PREFERRED_FAMILY if BUNDLED_PREFERRED_FAMILY in names else names[0]


def _same_file(fname: str, path: Path) -> bool:
    try:
        return Path(fname).resolve() == path
    except OSError:
        return False


def cjk_font(available: Iterable[str] | None = None) -> str:
    """Pick the font family for Chinese labels and configure matplotlib's rcParams for it.

    An installed CJK font is preferred; otherwise the bundled Noto Sans CJK is registered. *available* (family names)
    replaces the list of installed fonts — tests pass ``[]`` to force the bundled fallback. Idempotent; the choice is
    remembered, while rcParams are set on every call (they may have been reset in between).
    """
    global _chosen
    if available is None:
        if _chosen is None:
            installed = (f.name for f in font_manager.fontManager.ttflist)
            _chosen = pick_system_font(installed) or register_bundled_font()
        family = _chosen
    else:
        family = pick_system_font(available) or register_bundled_font()
    _apply_rc(family)
    _enable_notebook_display()
    return family


def _apply_rc(family: str) -> None:
    rest = [f for f in rcParams["font.sans-serif"] if f != family]
    rcParams["font.family"] = ["sans-serif"]
    rcParams["font.sans-serif"] = [family, *rest]
    rcParams["axes.unicode_minus"] = False  # the CJK fonts' U+2212 is missing or odd; use the ASCII hyphen


# ---------------------------------------------------------------------------------------------------------------------
# Charts


def bar_chart(
    data: pd.Series | pd.DataFrame,
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    horizontal: bool = False,
    *,
    label: str | None = None,
    value: str | None = None,
    sort: bool = False,
    value_format: str | Callable[[float], str] = "{:,.0f}",
    color: str = PALETTE[0],
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Bars with their values written on them.

    *data*: a Series (index = categories), or a DataFrame with a *value* column (default: its only numeric column)
    and the categories in the *label* column (default: the index). *sort* orders bars by value, largest first;
    horizontal bars list the first category at the top (ranked tables read top-down).
    """
    cjk_font()
    series = _as_series(data, label, value)
    if sort:
        series = series.sort_values(ascending=False, kind="stable")
    labels = [_wrap(str(x)) for x in series.index]
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    fmt = _formatter(value_format)

    fig = Figure(figsize=figsize or _auto_size(labels, horizontal, 1), layout="constrained")
    ax = fig.add_subplot()
    _decorate(ax, title, xlabel, ylabel, horizontal)
    if not labels:
        _no_data(ax)
        return fig

    positions = np.arange(len(labels))
    if horizontal:
        bars = ax.barh(positions, np.nan_to_num(values), color=color, height=0.6)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
    else:
        bars = ax.bar(positions, np.nan_to_num(values), color=color, width=0.6)
        ax.set_xticks(positions, labels)
        _rotate_if_crowded(ax, labels)
    ax.bar_label(bars, labels=[_fmt_or_blank(fmt, v) for v in values], padding=3, fontsize=VALUE_SIZE)
    _finish_value_axis(ax, values, horizontal)
    return fig


def stacked_bar_chart(
    table: pd.DataFrame,
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    horizontal: bool = False,
    *,
    stacked: bool = True,
    totals: bool = True,
    value_format: str | Callable[[float], str] = "{:,.0f}",
    legend_title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Town × category table as stacked bars (totals written on each stack) or, with ``stacked=False``, grouped bars
    (each value written on its bar). Rows are the bar positions (e.g. 镇街), columns the legend (e.g. 认定类别)."""
    cjk_font()
    frame = table.apply(pd.to_numeric, errors="coerce").astype(float)
    labels = [_wrap(str(x)) for x in frame.index]
    series_names = [str(c) for c in frame.columns]
    fmt = _formatter(value_format)

    if figsize is None:
        width, height = _auto_size(labels, horizontal, 1 if stacked else len(series_names))
        figsize = (width, height + 0.35 * _legend_rows(series_names) + 0.4)  # the legend goes under the chart
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    _decorate(ax, title, xlabel, ylabel, horizontal)
    if frame.empty or not series_names:
        _no_data(ax)
        return fig

    positions = np.arange(len(labels))
    values = np.nan_to_num(frame.to_numpy())
    bar = ax.barh if horizontal else ax.bar
    size_key = "height" if horizontal else "width"
    base_key = "left" if horizontal else "bottom"
    if stacked:
        base = np.zeros(len(labels))
        last = None
        for j, name in enumerate(series_names):
            last = bar(positions, values[:, j], **{size_key: 0.6, base_key: base.copy()},
                       color=PALETTE[j % len(PALETTE)], label=name)
            base += values[:, j]
        if totals and last is not None:
            ax.bar_label(last, labels=[_fmt_or_blank(fmt, v) for v in base], padding=3, fontsize=VALUE_SIZE)
        extent = base
    else:
        width = 0.8 / len(series_names)
        for j, name in enumerate(series_names):
            offset = (j - (len(series_names) - 1) / 2) * width
            bars = bar(positions + offset, values[:, j], **{size_key: width},
                       color=PALETTE[j % len(PALETTE)], label=name)
            ax.bar_label(bars, labels=[_fmt_or_blank(fmt, v) for v in frame.to_numpy()[:, j]], padding=2,
                         fontsize=VALUE_SIZE - 1)
        extent = values.max(axis=1)

    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, labels)
        _rotate_if_crowded(ax, labels)
    _finish_value_axis(ax, extent, horizontal)
    # Under the chart, not beside it: beside it the figure would be too wide to read on a phone.
    ax.legend(title=legend_title, loc="upper center", bbox_to_anchor=(0.5, -0.14 if not horizontal else -0.1),
              ncols=_legend_columns(series_names), frameon=False, fontsize=LEGEND_SIZE, title_fontsize=LEGEND_SIZE)
    return fig


def save_png(fig: Figure, path: str | os.PathLike, dpi: int = DPI) -> Path:
    """Write *fig* as PNG atomically (a report file: no personal data). No timestamp or software tag in the
    metadata, so the same figure gives the same bytes."""
    from .files import atomic_write

    return atomic_write(path, png_bytes(fig, dpi), personal=False)


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def _as_series(data: pd.Series | pd.DataFrame, label: str | None, value: str | None) -> pd.Series:
    if isinstance(data, pd.Series):
        return data
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"bar_chart 需要 Series 或 DataFrame，收到 {type(data).__name__}")
    frame = data.set_index(label) if label is not None else data
    if value is None:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) != 1:
            raise ValueError(f"请用 value= 指明数值列（数值列：{numeric}）")
        value = numeric[0]
    return frame[value]


def _formatter(value_format: str | Callable[[float], str]) -> Callable[[float], str]:
    return value_format.format if isinstance(value_format, str) else value_format


def _fmt_or_blank(fmt: Callable[[float], str], v: float) -> str:
    return "" if v is None or np.isnan(v) else fmt(v)


def _auto_size(labels: list[str], horizontal: bool, per_position: int) -> tuple[float, float]:
    """Phone width; horizontal bars get taller with their number (two-line labels need a little more room)."""
    n = max(len(labels), 1) * max(per_position, 1) ** 0.5
    if horizontal:
        per_bar = 0.55 if any("\n" in label for label in labels) else 0.42
        return (PHONE_WIDTH, min(max(3.0, per_bar * n + 1.5), 14.0))
    return (PHONE_WIDTH, 4.2)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _wrap(label: str, limit: int = LABEL_WRAP) -> str:
    """A label wider than ``limit`` split in two near its middle ("05 农村零转移就业原\n建档立卡贫困家庭人员")."""
    if "\n" in label or _display_width(label) <= limit:
        return label
    half, seen = _display_width(label) / 2, 0
    for i, ch in enumerate(label):
        seen += 2 if ord(ch) > 0x2E80 else 1
        if seen >= half:
            return label[: i + 1].rstrip() + "\n" + label[i + 1 :].lstrip()
    return label


def _legend_columns(names: list[str]) -> int:
    widest = max((_display_width(n) for n in names), default=1)
    return max(1, min(len(names), int(PHONE_WIDTH * 72 / (LEGEND_SIZE * (widest / 2 + 2.5)))))


def _legend_rows(names: list[str]) -> int:
    return -(-len(names) // _legend_columns(names)) if names else 0


def _decorate(ax, title: str, xlabel: str, ylabel: str, horizontal: bool) -> None:
    ax.set_title(_wrap(title, TITLE_WRAP), fontsize=TITLE_SIZE, pad=10)
    ax.set_xlabel(xlabel, fontsize=TICK_SIZE)
    ax.set_ylabel(ylabel, fontsize=TICK_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x" if horizontal else "y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, _NO_DATA, transform=ax.transAxes, ha="center", va="center", fontsize=14, color="#888888")
    ax.set_xticks([])
    ax.set_yticks([])


def _rotate_if_crowded(ax, labels: list[str]) -> None:
    # Rotate when the labels side by side would not fit the axis (a CJK character is one em wide, a Latin one half).
    room = 0.85 * ax.figure.get_size_inches()[0] * 72 / max(len(labels), 1)  # points per bar
    widest = max((_display_width(line) for label in labels for line in label.split("\n")), default=0)
    if widest * TICK_SIZE / 2 + TICK_SIZE > room:
        ax.tick_params(axis="x", labelrotation=35)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")


def _finish_value_axis(ax, values: np.ndarray, horizontal: bool) -> None:
    finite = values[np.isfinite(values)]
    axis = ax.xaxis if horizontal else ax.yaxis
    if finite.size and np.all(finite == np.round(finite)):
        axis.set_major_locator(MaxNLocator(integer=True))
    top = float(finite.max()) if finite.size else 0.0
    bottom = min(float(finite.min()) if finite.size else 0.0, 0.0)
    top = max(top, 0.0)
    span = (top - bottom) or 1.0
    limits = (bottom - (0.12 * span if bottom < 0 else 0.0), top + 0.12 * span)  # room for the value labels
    (ax.set_xlim if horizontal else ax.set_ylim)(*limits)


def _enable_notebook_display() -> None:
    """In IPython/Jupyter, show a bare Figure as PNG (pyplot's inline backend is not necessarily loaded)."""
    if "IPython" not in sys.modules:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None or Figure in formatter.type_printers:  # already shown (e.g. pyplot's inline backend)
        return
    formatter.for_type(Figure, _figure_png_for_display)


def _figure_png_for_display(fig: Figure):
    data = png_bytes(fig, DPI)
    width_px = fig.get_size_inches()[0] * DPI
    return data, {"width": round(width_px * 100 / DPI)}  # drawn at 150 dpi, shown at 100 dpi size: crisp
