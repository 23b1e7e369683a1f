# Quick start:  make nightly   (sets everything up, runs the nightly pipeline, prints the scorecard)
#               make test      (runs the tests)
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup nightly test test-slow lint bench serve server scorecard clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

nightly: $(STAMP)
	$(BIN)/chiso nightly

scorecard: $(STAMP)
	$(BIN)/chiso scorecard

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/chiso bench

server: $(STAMP)
	$(BIN)/prefect server start --host 127.0.0.1 --analytics-off

serve: $(STAMP)
	PREFECT_API_URL=$${PREFECT_API_URL:-http://127.0.0.1:4200/api} $(BIN)/chiso serve

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^chiso' > requirements.lock

clean:
	rm -rf data/build
