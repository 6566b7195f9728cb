"""Parse once (jykn_lib.io.cache): a cached read is the same DataSet as a fresh one; a changed file, contract or reader
is parsed again; a damaged entry is parsed again; entries are private; `jykn cache clear` removes them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jykn_lib.io import cache as C
from jykn_lib.io.reader import read_folder

HOSTILE = Path(__file__).parent / "data" / "hostile"


def assert_same(a, b) -> None:
    """Every field of two DataSets equal: tables with their dtypes, 问题数据 in its order, the files table, notes."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict) and x and isinstance(next(iter(x.values())), pd.DataFrame):
            assert list(x) == list(y), f.name
            for k in x:
                pd.testing.assert_frame_equal(x[k], y[k], check_exact=True, obj=f"{f.name}[{k}]")
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f.name)
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def as_of(synth_manifest):
    return dt.date.fromisoformat(synth_manifest["generator"]["as_of"])


def test_a_cached_read_of_the_district_is_the_fresh_read(synth_district, as_of, tmp_path):
    fresh = read_folder(synth_district, as_of=as_of)
    cache = C.ReadCache(tmp_path / "cache")
    first = read_folder(synth_district, as_of=as_of, cache=cache)
    n_files = int(fresh.files["文件"].nunique())
    assert (cache.hits, cache.misses) == (0, n_files)
    again = C.ReadCache(tmp_path / "cache")
    second = read_folder(synth_district, as_of=as_of, cache=again)
    assert (again.hits, again.misses) == (n_files, 0)
    # each source's merge of its files (duplicates collapsed, conflicts resolved) is kept too and loaded the second time
    n_sources = len(fresh.tables)
    assert (cache.merged_hits, cache.merged_misses) == (0, n_sources)
    assert (again.merged_hits, again.merged_misses) == (n_sources, 0)
    # no file of the synthetic district is refused: every source comes from its whole merge entry, and the files'
    # own Parquet (rows, rejected rows, 问题数据) is not read at all
    assert again.whole_hits == n_sources
    assert_same(fresh, first)
    assert_same(fresh, second)
    # a merge entry gone (cleared by hand, half-written): the files' rows are loaded and merged again, same answer
    shutil.rmtree(tmp_path / "cache" / C.MERGED_DIR)
    third = C.ReadCache(tmp_path / "cache")
    assert_same(fresh, read_folder(synth_district, as_of=as_of, cache=third))
    assert (third.hits, third.misses, third.merged_hits) == (n_files, 0, 0)
    # another base date is another key (the identity check compares birth dates with it)
    other = C.ReadCache(tmp_path / "cache")
    read_folder(synth_district, as_of=as_of - dt.timedelta(days=1), cache=other)
    assert other.hits == 0


def _folder(tmp_path: Path) -> Path:
    """A small data folder of hostile files: a CSV in GBK, a WPS xlsx, an error cell … (tests/data/hostile)."""
    data = tmp_path / "data"
    data.mkdir()
    for p in sorted(HOSTILE.glob("失业登记*"))[:3] + sorted(HOSTILE.glob("户籍人口*"))[:2]:
        shutil.copy(p, data / p.name)
    assert len(list(data.iterdir())) >= 3
    return data


def _district_keys(data: Path, as_of) -> dict[Path, tuple]:
    from jykn_lib.contract import load_contract
    from jykn_lib.io import reader as R

    contract = load_contract()
    groups: dict = {}
    for p in sorted(data.iterdir()):
        if p.is_file() and R._ignore_reason(p, contract, None) is None:
            groups.setdefault(contract.match_file(p.name).name, []).append(p)
    ctx = R.Context.load(as_of)
    return R._file_keys(contract, list(contract.sources), groups, data, ctx, C.ReadCache(Path("unused"))), ctx


def test_a_file_another_run_is_parsing_is_waited_for_and_loaded_not_parsed_twice(synth_district, as_of, tmp_path):
    """01's and 02's district runs start together on an empty cache: while one parses a file (holds its lock) the
    other parses the rest, then waits and loads that file's entry."""
    import threading
    import time

    from jykn_lib.io import reader as R

    keys, ctx = _district_keys(synth_district, as_of)
    path, (src, rel, key) = max(keys.items(), key=lambda kv: kv[0].stat().st_size)  # the largest file is "busy"
    others = [k for p, (_, _, k) in keys.items() if p != path]
    cache, other = C.ReadCache(tmp_path / "cache"), C.ReadCache(tmp_path / "cache")
    box: dict = {}
    with other.claim(key) as mine:  # the other run is parsing it
        assert mine
        reading = threading.Thread(target=lambda: box.update(ds=read_folder(synth_district, as_of=as_of, cache=cache)))
        reading.start()
        deadline = time.monotonic() + 120
        while not all(cache.has(k) for k in others) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(cache.has(k) for k in others), "the reader waited instead of parsing the files nobody was parsing"
        assert not cache.has(key) and reading.is_alive()  # it did not parse the busy file: it waits for it
        assert other.store(key, R._parse_entry(src, path, rel, ctx))
    reading.join(120)
    assert not reading.is_alive()
    assert cache.misses == len(others)  # the busy file was loaded, not parsed again
    assert cache.hits == 1
    assert_same(read_folder(synth_district, as_of=as_of), box["ds"])


