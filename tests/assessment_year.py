"""A small simulated year written as kept results (the Parquet the other notebooks keep under
<out>/<quarter>/区汇总/results/): the 04 tests recompute its indicators by hand. Synthetic people only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jykn_lib.kit import results as K

T, S = "太和镇", "山塘镇"
TS = pd.Timestamp
# synthetic people (not real): identity numbers with a valid-looking shape, names, phones
PEOPLE = {
    "a": ("441827198001011234", "甲一鸣", "13800000001"), "b": ("441827198102021235", "乙二丽", "13800000002"),
    "c": ("441827198203031236", "丙三强", "13800000003"), "d": ("441827198304041237", "丁四娟", "13800000004"),
    "e": ("441827198405051238", "戊五峰", "13800000005"), "f": ("441827198506061239", "己六琴", "13800000006"),
}


def ledger(rows) -> pd.DataFrame:
    """rows: (key, town, status, employment, employment_date, exit_reason, categories, recognised); an exit is dated
    2026-07-31."""
    return pd.DataFrame([{
        "id_number": PEOPLE[k][0], "name": PEOPLE[k][1], "phone": PEOPLE[k][2], "town": town, "status": status,
        "employment_status": emp, "employment_date": TS(ed) if ed else pd.NaT, "exit_reason": reason,
        "exit_date": TS("2026-07-31") if reason else pd.NaT,
        "categories": cats, "recognised_date": TS(rec)} for k, town, status, emp, ed, reason, cats, rec in rows])


def collect(q_ledger, outcome, files, exits, direct) -> dict[str, pd.DataFrame]:
    return {"ledger": q_ledger, "outcome": pd.DataFrame(outcome), "files": pd.DataFrame(files),
            "exits": pd.DataFrame(exits, columns=["公民身份号码", "姓名", "所属镇街", "退出日期", "退出原因"]),
            "direct": pd.DataFrame(direct, columns=["公民身份号码", "姓名", "所属镇街", "事件日期"])}


def out_row(k, town, file, conclusion, verified=None):
    return {"核实编号": f"x-{k}", "所属镇街": town, "姓名": PEOPLE[k][1], "公民身份号码": PEOPLE[k][0],
            "来源文件": file, "结论": conclusion, "核实日期": TS(verified) if verified else pd.NaT}


def write_year(out: Path) -> None:
    """2026Q1 and Q3 kept (02 collect, 03 in Q3 only, 01 in Q1); Q2 has nothing kept."""
    q1 = collect(
        ledger([("a", T, "有效", "单位就业", "2026-01-10", None, "01", "2025-06-01"),
                ("b", T, "有效", "未就业", None, None, "01", "2025-06-01"),
                ("c", T, "有效", "未就业", None, None, "04", "2026-02-01"),
                ("e", S, "有效", "灵活就业", "2026-02-01", None, "01", "2025-07-01"),
                ("f", S, "有效", "未就业", None, None, "01", "2025-07-01")]),
        [out_row("a", T, "f1.xlsx", "仍符合条件", "2026-01-20"), out_row("b", T, "f1.xlsx", "确认退出", "2026-01-20"),
         out_row("c", T, None, "未返回"), out_row("e", S, "f2.xlsx", "待补正", "2026-01-25"),
         out_row("f", S, "f2.xlsx", "仍符合条件", "2026-01-25")],
        [{"文件": "f1.xlsx", "所属镇街": T, "按时": "按时"}, {"文件": "f2.xlsx", "所属镇街": S, "按时": "逾期"}],
        [(PEOPLE["b"][0], PEOPLE["b"][1], T, TS("2026-01-31"), "E5"),  # 11 days after 核实: timely
         (PEOPLE["d"][0], PEOPLE["d"][1], T, TS("2026-03-31"), "E1")],  # 区直接: 60 days after the event: late
        [(PEOPLE["d"][0], PEOPLE["d"][1], T, TS("2026-01-30"))])
    q3 = collect(
        ledger([("a", T, "有效", "单位就业", "2026-01-10", None, "01", "2025-06-01"),
                ("b", T, "有效", "单位就业", "2026-08-01", None, "01", "2025-06-01"),
                ("c", T, "有效", "单位就业", "2026-02-20", None, "04", "2026-02-01"),
                ("e", S, "已退出", "灵活就业", "2026-02-01", "E5", "01", "2025-07-01"),
                ("f", S, "有效", "未就业", None, None, "01", "2025-07-01")]),
        [out_row("f", S, "f3.xlsx", "仍符合条件", "2026-07-10")],
        [{"文件": "f3.xlsx", "所属镇街": S, "按时": "按时"}], [], [])
    keep(out, "2026Q1", "02_collect", q1, "2026-01-30")
    keep(out, "2026Q3", "02_collect", q3, "2026-07-31")
    keep(out, "2026Q1", "01", {"people": pd.DataFrame({
        "公民身份号码": [PEOPLE["c"][0], PEOPLE["f"][0]], "所属镇街": [T, S], "姓名": [PEOPLE["c"][1], PEOPLE["f"][1]],
        "outcome": ["candidate", "candidate"]})}, "2026-01-05")  # c recognised 27 days later; f never
    keep(out, "2026Q3", "03", {
        "people": pd.DataFrame({"公民身份号码": [PEOPLE[k][0] for k in "abcf"], "所属镇街": [T, T, T, S],
                                "姓名": [PEOPLE[k][1] for k in "abcf"], "就业状态": ["单位就业", "单位就业", "单位就业", "未就业"]}),
        "findings": pd.DataFrame({"公民身份号码": [PEOPLE["a"][0], PEOPLE["f"][0]], "所属镇街": [T, S],
                                  "问题代码": ["L_PHONE_MISSING", "F_NO_CONTACT"]}),
        "plan": pd.DataFrame({"公民身份号码": [PEOPLE["c"][0]] * 2, "所属镇街": [T, T], "服务": ["职业指导", "岗位推荐"],
                              "认定日期": [TS("2026-02-01")] * 2, "状态": ["按时完成", "逾期完成"]}),
        "post_towns": pd.DataFrame({"所属镇街": [T, S], "在岗": [2, 0], "安置已认定人员": [1, 0],
                                    "报送情况": ["按时报送", "未报送"]})}, "2026-07-15")


def keep(out: Path, q: str, name: str, tables: dict, as_of: str) -> None:
    K.save_tables(out / q / "区汇总" / "results" / name, tables, {"as_of": as_of})
