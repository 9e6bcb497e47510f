# The two commands of the README: `make run` and `make test`. Both create .venv when it is
# missing and install from the lock file; a second run only re-installs when the lock changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint venv system lock bench load clean sam-venv sam-build sam-lock runtime-requirements \
	cloudfront-headers ses-templates capacity

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

# Re-resolve the lock after changing dependencies in pyproject.toml (then the functions' cut of it).
lock: venv
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  -o requirements.lock pyproject.toml
	$(MAKE) runtime-requirements

# functions/requirements.txt (what sam build installs) from requirements.lock; a test checks it.
runtime-requirements: venv
	$(BIN)/python -m infra.sam.runtime_requirements

# The SAM CLI lives in its own venv and lock: its pins conflict with the project's dev lock.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

$(SAM_STAMP): infra/sam/requirements.lock infra/sam/pip.lock
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  -r infra/sam/pip.lock
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  -r infra/sam/requirements.lock
	@touch $(SAM_STAMP)

sam-venv: $(SAM_STAMP)

# Without Docker: sam builds the python3.11 functions with this machine's python3.11, fetching
# manylinux arm64 wheels for the binary packages. `sam validate --lint` runs cfn-lint on the
# template as SAM sees it; both work offline from AWS (no credentials, no account).
sam-build: sam-venv
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
	  $(SAM_VENV)/bin/sam validate --lint --template-file template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build --template-file template.yaml --build-dir build/sam

# Re-resolve the SAM CLI's lock (pip-tools in a throwaway venv: it is needed for this only).
sam-lock:
	@test -x build/lock-tools/bin/pip-compile || \
	  ($(PYTHON) -m venv build/lock-tools && build/lock-tools/bin/pip install --quiet pip-tools)
	# Extras kept (aws-sam-cli needs boto3-stubs[…]): pip's hash mode refuses them stripped.
	build/lock-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-strip-extras \
	  -o infra/sam/requirements.lock infra/sam/requirements.in
	build/lock-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-strip-extras \
	  -c infra/sam/requirements.lock -o infra/sam/pip.lock infra/sam/pip.in

# The CloudFront response-headers policies in template.yaml, from a fresh build of the site.
cloudfront-headers: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/python -m infra.deploy.cloudfront_headers

# The SES templates in template.yaml, from the e-mail templates in functions/zhtj/mail/templates.
ses-templates: venv
	$(BIN)/python -m infra.deploy.ses_templates

# The capacity and cost model (README § Capacity and cost; the site page 容量与费用估算).
capacity: venv
	$(BIN)/python -m infra.capacity.model

clean:
	rm -rf build .aws-sam .pytest_cache .mypy_cache .ruff_cache
