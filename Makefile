# One command sets up and runs the main job; one sets up and runs the tests (see README).
# Every target is idempotent: a second run only redoes what changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311   := $(shell scripts/find-python 3.11)
VENV    := .venv
BIN     := $(VENV)/bin
CATALOG := data/catalog/sample/items.csv
INDEX   := var/index/sample

.PHONY: help setup run demo test index catalog venv clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY311) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(BIN)/.installed ## the Python 3.11 environment (.venv) with the gradrec command

$(CATALOG): data/catalog/generate.py $(BIN)/.installed
	$(BIN)/python data/catalog/generate.py --out data/catalog/sample

catalog: $(CATALOG) ## the sample catalog (CSV + PNG images), generated deterministically

$(INDEX)/manifest.json: $(CATALOG) $(BIN)/.installed
	$(BIN)/gradrec index $(CATALOG) --out $(INDEX) --text-columns name,description \
	    --category-column kind --image-column image
	touch $@

index: $(INDEX)/manifest.json ## the sample catalog's index (MiniLM text embeddings, exact FAISS)

setup: venv catalog index ## everything the main job and the tests need

demo: setup ## a walk on the sample catalog: a mid-blue polo shirt, darker step by step
	@seed=$$($(BIN)/gradrec search --index $(INDEX) --query "blue polo shirt" --k 1 --json \
	    | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["items"][0])'); \
	$(BIN)/gradrec walk --index $(INDEX) --seed $$seed \
	    --neutral "blue polo shirt" --exemplar "dark blue polo shirt" --opposite "light blue polo shirt" --steps 6

run: demo ## set up, then run the main job

test: setup ## set up, then run every test
	$(BIN)/python -m pytest -q

clean: ## remove everything set-up made
	rm -rf $(VENV) var data/catalog/sample
