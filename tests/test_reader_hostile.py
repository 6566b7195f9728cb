"""Issue 9, the reader's part: hostile input is used or listed with its reason, refused in Chinese, never a traceback.

Each class has committed files (tests/data/hostile, built by make_fixtures.py, expected.json says what each must
produce) or files made here, and a good neighbour that must still read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from jykn_lib.contract import EXAMPLE_ID, load_contract
from jykn_lib.idcard import make_id
from jykn_lib.io import engines
from jykn_lib.io import problems as P
from jykn_lib.io.cells import Cells, Context, parse
from jykn_lib.io.reader import read_files, read_folder

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 11, 26)
ACTIONS = {P.REJECT: "rejected", P.BLANK: "blank", P.WARN: "warning", P.MERGED: "collapsed",
           P.CONFLICT: "conflict_kept", P.COLUMN_UNUSED: "column_unused"}
SHEET_FILES = [f for f, e in EXPECTED.items() if "sheets" in e and "error" not in e]
REFUSED_FILES = [f for f, e in EXPECTED.items() if "error" in e]
ENGINE_WORDS = re.compile(r"Error|Zip|EOCD|Cfb|OLE|codec|Traceback|xlrd|calamine", re.I)


def read(name: str):
    return read_files([HOSTILE / name], as_of=AS_OF)


def lost_nothing(ds) -> None:
    assert ds.count_errors() == []
    for f in ds.files.itertuples(index=False):
        assert f.读入行数 == f.使用行数 + f.剔除行数, f.文件


def rows_of(ds, name: str) -> pd.DataFrame:
    return ds.problems[ds.problems["文件"] == name]


def by_row(ds, source: str) -> pd.DataFrame:
    return ds.tables[source].set_index("_row")


@pytest.fixture
def folder(tmp_path):
    def make(*names: str) -> Path:
        d = tmp_path / "data"
        d.mkdir(exist_ok=True)
        for n in names:
            shutil.copyfile(HOSTILE / n, d / n)
        return d
    return make


# ------------------------------------------------------------------------------ every committed file, as expected
@pytest.mark.parametrize("name", SHEET_FILES)
def test_workbooks_read_on_several_sheets(name):
    exp = EXPECTED[name]
    ds = read(name)
    lost_nothing(ds)
    assert ds.errors == [] and ds.source_ok(exp["source"])
    got = {r["工作表"]: {k: int(r[k]) for k in c} for r, c in
           ((r, exp["sheets"][r["工作表"]]) for _, r in ds.files.iterrows())}
    assert got == exp["sheets"]
    p = rows_of(ds, name)
    assert sorted([s, int(r), c, ACTIONS[a]] for s, r, c, a in
                  zip(p["工作表"], p["行号"], p["规则代码"], p["处理"])) == exp["problems"]


@pytest.mark.parametrize("name", REFUSED_FILES)
def test_refused_files_say_why_in_chinese(name):
    exp = EXPECTED[name]
    ds = read(name)
    lost_nothing(ds)
    source = exp["source"]
    assert not ds.source_ok(source) and source not in ds.tables and source not in ds.missing
    refused = ds.refused_sources()
    assert list(refused) == [source]
    (message,) = refused[source]
    assert name in message
    for words in exp["message"]:
        assert words in message, (words, message)
    assert not ENGINE_WORDS.search(message), message
    skipped = ds.problems[ds.problems["处理"].isin([P.FILE_SKIPPED, P.SHEET_SKIPPED])]
    assert skipped["规则代码"].tolist() == [exp["error"]]
    assert ds.summary().set_index("来源").loc[load_contract()[source].title, "状态"] == "有错误，未使用"
    for sheet, counts in exp.get("sheets", {}).items():  # the sheets that could be read are still checked
        row = ds.files[ds.files["工作表"] == sheet].iloc[0]
        assert {k: int(row[k]) for k in counts} == counts


# ----------------------------------------------------------------- 1. people lost: formulas, error cells, sheets
def test_formulas_without_a_value_are_rows_with_their_reason():
    ds = read("户籍人口_公式未计算.xlsx")
    p = rows_of(ds, "户籍人口_公式未计算.xlsx").set_index("行号")
    whole = p.loc[[4]]
    assert whole["列"].tolist() == ["公民身份号码", "姓名", "户号", "城乡属性", "所属镇街"]
    assert whole["原值"].tolist()[0] == "=VLOOKUP($A4,原表!$A:$G,1,0)"
    assert all("公式没有计算结果" in m and "请在 Excel/WPS 中打开后保存" in m for m in p["问题说明"])
    assert (p.loc[[10], "规则代码"] == "FORMULA_NO_VALUE").all()  # a row past the last row calamine returns
    assert p.loc[9, "列"] == "辅助列" and p.loc[9, "处理"] == P.REJECT  # only an unused formula: still a row
    assert not (p.index == 9).sum() > 1  # …listed once, not also as 公民身份号码为空
    hukou = by_row(ds, "hukou")
    assert sorted(hukou.index) == [2, 6, 7, 8]
    assert pd.isna(hukou.loc[2, "village"])  # an optional cell: blanked, listed, row kept
    assert hukou.loc[7, "name"] == "丁四"  # a formula saved with its value is just a value
    assert pd.isna(hukou.loc[8, "village"]) and 8 not in p.index  # a formula giving "" is blank, not a problem
    assert 6 not in p.index  # a formula in a column the contract does not use, on a used row
    assert 5 not in hukou.index  # 户籍状态 a formula: its default 正常 must not stand in


def test_error_cells_keep_their_text_and_strict_columns_reject():
    ds = read("失业登记_错误值.xlsx")
    p = rows_of(ds, "失业登记_错误值.xlsx").set_index("行号")
    assert p.loc[5, "原值"] == "#N/A" and p.loc[5, "列"] == "姓名"
    assert p.loc[6, ["原值", "处理"]].tolist() == ["#REF!", P.BLANK]
    assert p.loc[7, ["列", "原值", "处理"]].tolist() == ["登记状态", "#VALUE!", P.REJECT]
    assert p.loc[9, "原值"] == "#NUM!"  # a formula that returned an error
    assert p.loc[10, "列"] == "身份证号码"
    assert all("Excel 错误值" in m for m in p["问题说明"])
    t = by_row(ds, "unemployment")
    assert sorted(t.index) == [4, 6, 11] and pd.isna(t.loc[6, "phone"])
    assert t.loc[11, "reg_status"] == "有效"  # a truly blank cell still takes the documented default
    assert ds.files.iloc[0]["工作表"] == "失业人员名单"


def test_error_cells_in_xls_and_csv():
    xls = read("低保人员_错误值.xls")
    p = rows_of(xls, "低保人员_错误值.xls").set_index("行号")
    assert p["原值"].to_dict() == {3: "#N/A", 4: "#REF!"}
    assert p.loc[4, "列"] == "结束日期"  # its blank would mean 仍在享受: rejected, not blanked
    assert sorted(by_row(xls, "dibao").index) == [2, 5]
    csv = read("社保缴费_错误值.csv")
    t = by_row(csv, "contributions")
    assert pd.isna(t.loc[3, "employer"]) and 4 not in t.index


def test_error_text_is_recognised_only_whole():
    cells = Cells(np.array(["#N/A", " #REF! ", "#N/A 待查", "张三", None, 5.0], dtype=object))
    assert cells.error_literals().tolist() == [0, 1]
    col = load_contract()["contributions"].column("employer")
    cells.blank_out(cells.error_literals())
    parsed = parse(col, cells, Context.load(AS_OF))
    assert parsed.blank.tolist() == [True, True, False, False, True, False]


def test_the_xml_is_not_searched_when_nothing_can_hide(tmp_path, monkeypatch):
    """A full sheet whose XML says it ends where calamine ended: no pass over the XML (the common, fast path)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["公民身份号码", "姓名"])
    for i in range(5):
        ws.append([make_id("441803", dt.date(1980, 1, 1 + i), 301), "某"])
    path = tmp_path / "原建档立卡.xlsx"
    wb.save(path)

    def no(*args):
        raise AssertionError("the sheet XML was searched")

    monkeypatch.setattr(engines, "_xlsx_hidden", no)
    ds = read_files([path])
    assert len(ds.tables["poverty"]) == 5


