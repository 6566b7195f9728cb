"""The reader on hand-made hostile files (tests/data/hostile, built by make_fixtures.py; expected.json says what each
file must produce). Every test checks that nothing is lost: rows read = used + rejected for every file."""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from jykn_lib.idcard import is_valid
from jykn_lib.io import problems as P
from jykn_lib.io.reader import MissingSourceError, decode_text, read_files, read_folder

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 11, 26)
ACTIONS = {P.REJECT: "rejected", P.BLANK: "blank", P.WARN: "warning", P.MERGED: "collapsed",
           P.CONFLICT: "conflict_kept", P.FILE_SKIPPED: "file_skipped", P.SHEET_SKIPPED: "sheet_skipped",
           P.COLUMN_UNUSED: "column_unused"}
ROW_FILES = [f for f, e in EXPECTED.items() if "counts" in e]
SHEET_FILES = [f for f, e in EXPECTED.items() if "sheets" in e and "error" not in e]
REFUSED_FILES = [f for f, e in EXPECTED.items() if "error" in e]


@functools.lru_cache(maxsize=None)
def read_one(name: str, as_of=AS_OF):
    """One committed file read once per session (the tests only look at the result)."""
    return read_files([HOSTILE / name], as_of=as_of)


def assert_nothing_lost(ds) -> None:
    assert ds.count_errors() == []
    for f in ds.files.itertuples(index=False):
        assert f.读入行数 == f.使用行数 + f.剔除行数, f.文件
    assert set(ds.problems["规则代码"]) <= set(P.RULES)
    assert set(ds.problems["处理"]) <= set(ACTIONS)
    rows = ds.problems.dropna(subset=["行号"])
    assert (rows["行号"] >= 1).all()


def folder(tmp_path: Path, *names: str, rename: dict | None = None) -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(HOSTILE / name, d / ((rename or {}).get(name, name)))
    return d


@pytest.fixture
def folder_of(tmp_path):
    return lambda *names, **kw: folder(tmp_path, *names, **kw)


def problem_rows(ds, file: str) -> list:
    p = ds.problems[ds.problems["文件"] == file]
    return sorted([int(r), c, ACTIONS[a]] for r, c, a in zip(p["行号"], p["规则代码"], p["处理"]))


# ------------------------------------------------------------------------------------------ every file on its own
@pytest.mark.parametrize("name", ROW_FILES)
def test_each_hostile_file_reports_every_bad_row(name):
    exp = EXPECTED[name]
    ds = read_one(name)
    assert_nothing_lost(ds)
    assert ds.errors == []
    row = ds.files.iloc[0]
    assert row["来源"] == ds.files["来源"].iloc[0] and len(ds.files) == 1
    assert {k: int(row[k]) for k in exp["counts"]} == exp["counts"]
    assert problem_rows(ds, name) == exp["problems"]
    assert ds.source_ok(exp["source"])
    table = ds.tables[exp["source"]]
    all_rows = ds.all_rows[exp["source"]]
    assert len(all_rows) == exp["counts"]["使用行数"] - exp["counts"]["合并重复行数"]
    assert len(table) == int(all_rows["_chosen"].sum())
    assert int((~all_rows["_chosen"]).sum()) == exp["counts"]["冲突行数"] // 2  # the fixtures' conflicts are pairs
    # rejected rows are not used, kept rows carry their Excel row number
    rejected = {int(r) for r, a in zip(ds.problems["行号"], ds.problems["处理"]) if a == P.REJECT}
    assert rejected.isdisjoint(set(all_rows["_row"].astype(int)))


def test_title_rows_merged_headers_synonyms_and_extra_sheet():
    name = "户籍人口_标题行.xlsx"
    ds = read_one(name)
    f = ds.files.iloc[0]
    assert f["工作表"] == "户籍数据（2026年10月）"  # the renamed data sheet, not the 说明 sheet before it
    assert f["表头行"] == 4  # two title rows, a group header row, then the sub-header row
    assert f["未使用的列"] == "登记人、备注"
    hukou = ds.tables["hukou"]
    assert list(hukou.columns[:9]) == ["id_number", "name", "household_id", "area_type", "town", "village",
                                       "relation", "hukou_status", "change_date"]
    assert hukou["_row"].min() == 5  # data begins under the header merged down over rows 3–4
    by_row = hukou.set_index("_row")
    assert by_row.loc[8, "area_type"] == "农村" and by_row.loc[8, "town"] == "山塘镇"  # 农业 / 441803105
    assert by_row.loc[21, "hukou_status"] == "迁出省外" and by_row.loc[22, "hukou_status"] == "正常"
    # the header as written in the file is what 问题数据 shows
    assert set(ds.problems["列"]) >= {"身 份 证 号", "户口性质", "所属乡镇", "户编号"}


