"""Notebook 06 and `jykn app`: under papermill the notebook runs and says the forms need a front end; `jykn app` serves
it with Voilà on 127.0.0.1, and a real browser (headless Chromium, Selenium) types an identity number into 人员查询
and reads the answer back from the page.

Without Chromium the browser test fails with a message, unless JYKN_NO_CHROMIUM=1 lists it as not run (skipped with a
reason), as .ci/run does when the Debian packages could not be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from jykn_lib import kit
from jykn_lib.analyses import screening
from jykn_lib.cli import main as jykn_main
from jykn_lib.commands import app
from jykn_lib.params import REPO_ROOT
from jykn_lib.widgets import NO_FRONT_END

NOTEBOOK = REPO_ROOT / "notebooks" / "06_adhoc_queries.ipynb"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromedriver")
SCREENSHOTS_ENV = "JYKN_SCREENSHOTS"  # a folder to copy the page's screenshot into (docs/images when refreshing it)


def test_app_needs_a_data_folder_and_a_quarter(capsys):
    assert jykn_main(["app", "--quarter", "2026Q4"]) == 2
    assert "必须用 --data" in capsys.readouterr().err
    assert jykn_main(["app", "--data", "/nonexistent/jykn", "--quarter", "2026Q4"]) == 2
    assert "不存在" in capsys.readouterr().err


def test_the_server_listens_on_this_computer_only_behind_a_token(tmp_path):
    cmd = app.command(tmp_path / "x.ipynb", 8999, "tok")
    assert "--Voila.ip=127.0.0.1" in cmd and "--token=tok" in cmd and "--port=8999" in cmd
    assert "--show_tracebacks=False" in cmd and "--no-browser" in cmd


@pytest.mark.slow
def test_notebook_06_under_papermill_says_the_forms_need_a_front_end(synth_district, synth_manifest, tmp_path):
    out = tmp_path / "out"
    params = {"quarter": "2026Q4", "as_of": synth_manifest["generator"]["as_of"], "data_dir": str(synth_district),
              "out_dir": str(out)}
    env_app = os.environ.pop("JYKN_APP", None)
    try:
        pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "06.ipynb"), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(REPO_ROOT))
    finally:
        if env_app is not None:
            os.environ["JYKN_APP"] = env_app
    nb = nbformat.read(tmp_path / "06.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert NO_FRONT_END in text
    raw = (tmp_path / "06.ipynb").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget" not in raw  # no widget, so no widget state with identity numbers
    assert not re.search(r"\b\d{17}[\dX]\b", raw)


# ---------------------------------------------------------------------------------------------- in a real browser


def _chromium() -> tuple[str, str]:
    if all(Path(p).exists() for p in CHROMIUM):
        return CHROMIUM
    found = (shutil.which("chromium"), shutil.which("chromedriver"))
    if all(found):
        return found
    if os.environ.get("JYKN_NO_CHROMIUM") == "1":
        pytest.skip("Chromium 或 chromedriver 未安装：浏览器端到端测试未运行（not run）")
    pytest.fail("未找到 chromium 和 chromedriver：请安装（Debian：apt-get install chromium chromium-driver），"
                "或设置 JYKN_NO_CHROMIUM=1 把浏览器测试列为未运行。", pytrace=False)


@pytest.fixture
def served(synth_district, synth_manifest, tmp_path):
    """01's district run kept, then `jykn app` on the synthetic district; yields (url, process, output folder)."""
    as_of = synth_manifest["generator"]["as_of"]
    out = tmp_path / "out"
    kit.run(kit.validate_parameters(notebook="01", quarter="2026Q4", as_of=as_of, data_dir=str(synth_district),
                                    out_dir=str(out)), screening)
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "jykn_lib.cli", "app", "--data", str(synth_district),
                             "--quarter", "2026Q4", "--as-of", as_of, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=log, text=True, cwd=str(tmp_path))
    url = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        m = re.search(r"请在浏览器中打开：(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        url = m.group(1) if m else None
    try:
        assert url, "jykn app 没有给出地址：" + (tmp_path / "app.log").read_text(encoding="utf-8")[-2000:]
        yield url, proc, out
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.mark.chromium
@pytest.mark.slow
def test_jykn_app_in_headless_chromium(served, synth_manifest, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver = _chromium()
    url, proc, _out = served
    case = next(c for c in synth_manifest["cases"] if c["case"] == "e4_three_refusals")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1800",
                "--lang=zh-CN"):
        options.add_argument(arg)
    page = webdriver.Chrome(service=Service(driver), options=options)
    try:
        page.get(url)
        box = WebDriverWait(page, 240).until(lambda p: p.find_elements(By.CSS_SELECTOR, ".jykn-person-query input"))[0]
        body = page.find_element(By.TAG_NAME, "body").text
        assert all(t in body for t in ("人员查询", "资格测算", "名单筛选")) and "kit.validate_parameters" not in body
        box.send_keys(case["id_number"])
        answer = WebDriverWait(page, 180).until(
            lambda p: (t := p.find_element(By.CSS_SELECTOR, ".jykn-person-answer").text) and "台账状态与类别" in t and t)
        name = page.find_element(By.XPATH, "//div[contains(@class,'jykn-person-answer')]//th[text()='姓名']"
                                           "/following-sibling::td").text
        assert case["id_number"] in answer and "服务与经历时间线" in answer and "待处理事项" in answer
        assert name and name in _names_in_files(served_data(proc), case["id_number"])
        # a malformed number typed into the same box is answered in Chinese on the page
        box.clear()
        box.send_keys(case["id_number"][:10])
        WebDriverWait(page, 60).until(lambda p: "实际为10位" in p.find_element(By.CSS_SELECTOR, ".jykn-person-answer").text)
        box.clear()
        box.send_keys(case["id_number"])
        WebDriverWait(page, 180).until(
            lambda p: "台账状态与类别" in p.find_element(By.CSS_SELECTOR, ".jykn-person-answer").text)
        shot = tmp_path / "adhoc_person.png"
        page.set_window_size(1280, 1400)
        page.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get(SCREENSHOTS_ENV):
            shutil.copy(shot, Path(os.environ[SCREENSHOTS_ENV]) / shot.name)
    finally:
        page.quit()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0  # a clean stop


def served_data(proc) -> Path:
    args = proc.args
    return Path(args[args.index("--data") + 1])


def _names_in_files(data: Path, pid: str) -> set[str]:
    """The person's names as the 户籍人口 and 就业困难人员台账 files hold them (read with openpyxl, not the suite)."""
    import openpyxl

    names = set()
    for path in [*sorted(data.glob("户籍人口*.xlsx")), *sorted(data.glob("就业困难人员台账*.xlsx"))]:
        ws = openpyxl.load_workbook(path, read_only=True).active
        rows = ws.iter_rows(values_only=True)
        header = None
        for row in rows:
            cells = [str(c).replace(" ", "") if c is not None else "" for c in row]
            if header is None:
                if "公民身份号码" in cells and "姓名" in cells:
                    header = cells
                continue
            value = row[header.index("公民身份号码")]
            if value is not None and str(value).strip().upper() == pid:
                names.add(str(row[header.index("姓名")]).strip())
    return names


@pytest.mark.slow
def test_front_end_detection_in_a_real_kernel():
    """A front end that lets the kernel ask for input (JupyterLab) shows widgets; an executor that does not (papermill,
    nbclient) does not, unless `jykn app` said so through $JYKN_APP."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env={k: v for k, v in os.environ.items() if k != "JYKN_APP"})
    try:
        def ask(allow_stdin: bool, code: str = "") -> str:
            out = []
            kc.execute_interactive(code + "from jykn_lib.widgets import has_front_end; print(has_front_end())",
                                   allow_stdin=allow_stdin, timeout=120, stdin_hook=lambda msg: None,
                                   output_hook=lambda m: out.append(m["content"].get("text", "")))
            return "".join(out).strip()

        assert ask(True) == "True"
        assert ask(False) == "False"
        assert ask(False, "import os; os.environ['JYKN_APP'] = '1'; ") == "True"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
