# Every task in one place. `make serve` and `make test` work on a fresh machine
# with Python 3.11: each creates .venv and installs the pinned requirements.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint format install install-test install-build binary bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt

serve: install
	$(BIN)/python run.py serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

install-build: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-build.txt

# The single executable dist/trakrf-server (see build.spec and README).
binary: install-build
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec

# Benchmarks, run by hand (not by CI); needs `apt-get install -y wrk` for the
# load generator, else falls back to a slower asyncio client.
# Sizes and load: make bench BENCH_ARGS="--assets 10000 --events 100000".
bench: install
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist
