"""What a run wrote and what happens to it (jykn_lib.runner.outputs), the pages built from the results, and the
pre-flight of unreadable inputs — without a kernel (tests/test_runner_trust.py runs the real thing)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from jykn_lib import cli
from jykn_lib.files import WRITTEN_LOG_ENV, OutputError, atomic_write
from jykn_lib.params import REPO_ROOT
from jykn_lib.runner import build_plan, outputs, prepare_request
from jykn_lib.runner.execute import RunResult
from jykn_lib.runner.index import render_index, render_leaders
from jykn_lib.runner.manifest import input_files

REGISTRY = REPO_ROOT / "tests" / "data" / "notebooks" / "registry.yaml"


def jykn(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def scope(tmp_path):
    q = tmp_path / "2026Q4"
    folder = q / "太和镇"
    (folder / "results" / "名单").mkdir(parents=True)
    return q, folder


def test_every_atomic_write_is_recorded_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "run.written"
    atomic_write(tmp_path / "a.txt", "不记录", personal=False)
    assert not log.exists()
    monkeypatch.setenv(WRITTEN_LOG_ENV, str(log))
    atomic_write(tmp_path / "b.txt", "记录", personal=False)
    atomic_write(tmp_path / "子" / "c.bin", b"x", personal=True)
    assert log.read_text(encoding="utf-8").splitlines() == [str((tmp_path / "b.txt").resolve()),
                                                           str((tmp_path / "子" / "c.bin").resolve())]
    assert log.stat().st_mode & 0o777 == 0o600


def test_a_failed_run_is_set_aside_and_the_earlier_files_put_back(scope, monkeypatch):
    q, folder = scope
    earlier = folder / "名单_2026Q4_太和镇.xlsx"
    earlier.write_bytes(b"earlier good run")
    kept = folder / "results" / "名单" / "名单.parquet"
    kept.write_bytes(b"earlier table")
    other = folder / "别的_2026Q4_太和镇.xlsx"  # another notebook's file in the same folder: never touched
    other.write_bytes(b"another notebook")
    rf = outputs.RunFiles(folder, "run_2026Q4_太和镇")
    outputs.prepare(rf)
    assert rf.partial.is_file() and rf.partial.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(WRITTEN_LOG_ENV, str(rf.written_log))
    atomic_write(earlier, b"failed run", personal=True)  # replaces the earlier one, as the kit does
    atomic_write(kept, b"failed table", personal=True)
    atomic_write(folder / "图表_2026Q4_太和镇.png", b"png", personal=False)  # new in this run
    atomic_write(folder / ".jykn" / "t_info.json", "{}", personal=False)  # bookkeeping: stays
    monkeypatch.delenv(WRITTEN_LOG_ENV)
    rf.partial.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")

    result = outputs.quarantine(rf, q)
    aside = folder / ".失败输出" / "run_2026Q4_太和镇"
    assert sorted(p.relative_to(aside).as_posix() for p in result.moved) == [
        "results/名单/名单.parquet", "名单_2026Q4_太和镇.xlsx", "图表_2026Q4_太和镇.png"]
    assert (aside / "名单_2026Q4_太和镇.xlsx").read_bytes() == b"failed run"
    assert earlier.read_bytes() == b"earlier good run" and kept.read_bytes() == b"earlier table"  # put back
    assert not (folder / "图表_2026Q4_太和镇.png").exists()
    assert other.read_bytes() == b"another notebook" and (folder / ".jykn" / "t_info.json").exists()
    assert result.ipynb == aside / "run_2026Q4_太和镇.ipynb" and result.ipynb.is_file()
    assert "不可使用" in (aside / outputs.NOTE_NAME).read_text(encoding="utf-8")
    assert not rf.snapshot.exists() and not rf.written_log.exists() and not rf.partial.exists()


def test_a_truncated_notebook_is_not_named_like_a_good_one(scope):
    q, folder = scope
    rf = outputs.RunFiles(folder, "run_2026Q4_太和镇")
    outputs.prepare(rf)
    rf.partial.write_text('{"cells": [{"cell_type": "code", "sou', encoding="utf-8")  # killed mid-write
    result = outputs.quarantine(rf, q)
    assert result.ipynb.name == "run_2026Q4_太和镇（不完整）.ipynb"


def test_a_killed_batch_leaves_a_record_that_the_next_one_uses(scope, monkeypatch):
    q, folder = scope
    rf = outputs.RunFiles(folder, "run_2026Q4_太和镇")
    outputs.prepare(rf)
    monkeypatch.setenv(WRITTEN_LOG_ENV, str(rf.written_log))
    half = atomic_write(folder / "名单_2026Q4_太和镇.xlsx", b"from a killed run", personal=True)
    monkeypatch.delenv(WRITTEN_LOG_ENV)
    found = outputs.recover_abandoned(q)
    assert [(r.stem, len(x.moved)) for r, x in found] == [("run_2026Q4_太和镇", 1)]
    assert not half.exists() and (rf.failed / half.name).read_bytes() == b"from a killed run"
    assert "被强行终止" in (rf.failed / outputs.NOTE_NAME).read_text(encoding="utf-8")
    assert outputs.recover_abandoned(q) == []  # done once


def result(key: str, scope_name: str, status: str, qdir: Path, **kw) -> RunResult:
    nb, _ = key.split("/")
    return RunResult(key=key, notebook_id=nb, title=f"测试{nb}", scope="district" if scope_name == "区汇总" else "town",
                     town="全区" if scope_name == "区汇总" else scope_name, scope_name=scope_name, status=status, **kw)


def test_pages_mark_earlier_files_and_leaders_see_only_reports(tmp_path):
    request = prepare_request("2026Q4", make_data(tmp_path), tmp_path / "out", notebooks="t1", towns="太和镇",
                              registry=REGISTRY)
    q = request.quarter_dir
    d, t = q / "区汇总", q / "太和镇"
    for f in (d, t, t / ".失败输出" / "good_2026Q4_太和镇"):
        f.mkdir(parents=True)
    good = [d / "good_2026Q4_区汇总.html", d / "good_2026Q4_区汇总.ipynb", d / "好汇总_2026Q4.xlsx"]
    for p in good:
        p.write_text("x", encoding="utf-8")
    old = [t / "good_2026Q4_太和镇.html", t / "好名单_2026Q4_太和镇.xlsx"]  # the earlier run's, put back
    for p in old:
        p.write_text("earlier", encoding="utf-8")
        os.utime(p, (1.7e9, 1.7e9))
    failed_nb = t / ".失败输出" / "good_2026Q4_太和镇" / "good_2026Q4_太和镇.ipynb"
    failed_nb.write_text("{}", encoding="utf-8")
    results = [
        result("t1/区汇总", "区汇总", "成功", q, html=good[0], ipynb=good[1], outputs=[good[2]], written=[good[2]]),
        result("t1/太和镇", "太和镇", "失败", q, ipynb=failed_nb, failed_dir=failed_nb.parent, cell=4,
               ename="ValueError", detail="第4个单元格出错：ValueError: 身份号码 441803199001011234"),
    ]
    index = render_index(request, results, started=1.8e9, finished=1.8e9 + 60)
    assert index.count('class="ok">成功') == 1 and 'class="bad">失败（第4个单元格：ValueError）' in index
    assert "441803********1234" in index and "441803199001011234" not in index
    assert "已移开、不可使用的文件：太和镇/.失败输出/good_2026Q4_太和镇/" in index
    earlier = [ln for ln in index.splitlines() if "较早运行，生成于" in ln]
    assert sorted(unquote(re.search(r'href="([^"]+)"', ln).group(1)) for ln in earlier) == [
        "太和镇/good_2026Q4_太和镇.html", "太和镇/好名单_2026Q4_太和镇.xlsx"]
    assert "<script" not in index  # Jinja2 autoescapes: the texts are data, not markup
    leaders = render_leaders(request, results, started=1.8e9, finished=1.8e9 + 60)
    hrefs = [unquote(h) for h in re.findall(r'href="([^"]+)"', leaders)]
    assert hrefs == ["区汇总/good_2026Q4_区汇总.html", "太和镇/good_2026Q4_太和镇.html"]
    assert ">测试正常</a>（生成于 2023-11-1" in leaders  # an earlier report under its notebook's title, with its time
    assert "good_2026Q4" not in re.sub(r'href="[^"]+"', "", leaders)  # no file names for leaders to read
    assert "以下范围的报告本次未能更新：太和镇" in leaders and "较早的报告" in leaders
    assert not re.search(r"xlsx|ipynb|json|单元格|ValueError", leaders)
    running = render_index(request, [result("t1/区汇总", "区汇总", "运行中", q)], started=1.8e9, status="运行中")
    assert "状态：运行中" in running and 'class="wait">运行中' in running


def test_texts_are_escaped_in_the_pages(tmp_path):
    request = prepare_request("2026Q4", make_data(tmp_path), tmp_path / "out", notebooks="t1", towns="太和镇",
                              registry=REGISTRY)
    bad = result("t1/区汇总", "区汇总", "失败", request.quarter_dir, detail='<script>alert("x")</script>')
    page = render_index(request, [bad], started=1.8e9, finished=1.8e9)
    assert "<script>" not in page and "&lt;script&gt;" in page


def make_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "失业登记.csv").write_text("公民身份号码,姓名,失业登记日期\n441803199001011234,某某,2026-01-05\n",
                                        encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------------ unreadable inputs


def test_a_dangling_link_as_the_required_source(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "失业登记.xlsx").symlink_to(tmp_path / "已删除的导出.xlsx")
    (data / "说明.txt").write_text("x", encoding="utf-8")
    inputs = {i["name"]: i for i in input_files(data)}
    assert "链接指向的文件不存在" in inputs["失业登记.xlsx"]["error"] and "sha256" not in inputs["失业登记.xlsx"]
    assert len(inputs["说明.txt"]["sha256"]) == 64
    runs = build_plan(prepare_request("2026Q4", data, tmp_path / "out", notebooks="t1", towns="太和镇",
                                      registry=REGISTRY))
    assert "失业登记 的文件 失业登记.xlsx：链接指向的文件不存在" in runs[0].blocked
    code, stdout, stderr = jykn("run", "--quarter", "2026Q4", "--data", str(data), "--out", str(tmp_path / "out"),
                                "--registry", str(REGISTRY), "--notebooks", "t1", "--towns", "太和镇")
    assert code == 1 and "Traceback" not in stderr
    assert "✗ t1 测试正常 · 区汇总：未运行：必需的来源有文件无法读取：失业登记 的文件 失业登记.xlsx" in stdout
    manifest = json.loads((tmp_path / "out" / "2026Q4" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "完成" and manifest["summary"] == {"runs": 2, "ok": 0, "failed": 2}
    assert [i["name"] for i in manifest["inputs"] if "error" in i] == ["失业登记.xlsx"]


def test_a_required_source_missing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "户籍人口.csv").write_text("公民身份号码\n", encoding="utf-8")
    code, stdout, _ = jykn("run", "--quarter", "2026Q4", "--data", str(data), "--out", str(tmp_path / "out"),
                           "--registry", str(REGISTRY), "--notebooks", "t1", "--towns", "太和镇")
    assert code == 1
    assert "t1 测试正常 · 区汇总：未运行：数据文件夹缺少必需的来源 失业登记" in stdout


def test_index_that_cannot_be_written_at_the_end_fails_the_run(tmp_path, monkeypatch):
    """The pages are written at the start (运行中) and at the end; a write failing at the end is reported, exit 1."""
    from jykn_lib.runner import core

    data = tmp_path / "data"
    data.mkdir()  # no source at all: every run is blocked, no kernel starts, the whole flow runs
    calls = []
    real = core.write_index

    def flaky(*args, **kw):
        calls.append(kw["status"])
        if len(calls) > 1:
            raise OutputError(28, "磁盘空间不足，无法写入 index.html：请清理磁盘后重新运行（已写出的旧文件保持不变）")
        return real(*args, **kw)

    monkeypatch.setattr(core, "write_index", flaky)
    code, stdout, _ = jykn("run", "--quarter", "2026Q4", "--data", str(data), "--out", str(tmp_path / "out"),
                           "--registry", str(REGISTRY), "--notebooks", "t1", "--towns", "太和镇")
    assert calls == ["运行中", "完成"] and code == 1
    assert "错误：磁盘空间不足，无法写入 index.html" in stdout and "索引页或运行清单未能更新" in stdout
    manifest = json.loads((tmp_path / "out" / "2026Q4" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "完成"  # the manifest was still written


def test_the_encryption_switch_reaches_the_kernels_only_with_encrypt(tmp_path, monkeypatch):
    monkeypatch.setenv("JYKN_XLSX_PASSWORD", "环境中的密码")
    monkeypatch.setenv("JYKN_ENCRYPT", "1")  # left in a shell: without --encrypt the kernels must not see it
    data = make_data(tmp_path)
    plain = prepare_request("2026Q4", data, tmp_path / "out", notebooks="t1", registry=REGISTRY)
    assert plain.kernel_env() == {"JYKN_ENCRYPT": None}
    secret = tmp_path / "pw.txt"
    secret.write_text("文件中的密码\n", encoding="utf-8")
    secret.chmod(0o644)
    with pytest.warns(UserWarning, match="其他用户也能读取"):
        enc = prepare_request("2026Q4", data, tmp_path / "out", notebooks="t1", registry=REGISTRY, encrypt=True,
                              password_file=secret)
    assert enc.kernel_env() == {"JYKN_ENCRYPT": "1", "JYKN_XLSX_PASSWORD_FILE": str(secret.resolve())}
    record = json.dumps(enc.parameters_record(), ensure_ascii=False)
    assert "文件中的密码" not in record and "环境中的密码" not in record and '"encrypt": true' in record
