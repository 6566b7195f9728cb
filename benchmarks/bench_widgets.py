"""The query forms' callbacks at district size: what a person waits for after typing or ticking.

    python benchmarks/bench_widgets.py [N ...]        (default: 20000 620000; 620,000 is the district's residents)

On the benchmark district (benchmarks/district.py, with names and towns added) held as a reader's DataSet, one process
per size: the name directory and a name lookup, one person's panel (人员查询), the listing's base table (名单筛选: the
ledger, and exit signals of every recognised person) and one filter + sort + counts, and a what-if decision with its
timeline (资格测算, independent of the district). Reading the files is the reader's benchmark (bench_excel.py) and is
not repeated. Seconds are printed; nothing is asserted about speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = """
import datetime as dt, json, resource, sys, tempfile, time, types
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import numpy as np, pandas as pd
import district
from jykn_lib.io.reader import DataSet
from jykn_lib.params import load_parameters
from jykn_lib.widgets import listing, person, whatif
from jykn_lib.widgets.context import QueryContext

n = int(sys.argv[1])
tables = district.build(n)
rng = np.random.default_rng(3)
towns = load_parameters().town_names()
for name, t in tables.items():
    t["name"] = pd.Series(rng.integers(0, n // 4 + 1, len(t))).map(lambda k: f"测试{k}").to_numpy() \\
        if name in ("hukou", "ledger", "unemployment") else None
    t["town"] = np.array(towns)[rng.integers(0, len(towns), len(t))]
hukou = tables["hukou"]
tables["ledger"] = tables["ledger"].drop(columns="name").merge(hukou[["id_number", "name"]], on="id_number", how="left")
contract = load_parameters().contract
for name, t in tables.items():  # every contract column, as the reader gives them
    for field in contract[name].fields:
        if field not in t:
            t[field] = None
data = DataSet(tables, tables, pd.DataFrame(), pd.DataFrame(), [], [], [], district.AS_OF.date())
out = Path(tempfile.mkdtemp())
setup = types.SimpleNamespace(params=load_parameters(), as_of=district.AS_OF.date(), quarter_str="2026Q4",
                              out_root=out, data_dir=out, is_district=True, town="全区")
ctx = QueryContext(setup=setup, data=data, kept=[])
res = {"n": n}

def timed(key, fn):
    t = time.perf_counter(); value = fn(); res[key] = round(time.perf_counter() - t, 2); return value

timed("name_directory", lambda: ctx.directory)
timed("name_lookup", lambda: ctx.find_name("测试17"))
pid = str(tables["ledger"]["id_number"].iloc[0])
timed("tables_prepared", lambda: ctx.tables)
timed("person_panel", lambda: person.panel(ctx, pid))
base = timed("listing_base", lambda: listing.people_table(ctx))
f = listing.Filters(town=towns[0], categories=("01",), status="有效")
timed("listing_filter_sort_counts", lambda: listing.show(listing.sort(listing.select(base, f), "年龄"), f))
s = whatif.Scenario(sex="男", birth_date=dt.date(1966, 1, 20), reg_date=dt.date(2025, 3, 1))
timed("whatif_decision", lambda: whatif.decide(s, dt.date(2026, 5, 19), setup.params))
timed("whatif_timeline_4_years", lambda: whatif.timeline(s, dt.date(2026, 5, 19), setup.params))
res["listing_rows"] = len(base)
res["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(res))
"""


def main(sizes: list[int]) -> None:
    for n in sizes:
        done = subprocess.run([sys.executable, "-c", CHILD, str(n), str(HERE)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr[-3000:])
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>9,} 人：" + "，".join(f"{k} {v}" for k, v in r.items() if k != "n"))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 620_000])