def test_a_sheet_not_read_refuses_the_source_and_says_how_many_rows(folder):
    ds = read_folder(folder("退役军人_工作表缺列.xlsx", "户籍人口_标题行.xlsx"), as_of=AS_OF)
    lost_nothing(ds)
    (message,) = ds.refused_sources()["veteran"]
    assert "工作表“补录”" in message and "3行" in message and "已读取工作表“退役军人”" in message
    row = ds.files[ds.files["工作表"] == "补录"].iloc[0]
    assert row["状态"].startswith("未读取") and row["读入行数"] == 0
    assert ds.source_ok("hukou")  # the neighbour


def test_hidden_sheet_is_read_and_said(folder):
    ds = read("社保缴费_分两个工作表.xlsx")
    status = dict(zip(ds.files["工作表"], ds.files["状态"]))
    assert status["备份"] == "已读取（隐藏工作表）" and status["2026年1-6月"] == "已读取"
    assert ("社保缴费_分两个工作表.xlsx（工作表“汇总”）", "没有“社保缴费”的完整表头，未读取") in ds.ignored
    merged = ds.problems[ds.problems["规则代码"] == "DUPLICATE_IDENTICAL"]
    assert "工作表“2026年1-6月”第3行" in merged["问题说明"].iloc[0]
    assert any("3个工作表" in n for n in ds.notes)


