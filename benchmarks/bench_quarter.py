"""A whole quarter through `jykn run` (every notebook of the registry, the district and every town), three ways:

    1. cold cache   — the first run into a fresh outputs folder: every input file parsed once and kept;
    2. warm cache   — the same quarter again (--replace into another folder sharing the cache): files loaded;
    3. no cache     — JYKN_NO_CACHE=1: every notebook and town parses for itself (the baseline of "parse once");
and `--jobs 1` against `--jobs 2` (warm cache). Ratios are measured in this one run (the machines are noisy).

    .venv/bin/python benchmarks/bench_quarter.py                  # the real-size district: 620,000 residents
    .venv/bin/python benchmarks/bench_quarter.py --people 60000   # smaller, for a quick look
    .venv/bin/python benchmarks/bench_quarter.py --smoke          # CI: a tiny district, one town

Also printed: from the run manifest, each notebook run's wall time (kernel start-up, reading, library work, the
notebook's cells and its HTML).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JYKN = [sys.executable, "-m", "jykn_lib.cli"]


def run(args: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run([*JYKN, *args], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"jykn {' '.join(args)} failed ({done.returncode})")
    return seconds


def runs_of(qdir: Path) -> list[dict]:
    manifest = json.loads((qdir / "run_manifest.json").read_text(encoding="utf-8"))
    return manifest.get("runs", [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=620_000)
    ap.add_argument("--quarter", default="2026Q4")
    ap.add_argument("--towns", default=None, help="comma-separated towns (default: all)")
    ap.add_argument("--smoke", action="store_true", help="tiny size and one town (CI)")
    ap.add_argument("--keep", default=None, help="keep the work folder here")
    a = ap.parse_args()
    if a.smoke:
        a.people, a.towns = 3000, a.towns or "太和镇"
    work = Path(a.keep or tempfile.mkdtemp(prefix="bench_quarter_"))
    data = work / "data"
    if not (data / "synth_manifest.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        t = run(["synth", str(data), "--people", str(a.people)])
        print(f"synthetic district: {a.people:,} residents generated in {t:.1f} s")
    out = work / "outputs"
    base = ["run", "--quarter", a.quarter, "--data", str(data), "--quiet"] + (["--towns", a.towns] if a.towns else [])
    shutil.rmtree(out, ignore_errors=True)
    timings = {}
    timings["cold cache, --jobs 2"] = run([*base, "--out", str(out), "--jobs", "2"])
    qdir = out / a.quarter
    timings["warm cache, --jobs 2"] = run([*base, "--out", str(out), "--jobs", "2", "--replace"])
    warm_runs = runs_of(qdir)
    timings["warm cache, --jobs 1"] = run([*base, "--out", str(out), "--jobs", "1", "--replace"])
    timings["no cache, --jobs 2"] = run([*base, "--out", str(out), "--jobs", "2", "--replace"], {"JYKN_NO_CACHE": "1"})

    print(f"\n== jykn run {a.quarter}, {a.people:,} residents, towns: {a.towns or 'all'} (2 cores) ==")
    for k, v in timings.items():
        print(f"  {k:<24} {v:8.1f} s")
    print(f"  cache against no cache (warm, jobs 2):  {timings['no cache, --jobs 2'] / timings['warm cache, --jobs 2']:.2f}x")
    print(f"  cold against warm:                      {timings['cold cache, --jobs 2'] / timings['warm cache, --jobs 2']:.2f}x")
    print(f"  --jobs 2 against --jobs 1 (warm):       {timings['warm cache, --jobs 1'] / timings['warm cache, --jobs 2']:.2f}x")
    if warm_runs:
        print("\n  per notebook run (warm, jobs 2): wall seconds")
        for r in warm_runs:
            print(f"    {r['notebook']:>4} {r['town']:<8} {r['duration_seconds']:7.1f}")
        total = sum(r["duration_seconds"] for r in warm_runs)
        print(f"    sum of notebook runs {total:.1f} s over {len(warm_runs)} runs ({total / len(warm_runs):.1f} s each)")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
