"""The batch runner behind ``jykn run`` and ``jykn demo``.

    request = prepare_request("2026Q4", "data/2026Q4", "outputs", towns="太和镇,山塘镇", jobs=2)
    outcome = run(request)            # papermill runs, HTML, index.html, run_manifest.json
    print("\\n".join(outcome.summary_lines())); exit(outcome.exit_code)

Modules: ``registry`` (params/notebooks.yaml), ``plan`` (request → runs), ``execute`` (process pool, checks),
``index`` (index.html), ``manifest`` (run_manifest.json), ``synthdata`` (the demo data, built once).
"""

from __future__ import annotations

import importlib

# Imported lazily: every notebook kernel imports jykn_lib.runner.registry, and should not pay for papermill or tqdm.
_EXPORTS = {
    "run": "core",
    "RunOutcome": "core",
    "RunError": "plan",
    "RunRequest": "plan",
    "RunSpec": "plan",
    "build_plan": "plan",
    "prepare_request": "plan",
    "RunResult": "execute",
    "Registry": "registry",
    "RegistryError": "registry",
    "load_registry": "registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"jykn_lib.runner.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'jykn_lib.runner' has no attribute {name!r}")