# ---------------------------------------------------------------------------- 2. vocabularies refused, not defaulted
def test_registration_status_words():
    ds = read("失业登记_状态写法.csv")
    t = by_row(ds, "unemployment")
    assert t["reg_status"].to_dict() == {2: "已注销", 3: "已注销", 4: "已注销", 5: "有效", 6: "有效", 10: "有效"}
    assert pd.isna(t.loc[6, "willing"])  # a blank bool stays blank (the rules decide what blank means)
    p = rows_of(ds, "失业登记_状态写法.csv").set_index("行号")
    assert "“暂停”不是允许的取值（有效、已注销）" in p.loc[7, "问题说明"]
    rejected = ds.rejected["unemployment"]
    assert sorted(rejected["_row"].astype(int)) == [7, 8, 9]
    assert rejected["id_number"].notna().all()  # who lost a row: for a later step to say "cannot be decided"


def test_hukou_status_and_area_words():
    ds = read("户籍人口_状态写法.xlsx")
    t = by_row(ds, "hukou")
    assert t["hukou_status"].to_dict() == {2: "死亡", 3: "死亡", 5: "迁出省外", 6: "迁出省内", 8: "正常", 10: "正常"}
    assert t["area_type"].to_dict() == {2: "城镇", 3: "城镇", 5: "农村", 6: "农村", 8: "城镇", 10: "城镇"}
    p = rows_of(ds, "户籍人口_状态写法.xlsx").set_index("行号")
    assert "迁出省内、迁出省外" in p.loc[4, "问题说明"] and "请写明" in p.loc[4, "问题说明"]
    assert "城镇、农村" in p.loc[7, "问题说明"]
    assert p.loc[9, "规则代码"] == "ENUM_INVALID"


@pytest.mark.parametrize("source,field,word,value", [
    ("unemployment", "reg_status", "失效", "已注销"), ("unemployment", "reg_status", "已失效", "已注销"),
    ("unemployment", "reg_status", "注销登记", "已注销"), ("hukou", "hukou_status", "注销（死亡）", "死亡"),
    ("hukou", "hukou_status", "死亡注销", "死亡"), ("hukou", "area_type", "城镇居民", "城镇"),
    ("hukou", "area_type", "非农业户口", "城镇"), ("hukou", "area_type", "农业户口", "农村"),
    ("hukou", "area_type", "农村居民", "农村"), ("dibao", "assistance_type", "城市居民最低生活保障", "城市低保"),
    ("disability", "cert_status", "已注销", "注销"), ("market", "entity_status", "吊销（未注销）", "吊销"),
])
def test_synonyms(source, field, word, value):
    col = load_contract()[source].column(field)
    parsed = parse(col, Cells(np.array([word], dtype=object)), Context.load(AS_OF))
    assert parsed.error[0] is None and parsed.values.iloc[0] == value


@pytest.mark.parametrize("source,field,word", [("hukou", "hukou_status", "迁出"), ("hukou", "hukou_status", "注销"),
                                               ("hukou", "area_type", "居民户口"), ("dibao", "assistance_type", "低保")])
def test_ambiguous_words_are_refused_with_a_question(source, field, word):
    col = load_contract()[source].column(field)
    parsed = parse(col, Cells(np.array([word], dtype=object)), Context.load(AS_OF))
    assert parsed.error[0] == "VALUE_AMBIGUOUS" and pd.isna(parsed.values.iloc[0])
    assert "请写明是哪一个" in parsed.message[0]


