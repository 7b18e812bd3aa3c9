"""The tokenizer config: what to sample, how to train, how to shard (the layout is stage 06's,
pipeline/tokenize/settings.py). Defaults live here; configs/tokenizer.yaml
gives each its reason and the measurement behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.errors import UserError
from pipeline.tokenize.settings import MAX_UINT16_VOCAB, ShardConfig


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
class TokenizerConfig:
    run_dir: str = "work/local"  # a pipeline run (<workdir>/<run>); its last finished stage is the default input
    out: str = "work/tokenizer"  # tokenizer.model, tokenizer.json, ..., sample stats, card
    sample: SampleConfig = field(default_factory=SampleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    shards: ShardConfig = field(default_factory=ShardConfig)


class TokenizerInputError(UserError):
    """Inputs, settings or files a user gave that the tokenizer cannot use; the message says what to change."""
