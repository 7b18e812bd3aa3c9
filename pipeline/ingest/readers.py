"""datatrove readers that never drop a record silently.

datatrove's stock readers log and skip a malformed JSON line and skip records without text. Here every
record becomes a Document: a good one with provenance metadata and a stable id, a bad one with its raw
content (undecodable bytes kept as backslash escapes) and `metadata["ingest_error"]` naming the reason,
so that `DropMalformedRecords` can count it and write it to `rejected/`. With `strict`, the first bad
record raises `MalformedRecordError` naming the file and line instead.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.readers.huggingface import HuggingFaceDatasetReader
from datatrove.utils.logging import logger

from pipeline.errors import UserError

# Warn per reason at most this many times per task; the card lists every bad record anyway.
MAX_WARNINGS_PER_REASON = 5


class MalformedRecordError(UserError):
    """A bad input record in --strict mode."""


@contextmanager
def open_lines(folder: DataFolder, path: str) -> Iterator[IO[bytes]]:
    """A binary file (decompressed by its ending) that iterates by line: zstd's reader cannot on its own,
    and lines are read as bytes so that invalid UTF-8 is caught per record, not per file."""
    with folder.open(path, "rb", compression="infer") as f:
        yield io.BufferedReader(f) if path.endswith(".zst") else f


def stable_id(source: str, original_id: str) -> str:
    """Document id that is the same on every run and machine: a hash of the source name and original id."""
    return hashlib.blake2b(f"{source}\x00{original_id}".encode(), digest_size=10).hexdigest()


class CheckedRecords:
    """Turns raw records into Documents, good or flagged; mixed into each reader below."""

    source_name: str
    max_doc_chars: int
    strict: bool
    text_key: str
    id_key: str

    def _init_checks(self, source_name: str, max_doc_chars: int, strict: bool) -> None:
        self.source_name = source_name
        self.max_doc_chars = max_doc_chars
        self.strict = strict
        self._warned: dict[str, int] = {}

    def record_to_document(self, data: object, path: str, line: int) -> Document:
        if not isinstance(data, dict):
            return self.bad_record("not_an_object", f"a JSON {type(data).__name__}", repr(data), path, line)
        text = data.get(self.text_key)
        if not isinstance(text, str):
            found = (
                "missing" if self.text_key not in data else "null" if text is None else type(text).__name__
            )
            detail = f"field {self.text_key!r} is {found}"
            return self.bad_record("no_text", detail, orjson.dumps(data, default=str).decode(), path, line)
        if len(text) > self.max_doc_chars:
            return self.bad_record(
                "too_long", f"{len(text):,} characters > {self.max_doc_chars:,}", text, path, line
            )
        if not text.strip():
            return self.bad_record("empty", "text is empty or only white space", text, path, line)
        raw_id = data.get(self.id_key)
        original_id = str(raw_id) if raw_id not in (None, "") else f"{path}:{line}"
        metadata = {"source": self.source_name, "original_id": original_id, "file": path, "line": line}
        for key in ("title", "url"):
            if isinstance(data.get(key), str):
                metadata[key] = data[key]
        if isinstance(data.get("source"), str):
            metadata["original_source"] = data["source"]
        return Document(text=text, id=stable_id(self.source_name, original_id), metadata=metadata)

    def bad_record(self, reason: str, detail: str, raw: str, path: str, line: int) -> Document:
        where = f"{path}:{line}"
        if self.strict:
            raise MalformedRecordError(
                f"{where}: {reason} ({detail}); run without --strict to count it and go on"
            )
        self._warned[reason] = self._warned.get(reason, 0) + 1
        if self._warned[reason] <= MAX_WARNINGS_PER_REASON:
            logger.warning(f"bad record {where}: {reason} ({detail}); counted and set aside")
        metadata = {
            "source": self.source_name,
            "file": path,
            "line": line,
            "ingest_error": reason,
            "ingest_error_detail": detail,
        }
        return Document(text=raw, id=stable_id(self.source_name, where), metadata=metadata)


class CheckedJsonlReader(CheckedRecords, BaseDiskReader):
    """JSON Lines (plain, .gz, .zst), one record per line; line numbers start at 1."""

    name = "🐿 Checked JSONL"

    def __init__(self, data_folder, source_name: str, max_doc_chars: int, strict: bool, **kwargs):
        super().__init__(data_folder, **kwargs)
        self._init_checks(source_name, max_doc_chars, strict)

    def read_file(self, filepath: str) -> Iterator[Document]:
        input_bytes = blank_lines = 0
        with open_lines(self.data_folder, filepath) as f:
            for line_no, raw in enumerate(f, start=1):
                if not raw.strip():
                    blank_lines += 1
                    continue
                with self.track_time():
                    document = self._parse_line(raw, filepath, line_no)
                input_bytes += len(raw)
                yield document
        self.stat_update("input_bytes", value=input_bytes, unit="input_file")
        if blank_lines:
            self.stat_update("blank_lines_skipped", value=blank_lines, unit="input_file")

    def _parse_line(self, raw: bytes, path: str, line: int) -> Document:
        try:
            return self.record_to_document(orjson.loads(raw), path, line)
        except orjson.JSONDecodeError as err:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as utf_err:
                text = raw.decode("utf-8", errors="backslashreplace").rstrip("\n")
                return self.bad_record(
                    "invalid_utf8", f"byte {utf_err.start}: {utf_err.reason}", text, path, line
                )
            return self.bad_record("malformed_json", str(err), raw.decode("utf-8").rstrip("\n"), path, line)


class CheckedTextReader(CheckedRecords, BaseDiskReader):
    """Plain text with documents separated by blank lines (CC100's raw format); a document's line is
    the line it starts on."""

    name = "📄 Checked text"

    def __init__(self, data_folder, source_name: str, max_doc_chars: int, strict: bool, **kwargs):
        super().__init__(data_folder, **kwargs)
        self._init_checks(source_name, max_doc_chars, strict)

    def read_file(self, filepath: str) -> Iterator[Document]:
        lines: list[bytes] = []
        start = 0
        with open_lines(self.data_folder, filepath) as f:
            for line_no, raw in enumerate(f, start=1):
                if raw.strip():
                    start = start or line_no
                    lines.append(raw.rstrip(b"\r\n"))
                elif lines:
                    yield self._document(lines, filepath, start)
                    lines, start = [], 0
            if lines:
                yield self._document(lines, filepath, start)

    def _document(self, lines: list[bytes], path: str, line: int) -> Document:
        raw = b"\n".join(lines)
        self.stat_update("input_bytes", value=len(raw))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            text = raw.decode("utf-8", errors="backslashreplace")
            return self.bad_record("invalid_utf8", f"byte {err.start}: {err.reason}", text, path, line)
        return self.record_to_document({self.text_key: text}, path, line)


class CheckedParquetReader(CheckedRecords, BaseDiskReader):
    """Parquet files; a record's `line` is its 1-based row number in the file."""

    name = "📒 Checked Parquet"
    _requires_dependencies = ["pyarrow"]

    def __init__(self, data_folder, source_name: str, max_doc_chars: int, strict: bool, **kwargs):
        super().__init__(data_folder, **kwargs)
        self._init_checks(source_name, max_doc_chars, strict)

    def read_file(self, filepath: str) -> Iterator[Document]:
        import pyarrow.parquet as pq

        row = 0
        with self.data_folder.open(filepath, "rb") as f, pq.ParquetFile(f) as parquet:
            for batch in parquet.iter_batches(batch_size=1000):
                for record in batch.to_pylist():
                    row += 1
                    document = self.record_to_document(record, filepath, row)
                    self.stat_update("input_bytes", value=len(document.text.encode("utf-8")))
                    yield document


class CheckedHubReader(CheckedRecords, HuggingFaceDatasetReader):
    """A Hugging Face hub dataset through `datasets` (streaming); `line` is the task's row index."""

    name = "🤗 Checked hub dataset"

    def __init__(self, dataset: str, source_name: str, max_doc_chars: int, strict: bool, **kwargs):
        super().__init__(dataset, **kwargs)
        self._init_checks(source_name, max_doc_chars, strict)

    def get_document_from_dict(self, data: dict, source_file: str, id_in_file: int | str) -> Document:
        document = self.record_to_document(data, source_file, id_in_file)
        document.metadata["dataset"] = source_file
        self.stat_update("input_bytes", value=len(document.text.encode("utf-8")))
        return document

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        try:
            yield from super().run(data, rank, world_size)
        except (ConnectionError, OSError) as err:
            raise ConnectionError(
                f"could not stream {self.dataset} from the Hugging Face hub ({err}); offline, pass "
                "--input PATH with local JSONL/Parquet/text files instead"
            ) from err