def test_a_word_means_one_value_per_column():
    """No synonym maps to two values of one column, and no ambiguous word is also a synonym there: a slip in the
    YAML files would otherwise make a word silently unknown or silently decided."""
    from jykn_lib.io.cells import _nkey

    contract = load_contract()
    for src in contract.sources.values():
        for col in src.columns:
            values = [str(v) for v in col.values] or ([col.true, col.false] if col.type == "bool" else [])
            seen: dict[str, str] = {}
            for v in values:
                for word in contract.value_synonyms.get(v, ()):
                    k = _nkey(word)
                    if k in {_nkey(x) for x in values}:
                        continue
                    assert seen.setdefault(k, v) == v, (src.title, col.header, word)
            for word, choices in contract.value_ambiguous.items():
                if len(set(choices) & set(values)) >= 2:
                    assert _nkey(word) not in seen, (src.title, col.header, word)
                assert set(choices) <= {str(v) for s in contract.sources.values() for c in s.columns
                                        for v in c.values}, word


def test_vocabulary_columns_are_strict():
    contract = load_contract()
    for src in contract.sources.values():
        for col in src.columns:
            if col.type in ("enum", "bool", "int_enum", "town", "exit_reason") or col.default is not None:
                assert col.strict, (src.title, col.header)
    assert contract["dibao"].column("end_date").strict  # blank = 仍在享受
    assert not contract["hukou"].column("change_date").strict and not contract["unemployment"].column("phone").strict


# ----------------------------------------------------------------------------- 3. CSV rows with a wrong field count
def test_unquoted_comma_rows_are_rejected_whole():
    ds = read("社保缴费_单位名称含逗号.csv")
    p = rows_of(ds, "社保缴费_单位名称含逗号.csv").set_index("行号")
    assert "该行有6个字段，表头有5个" in p.loc[3, "问题说明"] and "该行有4个字段，表头有5个" in p.loc[4, "问题说明"]
    assert p.loc[3, "列"] == "（整行）" and p.loc[3, "原值"].endswith("清远市某某有限公司,清新分公司")
    t = by_row(ds, "contributions")
    assert t.loc[5, "employer"] == "清远市某某有限公司,清新分公司"  # quoted: fine
    assert sorted(t.index) == [2, 5, 7]
    assert len(p) == 2  # the shifted values are not parsed (no PERIOD_INVALID or ENUM_INVALID from the shift)


# ----------------------------------------------------------------------------------- 4. crashes → Chinese messages
def test_bom_then_gbk_refuses_the_file_and_the_neighbour_reads(folder):
    ds = read_folder(folder("失业登记_BOM加GBK.csv", "户籍人口_标题行.xlsx"), as_of=AS_OF)
    assert not ds.source_ok("unemployment") and ds.source_ok("hukou")
    assert ds.problems.set_index("文件").loc["失业登记_BOM加GBK.csv", "规则代码"] == "FILE_ENCODING"


def test_empty_duplicate_id_column_loses_to_the_filled_one():
    ds = read("户籍人口_重复身份证列.xlsx")
    assert ds.tables["hukou"]["id_number"].notna().all() and len(ds.tables["hukou"]) == 2
    assert "该列为空" in ds.files.iloc[0]["未使用的列"]
    p = ds.problems.iloc[0]
    assert (p["规则代码"], p["处理"], p["行号"]) == ("COLUMN_DUPLICATE", P.COLUMN_UNUSED, 1)
    assert "使用第6列" in p["问题说明"]


def test_identical_duplicate_columns_are_fine(tmp_path):
    a = make_id("441803", dt.date(1980, 1, 1), 401)
    path = tmp_path / "原建档立卡.csv"
    path.write_text(f"公民身份号码,姓名,公民身份号码\n{a},张三,{a}\n", encoding="utf-8")
    ds = read_files([path])
    assert ds.source_ok("poverty") and ds.tables["poverty"]["id_number"].tolist() == [a]


def test_header_only_csv_reads_as_zero_rows():
    ds = read("特殊人员_仅表头.csv")
    assert ds.source_ok("special") and len(ds.tables["special"]) == 0 and ds.files.iloc[0]["编码"] == "GBK"
    assert ds.tables["special"]["date"].dtype == "datetime64[ns]"


