"""The one document reader: every consumer of documents (cards, the tokenizer's sample and shards, evaluation,
tests) reads a stage's output, or any local file, through `read_documents`, and gets each text with its metadata
(`language`, `parent_id`, `rehydration_weight`, scores, provenance) and where it was read.

Files: JSONL (.jsonl, .jsonl.gz, .jsonl.zst) records with `text` (and `id`, `metadata`), as datatrove's writers
produce them, or plain text (.txt) whose blank-line separated blocks are documents (CC100's layout) or, for
held-out evaluation sets, whose lines are (`text_per="line"`).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import orjson
import zstandard

from pipeline.errors import UserError

SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".txt")
MALFORMED = object()  # what json_lines gives for a line that is not JSON


class BadRecordError(UserError):
    """A record that cannot be read; names the file and line."""


class NoDocumentsError(UserError):
    """A file or folder given as documents holds none."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    metadata: dict = field(default_factory=dict)
    file: str = ""
    line: int = 0  # 1-based line of a JSONL record; the block number in a text file

    @property
    def language(self) -> str | None:
        """The pipeline's language decision (hi_Deva, hi_Latn, hi_mixed); None for files it did not write."""
        return self.metadata.get("language")


def input_files(paths: list[str | Path], missing_ok: bool = False) -> list[Path]:
    """Every readable file under `paths`, sorted, so that runs see documents in the same order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            if missing_ok:
                continue
            raise FileNotFoundError(f"input {raw} does not exist (run the pipeline first, or pass --input PATH)")
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [f for f in found if f.name.endswith(SUFFIXES)]
    if not files and not missing_ok:
        raise FileNotFoundError(f"no {', '.join(SUFFIXES)} files under {', '.join(map(str, paths))}")
    return files


def read_documents(paths: list[str | Path], limit: int | None = None, missing_ok: bool = False,
                   text_per: Literal["block", "line"] = "block") -> Iterator[Document]:
    """Every document under `paths`; with `limit`, about that many in all, the first ones of every file (a card
    describes the data, it need not read all of it). A JSONL line that is not an object with a string `text` is
    an error naming its file and line (the pipeline's stages never write one)."""
    files = input_files(paths, missing_ok)
    per_file = None if limit is None else max(1, limit // max(1, len(files)))
    for path in files:
        documents = _text_documents(path, text_per) if path.name.endswith(".txt") else _jsonl_records(path)
        for n, document in enumerate(documents):
            if per_file is not None and n >= per_file:
                break
            yield document


def document_texts(path: str | Path) -> list[str]:
    """The texts of a file or folder of held-out documents: plain text (.txt) has one per line; JSONL (.jsonl,
    .jsonl.gz, .jsonl.zst) one per record's `text` (a bad record names its file and line)."""
    documents = [doc.text for doc in read_documents([path], text_per="line") if doc.text.strip()]
    if not documents:
        raise NoDocumentsError(f"{path} holds no document")
    return documents


def text_set_name(path: str | Path) -> str:
    """What a held-out file or folder is called in figures and logs: its name without suffixes."""
    return Path(path).name.split(".")[0]


def open_text(path: Path) -> io.TextIOBase:
    """A text file, decompressed by its ending (.gz, .zst)."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    if path.name.endswith(".zst"):
        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(path.open("rb")), encoding="utf-8")
    return path.open(encoding="utf-8")


def _text_documents(path: Path, text_per: str) -> Iterator[Document]:
    with open_text(path) as f:
        parts = f.read().split("\n\n" if text_per == "block" else "\n")
    for n, part in enumerate(parts, 1):
        if part.strip():
            yield Document(f"{path.name}:{n}", part.strip() if text_per == "line" else part, file=str(path), line=n)


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) of every non-blank line of a JSONL file; MALFORMED where a line is no JSON. A
    compressed file cut short (still being written, or a copy interrupted) is a BadRecordError naming it."""
    line_number = 0
    try:
        with open_text(path) as f:
            for line_number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield line_number, orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield line_number, MALFORMED
    except (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError, UnicodeDecodeError) as err:
        raise BadRecordError(f"{path}: unreadable after line {line_number} ({err}): a file still being written "
                             f"or cut short") from None


def _jsonl_records(path: Path) -> Iterator[Document]:
    for line_number, record in json_lines(path):
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str):
            what = f"'text' is {type(text).__name__}, not a string" if isinstance(record, dict) and "text" in record \
                else "not a JSON object with a 'text' field"
            raise BadRecordError(f"{path}:{line_number}: {what}")
        doc_id = str(record.get("id", f"{path.name}:{line_number}"))
        yield Document(doc_id, text, record.get("metadata") or {}, str(path), line_number)
