"""jykn synth: generation time and peak memory per district size, each size in its own process.

    python benchmarks/bench_synth.py [N ...]        (default: 20000 620000)

Prints seconds, peak resident memory and the ratio to the target for the default size (well under 30 s).
Speed is never asserted by a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

TARGET_DEFAULT_SECONDS = 30.0

CHILD = """
import json, resource, sys, time
from jykn_lib.synth import generate
t = time.perf_counter()
path = generate(sys.argv[1], people=int(sys.argv[2]))
seconds = time.perf_counter() - t
m = json.loads(open(path, encoding="utf-8").read())
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "files": len(m["files"]), "faults": len(m["faults"]), "labels": len(m["screening_labels"])}))
"""


def run(people: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([sys.executable, "-c", CHILD, folder, str(people)], check=True, capture_output=True,
                             text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    sizes = [int(x) for x in argv] or [20000, 620000]
    for n in sizes:
        r = run(n)
        line = (f"people={n:>8,}  {r['seconds']:7.1f} s  peak {r['peak_mb']:7.0f} MB  files {r['files']:3d}  "
                f"faults {r['faults']:6,}  labels {r['labels']:7,}")
        if n == 20000:
            line += f"  ratio to the {TARGET_DEFAULT_SECONDS:.0f} s target: {r['seconds'] / TARGET_DEFAULT_SECONDS:.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
