"""A warm read (every file loaded from the parse cache) in a fresh process, as each notebook run does it, under each of
Arrow's memory allocators; alone, and two at once as 01's and 02's district runs read in the batch (2 workers).

    .venv/bin/python benchmarks/bench_read.py                     # the real-size district: 620,000 residents
    .venv/bin/python benchmarks/bench_read.py --keep /work/bench/qb   # reuse bench_quarter's data (DIR/data) and cache
    .venv/bin/python benchmarks/bench_read.py --smoke             # CI: 3,000 residents, one round

Baseline: mimalloc, pyarrow's default on Linux. jykn makes jemalloc the default (``jykn_lib.arrow_memory``); each
child names its allocator in ARROW_DEFAULT_MEMORY_POOL, which jykn leaves alone. Rounds alternate the allocators so
that the noise of the machine falls on all of them; the median of the rounds is printed, with its ratio to the
baseline. Nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POOLS = ("mimalloc", "jemalloc", "system")  # the first is the baseline
AS_OF = "2026-10-08"
CHILD = """
import datetime as dt, json, sys, time
from pathlib import Path
import pyarrow as pa
from jykn_lib.analyses import audit, screening
from jykn_lib.io.cache import ReadCache
from jykn_lib.io.reader import read_folder
data, out, nb = sys.argv[1:4]
cache = ReadCache.for_outputs(Path(out))
sources = {"01": screening.SOURCES, "02": audit.SOURCES}[nb]
t = time.perf_counter()
ds = read_folder(data, as_of=dt.date.fromisoformat(sys.argv[4]), only=sources, cache=cache)
seconds = time.perf_counter() - t
rows = sum(len(t) for t in ds.tables.values())
print(json.dumps({"seconds": seconds, "pool": pa.default_memory_pool().backend_name, "rows": rows,
                  "hits": cache.hits, "merged_hits": cache.merged_hits, "misses": cache.misses + cache.merged_misses}))
"""


def child(pool: str, data: Path, out: Path, nb: str) -> subprocess.Popen:
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": pool}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(out), nb, AS_OF], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen, pool: str) -> dict:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a read under {pool} failed ({proc.returncode})")
    r = json.loads(out.strip().splitlines()[-1])
    if r["pool"] != pool:
        raise SystemExit(f"asked for {pool}, the child used {r['pool']}")
    if r["misses"]:
        raise SystemExit(f"the cache was not warm ({r['misses']} misses): not a warm read")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=620_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", default=None, help="work folder: DIR/data (generated if absent) and DIR/outputs")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.people, a.rounds = 3000, 1
    work = Path(a.keep or tempfile.mkdtemp(prefix="bench_read_"))
    data, out = work / "data", work / "outputs"
    if not (data / "synth_manifest.json").exists():
        subprocess.run([sys.executable, "-m", "jykn_lib.cli", "synth", str(data), "--people", str(a.people)],
                       cwd=ROOT, check=True, capture_output=True)
    for nb in ("01", "02"):  # fill the cache (a cold read each), not measured
        proc = child(POOLS[0], data, out, nb)
        proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"reading {nb}'s sources failed ({proc.returncode})")

    alone: dict[str, list[float]] = {p: [] for p in POOLS}
    pair: dict[str, list[float]] = {p: [] for p in POOLS}
    rows = 0
    for _ in range(a.rounds):
        for pool in POOLS:
            r = result(child(pool, data, out, "01"), pool)
            alone[pool].append(r["seconds"])
            rows = r["rows"]
            both = [child(pool, data, out, nb) for nb in ("01", "02")]
            pair[pool].append(max(result(p, pool)["seconds"] for p in both))
    base = POOLS[0]
    print(f"warm read, {a.people:,} residents, 01's sources ({rows:,} rows), median of {a.rounds} rounds, "
          f"baseline {base}:")
    for pool in POOLS:
        s1, s2 = statistics.median(alone[pool]), statistics.median(pair[pool])
        print(f"  {pool:<9} 01 alone {s1:6.2f} s ({statistics.median(alone[base]) / s1:4.2f}x)   "
              f"01 and 02 at once {s2:6.2f} s ({statistics.median(pair[base]) / s2:4.2f}x)")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
