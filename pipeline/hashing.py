"""The project's two hashes, one home each: a file's checksum (what a fingerprint, meta.json or a checkpoint records
of a file) and a document id's place in [0, 1) (every deterministic split by id: shards' val, the tokenizer's
held-out documents, SFT's val, augmentation draws)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, computed once per version of the file (path, mtime, size): fingerprints of
    every later stage include a model's or lexicon's checksum, and a 20 MB model is not hashed once per stage."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
