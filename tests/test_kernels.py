"""Kernels forked from the batch worker's preloaded fork server (jykn_lib.runner.kernels): each still its own process,
session, folder, environment and log; the same results as kernels launched as new interpreters; off with
JYKN_KERNEL_PRELOAD=0."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest

from jykn_lib import cli
from jykn_lib.runner import kernels

PROBE = (
    "import json, os, sys\n"
    "print(json.dumps({'preloaded': 'pandas' in sys.modules, 'cwd': os.getcwd(), 'x': os.environ.get('JYKN_TEST_X'),"
    " 'pid': os.getpid(), 'ppid': os.getppid(), 'sid': os.getsid(0)}))\n"
    "print('kernel-stderr-line', file=sys.__stderr__, flush=True)\n"
)


def _probe_kernel(cwd: Path, log: Path) -> dict:
    """Start a kernel the way a batch run does, run PROBE in it, shut it down; what it printed, and whether its
    process was gone afterwards."""

    async def go() -> dict:
        kernels.start_server()
        kernels.current_log = log
        km = kernels.PreloadedKernelManager(kernel_name="python3")
        try:
            await km.start_kernel(cwd=str(cwd), env={**os.environ, "JYKN_TEST_X": "值-1"})
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            out: list[str] = []
            await kc.execute_interactive(PROBE, timeout=60, output_hook=lambda m: out.append(
                m["content"].get("text", "") if m["msg_type"] == "stream" else ""))
            kc.stop_channels()
            seen = json.loads("".join(out).splitlines()[0])
            await km.shutdown_kernel(now=True)
        finally:
            kernels.current_log = None
        deadline = time.time() + 10
        while psutil.pid_exists(seen["pid"]) and time.time() < deadline:
            time.sleep(0.05)
        seen["gone"] = not psutil.pid_exists(seen["pid"])
        return seen

    return asyncio.run(go())


def test_only_this_interpreters_ipykernel_is_forked():
    exe = sys.executable
    assert kernels.ipykernel_argv([exe, "-m", "ipykernel_launcher", "-f", "k.json"]) == ["-f", "k.json"]
    assert kernels.ipykernel_argv([exe, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"]) == [
        "-f", "k.json"]
    assert kernels.ipykernel_argv([exe, "-O", "-m", "ipykernel_launcher", "-f", "k.json"]) is None  # an option
    assert kernels.ipykernel_argv([exe, "-m", "other_kernel", "-f", "k.json"]) is None
    assert kernels.ipykernel_argv(["/bin/sh", "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    assert kernels.ipykernel_argv(["R", "--slave", "-e", "IRkernel::main()"]) is None


@pytest.mark.skipif(not kernels.enabled(), reason="no fork server on this platform")
def test_a_forked_kernel_is_a_process_of_its_own_with_the_runs_folder_environment_and_log(tmp_path, monkeypatch):
    monkeypatch.delenv(kernels.PRELOAD_ENV, raising=False)
    log = tmp_path / "run.log"
    seen = _probe_kernel(tmp_path, log)
    assert seen["preloaded"] is True  # pandas was there before any cell imported it
    assert seen["cwd"] == str(tmp_path) and seen["x"] == "值-1"
    assert seen["ppid"] != os.getpid()  # forked by the fork server, not launched by this process
    assert seen["sid"] == seen["pid"]  # its own session: a signal to it reaches nothing else
    assert "kernel-stderr-line" in log.read_text(encoding="utf-8")
    assert seen["gone"]


def test_switched_off_every_kernel_is_a_new_interpreter(tmp_path, monkeypatch):
    monkeypatch.setenv(kernels.PRELOAD_ENV, "0")
    seen = _probe_kernel(tmp_path, tmp_path / "run.log")
    assert seen["preloaded"] is False
    assert seen["ppid"] == os.getpid()
    assert seen["cwd"] == str(tmp_path) and seen["x"] == "值-1" and seen["gone"]


VOLATILE = re.compile(r"T_[0-9a-f]{5}|0x[0-9a-f]+")  # pandas Styler's random table id; object addresses


def _texts(nb_path: Path) -> list[str]:
    """The executed notebook's outputs that a reader sees (stream and plain-text/HTML results), in cell order."""
    nb = nbformat.read(nb_path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
            elif "data" in o:
                out.append(o["data"].get("text/html") or o["data"].get("text/plain", ""))
    return [VOLATILE.sub("#", text) for text in out]


@pytest.mark.skipif(not kernels.enabled(), reason="no fork server on this platform")
def test_a_batch_gives_the_same_results_with_forked_and_launched_kernels(synth_district, tmp_path, monkeypatch):
    outs = {}
    for preload in ("1", "0"):
        monkeypatch.setenv(kernels.PRELOAD_ENV, preload)
        out = tmp_path / f"preload{preload}"
        code = cli.main(["run", "--quarter", "2026Q4", "--data", str(synth_district), "--out", str(out),
                         "--notebooks", "01", "--towns", "太和镇", "--quiet"])
        assert code == 0
        outs[preload] = out / "2026Q4"
    forked, launched = outs["1"], outs["0"]
    tables = sorted(p.relative_to(forked) for p in forked.rglob("*.parquet"))
    assert tables and tables == sorted(p.relative_to(launched) for p in launched.rglob("*.parquet"))
    for rel in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(forked / rel), pd.read_parquet(launched / rel))
    notebooks = sorted(p.relative_to(forked) for p in forked.rglob("*.ipynb") if ".jykn" not in p.parts)
    assert len(notebooks) == 2
    for rel in notebooks:
        assert _texts(forked / rel) == _texts(launched / rel)


@pytest.mark.parametrize("preload", ["1", "0"])
def test_a_kernel_is_ready_with_iopub_drained_without_a_fixed_wait(tmp_path, monkeypatch, preload):
    """ReadyKernelClient returns once the kernel_info request's idle status has come: nothing of it is left on IOPub
    for the first cell to see, and the first cell's own messages all arrive."""
    monkeypatch.setenv(kernels.PRELOAD_ENV, preload)

    async def go() -> tuple[list, str]:
        kernels.start_server()
        km = kernels.PreloadedKernelManager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        try:
            kc = km.client()
            assert isinstance(kc, kernels.ReadyKernelClient)
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("print('就绪')")
            seen = []
            while not (seen and seen[-1]["msg_type"] == "status"
                       and seen[-1]["content"]["execution_state"] == "idle"):
                seen.append(await kc.get_iopub_msg(timeout=30))
            kc.stop_channels()
            return [(m["msg_type"], m["parent_header"].get("msg_id")) for m in seen], msg_id
        finally:
            await km.shutdown_kernel(now=True)

    seen, msg_id = asyncio.run(go())
    assert {parent for _, parent in seen} == {msg_id}  # the very first IOPub message already belongs to the cell
    assert next(t for t, _ in seen) == "status" and "stream" in [t for t, _ in seen]
