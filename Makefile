# Accord: everyday commands. `make run` to try it, `make test` to check it. Python 3.11 is expected
# as `python3`; override with `make PYTHON=python3.11 ...`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependencies change: the stamp is newer than pyproject.toml otherwise.
STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?= -q -n 2
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/accord_test

.PHONY: help venv run test test-any-day test-postgres faults chromium faketime lint mypy-baseline bench bench-check

help:
	@echo "make run            install, migrate, load demo data, serve on http://127.0.0.1:8000 with a worker"
	@echo "make test           install dev tools and run the whole suite on SQLite"
	@echo "make test-any-day   the suite on SQLite with the clock read as a Saturday morning at a quarter's end"
	@echo "make test-postgres  the suite on PostgreSQL (TEST_DATABASE_URL=$(TEST_DATABASE_URL))"
	@echo "make faults        fault tests: killed worker, database restart, full disk, webhook storm"
	@echo "make lint           ruff check and format check, layers checked by import-linter"
	@echo "make bench          every benchmark in benchmarks/ at small scale, in minutes (FULL=1: full scale)"
	@echo "make bench-check    quick ratio check against benchmarks/ratios.json (fails on a 3x regression)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "Accord needs Python 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Use make PYTHON=python3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: venv
	$(BIN)/accord migrate --noinput
	$(BIN)/accord demo --if-empty
	$(BIN)/accord run --skip-migrate

# Browser tests drive Debian's chromium through Playwright.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
		else \
			echo "warning: /usr/bin/chromium is missing and installing it needs root; browser tests will fail" >&2; \
		fi; \
	fi

test: venv chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's faketime sets the clock of a whole process tree (pytest, its workers, the browser).
faketime:
	@if ! command -v faketime >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y faketime; \
		else \
			echo "error: faketime is missing and installing it needs root (apt-get install faketime)" >&2; exit 1; \
		fi; \
	fi

# The suite as it runs on a Saturday morning in the last month of a quarter, a week before the year
# ends: business deadlines lie two days away, so a test that assumes a weekday, business hours, a
# month that is not a quarter's last or a date far from a year end fails on every run, not only on
# some days. The clock starts at ANY_DAY_CLOCK (UTC) and runs on from there.
ANY_DAY_CLOCK ?= 2026-12-26 10:00:00
test-any-day: venv chromium faketime
	TZ=UTC ACCORD_EXPECT_CLOCK="$(ANY_DAY_CLOCK)" faketime -f "@$(ANY_DAY_CLOCK)" $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv chromium
	DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest $(PYTEST_ARGS)

# Fault tests (tests/faults): each brings its own database and processes (a SQLite copy, a private
# PostgreSQL cluster from initdb), so one run covers them; the quick ones also run in `make test`.
faults: venv
	$(BIN)/pytest -q -m faults tests/faults

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@echo "mypy (against mypy-baseline.txt, which may only shrink)"
	@ACCORD_DEBUG=true $(BIN)/mypy accord config | $(BIN)/mypy-baseline filter --baseline-path mypy-baseline.txt --no-colors

# After fixing type errors: write the smaller baseline (never to hide new errors).
mypy-baseline: venv
	-ACCORD_DEBUG=true $(BIN)/mypy accord config | $(BIN)/mypy-baseline sync --baseline-path mypy-baseline.txt

# Every benchmarks/*_bench.py with --small (a few minutes in all); FULL=1 runs each at its full scale
# (hours: 100k-row imports, 1M events). PostgreSQL at BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432).
BENCH_SCALE := $(if $(FULL),,--small)
bench: venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@found=0; for script in benchmarks/*_bench.py; do \
		[ -e "$$script" ] || continue; found=1; \
		echo "== $$script $(BENCH_SCALE)"; $(BIN)/python "$$script" $(BENCH_SCALE) || exit 1; \
	done; \
	[ "$$found" = 1 ] || echo "No benchmarks yet: add benchmarks/<topic>_bench.py scripts."

# Ratios measured within one run against benchmarks/ratios.json: fails only when one is more than
# 3 times worse than its baseline, never on an absolute time (BENCH_CHECK_DB=postgresql to run there).
BENCH_CHECK_DB ?= sqlite
bench-check: venv
	$(BIN)/python benchmarks/ratio_check.py --db $(BENCH_CHECK_DB)
