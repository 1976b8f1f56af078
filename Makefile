# Two commands on a fresh machine:  `make run`  and  `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-test system-deps run test lint eval bench clean

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

system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(VENV)/bin/radslag serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: install system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -rs

lint: install
	$(VENV)/bin/ruff check .

eval: install
	$(VENV)/bin/radslag ingest
	$(VENV)/bin/radslag eval eval/data/gold-dev.jsonl --out out/eval

bench: install
	$(VENV)/bin/radslag bench

clean:
	rm -rf data/chroma out .pytest_cache