def test_text_dates_in_each_style():
    ds = read_one("户籍人口_标题行.xlsx")
    dates = ds.all_rows["hukou"].set_index("_row")["change_date"]
    for row in (5, 6, 8, 13, 14, 21, 22):  # Excel date, 2024/3/5, 2024.3.5, 年月日, 20240305, 00:00:00, 2024-3-5
        assert dates.loc[row] == pd.Timestamp("2024-03-05"), row
    assert pd.isna(dates.loc[11]) and pd.isna(dates.loc[19])  # 2024-13-01 and 1850-01-01 blanked, rows kept
    dibao = read_one("低保人员.xls").tables["dibao"].set_index("_row")
    assert dibao.loc[8, "start_date"] == pd.Timestamp("2023-03-15")  # serial 45000 without a date format


def test_numeric_id_that_passes_the_checksum_is_rejected_from_the_cell_type():
    from python_calamine import load_workbook

    sheet = load_workbook(str(HOSTILE / "户籍人口_标题行.xlsx")).get_sheet_by_name("户籍数据（2026年10月）")
    cell = sheet.to_python(skip_empty_area=False)[8][0]  # Excel row 9, column A
    assert isinstance(cell, float)
    digits = format(Decimal(format(cell, ".15g")), "f")  # what Excel shows: 15 significant digits
    assert is_valid(digits)  # the trap: the mangled digits still pass the check digit
    ds = read_one("户籍人口_标题行.xlsx")
    hit = ds.problems[(ds.problems["行号"] == 9)]
    assert hit["规则代码"].tolist() == ["ID_NUMERIC"] and hit["处理"].tolist() == [P.REJECT]
    assert hit["原值"].iloc[0] == digits
    assert digits not in set(ds.all_rows["hukou"]["id_number"])


def test_libreoffice_fixture_was_saved_by_libreoffice():
    import zipfile

    with zipfile.ZipFile(HOSTILE / "残疾人_LibreOffice.xlsx") as z:
        assert "LibreOffice" in z.read("docProps/app.xml").decode("utf-8")


def test_numeric_id_in_xls_and_libreoffice_files():
    for name, row in (("低保人员.xls", 5), ("残疾人_LibreOffice.xlsx", 7)):
        ds = read_one(name)
        hit = ds.problems[ds.problems["行号"] == row]
        assert hit["规则代码"].tolist() == ["ID_NUMERIC"], name
        assert is_valid(hit["原值"].iloc[0]), name  # passes the checksum, still refused


def test_csv_encodings_are_detected_and_reported(folder_of):
    ds = read_folder(folder_of("失业登记_GBK导出.csv", "失业登记_BOM.csv", "认定申请_GB18030.csv", "社保缴费.csv"))
    enc = dict(zip(ds.files["文件"], ds.files["编码"]))
    assert enc == {"失业登记_GBK导出.csv": "GBK", "失业登记_BOM.csv": "UTF-8（带BOM）", "认定申请_GB18030.csv": "GB18030",
                   "社保缴费.csv": "UTF-8"}
    names = set(ds.all_rows["unemployment"]["name"])
    assert {"己喆", "庚七", "辛八"} <= names  # 喆 exists in GBK only; the BOM did not end up in the first header
    assert ds.tables["applications"]["name"].iloc[0] == "李\U00020000"  # a GB18030-only character
    assert_nothing_lost(ds)


def test_decode_text_order():
    assert decode_text("甲".encode("utf-8")) == ("甲", "UTF-8")
    assert decode_text(b"\xef\xbb\xbf" + "甲".encode("utf-8")) == ("甲", "UTF-8（带BOM）")
    assert decode_text("喆".encode("gbk")) == ("喆", "GBK")
    assert decode_text("\U00020000".encode("gb18030")) == ("\U00020000", "GB18030")


def test_two_files_of_one_source_are_read_together(folder_of):
    ds = read_folder(folder_of("失业登记_GBK导出.csv", "失业登记_BOM.csv"), as_of=AS_OF)
    assert_nothing_lost(ds)
    assert ds.files["来源"].tolist() == ["失业登记", "失业登记"]
    assert any("2个文件合并读取" in n for n in ds.notes)
    # the GBK file's first row equals the BOM file's second line once parsed: collapsed across files
    merged = ds.problems[ds.problems["规则代码"] == "DUPLICATE_IDENTICAL"]
    assert merged[["文件", "行号"]].values.tolist() == [["失业登记_GBK导出.csv", 3]]
    assert "失业登记_BOM.csv" in merged["问题说明"].iloc[0]
    assert len(ds.tables["unemployment"]) == 3 + 3 - 1


