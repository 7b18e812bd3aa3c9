"""A pipeline run's books and documents, to hold a run on a cluster against a local run of the same config."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from tests.conftest import read_jsonl_folder

STAGE_FOLDERS = ["01_ingest", "02_filter", "03_dedup", "04_pii", "05_hinglish", "06_tokenize"]
BOOK_KEYS = ["documents_in", "documents_added", "documents_out", "documents_set_aside", "set_aside_by_filter",
             "balanced", "tasks", "tasks_completed"]


def documents(folder: Path, run: Path) -> Counter:
    """Each document (id, text, metadata) of a folder of JSONL files, with how often it occurs; the run folder
    in metadata (datatrove's readers record the file a document came from) is written RUN."""
    return Counter(
        json.dumps([r["id"], r["text"], r.get("metadata", {})], sort_keys=True, ensure_ascii=False).replace(
            str(run), "RUN"
        )
        for r in read_jsonl_folder(folder)
    )


def shard_digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.bin"))}


def assert_same_books(local_run: Path, other_run: Path) -> None:
    """Every stage finished, with the local run's counts, the same documents kept and set aside (each once) and
    byte-identical shards."""
    for folder in STAGE_FOLDERS:
        local, other = local_run / folder, other_run / folder
        books = json.loads((other / "stats.json").read_text())
        assert books["tasks_completed"] == books["tasks"] and books["balanced"], f"{folder}: {books}"
        local_books = json.loads((local / "stats.json").read_text())
        assert {k: books.get(k) for k in BOOK_KEYS} == {k: local_books.get(k) for k in BOOK_KEYS}, folder
        if folder == "06_tokenize":
            assert shard_digests(other / "output") == shard_digests(local / "output") != {}
            continue
        for part in ("output", "rejected"):
            kept = documents(other / part, other_run)
            assert kept == documents(local / part, local_run), f"{folder}/{part} differs from the local run's"
            assert all(n == 1 for n in kept.values()), f"{folder}/{part} holds a document twice"
