"""Stages that chain: a change upstream makes every later stage stale (refused with the folders to remove, or
redone with --redo-from), the tokenizer reads only a finished stage, and Hinglish is kept with no command run
before the pipeline."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.__main__ import main
from pipeline.config import load_run_config
from tests.conftest import REPO, SAMPLE_CONFIG, corpus_path, read_jsonl_folder
from tokenizer.__main__ import main as tokenizer_main

HINGLISH_INPUT = Path(__file__).parent / "fixtures" / "hinglish_input"


def run_dir(run_args) -> Path:
    return load_run_config(str(SAMPLE_CONFIG), workdir=run_args[1]).run_dir


def test_a_changed_filter_setting_makes_the_later_stages_stale(run_args, capsys):
    chain = ["run", str(SAMPLE_CONFIG), *run_args, "--stage", "ingest", "--stage", "filter", "--stage", "dedup"]
    assert main(chain) == 0
    dedup_made_from = (run_dir(run_args) / "03_dedup" / "run.json").read_text()
    changed = ["--set", "stages.filter.toxicity.max_density=0.5"]

    assert main(chain + changed) == 2, "never skipped silently on the old completion markers"
    error = capsys.readouterr().err
    assert "02_filter, 03_dedup" in error and "--redo-from filter" in error
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stage", "dedup", *changed]) == 2, "nor when run alone"

    assert main(chain + changed + ["--redo-from", "filter"]) == 0
    assert (run_dir(run_args) / "03_dedup" / "run.json").read_text() != dedup_made_from
    assert main(chain + changed) == 0, "now up to date: finished tasks are skipped"


def test_the_next_stage_and_the_tokenizer_refuse_a_stage_that_did_not_finish(run_args, capsys):
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stage", "ingest", "--stage", "filter"]) == 0
    stage = run_dir(run_args) / "02_filter"
    # what a kill leaves: a task without its completion marker, and no books
    next((stage / "logs" / "completions").iterdir()).unlink()
    (stage / "stats.json").unlink()
    assert main(["run", str(SAMPLE_CONFIG), *run_args, "--stage", "dedup"]) == 2, "half the documents are not input"
    error = capsys.readouterr().err
    assert "02_filter, which is unfinished" in error and "--stage filter" in error
    assert not (run_dir(run_args) / "03_dedup").exists()
    tokenizer = [str(REPO / "configs" / "tokenizer_sample.yaml"), f"--run_dir={run_dir(run_args)}"]
    assert tokenizer_main(["train", *tokenizer, "--out", str(run_dir(run_args) / "tok")]) == 2
    error = capsys.readouterr().err
    assert "02_filter is unfinished" in error and "--stage filter" in error


def test_new_input_files_or_an_edited_word_list_make_a_stage_stale(tmp_path, capsys):
    inputs, lexicon = tmp_path / "in", tmp_path / "toxicity"
    inputs.mkdir()
    shutil.copy(REPO / "pipeline" / "sample_data" / "sample_docs.jsonl", inputs / "a.jsonl")
    shutil.copytree(REPO / "pipeline" / "filter" / "lexicons" / "toxicity", lexicon)
    run = ["run", str(REPO / "configs" / "local.yaml"), "--input", str(inputs), "--workdir", str(tmp_path / "work"),
           "--stages.filter.language.hinglish_model=none", f"--stages.filter.toxicity.lexicon_dir={lexicon}",
           "--stage", "ingest", "--stage", "filter", "--no-cards"]
    assert main(run) == 0
    with (lexicon / "insults.txt").open("a", encoding="utf-8") as f:
        f.write("नयाशब्द\n")
    assert main(run) == 2, "the old completion markers are not reused with another word list"
    error = capsys.readouterr().err
    assert "rule_files" in error and "02_filter" in error and "01_ingest" not in error.split("stale:")[1]
    assert main([*run, "--redo-from", "filter"]) == 0
    shutil.copy(inputs / "a.jsonl", inputs / "b.jsonl")
    assert main(run) == 2, "nor with a new input file"
    error = capsys.readouterr().err
    assert "input_files" in error and "01_ingest, 02_filter" in error


def test_hinglish_is_kept_with_no_command_run_first(tmp_path):
    corpus_path("hinglish")  # the detector trains on the corpus (the run's own documents without it)
    args = ["run", str(REPO / "configs" / "local.yaml"), "--input", str(HINGLISH_INPUT), "--workdir",
            str(tmp_path / "work"), "--set", f"cards_dir={tmp_path / 'cards'}"]
    args += ["--stage", "ingest", "--stage", "filter"]
    assert main(args) == 0
    config = load_run_config(str(REPO / "configs" / "local.yaml"), inputs=[str(HINGLISH_INPUT)],
                             workdir=str(tmp_path / "work"))
    kept = read_jsonl_folder(config.run_dir / "02_filter" / "output")
    kinds = [json.loads(line)["kind"] for line in (HINGLISH_INPUT / "docs.jsonl").read_text().splitlines()]
    languages = [r["metadata"]["language"] for r in kept]
    hinglish_in = sum(k != "hi_Deva" for k in kinds)
    assert sum(lang in ("hi_Latn", "hi_mixed") for lang in languages) >= 0.9 * hinglish_in
    assert languages.count("hi_mixed") >= 0.9 * kinds.count("hi_mixed"), "mixed-script text kept as Hinglish"
    assert (tmp_path / "work" / "hinglish_lid" / "model.bin").exists()
    card = (tmp_path / "cards" / config.run / "02_filter.md").read_text()
    assert "Romanised-Hindi detector: `auto`" in card


def test_a_pipeline_command_forks_its_stage_workers_with_numpy_loaded():
    """`python -m pipeline` holds numpy's BLAS pool to one thread before numpy is imported, so a stage process keeps
    only fork-safe threads (fsspec's IO loop) and its workers fork rather than import the project again."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['pipeline', '--help']  # imports what a stage process imports, then exits\n"
        "try:\n    runpy.run_module('pipeline', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "import numpy\nfrom datatrove.io import get_datafolder\nget_datafolder('.')  # starts fsspec's IO thread\n"
        "from pipeline.executors import _start_method\nprint(_start_method())"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "fork"
