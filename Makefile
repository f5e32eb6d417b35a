# `make run` serves the API on embedded defaults; `make test` runs the whole suite, `make test-fast` the
# inner loop (unit and API tests, without the system tests and the slow contract fuzz).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run PORT=5100 HOST=0.0.0.0` serves elsewhere; absolute URLs (GBFS) follow unless PUBLIC_BASE_URL is set.
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-fast browser bench wrk lint format clean vendor

$(BIN)/activate:
	@echo "==> creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	@echo "==> installing the runtime requirements (the first time takes a few minutes)"
	$(BIN)/pip install --progress-bar on -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	@echo "==> installing the runtime and test requirements (the first time takes a few minutes)"
	$(BIN)/pip install --progress-bar on -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	@$(BIN)/python -c 'import socket; socket.create_server(("$(HOST)", $(PORT)))' 2>/dev/null || \
		{ echo "Port $(PORT) on $(HOST) is taken (or not an address of this machine): stop what uses it, or run 'make run PORT=$$(( $(PORT) + 1 ))'."; exit 1; }
	@echo "==> migrating the database, loading the Seoul stations and the shipped trip samples (once each)"
	$(BIN)/flask db upgrade
	$(BIN)/flask bikeshare setup-city
	$(BIN)/flask bikeshare import-trips data/seoul_trips_sample.csv
	$(BIN)/flask bikeshare import-trips data/seoul_trips_sample_2017.csv
	@echo "==> serving on http://$(HOST):$(PORT) (Ctrl-C stops it, and the embedded Redis with it)"
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" BIKESHARE_WARM_PLANNER=1 exec $(BIN)/flask run --host $(HOST) --port $(PORT) --no-reload

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest -n 2

# The browser tests drive Debian's chromium (Playwright cannot download its own browser here). Install it
# when missing and allowed, with a Korean font so the screenshots show Korean text; otherwise say so plainly:
# those tests then skip with the same reason.
browser:
	@if [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/truetype/nanum ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing Debian's chromium and a Korean font (Nanum) for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; } || \
		echo "!! could not install chromium with apt-get: the browser tests will be SKIPPED"; \
	else \
		echo "!! /usr/bin/chromium or a Korean font is missing and cannot be installed here (needs root and apt-get):"; \
		echo "!! without chromium the browser tests are SKIPPED; without fonts-nanum Korean screenshots show boxes."; \
	fi

test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 -m "(unit or api) and not slow"

# `make bench SERVER=all` (or a comma list: gthread,sync,granian,pyuwsgi) compares the WSGI servers.
bench: $(VENV)/.dev wrk
	SERVER="$(SERVER)" $(BIN)/python -m bench

# The bench drives its load with Debian's wrk (C, epoll), which costs the shared cores little.
wrk:
	@if command -v wrk >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing Debian's wrk for the bench"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "!! could not install wrk with apt-get: install Debian's wrk package to run the bench"; exit 1; }; \
	else \
		echo "!! wrk is missing and cannot be installed here (needs root and apt-get):"; \
		echo "!! install Debian's wrk package to run the bench."; exit 1; \
	fi

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
