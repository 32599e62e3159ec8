# nst-teach: `make lab` to learn, `make test` to check everything. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nst-teach-installed
LAB_ARGS ?=
# The lesson `make lab` opens first.
LAB_START ?= 00_start_here.ipynb
# `make lab LANG=zh` (or LAB_LANG=zh) opens the Chinese edition, notebooks/zh. Only LANG given on
# make's command line counts: a zh_CN.UTF-8 locale in the environment leaves `make lab` English.
LAB_LANG ?= $(if $(and $(filter command line,$(origin LANG)),$(filter zh zh_% zh-%,$(LANG))),zh,en)
LAB_SOURCE = $(if $(filter zh,$(LAB_LANG)),notebooks/zh,notebooks)
LAB_STUDENT = $(if $(filter zh,$(LAB_LANG)),notebooks/student/zh,notebooks/student)
# The lessons, in order: always the glob, never a list of names.
LESSONS = $(wildcard notebooks/[0-9][0-9]_*.ipynb)
# The Chinese edition (notebooks/zh): only the lessons translated so far are checked
# (`tools/notebooks.py zh-check`: code identical, no stale cells, the glossary's terms).
ZH_LESSONS = $(wildcard notebooks/zh/[0-9][0-9]_*.ipynb)
# `make lab TORCH=cpu`: torch's CPU-only build (about 200 MB instead of about 5 GB with CUDA).
TORCH ?=
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# The book and the slides are built from the lessons executed once, in the fast setting, here.
BUILD_DIR ?= build
EXECUTED = $(patsubst notebooks/%,$(BUILD_DIR)/executed/%,$(LESSONS))
ZH_EXECUTED = $(patsubst notebooks/zh/%,$(BUILD_DIR)/executed/zh/%,$(ZH_LESSONS))
PACKAGE_SOURCES = $(wildcard nst_teach/*.py nst_teach/exercises/*.py nst_teach/extras/*.py nst_teach/lab/*.py)
# Book: nbconvert's HTML exporter (installed with the dev tools already; jupyter-book 2 and mystmd
# would add node packages and a toolchain of their own, quarto a separate binary), with MathJax 2
# and require.js from npm in $(BOOK_DIR)/vendor so that the pages open from file:// offline.
BOOK_DIR ?= book
BOOK_VENDOR = $(BOOK_DIR)/vendor/node_modules
BOOK_NPM := requirejs@2.3.7 mathjax@2.7.9
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

.PHONY: help install check-python check-lab-lang lab lab-solutions test lint format pytest notebooks demo figures bench \
	timings executed book slides student e2e clean

help:
	@echo "make lab      open JupyterLab on the student copies of the lessons (creates .venv"
	@echo "              on first use; TORCH=cpu installs torch's CPU-only build;"
	@echo "              LANG=zh: the Chinese edition, 中文版)"
	@echo "make lab-solutions  open JupyterLab on the lessons with the solutions (LANG=zh too)"
	@echo "make test     ruff, pytest (unit tests, doctests) and nbval over every notebook"
	@echo "make demo     stylise the built-in sample images, offline"
	@echo "make figures  redraw the README's figure (docs/images/hero.png), offline"
	@echo "make bench    benchmark nst_teach against the PyTorch tutorial's loop, with its four targets"
	@echo "make timings  run every lesson in its default setting; per-cell times into notebooks/README.md"
	@echo "make book     run every lesson (fast setting) and write an HTML book into book/"
	@echo "make slides   build reveal.js slides of each executed lesson into slides/ (Chinese:"
	@echo "              slides/zh/)"
	@echo "make student  student copies of the lessons (solutions removed) in notebooks/student/"
	@echo "              (Chinese: notebooks/student/zh/)"
	@echo "make e2e      open the lessons in JupyterLab in headless Chromium"

# One line naming the fix when $(PYTHON) is older than pyproject's requires-python.
check-python:
	@$(PYTHON) tools/bootstrap.py check-python

$(STAMP): pyproject.toml
	@$(PYTHON) tools/bootstrap.py check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(filter cpu,$(TORCH)),$(BIN)/python -m pip install --disable-pip-version-check -q \
		--index-url $(TORCH_CPU_INDEX) torch torchvision)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(BIN)/python tools/bootstrap.py git-filter --python $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check nst_teach tests benchmarks tools notebooks/conftest.py
	$(BIN)/ruff check nst_teach tests benchmarks tools notebooks
	$(BIN)/python tools/notebooks.py check-clean notebooks/[0-9]*.ipynb
	$(BIN)/python tools/notebooks.py check-slides notebooks/[0-9]*.ipynb
	$(BIN)/python tools/notebooks.py check-hosted notebooks/[0-9]*.ipynb
	$(BIN)/python tools/notebooks.py check-notes notebooks/[0-9]*.ipynb
	$(if $(ZH_LESSONS),$(BIN)/python tools/notebooks.py check-clean $(ZH_LESSONS))
	$(if $(ZH_LESSONS),$(BIN)/python tools/notebooks.py check-slides $(ZH_LESSONS))
	$(if $(ZH_LESSONS),$(BIN)/python tools/notebooks.py check-notes $(ZH_LESSONS))
	$(if $(ZH_LESSONS),$(BIN)/python tools/notebooks.py zh-check $(ZH_LESSONS))

format: $(STAMP)
	$(BIN)/ruff format nst_teach tests benchmarks tools notebooks/conftest.py
	$(BIN)/ruff check --fix nst_teach tests benchmarks tools notebooks
	$(BIN)/python tools/notebooks.py sync-hosted notebooks/[0-9]*.ipynb
	$(BIN)/python tools/notebooks.py sync-notes notebooks/[0-9]*.ipynb

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

# The student copies (exercises to fill in); copies already there are never overwritten.
# A Chinese lesson's kernel runs in a folder named zh, so its exercise checkers speak Chinese.
lab: check-lab-lang $(STAMP)
	$(BIN)/python tools/notebooks.py student $(LAB_SOURCE) $(LAB_STUDENT) --keep-existing
	$(BIN)/jupyter lab --notebook-dir=$(LAB_STUDENT) --LabApp.default_url=/lab/tree/$(LAB_START) \
		$(LAB_ARGS)

lab-solutions: check-lab-lang $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=$(LAB_SOURCE) --LabApp.default_url=/lab/tree/$(LAB_START) $(LAB_ARGS)

check-lab-lang:
	@case "$(LAB_LANG)" in en|zh) ;; *) echo "make lab: LAB_LANG=$(LAB_LANG): the lessons exist in en and zh (make lab LANG=zh)" >&2; exit 2;; esac

student: $(STAMP)
	$(BIN)/python tools/notebooks.py student notebooks notebooks/student
	$(if $(ZH_LESSONS),$(BIN)/python tools/notebooks.py student notebooks/zh notebooks/student/zh)

# Each lesson runs once (fast setting) into $(BUILD_DIR)/executed; book and slides read those.
$(BUILD_DIR)/executed/%.ipynb: notebooks/%.ipynb $(PACKAGE_SOURCES) | $(STAMP)
	$(BIN)/python tools/notebooks.py execute $< --out $(BUILD_DIR)/executed

# The Chinese lessons run in notebooks/zh, so their exercise checkers speak Chinese.
$(BUILD_DIR)/executed/zh/%.ipynb: notebooks/zh/%.ipynb $(PACKAGE_SOURCES) | $(STAMP)
	$(BIN)/python tools/notebooks.py execute $< --out $(BUILD_DIR)/executed/zh

executed: $(EXECUTED) $(ZH_EXECUTED)

book: $(EXECUTED) $(ZH_EXECUTED)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the book loads MathJax from a CDN"; \
	elif ! test -f $(BOOK_VENDOR)/mathjax/MathJax.js -a -f $(BOOK_VENDOR)/requirejs/require.js; then \
		npm install --prefix $(BOOK_DIR)/vendor --no-save --no-audit --no-fund --loglevel=error \
			$(BOOK_NPM) || echo "npm install failed: the book loads MathJax from a CDN"; \
	fi
	$(BIN)/python tools/notebooks.py book $(EXECUTED) --out $(BOOK_DIR) --vendor $(BOOK_DIR)/vendor
	$(if $(ZH_EXECUTED),$(BIN)/python tools/notebooks.py book $(ZH_EXECUTED) --out $(BOOK_DIR)/zh \
		--vendor $(BOOK_DIR)/vendor --lang zh)

slides: $(EXECUTED) $(ZH_EXECUTED)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the slides load reveal.js and MathJax from CDNs"; \
	elif ! test -f $(SLIDES_VENDOR)/reveal.js/dist/reveal.js -a -f $(SLIDES_VENDOR)/mathjax/MathJax.js \
		-a -f $(SLIDES_VENDOR)/requirejs/require.js -a -f $(SLIDES_VENDOR)/jquery/dist/jquery.min.js; then \
		npm install --prefix $(SLIDES_DIR)/vendor --no-save --no-audit --no-fund --loglevel=error \
			$(SLIDES_NPM) || echo "npm install failed: the slides load reveal.js and MathJax from CDNs"; \
	fi
	$(BIN)/python tools/notebooks.py slides $(EXECUTED) --out $(SLIDES_DIR) --vendor $(SLIDES_DIR)/vendor $(SLIDES_ARGS)
	$(if $(ZH_EXECUTED),$(BIN)/python tools/notebooks.py slides $(ZH_EXECUTED) --out $(SLIDES_DIR)/zh \
		--vendor $(SLIDES_DIR)/vendor --lang zh $(SLIDES_ARGS))

e2e: book slides
	@test -x $(CHROMIUM) -a -x $(CHROMEDRIVER) || { echo "installing chromium and chromium-driver"; \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }
	@# a CJK font, so that the screenshots of the Chinese decks show characters, not boxes
	@fc-list :lang=zh 2>/dev/null | grep -q . || { echo "installing fonts-noto-cjk"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk \
		|| echo "no CJK font: the Chinese slides' screenshots show boxes"; }
	NST_TEACH_E2E=1 NST_TEACH_OFFLINE=1 NST_TEACH_CHROMIUM=$(CHROMIUM) NST_TEACH_CHROMEDRIVER=$(CHROMEDRIVER) \
		$(BIN)/python -m pytest -q -s -o addopts="" -p no:cacheprovider tests/e2e $(E2E_ARGS)

clean:
	rm -rf $(SLIDES_DIR) $(BOOK_DIR) $(BUILD_DIR)/executed .pytest_cache .ruff_cache
	@echo "kept notebooks/student (your exercises); remove it yourself to start afresh"
