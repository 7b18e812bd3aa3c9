"""filter_throughput's and dedup_throughput's two sides on a sample, for a machine too busy for the full runs:
--limit documents of each file of an 01_ingest output folder, spread evenly over the file
(`bench.profile_stage.sample_input`), in this process, one task, CPU seconds, the sides in turn, --repeats times.
Prints each repeat and the ratio range.

    python -m bench.pipeline_sample filter --input WORK/RUN/01_ingest/output --limit 1500 --repeats 3
    python -m bench.pipeline_sample dedup --input WORK/RUN/01_ingest/output --limit 1500 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.dedup_throughput import _stock as stock_dedup
from bench.filter_throughput import _stock_chain
from bench.ingest_throughput import time_pipeline
from bench.profile_stage import sample_input
from pipeline.config import RunConfig
from pipeline.stages import get_stage
from pipeline.workdir import StagePaths


def _ours(stage_name: str, source: Path, work: Path) -> float:
    config = RunConfig(run="sample", workdir=str(work), cards_dir=str(work / "cards"))
    config.executor.tasks = 1
    config.stages.filter.language.hinglish_model = "none"
    stage = get_stage(stage_name)
    paths = stage.paths(config)
    built = stage.build(config, paths, StagePaths(source.parent))
    if stage_name == "filter":
        return time_pipeline(built, paths.logs)
    return sum(time_pipeline(p.steps, paths.logs / p.name, p.tasks or 1) for p in built)


def _stock(stage_name: str, source: Path, work: Path) -> float:
    if stage_name == "filter":
        return time_pipeline(_stock_chain(source, work / "out"), work / "logs")
    return stock_dedup(source, work)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=["filter", "dedup"])
    parser.add_argument("--input", type=Path, required=True, help="an 01_ingest output folder")
    parser.add_argument("--limit", type=int, default=1500, help="documents per input file")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sample = Path(tempfile.mkdtemp()) / "01_ingest" / "output"
    megabytes = sample_input(sorted(args.input.glob("*.jsonl.gz")), args.limit, sample)
    ours, stock = [], []
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            ours.append(_ours(args.stage, sample, Path(tmp) / "ours"))
            stock.append(_stock(args.stage, sample, Path(tmp) / "stock"))
        print(f"repeat {i}: ours {ours[-1]:.2f} CPU s, stock {stock[-1]:.2f}", flush=True)
    shutil.rmtree(sample.parent.parent)
    ratios = [s / o for o, s in zip(ours, stock, strict=True)]
    print(
        f"{args.stage}: {megabytes:.2f} MB; ours {megabytes / max(ours):.2f}–{megabytes / min(ours):.2f} MB/s/core, "
        f"stock {megabytes / max(stock):.2f}–{megabytes / min(stock):.2f}; ratio {min(ratios):.2f}–{max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
