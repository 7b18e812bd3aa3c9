"""A tiny model trained in-process on one repeated Hindi paragraph, for the evaluation and report tests."""

from __future__ import annotations

from pathlib import Path

from pipeline.typed_config import load_config
from tests.conftest import REPO
from tests.trainer_helpers import build_shards
from trainer.config import TrainConfig
from trainer.loop import Trainer

TRAINED = ("नदी के किनारे एक छोटा गाँव था। गाँव के लोग सुबह खेतों में काम करते थे। शाम को सब पेड़ के नीचे बैठकर "
           "बातें करते थे। बच्चे नदी में तैरना सीखते थे।")
UNRELATED = ("कंप्यूटर की स्क्रीन पर नीली रोशनी चमक रही थी। क्रिकेट मैच का स्कोर तेज़ी से बदल रहा था। "
             "रेलगाड़ी स्टेशन से देर रात निकली।")


def train_repeated_text(folder: Path, steps: int = 40, **overrides) -> Path:
    """Tokenizer, shards and a run of the tiny preset on TRAINED repeated, which also scores `trained.txt` (TRAINED
    twice) as a held-out text in its evaluations; returns the run's out_dir."""
    shards = build_shards(folder, [" ".join([TRAINED] * (1 + i % 3)) for i in range(120)])
    (folder / "trained.txt").write_text(f"{TRAINED}\n{TRAINED} {TRAINED}\n", encoding="utf-8")
    items = [f"data_dir={shards}", f"out_dir={folder / 'run'}", "tensorboard=false", f"max_steps={steps}",
             f"eval_every={steps // 2}", f"checkpoint_every={steps // 2}", "sample_tokens=0", "warmup_steps=5",
             f"eval_texts=[{folder / 'trained.txt'}]"]
    config = load_config(TrainConfig, REPO / "configs" / "train_tiny.yaml",
                         items + [f"{key}={value}" for key, value in overrides.items()])
    Trainer(config, resume=False).run()
    return folder / "run"


def latest_checkpoint(run: Path) -> Path:
    return run / "checkpoints" / (run / "checkpoints" / "latest").read_text().strip()
