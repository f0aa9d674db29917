# The README's commands. Each target does its own set-up from a fresh clone.
#   make book       build the website (prints the path of index.html)
#   make test       every test: library, nbval, strict build, site checks in a real browser
#   make notebooks  re-execute chapter notebooks in place and store outputs (NB=path to pick some)
#   make student    the student edition under _build/student/ (make student-branch: and commit it to its branch)
#   make bench      benchmarks and Lighthouse on the built site; writes the data the Performance page shows
#   make grade      grade a class: make grade SUBMISSIONS=folder-of-notebooks OUT=folder

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NB ?= $(wildcard chapters/*.ipynb)
JB_FLAGS := -W -n --keep-going

.PHONY: book test notebooks student student-branch bench grade clean install

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

NODE_STAMP := tools/node_modules/.installed

# npm tools, pinned in tools/package-lock.json: mathjax-full (maths rendered at build time),
# axe-core (accessibility checks in make test), lighthouse (make bench).
$(NODE_STAMP): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --ignore-scripts
	@touch $@

book: $(STAMP) $(NODE_STAMP)
	@# MathJax, require.js, the widget manager, Thebe: from the npm registry, cached in _build/assets
	$(PY) tools/site_assets.py
	@# --all: every page gets the current head (scripts, assets), not only changed pages; the old
	@# html goes first, so no page, figure or bundle that this build no longer writes stays behind
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS) --all
	@echo "Site: $(abspath _build/html/index.html)"

test: book
	@# three workers on 2 cores: many tests wait on a browser, a kernel or a subprocess (with two, a run kept
	@# 1.1 cores busy on average: 16 min; with three, 11 min); --dist loadfile keeps each notebook's cells
	@# in order on one worker and kernel
	$(PY) -m pytest -q -n 3 --dist loadfile --durations=25 --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

notebooks: $(STAMP)
	@# the install lines of each first code cell come from tools/colab_cell.py (version, repository, pins)
	$(PY) tools/colab_cell.py --fix $(NB)
	$(PY) tools/execute_notebooks.py $(NB)

# The branch holding the student notebooks: the student site's Binder, Colab and JupyterHub
# buttons open it. `make student-branch` also commits the edition to that local branch.
STUDENT_BRANCH ?= student

student: $(STAMP)
	$(PY) tools/student.py --branch $(STUDENT_BRANCH)

student-branch: $(STAMP)
	$(PY) tools/student.py --branch $(STUDENT_BRANCH) --commit

bench: book
	@# torch is a benchmark oracle only (never a runtime dependency, not in requirements files)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	@# OPENBLAS_CORETYPE/L2_SIZE (set on some machines for old OpenBLAS builds) slow a current numpy
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) tools/bench.py

# Limits per notebook and parallelism; the sandbox is bubblewrap (apt-get install bubblewrap).
OUT ?= _build/grades
TIMEOUT ?= 120
MEMORY ?= 2GiB
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-notebooks OUT=folder [TIMEOUT=120 MEMORY=2GiB JOBS=n]"; exit 2; }
	@command -v bwrap >/dev/null || echo "bwrap not found: install Debian's bubblewrap (apt-get install bubblewrap) to sandbox the submissions"
	$(PY) tools/grade.py "$(SUBMISSIONS)" "$(OUT)" --timeout $(TIMEOUT) --memory $(MEMORY) --jobs $(JOBS)

clean:
	rm -rf _build
