# `make demo` and `make test` each set up .venv on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test up bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fapiao demo

up: $(STAMP)
	$(BIN)/fapiao up

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/fapiao bench

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
