# Gloam: the two commands are `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run reset test install install-dev assets lint typecheck importlint compose-check schema-check \
        migrations-check pytest test-fast e2e contracts circuits circuits-check circuits-verify-setup prover-tools clean

## run: install, migrate, seed the demo users and the devnet genesis, then supervise redis + nodes + web + worker + proving + beat
run: install assets prover-tools
	./scripts/ensure-redis.sh
	./scripts/supervise.sh prepare
	@echo "Gloam: http://$${GLOAM_HOST:-127.0.0.1}:$${GLOAM_PORT:-8000}/  (Ctrl-C stops everything; logs in $${GLOAM_VAR_DIR:-var}/log/)"
	exec ./scripts/supervise.sh

## reset: delete the var dir (every organisation, instrument, holding and the chain); refuses while running
reset:
	./scripts/reset.sh

## test: linters, type checks, import contracts, compose validation, then pytest
test: install-dev assets lint typecheck importlint compose-check migrations-check schema-check pytest

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: Gloam needs Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev

node_modules/.installed: package.json package-lock.json
	./scripts/ensure-npm.sh
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .

importlint:
	$(BIN)/lint-imports

compose-check:
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml

migrations-check:
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run

schema-check:
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

pytest:
	$(BIN)/python -m pytest -n 2 --dist loadgroup

## test-fast: the tests that start no chain node, browser or worker and take seconds (the edit loop)
test-fast: install-dev assets
	$(BIN)/python -m pytest -n 2 -m "not devnet and not slow and not e2e and not integration" -q

e2e:
	$(BIN)/python -m pytest -m e2e

## contracts: rebuild chain/contracts/build/*.wasm from the C sources (needs Debian clang and lld)
contracts:
	./chain/contracts/build.sh

## prover-tools: snarkjs for the proving worker (npm ci in circuits/, once; the same stamp as build_circuits.sh)
prover-tools:
	./scripts/ensure-npm.sh
	cd circuits && if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; fi

## circuits: compile circuits/src with circom 2 for BLS12-381 (tools from npm into circuits/node_modules), export
## the verification keys from the committed setup, write circuits/build/MANIFEST.sha256 (needs the venv: make install)
circuits:
	./scripts/build_circuits.sh build

## circuits-check: rebuild r1cs and wasm and compare with the manifest; verify phase 1, the keys and fixture proofs (docs/zk.md)
circuits-check:
	./scripts/build_circuits.sh check

## circuits-verify-setup: circuits-check plus prepare phase 2 and zkey verify of every proving key (10+ minutes; docs/zk.md)
circuits-verify-setup:
	./scripts/build_circuits.sh verify-setup

clean:
	rm -rf $(VENV) node_modules circuits/node_modules var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
