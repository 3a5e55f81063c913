# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
PROTOS := $(shell find proto/enforcement -name '*.proto')
PROTO_STAMP := proto/.generated

.PHONY: run test test-unit test-web proto lint bench load faults faults-replicas fuzz clean install \
	install-run browser pdf-deps reset verify web web-optional node-check

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }
	@echo "[make] creating the virtualenv $(VENV) with $(PYTHON) ..."
	$(PYTHON) -m venv $(VENV)

# What running needs (the [project] dependencies, and grpcio-tools for the stubs) ...
$(RUN_STAMP): $(VENV)/bin/python pyproject.toml constraints.txt
	@echo "[make] installing what the platform needs to run into $(VENV), pinned by"
	@echo "       constraints.txt (FastAPI, gRPC, SQLAlchemy, kafka-python, minio, SeaweedFS,"
	@echo "       Tansu; a minute or more the first time, quiet while pip works) ..."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[proto]'
	@touch $@

# ... and what testing and measuring need on top (only for make test, lint, bench, ...).
$(STAMP): $(RUN_STAMP)
	@echo "[make] installing the test and measuring tools into $(VENV) (pytest, ruff, locust,"
	@echo "       schemathesis, playwright, matplotlib; a minute or more the first time) ..."
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install-run: $(RUN_STAMP) $(PROTO_STAMP)

install: $(STAMP) $(PROTO_STAMP)

$(PROTO_STAMP): $(RUN_STAMP) $(PROTOS)
	@echo "[make] generating the gRPC stubs from proto/ ..."
	$(PY) -m grpc_tools.protoc -Iproto --python_out=proto --pyi_out=proto \
	    --grpc_python_out=proto $(PROTOS)
	@touch $@

proto: $(PROTO_STAMP)

## Start the whole platform on the embedded default (SeaweedFS, Tansu, SQLite under var/).
## Options on make's command line: PORT=8080 (the gateway's port), HOST=0.0.0.0 (listen
## beyond loopback, so a phone on the LAN reaches the gateway and S3's presigned URLs),
## FREE_PORTS=1 (free ports for everything, picked once and kept in var/ports.json).
RUN_OPTIONS = $(if $(filter command line,$(origin HOST)),--host $(HOST)) \
	$(if $(filter command line,$(origin PORT)),--port $(PORT)) \
	$(if $(filter 1 yes true,$(FREE_PORTS)),--free-ports)
run: install-run pdf-deps web-optional
	$(PY) -m deploy.stack run $(strip $(RUN_OPTIONS))

## Stop a running `make run` and delete var/ (data, secrets, logs); .venv stays.
reset: install-run
	$(PY) -m deploy.stack reset --var var

## Check the record log of the stack in var/ (CASE=<case id> for one case's chain too).
verify: install-run
	$(PY) -m services.records.verify --var var $(if $(CASE),--case $(CASE))
	$(PY) -m services.documents.verify --var var

## The web workspace (web/): the officers' phone app and the desk console, built again when their sources change.
WEB_APPS    := officer console
WEB_SOURCES := $(shell find web/package.json web/package-lock.json web/shared $(addprefix web/,$(WEB_APPS)) \
                 \( -name node_modules -o -name dist \) -prune -o -type f -print 2>/dev/null)
WEB_DEPS    := web/node_modules/.package-lock.json
WEB_BUILT   := $(foreach a,$(WEB_APPS),web/$(a)/dist/index.html)
NODE_NEEDED := Node.js 20.19+ with npm builds the web apps (web/): install it (Debian: apt-get install nodejs npm, or from nodejs.org) and run make again

node-check:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "$(NODE_NEEDED); node or npm is not on PATH" >&2; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
	  || { echo "$(NODE_NEEDED); this is Node.js $$(node --version)" >&2; exit 1; }

$(WEB_DEPS): web/package.json web/package-lock.json $(foreach a,$(WEB_APPS),web/$(a)/package.json) | node-check
	@echo "installing the web workspace's pinned packages (npm ci, about a minute the first time) ..."
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_BUILT) &: $(WEB_DEPS) $(WEB_SOURCES)
	@echo "building the web apps ($(WEB_APPS)) ..."
	cd web && npm run build --workspaces --silent >/dev/null
	@touch $(WEB_BUILT)

web: $(WEB_BUILT)

# `make run` serves the API without Node.js; it says what is missing instead of failing.
web-optional:
	@if command -v node >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "WARNING: no Node.js: the officer app (/app/) and the console (/console/) are not built. $(NODE_NEEDED)." >&2; fi

## Vitest unit tests of the web apps.
test-web: web
	cd web && npm test --silent

## Debian's Chromium and CJK fonts for the browser test of the public page.
CHROMIUM := /usr/bin/chromium
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser:
	@test -x $(CHROMIUM) && fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo -n ); \
	  echo "installing $(BROWSER_PACKAGES) from Debian for the browser test ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null \
	  || echo "could not install $(BROWSER_PACKAGES); the browser test will say so" >&2; }

## Debian's Pango (WeasyPrint renders the enforcement documents with it) and poppler-utils
## (pdftotext, pdftoppm: the document tests read the PDFs back; docs/img/doc-*.png).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils fonts-noto-cjk
pdf-deps:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null \
	  && ldconfig -p | grep -q libpangoft2-1.0 && fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo -n ); \
	  echo "installing $(PDF_PACKAGES) from Debian for the enforcement documents ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq --no-install-recommends $(PDF_PACKAGES) >/dev/null \
	  || echo "could not install $(PDF_PACKAGES); documents cannot be rendered or checked" >&2; }

## Every test tier: unit, integration (real SQLite/PostgreSQL, Tansu, SeaweedFS), e2e, on two
## workers (pytest-xdist): one runs the files that start whole stacks one after another, the
## other the rest, file by file (tests/conftest.py). TEST_WORKERS=0 runs all in one process.
TEST_WORKERS ?= 2
test: install browser pdf-deps web
	cd web && npm test --silent
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -m unit $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Benchmarks on SQLite and (when it answers) the PostgreSQL on 127.0.0.1:5432; round sizes
## and databases by BENCH_ARGS, e.g. BENCH_ARGS="--rounds 1 --backends sqlite" (see --help).
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.replicas

load: install
	$(PY) -m loadtest.run

## API fuzzing as every role against the embedded stack: FUZZ_EXAMPLES new requests per
## operation and mode (a few with a fixed seed run in `make test`); FUZZ_SEED repeats a run.
FUZZ_EXAMPLES ?= 50
fuzz: install
	@seed=$${FUZZ_SEED:-$$(date +%s)}; echo "FUZZ_SEED=$$seed FUZZ_EXAMPLES=$(FUZZ_EXAMPLES)"; \
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$$seed \
	    $(PY) -m pytest tests/security/test_fuzzing.py --timeout=1800 $(PYTEST_ARGS)

## Kill -9 every process under load, restart it, then check nothing was lost or doubled
## (docs/faults.md; FAULTS_* settings in tests/faults/test_faults.py).
faults: install
	$(PY) -m pytest -m faults -s tests/faults $(PYTEST_ARGS)

## Fault injection with two replicas of every service and the gateway on PostgreSQL, a
## round-robin in front of each pair (docs/faults.md, "Replicas"; FAULTS_* in tests/faults/test_replicas.py).
faults-replicas: install
	FAULTS_MODE=replicas $(PY) -m pytest -m faults -s tests/faults/test_replicas.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var $(PROTO_STAMP)
	find proto -name '*_pb2*.py*' -delete
