"""Papermill's nbclient engine, saving the notebook in progress half as often.

Papermill writes the whole notebook (serialised and schema-checked) both before and after every cell. The save
after a cell holds nothing the save before the next cell does not also hold, so this engine skips it — except after
a failed cell and at the end (papermill's own ``finally``, so a kernel that dies or a timeout still leaves every
output received). An interrupted run's partial notebook therefore still has the outputs of every finished cell."""

from __future__ import annotations

from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

ENGINE_NAME = "jykn"


class SaveBeforeCellManager(NotebookExecutionManager):
    """Papermill's execution manager without the save after each successful cell."""

    _after_cell = False

    def save(self, **kwargs: Any) -> None:
        if not self._after_cell:
            super().save(**kwargs)

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        # A failed cell and its traceback are written at once; after a good one the next cell's start saves.
        self._after_cell = not cell.get("metadata", {}).get("papermill", {}).get("exception")
        try:
            super().cell_complete(cell, cell_index=cell_index, **kwargs)
        finally:
            self._after_cell = False


class SaveBeforeCellEngine(NBClientEngine):
    """``NBClientEngine`` with :class:`SaveBeforeCellManager` (papermill's ``Engine.execute_notebook``, manager
    swapped)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        nb_man = SaveBeforeCellManager(nb, output_path=output_path, progress_bar=progress_bar,
                                       log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, SaveBeforeCellEngine)
