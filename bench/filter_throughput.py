"""Filter-stage throughput in MB/s per core against datatrove's stock LanguageFilter + GopherQualityFilter.

Input: the whole shared corpus after stage 01_ingest (Hindi, web-like, Hinglish, English), made once. Both
chains run as one datatrove task in one process, read the same files and write what they keep; ours also
writes every set-aside document with its reason. The stock chain gets the same local lid.176 file (its own
would download one), language hin_Deva (its default English tokenizer needs a download too) and the Hindi
stop words (with English ones it keeps no Hindi and so writes nothing). Timed in turn, best of REPEATS.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from datatrove.pipeline.filters import GopherQualityFilter, LanguageFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from bench.ingest_throughput import CORPUS, ingest_corpus, time_pipeline
from bench.results_table import BenchResult
from pipeline.filter.hinglish_model import ensure_detector
from pipeline.filter.language_id import LocalFT176LID, bundled_lid176
from pipeline.filter.settings import GopherQualitySettings
from pipeline.stages import get_stage

REPEATS = 3


def _stock_chain(source: Path, out: Path) -> list:
    language = LanguageFilter(languages=["hi"])
    language.model = LocalFT176LID(bundled_lid176(), languages=["hi"], k=-1)
    return [
        JsonlReader(str(source), glob_pattern="*.jsonl.gz"),
        language,
        GopherQualityFilter(language="hin_Deva", stop_words=GopherQualitySettings().stop_words),
        JsonlWriter(str(out)),
    ]


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the filter benchmark reads the shared corpus")
    with tempfile.TemporaryDirectory() as tmp:
        config, ingest_paths, megabytes = ingest_corpus(tmp)
        # the stage's romanised-Hindi detector, as the runner trains it
        ensure_detector(config.stages.filter.language, config.workdir, ingest_paths)
        stage = get_stage("filter")
        ours, stock = [], []
        for i in range(REPEATS):
            paths = stage.paths(config)
            ours.append(time_pipeline(stage.build(config, paths, ingest_paths), paths.logs))
            shutil.rmtree(paths.root)
            work = Path(tmp) / f"stock{i}"
            stock.append(time_pipeline(_stock_chain(ingest_paths.output, work / "out"), work / "logs"))
            shutil.rmtree(work)
    print(
        f"filter: {megabytes:.1f} MB in {min(ours):.2f}s; stock LanguageFilter + GopherQualityFilter {min(stock):.2f}s "
        f"(best of {REPEATS}; all: ours {[round(t, 2) for t in ours]}, stock {[round(t, 2) for t in stock]})"
    )
    return [
        BenchResult(
            name="filter_throughput",
            value=megabytes / min(ours),
            unit="MB/s/core",
            baseline=megabytes / min(stock),
            baseline_name="datatrove LanguageFilter(lid.176) + GopherQualityFilter(hin_Deva, Hindi stop words), 1 task",
            target_ratio=0.7,
            details={"input_mb": round(megabytes, 2), "command": "make bench (python -m bench filter_throughput)"},
        )
    ]
