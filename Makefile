# Détente — `make demo` and `make test` are the whole quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test bench lint docs clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]" -c constraints.txt
	touch $(STAMP)

demo: $(STAMP)  ## the DPRK no-deal baseline, 1986 → 2040, with sources behind every number
	$(BIN)/detente run no-deal --samples 20000 --horizon 2040-12 \
		--dates 1994-01,2003-01,2008-06,2016-01,2020-01,2026-11,2030-01,2035-01,2040-12

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## throughput (sample-months/s) and peak memory
	$(BIN)/python benchmarks/bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[docs]" -c constraints.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)  ## the documentation site (MkDocs, warnings as errors) into site/
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build site .cache *.egg-info src/*.egg-info .pytest_cache
