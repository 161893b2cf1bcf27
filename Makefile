# FastOps: `make run` serves, `make test` checks. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
# Each worker writes its metrics here; emptied by `make serve` at every start.
PROMETHEUS_MULTIPROC_DIR ?= $(CURDIR)/.run/metrics

.DEFAULT_GOAL := help
.PHONY: help install migrate seed run dev test check pytest test-pg test-e2e serve audit-deps fuzz bench clean

help:  ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install pinned dependencies

migrate: $(STAMP)  ## apply every Alembic revision (alembic upgrade head)
	$(BIN)/alembic upgrade head

seed: migrate  ## roles, the first admin and demo data (idempotent)
	$(BIN)/python -m seeds.seed_create_app --demo

# Every way of serving goes through scripts.serve: uvicorn must not rewrite the client address
# from X-Forwarded-For (by default it believes any local peer); the app reads it from
# TRUSTED_PROXIES only.
run: seed  ## migrate, seed and serve on http://$(HOST):$(PORT)
	@echo "FastOps: http://$(HOST):$(PORT)/  API docs: http://$(HOST):$(PORT)/docs  admin: http://$(HOST):$(PORT)/admin"
	$(BIN)/python -m scripts.serve --host $(HOST) --port $(PORT)

dev: seed  ## like run, with auto-reload on code changes
	$(BIN)/python -m scripts.serve --host $(HOST) --port $(PORT) --reload

check: $(STAMP)  ## ruff, format check, mypy: same order as CI
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app alembic seeds scripts tests bench

pytest: $(STAMP)  ## the test suite with branch coverage (SQLite, or TEST_DATABASE_URL)
	$(BIN)/pytest --cov=app --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=90

test: check pytest  ## install, lint, format check, type check, whole suite

test-pg: $(STAMP)  ## the same suite against PostgreSQL ($(PG_TEST_URL))
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

test-e2e: $(STAMP)  ## browser tests of the pages and admin UI (Debian's /usr/bin/chromium)
	RUN_E2E=1 $(BIN)/pytest -p no:cacheprovider tests/e2e

serve: $(STAMP)  ## production server: WORKERS processes, proxies, graceful stop (migrate first)
	PROMETHEUS_MULTIPROC_DIR=$(PROMETHEUS_MULTIPROC_DIR) $(BIN)/python -m scripts.serve --host $(HOST) --port $(PORT)

audit-deps: $(STAMP)  ## pip-audit requirements.txt against the advisory databases
	$(BIN)/python -m scripts.audit_deps -r requirements.txt

fuzz: $(STAMP)  ## schemathesis over the OpenAPI document, as an admin and as a viewer
	$(BIN)/pytest -q tests/ops/test_fuzz.py

bench: $(STAMP)  ## performance figures (bench/README.md); QUICK=1 for a short run
	$(BIN)/python -m bench.run $(if $(QUICK),--quick,)

clean:  ## remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage fastops.db fastops.db-wal fastops.db-shm
