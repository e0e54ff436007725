# kissgrad developer commands. Needs only Python 3.10+ (and GNU make); everything
# else goes into .venv. `make help` lists the targets.
#
#   make test              run the whole test suite (PYTEST_ARGS="-k conv -x" to narrow it)
#   make demo              train the demo model, draw its graphs, regenerate the README images
#   make bench             benchmarks, against PyTorch when it installs
#   make PYTHON=python3.12 test   build .venv with another interpreter

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# What the editable install brings in; `make bench` adds the bench extra.
EXTRAS ?= test,plot
PYTEST_ARGS ?=
# Always pinned: an unpinned `pip install torch` pulls a multi-GB GPU build.
TORCH_SPEC ?= torch==2.13.0
# e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" for a CPU-only wheel
TORCH_PIP_ARGS ?=
# The top-level packages pyproject.toml installs.
PACKAGES := autograd nn optim kissgrad
STAMP := $(VENV)/.kissgrad-install
BENCH_STAMP := $(VENV)/.kissgrad-bench

SHELL := bash
# GNU make >= 3.82 honours this (stop at the first failing command of a recipe
# line); the multi-command lines also start with `set -e` for macOS's make 3.81.
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help install test demo bench lint graphviz browser mpi clean distclean

help:
	@echo "kissgrad developer commands (Python: $(PYTHON), virtual env: $(VENV)/)"
	@echo "  make test       run the test suite (pytest -q; pass PYTEST_ARGS=... to narrow it)"
	@echo "  make demo       train the MLP on the bundled MNIST sample; model, history, plots"
	@echo "                  and the backward graph go to runs/demo/, the README's images"
	@echo "                  to docs/images/"
	@echo "  make bench      run the benchmarks (installs the bench extra and $(TORCH_SPEC))"
	@echo "  make lint       run ruff (pip install ruff, or: $(PIP) install -e '.[dev]')"
	@echo "  make install    create $(VENV)/ and install kissgrad editable with [$(EXTRAS)]"
	@echo "  make clean      remove caches, build outputs and runs/demo"
	@echo "  make distclean  clean, and remove $(VENV)/"
	@echo "Any target creates $(VENV)/ first if needed and reinstalls only when pyproject.toml"
	@echo "changed. Use another interpreter with: make PYTHON=python3.12 test"

# ---------------------------------------------------------------- environment

# The virtual environment. Runs only when $(PY) is missing (or a dangling link
# after the interpreter it was made from went away).
$(PY):
	@set -e; \
	if ! command -v $(PYTHON) >/dev/null 2>&1; then \
	  echo "error: '$(PYTHON)' not found. Install Python 3.10 or newer, or point make at one:"; \
	  echo "       make PYTHON=/path/to/python3.11 ..."; \
	  exit 1; \
	fi; \
	if ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then \
	  echo "error: kissgrad needs Python 3.10+, but $(PYTHON) is $$($(PYTHON) -V 2>&1)."; \
	  echo "       Use a newer one: make PYTHON=python3.12 ..."; \
	  exit 1; \
	fi
	@echo "==> Creating virtual environment $(VENV)/ with $$($(PYTHON) -V 2>&1)"
	@set -e; \
	if ! $(PYTHON) -m venv --clear $(VENV); then \
	  rm -rf $(VENV); \
	  echo ""; \
	  echo "error: '$(PYTHON) -m venv' failed: Python's venv module (or its ensurepip) is missing."; \
	  echo "       On Debian/Ubuntu:  sudo apt-get install python3-venv"; \
	  echo "                          (or python3.X-venv matching '$(PYTHON) -V')"; \
	  echo "       Elsewhere install a full Python 3.10+ (python.org, Homebrew, pyenv, conda)."; \
	  exit 1; \
	fi
	@# pip older than 21.3 (bundled with Python 3.10.0/3.10.1) cannot do PEP 660 editable installs
	@set -e; \
	if ! $(PY) -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (21, 3))'; then \
	  echo "==> Upgrading pip (the bundled one is too old for editable installs)"; \
	  $(PIP) install --quiet --upgrade pip; \
	fi

