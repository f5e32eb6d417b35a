# `make run` serves the API on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test bench lint format clean vendor

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask bikeshare setup-city
	$(BIN)/flask run --host 127.0.0.1 --port 5000 --no-reload

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2

bench: $(VENV)/.dev
	$(BIN)/python -m bench

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the vendored browser code (web/vendor.json) from npm; needs node and npm, the app and tests do not.
vendor:
	$(PYTHON) -m web.vendor

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
