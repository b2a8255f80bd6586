# The two commands of README.md:
#   make run    installs the product, seeds the demo jurisdiction and serves it on SQLite
#   make test   installs the product with its test tools and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install install-test lint typecheck compose-check pytest clean bench

run: install
	$(BIN)/gakuseki demo
	$(BIN)/gakuseki serve --port $(PORT)

test: install-test lint typecheck compose-check pytest

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Gakuseki needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

lint:
	$(BIN)/ruff check .

typecheck:
	$(BIN)/mypy

# docker-compose.yml is validated offline: there is no Docker engine on the project's machines.
compose-check:
	@if command -v docker-compose >/dev/null 2>&1; then \
		docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	else echo "docker-compose not installed: compose file checked by tests/test_compose.py only"; fi

pytest:
	$(BIN)/python -m pytest

# The benchmarks (README "Benchmarks"): 10 to 15 minutes at full scale; BENCH_ARGS="--scale tiny" for a quick look.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
