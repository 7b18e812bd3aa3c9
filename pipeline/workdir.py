"""Where a stage's files live: `<workdir>/<run>/<NN_stage>/{output,rejected/<filter>,logs,stats.json}`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
