"""Encode documents into flat uint16 `.bin` shards with a deterministic train/val split and a meta.json.

Layout of a shard: for every document, [<bos>] ids <eos>, back to back; a document never straddles two
shards. A document goes to val when the hash of its root document's id (metadata `parent_id` for the pipeline's
Hinglish copies, else its own id) falls below `val_fraction`: the split depends neither on file order nor on
task count, and a document and its copies always fall on one side. With `rehydrate`, a train document is written
`rehydration_weight` times (03_dedup's weight, as FineWeb-2 does); val documents are written once.

Two drivers share the encoder, writer and meta.json here: `write_shards` (one process, `python -m tokenizer shard`,
resumable per shard through progress.json: a killed run skips the documents of its finished shards) and
pipeline/tokenize/step.py (the pipeline's 06_tokenize stage: one set of shards per executor task).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import sentencepiece as spm
from tqdm import tqdm

from pipeline.documents import read_documents
from pipeline.hashing import file_sha256, unit_hash
from pipeline.tokenize.settings import MAX_UINT16_VOCAB, ShardConfig, ShardInputError, ShardLayout
from pipeline.tokenize.word_cache import WordCachedEncoder

DTYPE = np.uint16
SPLITS = ("train", "val")


def root_id(doc) -> str:
    """The id of the document a (Hinglish) copy was made from, or the document's own id."""
    return doc.metadata.get("parent_id") or doc.id


def split_of(doc_id: str, val_fraction: float) -> str:
    return "val" if unit_hash(doc_id) < val_fraction else "train"


def write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    os.replace(tmp, path)


def load_tokenizer(model_file: str | Path) -> spm.SentencePieceProcessor:
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    if sp.get_piece_size() > MAX_UINT16_VOCAB:
        raise ShardInputError(f"{model_file} has {sp.get_piece_size():,} pieces: ids ≥ 65,536 do not fit "
                                  f"uint16 shards")
    return sp


class DocumentEncoder:
    """Documents (anything with id, text, metadata) → (split, [<bos>] ids <eos>, copies to write)."""

    def __init__(self, sp: spm.SentencePieceProcessor, layout: ShardLayout):
        self.layout = layout
        self.words = WordCachedEncoder(sp, threads=layout.threads)
        self.prefix, self.suffix = ([sp.bos_id()] if layout.add_bos else []), [sp.eos_id()]

    def encode(self, documents: list) -> list[tuple[str, np.ndarray, int]]:
        encoded = []
        for doc, ids in zip(documents, self.words.encode([doc.text for doc in documents]), strict=True):
            split = split_of(root_id(doc), self.layout.val_fraction)
            encoded.append((split, np.asarray(self.prefix + ids + self.suffix, dtype=DTYPE), self.copies(doc, split)))
        return encoded

    def copies(self, doc, split: str) -> int:
        if split == "val" or not self.layout.rehydrate:
            return 1
        weight = doc.metadata.get("rehydration_weight", 1)
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise ShardInputError(f"document {doc.id}: rehydration_weight {weight!r} is not a whole number ≥ 1; "
                                      f"re-run the dedup stage, or set rehydrate: false")
        return weight


class ShardWriter:
    """Appends encoded documents of one split to its current shard `<stem>_NNNNN.bin`; closes it at `shard_tokens`.
    `publish=True` renames each shard from its temporary name as it closes; otherwise `publish()` renames them all
    at once (a pipeline task's shards appear together or not at all)."""

    def __init__(self, folder: Path, split: str, stem: str, shard_tokens: int, on_finish: Callable[[dict], None],
                 first_index: int = 0, publish: bool = True):
        self.folder, self.split, self.stem, self.shard_tokens = folder, split, stem, shard_tokens
        self.on_finish, self.index, self.publish_at_close = on_finish, first_index, publish
        self.pending: list[Path] = []
        self._start_shard()

    def _start_shard(self) -> None:
        self.parts: list[np.ndarray] = []
        self.tokens = self.documents = self.unique_tokens = self.unique_documents = 0

    def add(self, ids: np.ndarray, copies: int = 1) -> None:
        self.parts += [ids] * copies
        self.tokens += copies * len(ids)
        self.documents += copies
        self.unique_tokens += len(ids)
        self.unique_documents += 1
        if self.tokens >= self.shard_tokens:
            self.close()

    def close(self) -> None:
        if not self.documents:
            return
        name = f"{self.stem}_{self.index:05d}.bin"
        tmp = self.folder / f"{name}.tmp"
        with tmp.open("wb") as f:
            for part in self.parts:
                f.write(part.tobytes())
            f.flush()
            os.fsync(f.fileno())
        self.pending.append(tmp)
        if self.publish_at_close:
            self.publish()
        self.on_finish({"file": name, "split": self.split, "tokens": self.tokens, "documents": self.documents,
                        "tokens_before_rehydration": self.unique_tokens,
                        "documents_before_rehydration": self.unique_documents})
        self.index += 1
        self._start_shard()

    def publish(self) -> None:
        for tmp in self.pending:
            os.replace(tmp, tmp.with_suffix(""))
        self.pending = []


