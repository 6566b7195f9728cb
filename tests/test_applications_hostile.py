"""A 认定申请 file as a town really sends it (tests/data/applications/make_fixtures.py): read without loss, then
decided — the town's correction of a repeated 申请编号 wins, an unknown material name is reported, a number Excel
mangled is refused with its row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from jykn_lib.io.reader import read_folder
from jykn_lib.params import load_parameters
from jykn_lib.rules.applications import decide_applications

HERE = Path(__file__).parent / "data" / "applications"
ON = dt.date(2026, 11, 26)


def test_the_hostile_file_reads_back_without_loss():
    expected = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    ds = read_folder(HERE, as_of=ON, only=["applications"])
    f = ds.files.iloc[0]
    assert {k: int(f[k]) for k in expected["counts"]} == expected["counts"]
    assert ds.count_errors() == []
    p = ds.problems
    assert sorted(p.loc[p["规则代码"] == "DUPLICATE_CONFLICT", "行号"]) == expected["conflict_rows"]
    assert list(p.loc[p["处理"] == "剔除该行", "行号"]) == expected["rejected_rows"]
    apps = ds.tables["applications"].set_index("application_id")
    assert apps.loc["T001", "accept_date"] == pd.Timestamp("2026-11-05")  # the later row: the town's correction
    assert apps.loc["T001", "objection"] == "群众反映其在外务工"
    assert apps.loc["T002", "categories"] == "03" and apps.loc["T002", "apply_date"] == pd.Timestamp("2026-11-03")


def test_the_hostile_file_is_decided_with_its_problems_reported():
    expected = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    ids = expected["ids"]
    apps = read_folder(HERE, as_of=ON, only=["applications"]).tables["applications"]
    hukou = pd.DataFrame({"id_number": [ids["A"], ids["B"]], "household_id": ["H1", "H2"], "area_type": "城镇",
                          "town": "太和镇", "hukou_status": "正常", "change_date": pd.NaT})
    dibao = pd.DataFrame({"id_number": [ids["B"]], "assistance_type": ["城市低保"],
                          "start_date": [pd.Timestamp("2025-01-01")], "end_date": [pd.NaT]})
    d = decide_applications(apps, {"hukou": hukou, "dibao": dibao}, ON, load_parameters())
    got = d.summary.assign(app=apps["application_id"].to_numpy()).set_index("app")
    assert got.loc["T001", "conclusion"] == "propose" and got.loc["T001", "categories"] == "01"
    assert got.loc["T002", "conclusion"] == "supplement"
    assert got.loc["T002", "missing"] == "就业困难人员认定申请表、无业承诺书"
    assert got.loc["T002", "unknown"] == "保证书"


def test_the_committed_file_is_what_the_script_builds(tmp_path, monkeypatch):
    import importlib.util

    import openpyxl

    spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.wps_xlsx()

    def cells(path):
        return [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]

    assert cells(tmp_path / "认定申请_WPS另存.xlsx") == cells(HERE / "认定申请_WPS另存.xlsx")
