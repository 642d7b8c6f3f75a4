# `make run` starts the app (and the local provider when nothing is configured);
# `make test` installs everything it needs and runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: run serve test bench lint format clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) -r requirements.txt 2> >(grep -v "is ignored" >&2)
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) -r requirements-dev.txt 2> >(grep -v "is ignored" >&2)
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(PY) app.py

serve: $(VENV)/.runtime
	$(PY) -m scripts.serve

INTEROP := tests/interop

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

A11Y := tests/a11y

$(A11Y)/node_modules/.installed: $(A11Y)/package.json $(A11Y)/package-lock.json
	cd $(A11Y) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Mermaid itself, for the test that parses and renders the trace's sequence diagram in Chromium.
MERMAID := tests/mermaid

$(MERMAID)/node_modules/.installed: $(MERMAID)/package.json $(MERMAID)/package-lock.json
	cd $(MERMAID) && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	touch $@

# MiniStack, the AWS emulator of the end-to-end emulator test, in its own virtualenv (it pins an
# older botocore than the one the setup tests validate against; see tests/ministack/requirements.txt).
MINISTACK := tests/ministack

$(MINISTACK)/.venv/.installed: $(MINISTACK)/requirements.txt
	$(PYTHON) -m venv $(MINISTACK)/.venv
	$(MINISTACK)/.venv/bin/python -m pip install -q --disable-pip-version-check -r $< 2> >(grep -v "is ignored" >&2)
	touch $@

# pytest's worker processes (pytest-xdist): each starts its own servers, redis-server and Chromium
# on free ports and in its own tmp dir. Three on a 2-core machine: some tests wait (a timeout, a key
# set's max-age, gunicorn starting), and the third worker uses those seconds (three runs side by side
# with two here: 120/164, 155/155 and 138/148 s). TEST_WORKERS=0 runs in one process.
# PYTHONDONTWRITEBYTECODE is emptied for the tests: with it set, each worker compiled every module and
# rewrote every test's asserts again on each run (6 s of its 9 s start); the .pyc files are git-ignored.
TEST_WORKERS ?= 3

# The installs run side by side (pip's is the long one; npm's and MiniStack's fit beside it), after the
# system packages they need (npm).
test:
	./scripts/system-deps.sh
	$(MAKE) -j 4 --no-print-directory --output-sync=target $(VENV)/.dev $(INTEROP)/node_modules/.installed \
		$(A11Y)/node_modules/.installed $(MERMAID)/node_modules/.installed $(MINISTACK)/.venv/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

bench: $(VENV)/.dev
	./scripts/system-deps.sh
	@command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "wrk is missing: sudo apt-get install -y wrk"; exit 1; }
	$(PY) -m bench.run

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) $(MINISTACK)/.venv .pytest_cache .ruff_cache
