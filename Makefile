# Two commands: `make run` and `make test`. Each does all of its own set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export BROWSER_PATH ?= /usr/bin/chromium

.PHONY: run test test-fast lint typecheck contracts format bench clean translations messages
CATALOGS := dashapp/translations
BABEL_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k N_

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Migrate the embedded SQLite store, seed demo history if empty, serve http://127.0.0.1:8050
run: $(STAMP) translations
	$(VENV)/bin/feedbackwall run --demo

## Compile the .po catalogs to .mo (the app compiles a missing or older one in memory too)
translations: $(STAMP)
	$(VENV)/bin/pybabel compile -d $(CATALOGS) -D messages

## After changing texts: extract them into messages.pot and merge it into every catalog
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file \
	  --project=feedbackwall -o $(CATALOGS)/messages.pot .
	$(VENV)/bin/pybabel update --no-wrap -i $(CATALOGS)/messages.pot -d $(CATALOGS) -D messages

## Everything CI checks: lint, types, import contracts, then every test
## (SQLite always; PostgreSQL and Redis too when FEEDBACKWALL_TEST_PG_URL/_REDIS_URL are set)
test: lint typecheck contracts translations
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "Tests need Debian's chromium, chromium-driver and poppler-utils (pdftotext reads the report's PDF): apt-get install -y chromium chromium-driver poppler-utils (.ci/run does this)"; exit 1; }
	$(VENV)/bin/pytest

## The tests that need no browser: a quick loop while working
test-fast: $(STAMP) translations
	$(VENV)/bin/pytest -m "not browser"

## Formatting and lint (ruff)
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

## Types (mypy, configured in pyproject.toml)
typecheck: $(STAMP)
	$(VENV)/bin/mypy

## The layers of docs/architecture.md (import-linter, contracts in pyproject.toml)
contracts: $(STAMP)
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) var build *.egg-info
