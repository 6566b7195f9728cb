"""The kit's set-up (jykn_lib.kit.setup): validate_parameters, the second cell of every notebook, without side effects
on the data; prepare_demo_data, the explicit call that builds the demo data; the quarter folder's provenance."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
import warnings
from pathlib import Path

import pytest

import jykn_lib.kit.setup as np_mod
from jykn_lib.kit.setup import NotebookSetup, claim_quarter, prepare_demo_data, resolve_path, validate_parameters
from jykn_lib.params import REPO_ROOT
from jykn_lib.periods import Quarter
from jykn_lib.runner import synthdata
from jykn_lib.runner.registry import REGISTRY_ENV
from jykn_lib.workdays import first_working_day_of_quarter

TEST_REGISTRY = REPO_ROOT / "tests" / "data" / "notebooks" / "registry.yaml"


@pytest.fixture
def folders(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    return data, tmp_path / "out"


def call(folders, **kw):
    data, out = folders
    args = dict(notebook="01", quarter="2026Q4", data_dir=str(data), out_dir=str(out))
    args.update(kw)
    return validate_parameters(**args)


# ------------------------------------------------------------------------------------------------ happy path


def test_district_defaults(folders):
    data, out = folders
    s = call(folders)
    assert isinstance(s, NotebookSetup)
    assert s.quarter == Quarter(2026, 4) and s.quarter_str == "2026Q4"
    assert s.as_of == first_working_day_of_quarter(Quarter(2026, 4))
    assert s.as_of in s.quarter and s.as_of >= dt.date(2026, 10, 1)
    assert s.town == "全区" and s.is_district and s.scope_name == "区汇总"
    assert s.data_dir == data.resolve()
    assert s.scope_dir == out.resolve() / "2026Q4" / "区汇总" == s.district_dir
    assert s.work_dir == s.district_dir / ".jykn"
    assert s.scope_dir.is_dir() and s.work_dir.is_dir()
    with pytest.raises(Exception):
        s.town = "太和镇"  # frozen


def test_town_run_folders_and_explicit_as_of(folders):
    out = folders[1].resolve()
    s = call(folders, town="太和镇", as_of="2026-11-26")
    assert s.as_of == dt.date(2026, 11, 26) and s.as_of_compact == "20261126"
    assert not s.is_district
    assert s.scope_dir == out / "2026Q4" / "太和镇" and s.scope_dir.is_dir()
    assert s.district_dir == out / "2026Q4" / "区汇总"
    assert s.work_dir == out / "2026Q4" / "区汇总" / ".jykn" and s.work_dir.is_dir()
    p = s.output_path("引导申请名单_2026Q4_太和镇.xlsx")
    assert p == s.scope_dir / "引导申请名单_2026Q4_太和镇.xlsx"
    with pytest.raises(ValueError, match="之外"):
        s.output_path("../山塘镇/x.xlsx")


def test_as_of_date_object_and_outside_quarter_warns(folders):
    with pytest.warns(UserWarning, match="不在 2026年第4季度"):
        s = call(folders, as_of="2026-06-30")
    assert s.as_of == dt.date(2026, 6, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert call(folders, as_of=dt.date(2026, 12, 31)).as_of == dt.date(2026, 12, 31)


def test_write_info(folders):
    s = call(folders, town="山塘镇")
    path = s.write_info(row_counts={"失业登记": 12}, figures={"引导申请人数": 3}, timings={"read": 1.5})
    assert path == s.scope_dir / ".jykn" / "01_info.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {"row_counts": {"失业登记": 12}, "figures": {"引导申请人数": 3},
                                                            "timings": {"read": 1.5}}


def test_relative_paths_are_relative_to_repo_root():
    assert resolve_path("outputs/demo/data", "data_dir") == (REPO_ROOT / "outputs" / "demo" / "data").resolve()
    assert resolve_path("/tmp/x", "data_dir") == Path("/tmp/x").resolve()
    with pytest.raises(ValueError, match="data_dir"):
        resolve_path("  ", "data_dir")


# ------------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize("quarter", ["2026Q5", "2026-4", "Q4 2026", "", None])
def test_bad_quarter(folders, quarter):
    with pytest.raises(ValueError, match="季度|quarter"):
        call(folders, quarter=quarter)


@pytest.mark.parametrize("as_of", ["2026-13-01", "2026/11/26", "明天", "20261126"])
def test_bad_as_of(folders, as_of):
    with pytest.raises(ValueError, match="as_of"):
        call(folders, as_of=as_of)


@pytest.mark.parametrize("town", ["清城区", "太和", "", 3])
def test_unknown_town(folders, town):
    with pytest.raises(ValueError, match="town|镇街"):
        call(folders, town=town)


def test_unknown_town_lists_the_towns(folders):
    with pytest.raises(ValueError) as err:
        call(folders, town="清城区")
    assert "未知的镇街“清城区”" in str(err.value) and "太和镇" in str(err.value) and "笔架林场" in str(err.value)


def test_missing_data_dir(folders, tmp_path):
    with pytest.raises(ValueError, match="不存在"):
        call(folders, data_dir=str(tmp_path / "nowhere"))
    (tmp_path / "file.csv").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="不是文件夹"):
        call(folders, data_dir=str(tmp_path / "file.csv"))


def test_extra_parameters_checked_against_the_run_file(folders, monkeypatch):
    monkeypatch.setenv(REGISTRY_ENV, str(TEST_REGISTRY))
    s = call(folders, notebook="t4", level="b")
    assert s.extra["level"] == "b"
    with pytest.raises(TypeError):
        s.extra["level"] = "a"  # read-only
    with pytest.raises(ValueError, match="应为 a、b 之一"):
        call(folders, notebook="t4", level="c")
    with pytest.raises(ValueError, match="不认识参数 phase"):
        call(folders, notebook="t4", level="a", phase="issue")
    with pytest.raises(ValueError, match="未登记的 Notebook 编号"):
        call(folders, notebook="t9", level="a")


def test_extras_default_run_file_has_no_phase_for_01(folders, monkeypatch):
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    with pytest.raises(ValueError, match="Notebook 01 不认识参数 phase"):
        call(folders, phase="issue")


class _FakeShell:
    def __init__(self, inputs):
        self.user_ns = {"In": inputs}


def test_parameter_injected_by_papermill_but_unknown_is_an_error(folders, monkeypatch):
    import IPython

    injected = '# Parameters\nquarter = "2026Q4"\ntown = "太和镇"\nreturns = "x"\n'
    monkeypatch.setattr(IPython, "get_ipython", lambda: _FakeShell(["", "quarter: str = '2026Q4'", injected]))
    with pytest.raises(ValueError, match="不认识的参数：returns"):
        call(folders)
    ok = '# Parameters\nquarter = "2026Q4"\ntown = "太和镇"\n'
    monkeypatch.setattr(IPython, "get_ipython", lambda: _FakeShell(["", ok]))
    assert call(folders, town="太和镇").town == "太和镇"


# ------------------------------------------------------------------------------------------------ demo data


@pytest.fixture
def fake_synth(monkeypatch):
    """A stand-in for jykn_lib.synth.generate that writes a manifest and records its calls."""
    calls = []

    def generate(path, people, seed, as_of):
        path = Path(path)
        path.mkdir(parents=True)
        (path / "失业登记.csv").write_text("公民身份号码\n", encoding="utf-8")
        manifest = {"generator": {"name": "jykn synth", "seed": seed, "people": people, "as_of": str(as_of)},
                    "files": [{"file": "失业登记.csv"}]}  # like the real manifest: what it made
        (path / "synth_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        calls.append((people, seed, as_of))

    monkeypatch.setitem(sys.modules, "jykn_lib.synth", types.SimpleNamespace(generate=generate))
    return calls


def test_validation_never_builds_data_and_the_demo_data_is_an_explicit_call(folders, tmp_path, monkeypatch,
                                                                          fake_synth):
    demo_data = tmp_path / "demo" / "data"
    demo = {"data_dir": str(demo_data), "people": 50, "seed": 7, "as_of": dt.date(2026, 11, 26)}
    monkeypatch.setattr(np_mod, "load_yaml", lambda name: demo)
    with pytest.raises(ValueError, match="不存在"):  # validation alone: no side effect, a missing folder is an error
        call(folders, data_dir=str(demo_data))
    assert fake_synth == [] and not demo_data.exists()
    assert prepare_demo_data(str(demo_data)) is True
    s = call(folders, data_dir=str(demo_data))
    assert s.data_dir == demo_data.resolve() and (demo_data / "synth_manifest.json").is_file()
    assert fake_synth == [(50, 7, dt.date(2026, 11, 26))]
    assert prepare_demo_data(str(demo_data)) is False  # exists now: not built again
    other = tmp_path / "demo" / "other"
    assert prepare_demo_data(str(other)) is False and not other.exists()  # another folder is never a demo
    assert len(fake_synth) == 1


def test_a_quarter_folder_made_from_other_data_is_not_overwritten(folders, tmp_path):
    data, out = folders
    call(folders)
    other = tmp_path / "other_data"
    other.mkdir()
    with pytest.raises(ValueError, match="是用数据文件夹 .* 生成的"):
        call((other, out))
    call(folders)  # the same data folder again: fine
    claim_quarter(out.resolve() / "2026Q4", other.resolve(), replace=True)  # what jykn run --replace does
    assert call((other, out)).data_dir == other.resolve()
    with pytest.raises(ValueError, match="生成的"):
        call(folders)


def test_notebook_defaults_are_the_demo_set():
    """Every notebook's parameters cell defaults to params/demo.yaml as one set (quarter, as_of, folders)."""
    import papermill

    demo = np_mod.load_yaml("demo.yaml")
    want = {"quarter": str(demo["quarter"]), "as_of": str(demo["as_of"]), "data_dir": demo["data_dir"],
            "out_dir": demo["out_dir"]}
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        declared = papermill.inspect_notebook(str(path))
        got = {k: declared[k]["default"].strip("\"'") for k in want if k in declared}
        assert got == {k: v for k, v in want.items() if k in declared}, path.name


def test_ensure_synthetic_data(tmp_path, fake_synth):
    folder = tmp_path / "data"
    assert synthdata.ensure_synthetic_data(folder, people=10, seed=1, as_of="2026-11-26") is True
    assert synthdata.ensure_synthetic_data(folder, people=10, seed=1, as_of=dt.date(2026, 11, 26)) is False
    assert synthdata.ensure_synthetic_data(folder, people=20, seed=1, as_of="2026-11-26") is True
    assert fake_synth == [(10, 1, dt.date(2026, 11, 26)), (20, 1, dt.date(2026, 11, 26))]
    assert synthdata.synth_parameters(folder) == {"seed": "1", "people": "20", "as_of": "2026-11-26"}
    assert not list(tmp_path.glob(".data.tmp-*"))
    real = tmp_path / "real"
    real.mkdir()
    (real / "失业登记.xlsx").write_bytes(b"x")
    with pytest.raises(ValueError, match="不是合成数据"):
        synthdata.ensure_synthetic_data(real, people=10, seed=1, as_of="2026-11-26")
    assert (real / "失业登记.xlsx").read_bytes() == b"x" and len(fake_synth) == 2
