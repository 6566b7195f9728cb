"""Shared test set-up: the YAML rule-case collector (tests/rules/*.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from rule_cases import RuleCaseFile  # noqa: E402


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "rules" and file_path.parent.parent.name == "tests":
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None
