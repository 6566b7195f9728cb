"""The kit every notebook is built on (docs/notebook_kit.md).

    from jykn_lib import kit
    from jykn_lib.analyses import screening as analysis

    kit.prepare_demo_data(data_dir)                       # explicit: the synthetic district, only for the demo folder
    setup = kit.validate_parameters(notebook="01", quarter=quarter, as_of=as_of, town=town,
                                    data_dir=data_dir, out_dir=out_dir)
    run = kit.run(setup, analysis)                        # read or load, decide, keep, workbooks, figures, run info
    kit.show.summary(run); kit.show.figures(run); kit.show.tables(run); kit.show.sources(run); kit.show.outputs(run)

Modules: ``setup`` (parameters → NotebookSetup, the quarter folder's provenance), ``flow`` (one run of an analysis),
``results`` (kept Parquet tables), ``workbooks`` (titles, the standard sheets, writing), ``display`` (the notebook's
sections).
"""

from __future__ import annotations

from . import display as show
from .flow import Inputs, Run, UntrustedInputError, run
from .results import Result, ResultError, load_result, load_tables, save_result, save_tables
from .setup import (
    DISTRICT,
    DISTRICT_DIR,
    UNKNOWN_TOWN,
    NotebookSetup,
    claim_quarter,
    prepare_demo_data,
    resolve_path,
    validate_parameters,
)
from .workbooks import instructions_sheet, problems_sheet, sources_sheet, title, write_workbook

__all__ = [
    "DISTRICT", "DISTRICT_DIR", "UNKNOWN_TOWN", "Inputs", "NotebookSetup", "Result", "ResultError", "Run",
    "UntrustedInputError", "claim_quarter", "instructions_sheet", "load_result", "load_tables", "prepare_demo_data",
    "problems_sheet", "resolve_path", "run", "save_result", "save_tables", "show", "sources_sheet", "title",
    "validate_parameters", "write_workbook",
]
