# Everything runs from the project's virtual environment in .venv, made on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test migrate bench lint lock services clean

$(STAMP): setup.cfg constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && apt-get install -y -qq python3-venv python3-dev && \
	  python3 -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/services.sh

migrate: $(STAMP)
	$(PY) -m models.migrate

run: $(STAMP) services migrate
	$(VENV)/bin/honcho start -f Procfile --port $${PORT:-8080}

test: $(STAMP) services
	$(PY) -m pytest $(PYTEST_ARGS)

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