# Editable install with the test and plot extras. It runs again when pyproject.toml
# changes, and when one of $(PACKAGES) (or its __init__.py) appears: an editable
# install only maps the top-level packages it saw when it ran. The stamp keeps a
# checksum, not a time, so a `git checkout` that only touches the file costs nothing.
install: $(PY)
	@set -e; \
	key="$$(cksum < pyproject.toml | tr -s ' \t' ' ') [$(EXTRAS)]"; \
	for p in $(PACKAGES); do \
	  if [ -f "$$p/__init__.py" ]; then key="$$key $$p"; elif [ -d "$$p" ]; then key="$$key $$p(ns)"; fi; \
	done; \
	if [ -f $(STAMP) ] && [ "$$(cat $(STAMP))" = "$$key" ]; then exit 0; fi; \
	if [ -f $(STAMP) ]; then \
	  echo "==> pyproject.toml or the set of packages changed: reinstalling kissgrad editable"; \
	else \
	  echo "==> Installing kissgrad editable with [$(EXTRAS)] into $(VENV)/ (the first time takes a minute)"; \
	fi; \
	$(PIP) install --quiet --editable ".[$(EXTRAS)]"; \
	echo "$$key" > $(STAMP); \
	rm -f $(BENCH_STAMP)

# Graphviz's `dot`, for rendering graphs. Only the rendering tests need it, so
# failing to install it is a note, not an error.
graphviz:
	@set -e; \
	if command -v dot >/dev/null 2>&1; then exit 0; fi; \
	how=""; sudo=""; \
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then how=apt; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then how=apt; sudo=sudo; fi; \
	fi; \
	if [ -z "$$how" ] && [ "$$(uname -s)" = Darwin ] && command -v brew >/dev/null 2>&1; then how=brew; fi; \
	case "$$how" in \
	  apt) echo "==> Installing Graphviz (dot) with apt-get"; \
	       { $$sudo apt-get update -qq && \
	         $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; } || \
	         echo "warning: apt-get could not install graphviz";; \
	  brew) echo "==> Installing Graphviz (dot) with Homebrew"; \
	        brew install graphviz || echo "warning: brew could not install graphviz";; \
	esac; \
	if ! command -v dot >/dev/null 2>&1; then \
	  echo "note: Graphviz's 'dot' program is not installed; continuing without it."; \
	  echo "      Only rendering graphs (draw_graph(...).render()/.pipe() and their tests) needs it."; \
	  echo "      Install it with one of: sudo apt-get install graphviz | sudo dnf install graphviz |"; \
	  echo "      brew install graphviz | conda install graphviz | https://graphviz.org/download/"; \
	fi

