"""Arrow's allocator (jykn_lib.arrow_memory): jemalloc unless the environment names one; the user's choice wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

PROBE = "import jykn_lib, pyarrow as pa; print(pa.default_memory_pool().backend_name)"


def backend(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_value is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_value
    return subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return False
    return True


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow was built without jemalloc (the default stays)")
def test_jemalloc_is_chosen_when_nothing_is_asked():
    assert backend(None) == "jemalloc"
    assert backend("") == "jemalloc"


def test_the_environment_wins():
    assert backend("system") == "system"
