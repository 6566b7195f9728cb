"""Charts with Chinese labels: font choice (installed or bundled Noto Sans CJK), no missing glyphs, PNG output."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from jykn_lib import charts

TOWNS = pd.Series({"太和镇": 120, "山塘镇": 85, "三坑镇": 40})
TITLE = "按镇街统计的符合条件人数"
TABLE = pd.DataFrame(
    {"大龄失业人员": [10, 5, 3], "连续失业1年以上人员": [4, 8, 0], "残疾人": [1, 0, 2]},
    index=pd.Index(["太和镇", "山塘镇", "三坑镇"], name="镇街"),
)


# matplotlib ≥ 3.11 registers every face of a .ttc; older versions only face 0 ("Noto Sans CJK JP", which still has
# every Chinese character but Japanese glyph forms for some of them).
ALL_TTC_FACES = tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 11)


@pytest.fixture(autouse=True)
def _restore_rc():
    with matplotlib.rc_context():
        yield


def glyph_warnings(build) -> tuple[list[str], bytes]:
    """Run *build* (returns a Figure), render it to PNG, return the glyph warnings raised and the PNG bytes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.png_bytes(build())
    messages = [str(w.message) for w in caught]
    return [m for m in messages if "Glyph" in m or "missing from font" in m], png


def chinese_chart() -> Figure:
    fig = charts.bar_chart(TOWNS, TITLE, "镇街", "人数")
    fig.axes[0].text(0, 100, "大龄失业人员、连续失业1年以上人员")
    return fig


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return chunks


def bundled_entries() -> list:
    path = charts.bundled_font_path()
    return [f for f in font_manager.fontManager.ttflist if Path(f.fname).resolve() == path]


# --- font choice ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (["Arial", "SimHei", "DengXian", "Microsoft YaHei"], "Microsoft YaHei"),  # Windows: YaHei first
        (["SimHei", "Arial"], "SimHei"),
        (["DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK SC"], "Noto Sans CJK SC"),  # Linux
        (["WenQuanYi Micro Hei", "WenQuanYi Zen Hei"], "WenQuanYi Micro Hei"),
        (["Helvetica", "PingFang SC"], "PingFang SC"),  # macOS
        (["DejaVu Sans", "Noto Sans CJK JP"], None),  # JP-only face is not taken as a Chinese system font
        ([], None),
    ],
)
def test_pick_system_font_order(available, expected):
    assert charts.pick_system_font(available) == expected


def test_forced_fallback_uses_bundled_font_and_renders_chinese(tmp_path):
    family = charts.cjk_font(available=[])  # as on a machine without any CJK font
    assert family == ("Noto Sans CJK SC" if ALL_TTC_FACES else "Noto Sans CJK JP")
    assert matplotlib.rcParams["font.sans-serif"][0] == family
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert bundled_entries(), "the bundled font was not registered"
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    # the bundled file, or a system copy of the very same family (CI installs fonts-noto-cjk): both draw the glyphs
    same_family = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname).resolve() == Path(found).resolve()}
    assert Path(found).resolve() == charts.bundled_font_path() or family in same_family
    if ALL_TTC_FACES:
        sc = [f for f in bundled_entries() if f.name == family]
        assert sc and sc[0].index == 2  # the SC face of the collection, not the JP one at index 0

    problems, png = glyph_warnings(chinese_chart)
    assert problems == []
    out = charts.save_png(chinese_chart(), tmp_path / "fallback.png")
    assert out.stat().st_size > 10_000 and len(png) > 10_000


@pytest.mark.skipif(not ALL_TTC_FACES, reason="matplotlib < 3.11 loads only the JP face of a .ttc")
def test_fallback_draws_simplified_chinese_glyph_forms():
    # 骨 is drawn differently in the SC and JP faces: the SC face must really be the one used for drawing.
    charts.cjk_font(available=[])

    def draw(family: str) -> bytes:
        fig = Figure(figsize=(1.5, 1))
        fig.text(0.1, 0.2, "骨", family=family, fontsize=40)
        return charts.png_bytes(fig, dpi=72)

    assert draw("Noto Sans CJK SC") != draw("Noto Sans CJK JP")
    assert draw(charts.cjk_font(available=[])) == draw("Noto Sans CJK SC")


def test_bundled_font_registration_is_idempotent():
    charts.cjk_font(available=[])
    before = len(bundled_entries())
    sans = list(matplotlib.rcParams["font.sans-serif"])
    for _ in range(3):
        charts.cjk_font(available=[])
    assert len(bundled_entries()) == before > 0
    assert list(matplotlib.rcParams["font.sans-serif"]) == sans
    assert sans.count("Noto Sans CJK SC") == 1


