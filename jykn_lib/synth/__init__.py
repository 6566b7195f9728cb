"""The seeded, deterministic synthetic 清新区: every input source of the data contract, written as real exports come,
with planted cases, planted faults and an answer key (``synth_manifest.json``).

    from jykn_lib.synth import generate
    manifest_path = generate("outputs/demo/data")            # defaults from params/demo.yaml

The same (people, seed, as_of) give byte-identical files. Nothing reads today's date. The labels in the manifest come
from how each person was planted (:mod:`.design`, :mod:`.background`, :mod:`.cases`), never from the rule engine.

Modules: config (settings, parameters, seeded generators), fakes (Faker pools), population (households, people,
identity numbers), design (one labelled person), background, cases (named cases), sources (one builder per source),
writers (files), faults, manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .applications import plant as build_applications
from .background import build_background, build_posts
from .cases import build_cases
from .config import RuleNumbers, Settings, demo_defaults
from .faults import Faults, add_fillers
from .ledger_cases import build_ledger_cases
from .manifest import MANIFEST_NAME
from .manifest import build as build_manifest
from .manifest import write as write_manifest
from .population import World, build_plain, plain_facts
from .returns import plant_town_truth
from .sources import Builders
from .writers import SOURCE_ORDER, plan_contribution_files, plan_files, write

MIN_PEOPLE = 1000
MIN_PLAIN_SHARE = 0.3

__all__ = ["MANIFEST_NAME", "build_world", "generate"]


def _settings(out_dir, people, seed, as_of) -> Settings:
    d = demo_defaults()
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    people = int(people if people is not None else d["people"])
    if people < MIN_PEOPLE:
        raise ValueError(f"合成人口至少 {MIN_PEOPLE} 人（收到 {people}）")
    return Settings(out_dir=Path(out_dir), people=people, seed=int(seed if seed is not None else d["seed"]),
                    as_of=as_of or d["as_of"])


def build_world(settings: Settings) -> World:
    """Everyone and every fact, with the answer key; no file is written."""
    world = World(settings, RuleNumbers.on(settings.as_of))
    build_background(world)
    build_cases(world)
    build_ledger_cases(world)  # 03 台账检查: one case per kind of finding (world.ledger_review)
    plant_town_truth(world)  # 02 定期审验: what only the towns know (jykn_lib.synth.returns)
    planted_residents = int(world.people()["in_hukou"].astype(bool).sum())
    n_plain = max(int(MIN_PLAIN_SHARE * settings.people), settings.people - planted_residents)
    build_plain(world, n_plain)
    plain_facts(world)
    build_posts(world)
    build_applications(world)
    add_fillers(world)
    ids = world.ids()
    if len(set(ids.tolist())) != len(ids):
        raise AssertionError("identity numbers are not unique")
    spells = world.spells.frame()
    if (spells["start"].astype(int) > spells["end"].astype(int)).any():
        raise AssertionError("empty contribution spell planted")
    return world


def made_here(out_dir: Path) -> set[str]:
    """Names of the files an earlier run of the generator made in ``out_dir`` and nobody changed since: listed in its
    manifest with the same sha256 (and the manifest itself). A file edited by hand is no longer ours."""
    import hashlib

    old = out_dir / MANIFEST_NAME
    try:
        listed = json.loads(old.read_text(encoding="utf-8")).get("files", [])
        entries = [(str(f["file"]), f.get("sha256")) for f in listed]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()
    ours = {MANIFEST_NAME}
    for name, digest in entries:
        path = out_dir / name
        if (Path(name).name == name and path.is_file() and not path.is_symlink()
                and digest and hashlib.sha256(path.read_bytes()).hexdigest() == digest):
            ours.add(name)
    return ours


def check_folder(out_dir: Path, force: bool = False) -> set[str]:
    """Refuse (ValueError, Chinese) a folder holding anything the generator did not make, unless ``force``; even then,
    refuse data files of a contract source that are not ours (they would be read together with the synthetic ones).
    Returns the names of our own earlier files."""
    from ..contract import load_contract

    if not out_dir.exists():
        return set()
    if not out_dir.is_dir():
        raise ValueError(f"{out_dir} 不是文件夹")
    ours = made_here(out_dir)
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if not others:
        return ours
    shown = "、".join(others[:5]) + (f" 等 {len(others)} 个" if len(others) > 5 else "")
    if not force:
        raise ValueError(f"文件夹 {out_dir} 中已有不是合成数据生成器写出的文件（{shown}）：为免覆盖或混入真实数据，"
                         "不在这里生成。请换一个空文件夹；确认要写入时加 --force（仍不会覆盖这些文件）。")
    contract = load_contract()
    data = [n for n in others if (out_dir / n).is_file() and contract.match_file(n) is not None]
    if data:
        raise ValueError(f"文件夹 {out_dir} 中有不是合成数据生成器写出的数据文件（{'、'.join(data[:5])}）："
                         "合成数据会与它们一起被当作同一来源读取。即使加 --force 也不在这里生成；请换一个文件夹。")
    return ours


def _remove_previous(out_dir: Path, ours: set[str]) -> None:
    """Our own earlier files (their names may differ this time); nothing else is touched."""
    for name in sorted(ours):
        (out_dir / name).unlink(missing_ok=True)


def generate(out_dir, people: int | None = None, seed: int | None = None, as_of=None, *, force: bool = False) -> Path:
    """Write every source of the data contract and ``synth_manifest.json`` into ``out_dir``; returns the manifest.

    A folder holding files the generator did not make is refused (``force``: allowed, but such a file is never
    written over, and data files of a contract source are refused even then)."""
    check_folder(Path(out_dir), force)
    settings = _settings(out_dir, people, seed, as_of)
    world = build_world(settings)
    builders = Builders(world)
    specs: dict[str, list] = {}
    for source in SOURCE_ORDER:
        if source == "contributions":
            specs[source] = plan_contribution_files(builders, settings.people)
        else:
            specs[source] = plan_files(source, getattr(builders, source)(), settings.people, settings.export_date)
    del builders  # its caches (spells, ranks) are large for big districts
    faults = Faults(world, specs)
    faults.plant()
    out_dir = settings.out_dir
    ours = check_folder(out_dir, force)  # again: the folder may have changed while the district was built
    names = [sp.name for source in SOURCE_ORDER for sp in specs[source]] + [MANIFEST_NAME]
    clash = sorted(n for n in names if ((out_dir / n).exists() or (out_dir / n).is_symlink()) and n not in ours)
    if clash:
        raise ValueError(f"文件夹 {out_dir} 中已有同名文件 {'、'.join(clash)}，不是合成数据生成器写出的：不覆盖，未生成。")
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous(out_dir, ours)
    records = faults.resolve_rows()
    flat = [sp for source in SOURCE_ORDER for sp in specs[source]]
    for sp in flat:
        write(sp, out_dir, settings.export_date)
        sp.release()
    manifest = build_manifest(world, flat, records)
    return write_manifest(manifest, out_dir)
