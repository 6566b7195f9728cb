"""The command line: Chinese help and errors, and the refusals that happen before any notebook runs (exit status 2):
another run holding the quarter folder, a folder made from another data folder, --encrypt without a password, an
output folder that cannot be written or is full, and jykn synth into a folder that holds other files. No kernel is
started here (tests/test_runner*.py run notebooks)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from jykn_lib import cli
from jykn_lib.commands.parser import translate
from jykn_lib.params import REPO_ROOT
from jykn_lib.runner.lock import QuarterLock

REGISTRY = REPO_ROOT / "tests" / "data" / "notebooks" / "registry.yaml"
# What argparse prints in English when it is not translated.
ENGLISH = re.compile(r"usage:|options:|positional arguments|show this help|error:|required|invalid|argument|expected"
                     r"|unrecognized|choose from|program's version", re.I)


def jykn(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "失业登记.csv").write_text("公民身份号码,姓名,失业登记日期\n441803199001011234,某某,2026-01-05\n",
                                        encoding="utf-8")
    return folder


def run_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--quarter", "2026Q4", "--data", str(data), "--out", str(out), "--registry", str(REGISTRY),
            "--notebooks", "t1", "--towns", "太和镇", *extra]


# ------------------------------------------------------------------------------------------------ help and errors


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["demo", "--help"], ["check", "--help"],
                                  ["synth", "--help"], ["templates", "--help"]])
def test_help_is_chinese(argv):
    code, stdout, stderr = jykn(*argv)
    assert code == 0 and stdout.startswith("用法：jykn") and stderr == ""
    assert not ENGLISH.search(stdout), stdout
    assert "显示本帮助并退出" in stdout and "选项" in stdout


def test_run_help_shows_quarter_and_data_as_required():
    _, stdout, _ = jykn("run", "--help")
    usage = stdout.split("\n\n")[0]
    assert "--quarter 2026Q4 --data DIR" in usage and "[--quarter" not in usage and "[--data" not in usage
    assert stdout.index("必填参数") < stdout.index("--quarter 2026Q4  ") < stdout.index("选项")
    for option in ("--replace", "--encrypt", "--password-file FILE"):
        assert option in stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run"], "缺少必填参数：--quarter、--data（如 --quarter 2026Q4；程序不读取当天日期）"),
        (["run", "--quarter", "2026Q4"], "缺少必填参数：--data"),
        (["run", "--quarter", "2026Q4", "--data", "x", "--jobs", "abc"], "--jobs 的取值“abc”无效：应为整数"),
        (["run", "--quarter"], "--quarter 后面需要一个取值"),
        (["runn"], "没有子命令“runn”，可用的子命令：“demo”、“run”"),
        (["run", "--quarter", "2026Q4", "--data", "x", "--bogus"], "不认识的参数：--bogus"),
        (["run", "--quarter", "2026Q4", "--data", "x", "--password", "秘密123"], "命令行上不接受密码"),
        (["run", "--quarter", "2026Q4", "--data", "x", "--pass", "秘密123"], "请用 --password-file"),
        (["synth"], "缺少必填参数：DIR"),
        (["synth", "d", "--as-of", "2026-13-01"], "--as-of：基准日“2026-13-01”不是有效日期"),
        (["check"], "缺少必填参数：--data"),
    ],
)
def test_usage_errors_are_chinese_with_status_2(argv, message):
    code, stdout, stderr = jykn(*argv)
    assert code == 2 and stdout == ""
    assert stderr.startswith("错误：") and message in stderr, stderr
    assert "秘密123" not in stderr  # a password typed on the command line is not echoed
    assert "用法：jykn" in stderr and "--help" in stderr
    assert not ENGLISH.search(stderr), stderr


def test_translate_keeps_unknown_messages_and_chinese_ones():
    assert translate("argument --as-of: 基准日不对") == "--as-of：基准日不对"
    assert translate("完全是中文的说明") == "完全是中文的说明"
    assert translate("argument --x: not allowed with argument --y") == "--x 不能与 --y 同时使用"
    assert translate("argument --mode: invalid choice: 'z' (choose from 'a', 'b')") == "--mode 的取值“z”无效，可选：“a”、“b”"


# ------------------------------------------------------------------------------------------------ refusals before running


def test_another_run_holding_the_quarter_folder(data, tmp_path):
    out = tmp_path / "out"
    lock = QuarterLock(out / "2026Q4")
    assert lock.acquire() is None
    try:
        code, _, stderr = jykn(*run_args(data, out))
    finally:
        lock.release()
    assert code == 2
    assert "正被另一个运行使用" in stderr and f"进程 {lock.info['pid']}" in stderr and lock.info["host"] in stderr
    assert "run.lock" in stderr
    assert not list((out / "2026Q4").glob("*/*.ipynb"))  # nothing ran
    assert not (out / "2026Q4" / ".jykn" / "run.lock").exists()  # released, and not taken by the refused run


def test_lock_is_exclusive_and_a_stale_one_is_taken_over(tmp_path):
    first, second = QuarterLock(tmp_path / "q"), QuarterLock(tmp_path / "q")
    first.acquire()
    record = json.loads(first.path.read_text(encoding="utf-8"))
    assert {"host", "pid", "started", "user", "command"} <= set(record)
    with pytest.raises(Exception, match="正被另一个运行使用"):
        second.acquire()
    first.release()
    assert not first.path.exists()
    assert second.acquire() is None  # free again
    second.release()
    # a lock file left by a process that died (its flock went with it): taken over, and said whose it was
    first.path.write_text(json.dumps({"host": "办公室服务器", "pid": 4242, "started": "2026-10-08T07:30:00+08:00"}),
                          encoding="utf-8")
    note = second.acquire()
    assert "接管" in note and "办公室服务器" in note and "4242" in note and "2026-10-08T07:30:00" in note
    second.release()


def test_a_folder_made_from_other_data_needs_replace(data, tmp_path):
    from jykn_lib.kit.setup import claim_quarter

    out = tmp_path / "out"
    other = tmp_path / "真实数据"
    other.mkdir()
    claim_quarter(out / "2026Q4", other)
    code, _, stderr = jykn(*run_args(data, out))
    assert code == 2 and "是用数据文件夹" in stderr and str(other) in stderr and "--replace" in stderr
    record = json.loads((out / "2026Q4" / ".jykn" / "provenance.json").read_text(encoding="utf-8"))
    assert record["data_dir"] == str(other)  # untouched
    assert not (out / "2026Q4" / "index.html").exists()  # nothing ran, no page rewritten


@pytest.mark.parametrize(
    "extra, env, message",
    [
        (["--encrypt"], {}, "--encrypt：没有密码"),
        (["--encrypt", "--password-file", "无此文件.txt"], {}, "密码文件不存在"),
        (["--encrypt", "--password-file", "空.txt"], {}, "密码文件为空"),
        (["--password-file", "pw.txt"], {"JYKN_XLSX_PASSWORD": "x"}, "--password-file 只与 --encrypt 一起使用"),
        (["--encrypt"], {"JYKN_XLSX_PASSWORD_FILE": "无此文件.txt"}, "密码文件不存在"),
    ],
)
def test_encrypt_without_a_password_is_refused_before_anything_runs(data, tmp_path, monkeypatch, extra, env,
                                                                    message):
    monkeypatch.delenv("JYKN_XLSX_PASSWORD", raising=False)
    monkeypatch.delenv("JYKN_XLSX_PASSWORD_FILE", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "空.txt").write_text("\n", encoding="utf-8")
    (tmp_path / "pw.txt").write_text("密码\n", encoding="utf-8")
    code, _, stderr = jykn(*run_args(data, tmp_path / "out", *extra))
    assert code == 2 and message in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_written(data, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("一个文件，不是文件夹", encoding="utf-8")  # root ignores permissions; a file in the way does not
    code, _, stderr = jykn(*run_args(data, blocker))
    assert code == 2 and "无法写入输出文件夹" in stderr and "本次未运行任何 Notebook" in stderr


def test_a_full_disk_is_refused_before_running(data, tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 5 * 2**20, 5 * 2**20))
    code, _, stderr = jykn(*run_args(data, tmp_path / "out"))
    assert code == 2 and "只剩 5 MB" in stderr and "清理磁盘" in stderr


# ------------------------------------------------------------------------------------------------ jykn synth DIR


def test_synth_refuses_a_folder_with_other_files(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    ledger = folder / "就业困难人员台账.xlsx"
    ledger.write_bytes(b"the user's own ledger")
    notes = folder / "说明.docx"
    notes.write_bytes(b"notes")
    code, _, stderr = jykn("synth", str(folder), "--people", "1000")
    assert code == 2 and "已有不是合成数据生成器写出的文件" in stderr and "--force" in stderr
    code, _, stderr = jykn("synth", str(folder), "--people", "1000", "--force")
    assert code == 2 and "就业困难人员台账.xlsx" in stderr and "即使加 --force" in stderr  # data would be mixed
    assert ledger.read_bytes() == b"the user's own ledger" and sorted(p.name for p in folder.iterdir()) == [
        "就业困难人员台账.xlsx", "说明.docx"]


@pytest.mark.slow
def test_synth_force_writes_beside_other_files_and_never_over_them(tmp_path):
    from jykn_lib.synth import generate

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "说明.docx").write_bytes(b"notes")
    code, _stdout, stderr = jykn("synth", str(folder), "--people", "1000", "--force")
    assert code == 0, stderr
    manifest = json.loads((folder / "synth_manifest.json").read_text(encoding="utf-8"))
    made = {f["file"] for f in manifest["files"]}
    assert (folder / "说明.docx").read_bytes() == b"notes" and "说明.docx" not in made
    # its own earlier files are replaced without --force …
    generate(folder, people=1000, force=True)
    # … but a file of its own that a person edited is theirs now: not overwritten
    edited = folder / sorted(made)[0]
    edited.write_bytes(edited.read_bytes() + b"\n")
    with pytest.raises(ValueError, match="不是合成数据生成器写出的"):
        generate(folder, people=1000, force=True)
    assert edited.read_bytes().endswith(b"\n")


def test_demo_data_folder_with_a_file_the_manifest_does_not_list_is_kept(tmp_path):
    from jykn_lib.runner.synthdata import ensure_synthetic_data

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "synth_manifest.json").write_text(json.dumps({"generator": {"seed": 1, "people": 1000,
                                                                          "as_of": "2026-01-01"}, "files": []}),
                                                encoding="utf-8")
    mine = folder / "我的笔记.txt"
    mine.write_text("不要删", encoding="utf-8")
    with pytest.raises(ValueError, match="没有列出的文件"):
        ensure_synthetic_data(folder, people=1000, seed=2, as_of="2026-01-01")
    assert mine.read_text(encoding="utf-8") == "不要删"