def test_system_path_takes_installed_font_without_registering(monkeypatch):
    # Make "Noto Sans CJK SC" known to matplotlib as if installed, then forbid any registration: the system path must
    # find it among the installed families and render Chinese with it.
    charts.register_bundled_font()
    monkeypatch.setattr(charts, "_chosen", None)
    monkeypatch.setattr(charts, "register_bundled_font", lambda: pytest.fail("fallback used although a font exists"))
    monkeypatch.setattr(font_manager.fontManager, "addfont", lambda path: pytest.fail("addfont called"))
    assert charts.cjk_font() == "Noto Sans CJK SC"
    assert charts.cjk_font() == "Noto Sans CJK SC"  # second call: remembered
    problems, png = glyph_warnings(chinese_chart)
    assert problems == [] and len(png) > 10_000


def test_real_system_cjk_font_renders_chinese(monkeypatch):
    bundled = charts.bundled_font_path()
    installed = [f.name for f in font_manager.fontManager.ttflist if Path(f.fname).resolve() != bundled]
    family = charts.pick_system_font(installed)
    if family is None:
        pytest.skip("no system CJK font on this machine (the fallback path is tested above)")
    monkeypatch.setattr(charts, "register_bundled_font", lambda: pytest.fail("fallback used although a font exists"))
    assert charts.cjk_font(available=installed) == family
    problems, _ = glyph_warnings(chinese_chart)
    assert problems == []


def test_glyph_check_detects_a_font_without_chinese():
    # The detector above must be able to fail: DejaVu Sans alone has no CJK glyphs.
    def latin_only() -> Figure:
        matplotlib.rcParams["font.family"] = ["sans-serif"]
        matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        fig = Figure()
        fig.add_subplot().set_title(TITLE)
        return fig

    problems, _ = glyph_warnings(latin_only)
    assert problems and "missing from font" in problems[0]


