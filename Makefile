# Parvis — the two commands of the README, and the everyday ones.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test browser peers lint bench serve messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

## Installs Parvis and starts the demo (web + worker + clock + sandbox network).
demo: install
	$(BIN)/parvis demo

## Installs the test dependencies (Python, Chromium, the npm peers) and runs the whole suite.
test: install-test browser peers
	bash scripts/run-tests.sh

## Real software the connectors are tested against: a local Bluesky network (Node 22 from npm).
peers:
	bash scripts/peers/install.sh

## Debian's Chromium for the end-to-end test (skipped where it cannot be installed).
browser:
	@bash scripts/install-browser.sh

lint: install-test
	$(BIN)/ruff check .

serve: install
	$(BIN)/parvis serve

bench: install
	$(BIN)/python bench/publishing.py --deliveries 10000 --latency-ms 150 --json

## Extracts the interface's strings and compiles the English catalogue (needs GNU gettext).
messages: install
	cd parvis && ../$(BIN)/parvis makemessages -l en --ignore='static/vendor/*' && ../$(BIN)/parvis compilemessages -l en
