"""The analyst's ad-hoc query forms (ipywidgets), in JupyterLab (notebook 06, and 01's interactive cells) and as a
local web page (``jykn app``, Voilà). Not part of the leaders' HTML: cells showing a form carry the tag ``interactive``.

    setup = kit.validate_parameters(notebook="06", quarter=…, as_of=…, data_dir=…, out_dir=…)
    ctx = widgets.build_context(setup)       # the data folder (every source) and the quarter's kept results
    widgets.show_forms(ctx)                  # 人员查询 · 资格测算 · 名单筛选 (without a front end: says so, shows none)

Modules: ``context`` (the query context), ``person`` (人员查询), ``whatif`` (资格测算), ``listing`` (名单筛选),
``common`` (HTML pieces, front-end detection). Each form's callbacks are plain functions of the form's values that
return what the form shows (HTML text, a DataFrame); the widget classes only wire widgets to them, so the tests drive
the widgets' values without a browser.
"""

from __future__ import annotations

from .common import APP_ENV, NO_FRONT_END, has_front_end
from .context import QueryContext, build_context
from .listing import ListingForm, listing_form
from .person import PersonForm, person_form
from .whatif import Scenario, WhatIfForm, whatif_form

__all__ = ["APP_ENV", "NO_FRONT_END", "ListingForm", "PersonForm", "QueryContext", "Scenario", "WhatIfForm",
           "build_context", "forms", "has_front_end", "listing_form", "person_form", "show_forms",
           "show_screening_forms", "whatif_form"]

TITLES = {"person": "人员查询", "whatif": "资格测算", "listing": "名单筛选"}


def forms(ctx: QueryContext, which=("person", "whatif", "listing"), town: str | None = None):
    """The forms in tabs (a ``Tab`` widget; ``tab.children`` are the forms in the order asked)."""
    import ipywidgets as W

    made = {"person": lambda: person_form(ctx), "whatif": lambda: whatif_form(ctx.params, ctx.as_of),
            "listing": lambda: listing_form(ctx, town)}
    tab = W.Tab(children=[made[k]() for k in which])
    for i, k in enumerate(which):
        tab.set_title(i, TITLES[k])
    return tab


def show_forms(ctx_or_setup, which=("person", "whatif", "listing"), town: str | None = None) -> None:
    """Display the forms; without a front end (papermill) print why there are none, and what the context holds.

    ``ctx_or_setup``: a QueryContext, or a NotebookSetup (the context is then built only when a front end shows it,
    so that a batch run does not read the data folder for nothing)."""
    from IPython.display import display

    if not has_front_end():
        print(NO_FRONT_END)
        if isinstance(ctx_or_setup, QueryContext):
            print("\n".join(ctx_or_setup.summary_lines()))
        return
    ctx = ctx_or_setup if isinstance(ctx_or_setup, QueryContext) else build_context(ctx_or_setup)
    display(forms(ctx, which, town))


def show_screening_forms(run) -> None:
    """Notebook 01's interactive cell: 人员查询 and 名单筛选 over the run's quarter (the listing opens on the run's town)."""
    town = None if run.setup.is_district else run.setup.town
    show_forms(run.setup, which=("person", "listing"), town=town)
