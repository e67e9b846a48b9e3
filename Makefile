# Every target creates .venv on first use, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench clean format

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A fresh copy of the examples in .demo/, two simulated days of the two-bot portfolio at full
# speed on the offline sim market, then its status box (with the runtime state).
demo: $(STAMP)
	rm -rf .demo
	$(BIN)/portfolio-launcher init .demo
	cd .demo && ../$(BIN)/portfolio-launcher -portfolio aave_hype_equal_weight.json -duration 2d -monitor 5s
	cd .demo && ../$(BIN)/portfolio-launcher -portfolio aave_hype_equal_weight.json -status

check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check
	$(BIN)/python -m pytest -q -n 2 tests

bench: $(STAMP)
	$(BIN)/python -m bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf .demo $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
