# Each target bootstraps .venv on first use; a fresh machine needs only Python 3.11+.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: demo test lint bench template
SCENARIOS := inputs/scenarios/training-first.xlsx inputs/scenarios/inference-first.xlsx \
	inputs/scenarios/domestic-substitution.xlsx

demo: $(STAMP)
	$(BIN)/tco validate inputs/example.xlsx
	$(BIN)/tco optimize inputs/example.xlsx -o outputs/example-report.xlsx
	$(BIN)/tco compare $(SCENARIOS) -o outputs/scenarios-compare.xlsx

# Timings of the example end to end and of a generated large instance.
bench: $(STAMP)
	$(BIN)/python -m bench.run

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tco bench

# Regenerate the committed template, example workbook, input reference and row classes.
template: $(STAMP)
	$(BIN)/python -m tco.data.examples
	$(BIN)/python -m tco.schema.docs
	$(BIN)/python -m tco.schema.rows_gen
