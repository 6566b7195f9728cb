"""Dated parameters: the loader's checks, lookups by date, and that the rules really read them."""

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jykn_lib.idcard import make_id
from jykn_lib.params import ParameterError, load_parameters, params_dir
from jykn_lib.rules.engine import evaluate


def test_every_parameter_file_loads_with_source_and_status():
    params = load_parameters()
    assert len(params.names()) >= 45
    for name in params.names():
        p = params[name]
        assert p.description, name
        for e in p.entries:
            assert e.status in ("C", "P", "U"), name
            assert e.source.key, name
            assert e.citation, name


def test_lookup_by_date_and_before_the_first_value_raises():
    p = load_parameters()["rules.categories.c01.female_min_age"]
    assert p.at(dt.date(2023, 8, 1)) == 40
    assert p.at("2026-11-26") == 40
    with pytest.raises(ParameterError, match="尚无取值"):
        p.at(dt.date(2023, 7, 31))
    with pytest.raises(ParameterError):
        p.at_many(pd.Series(pd.to_datetime(["2024-01-01", "2023-07-31"])))


def test_retirement_schedule_is_a_table_with_two_dated_entries():
    p = load_parameters()["rules.retirement.schedule"]
    assert [e.start for e in p.entries] == [dt.date(1978, 6, 2), dt.date(2025, 1, 1)]
    reform = p.at(dt.date(2025, 1, 1))
    assert reform["male"] == {"base_age": 60, "months_per_delay": 4, "max_delay_months": 36, "first_cohort": "1965-01"}
    assert reform["female50"]["months_per_delay"] == 2 and reform["female50"]["max_delay_months"] == 60
    assert p.entry_at(dt.date(2025, 1, 1)).status == "C"


def _copy_params(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "params"
    shutil.copytree(params_dir(), root)
    monkeypatch.setenv("JYKN_PARAMS", str(root))
    return root


def _rewrite(path: Path, fn) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    "breakage,message",
    [
        (lambda d: d.pop("description"), "description"),
        (lambda d: next(iter(d["values"].values())).pop("source"), "source"),
        (lambda d: next(iter(d["values"].values())).update(status="X"), "status"),
        (lambda d: next(iter(d["values"].values())).update(source="nowhere"), "未登记"),
        (lambda d: d["values"].update({dt.date(2020, 1, 1): {"value": 1, "source": "gd_2023_11", "status": "C"}}),
         "先后"),
    ],
)
def test_loader_refuses_a_malformed_file(tmp_path, monkeypatch, breakage, message):
    root = _copy_params(tmp_path, monkeypatch)
    _rewrite(root / "rules/categories/c01/female_min_age.yaml", breakage)
    with pytest.raises(ParameterError, match=message):
        load_parameters(root)


# The rules read their thresholds from params/: change a value, and the decision changes.
def _one_person(birth, sex, extra=None, as_of="2026-11-26"):
    pid = make_id("441803", birth, 2 if sex == "女" else 1)
    tables = {
        "unemployment": pd.DataFrame({"id_number": [pid], "reg_date": [pd.Timestamp("2026-09-01")], "reg_status": ["有效"]}),
        "hukou": pd.DataFrame({"id_number": [pid], "household_id": ["H"], "area_type": ["城镇"], "town": ["太和镇"],
                               "hukou_status": ["正常"]}),
    }
    tables.update(extra(pid) if extra else {})
    people = pd.DataFrame({"id_number": [pid], "eval_date": [pd.Timestamp(as_of)]})
    return people, tables


def _with_new_value(root: Path, rel: str, value, start="2026-01-01"):
    def add(doc):
        doc["values"][dt.date.fromisoformat(start)] = {"value": value, "source": "jykn_project", "status": "U"}
    _rewrite(root / rel, add)


def test_changing_the_age_threshold_changes_the_decision(tmp_path, monkeypatch):
    people, tables = _one_person(dt.date(1985, 12, 15), "女")  # 40 on 2025-12-31 and on 2026-11-26
    assert evaluate(people, tables).summary["categories"][0] == "01"
    root = _copy_params(tmp_path, monkeypatch)
    _with_new_value(root, "rules/categories/c01/female_min_age.yaml", 41)
    params = load_parameters(root)
    assert evaluate(people, tables, params).summary["categories"][0] == ""
    # the old value still holds before the new entry's date
    people_2025 = people.assign(eval_date=pd.Timestamp("2025-12-31"))
    assert evaluate(people_2025, tables, params).summary["categories"][0] == "01"


def test_changing_the_evidence_window_changes_the_decision(tmp_path, monkeypatch):
    def contrib(pid):
        return {"contributions": pd.DataFrame({"id_number": [pid], "period": [202607], "contrib_type": ["单位"]})}

    people, tables = _one_person(dt.date(1980, 1, 1), "女", contrib)
    assert evaluate(people, tables).summary["exclusions"][0] == ""
    root = _copy_params(tmp_path, monkeypatch)
    _with_new_value(root, "rules/evidence/unit_contribution_lookback_months.yaml", 4)
    assert evaluate(people, tables, load_parameters(root)).summary["exclusions"][0] == "X_EMP_UNIT"


def test_c03_assistance_types_are_a_parameter(tmp_path, monkeypatch):
    def tekun(pid):
        return {"dibao": pd.DataFrame({"id_number": [pid], "assistance_type": ["特困供养"],
                                       "start_date": [pd.Timestamp("2025-01-01")], "end_date": [pd.NaT]})}

    people, tables = _one_person(dt.date(1990, 1, 1), "男", tekun)
    assert evaluate(people, tables).summary["categories"][0] == ""
    root = _copy_params(tmp_path, monkeypatch)
    _with_new_value(root, "rules/categories/c03/assistance_types.yaml", ["城市低保", "农村低保", "特困供养"])
    assert evaluate(people, tables, load_parameters(root)).summary["categories"][0] == "03"
