# Pathways — every target does its own set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint types soak proof openapi clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: install, migrate, seed, make demo keys, start the directory (:8001) and the router
## (:8002) on SQLite, and print how to send a first referral (scripts/run.sh)
run: $(STAMP)
	@scripts/run.sh

## test: install and run every test (SQLite; PostgreSQL too when PATHWAYS_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## soak: the long property, fuzz and soak variants (CI runs these too)
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q -m slow

## proof: the fault and concurrency tests, with the figures of the README's "Proof under fire"
## (needs PostgreSQL; `make proof ARGS=--soak` for the long variants)
proof: $(STAMP)
	scripts/proof.sh $(ARGS)

## openapi: regenerate openapi/*.json from the apps (a test fails when they drift)
openapi: $(STAMP)
	$(BIN)/pathways openapi directory --output openapi/directory.json
	$(BIN)/pathways openapi router --output openapi/router.json

lint: $(STAMP)
	$(BIN)/ruff check graph services tests
	$(BIN)/ruff format --check graph services tests

types: $(STAMP)
	$(BIN)/mypy

## check: lint, types and tests
check: lint types test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
