# One command sets up and runs the main job; one sets up and runs the tests (see README).
# Every target is idempotent: a second run only redoes what changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311   := $(shell scripts/find-python 3.11)
PY310   := $(shell scripts/find-python 3.10)
VENV    := .venv
BIN     := $(VENV)/bin
RASA_VENV := .venv-rasa
RASA    := $(RASA_VENV)/bin/rasa
RASA_DATA := data/nlu data/stories data/rules
RASA_INPUTS := config.yml domain.yml $(shell find $(RASA_DATA) -name '*.yml' 2>/dev/null)
CATALOG := data/catalog/sample/items.csv
INDEX   := var/index/sample
RETAIL  := data/catalog/retail/items.csv
RETAIL_INDEX := var/index/retail
export RASA_TELEMETRY_ENABLED := false

WEB     := web
WIDGET  := $(WEB)/node_modules/rasa-webchat/lib/index.js

.PHONY: help setup run chat serve demo test bench index catalog retail venv rasa-venv train validate web browser services speech clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY311) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(BIN)/.installed ## the Python 3.11 environment (.venv) with the gradrec command

$(CATALOG): data/catalog/generate.py $(wildcard data/catalog/samplegen/*.py) $(BIN)/.installed
	$(BIN)/python data/catalog/generate.py --out data/catalog/sample

catalog: $(CATALOG) ## the sample catalog (CSV + PNG images), generated deterministically

$(INDEX)/manifest.json: $(CATALOG) $(BIN)/.installed gradrec_core/index.py gradrec_core/columns.py
	$(BIN)/gradrec index $(CATALOG) --out $(INDEX) --text-columns name,description \
	    --category-column kind --image-column image --name-column name --numeric-columns price,heel_cm \
	    --backend torch
	touch $@

# The test catalogs' indexes are embedded by the float model itself (--backend torch): the suite's
# reference vectors (tests/test_encoders_onnx.py); a shop's new index gets the default backend.
index: $(INDEX)/manifest.json ## the sample catalog's index (MiniLM text embeddings, exact FAISS)

# The second test catalog: another shape (colour names only, brand inside the name, one-word usage
# column, no prices, no images). Not part of setup: indexing its 6,000 names takes ~20-40 s.
# Both indexes are rewritten when the index format changes (the vectors already embedded are kept).
$(RETAIL): data/catalog/retail.py $(BIN)/.installed
	$(BIN)/python data/catalog/retail.py --out data/catalog/retail

$(RETAIL_INDEX)/manifest.json: $(RETAIL) $(BIN)/.installed gradrec_core/index.py gradrec_core/columns.py
	$(BIN)/gradrec index $(RETAIL) --out $(RETAIL_INDEX) --text-columns productDisplayName \
	    --category-column articleType --name-column productDisplayName --backend torch
	touch $@

retail: $(RETAIL_INDEX)/manifest.json ## the second test catalog (6,000 retail-shaped products) and its index

$(RASA_VENV)/bin/.installed: requirements-rasa.txt
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-rasa.txt
	touch $@

rasa-venv: $(RASA_VENV)/bin/.installed ## the Python 3.10 environment (.venv-rasa) with Rasa 3.6.21

models/.trained: $(RASA_INPUTS) $(RASA_VENV)/bin/.installed
	rm -rf models
	$(RASA) train --data $(RASA_DATA) --out models --fixed-model-name gradrec
	touch $@

train: models/.trained ## train the Rasa model when its data, config or domain changed

validate: $(RASA_VENV)/bin/.installed ## rasa data validate
	$(RASA) data validate --data $(RASA_DATA) --fail-on-warnings

# The chat widget (rasa-webchat 1.0.1) from the committed lockfile; the assistant serves it locally.
$(WIDGET): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

web: $(WIDGET) ## the chat widget's bundle (npm ci in web/)

# Headless Chromium and its driver for tests/test_web.py: apt-get only when one is missing.
browser: ## chromium + chromium-driver (Debian packages), installed when missing
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	    echo "installing chromium and chromium-driver (apt-get)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# PostgreSQL and Redis for replicas (tests/test_replicas.py, `gradrec-assistant services`): apt-get only when one is missing.
services: ## postgresql + redis-server (Debian packages), installed when missing
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || ! command -v redis-server >/dev/null; then \
	    echo "installing postgresql and redis-server (apt-get)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql redis-server >/dev/null; \
	fi

# espeak-ng for the voice demo's WAV (`make voice-demo`, tests/test_voice.py): apt-get only when missing.
speech: ## espeak-ng (Debian package), installed when missing
	@if ! command -v espeak-ng >/dev/null; then \
	    echo "installing espeak-ng (apt-get)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng >/dev/null; \
	fi

setup: venv catalog index rasa-venv train web browser services speech ## everything the main job and the tests need

demo: setup ## a walk on the sample catalog: a mid-blue polo shirt, darker step by step
	@seed=$$($(BIN)/gradrec search --index $(INDEX) --query "blue polo shirt" --k 1 --json \
	    | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["items"][0])'); \
	$(BIN)/gradrec walk --index $(INDEX) --seed $$seed \
	    --neutral "blue polo shirt" --exemplar "dark blue polo shirt" --opposite "light blue polo shirt" --steps 6

chat: setup ## the action server + the Rasa server on 127.0.0.1, and a chat in this terminal
	$(BIN)/gradrec-assistant chat

serve: setup ## both servers only, for chat widgets and voice channels
	$(BIN)/gradrec-assistant serve

run: chat ## set up, then run the main job (the chat)

.PHONY: voice-demo
voice-demo: setup ## a phone call, heard: both servers, three turns posted as Twilio would, the replies in var/voice/reply.wav (espeak-ng)
	$(BIN)/python -m assistant.voice_demo --start "show me a blue polo shirt" "something darker" "what colours does it come in?"

test: setup retail ## set up (the second test catalog too), then run every test, in three processes
	$(BIN)/python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder --durations=10

bench: setup retail ## the benchmarks: docs/RESULTS.md and its plots, load and the shopper simulation included (~45-70 min on 2 cores; BENCH_ARGS=--quick for a smoke run)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

clean: ## remove everything set-up made
	rm -rf $(VENV) $(RASA_VENV) var models .rasa data/catalog/sample $(WEB)/node_modules
