# bedrock-token-profiler: every entry point a user or CI needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
CHECKOV_VENV := .venv-checkov
STACK ?=
PYTEST_ARGS ?=

.PHONY: help venv browser test test-unit test-integration lint clean node-deps demo local-up local-down local-aggregate

help:
	@echo "make test       install what the tests need and run the whole suite"
	@echo "make lint       ruff (and terraform fmt/validate, checkov)"
	@echo "make build / plan / deploy / destroy   Terraform deployment to AWS (STACK=<prefix>)"
	@echo "make deploy-check   read-only checks of the account before a first deploy (docs/deploy.md)"
	@echo "make demo       the whole product locally, in the foreground (Ctrl-C stops it)"
	@echo "make prices     rebuild the price catalog from the AWS Price List (README: Prices)"
	@echo "make local-up / local-down / local-aggregate   the same in the background"
	@echo "make focus-export MONTH=YYYY-MM [STACK=]   write that month's FOCUS export now (docs/focus.md)"
	@echo "make tenant-add TENANT= USER= EMAIL= [ADMIN=1] / tenant-list / tenant-disable / tenant-enable"

# The virtualenv is rebuilt when a requirements file changes.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt
	touch $@

test: venv browser node-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: venv
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

lint: venv $(CHECKOV_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check functions scripts tests
	terraform fmt -check -recursive terraform
	$(PY) -m scripts.deploy validate
	$(BIN)/pytest -q -m unit -p no:cacheprovider tests/terraform/test_deploy_rules.py tests/terraform/test_endpoints.py
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --quiet --compact --skip-download

# The price catalog from the AWS Price List (README "Prices"): an offer file, or PRICES_SOURCE=--api.
PRICES_OFFER ?= scripts/prices/handbuilt_offer.json
PRICES_SOURCE ?= --offer-file $(PRICES_OFFER)
.PHONY: prices
prices: venv
	$(PY) -m scripts.prices $(PRICES_SOURCE)

# Terraform (docs/terraform.md). STACK=<prefix> picks the configs.json entry when there are several.
.PHONY: build plan deploy destroy deploy-check
build: venv
	$(PY) -m scripts.build $(if $(STACK),--stack $(STACK))

plan: venv
	$(PY) -m scripts.deploy plan $(if $(STACK),--stack $(STACK))

deploy: venv
	$(PY) -m scripts.deploy deploy $(if $(STACK),--stack $(STACK))

destroy: venv
	$(PY) -m scripts.deploy destroy $(if $(STACK),--stack $(STACK))

# Read-only, with the account's credentials, before a first deploy (docs/deploy.md).
deploy-check: venv
	$(PY) -m scripts.deploy_check $(if $(STACK),--stack $(STACK))

# checkov in its own virtualenv: its pinned dependencies clash with the dev tools'.
$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/checkov.txt
	touch $@

# Debian's chromium for the browser tests: Playwright drives it, it never downloads a browser of its own.
browser:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core; }

# newman (Postman's runner) for the end-to-end suite, pinned by package-lock.json.
node-deps: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The local stack (docs/local-stack.md): moto + Terraform + Bedrock emulator + API + console.
demo: venv
	$(PY) -m local run

local-up: venv
	$(PY) -m local up

local-down:
	$(PY) -m local down

local-aggregate:
	$(PY) -m local aggregate

# The FOCUS export now (docs/focus.md): make focus-export [MONTH=YYYY-MM] on the local stack, or
# with STACK=<prefix> by invoking that deployment's export function.
.PHONY: focus-export
focus-export:
	$(if $(STACK),$(PY) -m scripts.focus_export --stack $(STACK),$(PY) -m local focus-export) $(if $(MONTH),--month $(MONTH),)

# Benchmarks against re-created baselines (docs/benchmarks.md). Own virtualenv: the baselines need
# pandas, langchain-community and litellm, which the tests never import.
BENCH_VENV := .venv-bench
BENCH_ARGS ?=
.PHONY: bench
bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m bench $(BENCH_ARGS)
$(BENCH_VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/bench.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/bench.txt
	touch $@

clean:
	rm -rf build .pytest_cache

# Mutation testing (docs/mutation.md): mutmut in its own virtualenv, one module at a time.
# MUTATION_MODULES lists the modules of functions/token_profiler it covers: add a new one there.
# `make mutation MODULES="prices dates"` runs a subset. Not part of `make test` (tens of minutes).
MUTATION_VENV := .venv-mutation
MUTATION_MODULES := money prices aggregate usage dates auth retrieval signing day_prices plans reconcile runs focus focus_check statements tenants registry ledger/logs_engine ledger/archive ledger/ingest ledger/duckdb_engine ledger/athena_engine
MODULES ?= $(MUTATION_MODULES)
.PHONY: mutation
mutation: $(MUTATION_VENV)/.installed
	$(MUTATION_VENV)/bin/python -m scripts.mutation $(MODULES)
$(MUTATION_VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/mutation.txt
	test -x $(MUTATION_VENV)/bin/python || $(PYTHON) -m venv $(MUTATION_VENV)
	$(MUTATION_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/mutation.txt
	touch $@

# Tenants (docs/tenants.md): against the local stack, or a deployment with STACK=<prefix>.
# make tenant-add TENANT=<id> USER=<name> EMAIL=<email> [ADMIN=1] [NAME="Display name"]
# USER is read only from the command line: the shell's $USER is never taken for a tenant user.
TENANT ?=
NAME ?=
ADMIN ?=
TENANT_ARGS = $(if $(STACK),--stack $(STACK))
.PHONY: tenant-add tenant-list tenant-disable tenant-enable
tenant-add: venv
	$(PY) -m scripts.tenants add --tenant '$(TENANT)' $(TENANT_ARGS) \
		$(if $(filter command line,$(origin USER)),--user '$(USER)') $(if $(EMAIL),--email '$(EMAIL)') \
		$(if $(filter 1 true yes,$(ADMIN)),--admin) $(if $(NAME),--name '$(NAME)')

tenant-list: venv
	$(PY) -m scripts.tenants list $(TENANT_ARGS)

tenant-disable: venv
	$(PY) -m scripts.tenants disable --tenant '$(TENANT)' $(TENANT_ARGS)

tenant-enable: venv
	$(PY) -m scripts.tenants enable --tenant '$(TENANT)' $(TENANT_ARGS)
