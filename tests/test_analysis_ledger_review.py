"""03 台账检查 on the default synthetic district, against the answer key the generator wrote from how it planted each
case (synth_manifest.json: ledger_findings, ledger_review, exit_labels, faults) — never from the review itself."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from jykn_lib import kit
from jykn_lib.analyses import ledger_review as L
from jykn_lib.contract import town_names
from jykn_lib.io import import_template as T
from jykn_lib.io.reader import read_folder
from jykn_lib.params import REPO_ROOT, ParameterError, load_parameters, load_yaml
from jykn_lib.rules import policies as POL
from jykn_lib.rules.engine import evaluate_exits
from jykn_lib.rules.services import due_dates

pytestmark = pytest.mark.slow
PROBLEM_CODES_KINDS = ("ledger", "service", "followup", "post")
REJECTED_CASES = ("lr_bad_id", "lr_blank_recognised_date", "lr_grade_invalid")


@pytest.fixture(scope="module")
def as_of(synth_manifest):
    return dt.date.fromisoformat(synth_manifest["generator"]["as_of"])


@pytest.fixture(scope="module")
def dataset(synth_district, as_of):
    return read_folder(synth_district, as_of=as_of, only=L.SOURCES)


@pytest.fixture(scope="module")
def params():
    return load_parameters()


@pytest.fixture(scope="module")
def result(dataset, as_of, params):
    return L.review(dataset, as_of, params, missing=dataset.missing)


@pytest.fixture(scope="module")
def cases(synth_manifest):
    return {c["case"]: c for c in synth_manifest["cases"]}


@pytest.fixture(scope="module")
def case_faults(synth_manifest):
    return {f["case"]: f for f in synth_manifest["faults"] if f.get("case", "").startswith("lr_")}


def _problems_of(result, pid: str) -> list[str]:
    f = result.tables["findings"]
    return sorted(set(f[(f["公民身份号码"] == pid) & f["kind"].isin(PROBLEM_CODES_KINDS)]["问题代码"]))


def _upcoming_of(result, pid: str) -> list[str]:
    f = result.tables["findings"]
    return sorted(set(f[(f["公民身份号码"] == pid) & (f["kind"] == "upcoming")]["问题代码"]))


def _pushed_to(result, pid: str) -> list[str]:
    push = result.tables["push"]
    return sorted(set(push.loc[push["公民身份号码"] == pid, "policy"]))


# --- the planted cases ------------------------------------------------------------------------------------------------


def test_each_planted_person_gets_exactly_the_planted_findings(result, synth_manifest, cases, case_faults):
    names = {c["id_number"]: slug for slug, c in cases.items()}
    labels = synth_manifest["ledger_findings"]
    assert len(labels) >= 25
    wrong = []
    for pid, want in labels.items():
        slug = names[pid]
        if slug in REJECTED_CASES:
            continue
        got = _problems_of(result, pid), _upcoming_of(result, pid), _pushed_to(result, pid)
        expected = (sorted(want), synth_manifest["ledger_review"]["upcoming"][pid],
                    synth_manifest["ledger_review"]["policies"][pid])
        if got != expected:
            wrong.append((slug, expected, got))
    assert not wrong, wrong


def test_rejected_ledger_rows_are_listed_at_their_excel_row(result, synth_manifest, cases, case_faults):
    f = result.tables["findings"]
    for slug in REJECTED_CASES:
        fault = case_faults[slug]
        here = f[(f["来源文件"] == fault["file"]) & (f["行号"] == fault["row"])]
        assert list(here["问题代码"]) == synth_manifest["ledger_findings"][cases[slug]["id_number"]], slug
        assert (here["所属镇街"] == kit.UNKNOWN_TOWN).all()  # an unreadable row has no town: the district checks it
    bad_id = f[f["问题代码"] == "L_ID_INVALID"]
    assert case_faults["lr_bad_id"]["value"] in set(bad_id["公民身份号码"])  # the number as written, to find the row


def test_every_kind_of_problem_is_planted_and_found(result, synth_manifest, params, as_of):
    """Every problem code of params/reasons/ledger_review.yaml is planted on some case and found there."""
    reasons = params.reasons(as_of)
    codes = {c for c, r in reasons.items() if r.kind in PROBLEM_CODES_KINDS}
    planted = {c for v in synth_manifest["ledger_findings"].values() for c in v}
    planted |= {c for v in synth_manifest["ledger_review"]["post_findings"].values() for c in v}
    reports = synth_manifest["ledger_review"]["post_reports"]
    planted |= {"P_REPORT_LATE"} if "late" in reports.values() else set()
    planted |= {"P_REPORT_MISSING"} if "missing" in reports.values() else set()
    assert planted == codes
    assert codes <= set(result.tables["findings"]["问题代码"])
    upcoming = {c for c, r in reasons.items() if r.kind == "upcoming"}
    assert upcoming == {c for v in synth_manifest["ledger_review"]["upcoming"].values() for c in v}
    pushed = {c for v in synth_manifest["ledger_review"]["policies"].values() for c in v}
    assert pushed == set(POL.load_policies(params))  # every policy item is planted on someone


def test_posts_not_recognised_and_reporting(result, synth_manifest):
    f = result.tables["findings"]
    posts = result.tables["posts"].set_index("岗位编号")
    for post_id, codes in synth_manifest["ledger_review"]["post_findings"].items():
        row = posts.loc[post_id]
        here = f[(f["来源文件"] == row["来源文件"]) & (f["行号"] == row["行号"])]
        assert sorted(here["问题代码"]) == codes
        assert row["上岗时已认定"] == "否" and "台账中无此人" in row["说明"]
    assert (f["问题代码"] == "P_NOT_RECOGNISED").sum() == len(synth_manifest["ledger_review"]["post_findings"])
    towns = result.tables["post_towns"].set_index("所属镇街")["报送情况"]
    words = {"on_time": "按时报送", "late": "逾期报送", "missing": "未报送"}
    assert towns.to_dict() == {t: words[s] for t, s in synth_manifest["ledger_review"]["post_reports"].items()}
    late = f[f["问题代码"].isin(["P_REPORT_LATE", "P_REPORT_MISSING"])]
    assert sorted(late["所属镇街"]) == sorted(t for t, s in synth_manifest["ledger_review"]["post_reports"].items()
                                          if s != "on_time")
    t = result.tables["post_towns"]
    assert (t["空岗"] == t["岗位数"] - t["在岗"]).all() and t["岗位数"].sum() == len(result.tables["posts"])


def test_identical_duplicate_rows_of_the_ledger_are_found(result, synth_manifest):
    """The generator's random identical duplicates on the ledger (background people) are found at the merged row."""
    f = result.tables["findings"]
    dups = [x for x in synth_manifest["faults"] if x["kind"] == "duplicate_identical" and x["source"] == "就业困难人员台账"]
    for fault in dups:
        merged_row = max(fault["rows"])
        here = f[(f["来源文件"] == fault["file"]) & (f["行号"] == merged_row)]
        assert list(here["问题代码"]) == ["L_DUPLICATE"] and list(here["公民身份号码"]) == [fault["id_number"]]


