# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
BIN := $(VENV)/bin
DEMO_DIR ?= demo-data
DEMO_CUSTOMERS ?= 20000

.PHONY: env demo test test-quick lint format docs docs-site docs-serve notebooks bench bento clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

env: $(VENV)/.installed  ## create or update the environment in .venv from uv.lock

demo: env  ## the main job on the built-in synthetic data, then serve it (Ctrl-C stops)
	$(BIN)/leadscore demo --data $(DEMO_DIR) --customers $(DEMO_CUSTOMERS) $(DEMO_ARGS)

test: env  ## lint, check the layering, build the documentation site, then run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	site=$$(mktemp -d) && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $$site && rm -rf $$site
	$(BIN)/pytest

docs: env  ## rewrite docs/reference.md from the config models
	$(BIN)/python -m leadscore.reference docs/reference.md

docs-site: env  ## build the documentation site from docs/ into site/ (git-ignored)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

docs-serve: env  ## serve the documentation site on 127.0.0.1:8000, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

notebooks: env  ## open the notebooks in JupyterLab (NOTEBOOK_ARGS="--no-browser" on a server)
	cd notebooks && ../$(BIN)/jupyter lab $(NOTEBOOK_ARGS)

test-quick: env  ## the same checks and every test not marked slow (under two minutes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not slow" -p no:nbmake -o addopts="-ra --strict-markers"

lint: env
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: env  ## speed benchmarks (figures go to docs/benchmarks.md)
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_features.py

bento: env  ## build a deployable bento of the service (serving/bentofile.yaml)
	$(UV) build --quiet --wheel --out-dir serving/wheels
	$(UV) export --quiet --frozen --no-dev --no-hashes --no-emit-project \
		-o serving/requirements.lock.txt
	cd serving && ../$(BIN)/bentoml build

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO_DIR) .pytest_cache .ruff_cache
