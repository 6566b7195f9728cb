"""ipywidgets forms for the analyst's ad-hoc questions in JupyterLab (not part of the leaders' HTML).

Cells that show a form carry the tag ``interactive``; ``report.notebook_to_html`` leaves them out. Each form keeps its
answer in an ``HTML`` widget whose value the callbacks rewrite, so the forms can be driven and checked without a browser.
"""

from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd

from . import idcard

ALL = "（全部）"
OUTCOME_LABELS = {"candidate": "符合（建议引导申请）", "excluded": "排除", "no_category": "无符合类别"}


def _table_html(df: pd.DataFrame, limit: int = 200) -> str:
    if df.empty:
        return "<p>没有符合条件的记录。</p>"
    more = f"<p>共 {len(df)} 条，显示前 {limit} 条。</p>" if len(df) > limit else f"<p>共 {len(df)} 条。</p>"
    return more + df.head(limit).to_html(index=False, escape=True, border=0)


def person_lookup(people: pd.DataFrame, by_application: str = "") -> W.VBox:
    """按公民身份号码查询：为何符合、为何排除（理由与条款）。``people`` is ``ScreeningResult.people``;
    ``by_application`` names the categories decided only on application."""
    box = W.Text(description="身份证号", placeholder="输入18位公民身份号码（全角、小写x均可）",
                 layout=W.Layout(width="420px"))
    answer = W.HTML()
    indexed = people.set_index("公民身份号码")

    def show(change=None):
        raw = box.value.strip()
        if not raw:
            answer.value = ""
            return
        check = idcard.validate(raw)
        if not check.ok:
            answer.value = f"<p style='color:#b00'>{html.escape(check.message)}</p>"
            return
        if check.id_number not in indexed.index:
            answer.value = "<p>此人不在本期筛查范围内（没有有效的失业登记，或身份证号未能匹配）。</p>"
            return
        row = indexed.loc[check.id_number]
        parts = [f"<p><b>{html.escape(str(row['姓名']))}</b>（{html.escape(str(row['所属镇街']))}"
                 f"{html.escape(str(row['所属村居']))}），结论：<b>{OUTCOME_LABELS[row['outcome']]}</b></p>"]
        for title, col in (("符合类别与依据", "判定依据"), ("排除原因", "排除原因"), ("依据条款", "依据"), ("提示", "提示")):
            if row[col]:
                parts.append(f"<p>{title}：{html.escape(str(row[col]))}</p>")
        if not row["判定依据"] and not row["排除原因"]:
            parts.append(f"<p>本人不符合可由数据判断的类别；{html.escape(by_application)}只能由本人申请认定。</p>")
        answer.value = "".join(parts)

    box.observe(show, names="value")
    return W.VBox([W.HTML("<b>按身份证号查询筛查结论</b>"), box, answer])


def list_filter(people: pd.DataFrame, towns: list[str], categories: dict[str, str]) -> W.VBox:
    """按镇街、结论和类别筛选名单。``categories``: code → label (e.g. '01' → '01 大龄失业人员')."""
    town = W.Dropdown(options=[ALL, *towns], description="镇街")
    outcome = W.Dropdown(options=[(ALL, ALL), *[(v, k) for k, v in OUTCOME_LABELS.items()]], description="结论")
    category = W.Dropdown(options=[(ALL, ALL), *[(v, k) for k, v in categories.items()]], description="类别")
    answer = W.HTML()
    columns = ["姓名", "公民身份号码", "所属镇街", "所属村居", "符合类别", "排除原因", "提示"]

    def show(change=None):
        df = people
        if town.value != ALL:
            df = df[df["所属镇街"] == town.value]
        if outcome.value != ALL:
            df = df[df["outcome"] == outcome.value]
        if category.value != ALL:
            df = df[df["categories"].str.split(",").apply(lambda cats: category.value in cats)]
        answer.value = _table_html(df[columns])

    for w in (town, outcome, category):
        w.observe(show, names="value")
    show()
    return W.VBox([W.HTML("<b>筛选名单</b>"), W.HBox([town, outcome, category]), answer])


def show_screening_forms(run) -> None:
    """The two forms over a screening run's scope (notebook 01, JupyterLab only)."""
    from IPython.display import display

    from .analyses import screening
    from .rules.reasons import application_only, category_names

    setup, people = run.setup, run.scoped.people
    names = category_names(setup.params, setup.as_of)
    only = "、".join(names[c] for c in application_only(setup.params, setup.as_of))
    display(person_lookup(people, only))
    display(list_filter(people, sorted(people["所属镇街"].unique()), screening.screenable_categories(setup.params,
                                                                                                     setup.as_of)))
