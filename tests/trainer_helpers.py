"""Shards and configs for the trainer tests: a small tokenizer and uint16 shards built from written text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import write_jsonl
from tokenizer.config import SampleConfig, ShardConfig, TokenizerConfig, TrainConfig
from tokenizer.shards import write_shards
from tokenizer.train import train_tokenizer

WORDS = "भारत गंगा नदी मानसून बारिश दिल्ली कोहरा बाज़ार किसान खेत पानी शहर kal movie dekhne yaar accha hai".split()


def build_shards(folder: Path, texts: list[str] | None = None, val_fraction: float = 0.2) -> Path:
    """Tokenizer + shards in `folder`; returns the shard folder (its meta.json names the tokenizer)."""
    if texts is None:
        rng = np.random.default_rng(0)
        texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(20, 120)))) for _ in range(300)]
    data = write_jsonl(folder / "docs.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    model = train_tokenizer(TokenizerConfig(out=str(folder / "tok"), sample=SampleConfig(inputs=[str(data)]),
                                            train=TrainConfig(vocab_size=400, hard_vocab_limit=False)))
    write_shards(ShardConfig(inputs=[str(data)], out=str(folder / "shards"), val_fraction=val_fraction), model)
    return folder / "shards"


def read_log(out_dir: Path) -> list[dict]:
    path = Path(out_dir) / "log.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def step_losses(records: list[dict]) -> dict[int, float]:
    """step → loss of the training records (a resumed run's later lines win)."""
    return {r["step"]: r["loss"] for r in records if "event" not in r}
