# Groundswell: the two commands a new user needs are `make demo` and `make test`.
# Each creates the virtual environment and installs what it needs on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= demo-workspace
SCALE  ?= 1.0

.PHONY: install demo test lint typecheck unit docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: generate the synthetic scenario, import it into $(DEMO)/workspace and summarise it
demo: $(STAMP)
	$(BIN)/groundswell demo $(DEMO) --scale $(SCALE)

## test: lint, type-check and run the whole test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check groundswell tests benchmarks
	$(BIN)/ruff format --check groundswell tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## docs: regenerate the generated reference pages
docs: $(STAMP)
	$(BIN)/python -c "from groundswell import schema; print(schema.markdown())" > docs/schema.md
	$(BIN)/python -m groundswell.cli.reference > docs/cli.md

## bench: the published benchmarks (slow; not part of CI)
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