# Chromium and Playwright's Python package, for the browser tests of the interactive graph
# page (tests/test_viz_page.py, marked `browser`). Only those tests need them, so failing
# to install either is a note, not an error. Playwright drives the system's Chromium: it
# never downloads a browser of its own.
browser: install
	@set -e; \
	if ! $(PY) -c 'import playwright.sync_api' >/dev/null 2>&1; then \
	  echo "==> Installing Playwright's Python package into $(VENV)/"; \
	  $(PIP) install --quiet playwright || echo "warning: pip could not install playwright"; \
	fi; \
	found() { [ -n "$${KISSGRAD_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || \
	  command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; }; \
	if ! found && command -v apt-get >/dev/null 2>&1; then \
	  sudo=""; how=""; \
	  if [ "$$(id -u)" -eq 0 ]; then how=apt; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then how=apt; sudo=sudo; fi; \
	  if [ -n "$$how" ]; then \
	    echo "==> Installing Chromium with apt-get (for the browser tests of the graph page)"; \
	    { $$sudo apt-get update -qq && \
	      $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	      echo "warning: apt-get could not install chromium"; \
	  fi; \
	fi; \
	if ! found; then \
	  echo "note: no Chromium found; the browser tests of the graph page will be skipped."; \
	  echo "      Install one with: sudo apt-get install chromium | brew install --cask chromium,"; \
	  echo "      or point the tests at a Chrome/Chromium: KISSGRAD_CHROMIUM=/path/to/chrome"; \
	fi

# mpi4py and MPICH as wheels (the mpi extra), for the data-parallel tests that run
# `mpiexec -n 2` (tests/test_distributed.py, marked `mpi`). Only those tests need them, so
# failing to install them is a note, not an error.
mpi: install
	@set -e; \
	if $(PY) -c 'import mpi4py' >/dev/null 2>&1; then exit 0; fi; \
	echo "==> Installing the mpi extra (mpi4py and MPICH wheels) for the distributed tests"; \
	if ! $(PIP) install --quiet --editable ".[$(EXTRAS),mpi]"; then \
	  echo "note: mpi4py and MPICH could not be installed; the tests marked mpi will be skipped."; \
	  echo "      Install them with: $(PIP) install -e '.[mpi]', or on a cluster load its MPI"; \
	  echo "      (module load mpi) and $(PIP) install mpi4py"; \
	fi

# ---------------------------------------------------------------- commands

test: install graphviz browser mpi
	@echo "==> $(PY) -m pytest -q $(PYTEST_ARGS)"
	@$(PY) -m pytest -q $(PYTEST_ARGS)

# The README's images come from here, drawn by the current code: the curves and gradient
# norms of this run, the trained MLP's graph, the LSTM's graph at its default depth, and a
# screenshot of the interactive page taken by its browser test (when Chromium is there).
demo: install graphviz
	@echo "==> kissgrad train --record-grads --overwrite --out runs/demo"
	@$(VENV)/bin/kissgrad train --record-grads --overwrite --out runs/demo
	@echo "==> kissgrad graph --weights runs/demo/model.npz --out runs/demo/graph.svg (and .html)"
	@$(VENV)/bin/kissgrad graph --weights runs/demo/model.npz --out runs/demo/graph.html
	@$(VENV)/bin/kissgrad graph --weights runs/demo/model.npz --out runs/demo/graph.svg || \
	  echo "note: the graph was not drawn (see the message above); runs/demo/graph.html shows it"
	@echo "==> README images in docs/images/"
	@cp runs/demo/training_curves.png runs/demo/gradient_norms.png docs/images/
	@$(VENV)/bin/kissgrad graph --model lstm --html --out docs/images/lstm_backward_graph.html
	@$(VENV)/bin/kissgrad graph --weights runs/demo/model.npz --out docs/images/mlp_backward_graph.svg && \
	  $(VENV)/bin/kissgrad graph --model lstm --out docs/images/lstm_backward_graph.png || \
	  echo "note: without Graphviz the README's graph images were left as they were"
	@set -e; \
	out="$$(KISSGRAD_SCREENSHOTS=docs/images $(PY) -m pytest -q -p no:cacheprovider -rs \
	  -m browser tests/test_viz_page.py -k expanding 2>&1 || true)"; \
	case "$$out" in \
	  *" passed"*) echo "wrote docs/images/graph_page.png (a screenshot from the browser test)";; \
	  *) echo "$$out" | tail -n 3; \
	     echo "note: the graph page's screenshot was not retaken (make browser installs Chromium)";; \
	esac

bench: install
	@set -e; \
	if [ ! -f $(BENCH_STAMP) ]; then \
	  echo "==> Installing the bench extra"; \
	  $(PIP) install --quiet --editable ".[$(EXTRAS),bench]"; \
	  touch $(BENCH_STAMP); \
	fi
	@set -e; \
	if ! $(PY) -c 'import torch' >/dev/null 2>&1; then \
	  echo "==> Installing $(TORCH_SPEC) for the PyTorch comparisons (a few hundred MB)"; \
	  if ! $(PIP) install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"; then \
	    echo "warning: could not install $(TORCH_SPEC); the PyTorch comparisons will be skipped."; \
	  fi; \
	fi
	@set -e; \
	if [ ! -f bench/__main__.py ] && [ ! -f bench.py ]; then \
	  echo "error: the benchmarks are not written yet (no bench/__main__.py): nothing to run."; \
	  exit 1; \
	fi
	@echo "==> $(PY) -m bench"
	@$(PY) -m bench

lint:
	@set -e; \
	if [ -x $(VENV)/bin/ruff ]; then ruff=$(VENV)/bin/ruff; \
	elif command -v ruff >/dev/null 2>&1; then ruff=ruff; \
	else \
	  echo "ruff is not installed, so there is nothing to lint with."; \
	  echo "Install it with: $(PIP) install -e '.[dev]'  (or: pip install ruff)"; \
	  exit 0; \
	fi; \
	echo "==> $$ruff check ."; \
	$$ruff check .

clean:
	@echo "==> Removing caches and build outputs"
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	rm -rf build dist *.egg-info .pytest_cache .hypothesis .ruff_cache runs/demo

distclean: clean
	rm -rf $(VENV)
