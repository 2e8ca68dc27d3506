# The two commands a new user needs are `make demo` and `make test`; both build
# the environment first. Nothing but Python 3.11+ has to be installed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench chaos lint format soak load venv lock clean evaluate-null rule-weights

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dexcex needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/dexcex demo

# Four workers, whole files each, the longest files first (tests/conftest.py): most tests
# wait on simulated markets in real time, so four workers keep two cores busy (1.5 of them
# on average) without starving the ones that run against the wall clock.
TEST_WORKERS ?= 4
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

chaos: $(STAMP)
	$(BIN)/python -m benchmarks.chaos

soak: $(STAMP)
	$(BIN)/pytest -m soak -p no:randomly tests

load: $(STAMP)
	$(BIN)/pytest -m load -s -p no:randomly tests

# The no-edge-in-noise check at length: 100 seeds of two virtual hours each (~15 min).
evaluate-null: $(STAMP)
	DEXCEX_NULL_SEEDS=100 DEXCEX_NULL_MINUTES=120 $(BIN)/pytest -q -p no:randomly tests/evaluation/test_no_edge_in_noise.py

# The confidence weights the engine ships with (src/dexcex/config/rule_fit/): fit-rule on
# 24 market hours of the realistic scenario, seed 7, that it collects itself under the
# pinned collect.toml (~10 min). tests/models/test_rule_defaults.py holds the files to it.
rule-weights: $(STAMP)
	$(BIN)/dexcex --config src/dexcex/config/rule_fit/collect.toml fit-rule --scenario realistic \
		--seed 7 --virtual-hours 24 --horizon 5m --folds 4 --l2 0.01 --out src/dexcex/config/rule_fit

# Re-resolve every pinned dependency into constraints.txt (run after editing pyproject.toml).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable | LC_ALL=C sort > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
