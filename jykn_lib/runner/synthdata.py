"""Build the synthetic district once per (seed, people, as_of): used by ``jykn demo`` and by a notebook opened without
arguments. The data is generated into a temporary sibling folder and renamed into place, so runs started together
never see a half-written folder; a folder without ``synth_manifest.json`` (real data?) is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

from jykn_lib.dates import to_date

MANIFEST = "synth_manifest.json"


def synth_parameters(folder: Path) -> dict[str, str] | None:
    """seed/people/as_of recorded in the folder's synth_manifest.json (as text), or None when absent or unreadable."""
    path = Path(folder) / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    found: dict[str, str] = {}
    for node in (raw.get("generator"), raw.get("parameters"), raw):  # jykn_lib.synth writes them under "generator"
        if isinstance(node, dict):
            for key in ("seed", "people", "as_of"):
                if key in node and key not in found:
                    found[key] = str(node[key])
    return found


def synth_matches(folder: Path, *, people: int, seed: int, as_of: Any) -> bool:
    return synth_parameters(folder) == {"seed": str(seed), "people": str(people), "as_of": _day(as_of)}


def ensure_synthetic_data(folder: str | os.PathLike, *, people: int, seed: int, as_of: Any) -> bool:
    """Make ``folder`` hold the synthetic district for these settings. True if it was (re)generated."""
    folder = Path(folder)
    if synth_matches(folder, people=people, seed=seed, as_of=as_of):
        return False
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise ValueError(
            f"文件夹 {folder} 已有文件，但不是合成数据（没有 {MANIFEST}）：为免覆盖真实数据，不在这里生成合成数据。"
        )
    foreign = _not_listed(folder)
    if foreign:
        raise ValueError(
            f"文件夹 {folder} 中有合成数据清单 {MANIFEST} 没有列出的文件（{'、'.join(foreign[:5])}）："
            "重新生成会删除整个文件夹，为免删除这些文件，未生成。请把它们移走后重新运行。"
        )
    from jykn_lib.synth import generate  # written alongside; imported only when needed

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        generate(tmp, people=people, seed=seed, as_of=to_date(as_of))
        if synth_matches(folder, people=people, seed=seed, as_of=as_of):  # another process finished first
            return False
        if folder.exists():
            shutil.rmtree(folder)
        try:
            os.rename(tmp, folder)
        except OSError:
            if synth_matches(folder, people=people, seed=seed, as_of=as_of):
                return False
            raise
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _not_listed(folder: Path) -> list[str]:
    """Entries of a synthetic data folder that its manifest does not list (put there by a person)."""
    if not folder.is_dir() or not (folder / MANIFEST).exists():
        return []
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed = {str(f["file"]) for f in raw.get("files", [])} if isinstance(raw, dict) else set()
    except (OSError, ValueError, KeyError, TypeError):
        listed = set()
    return sorted(p.name for p in folder.iterdir() if p.name not in listed | {MANIFEST})


def _day(value: Any) -> str:
    return to_date(value).isoformat()
