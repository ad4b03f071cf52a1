# medrec: two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run reset test test-unit test-integration test-e2e fuzz chaos lint fmt bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(STAMP): $(UV) pyproject.toml uv.lock krcore/pyproject.toml shared/pyproject.toml devstack/pyproject.toml transfer/pyproject.toml admin/pyproject.toml services/*/pyproject.toml portal/pyproject.toml console/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $(STAMP)

# The portal's front-end assets (KRDS, Pretendard; axe-core for the tests) from the npm registry,
# exactly as the lock file says; served by the portal itself, never from a CDN.
NPM_STAMP := portal/node_modules/.installed

$(NPM_STAMP): portal/package.json portal/package-lock.json
	cd portal && npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# The console's (the same packages, pinned by its own lock file): served by the console itself.
CONSOLE_NPM_STAMP := console/node_modules/.installed

$(CONSOLE_NPM_STAMP): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $(CONSOLE_NPM_STAMP)

install: $(STAMP) $(NPM_STAMP) $(CONSOLE_NPM_STAMP)

## Start the whole cluster with its local stack (sandbox mode, demo data). Ctrl-C stops it.
## Its data stays in .medrec/ (or MEDREC_STACK_STATE) for the next start.
run: install
	$(BIN)/medrec-stack run

## Delete the local stack's data directory, after saying what it deletes.
reset: install
	$(BIN)/medrec-stack reset

## Run the whole test suite against the real local stack.
test: install
	$(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install
	$(BIN)/pytest tests/integration

test-e2e: install
	$(BIN)/pytest tests/e2e

## schemathesis against every service and role, with many more examples than `make test` runs.
FUZZ_EXAMPLES ?= 200
fuzz: install
	MEDREC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/sweeps/test_fuzzing.py

## Power cuts, many: the whole stack killed at random moments under deposit, copy and sweep load,
## restarted and checked each time (`make test` runs 3). CHAOS_SEED=<n> replays a run's moments;
## the tallies are printed at the end, and written to chaos.json next to the test's directory.
CHAOS_CUTS ?= 100
chaos: install
	CHAOS_CUTS=$(CHAOS_CUTS) $(BIN)/pytest -s tests/e2e/test_chaos.py

# deptry in each workspace package's own folder, so each is held to its own pyproject: a service
# declares what it imports, not what medrec-shared happens to bring along; then the root's tooling.
WORKSPACE_PACKAGES := krcore shared $(wildcard services/*) devstack portal console transfer admin

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy krcore shared devstack services portal console transfer admin tests
	$(BIN)/lint-imports
	for package in $(WORKSPACE_PACKAGES); do (cd $$package && $(CURDIR)/$(BIN)/deptry .) || exit 1; done
	$(BIN)/deptry .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks: figures and ratios against raw baselines measured in the same run.
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

# Kubernetes: k8s-check (render, validate, policy), images (buildah), image-smoke.
include deploy/k8s.mk