def shard_meta(sp: spm.SentencePieceProcessor, model_file: str | Path, layout: ShardLayout, shards: list[dict],
               **about) -> dict:
    """meta.json: what the trainer and `tokenizer check` read (dtype, vocabulary, bos/eos, shards, tokenizer), the
    totals per split and the tokens before and after rehydration; `about` adds where the documents came from."""
    totals = {split: {key: sum(s[key] for s in shards if s["split"] == split)
                      for key in ("tokens", "documents", "tokens_before_rehydration", "documents_before_rehydration")}
              for split in SPLITS}
    train = totals["train"]
    return {"dtype": "uint16", "vocab_size": sp.get_piece_size(), "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
            "add_bos": layout.add_bos, "tokenizer": str(Path(model_file).resolve()),
            "tokenizer_sha256": file_sha256(model_file), "val_fraction": layout.val_fraction,
            "split_by": "root document id (metadata parent_id, else id)", **about, "shards": shards,
            "totals": totals,
            "rehydration": {"enabled": layout.rehydrate, "train_tokens_before": train["tokens_before_rehydration"],
                            "train_tokens_after": train["tokens"],
                            "train_documents_before": train["documents_before_rehydration"],
                            "train_documents_after": train["documents"]}}


def write_shards(config: ShardConfig, model_file: Path) -> dict:
    """Shard `config.inputs` with `model_file` into `config.out`; returns (and writes) meta.json."""
    sp = load_tokenizer(model_file)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    progress_file = out / "progress.json"
    settings = {"tokenizer_sha256": file_sha256(model_file), "inputs": config.inputs,
                "val_fraction": config.val_fraction, "shard_tokens": config.shard_tokens, "add_bos": config.add_bos,
                "rehydrate": config.rehydrate}
    progress = json.loads(progress_file.read_text()) if progress_file.exists() else {"settings": settings, "shards": []}
    if progress["settings"] != settings:
        raise ShardInputError(f"{out} holds shards made with other settings ({progress['settings']}); "
                                  f"remove the folder or choose another --out")

    def finished(record: dict) -> None:
        progress["shards"].append(record)
        write_json_atomically(progress_file, progress)

    done = {split: [s for s in progress["shards"] if s["split"] == split] for split in SPLITS}
    writers = {split: ShardWriter(out, split, split, config.shard_tokens, finished, first_index=len(done[split]))
               for split in SPLITS}
    to_skip = {split: sum(s["documents_before_rehydration"] for s in done[split]) for split in SPLITS}
    started = time.time()
    encoder = DocumentEncoder(sp, config)
    for batch in _batches(read_documents(config.inputs), config.batch_documents, to_skip, config.val_fraction):
        for split, ids, copies in encoder.encode(batch):
            writers[split].add(ids, copies)
    for writer in writers.values():
        writer.close()
    meta = shard_meta(sp, model_file, config, progress["shards"], inputs=config.inputs,
                      seconds=round(time.time() - started, 1))
    write_json_atomically(out / "meta.json", meta)
    return meta


def _batches(documents: Iterable, size: int, to_skip: dict[str, int], val_fraction: float):
    """Batches of documents, leaving out the first `to_skip[split]` of each split (finished shards hold them)."""
    batch = []
    for doc in tqdm(documents, desc="sharding", unit=" docs", mininterval=2):
        split = split_of(root_id(doc), val_fraction)
        if to_skip[split]:
            to_skip[split] -= 1
            continue
        batch.append(doc)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenizer_mismatch(meta: dict, meta_file: Path, model_file: str | Path) -> str | None:
    """Why shards described by `meta` cannot be read with `model_file` (and what to re-run), or None."""
    if meta["tokenizer_sha256"] != file_sha256(model_file):
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
