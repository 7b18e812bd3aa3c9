"""Dedup-stage throughput in MB/s per core against datatrove's stock MinHash (its four stages, default config:
14 buckets × 8 hashes, default normalisation; word tokenizer hin_Deva, as its English one needs spaCy) on the same
input: the whole shared corpus after stage 01_ingest.
Ours adds the exact-hash phases and uses 40 × 4 hashes. One task per shard phase (so MB/s is per core), the
bucket phases one task per bucket; CPU seconds, each side REPEATS times in turn, the best kept.
Ours keeps no single-task exact phase: its exact groups are partitioned by hash prefix over the tasks."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from bench.ingest_throughput import CORPUS, ingest_corpus, time_pipeline
from bench.results_table import BenchResult
from pipeline.stages import get_stage

REPEATS = 3


def _stock(source: Path, work: Path) -> float:
    config = MinhashConfig()
    sigs, buckets, clusters = (str(work / n) for n in ("sigs", "buckets", "clusters"))
    phases = [
        (
            [
                JsonlReader(str(source), glob_pattern="*.jsonl.gz"),
                MinhashDedupSignature(sigs, config=config, language="hin_Deva"),
            ],
            1,
        ),
        ([MinhashDedupBuckets(sigs, buckets, config=config)], config.num_buckets),
        ([MinhashDedupCluster(buckets, clusters, config=config)], 1),
        (
            [
                JsonlReader(str(source), glob_pattern="*.jsonl.gz"),
                MinhashDedupFilter(clusters),
                JsonlWriter(str(work / "out")),
            ],
            1,
        ),
    ]
    return sum(time_pipeline(steps, work / f"logs{n}", tasks) for n, (steps, tasks) in enumerate(phases))


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the dedup benchmark reads the shared corpus")
    with tempfile.TemporaryDirectory() as tmp:
        config, ingest_paths, megabytes = ingest_corpus(tmp)
        stage = get_stage("dedup")
        all_ours, all_stock = [], []
        for i in range(REPEATS):
            paths = stage.paths(config)
            phases = stage.build(config, paths, ingest_paths)  # read the ingest output directly
            all_ours.append(sum(time_pipeline(p.steps, paths.logs / p.name, p.tasks or 1) for p in phases))
            shutil.rmtree(paths.root)
            all_stock.append(_stock(ingest_paths.output, Path(tmp) / f"stock{i}"))
            shutil.rmtree(Path(tmp) / f"stock{i}")
    ours, stock = min(all_ours), min(all_stock)
    print(
        f"dedup: {megabytes:.1f} MB; ours {ours:.1f} CPU s (exact + MinHash 40x4), stock MinHash 14x8 {stock:.1f} "
        f"(best of {REPEATS}; all: ours {[round(t, 1) for t in all_ours]}, stock {[round(t, 1) for t in all_stock]})"
    )
    return [
        BenchResult(
            name="dedup_throughput",
            value=megabytes / ours,
            unit="MB/s/core",
            baseline=megabytes / stock,
            baseline_name="datatrove MinHash, 4 stages, default config, same input, 1 task per shard phase",
            target_ratio=1.0,
            details={
                "input_mb": round(megabytes, 2),
                "seconds": all_ours,
                "baseline_seconds": all_stock,
                "command": "make bench (python -m bench dedup_throughput)",
            },
        )
    ]
