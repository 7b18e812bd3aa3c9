"""Stage 06_tokenize's settings: how documents become uint16 shards. `ShardLayout` is shared by the stage
(`stages.tokenize` of a run config) and the one-process `python -m tokenizer shard` (`ShardConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import UserError

MAX_UINT16_VOCAB = 2**16


class ShardInputError(UserError):
    """A tokenizer, document or shard folder the shards cannot be made from; the message says what to change."""


@dataclass
class ShardLayout:
    """How documents become shards."""

    shard_tokens: int = 100_000_000  # tokens per .bin (200 MB of uint16)
    val_fraction: float = 0.005  # documents whose root document's id hash falls below this go to val
    add_bos: bool = True  # Gemma starts every sequence with <bos>
    # repeat each train document metadata["rehydration_weight"] times (03_dedup sets it; FineWeb-2's rehydration)
    rehydrate: bool = True
    batch_documents: int = 2048  # documents encoded per call (sentencepiece spreads a batch over threads)
    threads: int = 2


@dataclass
class ShardConfig(ShardLayout):
    """`python -m tokenizer shard`: the layout, and which documents go where."""

    inputs: list[str] = field(default_factory=list)  # empty: the last stage's output folder of `run_dir`
    out: str = "work/shards"


@dataclass
class TokenizeConfig(ShardLayout):
    """Stage 06_tokenize: the shard layout and the SentencePiece model that encodes."""

    tokenizer: str = ""  # tokenizer.model; `make shards` passes the one `make tokenizer` trained
    threads: int = 1  # per task: the executor's tasks are the parallelism
