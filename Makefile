# Run `make help` for the list of targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Reproducibility and speed: fixed hash seed, headless plotting, one BLAS thread per process.
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
.PHONY: help venv reports pdf test unit nbval lint bench lab notebooks docs lock env-yml clean
# What `make lint` checks (ruff settings in pyproject.toml): the package, the tests, the
# notebooks through their jupytext text pairs, and scripts/ if there is one.
LINT_PATHS := src tests $(wildcard notebooks/*.py) $(wildcard scripts)

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# The pinned wheels are installed by uv (from PyPI, like pip; byte-compiled as pip does) in
# under a minute where pip takes about two and a half; where uv cannot be installed or
# fails, pip installs them. The package's own modules are byte-compiled too: an editable
# install is not, and with PYTHONDONTWRITEBYTECODE=1 every process would compile them again
# (`make reports` refreshes what an edit made stale).
UV_VERSION := 0.13.9
PIP := $(VENV)/bin/pip --quiet --disable-pip-version-check

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install uv==$(UV_VERSION) \
	  && $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -r requirements.lock \
	  || { echo "uv unavailable or failed: installing with pip"; $(PIP) install -r requirements.lock; }
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -m compileall -q src/analysis
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv with the pinned dependencies and the package

reports: $(STAMP) ## Execute every notebook on the bundled data; write reports/, figures/ (PDF=1: and make pdf)
	$(PY) -m analysis run $(if $(FORCE),--force,)
	$(if $(PDF),$(PY) -m analysis pdf,)

pdf: $(STAMP) ## PDF of every report in reports/ (WeasyPrint) and the bound reports/reports.pdf
	$(PY) -m analysis pdf $(if $(FORCE),--force,)

test: $(STAMP) ## Unit tests (one worker per core) plus nbval over every notebook in notebooks/
	$(PY) -m pytest -n auto tests
	$(PY) -m pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks -p no:cacheprovider

unit: $(STAMP) ## Unit tests only
	$(PY) -m pytest -n auto tests

nbval: $(STAMP) ## nbval over every notebook only
	$(PY) -m pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks -p no:cacheprovider

lint: $(STAMP) ## ruff: lint, and check the formatting of, src, tests and the notebooks' .py pairs
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

notebooks: $(STAMP) ## Re-execute the notebooks in notebooks/ in place; rewrite their .py text pairs
	$(PY) -m analysis refresh

bench: $(STAMP) ## Run the benchmarks; write reports/benchmarks.json and .md
	$(PY) -m analysis bench

docs: $(STAMP) ## Regenerate the generated docs pages; build the documentation site into site/
	$(PY) -m analysis docs
	$(VENV)/bin/mkdocs build --strict --quiet
	@echo "site/index.html"

lab: $(STAMP) ## Open JupyterLab on notebooks/
	$(VENV)/bin/jupyter lab notebooks

lock: ## Re-resolve the newest versions into requirements.lock (needs the network)
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[test]' setuptools wheel
	(echo "# Exact versions of every package the suite installs (Python 3.11). Regenerate: make lock"; \
	  .lockvenv/bin/pip freeze --all --exclude-editable | grep -v '^pip==' | sort -f) > requirements.lock
	rm -rf .lockvenv
	$(MAKE) env-yml

env-yml: $(STAMP) ## Rewrite environment.yml from requirements.lock
	$(PY) -m analysis env-yml

clean: ## Remove generated reports, figures and caches (keeps .venv)
	rm -rf reports/* figures/* .cache
