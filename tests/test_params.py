"""Dated parameters: the loader's checks, lookups by date, and that the rules really read them."""

import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from jykn_lib.idcard import make_id
from jykn_lib.params import REPO_ROOT, ParameterError, load_parameters, params_dir
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


# --- a null value ends a parameter (openfisca: parameters/benefits/housing_allowance.yaml) ----------------------------

FEMALE_MIN_AGE = "rules/categories/c01/female_min_age.yaml"


def _end(root: Path, rel: str, on: str, then=None) -> None:
    """Add a null entry on ``on`` (and, if given, a new value a year later)."""
    def add(doc):
        doc["values"][dt.date.fromisoformat(on)] = {"value": None, "source": "jykn_project", "status": "U"}
        if then is not None:
            doc["values"][dt.date.fromisoformat(on) + dt.timedelta(days=365)] = {
                "value": then, "source": "jykn_project", "status": "U"}
    _rewrite(root / rel, add)


def test_a_null_value_ends_the_parameter_for_at(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    _end(root, FEMALE_MIN_AGE, "2027-01-01")
    p = load_parameters(root)["rules.categories.c01.female_min_age"]
    assert p.end == dt.date(2027, 1, 1)
    assert p.at("2026-12-31") == 40  # the day before the end: still in force
    for day in ("2027-01-01", "2030-06-30"):  # the end date itself and later
        with pytest.raises(ParameterError, match="自 2027-01-01 起已废止，.*不再有取值"):
            p.at(day)
    with pytest.raises(ParameterError, match="尚无取值"):  # before the first date: unchanged
        p.at("2023-07-31")
    assert load_parameters(REPO_ROOT / "params")["rules.categories.c01.female_min_age"].end is None


def test_a_null_value_ends_the_parameter_for_at_many_and_constant_over(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    _end(root, FEMALE_MIN_AGE, "2027-01-01")
    p = load_parameters(root)["rules.categories.c01.female_min_age"]
    before = pd.Series(pd.to_datetime(["2026-11-26", "2026-12-31", None]))
    assert list(p.at_many(before)[:2]) == [40, 40]
    with pytest.raises(ParameterError, match="已废止"):
        p.at_many(pd.Series(pd.to_datetime(["2026-12-31", "2027-01-01"])))
    assert p.constant_over(pd.to_datetime(["2026-01-01", "2026-12-31"])) == 40
    for dates in (["2026-12-31", "2027-01-01"], ["2027-03-01", "2027-06-01"]):
        with pytest.raises(ParameterError, match="已废止"):
            p.constant_over(pd.to_datetime(dates))


def test_an_ended_parameter_may_start_again_and_the_rules_respect_the_end(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    _end(root, FEMALE_MIN_AGE, "2027-01-01", then=45)
    params = load_parameters(root)
    p = params["rules.categories.c01.female_min_age"]
    assert p.end is None and p.at("2028-01-01") == 45
    people, tables = _one_person(dt.date(1980, 1, 1), "女")
    assert evaluate(people, tables, params).summary["categories"][0] == "01"  # 2026-11-26: before the end
    with pytest.raises(ParameterError, match="已废止"):
        evaluate(people.assign(eval_date=pd.Timestamp("2027-06-01")), tables, params)


# --- unknown keys, repeated keys ---------------------------------------------------------------------------------------


def _rename_first_entry_key(old, new):
    def fn(doc):
        entry = next(iter(doc["values"].values()))
        entry[new] = entry.pop(old)
    return fn


@pytest.mark.parametrize(
    "breakage,message",
    [
        (lambda d: d.update(sorce="gd_2023_11"), "female_min_age.yaml：未知键“sorce”"),
        (lambda d: d.update(descripton="x"), "未知键“descripton”"),
        (_rename_first_entry_key("source", "sorce"), "在 2023-08-01 的取值：未知键“sorce”"),
        (lambda d: next(iter(d["values"].values())).update(artcle="第一条"), "取值：未知键“artcle”"),
        (lambda d: next(iter(d["values"].values())).update(value=None), "第一个取值是 null"),
    ],
    ids=["file sorce", "file descripton", "entry sorce", "entry artcle", "null first"],
)
def test_loader_refuses_an_unknown_key(tmp_path, monkeypatch, breakage, message):
    root = _copy_params(tmp_path, monkeypatch)
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    load_parameters(root)  # the correct neighbour loads
    _rewrite(broken / FEMALE_MIN_AGE, breakage)
    with pytest.raises(ParameterError, match=message) as err:
        load_parameters(broken)
    assert "female_min_age.yaml" in str(err.value)


def test_loader_refuses_a_date_written_twice(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    path = root / FEMALE_MIN_AGE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("values:\n", "values:\n  2023-08-01:\n    value: 45\n    source: jykn_project\n"
                                 "    status: U\n", 1), encoding="utf-8")
    with pytest.raises(ParameterError, match="键“2023-08-01”重复"):
        load_parameters(root)


def test_loader_refuses_an_unknown_key_in_sources(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    _rewrite(root / "sources.yaml", lambda d: d["gd_2023_11"].update(ulr="https://example.org"))
    with pytest.raises(ParameterError, match="来源 gd_2023_11：未知键“ulr”"):
        load_parameters(root)


# --- index.yaml: every folder describes itself -------------------------------------------------------------------------


def _folders(root: Path) -> list[str]:
    rules = root / "rules"
    return sorted(".".join(d.relative_to(root).parts) for d in [rules, *rules.rglob("*")] if d.is_dir())


def _without_index(root: Path) -> list[str]:
    return [f for f in _folders(root) if f not in load_parameters(root).folders]


def test_every_parameter_folder_has_an_index_with_a_chinese_description():
    root = params_dir()
    assert _without_index(root) == []
    params = load_parameters()
    assert list(params.folders) == _folders(root)
    for name, folder in params.folders.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in folder.description), name
    assert params.folders["rules.categories.c01"].references[0].number == "粤人社规〔2023〕11号"
    assert not [n for n in params.names() if n.endswith(".index")]  # index.yaml is not a parameter


def test_the_index_check_fires_when_a_folder_has_none(tmp_path, monkeypatch):
    root = _copy_params(tmp_path, monkeypatch)
    (root / "rules/categories/c06/index.yaml").unlink()
    new = root / "rules/categories/c99"
    new.mkdir()
    shutil.copy(root / "rules/categories/c06/require_all_land_lost.yaml", new / "flag.yaml")
    assert _without_index(root) == ["rules.categories.c06", "rules.categories.c99"]


@pytest.mark.parametrize(
    "content,message",
    [
        ("descripton: 失地农民\n", "未知键“descripton”"),
        ("note: 失地农民\n", "缺少 description"),
        ("description: 失地农民\nrefrence: gd_2023_11\n", "未知键“refrence”"),
        ("description: 失地农民\nreference: nowhere\n", "未登记的来源 nowhere"),
    ],
)
def test_loader_refuses_a_malformed_index(tmp_path, monkeypatch, content, message):
    root = _copy_params(tmp_path, monkeypatch)
    (root / "rules/categories/c06/index.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError, match=message):
        load_parameters(root)


# --- docs/rules.md names the files that hold its values ----------------------------------------------------------------

RULES_DOC = REPO_ROOT / "docs" / "rules.md"


def test_docs_rules_cites_only_parameter_files_that_exist():
    text = RULES_DOC.read_text(encoding="utf-8")
    cited = set(re.findall(r"params/[\w./-]+?\.yaml", text))
    assert cited, "docs/rules.md cites no parameter file"
    missing = sorted(c for c in cited if not (params_dir().parent / c).exists())
    assert missing == []


def test_docs_rules_names_every_parameter_and_folder():
    text = RULES_DOC.read_text(encoding="utf-8")
    root = params_dir()
    files = sorted(p.relative_to(root.parent).as_posix() for p in (root / "rules").rglob("*.yaml")
                   if p.name != "index.yaml")
    assert [f for f in files if f not in text] == []
    folders = [f"params/{'/'.join(name.split('.'))}/" for name in load_parameters().folders]
    assert [f for f in folders if f not in text] == []
