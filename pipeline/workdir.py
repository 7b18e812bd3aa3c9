"""Where a stage's files live (`<workdir>/<run>/<NN_stage>/{output,rejected/<filter>,logs,stats.json}`), and the
work folder's rules: which stage is the last finished one, and whether a stage has finished."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UserError

TOKENS_STAGE = "06_tokenize"  # the stage that writes shards: its output is tokens, not text to read


@dataclass(frozen=True)
class StagePaths:
    root: Path

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def rejected(self) -> Path:
        return self.root / "rejected"

    @property
    def removed(self) -> Path:
        """Duplicates a dedup stage removed (removed/exact, removed/near), each naming what it duplicates."""
        return self.root / "removed"

    def rejected_by(self, filter_name: str) -> Path:
        return self.rejected / filter_name

    @property
    def tasks(self) -> Path:
        """Per-task records of a stage whose tasks' outputs are merged after them (06_tokenize's shards)."""
        return self.root / "tasks"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def stats(self) -> Path:
        """The stage's own summary (accounting), written after every run of the stage."""
        return self.root / "stats.json"

    @property
    def fingerprint(self) -> Path:
        """What the stage was run on and with; a re-run with other inputs or settings is refused."""
        return self.root / "run.json"


def stage_paths(run_dir: Path, folder: str) -> StagePaths:
    return StagePaths(Path(run_dir) / folder)


def last_stage_output(run_dir: str) -> list[str]:
    """[the output folder of the highest-numbered text stage under `run_dir`]: the corpus the pipeline finished. A
    stage that has not finished (killed, still queued on Slurm, or books that do not balance) is refused by name."""
    stages = sorted(p.parent for p in Path(run_dir).glob("[0-9][0-9]_*/run.json") if p.parent.name != TOKENS_STAGE)
    if not stages:
        raise FileNotFoundError(f"{run_dir} holds no stage output: run the pipeline first (make run / make demo), "
                                f"or pass --input PATH")
    last = stages[-1]
    if (problem := unfinished(last)) is not None:
        stage = last.name.split("_", 1)[1]
        raise UnfinishedStageError(f"{last} is unfinished ({problem}): finish it with `python -m pipeline run CONFIG "
                                   f"--stage {stage}` (the run's config and --input; finished tasks are skipped), "
                                   f"or `make {stage}`")
    return [str(last / "output")]


class UnfinishedStageError(UserError):
    """The stage a later stage, the tokenizer or shards would read has not finished."""


def unfinished(stage_dir: Path) -> str | None:
    """Why a stage folder is not finished, or None: its books (stats.json) must be written after every task
    completed and balance."""
    stats_file = stage_dir / "stats.json"
    if not stats_file.exists():
        return "no stats.json: its tasks have not all run"
    stats = json.loads(stats_file.read_text())
    completions = stage_dir / "logs" / "completions"
    done = len(list(completions.glob("*"))) if completions.exists() else 0
    if done < stats["tasks"] or stats["tasks_completed"] < stats["tasks"]:
        return f"{done} of {stats['tasks']} tasks completed"
    if not stats["balanced"]:
        return f"its books do not balance, see {stats_file}"
    return None
