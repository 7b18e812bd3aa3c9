"""Shards and configs for the trainer tests: a small tokenizer and uint16 shards built from written text."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np

from pipeline.tokenize.settings import ShardConfig
from pipeline.tokenize.shards import write_shards
from tests.conftest import write_jsonl
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.train import train_tokenizer
from trainer.logger import LOG, read_log

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


def records_so_far(out_dir: Path) -> list[dict]:
    """The log so far; none before the trainer has opened it."""
    return read_log(out_dir) if (Path(out_dir) / LOG).exists() else []


def step_losses(records: list[dict]) -> dict[int, float]:
    """step → loss of the training records (a resumed run's later lines win)."""
    return {r["step"]: r["loss"] for r in records if "event" not in r}


def kill_after_step(command: list[str], out_dir: Path, step: int, cwd: Path) -> list[dict]:
    """Start a training run, SIGKILL it once its log holds `step`, then run it again with --resume; returns the
    log as it was at the kill."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while max(step_losses(records_so_far(out_dir)), default=0) < step and time.time() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    at_kill = records_so_far(out_dir)
    subprocess.run(command + ["--resume"], check=True, capture_output=True, cwd=cwd)
    return at_kill
