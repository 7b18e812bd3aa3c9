"""The whole chain (01_ingest … 06_tokenize) at two corpus sizes, 2 tasks: per stage MB/s per core, peak resident
memory, and the ratio of cost per MB between the sizes (1.0 = linear); and 06_tokenize on 2 tasks against 1.

The corpus is built from ../shared/corpus's JSONL (every text, then copies of it with 5% of words dropped and a
header added, and some exact copies), so dedup has real work at every size. Each stage runs in its own process
(`python -m pipeline run --stage NAME`), timed by wall clock and by CPU seconds of the process and its tasks (the
machine is shared: CPU seconds per MB is the figure that does not depend on who else runs). The romanised-Hindi
detector is off (`hinglish_model=none`) and the tokenizer (BPE, 8,000 pieces) is trained once on the smaller
run's 05_hinglish output, outside the timings.

It prints CPU seconds per MB per stage and for the whole chain; per stage, the cost of one more MB (the slope
between the two sizes) and the fixed cost of a run (start-up, the decontamination index: what the slope leaves at
zero MB); and the projections for CC100 Hindi and FineWeb-2 hin_Deva from the slopes, which is what a corpus of
gigabytes pays per MB.

    python -m bench pipeline_scale                       # 30 MB and 300 MB
    python -m bench.pipeline_scale --sizes 10 100        # other sizes (MB of uncompressed text)
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from datatrove.executor import LocalPipelineExecutor

from bench.ingest_throughput import CORPUS, input_bytes
from bench.results_table import BenchResult, print_table
from pipeline.config import load_run_config
from pipeline.documents import read_documents
from pipeline.stages import STAGES, get_stage
from pipeline.workdir import StagePaths

SIZES_MB = (30, 300)
TASKS = 2
FILES = 8  # corpus files: ingest spreads files over tasks
TEXT_FOLDERS = ("hi_wiki_or_news", "hi_wikipedia", "hi_web_like", "hi_stories", "hinglish", "english")
REPO = Path(__file__).resolve().parents[1]
# One stage in a process of its own; prints wall seconds, CPU seconds and peak RSS (KiB) of it and its tasks (VmHWM:
# ru_maxrss of a process also holds what its parent had before the exec).
# Workers started through a forkserver are its children, not this process's: stopping the server (it has reaped
# them) brings their CPU time into RUSAGE_CHILDREN.
STAGE_RUNNER = """
import resource, runpy, sys, time
import multiprocess.forkserver, multiprocessing.forkserver
start = time.perf_counter()
try:
    runpy.run_module("pipeline", run_name="__main__", alter_sys=True)  # as `python -m pipeline` runs
except SystemExit as exit:
    code = exit.code
multiprocess.forkserver._forkserver._stop()
multiprocessing.forkserver._forkserver._stop()
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
print("STAGE", time.perf_counter() - start, me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
      max(hwm, kids.ru_maxrss), code)
