"""Stage 06_tokenize: a document and its Hinglish copies on one side of the split, rehydrated train tokens, shards
independent of the task count, a killed task re-run to the same bytes, and a trainer that trains on the output."""

import gzip
import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

from pipeline.__main__ import main
from pipeline.config import load_run_config
from pipeline.tokenize.settings import TokenizeConfig
from pipeline.tokenize.shards import check_shards, split_of
from pipeline.tokenize.step import TokenizeShards, merge_task_shards
from tests.conftest import REPO, SAMPLE_CONFIG, read_jsonl_folder
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.train import train_tokenizer

WORDS = "भारत गंगा नदी मानसून बारिश दिल्ली कोहरा बाज़ार किसान खेत kal movie dekhne yaar accha hai".split()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """configs/sample.yaml through 05_hinglish, a small tokenizer trained on it, then 06_tokenize (val 0.3)."""
    root = tmp_path_factory.mktemp("tokenize")
    args = ["run", str(SAMPLE_CONFIG), "--workdir", str(root / "work"), "--no-cards",
            "--set", "stages.filter.language.hinglish_model=none", "--set", "stages.tokenize.val_fraction=0.3"]
    assert main(args) == 0  # no tokenizer yet: stages 01-05 only
    run_dir = load_run_config(str(SAMPLE_CONFIG), workdir=str(root / "work")).run_dir
    model = train_tokenizer(TokenizerConfig(out=str(root / "tok"),
                                            sample=SampleConfig(inputs=[str(run_dir / "05_hinglish" / "output")]),
                                            train=TrainConfig(vocab_size=400, hard_vocab_limit=False)))
    assert main([*args, "--stage", "tokenize", f"--stages.tokenize.tokenizer={model}"]) == 0
    return run_dir, model


def shard_documents(folder: Path) -> dict[str, list[tuple[int, ...]]]:
    """split → the token ids of every document in the shards (without <bos>/<eos>), in shard order."""
    meta = json.loads((folder / "meta.json").read_text())
    found = {"train": [], "val": []}
    for shard in meta["shards"]:
        ids = np.fromfile(folder / shard["file"], dtype=np.uint16).tolist()
        start = 0
        for end in [i for i, t in enumerate(ids) if t == meta["eos_id"]]:
            found[shard["split"]].append(tuple(ids[start + 1 : end]))
            start = end + 1
    return found


def test_no_root_document_has_tokens_on_both_sides_of_the_split(sample_run):
    run_dir, model = sample_run
    sp = spm.SentencePieceProcessor(model_file=str(model))
    documents = read_jsonl_folder(run_dir / "05_hinglish" / "output")
    root_of = {tuple(sp.encode(d["text"])): d["metadata"].get("parent_id") or d["id"] for d in documents}
    assert any("parent_id" in d["metadata"] for d in documents), "the sample run has Hinglish copies"
    sides: dict[str, set[str]] = {}
    for split, found in shard_documents(run_dir / "06_tokenize" / "output").items():
        for ids in found:
            sides.setdefault(root_of[ids], set()).add(split)
    assert {"train"} in sides.values() and {"val"} in sides.values()
    assert all(len(split) == 1 for split in sides.values()), {root: s for root, s in sides.items() if len(s) > 1}
    assert check_shards(run_dir / "06_tokenize" / "output", model) == []


def test_rehydrated_train_tokens_are_the_weighted_sum_and_the_books_balance(sample_run):
    run_dir, model = sample_run
    sp = spm.SentencePieceProcessor(model_file=str(model))
    meta = json.loads((run_dir / "06_tokenize" / "output" / "meta.json").read_text())
    weighted = plain = 0
    for doc in read_jsonl_folder(run_dir / "05_hinglish" / "output"):
        if split_of(doc["metadata"].get("parent_id") or doc["id"], 0.3) == "train":
            tokens = len(sp.encode(doc["text"])) + 2  # <bos> ids <eos>
            weighted += doc["metadata"]["rehydration_weight"] * tokens
            plain += tokens
    assert meta["totals"]["train"]["tokens"] == meta["rehydration"]["train_tokens_after"] == weighted > plain
    assert meta["rehydration"]["train_tokens_before"] == plain
    books = json.loads((run_dir / "06_tokenize" / "stats.json").read_text())
    written = meta["totals"]["train"]["documents"] + meta["totals"]["val"]["documents"]
    assert books["balanced"] and books["documents_in"] + books["documents_added"] == books["documents_out"] == written
    assert meta["source"]["stage"] == "05_hinglish" and len(meta["source"]["fingerprint"]) == 16


