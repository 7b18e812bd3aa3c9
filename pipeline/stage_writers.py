"""How every stage writes documents: gzip JSONL, one file per task, `{text, id, metadata}` per line.

The gzip is ISA-L's (the `isal` package, which fsspec picks up for every datatrove reader and writer): zlib's default
level 9 took 0.12 CPU s per MB, about a twentieth of the whole chain per stage written, ISA-L 0.002."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import IO

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.typeshelper import StatHints

from pipeline.lean_filter import FOLD_EVERY, add_doc_stats, add_ones, add_times


def text_record(_writer: JsonlWriter, document: Document) -> dict:
    """A text document as written: datatrove's default adapter gives the same fields through
    dataclasses.asdict, whose deep copy of the metadata costs more than all of normalisation."""
    return {"text": document.text, "id": document.id, "metadata": document.metadata}


def reasoned_record(_writer: JsonlWriter, document: Document, reason: str) -> dict:
    """A set-aside document from a step that gives no reason of its own (datatrove's MinhashDedupFilter)."""
    return {"text": document.text, "id": document.id, "metadata": {**document.metadata, "filter_reason": reason}}


class StageWriter(JsonlWriter):
    """JsonlWriter to one file per task, `${rank}.jsonl.gz`. Its name and open file are found once per task, not
    per document (DiskWriter.write substitutes its name template over the metadata twice per document and opens
    through a retry wrapper), and the books (documents per file, `total`, `doc_len`, time) are kept as LeanFilter
    keeps a filter's: the same statistics, folded in every FOLD_EVERY documents and when the writer closes."""

    def __init__(self, folder: Path, adapter):
        super().__init__(str(folder), output_filename="${rank}.jsonl.gz", adapter=adapter)
        self._files: dict[int, tuple[str, IO]] = {}  # rank → (file name, open file)
        self._lengths: list[int] = []
        self._tokens: list[int] = []
        self._seconds: list[float] = []

    def write(self, document: Document, rank: int = 0, **kwargs):
        opened = self._files.get(rank)
        if opened is None:
            name = self._get_output_filename(document, rank, **kwargs)
            opened = self._files[rank] = (name, self._get_output_file_with_retry(name))
        name, file = opened
        self._write(self.adapter(document), file, name)
        self._lengths.append(len(document.text))
        if token_count := document.metadata.get("token_count", None):
            self._tokens.append(token_count)
        if len(self._lengths) >= FOLD_EVERY:
            self._book()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        clock = time.perf_counter
        with self:
            for document in data:
                start = clock()
                self.write(document, rank)
                self._seconds.append(clock() - start)
                yield document

    def _book(self):
        """Folds the notes into the stats and empties them."""
        if self._lengths:
            add_ones(self.stats[self.output_filename.substitute(rank="XXXXX")], len(self._lengths))
            add_ones(self.stats[StatHints.total], len(self._lengths))
        add_doc_stats(self.stats, self._lengths, self._tokens)
        add_times(self.stats, self._seconds)
        self._lengths, self._tokens, self._seconds = [], [], []

    def close(self):
        self._book()
        self._files.clear()
        super().close()


def stage_writer(folder: Path, reason: str | None = None) -> StageWriter:
    """`reason`: stamped as `filter_reason` on every document written (for writers of set-aside documents)."""
    return StageWriter(folder, text_record if reason is None else partial(reasoned_record, reason=reason))
