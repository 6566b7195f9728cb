"""Reason codes: labels rendered from the parameters in force on the date, lazily."""

import datetime as dt
import shutil

import pytest
import yaml

from jykn_lib.params import REPO_ROOT, ParameterError, load_parameters
from jykn_lib.rules.reasons import load_reasons


def test_labels_are_rendered_from_the_parameters():
    reasons = load_reasons(load_parameters(), dt.date(2026, 11, 26))
    assert reasons["X_UNDER_AGE"].label == "未满16周岁"
    assert "按女职工50岁基准" in reasons["X_RETIRED_F50"].label and "女干部55岁基准" in reasons["X_RETIRED_F50"].label
    assert reasons["E10"].label == "失联6个月以上且未主动联系"
    assert reasons["C07"].label == "07 连续失业1年以上人员"


def test_a_label_naming_a_later_parameter_does_not_break_earlier_dates(tmp_path):
    """A notebook's reason may name a parameter that starts later: loading the reasons for an earlier date works, and
    only reading that one label there raises (in Chinese)."""
    root = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", root)
    (root / "rules" / "services" / "later_days.yaml").write_text(yaml.safe_dump({
        "description": "测试用：2027 年起的天数", "values": {dt.date(2027, 1, 1): {"value": 45, "source": "jykn_project",
                                                                      "status": "U"}}}, allow_unicode=True),
        encoding="utf-8")
    (root / "reasons" / "zz_test.yaml").write_text(yaml.safe_dump({"finding": {"T_LATER": {
        "label": "超过{rules.services.later_days}天", "source": "jykn_project", "article": "测试", "status": "U"}}},
        allow_unicode=True), encoding="utf-8")
    params = load_parameters(root)
    early = load_reasons(params, dt.date(2026, 11, 26))
    assert early["X_UNDER_AGE"].label == "未满16周岁"
    with pytest.raises(ParameterError, match="尚无取值"):
        _ = early["T_LATER"].label
    assert load_reasons(params, dt.date(2027, 1, 1))["T_LATER"].label == "超过45天"
