"""The batch runner (jykn run): run file, plan, papermill pool, failures, index.html, run_manifest.json.

Uses the fixture notebooks and run file of tests/data/notebooks (see make_fixtures.py there), not the real notebooks:
t1 writes its outputs (its town runs need the district run's cache), t2 raises in its 5th cell for 山塘镇 only,
t3 runs and writes nothing, t4 has an extra parameter and runs after t1. Two real batches are run once per session,
also when pytest-xdist spreads the tests over workers (about 7 kernel starts with --jobs 2, plus one for the stale-output
check); everything else is checked without a kernel.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from jykn_lib import cli
from jykn_lib.contract import load_contract, town_names
from jykn_lib.params import REPO_ROOT
from jykn_lib.periods import Quarter
from jykn_lib.report import PHONE_REMOVED, html_has_code_cells
from jykn_lib.runner import RunError, build_plan, load_registry, prepare_request
from jykn_lib.runner import plan as plan_mod
from jykn_lib.runner.execute import mask_personal
from jykn_lib.runner.plan import split_list
from jykn_lib.runner.registry import RegistryError
from jykn_lib.workdays import first_working_day_of_quarter

FIXTURES = REPO_ROOT / "tests" / "data" / "notebooks"
REGISTRY = FIXTURES / "registry.yaml"
FAKE_ID = "441803199001011234"
FAKE_PHONE = "13912345678"
FAKE_NAME = "欧阳某某"
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)")
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

def make_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "失业登记.csv").write_text(
        f"公民身份号码,姓名,失业登记日期,联系电话\n{FAKE_ID},{FAKE_NAME},2026-01-05,{FAKE_PHONE}\n", encoding="utf-8"
    )
    (folder / "说明.txt").write_text("不属于任何来源的文件\n", encoding="utf-8")
    return folder


DIGITS = re.compile(r"[0-9]{18,}")


def digit_hash_text() -> bytes:
    """A file content whose sha256 holds a run of 18+ decimal digits: what the old masking of the manifest corrupted
    (it looks like an identity number). Found by counting, the same every time."""
    n = 0
    while True:
        data = f"备注 {n}\n".encode()
        if DIGITS.search(hashlib.sha256(data).hexdigest()):
            return data
        n += 1


def jykn(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return make_data(tmp_path_factory.mktemp("runner") / "data")


def shared_batch(tmp_path_factory, name: str, *args: str) -> dict:
    """Run one batch once per test session, even when pytest-xdist spreads this file over several workers (the
    workers of a session share the parent of their base temp folders; a lock makes the others wait and reuse it)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / f"runner_batch_{name}"
    with open(root / f"runner_batch_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "result.json"
        if not done.exists():
            data = make_data(folder / "data")
            (data / "备注.txt").write_bytes(digit_hash_text())
            code, stdout, stderr = jykn(
                "run", "--quarter", "2026Q4", "--data", str(data), "--out", str(folder / "out"), "--jobs", "2",
                "--registry", str(REGISTRY), *args,
            )
            done.write_text(json.dumps({"code": code, "stdout": stdout, "stderr": stderr}), encoding="utf-8")
    result = json.loads(done.read_text(encoding="utf-8"))
    qdir = folder / "out" / "2026Q4"
    manifest_path = qdir / "run_manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    return dict(result, qdir=qdir, data=folder / "data", manifest=manifest)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """t1 (district + 太和镇) and t4 (district, after t1): everything succeeds."""
    return shared_batch(tmp_path_factory, "good", "--towns", "太和镇", "--notebooks", "t1,t4")


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """t2 (fails for 山塘镇 in its 5th cell) and t3 (writes nothing) for 太和镇 and 山塘镇."""
    return shared_batch(tmp_path_factory, "mixed", "--towns", "山塘镇，太和镇", "--notebooks", "t2,t3")


def without_hashes(manifest: dict) -> str:
    """The manifest as text without its sha256 values: a hash may hold a digit run that looks like a phone number,
    and must stay exact (test_manifest_hashes_equal_sha256sum)."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "sha256"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(manifest), ensure_ascii=False)


def runs_by_key(manifest: dict) -> dict[str, dict]:
    return {r["key"]: r for r in manifest["runs"]}


# ------------------------------------------------------------------------------------------------ a good run


def test_good_run_exits_zero_and_writes_everything(good_run):
    assert good_run["code"] == 0, good_run["stdout"] + good_run["stderr"]
    q = good_run["qdir"]
    assert (q / "index.html").is_file() and (q / "run_manifest.json").is_file()
    for rel in ["区汇总/good_2026Q4_区汇总", "太和镇/good_2026Q4_太和镇", "区汇总/extra_2026Q4_区汇总"]:
        assert (q / f"{rel}.ipynb").is_file(), rel
        html = (q / f"{rel}.html").read_text(encoding="utf-8")
        assert 'lang="zh-CN"' in html and not html_has_code_cells(html)
    assert (q / "区汇总" / "好汇总_2026Q4.xlsx").stat().st_size > 0
    assert (q / "太和镇" / "好名单_2026Q4_太和镇.xlsx").stat().st_size > 0
    assert (q / "区汇总" / "额外_2026Q4_a.xlsx").is_file()  # the extra parameter's default names the output
    assert "成功 3 个，未成功 0 个" in good_run["stdout"]
    assert good_run["stdout"].strip().splitlines()[-1] == f"索引页：{q / 'index.html'}"


def test_towns_filter(good_run):
    folders = {p.name for p in good_run["qdir"].iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert folders == {"区汇总", "太和镇"}
    assert good_run["manifest"]["parameters"]["towns"] == ["太和镇"]
    assert sorted(runs_by_key(good_run["manifest"])) == ["t1/区汇总", "t1/太和镇", "t4/区汇总"]


def test_parameters_passed_to_the_notebook(good_run):
    nb = nbformat.read(good_run["qdir"] / "太和镇" / "good_2026Q4_太和镇.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and injected[0].source.startswith("# Parameters")  # what validate_parameters looks for
    as_of = first_working_day_of_quarter(Quarter(2026, 4)).isoformat()
    assert f'as_of = "{as_of}"' in injected[0].source and 'town = "太和镇"' in injected[0].source
    assert good_run["manifest"]["parameters"]["as_of"] == as_of


def test_ordering_town_after_district_and_after_notebooks(good_run):
    runs = runs_by_key(good_run["manifest"])
    end = {k: r["started_offset_seconds"] + r["duration_seconds"] for k, r in runs.items()}
    assert runs["t1/太和镇"]["started_offset_seconds"] >= end["t1/区汇总"] - 0.05
    assert runs["t4/区汇总"]["started_offset_seconds"] >= max(end["t1/区汇总"], end["t1/太和镇"]) - 0.05


def test_manifest_content(good_run):
    m = good_run["manifest"]
    csv = good_run["data"] / "失业登记.csv"
    inputs = {i["name"]: i for i in m["inputs"]}
    assert set(inputs) == {"失业登记.csv", "说明.txt", "备注.txt"}
    assert inputs["失业登记.csv"]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert inputs["失业登记.csv"]["size"] == csv.stat().st_size
    import jykn_lib
    from jykn_lib.params import load_parameters

    assert m["versions"]["jykn"] == jykn_lib.__version__
    assert m["versions"]["rules"] == load_parameters().version()
    assert {"python", "pandas", "papermill"} <= set(m["versions"])
    assert m["duration_seconds"] > 0 and m["summary"] == {"runs": 3, "ok": 3, "failed": 0}
    runs = runs_by_key(m)
    assert all(r["duration_seconds"] > 0 and r["error"] is None for r in runs.values())
    assert runs["t1/太和镇"]["row_counts"] == {"失业登记": 3}
    assert runs["t1/太和镇"]["figures"] == {"引导申请人数": 1}
    outputs = {o["path"]: o for o in runs["t1/区汇总"]["outputs"]}
    xlsx = good_run["qdir"] / "区汇总" / "好汇总_2026Q4.xlsx"
    assert outputs["区汇总/好汇总_2026Q4.xlsx"]["sha256"] == hashlib.sha256(xlsx.read_bytes()).hexdigest()
    assert {"区汇总/good_2026Q4_区汇总.ipynb", "区汇总/good_2026Q4_区汇总.html"} <= set(outputs)
    assert not any(".jykn" in f["path"] for f in m["files"])  # caches are not listed
    assert m["status"] == "完成" and m["interrupted_by"] is None
    assert all(f["current"] for f in m["files"])  # one batch into an empty folder: everything is this run's


def test_manifest_timing_by_stage(good_run):
    """Each good run says where its seconds went (benchmarks/bench_quarter.py prints it): the stages are papermill's
    own cell timestamps, so they add up to no more than the run's wall time."""
    for key, r in runs_by_key(good_run["manifest"]).items():
        t = r["timing"]
        assert {"kernel_start", "setup", "run", "cells", "library", "html", "total"} <= set(t), key
        assert all(t[k] >= 0 for k in ("kernel_start", "setup", "run", "cells", "html")), key
        assert t["kernel_start"] + t["setup"] + t["run"] + t["cells"] + t["html"] <= t["total"] + 0.05, key
        assert t["total"] == pytest.approx(r["duration_seconds"], abs=0.01)
        # the runner's own steps cover the run, papermill (kernel and cells) among them
        assert set(t["runner"]) == {"prepare", "papermill", "check", "html", "finish"}, key
        assert t["runner"]["papermill"] >= t["kernel_start"] + t["setup"] + t["run"] + t["cells"] - 0.05, key
        assert sum(t["runner"].values()) <= t["total"] + 0.01, key
    # the fixture notebook does not use the kit, so its library steps are empty
    assert runs_by_key(good_run["manifest"])["t1/太和镇"]["timing"]["library"] == {}


def test_manifest_hashes_equal_sha256sum(good_run):
    """Every hash in the manifest, inputs and outputs, is exactly what sha256sum prints (no masking inside hashes)."""
    import shutil
    import subprocess

    assert shutil.which("sha256sum")
    m, q, data = good_run["manifest"], good_run["qdir"], good_run["data"]
    pairs = [(data / i["name"], i["sha256"]) for i in m["inputs"]]
    pairs += [(q / f["path"], f["sha256"]) for f in m["files"]]
    pairs += [(q / o["path"], o["sha256"]) for r in m["runs"] for o in r["outputs"]]
    assert any(DIGITS.search(h) for _, h in pairs)  # the case the old masking broke is among them
    for path, digest in pairs:
        out = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout
        assert out.split()[0] == digest, path


def test_progress_lines_have_timestamps_and_no_kernel_noise(good_run):
    lines = [ln for ln in good_run["stderr"].splitlines() if ln.strip()]
    assert lines and all(re.match(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] ", ln) for ln in lines), lines
    assert sum("[3/3]" in ln for ln in lines) == 1
    logs = "".join(p.read_text(encoding="utf-8") for p in good_run["qdir"].glob("*/.jykn/*.log"))
    assert "TCP" not in good_run["stderr"] + good_run["stdout"] + logs


def test_file_modes_personal_data_never_more_open_than_reports(good_run):
    q = good_run["qdir"]
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    for p in [q / "区汇总" / "good_2026Q4_区汇总.ipynb", q / "太和镇" / "good_2026Q4_太和镇.ipynb"]:
        assert mode(p) == 0o600, p  # executed notebooks hold full identity numbers
    for p in [q / "index.html", q / "领导报告.html", q / "run_manifest.json", q / "区汇总" / "good_2026Q4_区汇总.html"]:
        assert mode(p) & 0o044, p  # reports are readable by the office


def test_index_links_are_relative_and_resolve(good_run):
    q = good_run["qdir"]
    text = (q / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "<table>" in text
    hrefs = re.findall(r'href="([^"]+)"', text)
    assert len(hrefs) >= 8
    for href in hrefs:
        assert not href.startswith(("/", "file:", "http")), href
        assert (q / unquote(href)).is_file(), href
    assert text.index("<h2>区汇总</h2>") < text.index("<h2>太和镇</h2>")
    assert text.count('class="ok">成功') == 3
    assert "较早运行" not in text and "运行中" not in text


def test_leaders_page_links_only_reports(good_run):
    q = good_run["qdir"]
    text = (q / "领导报告.html").read_text(encoding="utf-8")
    hrefs = [unquote(h) for h in re.findall(r'href="([^"]+)"', text)]
    assert sorted(hrefs) == ["区汇总/extra_2026Q4_区汇总.html", "区汇总/good_2026Q4_区汇总.html",
                             "太和镇/good_2026Q4_太和镇.html"]
    assert not re.search(r"\.(xlsx|ipynb|json)\b", text)  # no workbook, executed notebook or manifest, not even named
    assert (q / "index.html").read_text(encoding="utf-8").count('href="%E9%A2%86%E5%AF%BC%E6%8A%A5%E5%91%8A.html"') == 1


# ------------------------------------------------------------------------------------------------ failures


def test_failure_exit_code_and_others_still_ran(mixed_run):
    assert mixed_run["code"] != 0
    q = mixed_run["qdir"]
    runs = runs_by_key(mixed_run["manifest"])
    assert runs["t2/区汇总"]["ok"] and runs["t2/太和镇"]["ok"]
    assert (q / "太和镇" / "fails_2026Q4_太和镇.html").is_file()
    assert (q / "太和镇" / "坏名单_2026Q4_太和镇.xlsx").is_file()
    assert not runs["t2/山塘镇"]["ok"] and runs["t2/山塘镇"]["status"] == "失败"
    assert not (q / "山塘镇" / "fails_2026Q4_山塘镇.html").exists()


def test_partial_notebook_kept_with_the_error(mixed_run):
    assert not (mixed_run["qdir"] / "山塘镇" / "fails_2026Q4_山塘镇.ipynb").exists()  # not where a good one would be
    path = mixed_run["qdir"] / "山塘镇" / ".失败输出" / "fails_2026Q4_山塘镇" / "fails_2026Q4_山塘镇.ipynb"
    assert path.stat().st_mode & 0o777 == 0o600
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ValueError" and "测试错误" in errors[0].evalue


def test_failure_report_names_notebook_town_cell_and_exception(mixed_run):
    run = runs_by_key(mixed_run["manifest"])["t2/山塘镇"]
    err = run["error"]
    assert err["cell"] == 5  # markdown, parameters, setup, print, raise: the 5th cell of fails.ipynb
    assert err["cell_first_line"] == 'if setup.town == "山塘镇":'
    assert err["ename"] == "ValueError" and err["evalue"].startswith("测试错误：山塘镇")
    assert run["status_text"] == "失败（第5个单元格：ValueError）"
    line = next(ln for ln in mixed_run["stdout"].splitlines() if "✗ t2" in ln)
    for part in ["t2 测试出错", "山塘镇", "第5个单元格", 'if setup.town == "山塘镇":', "ValueError", "测试错误"]:
        assert part in line, part
    assert "fails_2026Q4_山塘镇.ipynb" in mixed_run["stdout"]
    assert "失败（第5个单元格：ValueError）" in (mixed_run["qdir"] / "index.html").read_text(encoding="utf-8")


def test_run_without_outputs_counts_as_failed(mixed_run):
    runs = runs_by_key(mixed_run["manifest"])
    t3 = runs["t3/区汇总"]
    assert t3["status"] == "缺少输出" and not t3["ok"]
    assert "区汇总/空汇总_2026Q4.xlsx" in t3["error"]["missing_outputs"][0]
    # its town runs would read the district run's missing shared results: not started, reported
    for town in ("太和镇", "山塘镇"):
        assert runs[f"t3/{town}"]["status"] == "未运行" and "区汇总运行未成功" in runs[f"t3/{town}"]["error"]["detail"]
    assert mixed_run["manifest"]["summary"] == {"runs": 6, "ok": 2, "failed": 4}


def test_no_personal_data_in_manifest_or_index(mixed_run, good_run):
    for run in (mixed_run, good_run):
        for name in ("run_manifest.json", "index.html", "领导报告.html"):
            text = (run["qdir"] / name).read_text(encoding="utf-8")
            if name == "run_manifest.json":
                text = without_hashes(json.loads(text))
            assert not ID_RE.search(text), name
            assert not PHONE_RE.search(text), name
            assert FAKE_NAME not in text and FAKE_ID not in text and FAKE_PHONE not in text
    # the exception quoted an identity number and a phone number: the number masked, the phone removed (issue 9)
    evalue = runs_by_key(mixed_run["manifest"])["t2/山塘镇"]["error"]["evalue"]
    assert "441803********1234" in evalue and PHONE_REMOVED in evalue and "5678" not in evalue


def test_rerun_does_not_count_stale_outputs(data_dir, tmp_path):
    """A file left by an earlier run must not make a run that writes nothing look successful; it stays, marked as
    from an earlier run on the index (never as this run's) and not current in the manifest."""
    out = tmp_path / "out"
    stale = out / "2026Q4" / "区汇总" / "空汇总_2026Q4.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from last quarter's run")
    os.utime(stale, (1.7e9, 1.7e9))
    request = prepare_request("2026Q4", data_dir, out, notebooks="t3", towns="太和镇", jobs=1, registry=REGISTRY)
    from jykn_lib.runner import run

    outcome = run(request, progress=False)
    assert outcome.exit_code == 1
    assert [r.status for r in outcome.results] == ["缺少输出", "未运行"]
    assert "不是本次运行写出的" in outcome.results[0].detail
    assert stale.read_bytes() == b"from last quarter's run"
    index = (out / "2026Q4" / "index.html").read_text(encoding="utf-8")
    line = next(ln for ln in index.splitlines() if "空汇总_2026Q4.xlsx" in ln and ln.startswith("<li>"))
    assert re.search(r"较早运行，生成于 2023-11-1[45]", line)  # its time, in the local time zone
    manifest = json.loads((out / "2026Q4" / "run_manifest.json").read_text(encoding="utf-8"))
    assert [f["current"] for f in manifest["files"] if f["path"].endswith("空汇总_2026Q4.xlsx")] == [False]


# ------------------------------------------------------------------------------------------------ bad requests


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quarter", "2026Q5"], "无法识别季度"),
        (["--quarter", "2026-10"], "无法识别季度"),
        (["--quarter", "2026Q4", "--towns", "太和镇,清城区"], "未知的镇街 清城区"),
        (["--quarter", "2026Q4", "--towns", "全区"], "区汇总运行总会进行"),
        (["--quarter", "2026Q4", "--notebooks", "t1,t9"], "未登记的 Notebook 编号 t9"),
        (["--quarter", "2026Q4", "--jobs", "0"], "--jobs"),
        (["--quarter", "2026Q4", "--as-of", "2026-11-31"], "不是有效日期"),
        (["--data", "."], "缺少必填参数：--quarter"),
    ],
)
def test_bad_request_chinese_error_nonzero(data_dir, tmp_path, args, message):
    argv = ["run", "--out", str(tmp_path / "out"), "--registry", str(REGISTRY)]
    if "--data" not in args:
        argv += ["--data", str(data_dir)]
    code, stdout, stderr = jykn(*argv, *args)
    assert code == 2
    assert message in stderr and stderr.startswith("错误：")
    assert not re.search(r"usage|error|required|argument", stderr)  # argparse's English
    assert not (tmp_path / "out").exists()  # nothing ran


def test_missing_data_folder(tmp_path):
    code, _, stderr = jykn("run", "--quarter", "2026Q4", "--data", str(tmp_path / "nope"), "--registry", str(REGISTRY))
    assert code == 2 and "输入数据文件夹" in stderr and "不存在" in stderr


# ------------------------------------------------------------------------------------------------ plan (no kernel)


def test_plan_expansion_naming_and_dependencies(data_dir, tmp_path):
    request = prepare_request(
        "2026q4", data_dir, tmp_path / "out", towns=["山塘镇", "太和镇"], registry=REGISTRY, extra={"level": "b"},
        as_of="2026-11-26", jobs=3, notebooks="t1,t2,t3,t4",
    )
    assert request.towns == ["太和镇", "山塘镇"]  # district order, not typing order
    runs = build_plan(request)
    keys = [r.key for r in runs]
    assert keys == ["t1/区汇总", "t1/太和镇", "t1/山塘镇", "t2/区汇总", "t2/太和镇", "t2/山塘镇",
                    "t3/区汇总", "t3/太和镇", "t3/山塘镇", "t4/区汇总"]
    by = {r.key: r for r in runs}
    q = (tmp_path / "out").resolve() / "2026Q4"
    assert by["t1/太和镇"].output_ipynb == q / "太和镇" / "good_2026Q4_太和镇.ipynb"
    assert by["t1/区汇总"].output_html == q / "区汇总" / "good_2026Q4_区汇总.html"
    assert by["t1/太和镇"].needs == ("t1/区汇总",) and by["t1/区汇总"].needs == ()
    assert by["t4/区汇总"].after == ("t1/区汇总", "t1/太和镇", "t1/山塘镇")
    assert by["t1/山塘镇"].expected == ("山塘镇/好名单_2026Q4_山塘镇.xlsx",)
    assert by["t4/区汇总"].expected == ("区汇总/额外_2026Q4_b.xlsx",)
    assert by["t4/区汇总"].parameters == {
        "quarter": "2026Q4", "as_of": "2026-11-26", "town": "全区", "data_dir": str(data_dir.resolve()),
        "out_dir": str((tmp_path / "out").resolve()), "level": "b",
    }
    assert "level" not in by["t1/区汇总"].parameters  # only the notebook that declares it gets it
    assert all(r.blocked is None for r in runs)


def test_all_towns_by_default(data_dir, tmp_path):
    request = prepare_request("2026Q4", data_dir, tmp_path, notebooks="t1", registry=REGISTRY)
    assert request.towns == town_names() and len(build_plan(request)) == 1 + len(town_names())
    assert request.as_of == first_working_day_of_quarter(Quarter(2026, 4)) and not request.as_of_given


def test_missing_required_source_blocks_the_notebook(tmp_path):
    empty = tmp_path / "data"
    empty.mkdir()
    (empty / "户籍人口.xlsx").write_bytes(b"x")
    runs = build_plan(prepare_request("2026Q4", empty, tmp_path / "out", notebooks="t1", towns="太和镇",
                                      registry=REGISTRY))
    assert [r.blocked is not None for r in runs] == [True, True]
    assert "缺少必需的来源 失业登记" in runs[0].blocked


def test_parameters_cell_must_match_the_run_file(data_dir, tmp_path):
    reg = tmp_path / "reg.yaml"
    reg.write_text(
        f"""notebooks:
  - id: "x1"
    file: {FIXTURES / 'extra.ipynb'}
    title: 未登记参数
    scopes: [district]
    outputs: {{district: ["区汇总/x_{{quarter}}.xlsx"]}}
""",
        encoding="utf-8",
    )
    runs = build_plan(prepare_request("2026Q4", data_dir, tmp_path / "out", registry=reg))
    assert "level" in runs[0].blocked and "没有在运行登记表的 parameters 中登记" in runs[0].blocked


def test_extra_parameter_requests_are_checked(data_dir, tmp_path):
    with pytest.raises(RunError, match="应为 a、b 之一"):
        prepare_request("2026Q4", data_dir, tmp_path, registry=REGISTRY, extra={"level": "z"})
    with pytest.raises(RunError, match="不属于所选的任何 Notebook"):
        prepare_request("2026Q4", data_dir, tmp_path, registry=REGISTRY, notebooks="t1", extra={"level": "a"})


def test_split_list():
    assert split_list("太和镇, 山塘镇，太和镇、三坑镇") == ["太和镇", "山塘镇", "三坑镇"]
    assert split_list(None) == [] and split_list(["01", " 02 "]) == ["01", "02"]


def test_mask_personal():
    text = f"号码 {FAKE_ID}，电话 {FAKE_PHONE}，座机 0763-5123456，金额 12345"
    masked = mask_personal(text)
    assert not ID_RE.search(masked) and not PHONE_RE.search(masked) and "5123456" not in masked
    assert "441803********1234" in masked and "12345" in masked


# ------------------------------------------------------------------------------------------------ run files


def test_real_run_file_is_valid_and_matches_the_contract():
    reg = load_registry()
    contract = load_contract()
    assert "01" in reg.ids()
    for nb in reg.notebooks:
        if nb.id in contract.required_sources:
            assert tuple(nb.requires) == contract.required_sources[nb.id], nb.id
    nb01 = reg.get("01")
    assert nb01.file == "notebooks/01_screening.ipynb" and nb01.scopes == ["district", "town"]
    assert [o.path for o in nb01.outputs["district"]] == ["区汇总/筛查汇总_{quarter}.xlsx"]
    assert [o.path for o in nb01.outputs["town"]] == ["{town}/引导申请名单_{quarter}_{town}.xlsx"]


def test_real_notebooks_declare_their_parameters():
    import papermill

    reg = load_registry()
    present = [nb for nb in reg.notebooks if nb.path.is_file()]
    if not present:
        pytest.skip("no notebook of params/notebooks.yaml exists yet")
    for nb in present:
        assert set(papermill.inspect_notebook(str(nb.path))) == set(nb.parameter_names()), nb.id
        # the runner reads them with ast (papermill is not imported in its own process): the same names
        assert plan_mod._declared_parameters(nb.path) == set(papermill.inspect_notebook(str(nb.path))), nb.id


def test_declared_parameters_hostile_cells(tmp_path):
    def nb(cells):
        p = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"
        meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        for i, c in enumerate(cells):
            c["id"] = f"c{i}"
        p.write_text(json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}), "utf-8")
        return p

    def code(src, tags=()):
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": src, "outputs": [],
                "execution_count": None}

    assert plan_mod._declared_parameters(nb([code("x = 1")])) is None  # no parameters cell
    cell = code(['quarter: str = "2026Q4"  # 季度\n', 'town = "全区"\n', "a = b = 2\n"], ["parameters"])
    assert plan_mod._declared_parameters(nb([cell])) == {"quarter", "town", "a", "b"}
    broken = code('quarter: str = "2026Q4\ntown = "全区"\n', ["parameters"])  # not valid Python: papermill decides
    import papermill

    path = nb([broken])
    expected = set(papermill.inspect_notebook(str(path))) or None
    assert plan_mod._declared_parameters(path) == expected


