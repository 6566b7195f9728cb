"""Imported once by each batch worker's fork server (:mod:`jykn_lib.runner.kernels`): what every notebook kernel
imports anyway, so a forked kernel starts with it. Only imports: no table, thread pool or parameter is made here."""

import os
import sys

# What ipykernel sets before any cell runs; matplotlib reads it when it is first imported, which is now.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
# The debugger (imported by every kernel) warns that this interpreter runs without -Xfrozen_modules=off, which only
# matters for breakpoints; a batch kernel has none. Said once here, not on the batch's terminal.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import sqlite3  # noqa: F401

import ipykernel.debugger
import ipykernel.ipkernel
import ipykernel.kernelapp  # noqa: F401
import IPython.core.completerlib  # what a kernel imports while it starts, as the lines around it
import IPython.core.debugger
import IPython.extensions.storemagic  # noqa: F401
import numpy  # noqa: F401
import pandas  # noqa: F401
import pyarrow.compute
import pyarrow.parquet  # noqa: F401

import jykn_lib
from jykn_lib import params

if params.DATA_ROOT != params._CHECKOUT:  # an installed wheel: REPO_ROOT comes from the kernel's folder or $JYKN_HOME
    del sys.modules["jykn_lib.params"], jykn_lib.params  # each kernel imports it afresh, in its own folder
else:
    import jykn_lib.analyses.applications
    import jykn_lib.analyses.assessment
    import jykn_lib.analyses.audit
    import jykn_lib.analyses.ledger_review
    import jykn_lib.analyses.screening
    import jykn_lib.kit
