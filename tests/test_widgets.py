"""The analyst's widget forms answer without a browser: drive the inputs, read the answer."""

import datetime as dt

import pandas as pd

from jykn_lib import widgets
from jykn_lib.idcard import make_id

PID = make_id("441803", dt.date(1980, 5, 17), 124)


def _people():
    return pd.DataFrame({
        "公民身份号码": [PID, make_id("441803", dt.date(1990, 1, 1), 1)],
        "姓名": ["张三", "李四"], "所属镇街": ["太和镇", "山塘镇"], "所属村居": ["黄坑村", ""],
        "outcome": ["candidate", "excluded"], "categories": ["01,07", "02"],
        "判定依据": ["01 大龄失业人员：女，46周岁（粤人社规〔2023〕11号 第一条第（一）项）", ""],
        "排除原因": ["", "近期有单位社保缴费（不属于无业状态）"], "依据": ["", "粤人社规〔2023〕11号 第一条（处于无业状态）"],
        "提示": ["", ""], "符合类别": ["01 大龄失业人员、07 连续失业1年以上人员", "02 残疾人员"],
    })


def test_person_lookup_answers_with_reasons_and_accepts_full_width_digits():
    form = widgets.person_lookup(_people())
    box, answer = form.children[1], form.children[2]
    box.value = PID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert "张三" in answer.value and "符合" in answer.value and "第一条第（一）项" in answer.value
    box.value = "123"
    assert "18位" in answer.value
    box.value = make_id("441803", dt.date(1970, 1, 1), 3)
    assert "不在本期筛查范围" in answer.value


def test_list_filter_narrows_by_town_outcome_and_category():
    form = widgets.list_filter(_people(), ["太和镇", "山塘镇"], {"01": "01 大龄失业人员", "02": "02 残疾人员"})
    town, outcome, category = form.children[1].children
    answer = form.children[2]
    assert "共 2 条" in answer.value
    town.value = "山塘镇"
    assert "李四" in answer.value and "张三" not in answer.value
    town.value = widgets.ALL
    category.value = "01"
    assert "张三" in answer.value and "李四" not in answer.value
    outcome.value = "excluded"
    assert "没有符合条件的记录" in answer.value