BAD_ENTRIES = [
    ('id: 01', "应写成带引号的文本"),
    ('scopes: [district, county]', "scopes"),
    ('requires: [nosuch]', "数据契约中没有的来源 nosuch"),
    ('outputs: {district: ["x/{quarter}.xlsx"]}', "应以 区汇总/ 开头"),
    ('outputs: {district: ["区汇总/{town}.xlsx"]}', "未知的占位符 {town}"),
    ('outputs: {district: []}', "至少一个预期输出"),
    ('colour: red', "colour：不认识的字段"),
    ('after: ["zz"]', "未登记的编号 zz"),
]


@pytest.mark.parametrize("override, message", BAD_ENTRIES)
def test_bad_run_file_chinese_errors(tmp_path, override, message):
    fields = {
        "id": 'id: "a1"',
        "file": "file: notebooks/a.ipynb",
        "title": "title: 测试",
        "scopes": "scopes: [district]",
        "requires": "requires: [unemployment]",
        "outputs": 'outputs: {district: ["区汇总/a_{quarter}.xlsx"]}',
    }
    key = override.split(":")[0]
    fields[key] = override
    body = "\n    ".join(fields.values())
    path = tmp_path / "notebooks.yaml"
    path.write_text(f"notebooks:\n  - {body}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert message in str(err.value) and "运行登记表" in str(err.value)


def test_run_file_duplicates_and_cycles(tmp_path):
    entry = ('  - {{id: "{id}", file: notebooks/{f}.ipynb, title: 测试, scopes: [district], after: [{after}], '
             'outputs: {{district: ["区汇总/{f}.xlsx"]}}}}\n')
    path = tmp_path / "n.yaml"
    path.write_text("notebooks:\n" + entry.format(id="a", f="a", after="b") + entry.format(id="b", f="b", after="a"),
                    encoding="utf-8")
    with pytest.raises(RegistryError, match="循环"):
        load_registry(path)
    path.write_text("notebooks:\n" + entry.format(id="a", f="a", after="") + entry.format(id="a", f="b", after=""),
                    encoding="utf-8")
    with pytest.raises(RegistryError, match="编号重复：a"):
        load_registry(path)


# ------------------------------------------------------------------------------------------------ jykn demo


@pytest.fixture
def fake_synth(monkeypatch):
    """Stand-in for jykn_lib.synth.generate: two source files and the manifest; records its calls."""
    import sys
    import types

    import jykn_lib.synth.config  # noqa: F401 — the real module stays importable: jykn synth's options read its defaults

    calls = []

    def generate(path, people, seed, as_of):
        make_data(Path(path))
        (Path(path) / "户籍人口.csv").write_text("公民身份号码\n", encoding="utf-8")
        files = [{"file": n} for n in ("失业登记.csv", "说明.txt", "户籍人口.csv")]
        manifest = {"generator": {"seed": seed, "people": people, "as_of": str(as_of)}, "files": files}
        (Path(path) / "synth_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        calls.append((people, seed, str(as_of)))

    monkeypatch.setitem(sys.modules, "jykn_lib.synth", types.SimpleNamespace(generate=generate))
    return calls


def test_demo_builds_the_data_once_then_runs_the_demo_year(tmp_path, monkeypatch, fake_synth):
    from jykn_lib import demo as year_demo
    from jykn_lib.params import load_yaml

    demo = load_yaml("demo.yaml")
    seen = []

    def run_year(year, first=None):
        seen.append(year)
        return year.out / str(year.last) / "index.html"

    monkeypatch.setattr(year_demo, "run_year", run_year)
    out = tmp_path / "demo"
    code, stdout, stderr = jykn("demo", "--out", str(out), "--people", "1200", "--jobs", "2")
    assert code == 0 and "已生成合成数据" in stderr
    assert fake_synth == [(1200, int(demo["seed"]), str(demo["as_of"]))]
    year = seen[0]
    assert (str(year.last), year.as_of) == (str(demo["quarter"]), str(demo["as_of"])) == ("2026Q4", "2026-11-26")
    assert year.base == out.resolve() / "data" / "base" and year.out == out.resolve() and year.jobs == 2
    assert year.data(year.last) == out.resolve() / "data" / "2026Q4"  # the notebooks' default data folder
    assert stdout.strip().splitlines()[-1] == f"索引页：{out.resolve() / '2026Q4' / 'index.html'}"
    code, _, stderr = jykn("demo", "--out", str(out), "--people", "1200")
    assert code == 0 and "沿用" in stderr and len(fake_synth) == 1  # same settings: not generated again
    code, _, stderr = jykn("demo", "--out", str(out), "--people", "1500")
    assert code == 0 and len(fake_synth) == 2


def test_demo_quarter_data_folders_chain_the_ledger(tmp_path):
    from jykn_lib import demo as year_demo
    from jykn_lib.periods import Quarter

    base = make_data(tmp_path / "base")
    (base / "就业困难人员台账.xlsx").write_bytes(b"base ledger")
    (base / "synth_manifest.json").write_text("{}", encoding="utf-8")
    year = year_demo.Year(out=tmp_path, base=base, seed=1, as_of="2026-11-26", jobs=1, quiet=True,
                          last=Quarter(2026, 2))
    q1 = year_demo.quarter_data(year, Quarter(2026, 1))
    assert sorted(p.name for p in q1.iterdir()) == ["synth_manifest.json", "失业登记.csv", "就业困难人员台账.xlsx", "说明.txt"]
    with pytest.raises(year_demo.DemoError, match="审验后的台账"):  # Q1 has not been collected
        year_demo.quarter_data(year, Quarter(2026, 2))
    after = tmp_path / "2026Q1" / "区汇总" / "就业困难人员台账_2026Q1审验后.xlsx"
    after.parent.mkdir(parents=True)
    after.write_bytes(b"Q1 ledger")
    q2 = year_demo.quarter_data(year, Quarter(2026, 2))
    assert (q2 / after.name).read_bytes() == b"Q1 ledger" and not (q2 / "就业困难人员台账.xlsx").exists()
    real = tmp_path / "data" / "2026Q3"
    real.mkdir(parents=True)
    (real / "失业登记.xlsx").write_bytes(b"real")
    with pytest.raises(year_demo.DemoError, match="不是演示数据"):
        year_demo.quarter_data(year, Quarter(2026, 3))
    assert (real / "失业登记.xlsx").read_bytes() == b"real"


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    """The real thing: synthetic district, every notebook that exists, all towns (minutes)."""
    if not any(nb.path.is_file() for nb in load_registry().notebooks):
        pytest.skip("no notebook of params/notebooks.yaml exists yet")
    code, stdout, stderr = jykn("demo", "--out", str(tmp_path / "demo"), "--jobs", "2", "--quiet")
    index = tmp_path / "demo" / "2026Q4" / "index.html"
    assert code == 0, stdout + stderr[-3000:]
    assert stdout.strip().splitlines()[-1] == f"索引页：{index.resolve()}" and index.is_file()
    manifest = json.loads((index.parent / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["failed"] == 0
    text = without_hashes(manifest) + index.read_text(encoding="utf-8")
    text += (index.parent / "领导报告.html").read_text(encoding="utf-8")
    assert not ID_RE.search(text) and not PHONE_RE.search(text)