def test_dangling_link_is_the_files_problem(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copyfile(HOSTILE / "户籍人口_标题行.xlsx", d / "户籍人口_标题行.xlsx")
    os.symlink(tmp_path / "网盘" / "台账.xlsx", d / "就业困难人员台账.xlsx")
    ds = read_folder(d, as_of=AS_OF)
    (message,) = ds.refused_sources()["ledger"]
    assert "就业困难人员台账.xlsx" in message and "不存在" in message and "链接" in message
    assert ds.source_ok("hukou")


def test_unreadable_for_permissions(tmp_path, monkeypatch):
    """Tests may run as root, for whom chmod blocks nothing: the operating system's refusal is imitated."""
    path = tmp_path / "就业困难人员台账.xlsx"
    shutil.copyfile(HOSTILE / "就业困难人员台账.xlsx", path)
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    ds = read_files([path])
    assert ds.problems["规则代码"].tolist() == ["FILE_NO_PERMISSION"]
    assert "没有读取权限" in ds.errors[0] and "Permission" not in ds.errors[0]


def test_engine_failure_while_reading_rows_is_a_file_error(monkeypatch, tmp_path):
    from python_calamine import XmlError

    shutil.copyfile(HOSTILE / "户籍人口_标题行.xlsx", tmp_path / "户籍人口.xlsx")
    real = engines._calamine_sheets

    def broken_rows(path, kind):
        sheets = real(path, kind)
        for s in sheets:
            s.rows = lambda: (_ for _ in ()).throw(XmlError("unexpected end of stream"))
        return sheets

    monkeypatch.setattr(engines, "_calamine_sheets", broken_rows)
    ds = read_files([tmp_path / "户籍人口.xlsx"])
    assert ds.problems["规则代码"].tolist() == ["FILE_UNREADABLE"]
    assert "已损坏" in ds.errors[0] and not ENGINE_WORDS.search(ds.errors[0])


@pytest.mark.parametrize("exc,words", [
    ("zip", "不是完整的 Excel"), ("xml", "已损坏"), ("xlrd", ".xls"), ("other", "无法读取"),
    ("oserror", "磁盘或网络"),
])
def test_engine_messages_are_translated(exc, words):
    import zipfile

    import python_calamine
    import xlrd

    raised = {"zip": zipfile.BadZipFile("File is not a zip file"), "xml": python_calamine.XmlError("bad"),
              "xlrd": xlrd.XLRDError("Unsupported format"), "other": RuntimeError("boom"),
              "oserror": OSError(5, "Input/output error")}[exc]
    err = engines.engine_error("某文件.xls" if exc == "xlrd" else "某文件.xlsx", ".xls" if exc == "xlrd" else ".xlsx",
                               raised)
    assert words in err.message and "某文件" in err.message and not ENGINE_WORDS.search(err.message)
    assert err.detail  # the engine's words are kept for the log


# --------------------------------------------------------------------------------- 5. a 0-byte optional source
def test_zero_byte_source_is_refused_not_missing(folder, tmp_path):
    d = folder("低保人员_0字节.xlsx", "户籍人口_标题行.xlsx")
    (d / "残疾人.csv").write_bytes(b"")
    ds = read_folder(d, as_of=AS_OF)
    assert "dibao" not in ds.missing and "disability" not in ds.missing
    assert set(ds.refused_sources()) == {"dibao", "disability"}
    assert all("空文件" in m[0] for m in ds.refused_sources().values())
    assert ds.source_ok("hukou")


# ----------------------------------------------------------------------------------- 6. the templates' example row
def test_example_row_of_a_filled_template_is_refused():
    ds = read("失业登记_按模板填写.xlsx")
    p = ds.problems.iloc[0]
    assert (p["规则代码"], p["原值"], p["行号"]) == ("TEMPLATE_EXAMPLE", EXAMPLE_ID, 3)
    assert "模板示例行" in p["问题说明"]
    assert EXAMPLE_ID not in set(ds.tables["unemployment"]["id_number"])
    assert ds.tables["unemployment"]["name"].tolist() == ["癸十"]


def test_template_files_are_ignored_by_name(tmp_path):
    from jykn_lib.io.templates import write_templates

    d = tmp_path / "data"
    write_templates(d)
    shutil.copyfile(HOSTILE / "户籍人口_标题行.xlsx", d / "户籍人口_标题行.xlsx")
    ds = read_folder(d, as_of=AS_OF)
    assert set(ds.tables) == {"hukou"} and ds.errors == []  # the ledger template makes no second ledger
    reasons = {r for f, r in ds.ignored if f.startswith("模板_")}
    assert len(reasons) == 1 and "填报模板" in reasons.pop()


# ------------------------------------------------------------------------------------ 7. what clerks read
def test_for_people_replaces_rule_codes_in_place():
    ds = read("户籍人口_标题行.xlsx")
    people = P.for_people(ds.problems)
    assert list(people.columns) == ["来源", "文件", "工作表", "行号", "列", "原值", "问题类型", "问题说明", "处理"]
    assert set(people["问题类型"]) <= set(P.RULES.values())
    assert not people["问题类型"].str.contains(r"[A-Z]{2,}_", regex=True).any()
    assert "规则代码" in ds.problems.columns  # the machines keep the code
    assert len(P.for_people(P.empty_frame())) == 0


def test_every_rule_code_reads_in_chinese():
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in P.RULES.values())
    assert set(P.FILE_RULES) <= set(P.RULES)


