"""What a training run's report is made of, read from the run's own files: its config and checkpoints, log.jsonl,
the shards' meta.json, the pipeline stages' stats.json (and their cards) and the tokenizer's card.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from trainer.checkpoint import LATEST, STATE, SUMS


class ReportInputError(ValueError):
    """A run folder the report cannot read (a log line that is not JSON); names the file and line."""


@dataclass
class TrainingRun:
    out_dir: Path
    config: dict
    steps: list[dict]  # one record per training step
    evals: list[dict]  # the loop's evaluations (val_loss, val_bpb, heldout_bpb/<name>)
    checkpoints: dict[str, Path]  # "latest", and "best" (lowest validation loss) when it is another one
    shards: dict = field(default_factory=dict)  # meta.json of the shards it trained on ({} when gone)


def _log(out_dir: Path) -> list[dict]:
    path = out_dir / "log.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: {out_dir} is not a training run (python -m trainer ...)")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ReportInputError(f"{path}:{number}: not a JSON line") from None
    return records


def _checkpoints(out_dir: Path) -> dict[str, Path]:
    root = out_dir / "checkpoints"
    if not (root / LATEST).exists():
        raise FileNotFoundError(f"{root / LATEST} does not exist: the run has written no checkpoint yet")
    found = {"latest": root / (root / LATEST).read_text().strip()}
    scored = [(json.loads((p / SUMS).read_text()).get("val_loss"), p) for p in sorted(root.glob("step_*"))
              if (p / SUMS).exists()]
    scored = [(loss, p) for loss, p in scored if loss is not None]
    if scored and min(scored)[1] != found["latest"]:
        found["best"] = min(scored)[1]
    return found


def read_run(out_dir: str | Path) -> TrainingRun:
    out = Path(out_dir)
    records = _log(out)
    checkpoints = _checkpoints(out)
    # mmap: the config without reading the optimiser's state into memory
    config = torch.load(checkpoints["latest"] / STATE, map_location="cpu", weights_only=False, mmap=True)["config"]
    meta_file = Path(config["data_dir"]) / "meta.json"
    return TrainingRun(out, config, steps=[r for r in records if "event" not in r and "loss" in r],
                       evals=[r for r in records if r.get("event") == "eval"], checkpoints=checkpoints,
                       shards=json.loads(meta_file.read_text()) if meta_file.exists() else {})


def pipeline_stages(shards: dict) -> list[dict]:
    """stats.json of every stage of the pipeline run whose output the shards were made from, in stage order: the
    run the tokenize stage names, or the one above a stage's output folder that `tokenizer shard` read."""
    run_dirs = [shards.get("source", {}).get("run_dir")] + [Path(raw).parent.parent for raw in shards.get("inputs", [])]
    for run_dir in (Path(d) for d in run_dirs if d):  # <workdir>/<run>/<NN_stage>/output
        stages = sorted(run_dir.glob("[0-9][0-9]*_*/stats.json"))
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
