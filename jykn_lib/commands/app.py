"""jykn app — the ad-hoc query forms (notebook 06) as a local web page, served by Voilà on 127.0.0.1.

    jykn app --data data/2026Q4 --quarter 2026Q4 [--as-of 2026-11-26] [--out outputs] [--port N] [--open]
    jykn app --demo                       # the synthetic district of params/demo.yaml

The parameters are checked here first (errors in Chinese, exit status 2), then a copy of the notebook with the
parameters injected (papermill's convention) is written to a private temporary folder and served: only that notebook,
only on this computer, behind a random token in the address printed. The page runs no code the user can see. Ctrl-C
(or SIGTERM) stops the server and removes the temporary copy. Exit status 0 after a clean stop, 1 when the server
could not start.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
NOTEBOOK = "notebooks/06_adhoc_queries.ipynb"
PAGE_NAME = "即时查询.ipynb"  # the page's title in the browser tab
START_TIMEOUT = 120  # seconds for Voilà to answer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR", help="输入数据文件夹（必填，除非用 --demo）")
    parser.add_argument("--quarter", default=None, metavar="2026Q4", help="季度（必填，除非用 --demo）：读取该季度及以前保存的结果")
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="基准日（默认：该季度第一个工作日）")
    parser.add_argument("--out", default="outputs", metavar="DIR",
                        help="输出根目录（默认 outputs）：读取 <DIR>/<季度>/区汇总/results/，导出写入 <DIR>/adhoc/")
    parser.add_argument("--port", type=int, default=0, metavar="N", help="端口（默认：自动选一个空闲端口）")
    parser.add_argument("--open", action="store_true", help="启动后用默认浏览器打开页面")
    parser.add_argument("--demo", action="store_true", help="使用 params/demo.yaml 的合成演示数据和演示期")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _parameters(args) -> dict:
    from jykn_lib.params import load_yaml

    if args.demo:
        demo = load_yaml("demo.yaml")
        return {"quarter": str(demo["quarter"]), "as_of": str(demo["as_of"]), "data_dir": str(demo["data_dir"]),
                "out_dir": str(demo["out_dir"])}
    missing = [flag for flag, value in (("--data", args.data), ("--quarter", args.quarter)) if not value]
    if missing:
        raise ValueError(f"必须用 {' 和 '.join(missing)} 指定数据文件夹和季度（程序不读取当天日期），或用 --demo 打开演示数据。")
    # folders typed on the command line are relative to the current folder (as for jykn run)
    return {"quarter": args.quarter, "as_of": args.as_of or "", "data_dir": str(Path(args.data).expanduser().resolve()),
            "out_dir": str(Path(args.out).expanduser().resolve())}


def prepare(args) -> tuple[dict, Path]:
    """Check the parameters as the notebook will (Chinese errors) and write the parameterised copy; returns both."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from jykn_lib import kit
    from jykn_lib.params import REPO_ROOT

    params = _parameters(args)
    if args.demo:
        print("使用合成演示数据（非真实个人信息）；首次使用时生成，约需一分钟……", file=sys.stderr)
        kit.prepare_demo_data(params["data_dir"])
    setup = kit.validate_parameters(notebook="06", **params)
    # absolute folders: the kernel runs in the temporary folder
    params.update(data_dir=str(setup.data_dir), out_dir=str(setup.out_root), as_of=setup.as_of.isoformat())
    nb = parameterize_notebook(load_notebook_node(str(REPO_ROOT / NOTEBOOK)), params)
    folder = Path(tempfile.mkdtemp(prefix="jykn-app-"))  # 0700: the copy names the data folder
    path = folder / PAGE_NAME
    nbformat.write(nb, path)
    return params, path


def command(path: Path, port: int, token: str) -> list[str]:
    return [sys.executable, "-m", "voila", str(path), "--no-browser", f"--port={port}", f"--Voila.ip={HOST}",
            "--Voila.port_retries=0", f"--token={token}", "--show_tracebacks=False", "--Voila.log_level=ERROR",
            "--KernelManager.transport=ipc",
            "--theme=light"]


def _answering(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def main(args: argparse.Namespace) -> int:
    try:
        params, path = prepare(args)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    port = args.port or free_port()
    token = secrets.token_urlsafe(18)
    url = f"http://{HOST}:{port}/?token={token}"
    env = dict(os.environ, JYKN_APP="1")
    proc = subprocess.Popen(command(path, port, token), env=env, cwd=str(path.parent))

    def stop(signum=None, frame=None):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answering(port):
            if proc.poll() is not None:
                print(f"错误：查询页面未能启动（Voilà 退出，状态 {proc.returncode}）；端口 {port} 可能已被占用。",
                      file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"错误：查询页面在 {START_TIMEOUT} 秒内没有响应。", file=sys.stderr)
                return 1
            time.sleep(0.3)
        print(f"即时查询页面已启动（{params['quarter']}，数据文件夹 {params['data_dir']}）。", flush=True)
        print(f"请在浏览器中打开：{url}", flush=True)
        print("仅本机可以访问；按 Ctrl-C 停止。", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)
        proc.wait()
        return 0 if proc.returncode in (0, -signal.SIGINT, -signal.SIGTERM) else 1
    except KeyboardInterrupt:
        print("正在停止查询页面……", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(path.parent, ignore_errors=True)
