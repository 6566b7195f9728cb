"""Shared test set-up: the YAML rule-case collector (tests/rules/*.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from nbclient import NotebookClient  # noqa: E402
from rule_cases import RuleCaseFile  # noqa: E402

# The tests' own papermill calls stop their kernels at once, as the runner does (jykn_lib.runner.execute._kernel_config):
# the graceful wait costs about a second per notebook and proves nothing here.
NotebookClient.shutdown_kernel.default_value = "immediate"


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "rules" and file_path.parent.parent.name == "tests":
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


# --- the default synthetic district, built once per test session (shared by xdist workers through a file lock) ----

import fcntl  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402


def _shared_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under xdist every worker has basetemp/popen-gwN; the parent is shared by the session
    return base.parent if base.name.startswith("popen-gw") else base


@pytest.fixture(scope="session")
def synth_district(tmp_path_factory) -> Path:
    """The default synthetic district (params/demo.yaml seed and as_of, default size): its data folder."""
    from jykn_lib.params import load_yaml
    from jykn_lib.synth import generate

    demo = load_yaml("demo.yaml")
    root = _shared_root(tmp_path_factory)
    folder = root / "synth_default"
    with open(root / "synth_default.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "synth_manifest.json").exists():
            generate(folder, people=int(demo["people"]), seed=int(demo["seed"]), as_of=demo["as_of"])
    return folder


@pytest.fixture(scope="session")
def synth_manifest(synth_district) -> dict:
    return json.loads((synth_district / "synth_manifest.json").read_text(encoding="utf-8"))
