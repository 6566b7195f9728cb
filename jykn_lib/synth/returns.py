"""The synthetic towns' side of the quarterly audit (02 定期审验): what only the towns know, and their returns.

Two parts:

- :func:`plant_town_truth` (called while the world is built): ledger people whose data raise an exit signal in a given
  quarter of the reference year (lost contact → E10, a retirement on the default base of a woman without a recorded
  base → E1, 低保 ended → E11, hukou out of the province → D2, new unit contributions → E5), each with the truth
  a town learns by phone or visit (moved abroad → E3, sentenced → E7, false materials → E8, fraud → E9, reached and
  still qualifying, a 55 base, unreachable …). Recorded in the answer key as ``town_truth``, from planting.
- :func:`fill_returns` (``jykn synth returns``): given a quarter's issued 核实表, fills them in as the clerks would,
  with a known, seeded share of the mess clerks make (re-sorted rows, blank and note rows, a renamed sheet and file,
  free text in dropdown cells, an .xls save, a WPS-like save with a filter left on, a town sending twice, a deleted
  row, a late 报送日期, a missing town, answers without a date, verifier or reason), and writes beside them the
  outcome the collect phase must reach for every issued row (``returns_truth.json``). The answer for a person comes
  from ``town_truth`` when the town knows something; otherwise the clerk confirms the first signal of 系统提示 that a
  town may answer (the synthetic data are true by construction) — the expected outcome follows from that plan and the
  mess, never from reading the files back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..periods import Quarter
from .config import faker_for, rng_for

TRUTH_NAME = "returns_truth.json"
ISSUED_GLOB = "*/审验核实表_*_*.xlsx"
CODE = re.compile(r"(?:^|；)\s*(E\d{1,2}|D\d)\s")
# the mess, as shares of the towns that have rows to return (at least one town each when there are enough towns)
MESS_SHARES = {"resorted": 0.5, "blank_rows": 0.25, "renamed_sheet": 0.2, "renamed_file": 0.2, "xls": 0.15,
               "wps_filter": 0.2, "twice": 0.15, "missing_row": 0.15, "late": 0.2, "missing_town": 0.1}
ROW_MESS = {"free_text": 0.15, "no_reason": 0.05, "no_verifier": 0.05, "no_date": 0.05}
FREE_TEXT = {"建议退出": {"E5": "已就业", "E3": "出国", "D1": "已去世"}, "无法联系": "联系不上", "仍符合条件": "符合"}
METHODS = ("电话", "电话", "电话", "走访", "系统比对")


# ================================================================================================ planting


def plant_town_truth(world) -> None:
    """Ledger people whose signals start in each quarter of the reference year, with what their town knows."""
    from ..workdays import audit_dates
    from .cases import Cases, births_with_retirement
    from .design import Design, Planter

    c = Cases(world)
    c.rng = rng_for(world.s.seed, "town_truth")
    c.pl = Planter(world, c.rng)
    w, r = world, world.r
    world.town_truth = {}
    year = w.as_of.year
    quarters = [q for q in (Quarter(year, k) for k in range(1, 5)) if audit_dates(q)[0] <= w.as_of]

    def add(slug, desc, design, truth, exits, after=None):
        p = c.add(slug, desc, design, after=after, exits=exits)
        world.town_truth[p.pid] = {"case": slug, **truth}
        return p

    def plan(rec):
        return [(rec + dt.timedelta(days=2), "职业指导", "来访", "已联系"),
                (rec + dt.timedelta(days=6), "岗位推荐", "电话", "已推荐"),
                (rec + dt.timedelta(days=12), "职业培训", "电话", "已联系")]

    for q in quarters:
        issue, _due = audit_dates(q)
        tag = str(q)
        last = w.add_months(issue, -(r.e10_months + 1))  # first out of contact at this quarter's issue date
        rec = last - dt.timedelta(days=90)
        calls = [(last + dt.timedelta(days=k), "跟踪回访", "电话", "未接通") for k in (30, 70, 110, 150)]
        # no 失业登记 row: the ledger's people need none, and an old registration would also give category 07
        lost = dict(cats=("01",), ledger="active", recognised=rec, no_registration=True,
                    services=plan(rec) + [(last, "跟踪回访", "上门", "已联系")] + calls)
        for kind, desc, answer in (
                ("e3_abroad", "失联（E10），镇街走访得知已移居境外：建议退出E3",
                 {"核实结果": "建议退出", "退出原因": "E3", "备注": "家属称本人已移居境外"}),
                ("e7_sentenced", "失联（E10），镇街核实本人已被判处刑罚：建议退出E7",
                 {"核实结果": "建议退出", "退出原因": "E7", "备注": "经司法所核实已判刑"}),
                ("e10_reached", "失联（E10），镇街电话联系上本人、仍未就业：仍符合条件（帮扶记录漏录）",
                 {"核实结果": "仍符合条件", "备注": "已电话联系，仍未就业"}),
                ("e10_unreachable", "失联（E10），镇街多次电话、走访均联系不上：无法联系（本期不退出）",
                 {"核实结果": "无法联系", "备注": "电话空号，走访无人"})):
            add(f"town_{kind}_{tag}", f"{tag}起：{desc}", Design(**lost), {"quarter": tag, "signal": "E10",
                                                                          "answer": answer}, ["E10"])
        births = births_with_retirement(w, "女", None, issue - dt.timedelta(days=20), issue - dt.timedelta(days=2))
        for i, (base, answer) in enumerate(((55, {"核实结果": "仍符合条件", "备注": "女干部（管理岗位），按55岁基准"}),
                                           (50, {"核实结果": "建议退出", "退出原因": "E1", "备注": "工人岗位，按50岁基准已退休"}))):
            b = births[min(i, len(births) - 1)][0]
            add(f"town_e1_base{base}_{tag}",
                f"{tag}：台账未记录女性退休基准的女性按50岁基准已达退休年龄（E1送镇街），镇街核实为{base}岁基准",
                Design(cats=("01",), excl=("X_RETIRED_F50",), sex="女", birth=b, ledger="active",
                       recognised=w.add_months(issue, -10), no_registration=True, women_base=None),
                {"quarter": tag, "signal": "E1", "base": base, "answer": answer}, ["E1"])

        # retirement later in the quarter: a man (the district applies E1 on that day) and a woman without a
        # recorded base (her town confirms the 50 base)
        for sex, slug, desc, truth in (
                ("男", "e1_later_male", "男性在本季度下发日之后、季度结束前达到法定退休年龄：区级直接办理，于退休当日退出", None),
                ("女", "e1_later_female", "台账未记录基准的女性在本季度内稍后按50岁基准退休（送镇街），镇街核实为50岁基准",
                 {"核实结果": "建议退出", "退出原因": "E1", "备注": "工人岗位，按50岁基准"})):
            later = births_with_retirement(w, sex, None, issue + dt.timedelta(days=10), q.end - dt.timedelta(days=3))
            later = [b for b in later if b[1] <= w.as_of]
            if not later:  # the schedule's steps leave no retirement date in this span
                continue
            excl = ("X_RETIRED",) if sex == "男" else ("X_RETIRED_F50",)
            add(f"town_{slug}_{tag}", f"{tag}：{desc}",
                Design(cats=("01",), excl=excl, sex=sex, birth=later[0][0], ledger="active", no_registration=True,
                       recognised=w.add_months(issue, -8), women_base=None),
                {"quarter": tag, "signal": "E1", "retirement": later[0][1].isoformat(),
                 **({"answer": truth} if truth else {})}, ["E1"])

        def ended(p, start=rec, end=issue - dt.timedelta(days=20)):
            w.dibao.add(pid=p.pid, type="城市低保", start=start - dt.timedelta(days=400), end=end, group="named")
        add(f"town_e11_dibao_{tag}", f"{tag}：以03认定，低保已于下发日前结束（E11），镇街核实确认",
            Design(ledger="active", ledger_cats=("03",), no_registration=True, recognised=rec, area="城镇"),
            {"quarter": tag, "signal": "E11", "answer": {"核实结果": "建议退出", "退出原因": "E11",
                                                         "备注": "低保已停发，无其他认定依据"}}, ["E11"], after=ended)
        add(f"town_d2_{tag}", f"{tag}：户籍迁出省外（D2），镇街核实确认",
            Design(cats=("01",), excl=("X_HUKOU_OUT",), change_date=issue - dt.timedelta(days=25), ledger="active",
                   recognised=rec, no_registration=True),
            {"quarter": tag, "signal": "D2", "answer": {"核实结果": "建议退出", "退出原因": "D2"}}, ["D2"])
    # new unit contributions show in the look-back window of the reference date's quarter only
    tag = str(Quarter.of(w.as_of))
    rec = audit_dates(Quarter.of(w.as_of))[0] - dt.timedelta(days=120)
    for kind, desc, answer in (
            ("e5_confirmed", "近期有单位缴费（E5），镇街核实已就业：建议退出E5", {"核实结果": "建议退出", "退出原因": "E5"}),
            ("e9_fraud", "近期有单位缴费（E5），镇街核实曾骗取就业补助资金：建议退出E9",
             {"核实结果": "建议退出", "退出原因": "E9", "备注": "就业后仍申领补贴"}),
            ("e5_short_job", "近期有单位缴费（E5），镇街核实短期工作已结束、仍未就业：仍符合条件",
             {"核实结果": "仍符合条件", "备注": "短期用工已结束"}),
            ("e8_false", "近期有单位缴费（E5），镇街核实认定时隐瞒就业：以虚假材料取得认定，建议退出E8",
             {"核实结果": "建议退出", "退出原因": "E8"})):
        add(f"town_{kind}_{tag}", f"{tag}：{desc}",
            # registered half a year before recognition: an earlier job (design.work_history) ends before the
            # look-back windows of the earlier quarters in which the person is recognised
            Design(cats=("01",), excl=("X_EMP_UNIT",), ledger="active", recognised=rec,
                   reg_date=rec - dt.timedelta(days=180), history_row=False),
            {"quarter": tag, "signal": "E5", "answer": answer}, ["E5"])


def manifest_entries(world) -> dict:
    """``town_truth`` of the answer key: identity number → what the town knows (from planting)."""
    ids = world.ids()
    return {ids[pid]: v for pid, v in sorted(getattr(world, "town_truth", {}).items())}


# ================================================================================================ filling in


@dataclass
class Row:
    excel_row: int
    number: str
    id_number: str
    name: str
    prompt: str


def issued_workbooks(issued: Path) -> list[tuple[str, Path]]:
    """(town, path) of every issued 核实表 under a quarter folder (or a folder holding them), in file name order."""
    issued = Path(issued)
    paths = sorted(issued.glob(ISSUED_GLOB)) or sorted(issued.glob("审验核实表_*_*.xlsx"))
    return [(p.stem.split("_")[-1], p) for p in paths]


def _rows(ws) -> list[Row]:
    header = [c.value for c in ws[2]]
    at = {h: i for i, h in enumerate(header)}
    out = []
    for r in range(3, ws.max_row + 1):
        number = ws.cell(r, at["核实编号"] + 1).value
        if not number:
            continue
        out.append(Row(r, str(number), str(ws.cell(r, at["公民身份号码"] + 1).value), str(ws.cell(r, at["姓名"] + 1).value),
                       str(ws.cell(r, at["系统提示"] + 1).value or "")))
    return out


def _pick(rng, items: list, share: float, minimum: int = 1) -> list:
    k = min(len(items), max(minimum if len(items) >= 3 else 0, round(share * len(items))))
    return sorted(rng.choice(items, size=k, replace=False).tolist()) if k else []


def fill_returns(issued: Path, data_dir: Path, out: Path, *, seed: int = 1, quarter: str | None = None) -> Path:
    """Fill in the issued 核实表 of one quarter as the towns would; write them and ``returns_truth.json`` into
    ``out`` (created; must be empty or hold only an earlier run's files). Returns the truth file."""
    import openpyxl

    from ..params import load_parameters
    from ..workdays import add_working_days, audit_dates

    manifest = json.loads((Path(data_dir) / "synth_manifest.json").read_text(encoding="utf-8"))
    truth = manifest.get("town_truth", {})
    books = issued_workbooks(issued)
    if not books:
        raise ValueError(f"在 {issued} 中找不到下发的审验核实表（审验核实表_<季度>_<镇街>.xlsx）")
    q = Quarter.parse(quarter or books[0][1].stem.split("_")[1])
    issue_day, due = audit_dates(q)
    params = load_parameters()
    town_codes = set(params["rules.exits.town_answer_codes"].at(issue_day))
    reasons = params.reasons(issue_day)
    rng = rng_for(seed, f"returns-{q}")
    fake = faker_for(seed, f"returns-{q}")
    out = Path(out)
    _prepare_out(out)

    loaded = {town: (path, openpyxl.load_workbook(path)) for town, path in books}
    rows = {town: _rows(wb["核实表"]) for town, (path, wb) in loaded.items()}
    with_rows = [t for t in loaded if rows[t]]
    gone = set(_pick(rng, with_rows, MESS_SHARES["missing_town"])[:1])  # a town that does not return at all
    rest = [t for t in with_rows if t not in gone]
    mess = {k: _pick(rng, rest, s) for k, s in MESS_SHARES.items() if k != "missing_town"}
    mess["missing_town"] = sorted(gone)
    all_rows = [(t, r.number) for t in with_rows if t not in gone for r in rows[t]]
    row_mess = {k: set(map(tuple, _pick(rng, all_rows, s, minimum=0))) for k, s in ROW_MESS.items()}
    deleted = {t: rows[t][int(rng.integers(0, len(rows[t])))].number for t in mess["missing_row"]}

    record: dict[str, dict] = {}
    files: list[dict] = []
    for town, (path, wb) in loaded.items():
        clerk = fake.name()
        answers = {}
        for row in rows[town]:
            ans = _answer(row, truth.get(row.id_number), town_codes, rng, clerk, issue_day, due, add_working_days)
            free = (town, row.number) in row_mess["free_text"]
            written = dict(ans)
            if free:
                text = FREE_TEXT.get(ans["核实结果"])
                text = text.get(ans.get("退出原因")) if isinstance(text, dict) else text
                if text:
                    written["核实结果"] = text
                    written.pop("退出原因", None)
                else:
                    free = False
            verdict = "确认退出" if ans["核实结果"] == "建议退出" else ans["核实结果"]
            if (town, row.number) in row_mess["no_reason"] and ans["核实结果"] == "建议退出":
                written.pop("退出原因", None)
                written["核实结果"] = "建议退出"
                verdict = "待补正"  # 建议退出 without a reason: not applied, listed for the town to complete
            if (town, row.number) in row_mess["no_verifier"]:
                written.pop("核实人", None)
            if (town, row.number) in row_mess["no_date"]:
                written.pop("核实日期", None)
            answers[row.number] = written
            status, code = "已返回", (ans.get("退出原因") if verdict == "确认退出" else None)
            if town in gone:
                status, verdict, code = "未返回（镇街未返回核实表）", "未返回", None
            elif deleted.get(town) == row.number:
                status, verdict, code = "未返回（镇街返回的文件中没有此行）", "未返回", None
            record[row.number] = {"公民身份号码": row.id_number, "所属镇街": town, "answer": ans, "written": written,
                                  "from_town_truth": row.id_number in truth,
                                  "expected": {"返回状态": status, "结论": verdict, "退出原因": code}}
        if town in gone:
            files.append({"town": town, "files": [], "used": None, "late": None})
            continue
        late = town in mess["late"]
        submitted = add_working_days(due, 2) if late else add_working_days(issue_day, int(rng.integers(5, 12)))
        name = (f"{town}{q.year}年第{q.q}季度审验核实结果.xlsx" if town in mess["renamed_file"] else path.name)
        written_files = []
        if town in mess["twice"]:  # an earlier, half-filled version first, under the issued name
            half = {k: v for i, (k, v) in enumerate(answers.items()) if i % 2 == 0}
            early = path.stem + "（初稿）.xlsx"
            _write(openpyxl.load_workbook(path), rows[town], half, add_working_days(issue_day, 2), set(), out / early,
                   town, rng, reasons)
            written_files.append(early)
        kinds = {k for k, towns in mess.items() if town in towns}
        target = out / (Path(name).stem + (".xls" if "xls" in kinds else ".xlsx"))
        _write(wb, rows[town], answers, submitted, kinds | ({"deleted:" + deleted[town]} if town in deleted else set()),
               target, town, rng, reasons)
        written_files.append(target.name)
        files.append({"town": town, "files": written_files, "used": target.name, "late": late,
                      "submitted": submitted.isoformat()})
    exits = {v["公民身份号码"]: v["expected"]["退出原因"] for v in record.values() if v["expected"]["结论"] == "确认退出"}
    payload = {"quarter": str(q), "seed": seed, "issue_date": issue_day.isoformat(), "due": due.isoformat(),
               "mess": dict(mess),
               "row_mess": {k: sorted(n for _t, n in v) for k, v in row_mess.items()}, "deleted_rows": deleted,
               "files": files, "rows": record, "expected_exits": dict(sorted(exits.items())),
               "conventions": ["rows 的键为核实编号；expected 为收回阶段应得的返回状态、结论和退出原因"
                               "（来自答案计划和埋入的问题，不来自读回文件）。",
                               "answer 为镇街应填的答案；written 为实际写入文件的内容（自由文字、缺项等）。",
                               "同一镇街返回两个文件时，used 为报送日期较晚、应被采用的文件。"]}
    path = out / TRUTH_NAME
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _prepare_out(out: Path) -> None:
    if out.exists():
        stray = [p for p in out.iterdir() if p.name != TRUTH_NAME and p.suffix.lower() not in (".xlsx", ".xls")]
        if stray or (any(out.iterdir()) and not (out / TRUTH_NAME).exists()):
            raise ValueError(f"输出文件夹 {out} 已有其他文件：为免覆盖，请换一个空文件夹")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def _answer(row: Row, truth, codes: set, rng, clerk: str, issue_day, due, add_working_days) -> dict:
    """The answer the town means to give: the town's truth, else the first signal of 系统提示 a town may answer."""
    answer = dict(truth["answer"]) if truth and "answer" in truth else None
    if answer is None:
        signals = [c for c in CODE.findall(row.prompt) if c in codes]
        answer = {"核实结果": "建议退出", "退出原因": signals[0]} if signals else {"核实结果": "仍符合条件"}
    answer["核实方式"] = str(METHODS[int(rng.integers(0, len(METHODS)))])
    span = max(1, min(15, (due - issue_day).days // 2))
    answer["核实日期"] = add_working_days(issue_day, int(rng.integers(1, span + 1))).isoformat()
    answer["核实人"] = clerk
    return answer


def _write(wb, rows: list[Row], answers: dict, submitted: dt.date, kinds: set, target: Path, town: str, rng,
           reasons) -> None:
    """Write the answers into the issued workbook and apply the file's mess; save as .xlsx or .xls."""
    from openpyxl.styles import Font, PatternFill

    ws = wb["核实表"]
    header = [c.value for c in ws[2]]
    col = {h: i + 1 for i, h in enumerate(header)}
    for row in rows:
        a = answers.get(row.number)
        if a is None:
            continue
        for h in ("核实结果", "核实方式", "核实人", "备注"):
            if a.get(h):
                ws.cell(row.excel_row, col[h]).value = a[h]
        if a.get("退出原因"):
            ws.cell(row.excel_row, col["退出原因"]).value = f"{a['退出原因']} {reasons[a['退出原因']].label}"
        if a.get("核实日期"):
            ws.cell(row.excel_row, col["核实日期"]).value = dt.date.fromisoformat(a["核实日期"])
    info = wb["报送信息"]
    for r in range(1, info.max_row + 1):
        if info.cell(r, 1).value == "报送日期":
            info.cell(r, 2).value = submitted if "xls" not in kinds else submitted.strftime("%Y年%m月%d日")
        if info.cell(r, 1).value == "报送人":
            info.cell(r, 2).value = (answers and next(iter(answers.values())).get("核实人")) or ""
    first, last = 3, 2 + len(rows)
    if "resorted" in kinds and len(rows) > 1:  # re-sorted: the data rows in another order (values moved as a block)
        order = rng.permutation(len(rows))
        values = [[ws.cell(r, c).value for c in range(1, len(header) + 1)] for r in range(first, last + 1)]
        for i, j in enumerate(order):
            for c in range(1, len(header) + 1):
                ws.cell(first + i, c).value = values[j][c - 1]
    deleted = [k.split(":", 1)[1] for k in kinds if k.startswith("deleted:")]
    if deleted:
        for r in range(first, last + 1):
            if ws.cell(r, col["核实编号"]).value == deleted[0]:
                ws.delete_rows(r)
                last -= 1
                break
    if "blank_rows" in kinds and last > first:
        ws.insert_rows(first + 1, amount=2)
        ws.cell(last + 4, 1).value = "以下为镇街补充说明：本镇已全部核实。"
    if "renamed_sheet" in kinds:
        ws.title = "Sheet1"
    if "wps_filter" in kinds:  # WPS-like: its default font and fills, a filter left on with rows hidden
        for r in range(2, ws.max_row + 1):
            for c in range(1, len(header) + 1):
                ws.cell(r, c).font = Font(name="宋体", size=11)
        for c in range(1, len(header) + 1):
            ws.cell(2, c).fill = PatternFill("solid", fgColor="FFFF00")
        ws.auto_filter.ref = f"A2:{ws.cell(2, len(header)).column_letter}{ws.max_row}"
        ws.row_dimensions[first].hidden = True
        wb.properties.creator = "WPS Office"
    if target.suffix == ".xls":
        _save_xls(wb, target)
    else:
        wb.save(target)


def _save_xls(wb, target: Path) -> None:
    """The workbook as an old .xls (xlwt): values only, dates as dates, as an .xls saved from WPS or Excel keeps them."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for ws in wb.worksheets:
        sheet = book.add_sheet(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if v is None:
                    continue
                if isinstance(v, (dt.datetime, dt.date)):
                    sheet.write(cell.row - 1, cell.column - 1, v, date_style)
                else:
                    sheet.write(cell.row - 1, cell.column - 1, v)
    book.save(str(target))
