# VPSelect: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
RUN_SETTINGS ?= vpselect.settings.local
TEST_SETTINGS ?= vpselect.settings.test
PYTEST_ARGS ?=

.PHONY: run setup-run demo-totp system-deps-run system-deps-scale test test-all lint format bench system-deps venv docs docs-images clean help

help:
	@echo "make run       set up and start VPSelect with demo users and patients on http://$(HOST):$(PORT)"
	@echo "make test      set up and run ruff and the test suite (real PostgreSQL and Redis)"
	@echo "make test-all  the above plus the slow fuzz, chaos, outage and resilience tests"
	@echo "make bench     run the benchmarks in bench/ and print their figures"

# The virtualenv is rebuilt only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt
	@test -x $(PY) || { echo "Creating $(VENV) and installing requirements.txt…"; $(PYTHON) -m venv $(VENV); }
	@$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-dev

system-deps:
	@bash scripts/system-deps.sh test

system-deps-run:
	@bash scripts/system-deps.sh run

# nginx and PgBouncer too: the slow resilience run starts the scale-out topology.
system-deps-scale:
	@bash scripts/system-deps.sh scale

setup-run: system-deps-run $(VENV)/.installed-run
	@echo "Setting up the database and the demo data…"
	@DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py migrate --noinput --verbosity 0
	@DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/

run: setup-run
	@DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py runserver $(HOST):$(PORT)

# The demo administrator's current second-factor code.
demo-totp: $(VENV)/.installed-run
	@DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py demo_totp

# ruff; deptry (every import of app code pinned in requirements.txt); the import contracts of
# .importlinter; mypy, the engine --strict and the apps as pyproject.toml configures them
# (mypy's Django plugin loads the settings, which read DATABASE_URL, never connected to: a
# placeholder serves when none is set); the dependency audit, which passes when it cannot
# reach a vulnerability database, saying NOT CHECKED (`--strict` fails then instead).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/deptry .
	$(VENV)/bin/lint-imports
	DATABASE_URL=$${DATABASE_URL:-postgres://localhost/lint} $(VENV)/bin/mypy --strict eligibility/engine
	DATABASE_URL=$${DATABASE_URL:-postgres://localhost/lint} $(VENV)/bin/mypy
	$(PY) scripts/dependency_audit.py

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: system-deps $(VENV)/.installed-dev lint
	@bash scripts/check-services.sh
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(VENV)/bin/pytest $(PYTEST_ARGS)

test-all: system-deps-scale $(VENV)/.installed-dev lint
	@bash scripts/check-services.sh
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(VENV)/bin/pytest -m "" $(PYTEST_ARGS)

# The benchmarks: the engine, the PDF summary (when present), then the load benchmark on a
# freshly seeded database of its own (BENCH_DATABASE_URL, default vpselect_bench).
$(VENV)/.installed-bench: requirements.txt requirements-dev.txt requirements-bench.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $@

bench: system-deps $(VENV)/.installed-dev $(VENV)/.installed-bench
	$(PY) bench/engine.py
	@if [ -f bench/pdf.py ]; then $(PY) bench/pdf.py; fi
	@DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/9} bash scripts/check-services.sh
	$(PY) bench/seed.py
	$(PY) bench/load.py
	$(PY) bench/replay.py

docs: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) $(PY) manage.py write_rules_doc

# The README's screenshots, taken again by the browser tests (a plain test run leaves them).
docs-images: system-deps $(VENV)/.installed-dev
	@bash scripts/check-services.sh
	VPSELECT_UPDATE_DOCS_IMAGES=1 DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache artifacts staticfiles
