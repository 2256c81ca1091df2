# Made in Bangladesh ICT registry. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The lock files (make lock): runtime = what a deployment installs, demo = runtime + the demo data (make run),
# dev = everything, for the tests and linters (make install). Each with every file's hash, for 3.11 to 3.13.
LOCK_DEMO := requirements/demo.txt
LOCK_DEV := requirements/dev.txt
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed
NATIVE := native/ed25519
NATIVE_STAMP := $(VENV)/.native-installed
NATIVE_WHEELS := $(VENV)/native-wheels
# make test's quick pass on the newest supported Python (SQLite only, beside the full pass on $(PY))
PY_QUICK ?= $(shell tools/find_python.sh 3.13)
VENV_QUICK := .venv-3.13
QUICK_STAMP := $(VENV_QUICK)/.installed
# rustup installs cargo in ~/.cargo/bin, which a non-login shell's PATH often lacks
export PATH := $(HOME)/.cargo/bin:$(PATH)
PORT ?= 5000
export FLASK_APP := app

.PHONY: help install run test test-quick fuzz lint format lock bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# Locked dependencies only (--require-hashes: a file whose hash differs is refused), then the project itself.
$(DEMO_STAMP): pyproject.toml $(LOCK_DEMO)
	@command -v $(PY) >/dev/null || { echo "Python 3.11, 3.12 or 3.13 is required ($(PY) not found; make PY=python3.13 ...)"; exit 1; }
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK_DEMO)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(DEMO_STAMP)

$(STAMP): $(DEMO_STAMP) $(LOCK_DEV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK_DEV)
	@touch $(STAMP)

# The native Ed25519 module (ed25519-dalek): about 1.6x PyNaCl on offline verification, which needs it to
# reach 10,000 label URLs/s on one core (bench/results/ed25519.json). Optional everywhere: when the build fails
# for any reason (no cargo, a cargo older than 1.81, a compile error) signing uses PyNaCl, which needs no
# compiler. One wheel (abi3) serves every Python venv here; its build log is $(VENV)/native-build.log.
$(NATIVE_STAMP): $(DEMO_STAMP) $(NATIVE)/Cargo.toml $(NATIVE)/Cargo.lock $(NATIVE)/pyproject.toml $(NATIVE)/src/lib.rs $(NATIVE)/mib_ed25519.pyi
	@rm -rf $(NATIVE_WHEELS)
	@if command -v cargo >$(VENV)/native-build.log 2>&1 \
		&& $(BIN)/pip wheel --quiet --no-deps -w $(NATIVE_WHEELS) ./$(NATIVE) >>$(VENV)/native-build.log 2>&1 \
		&& $(BIN)/pip install --quiet --no-deps --force-reinstall $(NATIVE_WHEELS)/mib_ed25519-*.whl >>$(VENV)/native-build.log 2>&1; then \
		echo "Ed25519: native module built ($$(cargo --version 2>/dev/null))"; \
	else \
		rm -rf $(NATIVE_WHEELS); $(BIN)/pip uninstall --quiet --yes mib-ed25519 >/dev/null 2>&1 || true; \
		echo "Ed25519: using PyNaCl (native/ed25519 not built$$(command -v cargo >/dev/null || echo ': no cargo'); $(VENV)/native-build.log says more)"; \
	fi
	@touch $(NATIVE_STAMP)

install: $(STAMP) $(NATIVE_STAMP) ## Create .venv from the lock file (dev: tests and linters) and the native Ed25519 module if it builds

# A second venv on the newest supported Python for make test's quick pass (the same lock file)
$(QUICK_STAMP): $(LOCK_DEV) pyproject.toml $(NATIVE_STAMP)
	@test -n "$(PY_QUICK)" || { echo "no Python 3.13 found (PATH, then pyenv's versions folder)"; exit 1; }
	@test -d $(VENV_QUICK) || $(PY_QUICK) -m venv $(VENV_QUICK)
	$(VENV_QUICK)/bin/pip install --quiet --require-hashes --no-deps -r $(LOCK_DEV)
	$(VENV_QUICK)/bin/pip install --quiet --no-deps -e .
	@if ls $(NATIVE_WHEELS)/mib_ed25519-*.whl >/dev/null 2>&1; then \
		$(VENV_QUICK)/bin/pip install --quiet --no-deps --force-reinstall $(NATIVE_WHEELS)/mib_ed25519-*.whl; \
	else $(VENV_QUICK)/bin/pip uninstall --quiet --yes mib-ed25519 >/dev/null 2>&1 || true; fi
	@touch $(QUICK_STAMP)

node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the browser accessibility checks (axe-core) will be skipped"; fi

run: export REGISTRY_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(DEMO_STAMP) $(NATIVE_STAMP) ## Install runtime + demo from the lock file, set up the embedded database, seed demo data once (labels and index again only when data changed), serve on http://127.0.0.1:$(PORT)
	@echo "demo label URLs: instance/demo-labels.txt   demo accounts: instance/demo-credentials.txt"
	$(BIN)/flask prepare-run --serve --host 127.0.0.1 --port $(PORT)

# Without Python 3.13 the quick pass is skipped with a warning (with CI=true run_tests.py fails instead).
test: install node_modules/.package-lock.json ## Run the whole suite on 3.11 (SQLite, then PostgreSQL and OpenSearch on 127.0.0.1) and a quick pass on 3.13
	@if [ -n "$(PY_QUICK)" ]; then $(MAKE) --no-print-directory $(QUICK_STAMP); fi
	REGISTRY_TEST_QUICK_PYTHON=$(if $(PY_QUICK),$(VENV_QUICK)/bin/python) $(BIN)/python tools/run_tests.py $(ARGS)

test-quick: install ## Run the suite on SQLite only, without services
	$(BIN)/python -m pytest -q -m "not postgres and not opensearch and not browser" $(ARGS)

# make test fuzzes every operation a few times with a fixed seed; this runs about 2,800 requests per role
# (anonymous, manufacturer owner, reviewer) with a fresh seed, printed so a failure can be replayed with SEED=.
FUZZ_EXAMPLES ?= 20
fuzz: install ## Fuzz the API from its OpenAPI document, longer than make test does (SEED=, FUZZ_EXAMPLES=)
	@seed=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "fuzzing with seed $$seed"; \
	REGISTRY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) REGISTRY_FUZZ_SEED=$$seed \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz $(ARGS)

lint: install ## ruff (lint and format check) and mypy (strict on signing and search/queries)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --follow-imports=silent signing search/queries.py  # strict where STYLE.md asks; other packages are not yet typed

format: install ## Reformat the tree with ruff format (make lint checks it)
	$(BIN)/ruff format .

# uv resolves once for every supported Python and platform (pip-compile resolves for the running one only).
UV ?= uv
UV_COMPILE := $(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet
lock: ## Re-resolve requirements/*.txt from pyproject.toml with uv (after changing a pin there)
	$(UV_COMPILE) --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) -c $(LOCK_DEV) -o requirements/runtime.txt
	$(UV_COMPILE) --extra demo -c $(LOCK_DEV) -o $(LOCK_DEMO)

bench: install ## Run the benchmarks; results go to bench/results/
	$(BIN)/python bench/run_all.py $(ARGS)

clean: ## Remove the virtualenv, the instance folder and caches
	rm -rf $(VENV) $(VENV_QUICK) instance .pytest_cache .ruff_cache .mypy_cache $(NATIVE)/target
