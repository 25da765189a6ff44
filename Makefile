# ShopRecon: the README's commands. `make demo` runs the main job on the local database,
# `make test` runs the full test suite against a real PostgreSQL, `make bench` the benchmarks.
SWIFT ?= swift
DEVDB := Deploy/dev-db.sh
BENCH_ROWS ?= 1000000

.PHONY: demo test bench deps db-start db-stop db-status build release clean

# System libraries the build links against that a fresh machine may lack: libxlsxwriter (XLSX
# exports). Installed with apt-get only when missing; sudo only when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@dpkg -s libxlsxwriter-dev >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y libxlsxwriter-dev)

# Generates a month for a demo merchant, imports it, reconciles it with a shoprecond daemon and
# prints the summary (Deploy/demo.sh; DEMO_ORDERS, DEMO_SEED, DEMO_PERIOD change it).
demo: deps db-start build
	SWIFT=$(SWIFT) bash Deploy/demo.sh

# Three runs, so that the timing-sensitive client tests and the suites that start real daemon
# processes do not compete with each other for the CPU.
test: deps db-start
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter PostgresClientTests
	$(SWIFT) test --skip-build --skip PostgresClientTests --skip JobsTests
	$(SWIFT) test --skip-build --filter JobsTests

bench: deps db-start
	$(SWIFT) build -c release --product shoprecon-bench
	@bin=$$($(SWIFT) build -c release --show-bin-path) && \
	  $$bin/shoprecon-bench pg --rows $(BENCH_ROWS) && \
	  $$bin/shoprecon-bench rls && \
	  $$bin/shoprecon-bench jobs && \
	  $$bin/shoprecon-bench ingest && \
	  $$bin/shoprecon-bench recon

build: deps
	$(SWIFT) build --product shoprecon
	$(SWIFT) build --product shoprecond

release: deps
	$(SWIFT) build -c release

db-start:
	@$(DEVDB) start

db-stop:
	@$(DEVDB) stop

db-status:
	@$(DEVDB) status

clean:
	rm -rf .build
