# Two commands on a fresh machine: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every benchmarks/NAME.py but the package marker and the shared report helper.
BENCHMARKS := $(basename $(notdir $(filter-out benchmarks/_% benchmarks/report.py,$(wildcard benchmarks/*.py))))

.PHONY: setup demo test test-deep lint bench clean

setup: $(STAMP)

# Reinstalls only when the project's declared dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,sim]"
	touch $(STAMP)

demo: setup
	$(BIN)/nfvo demo

test: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m "not deep" -q

test-deep: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@for name in $(BENCHMARKS); do $(BIN)/python -m benchmarks.$$name || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
