# Made in Bangladesh ICT registry. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NATIVE := native/ed25519
NATIVE_STAMP := $(VENV)/.native-installed
# rustup installs cargo in ~/.cargo/bin, which a non-login shell's PATH often lacks
export PATH := $(HOME)/.cargo/bin:$(PATH)
PORT ?= 5000
export FLASK_APP := app

.PHONY: help install run test test-quick fuzz lint bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The native Ed25519 module (signing and batch verification of label URLs, about 2x faster than cryptography).
# Without cargo the registry still works on cryptography alone (signing logs a warning); CI=true refuses that.
$(NATIVE_STAMP): $(STAMP) $(NATIVE)/Cargo.toml $(NATIVE)/Cargo.lock $(NATIVE)/pyproject.toml $(NATIVE)/src/lib.rs $(NATIVE)/mib_ed25519.pyi
	@if command -v cargo >/dev/null; then \
		echo "building $(NATIVE) with $$(cargo --version)"; \
		$(BIN)/pip install --quiet ./$(NATIVE) && touch $(NATIVE_STAMP); \
	elif [ "$${CI:-}" = true ]; then \
		echo "cargo (Rust >= 1.81) is required to build $(NATIVE) in CI; install it with rustup"; exit 1; \
	else \
		echo "cargo not found: skipping $(NATIVE); label signing and verification fall back to cryptography (slower)"; \
	fi

install: $(STAMP) $(NATIVE_STAMP) ## Create .venv and install the pinned dependencies (and the native Ed25519 module)

node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the browser accessibility checks (axe-core) will be skipped"; fi

run: export REGISTRY_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install ## Set up the embedded database, seed demo data once (labels and index again only when data changed), serve on http://127.0.0.1:$(PORT)
	@echo "demo label URLs: instance/demo-labels.txt   demo accounts: instance/demo-credentials.txt"
	$(BIN)/flask prepare-run --serve --host 127.0.0.1 --port $(PORT)

test: install node_modules/.package-lock.json ## Run the whole suite (SQLite, then PostgreSQL and OpenSearch started on 127.0.0.1)
	$(BIN)/python tools/run_tests.py $(ARGS)

test-quick: install ## Run the suite on SQLite only, without services
	$(BIN)/python -m pytest -q -m "not postgres and not opensearch and not browser" $(ARGS)

# make test fuzzes every operation a few times with a fixed seed; this runs about 2,800 requests per role
# (anonymous, manufacturer owner, reviewer) with a fresh seed, printed so a failure can be replayed with SEED=.
FUZZ_EXAMPLES ?= 20
fuzz: install ## Fuzz the API from its OpenAPI document, longer than make test does (SEED=, FUZZ_EXAMPLES=)
	@seed=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "fuzzing with seed $$seed"; \
	REGISTRY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) REGISTRY_FUZZ_SEED=$$seed \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz $(ARGS)

lint: install ## ruff and mypy (strict on signing and search/queries)
	$(BIN)/ruff check .
	$(BIN)/mypy --follow-imports=silent signing search/queries.py  # strict where STYLE.md asks; other packages are not yet typed

bench: install ## Run the benchmarks; results go to bench/results/
	$(BIN)/python bench/run_all.py $(ARGS)

clean: ## Remove the virtualenv, the instance folder and caches
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache $(NATIVE)/target
