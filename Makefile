# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROTOS := $(shell find proto/enforcement -name '*.proto')
PROTO_STAMP := proto/.generated

.PHONY: run test test-unit proto lint bench load faults clean install

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/bin/python pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP) $(PROTO_STAMP)

$(PROTO_STAMP): $(STAMP) $(PROTOS)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=proto --pyi_out=proto \
	    --grpc_python_out=proto $(PROTOS)
	@touch $@

proto: $(PROTO_STAMP)

## Start the whole platform on the embedded default (SeaweedFS, Tansu, SQLite under var/).
run: install
	$(PY) -m deploy.stack run

## Every test tier: unit, integration (real SQLite/PostgreSQL, Tansu, SeaweedFS), e2e.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -m unit $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) -m bench.run

load: install
	$(PY) -m loadtest.run

clean:
	rm -rf $(VENV) var $(PROTO_STAMP)
	find proto -name '*_pb2*.py*' -delete