# --- the same rules as the audit ------------------------------------------------------------------------------------------


def test_retired_deceased_refusals_and_lost_contact_are_the_exit_signals(result, synth_manifest):
    """L_RETIRED_ACTIVE, L_DECEASED_ACTIVE, F_E4, F_E10 for everyone recognised agree with the exit answer key."""
    f = result.tables["findings"]
    people = result.tables["people"]["公民身份号码"]
    assert set(people) == set(synth_manifest["exit_labels"])
    pairs = {"E1": "L_RETIRED_ACTIVE", "D1": "L_DECEASED_ACTIVE", "E4": "F_E4", "E10": "F_E10"}
    for exit_code, code in pairs.items():
        want = {pid for pid, exits in synth_manifest["exit_labels"].items() if exit_code in exits}
        got = set(f.loc[f["问题代码"] == code, "公民身份号码"])
        assert got == want, (code, sorted(want - got), sorted(got - want))
        assert want, exit_code  # each is planted at least once


def test_refusals_and_contacts_come_from_the_exit_family(result, dataset, as_of):
    ex = evaluate_exits(dataset.tables, as_of)
    facts = ex.facts.set_index("id_number")
    people = result.tables["people"].set_index("公民身份号码")
    assert (people["近期拒绝服务次数"] == facts.loc[people.index, "refusals_in_window"].to_numpy()).all()
    last = pd.to_datetime(facts.loc[people.index, "last_contact"]).to_numpy()
    assert ((people["最后有效联系日期"].to_numpy() == last) | (pd.isna(last) & people["最后有效联系日期"].isna())).all()


