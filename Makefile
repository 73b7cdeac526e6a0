# bedrock-token-profiler: every entry point a user or CI needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STACK ?=
PYTEST_ARGS ?=

.PHONY: help venv browser test test-unit test-integration lint clean

help:
	@echo "make test       install what the tests need and run the whole suite"
	@echo "make lint       ruff (and terraform fmt/validate, checkov)"

# The virtualenv is rebuilt when a requirements file changes.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt
	touch $@

test: venv browser
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: venv
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check functions scripts tests

# Debian's chromium for the browser tests: Playwright drives it, it never downloads a browser of its own.
browser:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core; }

clean:
	rm -rf build .pytest_cache
