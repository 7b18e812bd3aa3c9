"""A stage made of several executor runs (the dedup stage's MinHash phases) lists them as `Phase`s."""

from __future__ import annotations

from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep


@dataclass(frozen=True)
class Phase:
    """One executor run of a stage made of several (MinHash: signatures, buckets, clusters, filter). Only the last
    phase reads the stage's input into its output, so the stage's books come from its logs; the others log to
    logs/phases/<name>/."""

    name: str
    steps: list[PipelineStep]
    tasks: int | None = None  # None: the config's executor.tasks
