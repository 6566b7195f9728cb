"""Set-up (issue 9): JupyterLab comes with the README's install; a wheel (``pip install .``, not editable) carries
params/, notebooks/ and the report template, and ``jykn demo`` runs from it with no repository around."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from jykn_lib.params import REPO_ROOT

BIN = Path(sys.executable).parent
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("PYTHONPATH", "JYKN_PARAMS", "JYKN_NOTEBOOKS", "JYKN_HOME", "JUPYTER_PATH")}


def test_jupyterlab_is_installed_with_the_package():
    done = subprocess.run([str(BIN / "jupyter"), "lab", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().split(".")[0]) >= 4


def _copy_source(dst: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", "outputs", "data", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".hypothesis", ".ipynb_checkpoints")
    shutil.copytree(REPO_ROOT, dst, ignore=ignore)
    return dst


@pytest.mark.slow
def test_an_installed_wheel_runs_the_demo_without_the_repository(tmp_path):
    src = _copy_source(tmp_path / "src")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(src)], capture_output=True, text=True, timeout=600, env=CLEAN_ENV)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("jykn-*.whl")

    # A fresh virtual environment that sees this environment's dependencies (a .pth line) but not its editable
    # install of jykn (the .pth lines of an added folder are not run): the wheel is the only jykn it can import.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "jykn_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=600, env=CLEAN_ENV)
    assert installed.returncode == 0, installed.stderr[-3000:]
    # the kernel papermill starts is this venv's python (a kernelspec of its own, found first)
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3",
        "language": "python"}), encoding="utf-8")
    # nbconvert's own templates (lab) are data files of this environment, as they would be of a fresh venv's
    env = dict(CLEAN_ENV, JUPYTER_PATH=os.pathsep.join([str(tmp_path / "jupyter"), str(Path(sys.prefix) / "share" /
                                                                                       "jupyter")]))
    work = tmp_path / "work"
    work.mkdir()

    probe = subprocess.run([str(python), "-c", (
        "import json, jykn_lib, jykn_lib.params as P, jykn_lib.report.page as R\n"
        "from jykn_lib.runner.registry import load_registry\n"
        "print(json.dumps({'package': jykn_lib.__file__, 'data': str(P.DATA_ROOT), 'root': str(P.REPO_ROOT),"
        " 'notebook': str(load_registry().get('01').path), 'template': R.TEMPLATE_DIR.is_dir()}))")],
        capture_output=True, text=True, cwd=work, env=env, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout)
    assert found["package"].startswith(str(site))
    assert found["data"] == str(site / "jykn_lib" / "_data") and found["root"] == str(work)
    assert Path(found["notebook"]).is_file() and found["notebook"].startswith(str(site)) and found["template"]

    demo = subprocess.run([str(python), "-m", "jykn_lib.cli", "demo", "--people", "1000", "--jobs", "2", "--quiet"],
                          capture_output=True, text=True, cwd=work, env=env, timeout=1800)
    assert demo.returncode == 0, (demo.stdout + demo.stderr)[-4000:]
    quarter = work / "outputs" / "demo" / "2026Q4"  # relative to the working folder, not inside the package
    assert str(quarter / "index.html") in demo.stdout + demo.stderr
    page = (quarter / "区汇总" / "01_screening_2026Q4_区汇总.html").read_text(encoding="utf-8")
    assert '<h1 class="jykn-title">' in page and "2026Q4" in page
    assert not (site / "jykn_lib" / "_data" / "outputs").exists()
