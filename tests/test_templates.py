"""jykn templates DIR: one blank workbook per source of the data contract."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest

from jykn_lib import cli, idcard
from jykn_lib.contract import EXAMPLE_ID, TEMPLATE_PREFIX, load_contract, normalize_header, town_names
from jykn_lib.io import templates

CONTRACT = load_contract()
SOURCES = list(CONTRACT.sources.values())
RED = "FFC00000"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("templates") / "模板"
    assert cli.main(["templates", str(out)]) == 0
    return out


def test_one_file_per_source_named_so_that_no_source_matches(out_dir):
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted(f"模板_{s.title}.xlsx" for s in SOURCES)
    for name in names:
        assert CONTRACT.match_file(name) is None  # never read as data
    assert not any(s.title.startswith(TEMPLATE_PREFIX) for s in SOURCES)
    assert templates.EXAMPLE_ID == EXAMPLE_ID  # one constant, shared with the reader


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_template_content(out_dir, source):
    wb = openpyxl.load_workbook(templates.template_path(out_dir, source))
    assert wb.sheetnames == [source.title, templates.INSTRUCTIONS]
    ws = wb[source.title]
    assert not ws.protection.sheet
    cols = {c.header: i + 1 for i, c in enumerate(source.columns)}

    # Headers: exactly the contract's text (matches after normalisation); required ones bold red, others not red.
    header = [c.value for c in ws[2]]
    assert header == [c.header for c in source.columns]
    assert [normalize_header(h) for h in header] == [normalize_header(c.header) for c in source.columns]
    for c in source.columns:
        font = ws.cell(2, cols[c.header]).font
        assert font.b
        assert (font.color is not None and font.color.rgb == RED) == c.required, c.header

    # The example row holds valid values.
    for c in source.columns:
        cell = ws.cell(3, cols[c.header])
        v = cell.value
        if c.required:
            assert v not in (None, ""), c.header
        if v is None:
            continue
        if c.type == "id":
            assert cell.data_type == "s" and idcard.is_valid(v) and v == templates.EXAMPLE_ID
        elif c.type == "date":
            assert isinstance(v, dt.datetime)
        elif c.type == "town":
            assert v in town_names()
        elif c.type in ("enum", "int_enum"):
            assert v in c.values
        elif c.type == "bool":
            assert v == c.true
        elif c.type in ("phone", "period"):
            assert cell.data_type == "s" and v.isdigit()

    # Dropdowns on every single-choice column, down the sheet; none on multi-value columns.
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    for c in source.columns:
        letter = openpyxl.utils.get_column_letter(cols[c.header])
        expected = {"enum": c.values, "int_enum": c.values, "bool": [c.true, c.false], "town": town_names()}.get(c.type)
        if expected is None:
            assert f"{letter}3" not in lists, c.header
        else:
            assert lists[f"{letter}3"] == '"' + ",".join(map(str, expected)) + '"', c.header
    for dv in ws.data_validations.dataValidation:
        assert str(dv.sqref).endswith("1048576")

    # Text columns formatted as text for the whole column (IDs typed in later stay text).
    for c in source.columns:
        if c.type in ("id", "phone"):
            assert ws.column_dimensions[openpyxl.utils.get_column_letter(cols[c.header])].number_format == "@"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_instructions_sheet(out_dir, source):
    ws = openpyxl.load_workbook(templates.template_path(out_dir, source))[templates.INSTRUCTIONS]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True)]
    table = {r[0]: r for r in rows if r[0] in {c.header for c in source.columns}}
    assert list(table) == [c.header for c in source.columns]
    for c in source.columns:
        assert table[c.header][1] == ("必填" if c.required else "选填")
        for v in c.values:
            assert str(v) in table[c.header][3]
    text = "\n".join(str(v) for r in rows for v in r if v)
    for fmt in ("2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305"):
        assert fmt in text
    assert f"文件名必须以“{source.title}”开头" in text
    assert "文本" in text and "4.41802E+17" in text
    if any(c.type == "categories" for c in source.columns):
        assert "01 大龄失业人员" in text and "可填多个" in text
    if any(c.type == "exit_reason" for c in source.columns):
        assert "E10" in text and "D2" in text


def test_command_reports_unwritable_dir(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["templates", str(blocker / "sub")]) == 1
    assert "无法写入模板" in capsys.readouterr().err


def test_templates_are_not_data_and_a_renamed_one_loses_only_its_example(out_dir, tmp_path):
    """Left in a data folder, templates are listed as ignored; saved under a source's name with the example row
    still in, the example is refused and nothing else is wrong with it."""
    from jykn_lib.io.reader import read_folder

    ds = read_folder(out_dir, as_of=dt.date(2026, 11, 26))
    assert ds.tables == {} and ds.errors == [] and len(ds.ignored) == len(SOURCES)
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for s in SOURCES:
        shutil.copyfile(templates.template_path(out_dir, s), renamed / f"{s.title}.xlsx")
    ds = read_folder(renamed, as_of=dt.date(2026, 11, 26))
    assert sorted(ds.tables) == sorted(CONTRACT.sources) and ds.errors == []
    assert (ds.files["读入行数"] == 1).all() and (ds.files["剔除行数"] == 1).all()
    assert set(ds.problems["规则代码"]) == {"TEMPLATE_EXAMPLE"}, ds.problems.to_string()
    assert ds.count_errors() == []


def test_a_folder_with_other_files_is_refused_unless_forced(tmp_path, capsys):
    d = tmp_path / "data"
    d.mkdir()
    (d / "失业登记.xlsx").write_bytes(b"the user's data")
    assert cli.main(["templates", str(d)]) == 1
    assert "已有其他文件" in capsys.readouterr().err
    assert sorted(p.name for p in d.iterdir()) == ["失业登记.xlsx"]
    assert cli.main(["templates", str(d), "--force"]) == 0
    assert (d / "失业登记.xlsx").read_bytes() == b"the user's data"
    assert len(list(d.iterdir())) == len(SOURCES) + 1


def test_rewriting_replaces_blank_templates_but_never_a_filled_one(tmp_path, capsys):
    d = tmp_path / "模板"
    assert cli.main(["templates", str(d)]) == 0
    assert cli.main(["templates", str(d)]) == 0  # its own blank templates: replaced
    ledger = templates.template_path(d, CONTRACT["ledger"])
    wb = openpyxl.load_workbook(ledger)
    wb[CONTRACT["ledger"].title].append([idcard.make_id("441803", dt.date(1970, 1, 1), 1), "某人"])
    wb.save(ledger)
    before = ledger.read_bytes()
    for extra in ([], ["--force"]):
        assert cli.main(["templates", str(d), *extra]) == 1
        err = capsys.readouterr().err
        assert "已填写过内容" in err and ledger.name in err
    assert ledger.read_bytes() == before
