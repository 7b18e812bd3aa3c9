"""How every stage writes documents: gzip JSONL, one file per task, `{text, id, metadata}` per line.

The gzip is ISA-L's (the `isal` package, which fsspec picks up for every datatrove reader and writer): zlib's default
level 9 took 0.12 CPU s per MB, about a twentieth of the whole chain per stage written, ISA-L 0.002."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter


def text_record(_writer: JsonlWriter, document: Document) -> dict:
    """A text document as written: datatrove's default adapter gives the same fields through
    dataclasses.asdict, whose deep copy of the metadata costs more than all of normalisation."""
    return {"text": document.text, "id": document.id, "metadata": document.metadata}


def reasoned_record(_writer: JsonlWriter, document: Document, reason: str) -> dict:
    """A set-aside document from a step that gives no reason of its own (datatrove's MinhashDedupFilter)."""
    return {"text": document.text, "id": document.id, "metadata": {**document.metadata, "filter_reason": reason}}


def stage_writer(folder: Path, reason: str | None = None) -> JsonlWriter:
    """`reason`: stamped as `filter_reason` on every document written (for writers of set-aside documents)."""
    adapter = text_record if reason is None else partial(reasoned_record, reason=reason)
    return JsonlWriter(str(folder), output_filename="${rank}.jsonl.gz", adapter=adapter)
