"""The runner's papermill engine: one save before each cell instead of two per cell, nothing lost."""

import json

import nbformat
import papermill
import pytest
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillExecutionError

from jykn_lib.runner import nb_engine


def notebook(tmp_path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path = tmp_path / "in.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def saves(monkeypatch):
    """Each save's notebook, as the file on disk would hold it at that moment."""
    seen = []
    assert papermill_engines.get_engine(nb_engine.ENGINE_NAME) is nb_engine.SaveBeforeCellEngine  # on import
    import papermill.engines as engines

    write = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: (seen.append(json.loads(nbformat.writes(nb))),
                                                                  write(nb, path)))
    return seen


@pytest.mark.parametrize("engine, expected", [(None, 2 + 2 * 3), (nb_engine.ENGINE_NAME, 2 + 3)])
def test_saved_once_before_each_cell_and_at_the_end(tmp_path, saves, engine, expected):
    src = notebook(tmp_path, "print('一')", "print('二')", "print('三')")
    kwargs = {"engine_name": engine} if engine else {}
    papermill.execute_notebook(str(src), str(tmp_path / "out.ipynb"), progress_bar=False, **kwargs)
    assert len(saves) == expected  # papermill's own: start, before and after each cell, end
    if engine:
        # before the second and third cells: every finished cell's output is already on disk
        assert ["".join(c["outputs"][0]["text"]) for c in saves[2]["cells"][:1]] == ["一\n"]
        assert ["".join(c["outputs"][0]["text"]) for c in saves[3]["cells"][:2]] == ["一\n", "二\n"]
        assert saves[3]["cells"][2]["metadata"]["papermill"]["status"] == "running"
    final = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.outputs[0].text for c in final.cells] == ["一\n", "二\n", "三\n"]
    assert all(c.metadata.papermill.status == "completed" for c in final.cells)


def test_a_failed_cell_is_saved_at_once_with_its_traceback(tmp_path, saves):
    src = notebook(tmp_path, "print('一')", "raise ValueError('坏了')", "print('不运行')")
    out = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError):
        papermill.execute_notebook(str(src), str(out), progress_bar=False, engine_name=nb_engine.ENGINE_NAME)
    after_failure = saves[3]  # start, before cell 1, before cell 2, after the failed cell 2
    failed = [c for c in after_failure["cells"] if c["metadata"].get("papermill", {}).get("exception")]
    assert len(failed) == 1 and "坏了" in json.dumps(failed[0]["outputs"], ensure_ascii=False)
    final = json.loads(out.read_text(encoding="utf-8"))
    assert final["metadata"]["papermill"]["exception"] is True
    assert "坏了" in json.dumps(final, ensure_ascii=False)
