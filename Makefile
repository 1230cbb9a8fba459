# `make chat` sets up, ingests corpus/ and serves the chat on http://localhost:8501;
# `make demo` answers the Ushakov question on the command line; `make test` runs lint, types and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where this machine keeps its local CPU build of torch (pip also reads PIP_FIND_LINKS).
WHEELS := $(wildcard /opt/wheels)
PIP_LOCAL := $(if $(WHEELS),--find-links $(WHEELS),)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup chat demo test test-fast lint eval bench clean

$(BIN)/rag: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first, so nothing pulls the multi-GB CUDA one.
	$(BIN)/pip install --quiet $(PIP_LOCAL) torch==2.13.0
	$(BIN)/pip install --quiet -e '.[ui,test,ollama,openai,bench]'
	touch $(BIN)/rag

setup: $(BIN)/rag

chat: setup
	$(BIN)/rag ingest corpus
	$(BIN)/rag ui

demo: setup
	$(BIN)/rag ingest corpus
	$(BIN)/rag ask "What did Ushakov say about territory?"

test: setup lint
	$(BIN)/python -m pytest

lint: setup  # style and types: part of `make test`, so of CI
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

eval: setup
	$(BIN)/rag eval ../shared/eval/seed_qa_dev.json
	$(BIN)/rag eval ../shared/eval/squad_it_dev.json.gz
	$(BIN)/rag eval ../shared/eval/squad_it_en_questions_dev.json.gz

bench: setup  # about an hour on 2 cores; writes docs/benchmarks.md
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/models.py
	$(BIN)/python benchmarks/feeds.py

clean:
	rm -rf $(VENV) .rag .pytest_cache
