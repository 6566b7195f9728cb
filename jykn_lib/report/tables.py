"""Tables as the notebooks show them (and so as leaders read them): masked, compact, wide ones made to fit.

:func:`styled` is what ``kit.show`` displays. A table is masked first (:func:`jykn_lib.report.mask_frame`). Numbers
are right-aligned and their headers may wrap ("01 大龄失业人员" over two lines), so a town × category table of 16
columns fits 1280 px and one A4 landscape page; long texts (判定依据 …) wrap in a column of readable width; short
texts stay on one line.
"""

from __future__ import annotations

import pandas as pd

from .masking import mask_frame

LONG_TEXT_COLUMNS = ("判定依据", "排除原因", "依据", "提示", "符合类别", "说明", "未提供时无法判断", "问题类型", "问题说明")


def styled(df: pd.DataFrame, wrap: tuple[str, ...] = LONG_TEXT_COLUMNS):
    """A masked table for display: no index, texts left-aligned, numbers right-aligned with wrapping headers, short
    texts on one line, long texts wrapped."""
    masked = mask_frame(df)
    numeric = [c for c in masked.columns if pd.api.types.is_numeric_dtype(masked[c]) and not
               pd.api.types.is_bool_dtype(masked[c])]
    long = [c for c in masked.columns if c in wrap]
    short = [c for c in masked.columns if c not in wrap and c not in numeric]
    style = masked.style.hide(axis="index").set_properties(**{"vertical-align": "top"})
    if short:
        style = style.set_properties(subset=short, **{"text-align": "left", "white-space": "nowrap"})
    if long:
        style = style.set_properties(subset=long, **{"text-align": "left", "min-width": "16em", "max-width": "36em"})
    if numeric:
        style = style.set_properties(subset=numeric, **{"text-align": "right", "white-space": "nowrap"})
    headers = [{"selector": "th", "props": [("text-align", "left"), ("white-space", "nowrap")]}]
    for c in numeric:  # a number's header may wrap: the column is as wide as its numbers, not as its name
        j = masked.columns.get_loc(c)
        headers.append({"selector": f"th.col_heading.col{j}",
                        "props": [("text-align", "right"), ("white-space", "normal"), ("min-width", "3em"),
                                  ("max-width", "5.5em")]})
    return style.set_table_styles(headers)
