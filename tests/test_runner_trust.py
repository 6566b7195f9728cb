"""A run that cannot be trusted, end to end with kernels: refused sources of notebook 01, a notebook failing after it
wrote its workbook (set aside, the earlier one put back), --encrypt, --replace, and interruptions (SIGTERM to the
batch, Ctrl-C to its process group, SIGKILL) — workers and kernels die with it, and the run is recorded as 已中断.

Fixture notebooks: tests/data/notebooks (t4 writes one file; t5 writes its workbook the kit's way and raises when
mode=fail; t6 writes a workbook and then a heartbeat file every 0.25 s for minutes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from jykn_lib import cli
from jykn_lib.io.crypto import decrypt_to_buffer, is_encrypted
from jykn_lib.params import REPO_ROOT
from jykn_lib.runner import prepare_request, run

pytestmark = pytest.mark.slow

REGISTRY = REPO_ROOT / "tests" / "data" / "notebooks" / "registry.yaml"
PERSON = "441803199001011234"


def jykn(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "失业登记.csv", f"公民身份号码,姓名,失业登记日期\n{PERSON},某某,2026-01-05\n")
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ notebook 01, refused


def screening_data(folder: Path) -> Path:
    """The two required sources of 01, one person each."""
    folder.mkdir()
    write_csv(folder / "失业登记.csv", f"公民身份号码,姓名,失业登记日期,所属镇街\n{PERSON},某某,2026-01-05,太和镇\n")
    write_csv(folder / "户籍人口.csv", f"公民身份号码,姓名,户号,城乡属性,所属镇街\n{PERSON},某某,H1,城镇,太和镇\n")
    return folder


LEDGER = "公民身份号码,姓名,所属镇街,认定类别,认定日期,状态\n" + f"{PERSON},某某,太和镇,01,2026-01-05,有效\n"


@pytest.mark.parametrize(
    "hostile, source, says",
    [
        ({"就业困难人员台账.csv": LEDGER, "就业困难人员台账_副本.csv": LEDGER}, "就业困难人员台账", "只能有一个"),
        ({"低保人员.csv": ""}, "低保人员", "低保人员.csv"),  # a 0-byte optional source is refused, not "未提供"
    ],
    ids=["two_ledgers", "empty_optional_source"],
)
def test_screening_with_a_refused_source_fails_the_run(tmp_path, hostile, source, says):
    data = screening_data(tmp_path / "data")
    for name, text in hostile.items():
        write_csv(data / name, text)
    out = tmp_path / "out"
    code, stdout, stderr = jykn("run", "--quarter", "2026Q4", "--as-of", "2026-11-26", "--data", str(data),
                                "--out", str(out), "--notebooks", "01", "--towns", "太和镇", "--jobs", "1")
    assert code == 1, stdout + stderr
    line = next(ln for ln in stdout.splitlines() if "✗ 01 主动筛查 · 区汇总" in ln)
    assert "UntrustedInputError" in line and f"数据来源“{source}”无法使用" in line and says in line
    assert "本次结果不可信" in line
    assert "✗ 01 主动筛查 · 太和镇：未运行" in stdout  # the town run would read a result that was never made
    q = out / "2026Q4"
    assert not (q / "区汇总" / "筛查汇总_2026Q4.xlsx").exists() and not (q / "太和镇").exists()
    manifest = json.loads((q / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"] == {"runs": 2, "ok": 0, "failed": 2}
    assert "UntrustedInputError" in (q / "index.html").read_text(encoding="utf-8")
    assert "Traceback" not in stdout + stderr
    code, stdout, _ = jykn("check", "--data", str(data), "--notebook", "01", "--report", str(tmp_path / "检查.xlsx"))
    assert code == 1 and "结论：未通过" in stdout  # jykn check says the same about the same folder


def test_screening_without_a_required_source_does_not_start(tmp_path):
    data = screening_data(tmp_path / "data")
    (data / "户籍人口.csv").unlink()
    code, stdout, _ = jykn("run", "--quarter", "2026Q4", "--data", str(data), "--out", str(tmp_path / "out"),
                           "--notebooks", "01", "--towns", "太和镇")
    assert code == 1
    assert "✗ 01 主动筛查 · 区汇总：未运行：数据文件夹缺少必需的来源 户籍人口" in stdout
    assert not list((tmp_path / "out" / "2026Q4").glob("*/*.ipynb"))  # no kernel was started
    code, stdout, _ = jykn("check", "--data", str(data), "--notebook", "01", "--report", str(tmp_path / "检查.xlsx"))
    assert code == 1 and "户籍人口 缺失或无法使用" in stdout


# ------------------------------------------------------------------------------------------------ failure after writing


def test_a_rerun_failing_after_its_workbook_keeps_the_earlier_one_and_encryption(data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    password = tmp_path / "密码.txt"
    password.write_text("测试密码-2026\n", encoding="utf-8")
    password.chmod(0o600)
    monkeypatch.delenv("JYKN_XLSX_PASSWORD", raising=False)
    first = run(prepare_request("2026Q4", data, out, notebooks="t5", towns="太和镇", jobs=2, registry=REGISTRY,
                                encrypt=True, password_file=password), progress=False)
    assert first.exit_code == 0, "\n".join(first.summary_lines())
    q = out / "2026Q4"
    district, town = q / "区汇总" / "晚汇总_2026Q4.xlsx", q / "太和镇" / "晚名单_2026Q4_太和镇.xlsx"
    # --encrypt: the town's list leaves the office, encrypted; the district summary stays, not encrypted
    assert is_encrypted(town) and not is_encrypted(district)
    import openpyxl

    assert openpyxl.load_workbook(decrypt_to_buffer(town, "测试密码-2026"))["名单"]["A3"].value is not None
    before = {p: sha(p) for p in (district, town)}
    kept = q / "区汇总" / "results" / "晚汇总_2026Q4" / "名单.parquet"
    kept_before = sha(kept)

    second = run(prepare_request("2026Q4", data, out, notebooks="t5", towns="太和镇", jobs=2, registry=REGISTRY,
                                 extra={"mode": "fail"}), progress=False)
    assert second.exit_code == 1
    d_run, t_run = second.results
    assert d_run.status == "失败" and "写出工作簿之后出错" in d_run.evalue
    assert "4 个文件已移到 区汇总/.失败输出/late_2026Q4_区汇总/，不可使用" in d_run.detail  # xlsx + its 3 kept files
    assert t_run.status == "未运行"
    aside = q / "区汇总" / ".失败输出" / "late_2026Q4_区汇总"
    assert sha(aside / "晚汇总_2026Q4.xlsx") != before[district]  # the failed run's workbook, set aside
    assert {p: sha(p) for p in (district, town)} == before and sha(kept) == kept_before  # the earlier ones, in place
    assert (aside / "late_2026Q4_区汇总.ipynb").is_file()  # the notebook with the error, beside its outputs
    assert not (q / "区汇总" / ".jykn" / "late_2026Q4_区汇总.partial.ipynb").exists()
    index = (q / "index.html").read_text(encoding="utf-8")
    stale = [ln for ln in index.splitlines() if ln.startswith("<li>") and "较早运行" in ln]
    assert any("晚汇总_2026Q4.xlsx" in ln for ln in stale) and any("晚名单_2026Q4_太和镇.xlsx" in ln for ln in stale)
    leaders = (q / "领导报告.html").read_text(encoding="utf-8")
    assert "以下范围的报告本次未能更新：区汇总、太和镇" in leaders and "较早的报告" in leaders
    manifest = json.loads((q / "run_manifest.json").read_text(encoding="utf-8"))
    current = {f["path"]: f["current"] for f in manifest["files"]}
    assert current["区汇总/晚汇总_2026Q4.xlsx"] is False and current["太和镇/晚名单_2026Q4_太和镇.xlsx"] is False
    set_aside = {o["path"] for o in manifest["runs"][0]["set_aside"]}
    assert "区汇总/.失败输出/late_2026Q4_区汇总/晚汇总_2026Q4.xlsx" in set_aside
    assert manifest["parameters"]["encrypt"] is False and "测试密码" not in json.dumps(manifest, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ --replace


def test_replace_hands_the_quarter_folder_over(data, tmp_path):
    from jykn_lib.kit.setup import claim_quarter

    out = tmp_path / "out"
    claim_quarter(out / "2026Q4", tmp_path / "上个版本的数据")
    argv = ["run", "--quarter", "2026Q4", "--data", str(data), "--out", str(out), "--registry", str(REGISTRY),
            "--notebooks", "t4", "--jobs", "1"]
    code, _, stderr = jykn(*argv)
    assert code == 2 and "--replace" in stderr
    code, stdout, stderr = jykn(*argv, "--replace")
    assert code == 0, stdout + stderr
    record = json.loads((out / "2026Q4" / ".jykn" / "provenance.json").read_text(encoding="utf-8"))
    assert record["data_dir"] == str(data.resolve())
    manifest = json.loads((out / "2026Q4" / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["replace"] is True


# ------------------------------------------------------------------------------------------------ interruptions


def start_slow(data: Path, out: Path) -> tuple[subprocess.Popen, Path, int]:
    """jykn run of t6 in its own session (as cron starts it); returns when the kernel writes its heartbeat."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jykn_lib.cli", "run", "--quarter", "2026Q4", "--data", str(data), "--out", str(out),
         "--registry", str(REGISTRY), "--notebooks", "t6", "--jobs", "1"],
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )
    scope = out / "2026Q4" / "区汇总"
    beat = scope / "心跳.txt"
    deadline = time.time() + 180
    while not beat.exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise AssertionError(f"t6 did not start: {proc.communicate()}")
        time.sleep(0.2)
    kernel = int((scope / ".jykn" / "t6_kernel.pid").read_text(encoding="utf-8"))
    index = (out / "2026Q4" / "index.html").read_text(encoding="utf-8")
    assert "状态：运行中" in index  # during the run, the page says so (no earlier 成功 page stays up)
    return proc, scope, kernel