def test_the_trainer_trains_on_the_stage_output(sample_run, tmp_path):
    run_dir, _ = sample_run
    # in a process of its own, as `make train` runs it (torch's threads in this one would not survive later forks)
    subprocess.run([sys.executable, "-m", "trainer", str(REPO / "configs" / "train_tiny.yaml"),
                    f"--data_dir={run_dir / '06_tokenize' / 'output'}", f"--out_dir={tmp_path}", "--tensorboard=false",
                    "--sample_tokens=0", "--max_steps=4", "--warmup_steps=2", "--eval_every=4",
                    "--checkpoint_every=4", "--block_size=32"], check=True, capture_output=True, cwd=REPO)
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if "loss" in r]
    assert len(losses) >= 4 and all(math.isfinite(x) for x in losses)
    assert any("val_loss" in r for r in records)


def write_documents(folder: Path, files: int = 2, per_file: int = 60) -> Path:
    """Hand-made stage output: gzip JSONL files of documents, every fifth with a copy, weights 1-3."""
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True)
    for f in range(files):
        records = []
        for i in range(per_file):
            doc_id = f"f{f}-d{i}"
            meta = {"rehydration_weight": int(rng.integers(1, 4))}
            records.append({"id": doc_id, "text": " ".join(rng.choice(WORDS, size=int(rng.integers(5, 60)))),
                            "metadata": meta})
            if i % 5 == 0:
                records.append({"id": f"{doc_id}-romanised", "text": "yaar " + records[-1]["text"],
                                "metadata": {**meta, "parent_id": doc_id}})
        with gzip.open(folder / f"{f:05d}.jsonl.gz", "wt", encoding="utf-8") as out:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return folder


class KillTaskAfter(PipelineStep):
    """Fault injection: SIGKILLs the process running task `rank` after `documents` of its documents."""

    name = "kill"

    def __init__(self, rank: int, documents: int):
        super().__init__()
        self.rank, self.documents = rank, documents

    def run(self, data, rank: int = 0, world_size: int = 1):
        for n, doc in enumerate(data):
            if rank == self.rank and n == self.documents:
                os.kill(os.getpid(), signal.SIGKILL)
            yield doc


def tokenize(inputs: Path, out: Path, model: Path, tasks: int, kill_after: int | None = None) -> None:
    layout = TokenizeConfig(tokenizer=str(model), shard_tokens=300, val_fraction=0.25, batch_documents=8)
    steps = [JsonlReader(str(inputs), glob_pattern="*.jsonl.gz")]
    steps += [KillTaskAfter(1, kill_after)] if kill_after is not None else []
    steps += [TokenizeShards(layout, str(model), str(out / "output"), str(out / "tasks"))]
    LocalPipelineExecutor(steps, tasks=tasks, workers=1, logging_dir=str(out / "logs")).run()
    if kill_after is None:
        merge_task_shards(layout, model, out / "output", out / "tasks", tasks)


def tokenize_in_own_session(*args) -> None:
    """`tokenize` in a process group of its own, so that its SIGKILL reaches no process but itself."""
    os.setsid()
    tokenize(*args)


def test_a_killed_task_run_again_writes_the_shards_of_an_uninterrupted_run(sample_run, tmp_path):
    _, model = sample_run
    inputs = write_documents(tmp_path / "in")
    tokenize(inputs, tmp_path / "whole", model, tasks=2)
    killed = multiprocessing.get_context("fork").Process(target=tokenize_in_own_session,
                                                         args=(inputs, tmp_path / "killed", model, 2, 40))
    killed.start()
    killed.join()
    os.killpg(killed.pid, signal.SIGKILL)  # what the kill left of its group: datatrove's multiprocess Manager
    assert killed.exitcode == -signal.SIGKILL
    output = tmp_path / "killed" / "output"
    assert list(output.glob("train_00000_*.bin")) and list(output.glob("train_00001_*.bin.tmp"))
    assert not list(output.glob("train_00001_*.bin")), "a killed task publishes none of its shards"

    tokenize(inputs, tmp_path / "killed", model, tasks=2)  # task 0 is skipped on its completion marker
    whole = sorted(p.name for p in (tmp_path / "whole" / "output").iterdir())
    assert sorted(p.name for p in output.iterdir()) == whole
    for name in whole:
        assert (output / name).read_bytes() == (tmp_path / "whole" / "output" / name).read_bytes(), name


def test_one_and_two_tasks_give_the_same_documents_in_train_and_val(sample_run, tmp_path):
    _, model = sample_run
    inputs = write_documents(tmp_path / "in")
    for tasks in (1, 2):
        tokenize(inputs, tmp_path / f"tasks{tasks}", model, tasks=tasks)
    one, two = (shard_documents(tmp_path / f"tasks{tasks}" / "output") for tasks in (1, 2))
    assert len(list((tmp_path / "tasks2" / "output").glob("train_00001_*.bin"))) > 0, "both tasks wrote shards"
    for split in ("train", "val"):
        assert Counter(one[split]) == Counter(two[split]) and one[split]
