# Pathways — every target does its own set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint types soak openapi clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: install, route the example referral offline, then migrate, seed, make demo keys and
## serve the directory on 127.0.0.1:8001 (database: var/directory.db unless
## PATHWAYS_DIRECTORY_DATABASE_URL says otherwise)
run: $(STAMP)
	@echo "Routing examples/referral.json with the shipped Cambridgeshire and Peterborough directory:"
	$(BIN)/pathways route examples/referral.json
	$(BIN)/pathways db upgrade --service directory
	$(BIN)/pathways seed
	@admin=$$($(BIN)/pathways keys create --service directory --role admin --name demo-admin --replace) && \
	referrer=$$($(BIN)/pathways keys create --service directory --role referrer --name demo-referrer --replace) && \
	service=$$($(BIN)/pathways keys create --service directory --role service --name demo-router --replace) && \
	provider=$$($(BIN)/pathways keys create --service directory --role provider --provider victim-support --name demo-victim-support --replace) && \
	echo "" && \
	echo "Demo API keys for the directory (shown once; only their hashes are stored):" && \
	echo "  admin:                     $$admin" && \
	echo "  referrer:                  $$referrer" && \
	echo "  service (the router):      $$service" && \
	echo "  provider (victim-support): $$provider" && \
	echo "" && \
	echo "Try: curl -H \"Authorization: Bearer $$admin\" http://127.0.0.1:8001/services/idva-cambridgeshire" && \
	echo "     http://127.0.0.1:8001/docs for the API, Ctrl-C to stop." && \
	echo ""
	$(BIN)/pathways serve directory --host 127.0.0.1 --port 8001

## test: install and run every test (SQLite; PostgreSQL too when PATHWAYS_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## soak: the long property, fuzz and soak variants (CI runs these too)
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q -m slow

## openapi: regenerate openapi/*.json from the apps (a test fails when they drift)
openapi: $(STAMP)
	$(BIN)/pathways openapi directory --output openapi/directory.json

lint: $(STAMP)
	$(BIN)/ruff check graph services tests
	$(BIN)/ruff format --check graph services tests

types: $(STAMP)
	$(BIN)/mypy

## check: lint, types and tests
check: lint types test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
