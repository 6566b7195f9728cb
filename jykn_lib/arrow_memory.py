"""Arrow's memory allocator for every jykn process: jemalloc where this pyarrow has it.

pyarrow's default on Linux is mimalloc. Reading the parse cache's Parquet (millions of rows of text columns) in a fresh
process, as every notebook run does, it is slower: the warm read of 01's sources at 620,000 residents took 2.39 s with
mimalloc and 1.54 s with jemalloc, and 3.53 s against 2.03 s when 01 and 02 read at the same time, as they do in the
batch (``benchmarks/bench_read.py``, 2026-12-02). Where pyarrow was built without jemalloc (Windows wheels)
the default stays. ``ARROW_DEFAULT_MEMORY_POOL`` set by the user (``system``, ``mimalloc``, ``jemalloc``) wins.
"""

from __future__ import annotations

import contextlib
import os

POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def choose_pool() -> str:
    """Make jemalloc Arrow's default pool unless the environment names one; the backend in use."""
    import pyarrow as pa

    if not os.environ.get(POOL_ENV, "").strip():
        with contextlib.suppress(NotImplementedError, pa.ArrowNotImplementedError):  # no jemalloc: the default
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    return pa.default_memory_pool().backend_name