def test_the_ledgers_change_log_sheet_is_not_ledger_rows(tmp_path):
    """The suite writes a 变更记录 sheet beside its ledger, with the ledger's columns: never read as rows."""
    header = ["公民身份号码", "姓名", "所属镇街", "认定类别", "认定日期", "状态"]
    a = make_id("441803", dt.date(1975, 3, 1), 501)
    wb = openpyxl.Workbook()
    wb.active.title = "台账"
    wb.active.append(header)
    wb.active.append([a, "甲", "太和镇", "01", dt.date(2025, 1, 1), "有效"])
    log = wb.create_sheet("变更记录")
    log.append(header + ["变更"])
    log.append([a, "甲", "太和镇", "01", dt.date(2024, 1, 1), "已退出", "旧记录"])
    path = tmp_path / "就业困难人员台账.xlsx"
    wb.save(path)
    ds = read_files([path])
    assert ds.files["工作表"].tolist() == ["台账"] and ds.errors == []
    assert ds.tables["ledger"]["status"].tolist() == ["有效"]
    assert any("变更记录" in f and "历史" in r for f, r in ds.ignored)


def test_a_sheet_sharing_only_a_few_columns_is_another_table(tmp_path):
    """A 家庭成员 sheet with 公民身份号码 and 姓名 only (2 of 户籍人口's 5 required columns) is not 户籍人口."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户籍"
    ws.append(["公民身份号码", "姓名", "户号", "城乡属性", "所属镇街"])
    ws.append([make_id("441803", dt.date(1975, 3, 1), 601), "甲", "H1", "城镇", "太和镇"])
    other = wb.create_sheet("家庭成员")
    other.append(["公民身份号码", "姓名", "与户主关系"])
    other.append([make_id("441803", dt.date(1976, 3, 1), 602), "乙", "配偶"])
    path = tmp_path / "户籍人口.xlsx"
    wb.save(path)
    ds = read_files([path])
    assert ds.errors == [] and len(ds.tables["hukou"]) == 1
    assert ("户籍人口.xlsx（工作表“家庭成员”）", "没有“户籍人口”的完整表头，未读取") in ds.ignored


def test_utf16_text_named_xls_is_told_to_be_renamed(tmp_path):
    path = tmp_path / "低保人员.xls"
    path.write_bytes("公民身份号码\t姓名\n".encode("utf-16"))
    ds = read_files([path])
    assert ds.problems["规则代码"].tolist() == ["FILE_WRONG_TYPE"] and "低保人员.csv" in ds.errors[0]


def test_xls_precheck_knows_both_error_records():
    """BOOLERR with its error flag (what xlwt wrote above), and a FORMULA record whose cached result is an error
    (Excel's layout: type 2, the error code, 0xFFFF at the end of the result)."""
    import struct

    boolerr = struct.pack("<HHHHHBB", 0x0205, 8, 3, 1, 15, 0x2A, 1)
    formula = struct.pack("<HHHHH", 0x0006, 26, 3, 1, 15) + bytes([2, 0, 0x07, 0, 0, 0, 0xFF, 0xFF]) + bytes(12)
    number = struct.pack("<HHHHH", 0x0006, 26, 3, 1, 15) + struct.pack("<d", 42.0) + bytes(12)
    assert engines._XLS_ERROR[0].search(boolerr) and engines._XLS_ERROR[1].search(formula)
    assert not any(p.search(number) for p in engines._XLS_ERROR)
    assert not engines._XLS_ERROR[0].search(struct.pack("<HHHHHBB", 0x0205, 8, 3, 1, 15, 1, 0))  # TRUE, not error


def test_xlsx_saved_with_the_xls_extension_reads_the_same(tmp_path):
    shutil.copyfile(HOSTILE / "公益性岗位.xlsx", tmp_path / "公益性岗位.xls")
    ds = read_files([tmp_path / "公益性岗位.xls"])
    expected = read("公益性岗位.xlsx")
    assert ds.errors == [] and ds.files["读入行数"].tolist() == expected.files["读入行数"].tolist()
    assert ds.tables["posts"].drop(columns="_file").equals(expected.tables["posts"].drop(columns="_file"))
