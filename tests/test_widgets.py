"""人员查询 and 名单筛选 driven through their widgets over the synthetic district, with 01's kept results; expected
answers from the data files and the generator's answer key (synth_manifest.json), never from the engine."""

import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest

from jykn_lib import idcard, kit, widgets
from jykn_lib.analyses import screening
from jykn_lib.kit.results import save_tables
from jykn_lib.retirement import retirement_date
from jykn_lib.widgets import common, listing, person

pytestmark = pytest.mark.slow
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")


@pytest.fixture(scope="module")
def ctx(synth_district, synth_manifest, tmp_path_factory):
    """01's district run kept in a fresh output folder, a fake later-notebook result for 2026Q3 (02) and 2026Q4 (03),
    then the query context of notebook 06."""
    out = tmp_path_factory.mktemp("adhoc")
    as_of = synth_manifest["generator"]["as_of"]
    setup01 = kit.validate_parameters(notebook="01", quarter="2026Q4", as_of=as_of, data_dir=str(synth_district),
                                      out_dir=str(out))
    kit.run(setup01, screening)
    cases = {c["case"]: c for c in synth_manifest["cases"]}
    audited = cases["e4_three_refusals"]["id_number"]
    # results of notebooks being written elsewhere: read generically, by their identity column and description
    save_tables(out / "2026Q3" / "区汇总" / "results" / "02_collect",
                {"exits": pd.DataFrame({"公民身份号码": [audited], "所属镇街": [cases["e4_three_refusals"]["town"]],
                                        "核实结果": ["属实"], "退出原因": ["E4 连续三次拒绝服务"]})},
                {"notebook": "02", "quarter": "2026Q3"}, {"exits": "镇街核实后确认的退出"})
    save_tables(out / "2026Q4" / "区汇总" / "results" / "03",
                {"overdue": pd.DataFrame({"id_number": [audited], "逾期天数": [45]})},
                {"notebook": "03", "quarter": "2026Q4"}, {"overdue": "逾期未提供的帮扶服务"})
    setup = kit.validate_parameters(notebook="06", quarter="2026Q4", as_of=as_of, data_dir=str(synth_district),
                                    out_dir=str(out))
    return widgets.build_context(setup)


@pytest.fixture(scope="module")
def cases(synth_manifest):
    return {c["case"]: c for c in synth_manifest["cases"]}


@pytest.fixture(scope="module")
def hukou(synth_district):
    """户籍人口 as the files hold it (read with pandas, not the suite's reader)."""
    frames = [pd.read_excel(p, dtype=str, header=None, engine="calamine") for p in sorted(synth_district.glob("户籍人口*.xlsx"))]
    rows = []
    for f in frames:
        head = next(i for i in range(10) if "公民身份号码" in set(f.iloc[i].astype(str)))
        body = f.iloc[head + 1:].copy()
        body.columns = f.iloc[head].astype(str).str.replace(" ", "")
        rows.append(body[["公民身份号码", "姓名"]])
    out = pd.concat(rows).dropna()
    out["公民身份号码"] = out["公民身份号码"].map(idcard.normalize)
    return out


# ------------------------------------------------------------------------------------------------------ 人员查询


