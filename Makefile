# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
BIN := $(VENV)/bin
DEMO_DIR ?= demo-data
DEMO_CUSTOMERS ?= 20000

.PHONY: env demo test lint format bench bento clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

env: $(VENV)/.installed  ## create or update the environment in .venv from uv.lock

demo: env  ## run the main job on the built-in synthetic data
	$(BIN)/leadscore generate --out $(DEMO_DIR) --customers $(DEMO_CUSTOMERS) --seed 42
	$(BIN)/leadscore validate $(DEMO_DIR)
	$(BIN)/leadscore features $(DEMO_DIR) --out $(DEMO_DIR)/features/train.parquet --label
	$(BIN)/leadscore train conversion --features $(DEMO_DIR)/features/train.parquet
	$(BIN)/leadscore train nbo
	$(BIN)/leadscore promote conversion || echo "demo: the champion stays (reason above)"
	$(BIN)/leadscore promote nbo || echo "demo: the champion stays (reason above)"
	$(BIN)/leadscore features $(DEMO_DIR) --out $(DEMO_DIR)/features/store.parquet \
	    --feature-set nbo_v1 --as-of 2026-06-29T00:00:00
	$(BIN)/python -c "import pandas as pd; pd.read_parquet('$(DEMO_DIR)/features/store.parquet').head(1).to_parquet('$(DEMO_DIR)/features/one.parquet')"
	$(BIN)/leadscore score --input $(DEMO_DIR)/features/one.parquet --out $(DEMO_DIR)/one_score.jsonl --lang de --top-k 3
	$(BIN)/python -m json.tool $(DEMO_DIR)/one_score.jsonl
	@echo "demo: models trained; the champions are in the MLflow store mlflow.db (open it with"
	@echo "      .venv/bin/mlflow ui --backend-store-uri sqlite:///mlflow.db); serve them with"
	@echo "      LEADSCORE_API_KEYS=change-me .venv/bin/leadscore serve --feature-store $(DEMO_DIR)/features/store.parquet"

test: env  ## lint, then run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: env
	$(BIN)/ruff check .

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: env  ## speed benchmarks (figures go to the README)
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_features.py

bento: env  ## build a deployable bento of the service (serving/bentofile.yaml)
	$(UV) build --quiet --wheel --out-dir serving/wheels
	$(UV) export --quiet --frozen --no-dev --no-hashes --no-emit-project \
		-o serving/requirements.lock.txt
	cd serving && ../$(BIN)/bentoml build

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO_DIR) .pytest_cache .ruff_cache
