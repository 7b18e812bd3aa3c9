"""Where a stage spends its CPU time: the stage's steps (every phase of a multi-phase stage) run in this process,
one task, under cProfile, on a previous stage's output; prints CPU seconds per MB and the functions with the
most own time, and writes the full profile (`python -m pstats FILE`, or snakeviz) beside it.

    python -m bench.profile_stage filter --input WORK/RUN/01_ingest/output [--limit 3000] [--top 25]

--input is the output folder of the stage before (gzip JSONL); --limit takes that many documents per file, spread
evenly over the file (`sample_input`). The romanised-Hindi detector is off, as in `pipeline_scale`.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import pstats
import resource
import tempfile
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor

from bench.ingest_throughput import input_bytes
from pipeline.config import RunConfig
from pipeline.phase import Phase
from pipeline.stages import get_stage
from pipeline.workdir import StagePaths


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _phases(stage_name: str, source: Path, work: Path) -> list[Phase]:
    config = RunConfig(run="profile", workdir=str(work), cards_dir=str(work / "cards"))
    config.executor.tasks = 1
    config.stages.filter.language.hinglish_model = "none"
    stage = get_stage(stage_name)
    built = stage.build(config, stage.paths(config), StagePaths(source.parent))
    return built if isinstance(built[0], Phase) else [Phase(stage_name, built)]


def profile(stage_name: str, source: Path, limit: int, top: int, out: Path) -> float:
    """Runs the stage on `source` under cProfile; returns CPU seconds per MB of the JSONL it read."""
    files = sorted(source.glob("*.jsonl.gz"))
    with tempfile.TemporaryDirectory() as tmp:
        if limit > 0:
            source = Path(tmp) / "previous" / "output"
            megabytes = sample_input(files, limit, source)
        else:
            megabytes = input_bytes(files) / 1e6
        phases = _phases(stage_name, source, Path(tmp) / "work")
        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        start = _cpu_seconds()
        profiler.enable()
        for phase in phases:
            logs = str(Path(tmp) / "logs" / phase.name)
            LocalPipelineExecutor(phase.steps, tasks=phase.tasks or 1, workers=1, logging_dir=logs).run()
        profiler.disable()
        seconds = _cpu_seconds() - start
    profiler.dump_stats(out)
    print(f"{stage_name}: {megabytes:.1f} MB, {seconds:.1f} CPU s under the profiler, {seconds / megabytes:.2f} s/MB")
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(top)
    return seconds / megabytes


def sample_input(files: list[Path], per_file: int, out: Path) -> float:
    """Writes `per_file` documents of each file, spread evenly over it (every k-th line: the corpus files are
    ordered by source, so their first lines are all news), to `out` under the same names; returns their MB."""
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in files:
        with gzip.open(path, "rb") as f:
            lines = f.readlines()
        sample = lines[:: max(1, len(lines) // per_file)][:per_file]
        with gzip.open(out / path.name, "wb") as f:
            f.writelines(sample)
        total += sum(map(len, sample))
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
