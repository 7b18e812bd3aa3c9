"""What a training run's report is made of, read from the run's own files: its config and checkpoints, log.jsonl,
the shards' meta.json, the pipeline stages' stats.json (and their cards) and the tokenizer's card.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from pipeline.errors import UserError
from trainer.checkpoint import STATE, Checkpoints
from trainer.logger import is_event, is_step, read_log


class ReportInputError(UserError):
    """A run folder the report cannot read (a log line that is not JSON); names the file and line."""


@dataclass
class TrainingRun:
    out_dir: Path
    config: dict
    steps: list[dict]  # one record per training step
    evals: list[dict]  # the loop's evaluations (val_loss, val_bpb, heldout_bpb/<name>)
    checkpoints: dict[str, Path]  # "latest", and "best" (lowest validation loss) when it is another one
    shards: dict = field(default_factory=dict)  # meta.json of the shards it trained on ({} when gone)


def _checkpoints(out_dir: Path) -> dict[str, Path]:
    """The newest sound checkpoint, and the best (lowest validation loss) when it is another one."""
    checkpoints = Checkpoints(out_dir, keep_last=0, tokenizer="")
    latest = checkpoints.latest_sound()
    if latest is None:
        raise FileNotFoundError(f"{checkpoints.root} holds no sound checkpoint: the run has written none yet")
    best = checkpoints.best()
    return {"latest": latest} | ({"best": best} if best not in (None, latest) else {})


def read_run(out_dir: str | Path) -> TrainingRun:
    out = Path(out_dir)
    records = read_log(out)
    checkpoints = _checkpoints(out)
    # mmap: the config without reading the optimiser's state into memory
    config = torch.load(checkpoints["latest"] / STATE, map_location="cpu", weights_only=False, mmap=True)["config"]
    meta_file = Path(config["data_dir"]) / "meta.json"
    return TrainingRun(out, config, steps=[r for r in records if is_step(r) and "loss" in r],
                       evals=[r for r in records if is_event(r, "eval")], checkpoints=checkpoints,
                       shards=json.loads(meta_file.read_text()) if meta_file.exists() else {})


def pipeline_stages(shards: dict) -> list[dict]:
    """stats.json of every stage of the pipeline run whose output the shards were made from, in stage order: the
    run the tokenize stage names, or the one above a stage's output folder that `tokenizer shard` read."""
    run_dirs = [shards.get("source", {}).get("run_dir")] + [Path(raw).parent.parent for raw in shards.get("inputs", [])]
    for run_dir in (Path(d) for d in run_dirs if d):  # <workdir>/<run>/<NN_stage>/output
        stages = sorted(run_dir.glob("[0-9][0-9]_*/stats.json"))
        if stages:
            return [json.loads(path.read_text()) | {"run": run_dir.name} for path in stages]
    return []


def stage_card(stage: dict, cards_dir: Path) -> Path | None:
    card = cards_dir / stage["run"] / f"{stage['stage']}.md"
    return card if card.exists() else None


def tokenizer_card(shards: dict) -> dict:
    """card.json beside the shards' tokenizer ({} when it has none)."""
    card = Path(shards.get("tokenizer", "")).parent / "card.json"
    return json.loads(card.read_text()) if shards.get("tokenizer") and card.exists() else {}
