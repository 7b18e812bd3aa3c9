"""Stage 06_tokenize: every task encodes its share of the previous stage's documents into uint16 shards, split by
root document and rehydrated in train; after all tasks, one meta.json for the trainer (pipeline/tokenize/step.py).

JsonlReader(previous stage's output) → TokenizeShards → output/train_<task>_NNNNN.bin, tasks/ (val parts, records)
finish: merge_task_shards → output/val_00000.bin, output/meta.json
"""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

from pipeline.config import RunConfig
from pipeline.hashing import fingerprint_sha256
from pipeline.tokenize.settings import TokenizeConfig
from pipeline.tokenize.step import TokenizeShards, merge_task_shards
from pipeline.typed_config import ConfigError
from pipeline.workdir import StagePaths

TOKENIZE_NOTES = {
    "languages": "As the previous stage, as token ids of the tokenizer named in meta.json.",
    "personal_information": "As the previous stage (redacted in 04_pii).",
    "limitations": [
        "Train and val are split by a hash of the root document's id (a Hinglish copy's `parent_id`): a document "
        "and its copies fall on one side, but two different documents on the same subject can fall on both.",
        "Rehydration repeats a train document `rehydration_weight` times, back to back in one shard; the trainer's "
        "random windows spread the repeats over training.",
        "The kept and set-aside profiles below are empty: this stage writes tokens, not text (see meta.json).",
    ],
}


def tokenizer_file(config: RunConfig) -> Path:
    """The stage's tokenizer.model, which must exist before the stage can run or be fingerprinted."""
    name = config.stages.tokenize.tokenizer
    if not name:
        raise ConfigError("stages.tokenize.tokenizer is not set: pass --stages.tokenize.tokenizer=PATH/tokenizer.model "
                          "(`make shards` passes the one `make tokenizer` trained)")
    if not Path(name).is_file():
        raise ConfigError(f"stages.tokenize.tokenizer {name} does not exist: run `make tokenizer` first")
    return Path(name)


def tokenizer_identity(config: RunConfig) -> str:
    """The tokenizer's sha256, part of the stage's fingerprint: another tokenizer makes other shards."""
    return fingerprint_sha256(tokenizer_file(config))


def build_tokenize(settings: TokenizeConfig, tokenizer: Path, paths: StagePaths,
                   previous: StagePaths) -> list[PipelineStep]:
    shards = TokenizeShards(settings, str(tokenizer), str(paths.output), str(paths.tasks))
    return [JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz"), shards]


def finish_tokenize(config: RunConfig, paths: StagePaths) -> None:
    """After all tasks: meta.json, naming the run and the fingerprint of the stage the documents came from."""
    made_from = json.loads(paths.fingerprint.read_text())
    source = {"run": config.run, "run_dir": str(Path(config.run_dir).resolve()), **made_from["inputs"]}
    meta = merge_task_shards(config.stages.tokenize, tokenizer_file(config), paths.output, paths.tasks,
                             made_from["tasks"], source=source)
    totals, rehydration = meta["totals"], meta["rehydration"]
    print(f"{paths.root.name}: train {totals['train']['tokens']:,} tokens ({rehydration['train_tokens_before']:,} "
          f"before rehydration), val {totals['val']['tokens']:,}; shards and meta.json in {paths.output}")