def test_blank_rows_in_the_middle_are_counted_apart():
    ds = read_one("户籍人口_标题行.xlsx")
    f = ds.files.iloc[0]
    assert f["空行数"] == 2  # rows 7 and 12; the formatted empty row 30 below the data is not a row
    assert f["读入行数"] == 16
    assert not set(ds.problems["行号"].dropna().astype(int)) & {7, 12, 30}


def test_identical_and_conflicting_duplicates_under_a_unique_key():
    ds = read_one("户籍人口_标题行.xlsx")
    all_rows = ds.all_rows["hukou"]
    table = ds.tables["hukou"]
    assert table["id_number"].is_unique
    assert 15 not in set(all_rows["_row"])  # identical copy of row 5 collapsed
    pair = all_rows[all_rows["_row"].isin([6, 16])]
    assert pair["id_number"].nunique() == 1 and pair["_chosen"].tolist() == [False, True]  # latest 变动日期 wins
    assert table.set_index("_row").loc[16, "household_id"] == "H012"
    conflict = ds.problems[ds.problems["规则代码"] == "DUPLICATE_CONFLICT"]
    assert conflict["处理"].unique().tolist() == [P.CONFLICT]
    assert all("户号、变动日期" in m and "取变动日期最新的一条" in m for m in conflict["问题说明"])
    assert any("取变动日期最新的一条" in n for n in ds.notes)  # the rule is written in the report


def test_resolve_by_value_then_date():
    ds = read_one("残疾人_LibreOffice.xlsx")
    chosen = ds.tables["disability"].set_index("_row")
    assert 4 in chosen.index and 3 not in chosen.index  # 有效 beats a later 发证日期 with 注销
    assert chosen.loc[8 if 8 in chosen.index else 4, "cert_status"] == "有效"


def test_key_by_field_for_posts():
    ds = read_one("公益性岗位.xlsx")
    posts = ds.tables["posts"].set_index("post_id")
    assert posts.loc["P001", "_row"] == 3  # the later 上岗日期
    assert pd.isna(posts.loc["P002", "holder_id"])  # optional identity number with a bad check digit: blanked


def test_header_only_file_is_valid_and_empty():
    ds = read_one("原建档立卡_仅表头.xlsx")
    assert ds.source_ok("poverty") and ds.errors == []
    t = ds.tables["poverty"]
    assert len(t) == 0 and list(t.columns) == ["id_number", "name", "_file", "_sheet", "_row", "_pid"]
    assert ds.files.iloc[0]["表头行"] == 2
    assert_nothing_lost(ds)


def test_missing_required_column_stops_the_source_with_a_chinese_message():
    ds = read_one("失地农民_缺列.xlsx")
    assert not ds.source_ok("landless") and "landless" not in ds.tables
    (msg,) = ds.errors
    assert "失地农民_缺列.xlsx" in msg and "是否全部失地" in msg
    assert "找到的表头" in msg and "公民身份号码、姓名、征地日期、备注" in msg
    p = ds.problems
    assert p["规则代码"].tolist() == ["COLUMN_MISSING"] and p["处理"].tolist() == [P.FILE_SKIPPED]
    with pytest.raises(MissingSourceError) as exc:
        ds.require(["landless"])
    assert "失地农民" in str(exc.value) and exc.value.broken == ["landless"]
    assert_nothing_lost(ds)


def test_two_ledger_files_are_refused(folder_of):
    d = folder_of("就业困难人员台账.xlsx", "户籍人口_标题行.xlsx")
    shutil.copyfile(d / "就业困难人员台账.xlsx", d / "就业困难人员台账_副本.xlsx")
    ds = read_folder(d)
    assert not ds.source_ok("ledger") and "ledger" not in ds.tables
    (msg,) = ds.errors
    assert "就业困难人员台账.xlsx" in msg and "就业困难人员台账_副本.xlsx" in msg and "哪一个" in msg
    assert (ds.problems["规则代码"] == "LEDGER_MULTIPLE").sum() == 2
    assert ds.source_ok("hukou")  # the other sources are still read
    assert_nothing_lost(ds)


