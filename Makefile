# checkout-ledger: `make run` starts the service, `make test` runs every test (SQLite and PostgreSQL).
# Every target installs what it needs first, so each works on a fresh clone.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install system-deps stripe-cli run test check bench soak

# Ingestion: the reference (2 processes) against the service with 1 and 2 web processes and its
# worker, 3 rounds alternating, each ratio within its round (the reference alone moves 15%).
BENCH_ARGS ?= --events 20000 --warmup 2000 --web-processes 1,2 --reference-processes 2 --rounds 3
# The renewals bench plays 200 subscriptions by default (about 2,400 renewals, a few minutes on
# 2 cores); the issue's full size is RENEWAL_ARGS="--subscriptions 1000".
RENEWAL_ARGS ?= --subscriptions 200 --months 12 --failing 0.1
ENTITLEMENT_ARGS ?= --rate 500 --seconds 30
# The soak: the fault tests for SOAK_MINUTES with mixed traffic (benchmarks/soak.py).
SOAK_MINUTES ?= 30
SOAK_ARGS ?=
# The rebuild bench seeds 100,000 events per store (about 2 minutes each on 2 cores) and
# times `rebuild-projections` over them; the state-queries bench seeds 30,000.
REBUILD_ARGS ?= --events 100000
STATE_QUERY_ARGS ?= --rate 300 --seconds 30
# The Stripe SDK's CPU per fulfillment retrieve, over 500 sessions in the emulator.
SDK_RETRIEVE_ARGS ?= --sessions 500
HEALTHZ_ARGS ?= --rate 100 --seconds 10 --stores sqlite,postgres
# The worker's CPU per webhook, edge by edge of the pipeline, in one process.
PIPELINE_CPU_ARGS ?= --events 2000

install: $(STAMP)

# Re-installs whenever pyproject.toml changes; the stamp records the last successful install.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the tests and the bench use; only what is missing, only as root, never fatal.
# `test` and `bench` ask only for the ones they use.
system-deps:
	@sh .ci/system-deps.sh

# The official Stripe CLI (from npm, into the gitignored var/stripe-cli) for the tests that drive
# the service with it; see the README's "Develop with the Stripe CLI".
stripe-cli:
	@sh .ci/stripe-cli.sh

run: install
	$(VENV)/bin/checkout-ledger serve

test: install
	@sh .ci/system-deps.sh postgresql chromium chromium-driver npm
	@sh .ci/stripe-cli.sh
	$(PY) -m pytest

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(MAKE) test

bench: install
	@sh .ci/system-deps.sh postgresql wrk
	$(PY) benchmarks/run.py $(BENCH_ARGS)
	$(PY) benchmarks/fulfillment_lag.py $(LAG_ARGS)
	$(PY) benchmarks/charges.py $(CHARGE_ARGS)
	$(PY) benchmarks/renewals.py $(RENEWAL_ARGS)
	$(PY) benchmarks/entitlements.py $(ENTITLEMENT_ARGS)
	$(PY) benchmarks/rebuild.py $(REBUILD_ARGS)
	$(PY) benchmarks/state_queries.py $(STATE_QUERY_ARGS)
	$(PY) benchmarks/sdk_retrieve.py $(SDK_RETRIEVE_ARGS)
	$(PY) benchmarks/healthz_cpu.py $(HEALTHZ_ARGS)
	$(PY) benchmarks/pipeline_cpu.py $(PIPELINE_CPU_ARGS)

# Two serve processes on a throwaway PostgreSQL under mixed traffic for SOAK_MINUTES, with a
# kill -9 or a PostgreSQL stop every minute; prints its figures, exits 1 if a guarantee broke.
soak: install
	@sh .ci/system-deps.sh postgresql
	SOAK_MINUTES=$(SOAK_MINUTES) $(PY) benchmarks/soak.py $(SOAK_ARGS)
