"""The tokenizer config: what to sample, how to train, how to shard. Defaults live here; configs/tokenizer.yaml
gives each its reason and the measurement behind it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

MAX_UINT16_VOCAB = 2**16
TOKENS_STAGE = "06_tokenize"  # the pipeline stage that writes shards: its output is tokens, not text to read


@dataclass
class SampleConfig:
    # folders or files of JSONL (.jsonl, .jsonl.gz, .jsonl.zst) or plain text; empty: the last stage's output
    # folder of `run_dir`
    inputs: list[str] = field(default_factory=list)
    # share of the sample per script group (lines are classified by tokenizer/script_groups.py)
    mix: dict = field(default_factory=lambda: {"hindi": 0.7, "hinglish": 0.2, "english": 0.1})
    sentences: int = 2_000_000  # lines in the sample: SentencePiece's input_sentence_size, bounds its memory
    max_line_chars: int = 4000  # longer lines are cut at a sentence end (SentencePiece skips very long lines)
    heldout_lines: int = 2000  # per group, drawn from the held-out documents for the tokenizer card's evaluation
    heldout_documents: float = 0.1  # share of documents (by a hash of their id) kept out of training whole
    max_repeats: int = 1  # a group short of its quota is repeated up to this many times towards it
    seed: int = 0


@dataclass
class TrainConfig:
    model_type: Literal["bpe", "unigram"] = "bpe"
    vocab_size: int = 50_000
    hard_vocab_limit: bool = True  # false lets a tiny sample (the demo) end with fewer pieces
    character_coverage: float = 0.9999
    byte_fallback: bool = True
    split_digits: bool = True
    split_by_unicode_script: bool = True
    normalization_rule_name: Literal["identity", "nfkc"] = "identity"
    threads: int = 2
    # ids 0-3 are <pad> <eos> <bos> <unk> (the model's pad/eos/bos); these follow, always whole pieces
    user_defined_symbols: list[str] = field(
        default_factory=lambda: ["\n", "<start_of_turn>", "<end_of_turn>"] + [f"<reserved_{i}>" for i in range(6)]
    )

    def __post_init__(self) -> None:
        if not 0 < self.vocab_size < MAX_UINT16_VOCAB:
            raise ValueError(f"vocab_size {self.vocab_size} must be below 65,536 so that ids fit uint16 shards")


@dataclass
class ShardLayout:
    """How documents become shards; shared by `python -m tokenizer shard` and the pipeline's 06_tokenize stage."""

    shard_tokens: int = 100_000_000  # tokens per .bin (200 MB of uint16)
    val_fraction: float = 0.005  # documents whose root document's id hash falls below this go to val
    add_bos: bool = True  # Gemma starts every sequence with <bos>
    # repeat each train document metadata["rehydration_weight"] times (03_dedup sets it; FineWeb-2's rehydration)
    rehydrate: bool = True
    batch_documents: int = 2048  # documents encoded per call (sentencepiece spreads a batch over threads)
    threads: int = 2


@dataclass
class ShardConfig(ShardLayout):
    inputs: list[str] = field(default_factory=list)  # empty: the last stage's output folder of `run_dir`
    out: str = "work/shards"


@dataclass
class TokenizerConfig:
    run_dir: str = "work/local"  # a pipeline run (<workdir>/<run>); its last finished stage is the default input
    out: str = "work/tokenizer"  # tokenizer.model, tokenizer.json, ..., sample stats, card
    sample: SampleConfig = field(default_factory=SampleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    shards: ShardConfig = field(default_factory=ShardConfig)


def last_stage_output(run_dir: str) -> list[str]:
    """[the output folder of the highest-numbered text stage under `run_dir`]: the corpus the pipeline finished. A
    stage that has not finished (killed, still queued on Slurm, or books that do not balance) is refused by name."""
    stages = sorted(p.parent for p in Path(run_dir).glob("[0-9][0-9]*_*/run.json") if p.parent.name != TOKENS_STAGE)
    if not stages:
        raise FileNotFoundError(f"{run_dir} holds no stage output: run the pipeline first (make run / make demo), "
                                f"or pass --input PATH")
    last = stages[-1]
    if (problem := unfinished(last)) is not None:
        stage = last.name.split("_", 1)[1]
        raise UnfinishedStageError(f"{last} is unfinished ({problem}): finish it with `python -m pipeline run CONFIG "
                                   f"--stage {stage}` (the run's config and --input; finished tasks are skipped), "
                                   f"or `make {stage}`")
    return [str(last / "output")]


class TokenizerInputError(ValueError):
    """Inputs, settings or files a user gave that the tokenizer cannot use; the message says what to change."""


class UnfinishedStageError(TokenizerInputError):
    """The pipeline stage a tokenizer or shards would read has not finished."""


def unfinished(stage_dir: Path) -> str | None:
    """Why a stage folder is not finished, or None: its books (stats.json) must be written after every task
    completed and balance."""
    stats_file = stage_dir / "stats.json"
    if not stats_file.exists():
        return "no stats.json: its tasks have not all run"
    stats = json.loads(stats_file.read_text())
    completions = stage_dir / "logs" / "completions"
    done = len(list(completions.glob("*"))) if completions.exists() else 0
    if done < stats["tasks"] or stats["tasks_completed"] < stats["tasks"]:
        return f"{done} of {stats['tasks']} tasks completed"
    if not stats["balanced"]:
        return f"its books do not balance, see {stats_file}"
    return None