def gone(pids, timeout: float = 15.0) -> list[int]:
    """The pids still running (zombies count as gone) after waiting up to ``timeout`` seconds."""
    deadline = time.time() + timeout
    while True:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.time() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.parametrize("how, code, label", [("SIGTERM", 143, "SIGTERM"), ("Ctrl-C", 130, "Ctrl-C"),
                                              ("SIGTERM to all", 143, "SIGTERM")])
def test_an_interrupted_batch_stops_everything_and_says_so(data, tmp_path, how, code, label):
    out = tmp_path / "out"
    proc, scope, kernel = start_slow(data, out)
    tree = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert kernel in tree
    if how == "SIGTERM":
        os.kill(proc.pid, signal.SIGTERM)  # cron, systemd at TimeoutStartSec or systemctl stop (KillMode=mixed)
    elif how == "Ctrl-C":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    else:
        for pid in [proc.pid, *tree]:  # systemd's default KillMode=control-group: every process at once
            os.kill(pid, signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == code, stdout + stderr
    assert gone(tree) == []  # workers and the kernel
    time.sleep(1.0)
    assert not (scope / "心跳.txt").exists()  # set aside, and no orphan kernel writes it again
    assert f"收到 {label}" in stderr and "运行被中断" in stdout
    assert "✗ t6 测试长时间运行 · 区汇总：已中断" in stdout
    aside = scope / ".失败输出" / "slow_2026Q4_区汇总"
    assert (aside / "慢汇总_2026Q4.xlsx").is_file() and not (scope / "慢汇总_2026Q4.xlsx").exists()
    assert (aside / "slow_2026Q4_区汇总.ipynb").is_file()
    q = out / "2026Q4"
    manifest = json.loads((q / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "已中断" and manifest["interrupted_by"] == label
    assert [r["status"] for r in manifest["runs"]] == ["已中断"]
    index = (q / "index.html").read_text(encoding="utf-8")
    assert f"状态：已中断（收到 {label}）" in index and 'class="bad">已中断' in index and "运行中" not in index
    assert "本次更新被中断" in (q / "领导报告.html").read_text(encoding="utf-8")
    assert not (q / ".jykn" / "run.lock").exists()


def test_a_killed_batch_takes_its_workers_along_and_the_next_run_cleans_up(data, tmp_path):
    out = tmp_path / "out"
    proc, scope, _kernel = start_slow(data, out)
    tree = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    os.kill(proc.pid, signal.SIGKILL)  # no clean-up possible in the batch itself
    proc.communicate(timeout=30)
    assert gone(tree) == []  # the workers got SIGTERM from the kernel (PR_SET_PDEATHSIG) and took the kernel along
    beat = (scope / "心跳.txt").read_text(encoding="utf-8")
    time.sleep(1.5)
    assert (scope / "心跳.txt").read_text(encoding="utf-8") == beat  # nobody writes any more
    q = out / "2026Q4"
    assert "状态：运行中" in (q / "index.html").read_text(encoding="utf-8")  # what a killed batch leaves: not 成功
    code, stdout, stderr = jykn("run", "--quarter", "2026Q4", "--data", str(data), "--out", str(out),
                                "--registry", str(REGISTRY), "--notebooks", "t4", "--jobs", "1")
    assert code == 0, stdout + stderr
    assert f"接管了一个已结束的运行留下的锁（主机 {os.uname().nodename}，进程 {proc.pid}" in stdout
    assert "上次被强行终止的运行 slow_2026Q4_区汇总 写出的 2 个文件已移到 区汇总/.失败输出/slow_2026Q4_区汇总/" in stdout
    assert not (scope / "心跳.txt").exists() and not (scope / "慢汇总_2026Q4.xlsx").exists()
    manifest = json.loads((q / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "完成" and any("接管" in n for n in manifest["notes"])