def test_two_runs_reading_together_parse_each_file_once(synth_district, as_of, tmp_path):
    child = """
import datetime as dt, json, sys
from pathlib import Path
from jykn_lib.io.cache import ReadCache
from jykn_lib.io.reader import read_folder
cache = ReadCache(Path(sys.argv[2]))
ds = read_folder(sys.argv[1], as_of=dt.date.fromisoformat(sys.argv[3]), cache=cache)
print(json.dumps([cache.misses, cache.merged_misses, int(ds.files["读入行数"].sum())]))
"""
    args = [sys.executable, "-c", child, str(synth_district), str(tmp_path / "cache"), as_of.isoformat()]
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=300)[0].strip().splitlines()[-1]) for p in runs]
    assert all(p.returncode == 0 for p in runs)
    keys, _ = _district_keys(synth_district, as_of)
    fresh = read_folder(synth_district, as_of=as_of)
    assert sum(o[0] for o in outs) == len(keys)  # every file parsed once between the two
    assert sum(o[1] for o in outs) == len(fresh.tables)  # every source merged once
    assert outs[0][2] == outs[1][2] == int(fresh.files["读入行数"].sum())


def test_a_source_with_a_refused_file_is_read_file_by_file_and_the_others_whole(tmp_path):
    """A whole merge entry (the files' rejected rows and 问题数据 kept with the merge) is made only for a source none of
    whose files or sheets was refused; a source with one is read file by file from the cache, the same either way."""
    data = _folder(tmp_path)
    read_folder(data, cache=C.ReadCache(tmp_path / "cache"))
    cache = C.ReadCache(tmp_path / "cache")
    ds = read_folder(data, cache=cache)
    assert ds.broken and len(ds.tables) >= 1  # 失业登记 has a refused file, 户籍人口 none
    assert cache.merged_hits == len(ds.broken) + len(ds.tables)
    assert cache.whole_hits == len(ds.tables)
    assert_same(read_folder(data), ds)


def test_the_runners_digests_spare_hashing_while_a_file_is_unchanged(tmp_path, monkeypatch):
    import os

    from jykn_lib.files import DIGESTS_ENV, sha256_file
    from jykn_lib.runner.manifest import input_files, write_digests

    data = _folder(tmp_path)
    digests: dict = {}
    listed = input_files(data, digests)  # what the runner does once per batch
    assert {d["sha256"] for d in digests.values()} == {e["sha256"] for e in listed}
    (tmp_path / "q" / ".jykn").mkdir(parents=True)
    written = write_digests(tmp_path / "q", digests)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    monkeypatch.setenv(DIGESTS_ENV, str(written))
    cache = C.ReadCache.for_outputs(tmp_path / "out")
    hashed = []
    monkeypatch.setattr(C, "sha256_file", lambda p: hashed.append(p) or sha256_file(p))
    assert_same(read_folder(data), read_folder(data, cache=cache))
    assert hashed == []  # every key from the runner's digests
    victim = sorted(data.iterdir())[0]
    body = victim.read_bytes()
    victim.write_bytes(body[::-1])  # same size, other bytes, a new modification time: hashed again
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 1_000_000))
    assert cache.digest(victim) == sha256_file(victim) != digests[os.path.abspath(victim)]["sha256"]
    assert hashed == [victim]


def test_every_hostile_file_reads_the_same_from_the_cache(tmp_path):
    """The whole hostile folder (GBK and BOM CSVs, a WPS and a LibreOffice save, a workbook with three sheets of
    社保缴费, error cells, unreadable files …) read a second time, from the cache: the same DataSet as a fresh read,
    the unrefused sources from their whole merge entries. A sheet without rejected rows once left the identity column
    of 社保缴费's rejected rows as object, and the whole entry's Parquet gave it back as text."""
    data = tmp_path / "data"
    shutil.copytree(HOSTILE, data, ignore=shutil.ignore_patterns("*.py", "*.json"))
    fresh = read_folder(data)
    read_folder(data, cache=C.ReadCache(tmp_path / "cache"))
    cache = C.ReadCache(tmp_path / "cache")
    again = read_folder(data, cache=cache)
    assert cache.whole_hits == len(fresh.tables) and cache.merged_hits == len(fresh.tables) + len(fresh.broken)
    assert "contributions" in fresh.tables and len(fresh.rejected["contributions"])
    assert {str(r[c].dtype) for r in fresh.rejected.values() for c in r.columns if c == "id_number"} == {"str"}
    assert_same(fresh, again)


