# Two targets a newcomer needs: `make demo` and `make test`. Both set up a
# virtual environment in .venv first (only when pyproject.toml changed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format-check typecheck regen clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[codegen,dask,s3,fast]" --group dev
	@touch $(STAMP)

demo: $(STAMP) ## Rebuild the contracts from the bundled provider docs (doc pages and OpenAPI) and triage the bundled production log
	$(BIN)/webhook-contracts regen
	$(BIN)/webhook-contracts drift --payload-field body --fail-on never tests/data/sample-log/production.ndjson

test: $(STAMP) ## Run the test suite under coverage and print the coverage report
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

lint: $(STAMP) ## Lint the package, the tests, the maintainer scripts and the benchmark
	$(BIN)/ruff check src tests tools benchmarks hatch_build.py

format-check: $(STAMP) ## Check that the code is formatted as `ruff format` writes it
	$(BIN)/ruff format --check src tests tools benchmarks hatch_build.py

typecheck: $(STAMP) ## mypy strict over the package, the tests and the scripts (pyproject's [tool.mypy])
	$(BIN)/mypy

regen: $(STAMP)
	$(BIN)/webhook-contracts regen

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache .coverage .coverage.*