def test_lookup_by_identity_number_typed_in_full_width(ctx, cases, synth_manifest):
    case = cases["e4_three_refusals"]
    form = widgets.person_form(ctx)
    form.box.value = case["id_number"].translate(FULL_WIDTH)
    html = form.output.value
    born = idcard.birth_date(case["id_number"])
    assert f"公民身份号码</th><td class='jykn-wrap'>{case['id_number']}" in html
    assert born.isoformat() in html and idcard.sex(case["id_number"]) in html
    as_of = dt.date.fromisoformat(synth_manifest["generator"]["as_of"])
    ledger = ctx.data.tables["ledger"]
    base = ledger.loc[ledger["id_number"] == case["id_number"], "women_base"].dropna()
    expected = retirement_date(born, idcard.sex(case["id_number"]), int(base.iloc[0]) if len(base) else None, as_of)
    assert f"法定退休日期</th><td class='jykn-wrap'>{expected.isoformat()}" in html
    for section in ("户籍与家庭", "台账状态与类别", "服务与经历时间线", "待处理事项", "审验记录", "出现在哪些数据来源"):
        assert f"<h4>{section}</h4>" in html
    # open flags: the exit the generator planted, worded by the parameters
    assert ctx.params.reasons(as_of)["E4"].label in html.split("<h4>待处理事项</h4>")[1].split("<h4>")[0]
    # every 帮扶记录 row of the person is on the timeline
    services = ctx.data.all_rows["services"]
    n = int((services["id_number"] == case["id_number"]).sum())
    assert n >= 3 and f"帮扶服务 {n} 次" in html and html.count("帮扶服务：") == n
    # kept results of other notebooks, generically: 02 of the quarter before (audit history), 03 (overdue services)
    audit = html.split("<h4>审验记录</h4>")[1].split("<h4>")[0]
    assert "2026Q3 定期审验（02_collect）：镇街核实后确认的退出" in audit and "属实" in audit
    flags = html.split("<h4>待处理事项</h4>")[1].split("<h4>")[0]
    assert "逾期未提供的帮扶服务" in flags and "45" in flags
    # 01's kept row, readable: its outcome in Chinese, its code columns left out
    other = html.split("<h4>本季度保存的其他结果</h4>")[1].split("<h4>")[0]
    assert "主动筛查（01）" in other and re.search(r"<td>结论</td><td[^>]*>排除</td>", other)  # recognised already
    assert "<td>outcome</td>" not in other and "<td>categories</td>" not in other


def test_lookup_says_when_overdue_services_were_not_computed(ctx, cases):
    bare = widgets.QueryContext(setup=ctx.setup, data=ctx.data, kept=ctx.bundles("01"))
    html = person.lookup(bare, cases["e10_lost_contact"]["id_number"]).html
    assert "逾期服务：未计算" in html and "没有定期审验（02）保存的结果" in html
    assert ctx.params.reasons(ctx.as_of)["E10"].label in html


def test_identity_numbers_are_validated_as_typed(ctx, cases):
    form = widgets.person_form(ctx)
    pid = cases["c01_candidate_f"]["id_number"]
    form.box.value = pid[:7]
    assert "应为18位" in form.output.value and "实际为7位" in form.output.value
    form.box.value = pid[:-1] + ("1" if pid[-1] != "1" else "2")
    assert "校验码" in form.output.value
    unknown = idcard.make_id("441803", dt.date(1950, 1, 1), 999)
    form.box.value = unknown
    assert "都没有公民身份号码为" in form.output.value
    form.box.value = ""
    assert form.output.value == ""


def test_lookup_by_name_offers_a_pick_list_when_several_match(ctx, hukou):
    counts = hukou.drop_duplicates("公民身份号码")["姓名"].value_counts()
    name = counts.index[0]
    assert counts.iloc[0] >= 2
    expected = set(hukou.loc[hukou["姓名"] == name, "公民身份号码"])
    form = widgets.person_form(ctx)
    form.box.value = name
    assert f"有 {len(expected)} 人与“{name}”匹配" in form.output.value
    assert form.pick.layout.display is None and {v for _, v in form.pick.options} == expected
    assert all(name in label and idcard.mask(v) in label for label, v in form.pick.options)  # masked in the list
    chosen = sorted(expected)[0]
    form.pick.value = chosen
    assert f"<td class='jykn-wrap'>{chosen}</td>" in form.output.value and name in form.output.value
    # a unique name opens the panel at once, and the pick list goes away
    unique = counts[counts == 1].index[0]
    form.box.value = " ".join(unique)  # typed with spaces between the characters
    assert form.pick.layout.display == "none"
    assert hukou.loc[hukou["姓名"] == unique, "公民身份号码"].iloc[0] in form.output.value


