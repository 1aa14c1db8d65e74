# The two commands of the README:
#   make run   - set up, load the demo data and serve the app on http://127.0.0.1:8000/ (SQLite)
#   make test  - set up and run the whole test suite (lint, types, SQLite and PostgreSQL)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck test-sqlite test-postgres docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/exiledb demo
	$(BIN)/exiledb serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	BIN=$(BIN) scripts/run-tests

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy src

test-sqlite: $(VENV)/.installed-dev
	BIN=$(BIN) scripts/run-tests sqlite

test-postgres: $(VENV)/.installed-dev
	BIN=$(BIN) scripts/run-tests postgres

# PNGs of the public pages with the demo data, in docs/screenshots/ (needs Debian's chromium).
.PHONY: screenshots
screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py

docs: $(VENV)/.installed-dev
	$(BIN)/python -m exiledb.vocab.docs > docs/codebook.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
