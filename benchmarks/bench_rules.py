"""The rule engine at 20k, 200k and 1M residents, against a per-person Python baseline, in one run.

    python benchmarks/bench_rules.py [N ...]          (default: 20000 200000 1000000; CI smoke: 20000)

Each size runs in its own process (seconds of ``evaluate`` — screening every registered unemployed person — and of
``evaluate_exits`` — every recognised person —, and the process's peak memory). The baseline (benchmarks/per_person.py:
the same decision written one person at a time) runs on the smallest size; its answers must equal the engine's
(asserted), then the ratio of throughputs (screened people per second, engine at each size / baseline) is printed, with
the growth from one size to the next (1.0 = linear). Nothing here is asserted about speed.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

AS_OF = dt.date(2026, 11, 26)
CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import district
from jykn_lib.params import load_parameters
from jykn_lib.rules.engine import evaluate, evaluate_exits
params = load_parameters()
tables = district.build(int(sys.argv[1]))
people = tables["unemployment"][["id_number"]].drop_duplicates().assign(eval_date=district.AS_OF)
t = time.perf_counter(); ev = evaluate(people, tables, params); t_eval = time.perf_counter() - t
t = time.perf_counter(); ex = evaluate_exits(tables, district.AS_OF.date(), params=params); t_exit = time.perf_counter() - t
print(json.dumps({"residents": len(tables["hukou"]), "screened": len(people), "recognised": len(ex.summary),
                  "eval": t_eval, "exits": t_exit, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def engine_run(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(HERE)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_check(n: int) -> tuple[float, int]:
    """Seconds of the per-person baseline on ``n`` residents; asserts its answers equal the engine's."""
    import district
    import per_person

    from jykn_lib.params import load_parameters
    from jykn_lib.rules.engine import evaluate

    params = load_parameters()
    tables = district.build(n)
    t = time.perf_counter()
    slow = per_person.screen(tables, AS_OF, params)
    seconds = time.perf_counter() - t
    people = tables["unemployment"][["id_number"]].drop_duplicates().assign(eval_date=district.AS_OF)
    fast = evaluate(people, tables, params).summary.set_index("id_number")
    engine = {str(pid): {"outcome": r.outcome, "categories": r.categories, "exclusions": r.exclusions}
              for pid, r in fast.iterrows()}
    differ = [pid for pid in slow if slow[pid] != engine.get(pid)]
    assert set(slow) == set(engine), "baseline and engine screened different people"
    assert not differ, f"{len(differ)} people decided differently, e.g. {differ[0]}: {slow[differ[0]]} vs {engine[differ[0]]}"
    outcomes = {o: sum(1 for v in slow.values() if v["outcome"] == o) for o in ("candidate", "excluded", "no_category")}
    print(f"基线与引擎结论一致：{len(slow):,} 人（{outcomes}）")
    return seconds, len(slow)


def main(argv: list[str]) -> int:
    sizes = [int(x) for x in argv] or [20_000, 200_000, 1_000_000]
    base_s, base_n = baseline_check(sizes[0])
    base_rate = base_n / base_s
    print(f"逐人 Python 基线（{sizes[0]:,} 居民，{base_n:,} 人）：{base_s:.2f} 秒，{base_rate:,.0f} 人/秒")
    prev = None
    for n in sizes:
        r = engine_run(n)
        rate = r["screened"] / r["eval"]
        line = (f"居民 {r['residents']:>9,}  筛查 {r['screened']:>7,} 人  evaluate {r['eval']:6.2f} 秒  "
                f"evaluate_exits {r['exits']:6.2f} 秒（台账 {r['recognised']:,} 人）  峰值内存 {r['peak_mb']:6.0f} MB  "
                f"对基线 {rate / base_rate:6.1f}×")
        if prev:
            growth = (r["eval"] / prev["eval"]) / (r["residents"] / prev["residents"])
            line += f"  增长 {growth:.2f}（1.0 为线性）"
        print(line)
        prev = r
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
