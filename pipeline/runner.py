"""Runs stages in order through the configured executor, then writes each stage's books and card."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

from datatrove.executor.base import PipelineExecutor

from pipeline.accounting import write_stage_stats
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.executors import build_executor, wait_for_slurm_jobs
from pipeline.stages import STAGES, Phase, Stage, get_stage, previous_stage
from pipeline.workdir import unfinished


class StageError(UserError):
    """A stage that cannot run as asked (missing input, changed settings) or whose books do not balance."""


def fingerprint(config: RunConfig, stage: Stage) -> dict:
    """What decides a stage's output: its settings, task count and input, and what its `identity` hook names (input
    files, models, word lists). The input of a later stage is the previous stage's fingerprint (as a digest), so a
    change anywhere upstream changes every stage after it. Completion markers are only valid for the same
    fingerprint."""
    previous = previous_stage(stage)
    settings = getattr(config.stages, stage.name, None)
    made_from = {
        "stage": stage.folder,
        "inputs": [dataclasses.asdict(s) for s in config.sources]
        if previous is None
        else {"stage": previous.folder, "fingerprint": _digest(fingerprint(config, previous))},
        "settings": dataclasses.asdict(settings) if settings is not None else {},
        "tasks": config.executor.tasks,
    }
    return json.loads(json.dumps(made_from | stage.identity(config)))  # as stored: mapping keys become strings


def _digest(made_from: dict) -> str:
    return hashlib.sha256(json.dumps(made_from, sort_keys=True).encode()).hexdigest()[:16]


def stale_stages(config: RunConfig) -> list[Stage]:
    """Stage folders made from something else than this config asks for (their settings, task count, input or
    an upstream stage changed), and every stage folder after the first of them."""
    for index, stage in enumerate(STAGES):
        if not runnable(config, stage):
            continue
        stored = stage.paths(config).fingerprint
        if stored.exists() and json.loads(stored.read_text()) != fingerprint(config, stage):
            return [s for s in STAGES[index:] if s.paths(config).root.exists()]
    return []


def refuse_stale(config: RunConfig) -> None:
    stale = stale_stages(config)
    if not stale:
        return
    first = stale[0]
    stored = json.loads(first.paths(config).fingerprint.read_text())
    wanted = fingerprint(config, first)
    differs = sorted(k for k in wanted.keys() | stored.keys() if wanted.get(k) != stored.get(k))
    raise StageError(
        f"{first.paths(config).root} was made with other {', '.join(differs)} than this run asks for, so it and "
        f"what was made from it are stale: {', '.join(s.folder for s in stale)}. Remove them "
        f"(rm -r {' '.join(str(s.paths(config).root) for s in stale)}) or run again with --redo-from "
        f"{first.name}; or pass --run NAME or --workdir DIR to write elsewhere."
    )


def redo_from(config: RunConfig, name: str) -> list[str]:
    """Remove the folders of stage `name` and of every stage after it; returns what was removed."""
    first = get_stage(name)
    removed = [s.paths(config).root for s in STAGES if s.number >= first.number and s.paths(config).root.exists()]
    for root in removed:
        shutil.rmtree(root)
    return [str(root) for root in removed]


def _record_fingerprint(config: RunConfig, stage: Stage) -> None:
    paths = stage.paths(config)
    if not paths.fingerprint.exists():
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.fingerprint.write_text(json.dumps(fingerprint(config, stage), ensure_ascii=False, indent=2))


def run_stages(config: RunConfig, names: list[str] | None = None, write_cards: bool = True) -> list[dict]:
    """Run the named stages (all, in order, by default); returns each finished stage's summary."""
    stages = [get_stage(n) for n in names] if names else [s for s in STAGES if runnable(config, s)]
    for stage in STAGES if not names else []:
        if (reason := stage.missing(config)) is not None:
            print(f"not run: {stage.folder} ({reason})")
    stages.sort(key=lambda s: s.number)
    refuse_stale(config)
    if config.executor.kind == "ray":
        _ensure_ray(config)
    if config.executor.kind == "slurm":
        return _run_on_slurm(config, stages, write_cards)
    summaries = []
    for stage in stages:
        _run_stage(config, stage, depends=None)
        summaries.append(finish_stage(config, stage, write_cards))
    return summaries