# ------------------------------------------------------------------------------------------------------ 名单筛选


def test_filter_by_town_and_category_matches_the_answer_key(ctx, synth_manifest):
    key = synth_manifest["screening_totals"]["candidates_by_town_category"]
    town, cats = max(key.items(), key=lambda kv: sum(kv[1].values()))
    code = max(cats, key=cats.get)
    form = widgets.listing_form(ctx)
    form.town.value = town
    form.screening.value = "candidate"
    form.categories.value = (code,)
    rows = form.rows()
    assert len(rows) == cats[code]
    assert f"符合条件 {cats[code]} 人。" in form.output.value
    assert (rows["所属镇街"] == town).all() and rows["类别"].str.contains(ctx.params.reasons(ctx.as_of)[f"C{code}"].label).all()
    # the counts table is by village within a town, with a total
    assert "<td>合计</td>" in form.output.value and "村居" in form.output.value
    # the village list follows the town
    assert set(rows["所属村居"]) - {""} <= set(form.village.options) and len(form.village.options) > 1
    form.town.value = common.ALL
    assert len(form.rows()) == sum(c.get(code, 0) for c in key.values())


def test_flags_age_and_sorting(ctx, synth_manifest):
    form = widgets.listing_form(ctx)
    form.flags["exits"].value = True
    flagged = set(form.rows()["公民身份号码"])
    assert flagged == {pid for pid, codes in synth_manifest["exit_labels"].items() if codes}
    form.flags["exits"].value = False
    form.age.value = (50, 59)
    form.order_by.value = "年龄"
    form.descending.value = True
    ages = form.rows()["年龄"].astype(int).tolist()
    assert ages and all(50 <= a <= 59 for a in ages) and ages == sorted(ages, reverse=True)


def test_export_writes_a_new_workbook_each_time_with_text_ids(ctx):
    form = widgets.listing_form(ctx)
    form.status.value = "有效"
    rows = form.rows()
    form.export_button.click()
    first = ctx.setup.out_root / "adhoc" / "名单筛选_2026Q4_001.xlsx"
    assert str(first) in form.export_path.value
    before = first.read_bytes()
    form.export_button.click()
    second = ctx.setup.out_root / "adhoc" / "名单筛选_2026Q4_002.xlsx"
    assert str(second) in form.export_path.value and first.read_bytes() == before  # never overwritten
    ws = openpyxl.load_workbook(second).active
    header = [c.value for c in ws[2]]
    assert header == listing.SHOWN
    col = header.index("公民身份号码") + 1
    ids = [ws.cell(row=r, column=col) for r in range(3, 3 + len(rows))]
    assert all(c.data_type == "s" for c in ids) and [c.value for c in ids] == rows["公民身份号码"].tolist()
    notes = [ws.cell(row=r, column=1).value for r in range(3 + len(rows), ws.max_row + 1)]
    assert "筛选条件：台账状态：有效" in notes and f"共 {len(rows)} 人。" in notes


def test_without_a_front_end_the_forms_say_so(ctx, capsys, monkeypatch):
    monkeypatch.delenv(common.APP_ENV, raising=False)
    widgets.show_forms(ctx)
    out = capsys.readouterr().out
    assert common.NO_FRONT_END in out and "季度 2026Q4" in out
    assert not any(pid in out for pid in ctx.data.tables["hukou"]["id_number"].head(50))


def test_the_01_forms_are_built_from_the_same_modules(ctx):
    tab = widgets.forms(ctx, which=("person", "listing"), town="太和镇")
    assert [tab.get_title(i) for i in range(2)] == ["人员查询", "名单筛选"]
    assert isinstance(tab.children[0], widgets.PersonForm) and isinstance(tab.children[1], widgets.ListingForm)
    assert tab.children[1].town.value == "太和镇" and (tab.children[1].rows()["所属镇街"] == "太和镇").all()