# --- nothing lost -------------------------------------------------------------------------------------------------------


def test_every_ledger_row_is_used_or_listed(result, dataset, params):
    rows = result.meta["ledger_rows"]
    assert rows["读入行数"] == rows["使用行数"] + rows["剔除行数"] and rows["剔除行数"] == len(REJECTED_CASES)
    f = result.tables["findings"]
    rejected = f[f["问题代码"].isin(["L_ID_INVALID", "L_REQUIRED"])]
    assert len(rejected) == rows["剔除行数"]


def test_people_table_one_row_per_recognised_person(result, synth_manifest):
    p = result.tables["people"]
    assert p["公民身份号码"].is_unique and len(p) == synth_manifest["population"]["ledger_active"]
    assert p["所属镇街"].isin(town_names()).all()
    assert set(p["规则分级"]) <= {"A", "B", "C"} and (p["分级依据"] != "").all()


# --- the outputs ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(synth_district, as_of, tmp_path_factory):
    out = tmp_path_factory.mktemp("lr_runs")
    done = {}
    for town in ["全区", *town_names()]:
        setup = kit.validate_parameters(notebook="03", quarter="2026Q4", as_of=as_of, town=town,
                                        data_dir=str(synth_district), out_dir=str(out))
        done[town] = kit.run(setup, L)
    return out, done


def _ids(ws, header: str) -> list[str]:
    head = [c.value for c in ws[2]]
    if header not in head:
        return []
    j = head.index(header) + 1
    return [ws.cell(row=r, column=j).value for r in range(3, ws.max_row + 1)
            if isinstance(ws.cell(row=r, column=1).value, (int, str)) and ws.cell(row=r, column=j).value]


def test_each_town_workbook_holds_only_its_own_people(runs, result):
    out, _done = runs
    findings = result.tables["findings"]
    people = result.tables["people"]
    ledger_town = {}
    for f in (findings, people):
        for pid, town in zip(f["公民身份号码"], f["所属镇街"]):
            if pid:
                ledger_town.setdefault(pid, set()).add(town)
    posts = result.tables["posts"]
    for pid, town in zip(posts["安置人员身份号码"], posts["所属镇街"]):
        if pid:
            ledger_town.setdefault(pid, set()).add(town)
    seen = 0
    for town in town_names():
        path = out / "2026Q4" / town / f"台账问题清单_2026Q4_{town}.xlsx"
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["问题清单", "帮扶超期", "待跟踪", "政策推送", "公益性岗位"]
        for sheet, header in (("问题清单", "公民身份号码"), ("帮扶超期", "公民身份号码"), ("待跟踪", "公民身份号码"),
                              ("政策推送", "公民身份号码"), ("公益性岗位", "安置人员身份号码")):
            ids = _ids(wb[sheet], header)
            for pid in ids:
                assert isinstance(pid, str) and town in ledger_town[pid], (town, sheet, pid)
            seen += len(ids)
        ws = wb["问题清单"]
        assert "所属镇街" not in [c.value for c in ws[2]]  # the town's own list
        mine = findings[(findings["所属镇街"] == town) & findings["kind"].isin(PROBLEM_CODES_KINDS)]
        assert len([1 for r in range(3, ws.max_row + 1) if isinstance(ws.cell(row=r, column=1).value, int)]) == len(mine)
        imp = openpyxl.load_workbook(out / "2026Q4" / town / f"服务跟踪情况-就业困难人员导入_2026Q4_{town}.xlsx").active
        ids = [imp.cell(row=r, column=5).value for r in range(2, imp.max_row + 1)]
        assert sorted(ids) == sorted(people.loc[people["所属镇街"] == town, "公民身份号码"])
    assert seen > 100