def _run_on_slurm(config: RunConfig, stages: list[Stage], write_cards: bool) -> list[dict]:
    """Submits every stage's array jobs at once, each depending on the one before; with `executor.slurm.wait`,
    waits for them and writes the books and cards, else returns at once (`python -m pipeline card` writes them)."""
    submitted: list[PipelineExecutor] = []
    for stage in stages:
        _run_stage(config, stage, submitted[-1] if submitted else None, submitted)
    jobs = [str(e.job_id) for e in submitted if e.job_id not in (None, -1)]
    print(f"{', '.join(s.folder for s in stages)}: submitted to Slurm as job(s) {', '.join(jobs) or 'none (done)'}")
    if not config.executor.slurm.wait:
        print(f"run `python -m pipeline card CONFIG` (same options) when they have finished (squeue -j "
              f"{','.join(jobs)}), or pass --executor.slurm.wait=true to wait")
        return []
    wait_for_slurm_jobs(jobs)
    summaries = [finish_stage(config, stage, write_cards) for stage in stages]
    incomplete = [f"{s['stage']} ({s['tasks_completed']} of {s['tasks']} tasks)" for s in summaries
                  if s["tasks_completed"] < s["tasks"]]
    if incomplete:
        raise StageError(f"Slurm jobs ended without finishing {', '.join(incomplete)}: see each stage's "
                         f"logs/slurm/; run the same command again to run only the unfinished tasks")
    return summaries


def runnable(config: RunConfig, stage: Stage) -> bool:
    """Whether this config can run the stage (the tokenize stage needs a tokenizer, trained on the stages before
    it)."""
    return stage.missing(config) is None


def _run_stage(config: RunConfig, stage: Stage, depends: PipelineExecutor | None,
               submitted: list[PipelineExecutor] | None = None) -> PipelineExecutor | None:
    """Runs the stage's tasks (on Slurm: submits them, after `depends`, adding each phase's executor to
    `submitted`); None when the previous stage finished but kept nothing (there is nothing to read, and the
    stage's books are all zeros)."""
    paths = stage.paths(config)
    previous = previous_stage(stage)
    if previous is not None and config.executor.kind != "slurm":  # on Slurm, a job waits for the one before
        if not previous.paths(config).root.exists():
            raise StageError(f"{stage.folder} reads {previous.folder}, which has not run: run "
                             f"`--stage {previous.name}` first")
        if (problem := unfinished(previous.paths(config).root)) is not None:
            raise StageError(
                f"{stage.folder} reads {previous.folder}, which is unfinished ({problem}): finish it with "
                f"`--stage {previous.name}` first (its finished tasks are skipped)"
            )
        if not any(Path(previous.paths(config).output).glob("*")):
            print(f"{stage.folder}: {previous.folder} kept no documents, so there is nothing to do")
            _record_fingerprint(config, stage)
            return None
    if stage.prepare is not None:  # what the stage reads besides its input: there before its fingerprint
        stage.prepare(config, previous.paths(config) if previous else None)
    _record_fingerprint(config, stage)
    built = stage.build(config, paths, previous.paths(config) if previous else None)
    phases = built if built and isinstance(built[0], Phase) else [Phase("main", built)]
    slurm, executor = config.executor.kind == "slurm", depends
    for n, phase in enumerate(phases):
        last = n == len(phases) - 1
        logs = paths.logs if last else paths.logs / "phases" / phase.name
        name = f"{config.run}_{stage.folder}" + ("" if last else f"_{phase.name}")
        executor = build_executor(config.executor, phase.steps, logs, name, executor if slurm else None, phase.tasks)
        if slurm:
            submitted.append(executor)
        else:
            executor.run()
    if slurm:  # each phase's array job depends on the one before it; submitting the last submits them all
        executor.run()
    return executor


def finish_stage(config: RunConfig, stage: Stage, write_cards: bool = True) -> dict:
    """Books (stats.json) and card for a stage whose tasks have run; refuses books that do not balance."""
    paths = stage.paths(config)
    summary = write_stage_stats(paths, config.executor.tasks)
    if stage.finish is not None and summary["tasks_completed"] == summary["tasks"]:
        stage.finish(config, paths)
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
