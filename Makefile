# The two commands of the README: `make run` and `make test`. Both create .venv when it is
# missing and install from the lock file; a second run only re-installs when the lock changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint venv system lock bench load clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

# System packages the browser and conversion tests need (Chromium, a CJK font, LibreOffice).
system:
	@bash infra/system-packages.sh

run: venv
	$(BIN)/zhtj local

test: venv system
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

bench: venv
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# A bounded load test of the local stack on loopback, then exact checks of the table (exit 1 on
# a failed check); size it with e.g. LOAD_ARGS="--admins 5 --rows 4".
load: venv
	$(BIN)/python bench/load_local.py $(LOAD_ARGS)

# Re-resolve the lock after changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  -o requirements.lock pyproject.toml

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
