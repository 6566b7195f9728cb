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
same DataSet as a fresh one (tested).

A source read from several files (社保缴费 by quarter, 户籍人口 in parts) is then merged: identical rows collapsed,
conflicting rows of one person resolved. That step is kept too, as a *merge entry* keyed by the keys of the source's
files in their order: the merged rows, the 问题数据 rows of the merge and the per-sheet counts. With it, a warm read
loads one table per source and never the files' own rows.

Two runs of a batch start together (01's and 02's district runs) and want many of the same files. Parsing or merging
an entry holds its lock (``locks/<key>.lock``, an OS file lock, released when the process ends however it ends): the
other run parses the files nobody is parsing, then waits for the rest and loads them. So each file is parsed once per
batch, even when the cache starts empty. Entries are folders under ``<outputs>/.jykn/cache/read/``, written atomically and
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..files import DIGESTS_ENV, PERSONAL_MODE, file_stamp, sha256_file
from ..params import params_dir

FORMAT = 2  # the entry layout; raise it when what an entry holds changes
# LZ4 rather than pandas' default snappy: the same size on disk, decoded faster (01's 12 merge entries at 620,000
# residents, 80 MB: 0.73 -> 0.64 s, best of 4). Only this reader reads the cache.
COMPRESSION = "lz4"
DISABLE_ENV = "JYKN_NO_CACHE"
CACHE_DIR = Path(".jykn") / "cache"  # under the outputs folder
READ_DIR = "read"
MERGED_DIR = "merged"
LOCKS_DIR = "locks"
# how long a run waits for another to finish parsing a file before parsing it itself (the largest files parse in
# about a minute; a process that dies releases its lock at once)
LOCK_WAIT_SECONDS = 1800
# the modules whose code decides what a file parses to (relative to jykn_lib/)
READER_MODULES = ("io/reader.py", "io/cells.py", "io/engines.py", "io/schema.py", "io/problems.py", "io/cache.py",
                  "contract.py", "idcard.py", "dates.py")
ENGINES = ("pandas", "pyarrow", "numpy", "python-calamine", "xlrd", "pandera")


