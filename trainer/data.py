"""Training windows from memory-mapped uint16 shards, a pure function of (seed, step, micro-batch, rank).

Nothing is read into RAM but the windows themselves. The window of global micro-batch g at step s is drawn
from a generator seeded with (seed, s, g), where g = micro × world_size + rank: so a resumed run draws what
the uninterrupted one would have, and N processes with accumulation A/N draw what one process with A draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from pipeline.errors import UserError
from pipeline.tokenize.shards import tokenizer_mismatch


class ShardMismatchError(UserError):
    """Shards that do not fit the tokenizer or the model; says what to re-run."""


def tokenizer_of_shards(data_dir: str | Path) -> str:
    """The tokenizer meta.json names (the one the shards were made with)."""
    meta_file = Path(data_dir) / "meta.json"
    if not meta_file.exists():
        raise FileNotFoundError(f"{meta_file} does not exist: run `make shards` (or pass --data_dir=...)")
    return json.loads(meta_file.read_text())["tokenizer"]


def read_meta(data_dir: str | Path, tokenizer: str | Path, vocab_size: int) -> dict:
    """meta.json, checked against the tokenizer file and the model's vocabulary."""
    meta_file = Path(data_dir) / "meta.json"
    if not meta_file.exists():
        raise FileNotFoundError(f"{meta_file} does not exist: run `make shards` (or pass --data_dir=...)")
    meta = json.loads(meta_file.read_text())
    if meta.get("dtype") != "uint16":
        raise ShardMismatchError(f"{meta_file}: dtype {meta.get('dtype')!r}, the trainer reads uint16 shards")
    if not Path(tokenizer).exists():
        raise FileNotFoundError(f"tokenizer {tokenizer} does not exist: pass --tokenizer=FILE.model")
    if problem := tokenizer_mismatch(meta, meta_file, tokenizer):
        raise ShardMismatchError(problem)
    if meta["vocab_size"] > vocab_size:
        raise ShardMismatchError(f"{meta_file} says vocab {meta['vocab_size']} but the model has {vocab_size} "
                                 f"embeddings: choose a model preset for this tokenizer")
    return meta


class ShardWindows:
    """Random (block_size + 1)-token windows of one split, as (inputs, targets) of shape (B, T)."""

    def __init__(self, data_dir: str | Path, meta: dict, split: str, block_size: int, seed: int):
        shards = [s for s in meta["shards"] if s["split"] == split and s["tokens"] > block_size + 1]
        if not shards:
            raise ShardMismatchError(f"{data_dir} has no {split} shard longer than block_size + 1 = {block_size + 1} "
                                     f"tokens: lower block_size or shard more text")
        self.arrays = [np.memmap(Path(data_dir) / s["file"], dtype=np.uint16, mode="r") for s in shards]
        sizes = np.array([len(a) - block_size - 1 for a in self.arrays], dtype=np.float64)
        self.weights = sizes / sizes.sum()  # a window starts anywhere with the same probability
        self.block_size, self.seed = block_size, seed

    def batch(self, batch_size: int, step: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, step, index])
        shard_ids = rng.choice(len(self.arrays), size=batch_size, p=self.weights)
        windows = np.stack([self._window(self.arrays[i], rng) for i in shard_ids]).astype(np.int64)
        tokens = torch.from_numpy(windows)
        return tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()

    def _window(self, array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        start = int(rng.integers(0, len(array) - self.block_size - 1))
        return array[start : start + self.block_size + 1]
