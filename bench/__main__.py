"""python -m bench [NAME ...]: run benchmarks (all by default), write bench/results/*.json, print a table."""

from __future__ import annotations

import importlib
import sys

from bench.results_table import print_table

BENCHMARKS = [
    "ingest_throughput",
    "filter_throughput",
    "dedup_throughput",
    "pii_throughput",
    "pipeline_scale",
    "tokenizer_encode",
    "model_speed",
    "model_gpu",
    "trainer_speed",
    "gguf_cpu",
    "webapp_load",
]


def main(names: list[str]) -> int:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; known: {BENCHMARKS}", file=sys.stderr)
        return 2
    results = []
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        for result in module.run():
            print(f"wrote {result.save()}")
            results.append(result)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