def known_digests() -> dict[str, tuple[list[int], str]]:
    """The runner's digests of this batch's inputs (absolute path → (stamp, sha256)); empty outside a batch."""
    name = os.environ.get(DIGESTS_ENV, "")
    if not name:
        return {}
    try:
        raw = json.loads(Path(name).read_text(encoding="utf-8"))
        return {str(p): (list(v["stamp"]), str(v["sha256"])) for p, v in raw.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


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


@dataclass
class Merged:
    """What merging one source's files produced (reader._resolve_keys)."""

    all_rows: pd.DataFrame  # every row after identical rows were collapsed, ``_chosen`` marking the rows used
    problems: pd.DataFrame  # the merge's 问题数据 rows, in order
    counts: list  # [file, sheet, merged rows, conflicting rows] per sheet
    # "whole": the files' own rejected rows and 问题数据 too (kept when no file or sheet of the source was refused),
    # so that a warm read needs only the files' entry.json, not their Parquet
    rejected: pd.DataFrame | None = None
    file_problems: pd.DataFrame | None = None


class ReadCache:
    """Entries under ``root/read/<key>/`` (one file) and ``root/merged/<key>/`` (one source's files merged).
    Unwritable folders are not an error: the file is then parsed as usual."""

    def __init__(self, root: Path, digests: dict[str, tuple[list[int], str]] | None = None):
        self.root = Path(root)
        self.digests = digests or {}
        self.hits = 0
        self.misses = 0
        self.merged_hits = 0
        self.merged_misses = 0
        self.whole_hits = 0  # sources read from a whole merge entry (their files' Parquet not read)

    @classmethod
    def for_outputs(cls, out_root: Path) -> ReadCache | None:
        return cls(cache_root(out_root), known_digests()) if enabled() else None

    def digest(self, path: Path) -> str:
        """The file's SHA-256: the runner's, when the file's size, time and inode are still those it hashed."""
        known = self.digests.get(os.path.abspath(path))
        if known is not None and known[0] == file_stamp(path):
            return known[1]
        return sha256_file(path)

    def key(self, source: str, path: Path, rel: str, as_of, params: str | None = None) -> str:
        """``params``: the parameter folder's fingerprint, when the caller computed it once for many files."""
        parts = [self.digest(path), source, rel, str(as_of), params or params_fingerprint(), reader_fingerprint()]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    @staticmethod
    def merged_key(source: str, file_keys: list[str]) -> str:
        return hashlib.sha256("\n".join([f"merged {FORMAT}", source, *file_keys]).encode("utf-8")).hexdigest()

    def _dir(self, key: str, kind: str = READ_DIR) -> Path:
        return self.root / kind / key[:2] / key

    def has(self, key: str) -> bool:
        return (self._dir(key) / "entry.json").is_file()

    def has_merged(self, key: str) -> bool:
        return (self._dir(key, MERGED_DIR) / "entry.json").is_file()

    @contextmanager
    def claim(self, key: str, wait: bool = True) -> Iterator[bool]:
        """Hold the lock of ``key`` while parsing or merging what it names. Yields False when ``wait`` is False and
        another process holds it; True otherwise (also when no lock can be had: an unwritable folder, or waited
        ``LOCK_WAIT_SECONDS`` — then the work is done without it, as without a cache)."""
        from filelock import FileLock, Timeout

        path = self.root / LOCKS_DIR / f"{key}.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = FileLock(path, timeout=LOCK_WAIT_SECONDS if wait else 0)
            lock.acquire()
        except Timeout:
            if not wait:
                yield False
                return
            lock = None
        except OSError:
            lock = None
        try:
            yield True
        finally:
            if lock is not None:
                lock.release()

    def load(self, key: str, used: bool = True, count: bool = True) -> Entry | None:
        """The file's entry; with ``used=False`` its used rows are left on disk (``FileResult.used`` is None): the
        caller has the source's merge entry and will not need them. ``count=False``: not counted as a hit or miss."""
        entry = self.load_info(key)
        folder = self._dir(key)
        try:
            if entry is None:
                raise OSError("no entry")
            for i, r in enumerate(entry.results):
                r.used = pd.read_parquet(folder / f"used_{i}.parquet") if used else None
                r.rejected = pd.read_parquet(folder / f"rejected_{i}.parquet")
            entry.problems = pd.read_parquet(folder / "problems.parquet")
        except (OSError, ValueError, KeyError):  # absent, half-written by a killed run, or unreadable: parse again
            self.misses += count
            return None
        self.hits += count
        return entry

    def store(self, key: str, entry: Entry) -> bool:
        frames = {}
        for i, r in enumerate(entry.results):
            frames[f"used_{i}"], frames[f"rejected_{i}"] = r.used, r.rejected
        frames["problems"] = entry.problems
        info = {"format": FORMAT, "results": [{"found": r.found, "row": _plain(r.row)} for r in entry.results],
                "refusals": entry.refusals, "ignored": entry.ignored}
        return self._store(self._dir(key), frames, info)

    def load_info(self, key: str) -> Entry | None:
        """The file's entry without any of its frames (``used``, ``rejected`` and ``problems`` are None): all that a
        source's whole merge entry does not hold. Not counted."""
        from .reader import FileResult

        try:
            info = json.loads((self._dir(key) / "entry.json").read_text(encoding="utf-8"))
            if info.get("format") != FORMAT:
                return None
            results = [FileResult(None, r["found"], r["row"], None) for r in info["results"]]
            return Entry(results, [tuple(x) for x in info["refusals"]], None, [tuple(x) for x in info["ignored"]])
        except (OSError, ValueError, KeyError):
            return None

    def load_merged(self, key: str, count: bool = True, whole: bool = False) -> Merged | None:
        """The merge entry; with ``whole`` only a whole one (else None, nothing read but its entry.json)."""
        folder = self._dir(key, MERGED_DIR)
        try:
            info = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
            if info.get("format") != FORMAT or (whole and not info.get("whole")):
                return None
            merged = Merged(pd.read_parquet(folder / "all_rows.parquet"), pd.read_parquet(folder / "problems.parquet"),
                            info["counts"])
            if whole:
                merged.rejected = pd.read_parquet(folder / "rejected.parquet")
                merged.file_problems = pd.read_parquet(folder / "file_problems.parquet")
        except (OSError, ValueError, KeyError):
            self.merged_misses += count
            return None
        self.merged_hits += count
        return merged

    def store_merged(self, key: str, merged: Merged) -> bool:
        frames = {"all_rows": merged.all_rows, "problems": merged.problems}
        whole = merged.rejected is not None and merged.file_problems is not None
        if whole:
            frames |= {"rejected": merged.rejected, "file_problems": merged.file_problems}
        return self._store(self._dir(key, MERGED_DIR), frames, {"format": FORMAT, "counts": merged.counts,
                                                                 "whole": whole})

    def _store(self, final: Path, frames: dict[str, pd.DataFrame], info: dict) -> bool:
        """True when the entry is on disk (this process's, or the same one stored first by another)."""
        try:
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))  # 0700
            for name, frame in frames.items():
                frame.to_parquet(tmp / f"{name}.parquet", index=False, compression=COMPRESSION)
            (tmp / "entry.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            for p in tmp.iterdir():
                p.chmod(PERSONAL_MODE)
            try:
                tmp.rename(final)  # atomic: a reader sees the whole entry or none
            except OSError:  # another worker stored the same entry first
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            return False
        return (final / "entry.json").is_file()


def _plain(row: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def clear(out_root: Path) -> tuple[int, int]:
    """Remove the cache of an outputs folder: (entries, bytes) removed."""
    root = cache_root(out_root)
    if not root.exists():
        return 0, 0
    entries = sum(1 for kind in (READ_DIR, MERGED_DIR) for _ in (root / kind).glob("*/*"))
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    shutil.rmtree(root)
    return entries, size