def test_district_workbook_and_import_file(runs, result, dataset):
    out, _done = runs
    d = out / "2026Q4" / "区汇总"
    wb = openpyxl.load_workbook(d / "台账检查汇总_2026Q4.xlsx")
    assert wb.sheetnames[:3] == ["汇总", "问题类型", "问题清单"] and "问题数据" in wb.sheetnames
    summary = wb["汇总"]
    total = next(r for r in summary.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    assert total[1] == len(result.tables["people"]) and total[3] == len(result.problems)
    ws = wb["问题清单"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == len(result.problems)
    assert any(r[1] == kit.UNKNOWN_TOWN for r in rows)  # the unreadable ledger rows, district only
    imp = openpyxl.load_workbook(d / "服务跟踪情况-就业困难人员导入_2026Q4_全区.xlsx").active
    mapping = T.load_mapping()
    assert [c.value for c in imp[1]] == [c.header for c in mapping.columns]  # header in row 1, as the mapping says
    assert imp.max_row - 1 == len(result.tables["people"])
    assert all(isinstance(imp.cell(row=r, column=5).value, str) for r in range(2, imp.max_row + 1))
    pngs = sorted(p.name for p in d.glob("*.png"))
    assert pngs == sorted(["台账检查_问题按镇街_2026Q4_区汇总.png", "台账检查_服务按时率_2026Q4_区汇总.png"])
    kept = d / "results" / "03"
    assert (kept / "findings.parquet").exists() and (kept / "people.parquet").exists()
    people = pd.read_parquet(kept / "people.parquet")
    assert people["公民身份号码"].map(type).eq(str).all()


# --- the import file follows the mapping exactly -------------------------------------------------------------------------


def test_import_file_follows_a_changed_mapping(tmp_path, result):
    people = result.tables["people"].head(12)
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "sheet: 导入\ntitle: null\nstatus: U\ncolumns:\n"
        "  - {header: 证件号码, field: id_number}\n"
        "  - {header: 人员姓名, field: name}\n"
        "  - {header: 填报单位, value: 清新区就业服务中心}\n"
        "  - {header: 认定时间, field: recognised_date, format: '%Y%m%d'}\n"
        "  - {header: 就业状况代码, field: employment_status,"
        " values: {未就业: '1', 单位就业: '2', 灵活就业: '3', 自主创业: '4', 公益性岗位: '5'}}\n"
        "  - {header: 序号, field: seq}\n", encoding="utf-8")
    mapping = T.load_mapping(path=path)
    frame = T.import_frame(people, mapping)
    assert list(frame.columns) == ["证件号码", "人员姓名", "填报单位", "认定时间", "就业状况代码", "序号"]
    assert list(frame["证件号码"]) == list(people["公民身份号码"])
    assert set(frame["填报单位"]) == {"清新区就业服务中心"}
    assert list(frame["认定时间"]) == list(pd.to_datetime(people["认定日期"]).dt.strftime("%Y%m%d"))
    codes = {"未就业": "1", "单位就业": "2", "灵活就业": "3", "自主创业": "4", "公益性岗位": "5"}
    assert list(frame["就业状况代码"]) == [codes[s] for s in people["就业状态"]]
    assert list(frame["序号"]) == list(range(1, 13))
    written = tmp_path / "out.xlsx"
    from jykn_lib.io.writer import write_workbook

    write_workbook(written, [T.import_sheet(people, mapping)])
    ws = openpyxl.load_workbook(written)["导入"]
    assert [c.value for c in ws[1]] == list(frame.columns)
    assert [ws.cell(row=r, column=1).value for r in range(2, 14)] == list(people["公民身份号码"])
    assert ws.cell(row=2, column=4).value == frame["认定时间"].iloc[0] and ws.cell(row=2, column=4).data_type == "s"
    # with a title the header moves to row 2
    titled = tmp_path / "titled.yaml"
    titled.write_text(path.read_text(encoding="utf-8").replace("title: null", "title: 服务跟踪情况"), encoding="utf-8")
    write_workbook(written, [T.import_sheet(people, T.load_mapping(path=titled))])
    ws = openpyxl.load_workbook(written)["导入"]
    assert ws.cell(row=1, column=1).value == "服务跟踪情况" and [c.value for c in ws[2]] == list(frame.columns)


def test_import_mapping_refuses_what_it_cannot_follow(tmp_path, result):
    people = result.tables["people"]
    cases = {
        "unknown field": ("  - {header: 甲, field: nmae}\n", "未知字段“nmae”"),
        "unknown key": ("  - {header: 甲, field: name, widht: 3}\n", "未知键widht"),
        "both": ("  - {header: 甲, field: name, value: x}\n", "须写且只写一个"),
        "format on text": ("  - {header: 甲, field: name, format: '%Y'}\n", "format 只用于日期字段"),
    }
    for what, (line, message) in cases.items():
        path = tmp_path / f"{what}.yaml"
        path.write_text(f"sheet: x\ntitle: null\nstatus: U\ncolumns:\n{line}", encoding="utf-8")
        with pytest.raises(ParameterError, match=message):
            T.load_mapping(path=path)
    path = tmp_path / "partial.yaml"
    path.write_text("sheet: x\ntitle: null\nstatus: U\ncolumns:\n"
                    "  - {header: 就业, field: employment_status, values: {未就业: '1'}}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="没有写出这些取值的对应代码"):
        T.import_frame(people, T.load_mapping(path=path))


def test_workbooks_use_the_mapping_in_the_parameter_folder(tmp_path, monkeypatch, synth_district, as_of):
    """The district edits params/templates/province_import.yaml and the run writes the file its way, without code."""
    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    target = root / "templates" / "province_import.yaml"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("  - {header: 姓名, field: name}\n", "").replace(
        "  - {header: 公民身份号码, field: id_number}", "  - {header: 身份证件号码, field: id_number}"), encoding="utf-8")
    monkeypatch.setenv("JYKN_PARAMS", str(root))
    setup = kit.validate_parameters(notebook="03", quarter="2026Q4", as_of=as_of, town="全区",
                                    data_dir=str(synth_district), out_dir=str(tmp_path / "out"))
    run = kit.run(setup, L)
    path = next(p for p in run.outputs if p.name.startswith("服务跟踪情况"))
    head = [c.value for c in openpyxl.load_workbook(path).active[1]]
    assert "姓名" not in head and "身份证件号码" in head and "公民身份号码" not in head
    assert head == [c.header for c in T.load_mapping(path=target).columns]


# --- due dates over the holiday calendar ------------------------------------------------------------------------------


def test_working_day_due_date_over_the_2026_spring_festival():
    """30 working days after 2026-02-05 skip the Spring Festival (02-15…02-23) and count the make-up Saturdays."""
    due = due_dates(["2026-02-05"], 30, "工作日", rolls=True)[0]
    assert due == np.datetime64("2026-03-25")
    weekdays_only = np.busday_offset(np.datetime64("2026-02-05"), 30, roll="forward")
    assert due != weekdays_only  # a Monday-to-Friday count would be wrong
    calendar = due_dates(["2026-01-16"], 30, "自然日", rolls=True)[0]  # 02-15 is a holiday: rolls to 02-24
    assert calendar == np.datetime64("2026-02-24")
    assert due_dates(["2026-01-16"], 30, "自然日", rolls=False)[0] == np.datetime64("2026-02-15")


def test_the_day_kind_parameter_switches_the_plan_to_working_days(tmp_path, monkeypatch):
    from rule_cases import tables_from

    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    kind = root / "rules" / "services" / "art5_day_kind.yaml"
    kind.write_text(kind.read_text(encoding="utf-8").replace("value: 自然日", "value: 工作日"), encoding="utf-8")
    params = load_parameters(root)
    from jykn_lib.idcard import make_id
    from jykn_lib.rules.services import evaluate_services

    pid = make_id("441803", dt.date(1980, 3, 1), 2)
    tables = tables_from({"帮扶记录": [{"公民身份号码": pid, "服务日期": dt.date(2026, 2, 6), "服务类型": "职业指导",
                                     "服务结果": "已联系"}]}, {})
    people = pd.DataFrame({"id_number": [pid], "eval_date": pd.Timestamp("2026-03-10"),
                           "recognised_date": pd.Timestamp("2026-02-05"), "categories": ["01"],
                           "employment_status": ["未就业"], "grade": ["C"]})
    ev = evaluate_services(people, tables, params)
    assert pd.Timestamp(ev.summary["plan_due"].iloc[0]) == pd.Timestamp("2026-03-25")
    assert "工作日" in params.reasons(dt.date(2026, 3, 10))["S_ART5_OVERDUE"].label
    # 2026-03-10 is 30 calendar days after recognition but before the working-day due date (and its horizon)
    assert set(ev.plan["status"]) == {"按时完成", "未到期"}


# --- missing sources and strict files ----------------------------------------------------------------------------------


def test_without_service_records_nothing_is_guessed(synth_district, as_of, params):
    ds = read_folder(synth_district, as_of=as_of, only=[s for s in L.SOURCES if s != "services"])
    ds.requested = list(L.SOURCES)
    res = L.review(ds, as_of, params, missing=["services"])
    codes = set(res.tables["findings"]["问题代码"])
    assert not codes & set(L.SERVICE_CODES)
    assert "L_DUPLICATE" in codes and "L_CATEGORY_UNSUPPORTED" in codes  # the ledger checks still run


def test_policy_file_is_strict(tmp_path):
    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    path = root / "policies.yaml"
    good = path.read_text(encoding="utf-8")
    for old, new, message in (("    rule: employer_hired\n    amount", "    rule: employer_hird\n    amount", "不是"),
                              ("    target: person\n", "    target: persn\n", "target"),
                              ("    since: 2024-02-22\n", "    snice: 2024-02-22\n", "未知键snice"),
                              ("    source: gd_2025_15\n", "    source: nowhere\n", "未登记的来源")):
        path.write_text(good.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(ParameterError, match=message):
            POL.load_policies(load_parameters(root))
    path.write_text(good, encoding="utf-8")
    assert len(POL.load_policies(load_parameters(root))) >= 6


def test_claimed_policies_are_matched_by_name_or_alias_and_unknown_items_are_refused(params):
    items = POL.load_policies(params)
    known, unknown = POL.claimed_policies(pd.Series(["社保补贴；灵活就业社保补贴", None, "购物券、职业培训补贴"]), items)
    assert sorted(map(tuple, known.to_numpy())) == [(0, "flexible_insurance_subsidy"), (0, "social_insurance_subsidy"),
                                                    (2, "training_subsidy")]
    assert list(map(tuple, unknown.to_numpy())) == [(2, "购物券")]


def test_grading_table_is_strict(tmp_path):
    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    path = root / "rules" / "services" / "grading.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_months_unemployed: 24",
                                                            "min_month_unemployed: 24"), encoding="utf-8")
    from rule_cases import tables_from

    from jykn_lib.idcard import make_id
    from jykn_lib.rules.services import evaluate_services

    pid = make_id("441803", dt.date(1980, 3, 1), 2)
    people = pd.DataFrame({"id_number": [pid], "eval_date": pd.Timestamp("2026-11-26"),
                           "recognised_date": pd.Timestamp("2026-11-20"), "categories": ["01"]})
    with pytest.raises(ParameterError, match="min_month_unemployed"):
        evaluate_services(people, tables_from({}, {}), load_parameters(root))


def test_registry_entry_and_required_source():
    entry = next(e for e in load_yaml("notebooks.yaml")["notebooks"] if e["id"] == "03")
    assert entry["requires"] == ["ledger"] == list(load_parameters().contract.required_sources["03"])
    assert (REPO_ROOT / entry["file"]).exists()
