"""One unit of an ablation: one arm trained with one seed, then evaluated. A unit is resumable (the trainer's
checkpoints) and written once: `result.json` appears only when it is finished, and a finished unit is never run
again. On the same machine the same seed gives the same figures."""

from __future__ import annotations

import json
import time
from pathlib import Path

from evaluation.ablation.config import AblationConfig
from evaluation.ablation.prepare import Prepared
from evaluation.evaluate import evaluate
from evaluation.heldout import NEXT_SENTENCE, heldout_texts, read_items
from pipeline.errors import UserError
from pipeline.typed_config import load_config
from trainer.config import TrainConfig
from trainer.loop import Trainer


class UnitStopped(UserError):
    """A unit whose training was stopped before its last step; the next run resumes it."""


def unit_dir(ablation: AblationConfig, arm: str, seed: int) -> Path:
    return Path(ablation.out_dir) / "units" / f"{arm}-seed{seed}"


def train_config(ablation: AblationConfig, prepared: Prepared, arm: str, seed: int) -> TrainConfig:
    """The recipe with this unit's data, seed and output, and as many steps as the token budget takes."""
    settings = ablation.train
    base = load_config(TrainConfig, settings.config, settings.overrides)
    tokens_per_step = base.batch_size * base.grad_accum * base.block_size
    steps = max(1, round(settings.tokens / tokens_per_step))
    every = max(1, steps // max(1, settings.curve_points))
    curve = [str(path) for path in sorted(prepared.curve.glob("heldout_*.jsonl"))]
    return load_config(TrainConfig, settings.config, settings.overrides + [
        f"data_dir={prepared.shards[arm]}", f"out_dir={unit_dir(ablation, arm, seed) / 'run'}", f"seed={seed}",
        f"max_steps={steps}", f"eval_every={every}", f"checkpoint_every={every}", f"eval_texts={json.dumps(curve)}",
        f"warmup_steps={min(base.warmup_steps, steps - 1)}", "sample_tokens=0", "tensorboard=false"])


def _curve(log_file: Path, tokens_per_step: int) -> list[dict]:
    """Held-out bits per byte at each evaluation during training: [{step, tokens, <set>: bpb}] (a resumed run's
    later records win)."""
    points: dict[int, dict] = {}
    for line in log_file.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("event") == "eval":
            figures = {k.removeprefix("heldout_bpb/"): v for k, v in record.items() if k.startswith("heldout_bpb/")}
            points[record["step"]] = {"step": record["step"], "tokens": record["step"] * tokens_per_step, **figures}
    return [points[step] for step in sorted(points)]


def run_unit(ablation: AblationConfig, prepared: Prepared, arm: str, seed: int) -> dict:
    """Train (resuming a killed unit from its newest checkpoint) and evaluate; returns the unit's record."""
    folder = unit_dir(ablation, arm, seed)
    result = folder / "result.json"
    if result.exists():
        return json.loads(result.read_text())
    config = train_config(ablation, prepared, arm, seed)
    started = time.time()
    trainer = Trainer(config, resume=(Path(config.out_dir) / "checkpoints").exists())
    trainer.run()
    if trainer.step < config.max_steps:  # SIGTERM: the checkpoint is written, the unit is not finished
        raise UnitStopped(f"{folder}: stopped at step {trainer.step} of {config.max_steps}; run the ablation again "
                          f"to resume it")
    texts = heldout_texts(prepared.tasks)
    choices = {Path(name).name.split(".")[0]: read_items(prepared.tasks / name) for name in NEXT_SENTENCE.values()}
    figures = evaluate(trainer.module, trainer.sp, texts, choices, context=config.block_size,
                       device=trainer.processes.device)
    meta = json.loads((prepared.shards[arm] / "meta.json").read_text())
    train_tokens = meta["totals"]["train"]["tokens"]
    record = {
        "arm": arm, "seed": seed, "steps": config.max_steps, "tokens": trainer.tokens,
        "train_tokens_available": train_tokens, "epochs": round(trainer.tokens / max(1, train_tokens), 3),
        "parameters": trainer.module.parameter_counts()["total"], "seconds": round(time.time() - started, 1),
        "checkpoint": str(trainer.checkpoints.latest_sound()),
        "metrics": metrics(figures), "figures": figures,
        "curve": _curve(Path(config.out_dir) / "log.jsonl", trainer.tokens_per_step),
    }
    partial = result.with_suffix(".json.tmp")
    partial.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    partial.replace(result)
    return record


def metrics(figures: dict) -> dict[str, float]:
    """The figures the table compares: bits per byte per held-out text, accuracy per multiple-choice set."""
    out = {f"bpb/{name}": text["bits_per_byte"] for name, text in figures["texts"].items()}
    out |= {f"acc_norm/{name}": choice["accuracy_norm"] for name, choice in figures["choices"].items()}
    return out
