# Two commands for a fresh machine:
#   make run    set up, prepare the model, ingest corpus/ and start the chat app
#   make test   set up (incl. headless Chromium and nginx) and run the whole test suite
# The venv gets exactly requirements.lock (every distribution at the version the tests
# passed with); `make lock` adds what pyproject.toml newly asks for, `make upgrade`
# re-resolves everything. Either rewrites requirements.lock: run `make test`, then commit.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
PIP_VERSION      := 26.3
PIP_TOOLS_VERSION := 7.7.0
LOCK_VENV := .venv-lock
COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --allow-unsafe --strip-extras \
	--extra test,llm,cluster --no-emit-index-url --no-emit-find-links \
	--output-file $(LOCK) pyproject.toml

.PHONY: setup run test lint lock upgrade clean

# A changed lock or pyproject.toml makes a new venv, so nothing stale stays installed.
$(STAMP): pyproject.toml $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	# torch first, pinned: anything else would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

setup: $(STAMP)

run: setup
	HF_HUB_OFFLINE=1 $(BIN)/assistant models prepare
	HF_HUB_OFFLINE=1 $(BIN)/python app.py

test: setup
	PYTHON=$(BIN)/python bash scripts/install-browser.sh
	bash scripts/install-nginx.sh
	PYTHON=$(BIN)/python bash scripts/install-llm.sh small
	$(BIN)/ruff check .
	HF_HUB_OFFLINE=1 $(BIN)/pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

$(LOCK_VENV)/.installed:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION)
	touch $@

lock: $(LOCK_VENV)/.installed
	$(COMPILE)

upgrade: $(LOCK_VENV)/.installed
	$(COMPILE) --upgrade

clean:
	rm -rf $(VENV) $(LOCK_VENV) .data artifacts
