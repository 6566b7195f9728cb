"""A whole quarter through `jykn run` (every notebook of the registry, the district and every town), three ways:

    1. cold cache   — the first run into a fresh outputs folder: every input file parsed once and kept;
    2. warm cache   — the same quarter again (--replace, same outputs folder and so the same cache): loaded;
    3. no cache     — JYKN_NO_CACHE=1: every district run parses its sources for itself (the baseline of "parse
                      once"; town runs never parse — they load the district run's kept result, by design);
and `--jobs 1` against `--jobs 2` (warm cache). Ratios are measured in this one run (the machines are noisy).

    .venv/bin/python benchmarks/bench_quarter.py                  # the real-size district: 620,000 residents
    .venv/bin/python benchmarks/bench_quarter.py --people 60000   # smaller, for a quick look
    .venv/bin/python benchmarks/bench_quarter.py --smoke          # CI: a tiny district, one town, notebook 01
    .venv/bin/python benchmarks/bench_quarter.py --keep DIR       # keep the data and outputs (reuses the data)

Also printed, from the run manifest's ``timing`` of each run: the seconds by stage — kernel start-up, the set-up
cell (imports), the library's steps (read / decide / keep or load / workbooks / figures), the other cells, the HTML
and papermill's own work — summed over the batch and per notebook (district run, mean of the town runs); the share of
reading in the warm run; and 01's whole-district screening against the parse of its inputs (cold run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JYKN = [sys.executable, "-m", "jykn_lib.cli"]


def run(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds of a `jykn` command, and the CPU seconds of its whole process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*JYKN, *args], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers and kernels are waited for: counted too
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"jykn {' '.join(args)} failed ({done.returncode})")
    return seconds, cpu


def runs_of(qdir: Path) -> list[dict]:
    manifest = json.loads((qdir / "run_manifest.json").read_text(encoding="utf-8"))
    return manifest.get("runs", [])


STAGES = ("kernel_start", "setup", "library", "cells", "papermill+", "html", "runner")


def stages(r: dict) -> dict[str, float]:
    """One run's seconds by stage (the manifest's timing): start-up = kernel start + the set-up cell (imports,
    parameters); library = the kit's steps; cells = the notebook's other cells; papermill+ = papermill's own work
    beyond the cells (saving the notebook, stopping the kernel); html = the leaders' report; runner = the rest
    (preparing, checking and hashing the outputs, putting the notebook in place)."""
    t = r.get("timing") or {}
    if not t:
        return dict.fromkeys(STAGES, 0.0) | {"runner": r["duration_seconds"]}
    lib = sum((t.get("library") or {}).values())
    steps = t.get("runner") or {}
    inside = t["kernel_start"] + t["setup"] + t["run"] + t["cells"]
    out = {"kernel_start": t["kernel_start"], "setup": t["setup"], "library": lib,
           "cells": t["cells"] + max(0.0, t["run"] - lib), "papermill+": max(0.0, steps.get("papermill", 0.0) - inside),
           "html": t.get("html", 0.0)}
    out["runner"] = max(0.0, r["duration_seconds"] - sum(out.values()))
    return out


def table(runs: list[dict]) -> None:
    """Per notebook: the district run, and the mean of its town runs, by stage."""
    head = "  ".join(f"{s:>12}" for s in STAGES)
    print(f"    {'notebook':<16}{head}  {'read':>7} {'total':>7}")
    for nb in sorted({r["notebook"] for r in runs}):
        for scope, group in (("district", [r for r in runs if r["notebook"] == nb and r["scope"] == "district"]),
                             ("town (mean)", [r for r in runs if r["notebook"] == nb and r["scope"] != "district"])):
            if not group:
                continue
            st = [stages(r) for r in group]
            mean = {s: sum(x[s] for x in st) / len(st) for s in STAGES}
            read = sum((r.get("timing") or {}).get("library", {}).get("read", 0.0) for r in group) / len(group)
            total = sum(r["duration_seconds"] for r in group) / len(group)
            print(f"    {nb + ' ' + scope:<16}" + "  ".join(f"{mean[s]:12.2f}" for s in STAGES)
                  + f"  {read:7.2f} {total:7.2f}")


def split(runs: list[dict]) -> dict[str, float]:
    """Sums over the runs of a batch: start-up, library (and reading in it), the rest; district and town runs."""
    st = [stages(r) for r in runs]
    read = sum((r.get("timing") or {}).get("library", {}).get("read", 0.0) for r in runs)
    return {"start-up": sum(x["kernel_start"] + x["setup"] for x in st), "library": sum(x["library"] for x in st),
            "reading": read, "cells, html, other": sum(x["cells"] + x["html"] + x["papermill+"] + x["runner"] for x in st),
            "district runs": sum(r["duration_seconds"] for r in runs if r["scope"] == "district"),
            "town runs": sum(r["duration_seconds"] for r in runs if r["scope"] != "district")}


def town_span(runs: list[dict]) -> float:
    """Wall seconds from the first town run's start to the last one's end (the per-town stage)."""
    towns = [r for r in runs if r["scope"] != "district"]
    if not towns:
        return 0.0
    return (max(r["started_offset_seconds"] + r["duration_seconds"] for r in towns)
            - min(r["started_offset_seconds"] for r in towns))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=620_000)
    ap.add_argument("--quarter", default="2026Q4")
    ap.add_argument("--towns", default=None, help="comma-separated towns (default: all)")
    ap.add_argument("--notebooks", default=None, help="comma-separated notebooks (default: all of the quarter)")
    ap.add_argument("--smoke", action="store_true", help="CI: tiny size, one town, notebook 01")
    ap.add_argument("--keep", default=None, help="keep the work folder here (and reuse its data next time)")
    a = ap.parse_args()
    if a.smoke:
        a.people, a.towns, a.notebooks = 3000, a.towns or "太和镇", a.notebooks or "01"
    work = Path(a.keep or tempfile.mkdtemp(prefix="bench_quarter_"))
    data = work / "data"
    if not (data / "synth_manifest.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        t, _ = run(["synth", str(data), "--people", str(a.people)])
        print(f"synthetic district: {a.people:,} residents generated in {t:.1f} s")
    out = work / "outputs"
    base = ["run", "--quarter", a.quarter, "--data", str(data), "--quiet"] + (["--towns", a.towns] if a.towns else [])
    base += ["--notebooks", a.notebooks] if a.notebooks else []
    shutil.rmtree(out, ignore_errors=True)
    qdir = out / a.quarter
    timings, cpu, runs = {}, {}, {}
    plan = [("cold cache, --jobs 2", ["--jobs", "2"], None),
            ("warm cache, --jobs 2", ["--jobs", "2", "--replace"], None),
            ("warm cache, --jobs 1", ["--jobs", "1", "--replace"], None),
            ("no cache, --jobs 2", ["--jobs", "2", "--replace"], {"JYKN_NO_CACHE": "1"})]
    for label, extra, env in plan:
        timings[label], cpu[label] = run([*base, "--out", str(out), *extra], env)
        runs[label] = runs_of(qdir)

    n = len(runs["warm cache, --jobs 2"])
    print(f"\n== jykn run {a.quarter}, {a.people:,} residents, towns: {a.towns or 'all'}, {n} notebook runs "
          f"(2 cores) ==")
    for k, v in timings.items():
        print(f"  {k:<24} {v:8.1f} s   CPU {cpu[k]:6.1f} s = {cpu[k] / v:.2f} of the 2 cores busy")
    warm, nocache, jobs1 = timings["warm cache, --jobs 2"], timings["no cache, --jobs 2"], timings["warm cache, --jobs 1"]
    print(f"  cache against no cache (warm, jobs 2):  {nocache / warm:.2f}x")
    print(f"  cold against warm:                      {timings['cold cache, --jobs 2'] / warm:.2f}x")
    print(f"  --jobs 2 against --jobs 1 (warm):       {jobs1 / warm:.2f}x")
    s1, s2 = town_span(runs["warm cache, --jobs 1"]), town_span(runs["warm cache, --jobs 2"])
    if s1 and s2:
        print(f"  per-town stage (first town run start to last end): jobs 1 {s1:.1f} s, jobs 2 {s2:.1f} s, "
              f"{s1 / s2:.2f}x")

    print("\n  seconds summed over the notebook runs (start-up = kernel start + set-up cell):")
    print(f"    {'':<24}" + "".join(f"{k:>20}" for k in split(runs[next(iter(runs))])))
    for label, rs in runs.items():
        print(f"    {label:<24}" + "".join(f"{v:20.1f}" for v in split(rs).values()))
    sp = split(runs["warm cache, --jobs 2"])
    busy = sum(r["duration_seconds"] for r in runs["warm cache, --jobs 2"])
    print(f"  reading inputs in the warm run: {sp['reading']:.1f} s of the notebook runs' {busy:.1f} s "
          f"({sp['reading'] / max(1e-9, busy):.1%}); against the batch's wall time {sp['reading'] / warm:.1%}")

    cold01 = next((r for r in runs["cold cache, --jobs 2"] if r["notebook"] == "01" and r["scope"] == "district"), None)
    if cold01 and cold01.get("timing"):
        lib = cold01["timing"]["library"]
        parse = lib.get("read", 0.0)
        rest = sum(v for k, v in lib.items() if k != "read")
        print(f"\n  01 screening, whole district, cold cache (excluding notebook start-up): parse {parse:.1f} s, "
              f"then decide + keep + workbooks + figures {rest:.1f} s → total {(parse + rest) / parse:.2f}× the parse")

    for label in ("warm cache, --jobs 2", "cold cache, --jobs 2"):
        print(f"\n  per notebook, {label}: seconds by stage")
        table(runs[label])
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
