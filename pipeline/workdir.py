"""Where a stage's files live: `<workdir>/<run>/<NN_stage>/{output,rejected/<filter>,logs,stats.json}`."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson


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


def iter_records(folder: Path, limit: int) -> Iterator[dict]:
    """Records of a stage folder's JSONL files; about `limit` in all, the first ones of every file."""
    files = sorted(Path(folder).rglob("*.jsonl*")) if Path(folder).exists() else []
    per_file = max(1, limit // max(1, len(files)))
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            for n, line in enumerate(f):
                if n >= per_file:
                    break
                yield orjson.loads(line)
