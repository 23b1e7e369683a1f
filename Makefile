# Quick start:  make nightly   (sets everything up, runs the nightly pipeline, prints the scorecard)
#               make test      (lint, types, layer contracts, SQL lint, then the fast tests)
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup nightly test test-slow lint bench serve server docs scorecard lock schema clean

# the Prefect server's port: `make server PORT=4300` and `make serve PORT=4300`
PORT ?= 4200

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# a new venv's pip (23.x) refuses the lock's extras in hash mode: first the lock's own pip
	$(BIN)/python -m pip install -q "pip==$$(sed -n 's/^pip==\([^ ]*\).*/\1/p' requirements.lock)"
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

nightly: $(STAMP)
	$(BIN)/chiso nightly

scorecard: $(STAMP)
	$(BIN)/chiso scorecard

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint transforms warehouse --processes 1 --disable-progress-bar

test: lint
	$(BIN)/python -m pytest -q

# the heavier runs: a real Prefect server, the served deployment and the UI in a headless
# browser (Debian's chromium), alerts to a local webhook; CI runs them after `make test`
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/chiso bench

# Prefect server + UI on PORT; the UI is told its API's address (else it calls 4200), alerts
# link to runs in it (PREFECT_UI_URL); its
# database lives in the data home's prefect/ folder, beside the runs it records
server: $(STAMP)
	home=$${PREFECT_HOME:-$${CHISO_HOME:-$(CURDIR)/data}/prefect}; mkdir -p "$$home"; \
	PREFECT_HOME="$$home" PREFECT_UI_API_URL=$${PREFECT_UI_API_URL:-http://127.0.0.1:$(PORT)/api} \
	PREFECT_UI_URL=$${PREFECT_UI_URL:-http://127.0.0.1:$(PORT)} \
	exec $(BIN)/prefect server start --host 127.0.0.1 --port $(PORT) --analytics-off

# GX Data Docs on http://127.0.0.1 (CHISO_DOCS_PORT, else a free port; the URL is printed; leave running)
docs: $(STAMP)
	$(BIN)/chiso docs

# the nightly deployment, served against the server on PORT (CHISO_ALERT_WEBHOOK: alerts)
serve: $(STAMP)
	PREFECT_API_URL=$${PREFECT_API_URL:-http://127.0.0.1:$(PORT)/api} $(BIN)/chiso serve

# the hashed lock: every package with its hashes; pins already in the lock are kept (add --upgrade to move)
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

# the indicator catalogue's JSON Schema, from its model (a test fails while the committed one is stale)
schema: $(STAMP)
	$(BIN)/python -m transforms.marts.catalogue_schema

clean:
	rm -rf data/build
