# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-fast coverage install clean system-packages screenshots

# Debian packages: a Chinese font for the badges and Chromium for the browser tests
# (Playwright drives Debian's chromium; never `playwright install`). Best effort: without
# root the font falls back to English labels and the browser tests skip.
system-packages:
	-@missing=""; \
	fc-list :lang=zh | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi; true

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Browser libraries (socket.io-client) from the npm registry, served by the app.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed system-packages

demo: install
	$(PY) -m app.demo_server

# The whole suite: SQLite and PostgreSQL, both draw engines, chromium, real gunicorn servers,
# in TEST_WORKERS pytest-xdist processes (2: CI's cores; TEST_WORKERS=0 runs it in this one).
# Each worker has its own databases, Redis key prefixes, ports and temp dirs; `--dist loadgroup`
# keeps the `real_server`/`slow` tests in one worker, one at a time (tests/conftest.py).
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The inner loop, a fraction of the time: SQLite only, no browser (`browser`), no gunicorn
# (`real_server`), nothing that waits seconds on purpose (`slow`: heartbeats, timeouts, 200
# requests at once). Markers in pyproject.toml; `make test` still runs them all.
test-fast: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) --databases sqlite -m "not browser and not real_server and not slow" $(PYTEST_ARGS)

# Line coverage of app, wechat and handheld by the whole suite, in this process only (no xdist
# workers; the gunicorn servers some tests start are not measured).
coverage: install
	$(PY) -m coverage run --source=app,wechat,handheld -m pytest -q $(PYTEST_ARGS)
	$(PY) -m coverage report

clean:
	rm -rf $(VENV) node_modules instance

# The shake benchmark (bench/README.md): `make bench`, or e.g.
# `make bench BENCH_ARGS="--shoppers 200 --http-seconds 5"`. Needs PostgreSQL and Redis on
# 127.0.0.1 (as `make test`) and Debian's wrk, installed here when missing and root.
.PHONY: bench
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian package: wrk"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: apt-get install wrk" >&2; exit 1; fi; }
	$(PY) -m bench.run $(BENCH_ARGS)

# Re-take the README's screenshots (docs/*.png) from the browser tests.
screenshots: install
	XIAOGE_SCREENSHOTS=1 $(PY) -m pytest -q -m browser -k "sqlite"
