# Détente — `make demo` and `make test` are the whole quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test bench lint docs dist wheel-check clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]" -c constraints.txt
	touch $(STAMP)

demo: $(STAMP)  ## the DPRK no-deal baseline, 1986 → 2040, with sources behind every number
	$(BIN)/detente run no-deal --samples 20000 --horizon 2040-12 \
		--dates 1994-01,2003-01,2008-06,2016-01,2020-01,2026-11,2030-01,2035-01,2040-12

# Two workers (pytest-xdist), each taking whole test files. Schemathesis's cases all share one test
# id, which xdist would run once, so they run on their own after.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --ignore=tests/test_web_schema.py
	$(BIN)/python -m pytest -q tests/test_web_schema.py

bench: $(STAMP)  ## throughput (sample-months/s) and peak memory
	$(BIN)/python benchmarks/bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[docs]" -c constraints.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)  ## the documentation site (MkDocs, warnings as errors) into site/
	$(BIN)/mkdocs build --strict --site-dir site

dist: $(STAMP)  ## the sdist and the wheel, in dist/
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# the wheel, installed alone in a fresh venv and run from /tmp, so nothing comes from src/
wheel-check: dist
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -c 'import pathlib, subprocess, sys, zipfile; \
	    tracked = subprocess.run(["git", "ls-files", "src/detente"], capture_output=True, text=True).stdout.split(); \
	    data = {f.removeprefix("src/") for f in tracked if not f.endswith(".py")}; \
	    wheel = set(zipfile.ZipFile(next(pathlib.Path("dist").glob("detente-*.whl"))).namelist()); \
	    sys.exit(f"not in the wheel: {sorted(data - wheel)}" if data - wheel else 0)' && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet --no-compile --disable-pip-version-check dist/detente-*.whl -c constraints.txt && \
	cd "$$tmp" && export DETENTE_CACHE="$$tmp/cache" && \
	"$$tmp/venv/bin/detente" --version && \
	"$$tmp/venv/bin/detente" run no-deal --samples 200 --horizon 2030-12 --dates 2030-12 --quiet

clean:
	rm -rf $(VENV) build dist site .cache *.egg-info src/*.egg-info .pytest_cache
