"""Tokenising as a datatrove step: each executor task encodes its share of the documents into its own uint16 shards,
and `merge_task_shards` writes the one meta.json after all tasks (the pipeline's 06_tokenize stage).

A task writes its shards under temporary names and renames them together after its last document, then writes its
record (`<tasks>/NNNNN.json`); datatrove's completion marker follows. A task killed midway leaves only temporary
files, which its re-run overwrites, so the re-run writes what an uninterrupted run would have. Train shards go to
the output folder (`train_<task>_NNNNN.bin`); val, a small share, goes to the task folder and the merge joins it
into one `val_00000.bin` (a val shard per task could each be shorter than one training window).
"""

from __future__ import annotations

import json
import os
from itertools import islice
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from pipeline.tokenize.settings import ShardInputError, ShardLayout
from pipeline.tokenize.shards import DocumentEncoder, ShardWriter, load_tokenizer, shard_meta, write_json_atomically

VAL_SHARD = "val_00000.bin"


class TokenizeShards(PipelineStep):
    """Writes every document it reads as [<bos>] ids <eos> into this task's shards; counts documents written
    (rehydrated copies included, as `added_rehydration_copies`) and tokens per split."""

    type = "💽 - WRITER"
    name = "🔢 Token shards"

    def __init__(self, layout: ShardLayout, model_file: str, output: str, task_folder: str):
        super().__init__()
        self.layout, self.model_file = layout, model_file
        self.output, self.task_folder = Path(output), Path(task_folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:
        for folder in (self.output, self.task_folder):
            folder.mkdir(parents=True, exist_ok=True)
        records: list[dict] = []
        writers = {
            split: ShardWriter(folder, split, f"{split}_{rank:05d}", self.layout.shard_tokens, records.append,
                               publish=False)
            for split, folder in (("train", self.output), ("val", self.task_folder))
        }
        encoder = DocumentEncoder(load_tokenizer(self.model_file), self.layout)
        data = iter(data)
        while batch := list(islice(data, self.layout.batch_documents)):
            with self.track_time(unit="batch"):
                for doc, (split, ids, copies) in zip(batch, encoder.encode(batch), strict=True):
                    writers[split].add(ids, copies)
                    self.stat_update("total", value=copies)  # the stage's documents out
                    self.stat_update("doc_len", value=copies * len(doc.text))
                    self.stat_update(f"tokens_{split}", value=copies * len(ids))
                    if copies > 1:
                        self.stat_update("added_rehydration_copies", value=copies - 1)
        for writer in writers.values():
            writer.close()
        for writer in writers.values():
            writer.publish()
        write_json_atomically(self.task_folder / f"{rank:05d}.json", {"task": rank, "shards": records})


def merge_task_shards(layout: ShardLayout, model_file: str | Path, output: Path, task_folder: Path, tasks: int,
                      **about) -> dict:
    """Join the tasks' val parts into one val shard and write meta.json over all tasks' shards; returns it."""
    missing = [rank for rank in range(tasks) if not (task_folder / f"{rank:05d}.json").exists()]
    if missing:
        raise ShardInputError(f"{task_folder}: tasks {missing} have not written their shards; run the stage "
                                  f"again (finished tasks are skipped)")
    shards = [s for rank in range(tasks) for s in json.loads((task_folder / f"{rank:05d}.json").read_text())["shards"]]
    listed = [s for s in shards if s["split"] == "train"]
    val_parts = [s for s in shards if s["split"] == "val"]
    if val_parts:
        _concatenate([task_folder / s["file"] for s in val_parts], output / VAL_SHARD)
        keys = ("tokens", "documents", "tokens_before_rehydration", "documents_before_rehydration")
        listed.append({"file": VAL_SHARD, "split": "val", **{k: sum(s[k] for s in val_parts) for k in keys}})
    meta = shard_meta(load_tokenizer(model_file), model_file, layout, listed, **about)
    write_json_atomically(output / "meta.json", meta)
    return meta


def _concatenate(parts: list[Path], target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as out:
        for part in parts:
            out.write(part.read_bytes())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
