# make install — the virtual environment (.venv) with the package, the test tools and JupyterLab; the notebook filter.
# make test — create the virtual environment if missing, install, run every test.
# make lint — ruff (pyproject.toml), yamllint (.yamllint.yaml), notebooks committed without outputs (nbstripout).
# make demo — the main job: the synthetic district and the full notebook run for the demo period.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# nbstripout keeps cell tags (papermill's parameters, analyst-only …) and cell ids; papermill's metadata goes too.
NBSTRIP := --keep-id --extra-keys "metadata.papermill cell.metadata.papermill cell.metadata.execution"

.PHONY: install hooks test lint demo bench bench-smoke clean-outputs

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP) hooks

# Git strips notebook outputs on commit (clean filter, .gitattributes); the analyst's copy keeps them. The command is
# relative to the working tree, so each clone or worktree uses its own .venv; outside git this does nothing.
hooks:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '.venv/bin/python -m nbstripout $(NBSTRIP)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config diff.ipynb.textconv '.venv/bin/python -m nbstripout -t $(NBSTRIP)' && \
	  echo "git：提交 Notebook 时自动去掉输出（nbstripout 过滤器已设置）"; fi

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/yamllint --strict .
	$(VENV)/bin/nbstripout --verify $(NBSTRIP) notebooks/*.ipynb

demo: $(STAMP)
	$(VENV)/bin/jykn demo

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# CI: the benchmarks of issue 15 at a tiny size — they run and print their ratios; nothing is asserted about speed.
bench-smoke: $(STAMP)
	$(PY) benchmarks/bench_rules.py 5000 20000
	$(PY) benchmarks/bench_quarter.py --smoke
	$(PY) benchmarks/bench_read.py --smoke

clean-outputs:
	rm -rf outputs/*/ outputs/demo
