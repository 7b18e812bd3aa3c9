"""Documents from the files a tokenizer trains on or shards: JSONL (.jsonl, .jsonl.gz, .jsonl.zst) records with
`text` (and `id`), or plain text files whose blank-line separated blocks are documents."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import orjson
import zstandard

SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".txt")


class BadRecordError(ValueError):
    """A record that cannot be read; names the file and line."""


def input_files(paths: list[str]) -> list[Path]:
    """Every readable file under `paths`, sorted, so that runs see documents in the same order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"input {raw} does not exist (run the pipeline first, or pass --input PATH)")
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [f for f in found if f.name.endswith(SUFFIXES)]
    if not files:
        raise FileNotFoundError(f"no {', '.join(SUFFIXES)} files under {', '.join(paths)}")
    return files


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    if path.name.endswith(".zst"):
        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(path.open("rb")), encoding="utf-8")
    return path.open(encoding="utf-8")


def iter_documents(paths: list[str]) -> Iterator[tuple[str, str]]:
    """(id, text) of every document; a JSONL line that is not an object with a string `text` is an error that
    names its file and line (the pipeline's stages never write one)."""
    for path in input_files(paths):
        with _open_text(path) as f:
            if path.name.endswith(".txt"):
                for n, block in enumerate(f.read().split("\n\n")):
                    if block.strip():
                        yield f"{path.name}:{n}", block
                continue
            for line_number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                    text = record["text"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    raise BadRecordError(f"{path}:{line_number}: not a JSON object with a 'text' field") from None
                if not isinstance(text, str):
                    raise BadRecordError(f"{path}:{line_number}: 'text' is {type(text).__name__}, not a string")
                yield str(record.get("id", f"{path.name}:{line_number}")), text
