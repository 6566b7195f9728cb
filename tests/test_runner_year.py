"""jykn run --year: the year notebooks (04 年度考核) in one runner with the quarters — their own folder <out>/<year>/,
their own parameters (year, as_of, town, out_dir), never picked by a quarter run, and pages linking each other."""

from __future__ import annotations

import datetime as dt

import pytest
from assessment_year import PEOPLE, write_year

from jykn_lib import cli
from jykn_lib.runner.plan import RunError, YearPeriod, build_plan, prepare_request


def test_a_year_request_has_its_folder_parameters_and_notebooks(tmp_path):
    req = prepare_request(None, None, tmp_path, year=2026)
    assert req.quarter == YearPeriod(2026) and req.quarter_dir == tmp_path.resolve() / "2026"
    assert req.as_of == dt.date(2026, 12, 31)
    assert [nb.id for nb in req.notebooks] == ["04"]
    (spec,) = build_plan(req)
    assert spec.blocked is None, spec.blocked
    assert spec.parameters == {"year": 2026, "as_of": "2026-12-31", "town": "全区", "out_dir": str(tmp_path.resolve())}
    assert spec.output_ipynb == tmp_path.resolve() / "2026" / "区汇总" / "04_town_assessment_2026_区汇总.ipynb"
    assert spec.expected == ("区汇总/镇街考核_2026.xlsx", "区汇总/镇街考核_总分_2026_区汇总.png")


def test_a_quarter_run_never_picks_a_year_notebook(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    req = prepare_request("2026Q4", data, tmp_path / "out")
    assert "04" not in [nb.id for nb in req.notebooks] and req.notebooks
    with pytest.raises(RunError, match="--year"):
        prepare_request("2026Q4", data, tmp_path / "out", notebooks="04")
    with pytest.raises(RunError, match="--quarter"):
        prepare_request(None, None, tmp_path / "out", year=2026, notebooks="01")
    with pytest.raises(RunError, match="不在 2026年度之内"):
        prepare_request(None, None, tmp_path / "out", year=2026, as_of="2027-01-05")


def test_year_and_quarter_options_do_not_mix(tmp_path, capsys):
    assert cli.main(["run", "--year", "2026", "--quarter", "2026Q4", "--out", str(tmp_path)]) == 2
    assert "不能同时使用" in capsys.readouterr().err
    assert cli.main(["run", "--out", str(tmp_path)]) == 2  # neither: --quarter and --data still required
    assert "缺少必填参数：--quarter、--data" in capsys.readouterr().err


@pytest.mark.slow
def test_jykn_run_year_writes_the_year_folder_and_links_the_quarters(tmp_path, capsys):
    write_year(tmp_path)
    (tmp_path / "2026Q1" / "index.html").write_text("<html></html>", encoding="utf-8")
    code = cli.main(["run", "--year", "2026", "--notebooks", "04", "--out", str(tmp_path), "--as-of", "2026-11-26",
                     "--jobs", "1", "--quiet"])
    assert code == 0, capsys.readouterr().err
    year = tmp_path / "2026"
    for name in ("index.html", "领导报告.html", "run_manifest.json", "区汇总/镇街考核_2026.xlsx",
                 "区汇总/04_town_assessment_2026_区汇总.html"):
        assert (year / name).is_file(), name
    index = (year / "index.html").read_text(encoding="utf-8")
    assert 'href="../2026Q1/index.html"' in index and "年度 2026" in index
    html = (year / "区汇总" / "04_town_assessment_2026_区汇总.html").read_text(encoding="utf-8")
    assert "总分排名" in html
    for id_number, name, phone in PEOPLE.values():
        assert id_number not in html and name not in html and phone not in html


def test_a_quarter_page_links_the_year_page_once_it_exists(tmp_path):
    from jykn_lib.runner import index

    data = tmp_path / "data"
    data.mkdir()
    req = prepare_request("2026Q4", data, tmp_path / "out")
    assert index._other_periods(req) == []  # no dead link before the year has run
    (tmp_path / "out" / "2026").mkdir(parents=True)
    (tmp_path / "out" / "2026" / "index.html").write_text("<html></html>", encoding="utf-8")
    (link,) = index._other_periods(req)
    assert link.href == "../2026/index.html" and "年度" in link.text