def test_ignored_files_subfolders_lock_and_hidden_files(folder_of):
    d = folder_of("社保缴费.csv")
    (d / "说明.txt").write_text("随便写的", encoding="utf-8")
    (d / "旧数据").mkdir()
    shutil.copyfile(HOSTILE / "社保缴费.csv", d / "旧数据" / "社保缴费.csv")
    (d / "~$社保缴费.xlsx").write_bytes(b"lock")
    (d / ".社保缴费.csv").write_bytes(b"hidden")
    (d / "社保缴费.pdf").write_bytes(b"%PDF")
    ds = read_folder(d)
    ignored = dict(ds.ignored)
    assert set(ignored) == {"说明.txt", "旧数据/", "~$社保缴费.xlsx", ".社保缴费.csv", "社保缴费.pdf"}
    assert "子文件夹" in ignored["旧数据/"] and "临时" in ignored["~$社保缴费.xlsx"]
    assert ds.files["文件"].tolist() == ["社保缴费.csv"]
    assert "dibao" in ds.missing and "contributions" not in ds.missing
    assert ds.summary().set_index("来源").loc["低保人员", "状态"] == "未提供"
    assert_nothing_lost(ds)


def test_only_and_require(folder_of):
    d = folder_of("社保缴费.csv", "公益性岗位.xlsx")
    ds = read_folder(d, only=["contributions", "hukou"])
    assert set(ds.tables) == {"contributions"} and ds.missing == ["hukou"]
    assert ("公益性岗位.xlsx", "本次未要求读取该来源") in ds.ignored
    with pytest.raises(MissingSourceError) as exc:
        ds.require(["contributions", "hukou"])
    assert exc.value.missing == ["hukou"] and "户籍人口" in str(exc.value)
    assert isinstance(exc.value, ValueError)
    ds.require(["contributions"])
    with pytest.raises(ValueError):
        read_folder(d, only=["nonsense"])


def test_as_of_none_skips_the_future_birth_check_and_says_so():
    ds = read_one("社保缴费.csv", None)
    assert any("未指定基准日" in n for n in ds.notes)
    assert not any("未指定基准日" in n for n in read_one("社保缴费.csv").notes)


def test_unreadable_files_are_reported_not_raised(folder_of):
    d = folder_of("社保缴费.csv")
    (d / "户籍人口.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)))  # a zip cut off
    (d / "低保人员.xls").write_text("<html><table><tr><td>x</td></tr></table></html>", encoding="utf-8")
    ds = read_folder(d)
    rules = dict(zip(ds.problems["文件"], ds.problems["规则代码"]))
    assert rules["户籍人口.xlsx"] == "FILE_UNREADABLE" and rules["低保人员.xls"] == "FILE_WRONG_TYPE"
    assert any("网页" in e for e in ds.errors)
    assert all("Error" not in e and "Zip" not in e for e in ds.errors)  # Chinese, not the engine's words
    assert ds.source_ok("contributions") and not ds.source_ok("hukou")
    assert_nothing_lost(ds)


def test_dtypes_of_the_tables(folder_of):
    ds = read_folder(folder_of(*ROW_FILES), as_of=AS_OF)
    assert_nothing_lost(ds)
    t = ds.tables
    assert t["hukou"]["id_number"].dtype == "str" and t["hukou"]["change_date"].dtype == "datetime64[ns]"
    assert t["contributions"]["period"].dtype == "Int64"
    assert t["unemployment"]["willing"].dtype == "boolean"
    assert t["ledger"]["women_base"].dtype == "Int64"
    assert t["ledger"]["categories"].tolist() == ["01,07", "01,02", "10"]  # rows 2, 3, 7: the others refused
    assert t["ledger"]["exit_reason"].tolist()[1:] == ["E5", "D1"]
    assert t["hukou"]["_row"].dtype == "Int64"
    for name, frame in ds.all_rows.items():
        assert frame["_chosen"].dtype == bool
        assert list(frame.columns[-4:]) == ["_file", "_sheet", "_row", "_chosen"], name
    assert list(ds.problems.columns) == P.COLUMNS
    assert list(ds.files.columns[:11]) == ["来源", "文件", "工作表", "表头行", "编码", "读入行数", "使用行数", "剔除行数",
                                           "空行数", "合并重复行数", "冲突行数"]


def test_rule_codes_cover_the_identity_errors():
    from jykn_lib.idcard import ERRORS

    assert set(ERRORS) <= set(P.RULES)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in P.RULES.values())


