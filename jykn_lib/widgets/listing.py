"""名单筛选: everyone in the ledger or in this quarter's screening, filtered, sorted, counted and exported.

    base = people_table(ctx)                     # one row per person (vectorised; built once per context)
    rows = select(base, Filters(town="浸潭镇", categories=("01", "07"), employment="未就业"))
    path = export(ctx, rows, Filters(...))       # <out_dir>/adhoc/名单筛选_<quarter>_NNN.xlsx, never overwriting

A person's row: the ledger's current recognition when the ledger holds one (its status, 就业状态, 分级), and the
screening's outcome (01's kept ``people`` table). 类别 is the recognised categories for people 有效 in the ledger, the
categories this quarter's screening found for everyone else it screened, and the earlier recognition otherwise. Flags: exit signals of
:func:`jykn_lib.rules.engine.evaluate_exits` for everyone recognised on the reference date, and the screening's hints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import idcard
from ..dates import age_on
from ..io.writer import Col, Sheet, write_workbook
from ..kit.workbooks import title
from ..rules.engine import evaluate_exits
from ..rules.reasons import category_names
from . import common as C
from .context import QueryContext

NOT_RECOGNISED = "未认定"
NOT_SCREENED = "未筛查"
SCREENING_LABELS = {"candidate": "符合（建议引导申请）", "excluded": "排除", "no_category": "无符合类别"}
UNFILLED = "（未填）"
SHOWN = ["姓名", "公民身份号码", "性别", "年龄", "所属镇街", "所属村居", "台账状态", "类别", "就业状态", "分级",
         "筛查结论", "退出信号", "提示"]
FLAGS = {"exits": "有退出信号", "hints": "有提示事项"}
EXPORT_DIR = "adhoc"
LIMIT = 300  # rows shown on screen; the export holds every selected row
CONFIDENTIAL = "内部资料　注意保密"


def _labels(codes: pd.Series, names: dict[str, str]) -> pd.Series:
    """'01,07' → '01 大龄失业人员、07 …' (vectorised over the distinct code strings)."""
    codes = codes.fillna("").astype(str)
    uniq = pd.Series(codes.unique())
    text = uniq.map(lambda v: "、".join(names.get(c, c) for c in v.split(",") if c))
    return codes.map(dict(zip(uniq, text)))


def people_table(ctx: QueryContext) -> pd.DataFrame:
    """One row per person in the ledger or the screening, with the columns the filters and the table use."""
    if "people_table" in ctx.cache:
        return ctx.cache["people_table"]
    reasons = ctx.params.reasons(ctx.as_of)
    cat_names = category_names(ctx.params, ctx.as_of)
    ledger = ctx.data.tables.get("ledger")
    frames = []
    if ledger is not None and len(ledger):
        lg = ledger.assign(_active=(ledger["status"] == "有效").astype(int), _rec=pd.to_datetime(ledger["recognised_date"]))
        lg = lg.sort_values(["id_number", "_active", "_rec"], kind="stable").drop_duplicates("id_number", keep="last")
        frames.append(pd.DataFrame({
            "公民身份号码": lg["id_number"].astype(str).to_numpy(), "姓名": lg["name"].to_numpy(),
            "所属镇街": lg["town"].to_numpy(), "所属村居": lg.get("village", pd.Series(None, index=lg.index)).to_numpy(),
            "台账状态": lg["status"].to_numpy(), "_cats": lg["categories"].fillna("").to_numpy(),
            "就业状态": lg.get("employment_status", pd.Series(None, index=lg.index)).to_numpy(),
            "分级": lg.get("grade", pd.Series(None, index=lg.index)).to_numpy()}))
    screened = ctx.screening()
    if screened is not None and len(screened):
        sc = pd.DataFrame({"公民身份号码": screened["公民身份号码"].astype(str).to_numpy(), "_s_name": screened["姓名"].to_numpy(),
                           "_s_town": screened["所属镇街"].to_numpy(), "_s_village": screened["所属村居"].to_numpy(),
                           "_outcome": screened["outcome"].to_numpy(), "_s_cats": screened["categories"].to_numpy(),
                           "_hints": screened["hints"].to_numpy()})
    else:
        sc = pd.DataFrame(columns=["公民身份号码", "_s_name", "_s_town", "_s_village", "_outcome", "_s_cats", "_hints"])
    base = frames[0] if frames else pd.DataFrame(columns=["公民身份号码", "姓名", "所属镇街", "所属村居", "台账状态", "_cats",
                                                           "就业状态", "分级"])
    t = base.merge(sc, on="公民身份号码", how="outer")
    in_ledger = t["台账状态"].notna()
    t["姓名"] = t["姓名"].where(in_ledger, t["_s_name"])
    t["所属镇街"] = t["所属镇街"].where(in_ledger, t["_s_town"])
    t["所属村居"] = t["所属村居"].where(in_ledger, t["_s_village"]).fillna("")
    # 类别: what was recognised for people 有效 in the ledger; for everyone else what this quarter's screening found
    # (someone who exited and qualifies again shows the new finding), else the earlier recognition
    active = (t["台账状态"] == "有效").to_numpy()
    screened_now = t["_outcome"].notna().to_numpy()
    t["_cats"] = np.where(active | ~screened_now, t["_cats"].fillna(""), t["_s_cats"].fillna(""))
    t["台账状态"] = t["台账状态"].fillna(NOT_RECOGNISED)
    t["筛查结论"] = t["_outcome"].map(SCREENING_LABELS).fillna(NOT_SCREENED)
    t["_hints"] = t["_hints"].fillna("")
    parsed = idcard.parse_ids(t["公民身份号码"].reset_index(drop=True))
    t["性别"] = parsed["sex"].to_numpy()
    t["年龄"] = pd.array(age_on(parsed["birth_date"].to_numpy(), ctx.as_of), dtype="Int64")
    ex = evaluate_exits(ctx.tables, ctx.as_of, params=ctx.params).summary
    exits = pd.Series(ex["exits"].to_numpy(), index=ex["id_number"].astype(str).to_numpy())
    t["_exits"] = t["公民身份号码"].map(exits).fillna("")
    names = {k: r.label for k, r in reasons.items()}
    t["类别"] = _labels(t["_cats"], cat_names)
    t["退出信号"] = _labels(t["_exits"], names)
    t["提示"] = _labels(t["_hints"], names)
    t["就业状态"] = t["就业状态"].fillna("")
    t["分级"] = t["分级"].fillna("")
    t = t[[*SHOWN, "_cats", "_exits", "_hints", "_outcome"]].sort_values(
        ["所属镇街", "所属村居", "公民身份号码"], kind="stable", na_position="last").reset_index(drop=True)
    ctx.cache["people_table"] = t
    return t


@dataclass(frozen=True)
class Filters:
    town: str = C.ALL
    village: str = C.ALL
    categories: tuple[str, ...] = ()  # every one of these codes
    status: str = C.ALL  # 台账状态: 有效 / 已退出 / 未认定
    screening: str = C.ALL  # candidate / excluded / no_category / 未筛查
    employment: str = C.ALL  # 就业状态, or UNFILLED
    grade: str = C.ALL  # 分级, or UNFILLED
    age: tuple[int, int] | None = None  # inclusive
    flags: tuple[str, ...] = ()  # keys of FLAGS: each must hold

    def words(self, ctx: QueryContext) -> str:
        """The conditions in Chinese (the export's note line)."""
        names = category_names(ctx.params, ctx.as_of)
        parts = []
        for label, value in (("镇街", self.town), ("村居", self.village), ("台账状态", self.status),
                             ("筛查结论", SCREENING_LABELS.get(self.screening, self.screening)),
                             ("就业状态", self.employment), ("分级", self.grade)):
            if value != C.ALL:
                parts.append(f"{label}：{value}")
        if self.categories:
            parts.append("类别：" + "、".join(names.get(c, c) for c in self.categories))
        if self.age:
            parts.append(f"年龄：{self.age[0]}～{self.age[1]}周岁")
        parts += [FLAGS[f] for f in self.flags]
        return "；".join(parts) or "全部人员（未加条件）"


def _has_code(codes: pd.Series, code: str) -> np.ndarray:
    return codes.str.contains(rf"(?:^|,){code}(?:,|$)", regex=True).to_numpy()


def select(base: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The rows meeting every condition (vectorised)."""
    keep = np.ones(len(base), dtype=bool)
    for col, value in (("所属镇街", f.town), ("所属村居", f.village), ("台账状态", f.status)):
        if value != C.ALL:
            keep &= (base[col] == value).to_numpy()
    if f.screening != C.ALL:
        keep &= ((base["_outcome"] == f.screening) if f.screening != NOT_SCREENED else base["_outcome"].isna()).to_numpy()
    for col, value in (("就业状态", f.employment), ("分级", f.grade)):
        if value != C.ALL:
            keep &= (base[col] == ("" if value == UNFILLED else value)).to_numpy()
    for code in f.categories:
        keep &= _has_code(base["_cats"], code)
    if f.age:
        age = base["年龄"].astype("float")
        keep &= ((age >= f.age[0]) & (age <= f.age[1])).fillna(False).to_numpy()
    for flag in f.flags:
        keep &= (base["_" + flag] != "").to_numpy()
    return base[keep].reset_index(drop=True)


def sort(rows: pd.DataFrame, column: str, ascending: bool = True) -> pd.DataFrame:
    return rows.sort_values([column, "公民身份号码"], ascending=[ascending, True], kind="stable",
                            na_position="last").reset_index(drop=True)


def counts(rows: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """人数 by town (or by village within one town), with 合计, and by 台账状态."""
    by = "所属村居" if f.town != C.ALL else "所属镇街"
    grid = pd.crosstab(rows[by].replace("", "（未填）"), rows["台账状态"]) if len(rows) else pd.DataFrame()
    if grid.empty:
        return pd.DataFrame(columns=[by, "人数"])
    grid["人数"] = grid.sum(axis=1)
    grid = grid.reset_index().rename(columns={by: "镇街" if by == "所属镇街" else "村居"})
    total = grid.drop(columns=grid.columns[0]).sum().to_frame().T
    total.insert(0, grid.columns[0], "合计")
    return pd.concat([grid, total], ignore_index=True)


def show(rows: pd.DataFrame, f: Filters) -> str:
    """What the form shows: the count, the counts table and the rows (the first LIMIT)."""
    if rows.empty:
        return C.answer(C.para("没有符合条件的人员（0人）。"))
    return C.answer(C.para(f"符合条件 {len(rows)} 人。"), C.section("人数", C.table(counts(rows, f))),
                    C.section("名单", C.table(rows[SHOWN], limit=LIMIT)))


def next_free(folder: Path, stem: str) -> Path:
    """``<stem>_001.xlsx``, ``_002`` …: the first number not taken, reserved by creating the file exclusively."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 100_000):
        path = folder / f"{stem}_{n:03d}.xlsx"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise RuntimeError(f"{folder} 中的导出文件过多，请清理后再导出。")


def export(ctx: QueryContext, rows: pd.DataFrame, f: Filters) -> Path:
    """The selection through the suite's writer (IDs as text) into ``<out_dir>/adhoc/``; a new file each time."""
    setup = ctx.setup
    path = next_free(Path(setup.out_root) / EXPORT_DIR, f"名单筛选_{ctx.quarter}")
    data = rows[SHOWN].reset_index(drop=True)
    scope = f.town if f.town != C.ALL else None  # the title names the town the list was cut to
    sheet = Sheet(name="名单筛选", data=data, title=title(setup, "名单筛选", scope),
                  columns={"公民身份号码": Col(kind="text"), "年龄": Col(kind="int"), "类别": Col(wrap=True, width=40),
                           "退出信号": Col(wrap=True, width=40), "提示": Col(wrap=True, width=40)},
                  note_lines=[f"筛选条件：{f.words(ctx)}", f"共 {len(data)} 人。",
                              CONFIDENTIAL + "：本表含公民身份号码，仅限经办人员使用。"], mark=CONFIDENTIAL)
    try:
        return write_workbook(path, [sheet])
    except BaseException:
        path.unlink(missing_ok=True)  # the reserved name is freed when nothing could be written
        raise


# ---------------------------------------------------------------------------------------------------------- the form


class ListingForm(W.VBox):
    def __init__(self, ctx: QueryContext, town: str | None = None):
        self.ctx = ctx
        self.base = people_table(ctx)
        contract = ctx.contract
        st = {"description_width": "70px"}
        towns = ctx.params.town_names()
        extra = sorted(set(self.base["所属镇街"].dropna()) - set(towns))
        self.town = W.Dropdown(description="镇街", options=[C.ALL, *towns, *extra], value=town or C.ALL, style=st)
        self.village = W.Dropdown(description="村居", options=[C.ALL], style=st)
        names = category_names(ctx.params, ctx.as_of)
        self.categories = W.SelectMultiple(description="类别", options=[(v, k) for k, v in names.items()], rows=5,
                                           style=st, layout=W.Layout(width="340px"))
        self.status = W.Dropdown(description="台账状态", options=[C.ALL, *contract["ledger"].column("status").values,
                                                               NOT_RECOGNISED], style=st)
        self.screening = W.Dropdown(description="筛查结论", options=[(C.ALL, C.ALL), *[(v, k) for k, v in
                                                                               SCREENING_LABELS.items()],
                                                                 (NOT_SCREENED, NOT_SCREENED)], style=st)
        self.employment = W.Dropdown(description="就业状态", options=[
            C.ALL, *contract["ledger"].column("employment_status").values, UNFILLED], style=st)
        self.grade = W.Dropdown(description="分级", options=[C.ALL, *contract["ledger"].column("grade").values, UNFILLED],
                                style=st)
        self.age = W.IntRangeSlider(description="年龄", min=16, max=80, value=(16, 80), style=st)
        self.flags = {k: W.Checkbox(description=v, value=False, indent=False) for k, v in FLAGS.items()}
        self.order_by = W.Dropdown(description="排序", options=SHOWN, value="所属镇街", style=st)
        self.descending = W.Checkbox(description="降序", value=False, indent=False)
        self.export_button = W.Button(description="导出", button_style="primary", icon="download")
        self.export_path = W.HTML()
        self.output = W.HTML()
        self.output.add_class("jykn-listing-answer")
        for w in (self.town, self.village, self.categories, self.status, self.screening, self.employment, self.grade,
                  self.age, self.order_by, self.descending, *self.flags.values()):
            w.observe(self.refresh, names="value")
        self.town.observe(self._villages, names="value")
        self.export_button.on_click(self._export)
        self._villages()
        note = "" if ctx.screening() is not None else C.note(
            f"{ctx.quarter} 还没有主动筛查（01）保存的结果：名单只含台账人员。")
        super().__init__([
            W.HTML("<b>名单筛选</b>：台账人员和本季度筛查人员，按条件筛选、排序、计数，可导出为工作簿。" + note),
            W.HBox([W.VBox([self.town, self.village, self.status, self.screening]),
                    W.VBox([self.employment, self.grade, self.age, *self.flags.values()]), self.categories]),
            W.HBox([self.order_by, self.descending, self.export_button]), self.export_path, self.output])
        self.refresh()

    def filters(self) -> Filters:
        lo, hi = self.age.value
        age = None if (lo, hi) == (self.age.min, self.age.max) else (lo, hi)
        return Filters(town=self.town.value, village=self.village.value, categories=tuple(self.categories.value),
                       status=self.status.value, screening=self.screening.value, employment=self.employment.value,
                       grade=self.grade.value, age=age, flags=tuple(k for k, w in self.flags.items() if w.value))

    def rows(self) -> pd.DataFrame:
        return sort(select(self.base, self.filters()), self.order_by.value, not self.descending.value)

    def _villages(self, change=None) -> None:
        t = self.town.value
        villages = [] if t == C.ALL else sorted(set(self.base.loc[self.base["所属镇街"] == t, "所属村居"]) - {""})
        self.village.unobserve(self.refresh, names="value")
        self.village.options = [C.ALL, *villages]
        self.village.value = C.ALL
        self.village.observe(self.refresh, names="value")

    def refresh(self, change=None) -> None:
        self.output.value = show(self.rows(), self.filters())

    def _export(self, _=None) -> None:
        path = export(self.ctx, self.rows(), self.filters())
        self.export_path.value = C.answer(C.para(f"已导出：{path}"))


def listing_form(ctx: QueryContext, town: str | None = None) -> ListingForm:
    return ListingForm(ctx, town)
