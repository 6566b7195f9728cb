"""Parse once: the reader's typed result of each input file, kept in Parquet and loaded instead of parsing again.

A quarterly batch runs every notebook for the district and each town; without this each run would parse the same large
files again. A file's entry is keyed by

- the SHA-256 of the file's bytes, its name as the reader reports it and the source it is read as;
- the base date (the identity check compares birth dates with it);
- the parameter folder's fingerprint (the data contract, its synonyms, the towns, every dated parameter the reader's
  vocabularies use): any edit under ``params/`` is a new key;
- the reader's fingerprint: the source code of the modules that parse, and the versions of the engines under them.

So an entry is never used for another file, contract or reader. An entry holds exactly what parsing the file produced
(the used and rejected rows of each sheet, its 问题数据 rows, the sheets it did not read), so a cached read gives the
same DataSet as a fresh one (tested). Entries are folders under ``<outputs>/.jykn/cache/read/``, written atomically and
readable by their owner only (they hold personal data); ``jykn cache clear`` removes them. ``JYKN_NO_CACHE=1`` turns
the cache off (benchmarks compare with it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..files import PERSONAL_MODE, sha256_file
from ..params import params_dir

FORMAT = 2  # the entry layout; raise it when what an entry holds changes
DISABLE_ENV = "JYKN_NO_CACHE"
CACHE_DIR = Path(".jykn") / "cache"  # under the outputs folder
READ_DIR = "read"
# the modules whose code decides what a file parses to (relative to jykn_lib/)
READER_MODULES = ("io/reader.py", "io/cells.py", "io/engines.py", "io/schema.py", "io/problems.py", "io/cache.py",
                  "contract.py", "idcard.py", "dates.py")
ENGINES = ("pandas", "pyarrow", "numpy", "python-calamine", "xlrd", "pandera")


def cache_root(out_root: Path) -> Path:
    return Path(out_root) / CACHE_DIR


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip() not in ("1", "true", "yes")


@functools.lru_cache(maxsize=8)
def _folder_fingerprint(root: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    base = Path(root)
    for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(base)).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def params_fingerprint(root: Path | None = None) -> str:
    """Every file of the parameter folder (names and bytes). Recomputed when a file's size or time changes."""
    base = Path(root or params_dir())
    stamp = tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in base.rglob("*") if p.is_file()))
    return _folder_fingerprint(str(base), stamp)


@functools.lru_cache(maxsize=1)
def reader_fingerprint() -> str:
    h = hashlib.sha256(f"format {FORMAT}".encode())
    pkg = Path(__file__).resolve().parent.parent
    for rel in READER_MODULES:
        h.update(rel.encode() + b"\0" + (pkg / rel).read_bytes())
    for name in ENGINES:
        try:
            h.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} absent".encode())
    return h.hexdigest()


@dataclass
class Entry:
    """What parsing one file produced."""

    results: list  # reader.FileResult
    refusals: list[tuple[str, str]]
    problems: pd.DataFrame  # its 问题数据 rows, in the order the reader wrote them
    ignored: list[tuple[str, str]]


class ReadCache:
    """Entries under ``root/read/<key>/``. Unwritable folders are not an error: the file is then parsed as usual."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_outputs(cls, out_root: Path) -> ReadCache | None:
        return cls(cache_root(out_root)) if enabled() else None

    def key(self, source: str, path: Path, rel: str, as_of) -> str:
        parts = [sha256_file(path), source, rel, str(as_of), params_fingerprint(), reader_fingerprint()]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def _dir(self, key: str) -> Path:
        return self.root / READ_DIR / key[:2] / key

    def load(self, key: str) -> Entry | None:
        from .reader import FileResult

        folder = self._dir(key)
        try:
            info = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
            if info.get("format") != FORMAT:
                return None
            results = [FileResult(pd.read_parquet(folder / f"used_{i}.parquet"), r["found"], r["row"],
                                  pd.read_parquet(folder / f"rejected_{i}.parquet"))
                       for i, r in enumerate(info["results"])]
            problems = pd.read_parquet(folder / "problems.parquet")
        except (OSError, ValueError, KeyError):  # absent, half-written by a killed run, or unreadable: parse again
            self.misses += 1
            return None
        self.hits += 1
        return Entry(results, [tuple(x) for x in info["refusals"]], problems, [tuple(x) for x in info["ignored"]])

    def store(self, key: str, entry: Entry) -> None:
        final = self._dir(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))  # 0700
            for i, r in enumerate(entry.results):
                r.used.to_parquet(tmp / f"used_{i}.parquet", index=False)
                r.rejected.to_parquet(tmp / f"rejected_{i}.parquet", index=False)
            entry.problems.to_parquet(tmp / "problems.parquet", index=False)
            info = {"format": FORMAT, "results": [{"found": r.found, "row": _plain(r.row)} for r in entry.results],
                    "refusals": entry.refusals, "ignored": entry.ignored}
            (tmp / "entry.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            for p in tmp.iterdir():
                p.chmod(PERSONAL_MODE)
            try:
                tmp.rename(final)  # atomic: a reader sees the whole entry or none
            except OSError:  # another worker stored the same entry first
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            return


def _plain(row: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def clear(out_root: Path) -> tuple[int, int]:
    """Remove the cache of an outputs folder: (entries, bytes) removed."""
    root = cache_root(out_root)
    if not root.exists():
        return 0, 0
    entries = sum(1 for _ in (root / READ_DIR).glob("*/*")) if (root / READ_DIR).exists() else 0
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    shutil.rmtree(root)
    return entries, size
