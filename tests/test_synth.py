"""jykn synth: the seeded synthetic 清新区, its planted cases and faults, and its answer key.

Files are read back with python-calamine, openpyxl and the csv module (not with jykn's reader). The answer key is
cross-checked against an independent, literal reading of docs/engine_rules.md (tests/synth_oracle.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import synth_oracle
from python_calamine import CalamineWorkbook

from jykn_lib import cli, idcard
from jykn_lib.contract import district, load_contract
from jykn_lib.params import load_yaml
from jykn_lib.synth import generate
from jykn_lib.synth.faults import CELL_KINDS, KINDS, TEXT_STYLES

pytestmark = pytest.mark.xdist_group("synth")

SMALL = 3000
DEMO = load_yaml("demo.yaml")

REQUIRED_CASES = {
    # slug: (outcome, categories, reasons, hints)  — what the issue asks for, written out independently
    "c01_female_turns_40_on_as_of": ("candidate", ["01"], [], []),
    "c01_female_turns_40_next_day": ("no_category", [], [], []),
    "c01_male_not_yet_retired": ("candidate", ["01"], [], []),
    "x_retired_male_boundary": ("excluded", ["01"], ["X_RETIRED"], []),
    "x_retired_f50": ("excluded", ["01"], ["X_RETIRED_F50"], []),
    "market_closed_before": ("candidate", ["01"], [], []),
    "market_active_legal_rep": ("excluded", ["01"], ["X_EMP_MARKET"], []),
    "market_closed_after_as_of": ("excluded", ["01"], ["X_EMP_MARKET"], []),
    "market_individual_business": ("excluded", ["01"], ["X_EMP_MARKET"], []),
    "unit_contribution_first_window_month": ("excluded", ["01"], ["X_EMP_UNIT"], []),
    "unit_contribution_before_window": ("candidate", ["01"], [], []),
    "flex_only": ("candidate", ["01"], [], ["H_FLEX"]),
    "shareholder_only": ("candidate", ["01"], [], ["H_SHAREHOLDER"]),
    "x_no_ability": ("excluded", ["02"], ["X_NO_ABILITY"], []),
    "x_not_willing": ("excluded", ["01"], ["X_NOT_WILLING"], []),
    "x_hukou_out": ("excluded", ["01"], ["X_HUKOU_OUT"], []),
    "hukou_out_after_as_of": ("candidate", ["01"], [], []),
    "x_deceased": ("excluded", ["01"], ["X_DECEASED"], []),
    "hukou_absent_44": ("candidate", ["01"], [], ["H_HUKOU_CHECK"]),
    "hukou_absent_non44": ("excluded", ["01"], ["X_HUKOU_UNMATCHED"], []),
    "x_recognised": ("excluded", ["01"], ["X_RECOGNISED"], []),
    "exited_rescreened": ("candidate", ["01"], [], ["H_EXITED"]),
    "c07_exactly_one_year": ("candidate", ["07"], [], []),
    "c07_one_day_short": ("no_category", [], [], []),
    "c07_broken_by_unit_contribution": ("no_category", [], [], []),
    "c11_exactly_six_months": ("candidate", ["11"], [], []),
    "c11_one_day_short": ("no_category", [], [], []),
    "dibao_ended": ("no_category", [], [], []),
    "tekun_not_dibao": ("no_category", [], [], []),
    "disability_cert_cancelled": ("no_category", [], [], []),
    "veteran_disability_cert": ("candidate", ["02"], [], []),
    "landless_not_all": ("no_category", [], [], []),
    "reg_cancelled_before_as_of": ("not_screened", [], [], []),
    "reg_cancelled_after_as_of": ("candidate", ["01"], [], []),
    "c04_single_urban": ("no_category", [], [], []),
    "c04_working_member": ("no_category", [], [], []),
    "c04_retired_member": ("candidate", ["04"], [], []),
    "c04_child_member": ("candidate", ["04"], [], []),
    "c05_listed_member": ("candidate", ["05"], [], []),
    "c05_rural_nonpoverty": ("no_category", [], [], []),
    "c03_fullwidth_id_in_registration": ("candidate", ["03"], [], []),
    "c02_lowercase_x_in_disability": ("candidate", ["02"], [], []),
}
REQUIRED_EXITS = {
    "e1_age_male": ["E1"], "e1_age_female_default_50": ["E1"], "e1_female_base55_not_yet": [],
    "e1_female_base55_past": ["E1"], "e1_pension": ["E1"], "e2_no_ability": ["E2"], "e4_three_refusals": ["E4"],
    "e4_two_refusals": [], "e4_one_refusal_outside_window": [], "e5_unit_contribution": ["E5"],
    "e5_registration_cancelled": ["E5"], "e6_household_member_employed": ["E6"], "e10_lost_contact": ["E10"],
    "e10_exactly_six_months": [], "d1_deceased": ["D1"], "d2_out_of_province": ["D2"],
}
CATEGORY_CANDIDATES = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"]


def load(folder: Path) -> dict:
    return json.loads((folder / "synth_manifest.json").read_text(encoding="utf-8"))


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth_small")
    generate(folder, people=SMALL)
    return folder, load(folder)


@pytest.fixture(scope="module")
def default(synth_district, synth_manifest):
    """The default district (params/demo.yaml people, seed, as_of), built once per session by tests/conftest.py."""
    return synth_district, synth_manifest


class Sheets:
    """Rows of every file as a person sees them (row 1 = first row), read with calamine or csv."""

    def __init__(self, folder: Path, manifest: dict):
        self.folder = folder
        self.files = {f["file"]: f for f in manifest["files"]}
        self._rows: dict[str, list[list]] = {}

    def rows(self, name: str) -> list[list]:
        if name not in self._rows:
            info = self.files[name]
            path = self.folder / name
            if info["format"] == "xlsx":
                wb = CalamineWorkbook.from_path(str(path))
                assert wb.sheet_names == [info["sheet"]]
                self._rows[name] = wb.get_sheet_by_name(info["sheet"]).to_python(skip_empty_area=False)
            else:
                text = path.read_bytes().decode(info["encoding"])
                self._rows[name] = list(csv.reader(io.StringIO(text)))
        return self._rows[name]

    def cell(self, name: str, row: int, header: str):
        rows = self.rows(name)
        head = rows[self.files[name]["header_row"] - 1]
        return rows[row - 1][head.index(header)]


# -- determinism -------------------------------------------------------------------------------------------------
def test_same_seed_gives_identical_files(small, tmp_path):
    folder, _ = small
    other = tmp_path / "again"
    code = f"from jykn_lib.synth import generate; generate({str(other)!r}, people={SMALL})"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another process, another hash seed
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    a, b = hashes(folder), hashes(other)
    assert a.keys() == b.keys()
    assert a == b


def test_different_seed_gives_different_files(small, tmp_path):
    folder, m = small
    generate(tmp_path, people=SMALL, seed=m["generator"]["seed"] + 1)
    a, b = hashes(folder), hashes(tmp_path)
    assert a["synth_manifest.json"] != b["synth_manifest.json"]
    common = set(a) & set(b)
    assert sum(a[n] != b[n] for n in common) >= len(common) - 1


def test_manifest_lists_every_file_with_its_hash(small):
    folder, m = small
    written = hashes(folder)
    listed = {f["file"]: f["sha256"] for f in m["files"]}
    assert set(written) - {"synth_manifest.json"} == set(listed)
    assert all(written[n] == h for n, h in listed.items())
    contract = load_contract()
    for f in m["files"]:
        assert f["file"].startswith(f["source"])
        assert contract.match_file(f["file"]).title == f["source"]
    assert {f["source"] for f in m["files"]} == {s.title for s in contract.sources.values()}  # all 15 sources
    assert sum(1 for f in m["files"] if f["source"] == "就业困难人员台账") == 1


def test_defaults_come_from_demo_yaml(default):
    _, m = default
    assert m["generator"]["as_of"] == str(DEMO["as_of"])
    assert m["generator"]["seed"] == DEMO["seed"]
    assert m["generator"]["people"] == DEMO["people"]


# -- the answer key ----------------------------------------------------------------------------------------------
def check_required_cases(m: dict) -> None:
    cases = {c["case"]: c for c in m["cases"]}
    for slug, (outcome, cats, reasons, hints) in REQUIRED_CASES.items():
        assert slug in cases, slug
        got = cases[slug]["expect"]["screening"]
        assert (got["outcome"], got["categories"], sorted(got["reasons"]), got["hints"]) == (
            outcome, cats, sorted(reasons), hints), slug
        assert cases[slug]["description"] and not cases[slug]["description"].isascii()
        assert cases[slug]["case"].isascii()
    for slug, exits in REQUIRED_EXITS.items():
        assert cases[slug]["expect"]["exits"] == exits, slug
        assert m["exit_labels"][cases[slug]["id_number"]] == exits, slug
    # every category as a candidate, several times, over several towns; some with two categories
    for code in CATEGORY_CANDIDATES:
        named = [c for c in m["cases"] if c["expect"]["screening"]["outcome"] == "candidate"
                 and code in c["expect"]["screening"]["categories"]]
        assert len(named) >= 2, code
    assert len({c["town"] for c in m["cases"]}) == len(district()["towns"])
    assert any(len(c["expect"]["screening"]["categories"]) >= 2 for c in m["cases"])
    # boundary dates of the issue, for its reference date
    if m["generator"]["as_of"] == "2026-11-26":
        birth = {c["case"]: idcard.birth_date(c["id_number"]) for c in m["cases"]}
        assert birth["c01_male_not_yet_retired"] == dt.date(1966, 7, 1)
        assert birth["x_retired_male_boundary"] == dt.date(1966, 6, 15)
        assert birth["c01_female_turns_40_on_as_of"] == dt.date(1986, 11, 26)


def test_named_cases_at_small_and_default_size(small, default):
    check_required_cases(small[1])
    check_required_cases(default[1])


def test_answer_key_is_self_consistent(default):
    folder, m = default
    labels = m["screening_labels"]
    t = m["screening_totals"]
    outcomes = Counter(v["outcome"] for v in labels.values())
    assert t["candidates"] == outcomes["candidate"] and t["excluded"] == outcomes["excluded"]
    assert t["no_category"] == outcomes["no_category"] and t["not_screened"] == outcomes["not_screened"]
    assert t["screened"] == len(labels) - outcomes["not_screened"]
    by_town = defaultdict(Counter)
    for v in labels.values():
        if v["outcome"] == "candidate":
            by_town[v["town"]].update(v["categories"])
    assert {k: dict(c) for k, c in by_town.items()} == t["candidates_by_town_category"]
    towns = {x["name"] for x in district()["towns"]}
    parsed = idcard.parse_ids(pd.Series(list(labels), dtype=object))
    assert parsed["error"].isna().all()
    for pid, v in labels.items():
        assert v["town"] in towns
        if v["outcome"] == "candidate":
            assert v["categories"] and not v["reasons"]
        elif v["outcome"] == "excluded":
            assert v["categories"] and v["reasons"] and not v["hints"]
        else:
            assert not v["categories"] and not v["reasons"] and not v["hints"]
    for c in m["cases"]:
        if c["id_number"] in labels:
            lab = labels[c["id_number"]]
            assert {k: lab[k] for k in ("outcome", "categories", "reasons", "hints")} == c["expect"]["screening"]
            assert lab["town"] == c["town"]
        else:
            assert c["expect"]["screening"]["outcome"] == "not_screened"
        assert c["expect"]["exits"] == m["exit_labels"].get(c["id_number"], [])
    # every labelled person has a row in 失业登记 (under their number, possibly mangled) and vice versa
    sheets = Sheets(folder, m)
    seen = set()
    for f in m["files"]:
        if f["source"] == "失业登记":
            for row in sheets.rows(f["file"])[f["header_row"]:]:
                if row and row[0] not in ("", None):
                    v = row[0]
                    seen.add(idcard.normalize(str(int(Decimal(f"{v:.15g}"))) if isinstance(v, float) else v)[:15])
    assert {p[:15] for p in labels} == seen
    # applications: what was planted missing is exactly what is not in 已交材料
    for a in m["applications"]:
        assert set(a["materials_missing"]) == set(a["materials_required"]) - set(a["materials_submitted"])
        assert a["complete"] == (not a["materials_missing"])
    assert any(a["complete"] for a in m["applications"]) and any(not a["complete"] for a in m["applications"])


def test_answer_key_agrees_with_an_independent_reading(default):
    folder, m = default
    bad_screening, bad_exits = synth_oracle.compare(folder, m)
    assert bad_screening == [] and bad_exits == []


def test_other_reference_date(tmp_path):
    generate(tmp_path, people=2000, as_of="2026-08-31")  # a month end: boundaries clamp
    m = load(tmp_path)
    assert m["generator"]["as_of"] == "2026-08-31"
    check_required_cases(m)
    bad_screening, bad_exits = synth_oracle.compare(tmp_path, m)
    assert bad_screening == [] and bad_exits == []


# -- faults ------------------------------------------------------------------------------------------------------
def test_at_least_ten_faults_of_each_kind_at_default_size(default):
    _, m = default
    counts = Counter(f["kind"] for f in m["faults"])
    for kind in KINDS:
        assert counts[kind] >= 10, kind
    styles = Counter(f["style"] for f in m["faults"] if f["kind"] == "text_date")
    assert all(styles[s] >= 10 for s in TEXT_STYLES)
    for f in m["faults"]:
        if f["kind"] == "id_numeric_check_ok":
            assert idcard.check_digit(f["value"][:17]) == f["value"][17]
        if f["kind"] == "id_numeric":
            assert idcard.check_digit(f["value"][:17]) != f["value"][17]
    # recoverable faults sit on planted cases too (issue 5)
    on_cases = {f.get("case") for f in m["faults"]}
    assert {"c03_fullwidth_id_in_registration", "c02_lowercase_x_in_disability"} <= on_cases


def test_each_fault_is_in_its_file(default):
    folder, m = default
    sheets = Sheets(folder, m)
    cell_faults = Counter()
    for f in m["faults"]:
        name, row, kind = f["file"], f["row"], f["kind"]
        info = sheets.files[name]
        assert f["source"] == info["source"] and f["sheet"] == info["sheet"]
        rows = sheets.rows(name)
        if kind == "title_row":
            assert row == info["header_row"] == 2 and rows[0][0] == f["value"]
            continue
        if kind == "header_synonym":
            assert row == info["header_row"] and f["column"] in rows[row - 1]
            assert f["standard"] not in rows[row - 1]
            continue
        if kind == "blank_row":
            assert all(c in ("", None) for c in rows[row - 1]) and f["expect"]["action"] == "blank"
            continue
        cell_faults[(name, row)] += 1
        value = sheets.cell(name, row, f["column"])
        if kind in ("id_fullwidth", "id_lowercase_x"):
            assert value == f["value"] and value != f["id_number"]
            assert idcard.normalize(value) == f["id_number"] and f["expect"] == {"rule": None, "action": "used"}
        elif kind == "id_check_digit":
            assert value == f["value"] and value[:17] == f["id_number"][:17] and not idcard.is_valid(value)
            assert f["expect"] == {"rule": "ID_CHECK", "action": "rejected"}
        elif kind in ("id_numeric", "id_numeric_check_ok"):
            assert isinstance(value, float) and info["format"] == "xlsx"
            assert int(Decimal(f"{value:.15g}")) == int(f["value"]) and f["value"].endswith("000")
            assert f["value"][:15] == f["id_number"][:15]
            assert f["expect"] == {"rule": "ID_NUMERIC", "action": "rejected"}
        elif kind == "text_date":
            assert value == f["value"] and synth_oracle.parse_date(value).isoformat() == f["date"]
        elif kind == "duplicate_identical":
            a, b = f["rows"]
            assert rows[a - 1] == rows[b - 1] and f["row"] in f["rows"]
            assert f["expect"] == {"rule": "DUPLICATE_IDENTICAL", "action": "collapsed"}
        elif kind == "duplicate_conflict":
            head = rows[info["header_row"] - 1]
            col = next(j for j, h in enumerate(head) if h in ("公民身份号码", "身份证号"))
            got = [rows[r - 1] for r in f["rows"]]
            assert len({idcard.normalize(g[col]) for g in got}) == 1 and len({tuple(g) for g in got}) == len(got)
            assert f["chosen_row"] in f["rows"] and f["row"] in f["rows"]
            assert f["expect"] == {"rule": "DUPLICATE_CONFLICT", "action": "conflict_kept"}
        elif kind == "error_cell":  # a formula whose cached value is the error, as Excel saves it
            assert value in ("", "=NA()", "#N/A") and f["value"] == "#N/A"  # as the engine shows it
            assert f["expect"] == {"rule": "CELL_ERROR", "action": "blank"} and f.get("case", "").startswith("lr_")
        elif kind in CELL_KINDS:  # cells planted on the ledger review's named cases
            rule, action = CELL_KINDS[kind]
            assert f["expect"] == {"rule": rule, "action": action} and f.get("case", "").startswith("lr_")
            assert (value in ("", None)) if kind in ("required_blank", "phone_blank") else value == f["value"]
        else:
            raise AssertionError(kind)
    assert max(cell_faults.values()) == 1  # one fault per row


def test_ids_are_text_cells_except_planted_numbers(small):
    folder, m = small
    numeric = {(f["file"], f["row"]) for f in m["faults"] if f["kind"] in ("id_numeric", "id_numeric_check_ok")}
    id_headers = {"公民身份号码", "身份证号", "安置人员身份号码", "在岗人员身份证号"}
    seen_numeric = set()
    n_text = 0
    for f in m["files"]:
        if f["format"] != "xlsx":
            continue
        wb = openpyxl.load_workbook(folder / f["file"], read_only=True)
        ws = wb[f["sheet"]]
        cols = None
        for r, row in enumerate(ws.iter_rows(), start=1):
            if r == f["header_row"]:
                cols = [j for j, c in enumerate(row) if c.value in id_headers]
                assert cols
            elif r > f["header_row"]:
                for j in cols:
                    if j >= len(row) or row[j].value is None:
                        continue
                    if row[j].data_type == "n":
                        seen_numeric.add((f["file"], r))
                    else:
                        assert row[j].data_type == "s"
                        n_text += 1
        wb.close()
    assert seen_numeric == numeric and n_text > 1000


def test_no_file_exceeds_the_row_limit(default):
    folder, m = default
    sheets = Sheets(folder, m)
    limits = m["row_limits"]
    assert limits["xlsx"] < 1_048_576 and limits["csv"] < 1_048_576
    for f in m["files"]:
        n = len(sheets.rows(f["file"]))
        assert n == f["rows"] <= limits[f["format"]], f["file"]
    hukou = [f for f in m["files"] if f["source"] == "户籍人口"]
    assert len(hukou) >= 2 and all(f["file"].startswith("户籍人口_") for f in hukou)
    assert sum(1 for f in m["files"] if f["source"] == "社保缴费") >= 2
    assert any(f["format"] == "csv" and f["encoding"] == "gbk" for f in m["files"])


def test_every_town_has_people(small):
    folder, m = small
    sheets = Sheets(folder, m)
    people = set()
    for f in m["files"]:
        if f["source"] == "户籍人口":
            rows = sheets.rows(f["file"])
            col = rows[f["header_row"] - 1].index("所属镇街")
            people.update((r[col], idcard.normalize(r[0])) for r in rows[f["header_row"]:] if r[col])
    towns = Counter(t for t, _ in people)  # duplicate rows counted once
    names = [t["name"] for t in district()["towns"]]
    assert set(towns) == set(names) and min(towns.values()) > 0
    assert towns["太和镇"] == max(towns.values())
    assert m["population"]["residents_by_town"] == dict(sorted(towns.items()))


def test_identity_numbers_are_built_from_birth_dates(small):
    folder, m = small
    sheets = Sheets(folder, m)
    ids = set()
    for f in m["files"]:
        if f["source"] == "户籍人口":
            rows = sheets.rows(f["file"])
            ids.update(idcard.normalize(r[0]) for r in rows[f["header_row"]:] if r[0] and isinstance(r[0], str))
    ids = sorted(ids)
    parsed = idcard.parse_ids(pd.Series(ids, dtype=object))
    valid = [i for i, e in zip(ids, parsed["error"]) if not isinstance(e, str)]
    assert len(valid) >= 0.99 * len(ids)
    for i in valid:
        assert idcard.make_id(i[:6], idcard.birth_date(i), int(i[14:17])) == i
    prefixes = Counter(i[:6] for i in valid)
    assert prefixes["441803"] and prefixes["441827"]
    assert any(prefixes[p] for p in ("441802", "441881", "440106"))
    assert any(prefixes[p] for p in ("430621", "452122", "360731"))
    assert all(idcard.birth_date(i) < dt.date(1990, 1, 1) for i in valid if i.startswith("441827"))


def test_nothing_reads_todays_date():
    root = Path(__file__).resolve().parents[1] / "jykn_lib" / "synth"
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.glob("*.py"))
    for banned in ("today(", ".now(", "time.time(", "localtime", "jykn_lib.rules", "from ..rules"):
        assert banned not in text, banned


def test_cli_prints_a_chinese_summary(tmp_path, capsys):
    assert cli.main(["synth", str(tmp_path), "--people", "1500", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "已生成合成清新区数据" in out and "命名案例" in out and "用时" in out
    m = load(tmp_path)
    assert m["generator"]["people"] == 1500 and m["generator"]["seed"] == 7
