"""Where a stage spends its CPU time: the stage's steps (every phase of a multi-phase stage) run in this process,
one task, under cProfile, on a previous stage's output; prints CPU seconds per MB and the functions with the
most own time, and writes the full profile (`python -m pstats FILE`, or snakeviz) beside it.

    python -m bench.profile_stage filter --input WORK/RUN/01_ingest/output [--limit 3000] [--top 25]

--input is the output folder of the stage before (gzip JSONL); --limit reads at most that many documents per
file. The romanised-Hindi detector is off, as in `pipeline_scale`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import tempfile
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader

from bench.ingest_throughput import input_bytes
from pipeline.config import RunConfig
from pipeline.phase import Phase
from pipeline.stages import get_stage
from pipeline.workdir import StagePaths


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _phases(stage_name: str, source: Path, work: Path, limit: int) -> list[Phase]:
    config = RunConfig(run="profile", workdir=str(work), cards_dir=str(work / "cards"))
    config.executor.tasks = 1
    config.stages.filter.language.hinglish_model = "none"
    stage = get_stage(stage_name)
    built = stage.build(config, stage.paths(config), StagePaths(source.parent))
    phases = built if isinstance(built[0], Phase) else [Phase(stage_name, built)]
    for phase in phases:
        for step in phase.steps:
            if isinstance(step, JsonlReader):
                step.limit = limit
    return phases


def profile(stage_name: str, source: Path, limit: int, top: int, out: Path) -> float:
    """Runs the stage on `source` under cProfile; returns CPU seconds per MB of the JSONL it read."""
    files = sorted(source.glob("*.jsonl.gz"))
    with tempfile.TemporaryDirectory() as tmp:
        phases = _phases(stage_name, source, Path(tmp), limit)
        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        start = _cpu_seconds()
        profiler.enable()
        for phase in phases:
            logs = str(Path(tmp) / "logs" / phase.name)
            LocalPipelineExecutor(phase.steps, tasks=phase.tasks or 1, workers=1, logging_dir=logs).run()
        profiler.disable()
        seconds = _cpu_seconds() - start
    megabytes = input_bytes(files) / 1e6 if limit < 0 else _limited_megabytes(files, limit)
    profiler.dump_stats(out)
    print(f"{stage_name}: {megabytes:.1f} MB, {seconds:.1f} CPU s under the profiler, {seconds / megabytes:.2f} s/MB")
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(top)
    return seconds / megabytes


def _limited_megabytes(files: list[Path], limit: int) -> float:
    import gzip

    total = 0
    for path in files:
        with gzip.open(path, "rb") as f:
            total += sum(len(line) for _, line in zip(range(limit), f, strict=False))
    return total / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage")
    parser.add_argument("--input", type=Path, required=True, help="the previous stage's output folder")
    parser.add_argument("--limit", type=int, default=-1, help="documents per input file (-1: all)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=None, help="profile file (default: /tmp/profile_STAGE.prof)")
    args = parser.parse_args(argv)
    if not args.input.is_dir():
        raise SystemExit(f"{args.input} is not a folder: give a stage's output folder")
    profile(args.stage, args.input, args.limit, args.top, args.out or Path(f"/tmp/profile_{args.stage}.prof"))


if __name__ == "__main__":
    main()
