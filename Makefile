# Pathways — every target does its own set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test browser check lint types soak proof openapi bench clean

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
test: $(STAMP) browser
	$(BIN)/python -m pytest -q

## browser: Debian's Chromium for the console's browser tests (tests/console/test_browser.py),
## installed when missing and we are root; otherwise those tests skip, or fail when
## PATHWAYS_REQUIRE_BROWSER=1 (as CI sets). Playwright never downloads a browser of its own.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
	    || echo "could not install chromium: the browser tests will skip (or fail, with PATHWAYS_REQUIRE_BROWSER=1)"; \
	  else \
	    echo "$(CHROMIUM) is missing and cannot be installed here (not root): the browser tests will skip"; \
	  fi; }

## soak: the long property, fuzz and soak variants (CI runs these too)
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q -m slow

## proof: the fault and concurrency tests, with the figures of the README's "Proof under fire"
## (needs PostgreSQL; `make proof ARGS=--soak` for the long variants)
proof: $(STAMP)
	scripts/proof.sh $(ARGS)

## bench: the benchmark of bench/README.md: engine and HTTP figures, written to bench/RESULTS.md
## with the plot bench/plan-latency.png (not part of `make test`; about 15 minutes; needs
## PostgreSQL for the HTTP figures on PostgreSQL; `make bench ARGS=--quick` for a 2-minute run)
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(ARGS)

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
