"""The README stays true: its set-up block is the two commands CI runs, and every repository path it names exists."""

from __future__ import annotations

import re
import tomllib

from jykn_lib.params import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def setup_block() -> list[str]:
    block = re.search(r"^```sh\n(.*?)^```$", README, re.S | re.M).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_setup_block_is_the_two_commands_ci_runs():
    install, demo = setup_block()
    assert install.startswith("python3 -m venv .venv && .venv/bin/pip install -e '.[test]'")
    assert demo.startswith(".venv/bin/jykn demo")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci and "jupyter lab --version" in ci and "make lint" in ci and "make test" in ci
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.lower().startswith("jupyterlab") for d in deps)  # the install command brings JupyterLab


def named_paths() -> list[str]:
    paths = set()
    for code in re.findall(r"`([^`\n]+)`", README):
        for token in code.split():
            token = token.strip("（），,;；")
            if re.fullmatch(r"[\w./-]+", token) and ("/" in token or re.search(r"\.(md|py|ya?ml|toml)$", token)) \
                    and not token.startswith(("-", "/", "http")) and "<" not in token:
                paths.add(token)
    return sorted(paths)


def exists(path: str) -> bool:
    """At the root, or (names in the folder table: `kit/`, `rules.md`) inside one of the repository's folders."""
    name = path.rstrip("/")
    return (REPO_ROOT / name).exists() or any(
        p for top in ("jykn_lib", "params", "docs", "tests", "notebooks") for p in (REPO_ROOT / top).glob(f"**/{name}"))


def test_every_repository_path_the_readme_names_exists():
    made_by_runs = {"jykn_lib/_data/", ".失败输出/"}  # the wheel's copy of params/; where a failed run's files go
    # 区汇总/… are a quarter's outputs (outputs/<季度>/区汇总/…)
    missing = [p for p in named_paths() if p not in made_by_runs
               and not p.startswith((".venv/", "outputs/", "data/", "区汇总/")) and not exists(p)]
    assert not missing, f"README 提到的这些文件不存在：{missing}"
    assert "../" not in README  # nothing outside the repository


def test_the_path_check_can_fail(monkeypatch):
    monkeypatch.setattr("test_readme.README", README + "\n见 `docs/没有这个文件.md`。\n")
    assert "docs/没有这个文件.md" in named_paths() and not exists("docs/没有这个文件.md")