def test_charts_raise_no_warning_at_all(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.save_png(chinese_chart(), tmp_path / "a.png")
        charts.save_png(charts.stacked_bar_chart(TABLE, "按镇街和类别统计", "镇街", "人数"), tmp_path / "b.png")
        charts.save_png(charts.stacked_bar_chart(TABLE, "分组", "人数", "", horizontal=True, stacked=False),
                        tmp_path / "c.png")
        charts.save_png(charts.bar_chart(TOWNS, TITLE, "人数", "镇街", horizontal=True), tmp_path / "d.png")


# --- charts -----------------------------------------------------------------------------------------------------------


def bar_value_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_bar_chart_labels_and_values():
    fig = charts.bar_chart(TOWNS, TITLE, "镇街", "人数")
    ax = fig.axes[0]
    assert ax.get_title() == TITLE and ax.get_xlabel() == "镇街" and ax.get_ylabel() == "人数"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["太和镇", "山塘镇", "三坑镇"]
    assert [p.get_height() for p in ax.patches] == [120, 85, 40]
    assert bar_value_labels(ax) == ["120", "85", "40"]
    assert ax.get_ylim()[1] > 120  # room above the tallest bar for its label


def test_bar_chart_horizontal_sorted_reads_top_down():
    data = pd.Series({"三坑镇": 40, "太和镇": 120, "山塘镇": 85})
    fig = charts.bar_chart(data, TITLE, "人数", "", horizontal=True, sort=True)
    ax = fig.axes[0]
    assert ax.yaxis_inverted()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["太和镇", "山塘镇", "三坑镇"]
    assert [p.get_width() for p in ax.patches] == [120, 85, 40]


def test_bar_chart_from_dataframe_and_value_format():
    df = pd.DataFrame({"镇街": ["太和镇", "山塘镇"], "占比": [0.125, 0.5]})
    fig = charts.bar_chart(df, "占比", label="镇街", value_format="{:.1%}")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["太和镇", "山塘镇"]
    assert bar_value_labels(ax) == ["12.5%", "50.0%"]
    with pytest.raises(ValueError, match="value="):
        charts.bar_chart(pd.DataFrame({"a": [1], "b": [2]}), "x")


def test_stacked_bar_chart_totals_and_legend():
    fig = charts.stacked_bar_chart(TABLE, "按镇街和类别统计", "镇街", "人数", legend_title="认定类别")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(TABLE.columns)
    assert ax.get_legend().get_title().get_text() == "认定类别"
    assert bar_value_labels(ax) == ["15", "13", "5"]  # row totals
    tops = {}
    for p in ax.patches:
        x = round(p.get_x() + p.get_width() / 2)
        tops[x] = max(tops.get(x, 0), p.get_y() + p.get_height())
    assert [tops[i] for i in range(3)] == [15, 13, 5]


def test_grouped_bar_chart_one_bar_per_cell():
    fig = charts.stacked_bar_chart(TABLE, "分组", stacked=False)
    ax = fig.axes[0]
    assert len(ax.patches) == TABLE.size
    assert sorted(bar_value_labels(ax)) == sorted(str(v) for v in TABLE.to_numpy().ravel())


def test_empty_data_gives_a_no_data_chart(tmp_path):
    fig = charts.bar_chart(pd.Series(dtype=float), TITLE, "镇街", "人数")
    assert "无数据" in [t.get_text() for t in fig.axes[0].texts]
    fig2 = charts.stacked_bar_chart(TABLE.iloc[0:0], TITLE)
    assert "无数据" in [t.get_text() for t in fig2.axes[0].texts]
    assert charts.save_png(fig, tmp_path / "empty.png").stat().st_size > 0


# --- PNG output -------------------------------------------------------------------------------------------------------


def test_save_png_is_atomic_deterministic_and_150_dpi(tmp_path):
    a = charts.save_png(chinese_chart(), tmp_path / "sub" / "a.png")
    b = charts.save_png(chinese_chart(), tmp_path / "sub" / "b.png")
    assert a.read_bytes() == b.read_bytes()  # same figure, same bytes
    assert sorted(p.name for p in a.parent.iterdir()) == ["a.png", "b.png"]  # no temp file left behind
    chunks = png_chunks(a.read_bytes())
    text = b"".join(body for kind, body in chunks if kind in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"matplotlib" not in text.lower() and b"Creation" not in text
    width, height = struct.unpack(">II", chunks[0][1][:8])
    fig_w, fig_h = chinese_chart().get_size_inches()
    assert (width, height) == (round(fig_w * 150), round(fig_h * 150))


def test_save_png_failure_leaves_no_file(tmp_path):
    class Broken(Figure):
        def savefig(self, *args, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        charts.save_png(Broken(), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_display_formatter_returns_png_with_width():
    fig = chinese_chart()
    data, meta = charts._figure_png_for_display(fig)
    assert data[:4] == b"\x89PNG"
    assert meta["width"] == round(fig.get_size_inches()[0] * 100)
    assert io.BytesIO(data).getbuffer().nbytes > 10_000


# --- phone width (issue 9) --------------------------------------------------------------------------------------------

LONG_CATEGORIES = pd.Series({"01 大龄失业人员": 158, "05 农村零转移就业原建档立卡贫困家庭人员": 14,
                             "11 失业6个月以上的退役军人": 12, "03 享受最低生活保障待遇人员": 21})
NINE_TOWNS = pd.Series({t: 10 + i for i, t in enumerate(["太和镇", "太平镇", "山塘镇", "三坑镇", "龙颈镇", "禾云镇",
                                                          "浸潭镇", "石潭镇", "笔架林场"])})


def css_px_on_a_phone(fig: Figure, points: float, screen: float = 360) -> float:
    """Size of text of ``points`` when the figure (shown at 100 px per inch) is scaled to a phone's width."""
    width_px = fig.get_size_inches()[0] * 100
    return points * 100 / 72 * min(1.0, screen / width_px)


@pytest.mark.parametrize("make", [
    lambda: charts.bar_chart(NINE_TOWNS, "符合条件人数（按镇街）　2026-11-26", ylabel="人数"),
    lambda: charts.bar_chart(LONG_CATEGORIES, "全区符合条件人数（按类别，可兼类）", xlabel="人数", horizontal=True),
    lambda: charts.stacked_bar_chart(TABLE, "按镇街和类别统计", "镇街", "人数", legend_title="认定类别"),
], ids=["vertical", "horizontal", "stacked"])
def test_labels_stay_readable_at_phone_width(make):
    fig = make()
    fig.canvas.draw()  # lay out: tick labels exist with their final sizes
    assert fig.get_size_inches()[0] <= charts.PHONE_WIDTH
    ax = fig.axes[0]
    texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), *ax.texts]
    sizes = [t.get_fontsize() for t in texts if t.get_text()]
    assert sizes and min(css_px_on_a_phone(fig, s) for s in sizes) >= 9  # about the smallest readable on a phone
    legend = ax.get_legend()
    if legend is not None:  # under the chart, not beside it (beside it would widen the figure)
        box = legend.get_window_extent()
        assert box.y1 <= ax.get_window_extent().y0


def test_long_category_labels_wrap_instead_of_widening_the_chart():
    fig = charts.bar_chart(LONG_CATEGORIES, "按类别", horizontal=True)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "01 大龄失业人员"  # short: one line
    assert labels[1].count("\n") == 1 and labels[1].replace("\n", "") == "05 农村零转移就业原建档立卡贫困家庭人员"
    assert all(charts._display_width(line) <= charts.LABEL_WRAP for lab in labels for line in lab.split("\n"))
