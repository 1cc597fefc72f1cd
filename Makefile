# Okienko — two commands do everything: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# What runs again on PostgreSQL: everything that uses the test database (the browser tests
# and the tests made of live hub processes use SQLite files of their own).
POSTGRES_SUITE := tests --ignore=tests/browser --ignore=tests/test_processes.py \
                  --ignore=tests/security/test_openapi_fuzz.py \
                  --ignore=tests/faults/test_process_faults.py \
                  --ignore=tests/faults/test_redis_faults.py

.PHONY: run test install chromium postgresql nginx lint translations vendor bench bench-booking bench-log clean

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

## Run the whole test suite (installs Debian's Chromium for the browser tests, Debian's
## PostgreSQL and nginx when missing; the tests start their own throwaway PostgreSQL cluster
## and nginx on loopback, no service needs to run). In CI, or with TEST_POSTGRES=1, the
## suite then runs a second time on PostgreSQL (all but the browser tests).
test: install chromium postgresql nginx
	$(VENV)/bin/pybabel compile -d translations 2>/dev/null
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q
	@if [ -n "$$CI" ] || [ "$$TEST_POSTGRES" = "1" ]; then \
	  echo "== the suite again on PostgreSQL =="; \
	  TEST_DATABASE=postgresql $(PY) -m pytest -q -p no:cacheprovider $(POSTGRES_SUITE); fi

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

# Only the binary is needed: policy-rc.d keeps the package from starting a system nginx.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && \
	    chmod +x /usr/sbin/policy-rc.d && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	    status=$$?; rm -f /usr/sbin/policy-rc.d; exit $$status'; }

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
	$(PY) bench/reports.py
	$(PY) bench/chat.py
	$(PY) bench/chat_steps.py

## Free-slot search with 100,000 bookings (add ARGS=--postgresql for a throwaway PostgreSQL)
bench-booking: install
	$(PY) bench/booking.py $(ARGS)

## Full-text log search over 1,000,000 messages (add ARGS=--postgresql for PostgreSQL)
bench-log: install
	$(PY) bench/log_search.py $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
