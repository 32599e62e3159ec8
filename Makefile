# nst-teach: `make lab` to learn, `make test` to check everything. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nst-teach-installed
LAB_ARGS ?=
# The lesson `make lab` opens first.
LAB_START ?= 00_start_here.ipynb
LESSONS = $(wildcard notebooks/[0-9][0-9]_*.ipynb)
# Slides: with npm, reveal.js, require.js, jQuery and MathJax 2 go to $(SLIDES_DIR)/vendor and the
# decks work offline; without npm the decks load them from public CDNs.
SLIDES_DIR ?= slides
SLIDES_VENDOR = $(SLIDES_DIR)/vendor/node_modules
SLIDES_NPM := reveal.js@4.6.0 requirejs@2.3.7 jquery@3.7.1 mathjax@2.7.9
SLIDES_ARGS ?=
# Browser test: Debian's chromium and chromium-driver, installed by `make e2e` when missing.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)
E2E_ARGS ?=
# nbval: a generous per-cell limit; the fast setting keeps every cell far below it.
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600

.PHONY: help install lab test lint format pytest notebooks demo figures bench timings slides student e2e clean

help:
	@echo "make lab      open JupyterLab on the lessons (creates .venv on first use)"
	@echo "make test     ruff, pytest (unit tests, doctests) and nbval over every notebook"
	@echo "make demo     stylise the built-in sample images, offline"
	@echo "make figures  redraw the README's figure (docs/images/hero.png), offline"
	@echo "make bench    benchmark nst_teach against the PyTorch tutorial's loop; the issue's targets"
	@echo "make timings  run every lesson in its default setting; per-cell times into notebooks/README.md"
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
	$(BIN)/python tools/notebooks.py check-clean notebooks/[0-9]*.ipynb
	$(BIN)/python tools/notebooks.py check-slides notebooks/[0-9]*.ipynb

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

figures: $(STAMP)
	NST_TEACH_OFFLINE=1 $(BIN)/python tools/figures.py $(FIGURES_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stylize.py

# Every lesson top to bottom in its default setting (long: not part of `make test`).
timings: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python tools/timings.py $(LESSONS)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --LabApp.default_url=/lab/tree/$(LAB_START) $(LAB_ARGS)

student: $(STAMP)
	$(BIN)/python tools/notebooks.py student notebooks notebooks/student

slides: $(STAMP)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the slides load reveal.js and MathJax from CDNs"; \
	elif ! test -f $(SLIDES_VENDOR)/reveal.js/dist/reveal.js -a -f $(SLIDES_VENDOR)/mathjax/MathJax.js \
		-a -f $(SLIDES_VENDOR)/requirejs/require.js -a -f $(SLIDES_VENDOR)/jquery/dist/jquery.min.js; then \
		npm install --prefix $(SLIDES_DIR)/vendor --no-save --no-audit --no-fund --loglevel=error \
			$(SLIDES_NPM) || echo "npm install failed: the slides load reveal.js and MathJax from CDNs"; \
	fi
	$(BIN)/python tools/notebooks.py slides $(LESSONS) --out $(SLIDES_DIR) --vendor $(SLIDES_DIR)/vendor $(SLIDES_ARGS)

e2e: slides
	@test -x $(CHROMIUM) -a -x $(CHROMEDRIVER) || { echo "installing chromium and chromium-driver"; \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }
	NST_TEACH_E2E=1 NST_TEACH_OFFLINE=1 NST_TEACH_CHROMIUM=$(CHROMIUM) NST_TEACH_CHROMEDRIVER=$(CHROMEDRIVER) \
		$(BIN)/python -m pytest -q -s -o addopts="" -p no:cacheprovider tests/e2e $(E2E_ARGS)

clean:
	rm -rf slides notebooks/student .pytest_cache .ruff_cache
