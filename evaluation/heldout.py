"""The held-out evaluation set as files: Hindi and Hinglish texts for bits per byte, and the next-sentence task in
Hindi and romanised Hindi. `python -m evaluation make-tasks` writes them; the same inputs and seed give the same bytes,
so a folder can be regenerated rather than kept. lm-evaluation-harness reads the same files
(evaluation/lm_eval_tasks/).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sentencepiece as spm

from evaluation.multiple_choice import next_sentence_items, romanized_items
from model.errors import ModelInputError
from pipeline.documents import document_texts, text_set_name

HINDI_TEXT, HINGLISH_TEXT = "heldout_hi.jsonl", "heldout_hinglish.jsonl"
NEXT_SENTENCE = {"hi": "next_sentence_hi.jsonl", "hi_Latn": "next_sentence_hi_Latn.jsonl"}
MANIFEST = "manifest.json"


def shard_documents(shards_dir: str | Path, split: str = "val") -> list[str]:
    """The documents of one split of uint16 shards, decoded back to text: a run's own held-out documents, for a
    demo that has no other (the text is the tokenizer's normalised form)."""
    meta_file = Path(shards_dir) / "meta.json"
    if not meta_file.exists():
        raise FileNotFoundError(f"{meta_file} does not exist: --val-shards takes a shard folder (make shards)")
    meta = json.loads(meta_file.read_text())
    sp = spm.SentencePieceProcessor(model_file=meta["tokenizer"])
    documents = []
    for shard in (s for s in meta["shards"] if s["split"] == split):
        ids = np.fromfile(Path(shards_dir) / shard["file"], dtype=np.uint16).astype(np.int64)
        ends = np.flatnonzero(ids == meta["eos_id"])
        for start, end in zip(np.concatenate([[0], ends[:-1] + 1]), ends, strict=True):
            pieces = [int(t) for t in ids[start:end] if t != meta["bos_id"]]
            documents.append(sp.decode(pieces))
    if not documents:
        raise ModelInputError(f"{shards_dir}/meta.json lists no {split} document")
    return documents


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def write_eval_tasks(out: str | Path, hindi: list[str], hinglish: list[str] | None = None, seed: int = 0,
                     sources: dict | None = None) -> dict:
    """Write the held-out texts and the next-sentence items into `out`; returns (and writes) the manifest.
    Without real Hinglish, the Hinglish text is the Hindi documents romanised."""
    from pipeline.hinglish.romanize import romanize

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    hinglish_texts = hinglish if hinglish else [romanize(text) for text in hindi]
    _write_jsonl(folder / HINDI_TEXT, [{"text": text} for text in hindi])
    _write_jsonl(folder / HINGLISH_TEXT, [{"text": text} for text in hinglish_texts])
    items = next_sentence_items(hindi, seed)
    _write_jsonl(folder / NEXT_SENTENCE["hi"], items)
    _write_jsonl(folder / NEXT_SENTENCE["hi_Latn"], romanized_items(items))
    manifest = {"seed": seed, "sources": sources or {}, "hinglish": "real" if hinglish else "romanised Hindi",
                "documents": {HINDI_TEXT: len(hindi), HINGLISH_TEXT: len(hinglish_texts)},
                "items": {name: len(items) for name in NEXT_SENTENCE.values()}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def read_items(path: str | Path) -> list[dict]:
    """Multiple-choice items (context, choices, label), one JSON object a line; a bad one names file and line."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            item = json.loads(line)
            ok = isinstance(item["context"], str) and isinstance(item["choices"], list) and \
                0 <= item["label"] < len(item["choices"])
        except (json.JSONDecodeError, KeyError, TypeError):
            ok = False
        if not ok:
            raise ModelInputError(f"{path}:{number}: not an item with 'context', 'choices' and a 'label' among them")
        items.append(item)
    return items


def heldout_texts(folder: str | Path) -> dict[str, list[str]]:
    """name → documents of the task folder's bits-per-byte texts."""
    return {text_set_name(name): document_texts(Path(folder) / name) for name in (HINDI_TEXT, HINGLISH_TEXT)}
