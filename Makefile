# Okienko — two commands do everything: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test install chromium postgresql lint translations vendor bench bench-booking bench-log clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Serve the hub on http://127.0.0.1:5000 (SQLite under instance/, embedded Redis, demo data)
run: install
	$(VENV)/bin/pybabel compile -d translations 2>/dev/null
	$(PY) app.py

## Run the whole test suite (installs Debian's Chromium for the browser tests and Debian's
## PostgreSQL for the tests on a real PostgreSQL when missing; the tests start their own
## throwaway cluster on loopback, no service needs to run)
test: install chromium postgresql
	$(VENV)/bin/pybabel compile -d translations 2>/dev/null
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .

## Extract new strings and merge them into the Polish catalogue
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot . 2>/dev/null
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations -l pl 2>/dev/null
	$(VENV)/bin/pybabel compile -d translations 2>/dev/null

## Refresh vendored front-end files from the npm registry (versions pinned in package.json)
vendor:
	npm install --no-save --no-audit --no-fund
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/
	cp node_modules/axe-core/axe.min.js tests/browser/assets/

## Benchmarks (figures, not tests): see docs/performance.md
bench: install
	$(PY) bench/routing.py
	$(PY) bench/booking.py
	$(PY) bench/log_search.py

## Free-slot search with 100,000 bookings (add ARGS=--postgresql for a throwaway PostgreSQL)
bench-booking: install
	$(PY) bench/booking.py $(ARGS)

## Full-text log search over 1,000,000 messages (add ARGS=--postgresql for PostgreSQL)
bench-log: install
	$(PY) bench/log_search.py $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
