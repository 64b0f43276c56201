# Huoli: the two commands are `make run` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format migrate bench token clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Start the broker, the four services and the gateway (http://127.0.0.1:8000/v1). Ctrl-C stops all.
run: $(STAMP)
	$(BIN)/python -m devstack run

## Lint, type-check, then run the whole suite (real broker; SQLite and PostgreSQL).
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Apply every service's migrations to its configured database.
migrate: $(STAMP)
	$(BIN)/python -m devstack migrate

## Gateway vs direct throughput and latency, side by side in one run.
bench: $(STAMP)
	$(BIN)/python bench/gateway_bench.py

## Print a development JWT for curl: make token SUB=alice ROLES=platform_admin
token: $(STAMP)
	@$(BIN)/python -m gateway.tokens --sub '$(or $(SUB),alice)' --roles '$(ROLES)'

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
