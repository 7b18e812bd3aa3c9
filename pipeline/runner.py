"""Runs stages in order through the configured executor, then writes each stage's books and card."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from datatrove.executor.base import PipelineExecutor

from pipeline.accounting import write_stage_stats
from pipeline.config import RunConfig
from pipeline.executors import build_executor
from pipeline.stages import STAGES, Phase, Stage, get_stage, previous_stage


class StageError(RuntimeError):
    """A stage that cannot run as asked (missing input, changed settings) or whose books do not balance."""


def fingerprint(config: RunConfig, stage: Stage) -> dict:
    """What decides a stage's output. Completion markers are only valid for the same fingerprint."""
    previous = previous_stage(stage)
    settings = getattr(config.stages, stage.name, None)
    return {
        "stage": stage.folder,
        "inputs": [dataclasses.asdict(s) for s in config.sources]
        if previous is None
        else str(previous.paths(config).output),
        "settings": dataclasses.asdict(settings) if settings is not None else {},
        "tasks": config.executor.tasks,
    }


def check_fingerprint(config: RunConfig, stage: Stage) -> None:
    paths = stage.paths(config)
    wanted = json.loads(json.dumps(fingerprint(config, stage)))  # as stored: mapping keys become strings
    if paths.fingerprint.exists():
        found = json.loads(paths.fingerprint.read_text())
        if found != wanted:
            differs = sorted(k for k in wanted if wanted[k] != found.get(k))
            raise StageError(
                f"{paths.root} was made with other {', '.join(differs)} than this run asks for; finished "
                "tasks would be skipped and the output would mix both. Delete that folder, or pass "
                "--run NAME or --workdir DIR to write elsewhere."
            )
        return
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.fingerprint.write_text(json.dumps(wanted, ensure_ascii=False, indent=2))


def run_stages(config: RunConfig, names: list[str] | None = None, write_cards: bool = True) -> list[dict]:
    """Run the named stages (all, in order, by default); returns each finished stage's summary."""
    stages = [get_stage(n) for n in names] if names else STAGES
    stages.sort(key=lambda s: s.number)
    if config.executor.kind == "ray":
        _ensure_ray(config)
    summaries, executor = [], None
    for stage in stages:
        executor = _run_stage(config, stage, depends=executor if config.executor.kind == "slurm" else None)
        if config.executor.kind == "slurm":
            print(f"{stage.folder}: submitted to Slurm; run `make cards` when its jobs have finished")
            continue
        summaries.append(finish_stage(config, stage, write_cards))
    return summaries


def _run_stage(config: RunConfig, stage: Stage, depends: PipelineExecutor | None) -> PipelineExecutor | None:
    """Runs the stage's tasks; None when the previous stage finished but kept nothing (there is nothing to read,
    and the stage's books are all zeros)."""
    paths = stage.paths(config)
    previous = previous_stage(stage)
    if previous is not None and config.executor.kind != "slurm":
        if not any(Path(previous.paths(config).output).glob("*")):
            if previous.paths(config).stats.exists():
                print(f"{stage.folder}: {previous.folder} kept no documents, so there is nothing to do")
                check_fingerprint(config, stage)
                return None
            raise StageError(
                f"{stage.folder} reads {previous.paths(config).output}, which is empty: run "
                f"`--stage {previous.name}` first"
            )
    check_fingerprint(config, stage)
    built = stage.build(config, paths, previous.paths(config) if previous else None)
    phases = built if built and isinstance(built[0], Phase) else [Phase("main", built)]
    slurm, executor = config.executor.kind == "slurm", depends
    for n, phase in enumerate(phases):
        last = n == len(phases) - 1
        logs = paths.logs if last else paths.logs / "phases" / phase.name
        name = f"{config.run}_{stage.folder}" + ("" if last else f"_{phase.name}")
        executor = build_executor(config.executor, phase.steps, logs, name, executor if slurm else None, phase.tasks)
        if not slurm:
            executor.run()
    if slurm:  # each phase's array job depends on the one before it; submitting the last submits them all
        executor.run()
    return executor


def finish_stage(config: RunConfig, stage: Stage, write_cards: bool = True) -> dict:
    """Books (stats.json) and card for a stage whose tasks have run; refuses books that do not balance."""
    paths = stage.paths(config)
    summary = write_stage_stats(paths, config.executor.tasks)
    if write_cards:
        from pipeline.cards import write_stage_card

        write_stage_card(config, stage, summary)
    if summary["tasks_completed"] == summary["tasks"] and not summary["balanced"]:
        raise StageError(
            f"{stage.folder}: {summary['documents_in']} documents in + {summary['documents_added']} added but "
            f"{summary['documents_out']} out + {summary['documents_set_aside']} set aside; see {paths.stats}"
        )
    return summary


def _ensure_ray(config: RunConfig) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address=config.executor.ray.address, include_dashboard=False)
