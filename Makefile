# nst-teach: `make lab` to learn, `make test` to check everything. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nst-teach-installed
LAB_ARGS ?=
# nbval: a generous per-cell limit; the fast setting keeps every cell far below it.
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600

.PHONY: help install lab test lint format pytest notebooks demo bench slides student e2e clean

help:
	@echo "make lab      open JupyterLab on the lessons (creates .venv on first use)"
	@echo "make test     ruff, pytest (unit tests, doctests) and nbval over every notebook"
	@echo "make demo     stylise the built-in sample images, offline"
	@echo "make bench    benchmark nst_teach against the PyTorch tutorial's loop"
	@echo "make slides   build reveal.js slides of each lesson into slides/"
	@echo "make student  student copies of the lessons (solutions removed) in notebooks/student/"
	@echo "make e2e      open the lessons in JupyterLab in headless Chromium"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check nst_teach tests benchmarks tools notebooks/conftest.py
	$(BIN)/ruff check nst_teach tests benchmarks tools notebooks/conftest.py

format: $(STAMP)
	$(BIN)/ruff format nst_teach tests benchmarks tools notebooks/conftest.py
	$(BIN)/ruff check --fix nst_teach tests benchmarks tools notebooks/conftest.py

pytest: $(STAMP)
	NST_TEACH_OFFLINE=1 $(BIN)/python -m pytest -q tests nst_teach

notebooks: $(STAMP)
	NST_TEACH_FAST=1 NST_TEACH_OFFLINE=1 NST_TEACH_STRICT_CHECKS=1 MPLBACKEND=Agg \
		$(BIN)/python -m pytest -q -o addopts="" -p no:cacheprovider $(NBVAL) notebooks

test: lint pytest notebooks

demo: $(STAMP)
	$(BIN)/nst-teach demo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stylize.py

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

clean:
	rm -rf slides notebooks/student .pytest_cache .ruff_cache
