"""03 台账检查 on the towns' files as they really come back (tests/data/ledger_review/make_fixtures.py builds them): a GBK
CSV sorted newest first with Chinese text dates and free text in a dropdown column, an old .xls, a ledger with a title
row and header synonyms, and 公益性岗位 with a merged title row, text 报送日期 in two styles and a free-text 岗位类别."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jykn_lib.analyses import ledger_review as L
from jykn_lib.io.reader import read_folder
from jykn_lib.params import load_parameters

sys_path = Path(__file__).parent / "data" / "ledger_review"
FOLDER = sys_path / "town_returns"
AS_OF = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def result():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", sys_path / "make_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    ds = read_folder(FOLDER, as_of=AS_OF, only=L.SOURCES)
    return L.review(ds, AS_OF, load_parameters(), missing=ds.missing), ds, fixtures


def _codes(result, pid):
    f = result.tables["findings"]
    return sorted(f.loc[(f["公民身份号码"] == pid) & f["kind"].isin(L.PROBLEM_KINDS), "问题代码"])


def test_every_row_of_every_return_is_used_or_listed(result):
    _, ds, _ = result
    assert ds.count_errors() == []
    services = ds.files[ds.files["来源"] == "帮扶记录"]
    assert sorted(services["文件"]) == ["帮扶记录_太和镇.csv", "帮扶记录_山塘镇.xls"]
    assert services["读入行数"].sum() == services["使用行数"].sum() + services["剔除行数"].sum()
    assert services["剔除行数"].sum() == 1  # only the free-text 服务结果 (an unknown value is refused, listed)
    posts = ds.files[ds.files["来源"] == "公益性岗位"].iloc[0]
    assert (posts["读入行数"], posts["使用行数"], posts["剔除行数"]) == (3, 2, 1)


def test_free_text_in_the_result_column_is_not_a_successful_follow_up(result):
    res, ds, fx = result
    refused = ds.problems[(ds.problems["文件"] == "帮扶记录_太和镇.csv") & (ds.problems["原值"] == "电话已联系")]
    assert list(refused["规则代码"]) == ["ENUM_INVALID"] and list(refused["处理"]) == ["剔除该行"]
    assert _codes(res, fx.A) == ["F_NO_CONTACT"]  # 2026-11-10 “电话已联系” is refused, not read as 已联系
    f = res.tables["findings"]
    evidence = f.loc[(f["公民身份号码"] == fx.A) & (f["问题代码"] == "F_NO_CONTACT"), "说明"].iloc[0]
    assert "最后一次成功跟踪 2026-10-09" in evidence  # the last 已联系 before the free-text row
    people = res.tables["people"].set_index("公民身份号码")
    assert people.loc[fx.A, "岗位推荐次数"] == 3  # the re-sorted CSV with text dates is read in full


def test_the_old_xls_return_is_read_and_its_people_are_clean(result):
    res, _, fx = result
    assert _codes(res, fx.B) == []
    people = res.tables["people"].set_index("公民身份号码")
    assert people.loc[fx.B, "帮扶计划完成情况"] == "按时完成" and people.loc[fx.B, "跟踪回访次数"] >= 6


def test_posts_with_text_report_dates_and_a_refused_row(result):
    res, _, fx = result
    towns = res.tables["post_towns"].set_index("所属镇街")
    assert towns.loc["太和镇", "报送情况"] == "按时报送" and towns.loc["山塘镇", "报送情况"] == "逾期报送"
    assert towns.loc["太和镇", "岗位数"] == 1  # the row with 岗位类别 “保洁员” was refused, not guessed as 保洁
    assert res.meta["posts_rejected"] == 1
    pushed = res.tables["push"]
    assert set(pushed.loc[pushed["公民身份号码"] == fx.C, "policy"]) == set()  # 公益性岗位补贴 and 培训补贴 are claimed
