"""PII redaction throughput in MB/s per core against datatrove's PIIFormatter (e-mail and IP only) on the same
texts: the corpus's Hindi, web-like and Hinglish documents, in memory, one thread, CPU seconds, in turn, best of
REPEATS. Ours finds seven kinds in two digit scripts with checksums; datatrove's finds two."""

from __future__ import annotations

import time

from datatrove.pipeline.formatters import PIIFormatter

from bench.ingest_throughput import CORPUS
from bench.results_table import BenchResult
from bench.timing import best_alternating
from pipeline.documents import read_documents
from pipeline.pii.redact import redact

REPEATS = 3


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the PII benchmark reads the shared corpus")
    texts = [doc.text for doc in read_documents([CORPUS / d for d in ("hi_wiki_or_news", "hi_web_like", "hinglish")])]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    stock = PIIFormatter()
    ours_s, stock_s = best_alternating(
        lambda: [redact(t) for t in texts], lambda: [stock.format(t) for t in texts], REPEATS, time.process_time
    )
    print(f"pii: {megabytes:.1f} MB; ours {ours_s:.2f}s, datatrove PIIFormatter {stock_s:.2f}s (best of {REPEATS})")
    return [
        BenchResult(
            name="pii_throughput",
            value=megabytes / ours_s,
            unit="MB/s/core",
            baseline=megabytes / stock_s,
            baseline_name="datatrove PIIFormatter (e-mail + IP), same texts, one thread",
            target_ratio=1.0,
            details={"input_mb": round(megabytes, 2), "command": "make bench (python -m bench pii_throughput)"},
        )
    ]
