# Two commands on a fresh machine:
#   make run   - set up, migrate a SQLite file, load demo data on first start, serve on :8000
#                with one server process per core (WORKERS=n to choose; SQLite in WAL mode)
#   make test  - set up (including Debian's chromium for page tests) and run the whole suite
#                on SQLite, then on PostgreSQL when one answers at $(TEST_POSTGRES_URL)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
# Every installed distribution pinned with its hashes (make lock writes them from pyproject.toml).
RUN_LOCK := requirements/run.lock
TEST_LOCK := requirements/test.lock
UV_VERSION := 0.13.9
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
RESULTS := .test-results
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast test-sqlite test-postgres lint lock browser bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): $(RUN_LOCK) pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --require-hashes -r $(RUN_LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(TEST_STAMP): $(TEST_LOCK) pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --require-hashes -r $(TEST_LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $@ $(RUN_STAMP)

# After changing a dependency in pyproject.toml: resolve and pin everything again, with hashes.
lock: | $(VENV)/bin/python
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --universal --quiet -o $(RUN_LOCK)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 --universal --quiet -o $(TEST_LOCK)

# Quality gates (CI runs them too): lint and format, types, migrations in step with models/.
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy procurement labels
	$(PY) -m tests.support.migrations_in_sync

run: $(RUN_STAMP)
	$(PY) -m api serve --demo --workers $(WORKERS)

# Page tests drive Debian's chromium (a browser download does not work everywhere).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the page tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }
	@# The label tests read QR codes with zbar too (pyzbar loads Debian's libzbar0).
	@ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || { \
	  echo "installing Debian's libzbar0 for the label tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q libzbar0; }

test: $(TEST_STAMP) browser
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	$(MAKE) --no-print-directory test-fast
	$(MAKE) --no-print-directory test-sqlite
	@if $(PY) -m tests.support.postgres_available "$(TEST_POSTGRES_URL)"; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
	  echo "PostgreSQL is required (REQUIRE_POSTGRES) but does not answer at $(TEST_POSTGRES_URL)"; exit 1; \
	else \
	  echo; echo "*** PostgreSQL SKIPPED: nothing answers at $(TEST_POSTGRES_URL). Only SQLite was tested. ***"; \
	fi

# The unit tier: pure rules and reports, no app, no database (tests/unit), run once.
test-fast: $(TEST_STAMP)
	@echo "=== unit tier ==="
	$(PY) -m pytest -q -p no:cacheprovider tests/unit
	@mkdir -p $(RESULTS) && touch $(RESULTS)/unit.passed

# The app tier (API and database, pages in chromium, fuzzing) once per engine.
test-sqlite: $(TEST_STAMP)
	@echo "=== app tier on SQLite ==="
	DATABASE_URL= $(PY) -m pytest -q -p no:cacheprovider tests/app
	@mkdir -p $(RESULTS) && touch $(RESULTS)/sqlite.passed

test-postgres: $(TEST_STAMP)
	@echo "=== app tier on PostgreSQL ==="
	DATABASE_URL="$(TEST_POSTGRES_URL)" $(PY) -m pytest -q -p no:cacheprovider tests/app
	@mkdir -p $(RESULTS) && touch $(RESULTS)/postgresql.passed

# The benchmarks that need no data set or server of their own (the look-up benchmark
# needs the national data set and wrk: see the README).
bench: $(TEST_STAMP)
	$(PY) -m tests.bench.labels
	$(PY) -m tests.bench.labels_db
	$(PY) -m tests.bench.priority
	$(PY) -m tests.bench.disbursement
	$(PY) -m tests.bench.importing

clean:
	rm -rf $(VENV) $(RESULTS) data
