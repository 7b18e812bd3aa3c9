"""Encode documents into flat uint16 `.bin` shards with a deterministic train/val split and a meta.json.

Layout of a shard: for every document, [<bos>] ids <eos>, back to back; a document never straddles two
shards. A document goes to val when the hash of its id falls below `val_fraction`, so the split does not depend
on file order or on how many shards came before. Shards are written to a temporary name and renamed when
full, and `progress.json` records each finished one: a killed run, started again, skips the documents of the
finished shards (without encoding them) and rewrites only the unfinished ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import sentencepiece as spm
from tqdm import tqdm

from tokenizer.config import MAX_UINT16_VOCAB, ShardConfig
from tokenizer.documents import iter_documents
from tokenizer.train import model_checksum
from tokenizer.word_cache import WordCachedEncoder

DTYPE = np.uint16


def split_of(doc_id: str, val_fraction: float) -> str:
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    return "val" if int.from_bytes(digest, "big") / 2**64 < val_fraction else "train"


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    os.replace(tmp, path)


class _SplitWriter:
    """Appends encoded documents of one split to its current shard; closes it at `shard_tokens`."""

    def __init__(self, out: Path, split: str, shard_tokens: int, finished: list[dict], on_finish):
        self.out, self.split, self.shard_tokens, self.on_finish = out, split, shard_tokens, on_finish
        self.index = len(finished)
        self.skip = sum(s["documents"] for s in finished)  # documents already in finished shards
        self.parts: list[np.ndarray] = []
        self.tokens = self.documents = 0

    def add(self, ids: np.ndarray) -> None:
        self.parts.append(ids)
        self.tokens += len(ids)
        self.documents += 1
        if self.tokens >= self.shard_tokens:
            self.close()

    def close(self) -> None:
        if not self.documents:
            return
        name = f"{self.split}_{self.index:05d}.bin"
        tmp = self.out / f"{name}.tmp"
        with tmp.open("wb") as f:
            for part in self.parts:
                f.write(part.tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.out / name)
        self.on_finish({"file": name, "split": self.split, "tokens": self.tokens, "documents": self.documents})
        self.index += 1
        self.parts, self.tokens, self.documents = [], 0, 0


def write_shards(config: ShardConfig, model_file: Path) -> dict:
    """Shard `config.inputs` with `model_file` into `config.out`; returns (and writes) meta.json."""
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    vocab = sp.get_piece_size()
    if vocab > MAX_UINT16_VOCAB:
        raise ValueError(f"{model_file} has {vocab:,} pieces: ids ≥ 65,536 do not fit uint16 shards")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    checksum = model_checksum(model_file)
    progress_file = out / "progress.json"
    settings = {"tokenizer_sha256": checksum, "inputs": config.inputs, "val_fraction": config.val_fraction,
                "shard_tokens": config.shard_tokens, "add_bos": config.add_bos}
    progress = json.loads(progress_file.read_text()) if progress_file.exists() else {"settings": settings, "shards": []}
    if progress["settings"] != settings:
        raise ValueError(f"{out} holds shards made with other settings ({progress['settings']}); "
                         f"remove the folder or choose another --out")

    def finished(record: dict) -> None:
        progress["shards"].append(record)
        _write_json_atomically(progress_file, progress)

    writers = {split: _SplitWriter(out, split, config.shard_tokens,
                                   [s for s in progress["shards"] if s["split"] == split], finished)
               for split in ("train", "val")}
    started = time.time()
    encoder = WordCachedEncoder(sp, threads=config.threads)
    for batch in _batches(iter_documents(config.inputs), config.batch_documents, writers, config.val_fraction):
        encoded = encoder.encode([text for _, _, text in batch])
        for (split, _, _), ids in zip(batch, encoded, strict=True):
            prefix = [sp.bos_id()] if config.add_bos else []
            writers[split].add(np.asarray(prefix + ids + [sp.eos_id()], dtype=DTYPE))
    for writer in writers.values():
        writer.close()
    meta = {"dtype": "uint16", "vocab_size": vocab, "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
            "add_bos": config.add_bos, "tokenizer": str(model_file), "tokenizer_sha256": checksum,
            "inputs": config.inputs, "val_fraction": config.val_fraction, "shards": progress["shards"],
            "totals": {split: {"tokens": sum(s["tokens"] for s in progress["shards"] if s["split"] == split),
                               "documents": sum(s["documents"] for s in progress["shards"] if s["split"] == split)}
                       for split in ("train", "val")},
            "seconds": round(time.time() - started, 1)}
    _write_json_atomically(out / "meta.json", meta)
    return meta


def _batches(documents, size: int, writers: dict, val_fraction: float):
    """Batches of (split, id, text), leaving out the documents that finished shards already hold."""
    to_skip = {split: writer.skip for split, writer in writers.items()}
    batch = []
    for doc_id, text in tqdm(documents, desc="sharding", unit=" docs", mininterval=2):
        split = split_of(doc_id, val_fraction)
        if to_skip[split]:
            to_skip[split] -= 1
            continue
        batch.append((split, doc_id, text))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenizer_mismatch(meta: dict, meta_file: Path, model_file: str | Path) -> str | None:
    """Why shards described by `meta` cannot be read with `model_file` (and what to re-run), or None."""
    if meta["tokenizer_sha256"] != model_checksum(model_file):
        return (f"{meta_file}: made with another tokenizer than {model_file} (checksum differs): re-run "
                f"`make shards` with this tokenizer, or use the tokenizer the shards were made with")
    return None


def check_shards(folder: Path, model_file: Path) -> list[str]:
    """Problems with a shard folder (empty when it is sound): meta.json against the files and the tokenizer."""
    meta_file = Path(folder) / "meta.json"
    if not meta_file.exists():
        return [f"{meta_file} does not exist: run `python -m tokenizer shard` first"]
    meta = json.loads(meta_file.read_text())
    problems = [problem] if (problem := tokenizer_mismatch(meta, meta_file, model_file)) else []
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    if meta["vocab_size"] != sp.get_piece_size():
        problems.append(f"{meta_file}: vocab_size {meta['vocab_size']} but {model_file} has {sp.get_piece_size()}")
    for shard in meta["shards"]:
        path = Path(folder) / shard["file"]
        if not path.exists() or path.stat().st_size != 2 * shard["tokens"]:
            problems.append(f"{path}: missing or not {shard['tokens']} uint16 tokens as meta.json says")
            continue
        ids = np.memmap(path, dtype=DTYPE, mode="r")
        if int(ids.max()) >= sp.get_piece_size():
            problems.append(f"{path}: id {int(ids.max())} is outside the vocabulary of {sp.get_piece_size()}")
        if int((ids == meta["eos_id"]).sum()) != shard["documents"]:
            problems.append(f"{path}: {int((ids == meta['eos_id']).sum())} <eos> but {shard['documents']} documents")
    return problems