"""


def build_corpus(folder: Path, megabytes: float, seed: int = 0) -> float:
    """≥ `megabytes` of documents in FILES gzip JSONL files: the corpus texts, a quarter of them followed by a near
    duplicate (5% of words dropped, a header added) and a twentieth by an exact copy; beyond one pass over the
    corpus, every text is a near duplicate. The same share of duplicates at every size."""
    texts = [doc.text for doc in read_documents([CORPUS / name for name in TEXT_FOLDERS]) if len(doc.text) > 200]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    outs = [gzip.open(folder / f"part_{n:02d}.jsonl.gz", "wt", encoding="utf-8") for n in range(FILES)]
    written = n = 0
    while written < megabytes * 1e6:
        text = texts[n % len(texts)]
        versions = [_near_duplicate(text, rng) if n >= len(texts) else text]
        draw = rng.random()
        versions += [_near_duplicate(text, rng)] if draw < 0.25 else [text] if draw < 0.30 else []
        for version in versions:
            outs[n % FILES].write(json.dumps({"id": f"doc-{n}-{len(version)}", "text": version}, ensure_ascii=False))
            outs[n % FILES].write("\n")
            written += len(version.encode("utf-8"))
        n += 1
    for out in outs:
        out.close()
    return written / 1e6


def _near_duplicate(text: str, rng: np.random.Generator) -> str:
    words = text.split(" ")
    kept = " ".join(w for w, keep in zip(words, rng.random(len(words)) > 0.05, strict=True) if keep)
    return f"स्रोत {int(rng.integers(10**6))} | {kept}"


def run_stage(corpus: Path, workdir: Path, stage: str, tokenizer: Path | None) -> dict:
    args = ["run", str(REPO / "configs" / "local.yaml"), "--input", str(corpus), "--workdir", str(workdir),
            "--run", "scale", "--stage", stage, "--no-cards", "--set", f"executor.tasks={TASKS}",
            "--set", "stages.filter.language.hinglish_model=none"]
    if tokenizer:
        args.append(f"--stages.tokenize.tokenizer={tokenizer}")
    done = subprocess.run([sys.executable, "-c", STAGE_RUNNER, *args], cwd=REPO, capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("STAGE ")), None)
    if line is None or line.split()[-1] != "0":
        raise RuntimeError(f"stage {stage} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    wall, cpu, rss_kib, _ = line.split()[1:]
    return {"wall_s": float(wall), "cpu_s": float(cpu), "peak_rss_mb": int(rss_kib) / 1024}


def stage_input_mb(workdir: Path, corpus: Path, stage) -> float:
    previous = STAGES[STAGES.index(stage) - 1] if stage.number > 1 else None
    files = sorted(corpus.glob("*.jsonl.gz")) if previous is None else sorted(
        (workdir / "scale" / previous.folder / "output").glob("*.jsonl.gz"))
    return input_bytes(files) / 1e6


def run_chain(corpus: Path, workdir: Path, tokenizer_folder: Path) -> dict[str, dict]:
    """Every stage in order; trains the tokenizer before 06_tokenize when `tokenizer_folder` has none."""
    figures = {}
    for stage in STAGES:
        tokenizer = tokenizer_folder / "tokenizer.model"
        if stage.name == "tokenize" and not tokenizer.exists():
            sample = workdir / "scale" / "05b_decontaminate" / "output"
            subprocess.run([sys.executable, "-m", "tokenizer", "train", str(REPO / "configs" / "tokenizer.yaml"),
                            "--input", str(sample), "--out", str(tokenizer_folder), "--train.vocab_size=8000",
                            "--train.hard_vocab_limit=false", "--sample.sentences=200000"],
                           cwd=REPO, check=True, capture_output=True)
        mb = stage_input_mb(workdir, corpus, stage)
        measured = run_stage(corpus, workdir, stage.name, tokenizer if stage.name == "tokenize" else None)
        figures[stage.folder] = {"input_mb": round(mb, 2), **{k: round(v, 2) for k, v in measured.items()},
                                 "mb_per_cpu_s": round(mb / measured["cpu_s"], 3)}
        print(f"  {stage.folder}: {mb:.1f} MB in {measured['wall_s']:.1f}s wall, {measured['cpu_s']:.1f} CPU s "
              f"({mb / measured['cpu_s']:.2f} MB/s/core), peak RSS {measured['peak_rss_mb']:.0f} MB", flush=True)
    return figures


def tokenize_speedup(workdir: Path, tokenizer: Path, repeats: int = 2) -> tuple[float, float]:
    """Best wall seconds of 06_tokenize's steps with 1 task, then 2 tasks in parallel, in turn, on the run's
    05_hinglish documents dealt round-robin into 2 files (upstream tasks' files can differ in size, and datatrove
    gives a task whole files: this measures the stage, not that imbalance)."""
    config = load_run_config(str(REPO / "configs" / "local.yaml"), [f"stages.tokenize.tokenizer={tokenizer}"],
                             run="scale", workdir=str(workdir))
    balanced = StagePaths(workdir / "balanced")
    balanced.output.mkdir(parents=True)
    outs = [gzip.open(balanced.output / f"{n:05d}.jsonl.gz", "wt", encoding="utf-8") for n in range(TASKS)]
    for n, doc in enumerate(read_documents([get_stage("hinglish").paths(config).output])):
        outs[n % TASKS].write(json.dumps({"text": doc.text, "id": doc.id, "metadata": doc.metadata}) + "\n")
    for out in outs:
        out.close()
    stage, seconds = get_stage("tokenize"), {1: [], TASKS: []}
    for attempt in range(repeats):
        for tasks in seconds:
            paths = StagePaths(workdir / f"tokenize_{tasks}_tasks_{attempt}")
            start = time.perf_counter()
            LocalPipelineExecutor(stage.build(config, paths, balanced), tasks=tasks, workers=tasks,
                                  logging_dir=str(paths.logs), start_method="fork").run()
            seconds[tasks].append(time.perf_counter() - start)
    return min(seconds[1]), min(seconds[TASKS])


# Corpora a user points the chain at (MB of JSONL text): CC100 Hindi, FineWeb-2 hin_Deva.
PROJECTED_CORPORA_MB = {"cc100_hi": 20_000, "fineweb2_hin_Deva": 121_000}
PROJECTED_CORES = (16, 64, 512)


def projections(cpu_s_per_mb: float) -> dict[str, dict]:
    """Core-hours and wall hours on PROJECTED_CORES at `cpu_s_per_mb` (every stage reading the whole corpus, which
    overstates the stages after dedup; the fixed costs of each run and the one-task clusters phase not included)."""
    out = {}
    for name, megabytes in PROJECTED_CORPORA_MB.items():
        core_hours = megabytes * cpu_s_per_mb / 3600
        out[name] = {"core_hours": round(core_hours, 1)} | {
            f"hours_on_{cores}_cores": round(core_hours / cores, 2) for cores in PROJECTED_CORES
        }
    return out


def report(runs: dict, sizes_mb: tuple[float, float]) -> dict:
    """CPU s per MB per stage and for the chain at the larger size, cost and peak-memory ratios between the sizes,
    and the projections; printed and returned for the results file."""
    small, large = sizes_mb
    per_mb = {s: {k: v["cpu_s"] / v["input_mb"] for k, v in runs[s]["stages"].items()} for s in sizes_mb}
    chain = {s: sum(v["cpu_s"] for v in runs[s]["stages"].values()) / runs[s]["corpus_mb"] for s in sizes_mb}
    marginal, fixed = {}, {}
    for stage, at_small in runs[small]["stages"].items():
        at_large = runs[large]["stages"][stage]
        marginal[stage] = (at_large["cpu_s"] - at_small["cpu_s"]) / (at_large["input_mb"] - at_small["input_mb"])
        fixed[stage] = at_small["cpu_s"] - marginal[stage] * at_small["input_mb"]
    figures = {
        "cpu_s_per_mb": {stage: round(v, 3) for stage, v in per_mb[large].items()},
        "chain_cpu_s_per_mb": {s: round(chain[s], 3) for s in sizes_mb},
        "cost_per_mb_ratio": {stage: round(per_mb[large][stage] / per_mb[small][stage], 3) for stage in per_mb[small]},
        "peak_rss_ratio": {stage: round(runs[large]["stages"][stage]["peak_rss_mb"]
                                        / runs[small]["stages"][stage]["peak_rss_mb"], 3) for stage in per_mb[small]},
        # every stage at its own cost per MB, as if it read the whole corpus: the chain's CPU s per corpus MB would
        # count the stages after dedup on what dedup left, a seventh of this bench's 300 MB (all near duplicates)
        "every_stage_cpu_s_per_mb": round(sum(per_mb[large].values()), 3),
        # the cost of one more MB per stage: the fixed cost of a run (start-up, the decontamination index) weighs
        # on the small inputs of the stages after dedup, and is nothing on a corpus of gigabytes
        "marginal_cpu_s_per_mb": {stage: round(v, 3) for stage, v in marginal.items()},
        "fixed_cpu_s": {stage: round(v, 1) for stage, v in fixed.items()},
        "chain_marginal_cpu_s_per_mb": round(sum(marginal.values()), 3),
        "projections": projections(sum(marginal.values())),
    }
    for key, value in figures.items():
        print(f"{key}: {json.dumps(value)}")
    return figures


def run(sizes_mb: tuple[float, float] = SIZES_MB) -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the scale benchmark builds its corpus from the shared corpus")
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_folder = Path(tmp) / "tokenizer"
        for size in sizes_mb:
            corpus = Path(tmp) / f"corpus_{size}"
            built = build_corpus(corpus, size)
            print(f"pipeline_scale: {built:.1f} MB corpus, {TASKS} tasks", flush=True)
            runs[size] = {"corpus_mb": round(built, 1),
                          "stages": run_chain(corpus, Path(tmp) / f"work_{size}", tokenizer_folder)}
        small, large = sizes_mb
        one, two = tokenize_speedup(Path(tmp) / f"work_{large}", tokenizer_folder / "tokenizer.model")
    figures = report(runs, sizes_mb)
    total = figures["chain_cpu_s_per_mb"]
    print(f"tokenize 1 task {one:.1f}s, 2 tasks {two:.1f}s")
    command = "python -m bench.pipeline_scale --sizes " + " ".join(str(s) for s in sizes_mb)
    return [
        BenchResult(name="pipeline_scale", value=1 / total[large], unit="MB/s/core", baseline=1 / total[small],
                    baseline_name=f"the same chain on {runs[small]['corpus_mb']} MB (ratio 1.0 = linear scaling)",
                    details={"runs": runs, **figures, "command": command}),
        BenchResult(name="tokenize_stage_speedup", value=1 / two, unit="runs/s", baseline=1 / one,
                    baseline_name=f"06_tokenize, 1 task, on the {large} MB run's 05_hinglish documents in 2 files",
                    target_ratio=1.7, details={"one_task_s": round(one, 2), "two_tasks_s": round(two, 2),
                                               "command": command}),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs=2, type=float, default=SIZES_MB, metavar="MB")
    results = run(tuple(parser.parse_args().sizes))
    for result in results:
        print(f"wrote {result.save()}")
    print_table(results)
