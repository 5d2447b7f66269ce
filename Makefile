# Two commands: `make run` and `make test`. Each does all of its own set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export BROWSER_PATH ?= /usr/bin/chromium

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Migrate the embedded SQLite store, seed demo history if empty, serve http://127.0.0.1:8050
run: $(STAMP)
	$(VENV)/bin/feedbackwall run --demo

## Lint, then every test (SQLite always; PostgreSQL too when FEEDBACKWALL_TEST_PG_URL is set)
test: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "Tests need Debian's chromium, chromium-driver and poppler-utils (pdftotext reads the report's PDF): apt-get install -y chromium chromium-driver poppler-utils (.ci/run does this)"; exit 1; }
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) var build *.egg-info
