"""What every unit of an ablation trains and is evaluated on: the arms' pipeline runs (a variant run shares every
stage its overrides do not change), one tokenizer, each arm's shards, and the held-out evaluation files."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from evaluation.ablation.config import AblationConfig, ArmConfig
from evaluation.heldout import HINDI_TEXT, HINGLISH_TEXT, write_eval_tasks
from pipeline.config import RunConfig, load_run_config
from pipeline.documents import document_texts
from pipeline.runner import fingerprint, run_stages
from pipeline.stages import STAGES, get_stage
from pipeline.tokenize.settings import ShardConfig
from pipeline.tokenize.shards import write_shards
from pipeline.typed_config import ConfigError, load_config
from tokenizer.config import TokenizerConfig
from tokenizer.train import train_tokenizer

UNIT_KEYS = ("pipeline", "tokenizer", "train", "eval", "val_fraction")


@dataclass
class Prepared:
    tokenizer: Path
    shards: dict[str, Path]  # arm → shard folder
    tasks: Path  # the held-out files of the final evaluation (heldout_*.jsonl, next_sentence_*.jsonl)
    curve: Path  # the smaller held-out files scored during training


def arm_run_config(ablation: AblationConfig, arm: ArmConfig) -> RunConfig:
    """The pipeline run an arm reads: the ablation's base run, or a variant named after its overrides."""
    settings = ablation.pipeline
    variant = hashlib.sha1("\n".join(arm.overrides).encode()).hexdigest()[:8] if arm.overrides else "base"
    config = load_run_config(settings.config, settings.overrides + arm.overrides + [
        f"cards_dir={Path(ablation.out_dir) / 'cards'}"], settings.inputs or None, settings.workdir,
        run=f"{ablation.name}-{variant}")
    if get_stage(arm.stage).name == "tokenize":
        raise ConfigError(f"arm {arm.name}: stage tokenize holds tokens of another tokenizer; name a text stage "
                          f"(the ablation tokenizes every arm with its own tokenizer)")
    return config


def _stages_to_run(config: RunConfig, base: RunConfig | None, last: str) -> list[str]:
    """The stages up to `last` that this run must run itself; those it shares with `base` (same fingerprint, so
    the same documents) are linked to the base run's folders instead."""
    wanted = STAGES[: STAGES.index(get_stage(last)) + 1]
    names = []
    for stage in wanted:
        own, shared = stage.paths(config).root, stage.paths(base).root if base is not None else None
        if not names and shared is not None and shared.exists() and config.run != base.run and \
                fingerprint(config, stage) == fingerprint(base, stage):
            if not own.exists():
                own.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(shared.resolve(), own, target_is_directory=True)
            continue
        names.append(stage.name)
    return names


def run_pipelines(ablation: AblationConfig) -> dict[str, Path]:
    """Run each arm's pipeline up to its stage (finished tasks are skipped); arm → the stage's output folder."""
    configs = {arm.name: arm_run_config(ablation, arm) for arm in ablation.arms}
    by_run: dict[str, list[ArmConfig]] = {}
    for arm in ablation.arms:
        by_run.setdefault(configs[arm.name].run, []).append(arm)
    runs = sorted(by_run, key=lambda run: run != f"{ablation.name}-base")  # the base run first: variants share it
    base = None
    for run in runs:
        arms = by_run[run]
        config = configs[arms[0].name]
        last = max((arm.stage for arm in arms), key=lambda name: STAGES.index(get_stage(name)))
        names = _stages_to_run(config, base, last)
        print(f"ablation {ablation.name}: pipeline run {run} ({', '.join(a.name for a in arms)}): stages "
              f"{', '.join(names) or 'all shared with ' + base.run}", flush=True)
        if names:
            run_stages(config, names)
        base = base or config
    return {arm.name: get_stage(arm.stage).paths(configs[arm.name]).output for arm in ablation.arms}


def train_ablation_tokenizer(ablation: AblationConfig, documents: Path) -> Path:
    out = Path(ablation.out_dir) / "tokenizer"
    if (out / "train.json").exists():
        return out / "tokenizer.model"
    settings = ablation.tokenizer
    config = load_config(TokenizerConfig, settings.config, settings.overrides + [f"out={out}"])
    config.sample.inputs = [str(documents)]
    print(f"ablation {ablation.name}: tokenizer on arm {settings.arm} ({documents})", flush=True)
    return train_tokenizer(config)


def shard_arm(ablation: AblationConfig, arm: str, documents: Path, tokenizer: Path) -> Path:
    out = Path(ablation.out_dir) / "arms" / arm / "shards"
    if not (out / "meta.json").exists():
        print(f"ablation {ablation.name}: shards of arm {arm}", flush=True)
        write_shards(ShardConfig(inputs=[str(documents)], out=str(out), val_fraction=ablation.val_fraction), tokenizer)
    return out


def write_heldout(ablation: AblationConfig) -> tuple[Path, Path]:
    """The final evaluation's files and the smaller set scored during training (same names, another folder)."""
    settings, out = ablation.eval, Path(ablation.out_dir) / "eval_tasks"
    hindi = [doc for path in settings.hindi for doc in document_texts(path)]
    hinglish = [doc for path in settings.hinglish for doc in document_texts(path)]
    hindi = hindi[: settings.hindi_documents or None]
    hinglish = hinglish[: settings.hinglish_documents or None]
    sources = {"hindi": settings.hindi, "hinglish": settings.hinglish}
    if not (out / "manifest.json").exists():
        write_eval_tasks(out, hindi, hinglish, settings.seed, sources)
    curve = out / "curve"  # texts only: the plot is bits per byte, and one document makes no next-sentence item
    curve.mkdir(parents=True, exist_ok=True)
    for name, documents in ((HINDI_TEXT, hindi[: settings.curve_hindi_documents]),
                            (HINGLISH_TEXT, (hinglish or [])[: settings.curve_hinglish_documents])):
        if documents and not (curve / name).exists():
            (curve / name).write_text("".join(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in documents),
                                      encoding="utf-8")
    return out, curve


def prepare(ablation: AblationConfig) -> Prepared:
    outputs = run_pipelines(ablation)
    tokenizer = train_ablation_tokenizer(ablation, outputs[ablation.tokenizer.arm])
    shards = {arm: shard_arm(ablation, arm, folder, tokenizer) for arm, folder in outputs.items()}
    tasks, curve = write_heldout(ablation)
    return Prepared(tokenizer, shards, tasks, curve)


def check_same_config(ablation: AblationConfig, raw: dict) -> None:
    """Units of an out_dir are reused only with the data, tokenizer, recipe and evaluation that made them (arms and
    seeds may be added): another is refused, naming the keys that differ."""
    raw = {key: raw.get(key) for key in UNIT_KEYS}
    path = Path(ablation.out_dir) / "config.json"
    if path.exists() and json.loads(path.read_text()) != raw:
        stored = json.loads(path.read_text())
        differs = sorted(k for k in stored.keys() | raw.keys() if stored.get(k) != raw.get(k))
        raise ConfigError(f"{ablation.out_dir} holds an ablation made with other {', '.join(differs)}: remove it or "
                          f"set out_dir to another folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False))
