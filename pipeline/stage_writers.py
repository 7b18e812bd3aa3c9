"""How every stage writes documents: gzip JSONL, one file per task, `{text, id, metadata}` per line."""

from __future__ import annotations

from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter


def text_record(_writer: JsonlWriter, document: Document) -> dict:
    """A text document as written: datatrove's default adapter gives the same fields through
    dataclasses.asdict, whose deep copy of the metadata costs more than all of normalisation."""
    return {"text": document.text, "id": document.id, "metadata": document.metadata}


def stage_writer(folder: Path) -> JsonlWriter:
    return JsonlWriter(str(folder), output_filename="${rank}.jsonl.gz", adapter=text_record)