def test_xlrd_fallback_reads_the_same(monkeypatch):
    from jykn_lib.io import engines

    def unavailable(path, kind):
        raise RuntimeError("calamine cannot open this file")

    monkeypatch.setattr(engines, "_calamine_sheets", unavailable)
    ds = read_files([HOSTILE / "低保人员.xls"])
    assert problem_rows(ds, "低保人员.xls") == EXPECTED["低保人员.xls"]["problems"]
    assert ds.files.iloc[0]["工作表"] == "低保" and ds.files.iloc[0]["表头行"] == 3
    assert_nothing_lost(ds)


def test_every_sheet_with_the_header_is_read_and_an_empty_partial_one_is_listed(tmp_path):
    import openpyxl

    from jykn_lib.idcard import make_id

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "旧版"
    first.append(["公民身份号码", "费款所属期"])  # incomplete header and no rows: listed, nothing lost
    for k, title in enumerate(("2026年", "2025年")):
        ws = wb.create_sheet(title)
        ws.append(["公民身份号码", "费款所属期", "缴费类型"])
        ws.append([make_id("441803", dt.date(1980, 1, 1 + k), 201), f"{2026 - k}01", "单位"])
    path = tmp_path / "社保缴费.xlsx"
    wb.save(path)
    ds = read_files([path])
    assert ds.files["工作表"].tolist() == ["2026年", "2025年"] and ds.files["读入行数"].tolist() == [1, 1]
    assert ds.tables["contributions"]["_sheet"].tolist() == ["2026年", "2025年"]
    assert [rel for rel, _ in ds.ignored] == ["社保缴费.xlsx（工作表“旧版”）"]
    assert "没有数据行" in ds.ignored[0][1]
    assert any("2个工作表" in n for n in ds.notes) and ds.errors == []
    assert_nothing_lost(ds)


def test_encrypted_workbook_and_xls_saved_as_xlsx(folder_of):
    from jykn_lib.io.crypto import encrypt_file

    d = folder_of("低保人员.xls", rename={"低保人员.xls": "低保人员.xlsx"})  # an .xls with the wrong extension
    encrypt_file(HOSTILE / "公益性岗位.xlsx", d / "公益性岗位.xlsx", "secret")
    ds = read_folder(d)
    assert ds.source_ok("dibao") and problem_rows(ds, "低保人员.xlsx") == EXPECTED["低保人员.xls"]["problems"]
    assert not ds.source_ok("posts") and any("打开密码" in e for e in ds.errors)
    assert ds.problems.set_index("文件").loc["公益性岗位.xlsx", "规则代码"] == "FILE_ENCRYPTED"
    assert_nothing_lost(ds)


def test_ragged_csv_rows_are_rejected_and_keep_their_numbers(tmp_path):
    """Rows with fewer or more fields than the header (the csv-module path) are rejected whole; quoted line breaks
    do not move the row numbers."""
    from jykn_lib.idcard import make_id

    a, b, c = (make_id("441803", dt.date(1980, 1, 1 + i), 200 + i) for i in range(3))
    text = ("社保缴费明细\n"
            "公民身份号码,费款所属期,缴费类型,险种\n"
            f"{a},202601,单位\n"                      # row 3: one field short
            f"{b},202602,单位,养老,多出来的一列\n"      # row 4: one field more (an unnamed column)
            f'{c},202603,单位,"养老\n补缴"\n'          # row 5: a line break inside a quoted field
            "\n"                                       # row 6: blank
            f"{a},2026-13,单位,养老\n")                 # row 7: bad period
    path = tmp_path / "社保缴费.csv"
    path.write_text(text, encoding="utf-8")
    ds = read_files([path])
    assert_nothing_lost(ds)
    f = ds.files.iloc[0]
    assert (f["读入行数"], f["使用行数"], f["剔除行数"], f["空行数"]) == (4, 1, 3, 1)
    assert problem_rows(ds, "社保缴费.csv") == [[3, "FIELD_COUNT", "rejected"], [4, "FIELD_COUNT", "rejected"],
                                             [7, "PERIOD_INVALID", "rejected"]]
    t = ds.tables["contributions"].set_index("_row")
    assert t.loc[5, "insurance"] == "养老\n补缴" and list(t.index) == [5]


def test_no_header_row(tmp_path):
    path = tmp_path / "户籍人口_无表头.csv"
    path.write_text("张三,H1,城镇\n李四,H2,农村\n", encoding="utf-8")
    ds = read_files([path])
    (msg,) = ds.errors
    assert "户籍人口_无表头.csv" in msg and "找不到“户籍人口”的表头" in msg and "公民身份号码" in msg
    assert ds.problems["规则代码"].tolist() == ["HEADER_NOT_FOUND"] and not ds.source_ok("hukou")