def test_a_changed_file_is_parsed_again_and_only_that_file(tmp_path):
    data = _folder(tmp_path)
    cache_dir = tmp_path / "cache"
    read_folder(data, cache=C.ReadCache(cache_dir))
    csv = next(p for p in sorted(data.iterdir()) if p.suffix == ".csv")
    before = read_folder(data, cache=C.ReadCache(cache_dir))
    lines = csv.read_bytes().rstrip(b"\r\n").splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:-1]))  # the town's file sent again, one row shorter
    cache = C.ReadCache(cache_dir)
    after = read_folder(data, cache=cache)
    unreadable = before.files.loc[before.files["状态"].str.startswith("未读取"), "文件"].nunique()  # never kept
    assert cache.misses == 1 + unreadable and cache.hits == len(list(data.iterdir())) - 1 - unreadable
    assert_same(after, read_folder(data))  # what the changed file now says, exactly as a fresh read
    assert cache.merged_misses == 1  # only the changed file's source is merged again
    def rows(d):
        return d.files.loc[d.files["文件"] == csv.name, "读入行数"].sum()

    assert rows(after) == rows(before) - 1


def test_a_new_contract_or_reader_is_another_key(tmp_path, monkeypatch):
    data = _folder(tmp_path)
    path = next(p for p in data.iterdir())
    cache = C.ReadCache(tmp_path / "cache")
    key = cache.key("unemployment", path, path.name, None)
    monkeypatch.setattr(C, "params_fingerprint", lambda root=None: "another contract")
    assert cache.key("unemployment", path, path.name, None) != key
    monkeypatch.undo()
    monkeypatch.setattr(C, "reader_fingerprint", lambda: "another reader")
    assert cache.key("unemployment", path, path.name, None) != key
    monkeypatch.undo()
    assert cache.key("unemployment", path, path.name, None) == key
    assert cache.key("hukou", path, path.name, None) != key


def test_the_parameter_fingerprint_follows_an_edit(tmp_path):
    root = tmp_path / "params"
    (root / "contract").mkdir(parents=True)
    (root / "contract" / "value_synonyms.yaml").write_text("登记状态: {有效: [在册]}\n", encoding="utf-8")
    before = C.params_fingerprint(root)
    (root / "contract" / "value_synonyms.yaml").write_text("登记状态: {有效: [在册, 正常]}\n", encoding="utf-8")
    assert C.params_fingerprint(root) != before


def test_a_damaged_entry_is_parsed_again_and_entries_are_private(tmp_path):
    data = _folder(tmp_path)
    cache_dir = tmp_path / "cache"
    fresh = read_folder(data, cache=C.ReadCache(cache_dir))
    entries = sorted((cache_dir / C.READ_DIR).glob("*/*"))
    assert entries and all(stat.S_IMODE(e.stat().st_mode) == 0o700 for e in entries)
    files = [p for e in entries for p in e.iterdir()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    victim = next(p for p in files if p.name.startswith("used_"))
    victim.write_bytes(victim.read_bytes()[:20])  # a run killed while another wrote? the rename makes it whole —
    cache = C.ReadCache(cache_dir)  # but a disk can still damage a file: it is parsed again, never half-used
    assert_same(fresh, read_folder(data, cache=cache))
    assert cache.misses >= 1


def test_an_unwritable_cache_folder_reads_as_without_a_cache_parsing_each_file_once(tmp_path, monkeypatch):
    from jykn_lib.io import reader as R

    data = _folder(tmp_path)
    fresh = read_folder(data)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")  # the cache "folder" sits under a file: no entry, no lock can be made (even as root)
    parsed = []
    real = R._read_file
    monkeypatch.setattr(R, "_read_file", lambda src, path, *a: parsed.append(path.name) or real(src, path, *a))
    cache = C.ReadCache(blocker / "cache")
    ds = read_folder(data, cache=cache)
    assert_same(fresh, ds)
    assert sorted(parsed) == sorted(p.name for p in data.iterdir())  # each once: not again after it could not be kept
    assert cache.misses == len(parsed) and cache.hits == 0 and blocker.read_text() == "x"


def test_the_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv(C.DISABLE_ENV, "1")
    assert C.ReadCache.for_outputs(tmp_path) is None
    monkeypatch.delenv(C.DISABLE_ENV)
    assert C.ReadCache.for_outputs(tmp_path).root == tmp_path / ".jykn" / "cache"


def test_jykn_cache_show_and_clear(tmp_path):
    data = _folder(tmp_path)
    out = tmp_path / "outputs"
    ds = read_folder(data, cache=C.ReadCache.for_outputs(out))
    parsed = ds.files.loc[~ds.files["状态"].str.startswith("未读取"), "文件"].nunique()  # an unreadable file is not kept
    jykn = [sys.executable, "-m", "jykn_lib.cli"]
    shown = subprocess.run([*jykn, "cache", "show", "--out", str(out)], capture_output=True, text=True, check=True)
    assert f"{parsed} 个文件的解析结果" in shown.stdout
    cleared = subprocess.run([*jykn, "cache", "clear", "--out", str(out)], capture_output=True, text=True, check=True)
    assert "已清除缓存" in cleared.stdout and not (out / ".jykn" / "cache").exists()
    again = subprocess.run([*jykn, "cache", "clear", "--out", str(out)], capture_output=True, text=True, check=True)
    assert "没有缓存" in again.stdout
