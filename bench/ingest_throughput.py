"""Ingest throughput in MB/s per core against datatrove's plain JsonlReader → JsonlWriter on the same files.

Both run as one datatrove task in one process (so MB/s is per core) over every JSONL file in
../shared/corpus, uncompressed size counted; each is timed REPEATS times, alternating, and the best
time kept, so that a busy moment on the machine hurts neither side alone.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from bench.results_table import BenchResult
from pipeline.config import RunConfig, SourceConfig
from pipeline.ingest.settings import IngestConfig
from pipeline.runner import run_stages
from pipeline.stages import get_stage
from pipeline.workdir import StagePaths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
REPEATS = 3


def input_bytes(files: list[Path]) -> int:
    return sum(len(gzip.decompress(f.read_bytes())) if f.suffix == ".gz" else f.stat().st_size for f in files)


def time_pipeline(pipeline, logs: Path, tasks: int = 1) -> float:
    """Seconds for `pipeline` as `tasks` datatrove tasks run one after another in one worker."""
    start = time.perf_counter()
    LocalPipelineExecutor(pipeline, tasks=tasks, workers=1, logging_dir=str(logs), skip_completed=False).run()
    return time.perf_counter() - start


def ingest_corpus(workdir: str) -> tuple[RunConfig, StagePaths, float]:
    """The whole shared corpus through stage 01_ingest in one task under `workdir`: the input of the later stages'
    benchmarks. Returns the run config, the ingest stage's paths and the ingested megabytes (uncompressed)."""
    config = RunConfig(
        run="bench",
        workdir=workdir,
        cards_dir=str(Path(workdir) / "cards"),
        sources=[SourceConfig(name="corpus", kind="jsonl", path=str(CORPUS), glob="**/*.jsonl*")],
    )
    config.executor.tasks = 1
    run_stages(config, ["ingest"], write_cards=False)
    paths = get_stage("ingest").paths(config)
    return config, paths, input_bytes(sorted(paths.output.glob("*.jsonl.gz"))) / 1e6


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the ingest benchmark reads the shared corpus")
    files = sorted(CORPUS.rglob("*.jsonl*"))
    megabytes = input_bytes(files) / 1e6
    config = RunConfig(
        run="bench",
        sources=[SourceConfig(name="corpus", kind="jsonl", path=str(CORPUS), glob="**/*.jsonl*")],
        stages=type(RunConfig().stages)(ingest=IngestConfig()),
    )
    ours, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(REPEATS):
            work = Path(tmp) / str(i)
            config.workdir = str(work)
            stage = get_stage("ingest")
            paths = stage.paths(config)
            ours.append(time_pipeline(stage.build(config, paths, None), paths.logs))
            baseline = [
                JsonlReader(str(CORPUS), glob_pattern="**/*.jsonl*"),
                JsonlWriter(str(work / "plain")),
            ]
            plain.append(time_pipeline(baseline, work / "plain_logs"))
            shutil.rmtree(work)
    best_ours, best_plain = min(ours), min(plain)
    print(
        f"ingest: {megabytes:.1f} MB in {best_ours:.2f}s; plain read/write {best_plain:.2f}s "
        f"(best of {REPEATS}; all: ours {[round(t, 2) for t in ours]}, plain {[round(t, 2) for t in plain]})"
    )
    return [
        BenchResult(
            name="ingest_throughput",
            value=megabytes / best_ours,
            unit="MB/s/core",
            baseline=megabytes / best_plain,
            baseline_name="datatrove JsonlReader -> JsonlWriter, same files, 1 task",
            target_ratio=0.8,
            details={
                "input_mb": round(megabytes, 2),
                "files": len(files),
                "seconds": best_ours,
                "baseline_seconds": best_plain,
                "command": "make bench (python -m bench ingest_throughput)",
            },
        )
    ]
