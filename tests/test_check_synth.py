"""`jykn check` on the default synthetic district: every fault planted by `jykn synth` (synth_manifest.json) is caught
at its Excel row with its rule code, no clean row is rejected, and the counts add up for every file.

Manifest entries: {"kind", "source", "file", "sheet", "row", "column", "value",
                   "expect": {"rule": <rule code or null>, "action": rejected|used|collapsed|conflict_kept|blank}}.
"""

from __future__ import annotations

import json

import pytest

from jykn_lib.contract import load_contract
from jykn_lib.io import problems as P
from jykn_lib.io.reader import read_folder

pytestmark = pytest.mark.slow

AS_OF = "2026-11-26"  # params/demo.yaml reference date


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "data"
    try:
        from jykn_lib.synth import generate
    except ImportError:
        generate = None
    if generate is not None:
        generate(out)
    else:
        from jykn_lib.cli import main as cli

        try:
            cli(["synth", str(out)])
        except SystemExit as exc:  # the placeholder command
            pytest.skip(f"jykn synth 尚不可用：{exc}")
    manifest = out / "synth_manifest.json"
    if not manifest.exists():
        pytest.skip("jykn synth 未生成 synth_manifest.json")
    faults = json.loads(manifest.read_text(encoding="utf-8"))["faults"]
    return out, faults, read_folder(out, as_of=AS_OF)


def test_jykn_check_passes_on_the_district(district, capsys):
    from jykn_lib.cli import main as cli

    out, _, ds = district
    report = out.parent / "数据检查报告.xlsx"
    assert cli(["check", "--data", str(out), "--as-of", AS_OF, "--notebook", "01"]) == 0
    printed = capsys.readouterr().out
    assert "结论：通过" in printed and report.exists()
    assert f"问题数据：{len(ds.problems)} 条" in printed


def _source_title(value: str) -> str:
    contract = load_contract()
    return contract[value].title if value in contract.sources else value


def _problems_at(ds, fault) -> list[dict]:
    p = ds.problems
    hit = p[(p["文件"] == fault["file"])]
    if fault.get("row") is not None:
        hit = hit[hit["行号"] == int(fault["row"])]
    return hit.to_dict("records")


def test_every_planted_fault_is_caught(district):
    _, faults, ds = district
    rejected_rows = {(f["file"], f["row"]) for f in faults if f["expect"]["action"] == "rejected"}
    missed = []
    for fault in faults:
        rule, action = fault["expect"].get("rule"), fault["expect"]["action"]
        found = _problems_at(ds, fault)
        here = [r for r in found if rule is None or r["规则代码"] == rule]
        where = f"{fault['kind']} {fault['file']} 第{fault.get('row')}行 {fault.get('column')} {fault.get('value')!r}"
        if action == "rejected":
            ok = any(r["处理"] == P.REJECT for r in here)
        elif action == "blank" and rule is None:  # a fully blank row: counted apart, never a problem
            ok = not found and fault["row"] not in set(_rows_of(ds, fault))
        elif action == "blank":  # blanked, unless another fault rejected the same row
            ok = any(r["处理"] == P.BLANK or (r["处理"] == P.REJECT and (fault["file"], fault["row"]) in rejected_rows)
                     for r in here)
        elif action == "collapsed":
            ok = any(r["规则代码"] == "DUPLICATE_IDENTICAL" and r["处理"] == P.MERGED for r in here)
        elif action == "conflict_kept":
            ok = any(r["规则代码"] == "DUPLICATE_CONFLICT" and r["处理"] == P.CONFLICT for r in here)
        elif action == "used":
            ok = not any(r["处理"] == P.REJECT for r in found) and (rule is None or bool(here))
        else:
            ok = False
        if ok and fault.get("row") is not None and fault.get("column") and rule and not rule.startswith("DUPLICATE"):
            ok = any(r["列"] == fault["column"] for r in here)
        if not ok:
            missed.append(f"{where}：应为 {rule}/{action}，实际 {[(r['规则代码'], r['处理'], r['列']) for r in found]}")
    assert not missed, "\n".join(missed[:30])


def _rows_of(ds, fault) -> list[int]:
    title = _source_title(fault["source"])
    name = next(n for n, t in ((n, _source_title(n)) for n in ds.all_rows) if t == title)
    frame = ds.all_rows[name]
    return frame.loc[frame["_file"] == fault["file"], "_row"].astype(int).tolist()


def test_blank_rows_headers_and_conflict_choices(district):
    _, faults, ds = district
    files = ds.files.set_index("文件")
    blank = {}
    for fault in faults:
        kind = fault["kind"]
        if kind == "blank_row":
            blank[fault["file"]] = blank.get(fault["file"], 0) + 1
        elif kind in ("title_row", "header_synonym"):
            assert files.loc[fault["file"], "表头行"] == fault["row"], fault
        elif kind == "duplicate_conflict":
            title = _source_title(fault["source"])
            name = next(n for n in ds.all_rows if _source_title(n) == title)
            frame = ds.all_rows[name]
            rows = frame[(frame["_file"] == fault["file"]) & frame["_row"].isin(fault["rows"])]
            assert sorted(rows["_row"].astype(int)) == sorted(fault["rows"]), fault  # every conflicting row kept
            chosen = rows.loc[rows["_chosen"], "_row"].astype(int).tolist()
            assert chosen == [fault["chosen_row"]], fault
    for file, n in blank.items():
        assert files.loc[file, "空行数"] == n, file


def test_no_clean_row_is_rejected(district):
    _, faults, ds = district
    planted = {(f["file"], int(f["row"])) for f in faults if f.get("row") is not None}
    rejected = ds.problems[ds.problems["处理"] == P.REJECT]
    stray = {(f, int(r)) for f, r in zip(rejected["文件"], rejected["行号"])} - planted
    assert not stray, sorted(stray)[:30]


def test_no_unplanted_problems(district):
    """Stricter than the rejections: no row outside the answer key is flagged at all (a warning or a merge on an
    unplanted row means the reader and the synthetic district disagree about what is clean)."""
    _, faults, ds = district
    planted = {(f["file"], int(f["row"])) for f in faults if f.get("row") is not None}
    for f in faults:
        planted |= {(f["file"], int(r)) for r in f.get("rows", [])}
    flagged = ds.problems.dropna(subset=["行号"])
    unexpected = {(f, int(r), c) for f, r, c in zip(flagged["文件"], flagged["行号"], flagged["规则代码"])
                  if (f, int(r)) not in planted}
    assert not unexpected, sorted(unexpected)[:30]


def test_counts_add_up(district):
    _, faults, ds = district
    assert ds.count_errors() == []
    for f in ds.files.itertuples(index=False):
        assert f.读入行数 == f.使用行数 + f.剔除行数, f.文件
    for fault in faults:
        assert _source_title(fault["source"]) in set(ds.files["来源"]) | {None}, fault["source"]
