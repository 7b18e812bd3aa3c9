"""The project's two hashes, one home each: a file's checksum (what a fingerprint, meta.json or a checkpoint records
of a file) and a document id's place in [0, 1) (every deterministic split by id: shards' val, the tokenizer's
held-out documents, SFT's val, augmentation draws)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_sha256(path: str | Path) -> str:
    """`file_sha256`, computed once per version of the file (path, mtime, size): every later stage's fingerprint
    includes a model's or lexicon's checksum, and a 20 MB model is not hashed once per stage. (A checkpoint's
    verification reads the bytes every time: `file_sha256`.)"""
    stat = Path(path).stat()
    return _cached_sha256(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    return file_sha256(path)


def rule_file_checksums(files: list[Path]) -> dict[str, str]:
    """`folder/name` → checksum of every lexicon or rule file a stage reads: part of its fingerprint, so an edited
    word list makes the stage (and every stage after it) stale."""
    return {f"{path.parent.name}/{path.name}": fingerprint_sha256(path) for path in sorted(files)}


def unit_hash(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` (joined by ':'), spread evenly: compared with a fraction it puts a
    document on one side of a split whatever the file order or task count; times n it picks one of n."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
