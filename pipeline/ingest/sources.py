"""Readers for the configured sources: local JSONL/Parquet/text, or Hugging Face hub datasets."""

from __future__ import annotations

import os
from pathlib import Path

from datatrove.pipeline.readers.base import BaseReader

from pipeline.config import DEFAULT_GLOBS, SourceConfig
from pipeline.errors import UserError
from pipeline.ingest.readers import CheckedHubReader, CheckedJsonlReader, CheckedParquetReader, CheckedTextReader
from pipeline.ingest.settings import IngestConfig


class SourceUnavailable(UserError):
    """A source that cannot be read here (offline hub access)."""


def hub_is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def check_hub_source(source: SourceConfig) -> None:
    """Fail at once, before any task starts, when a hub source cannot be reached."""
    hint = (
        f"source {source.name!r} streams {source.dataset} from the Hugging Face hub, {{why}}. "
        "Point the run at local files instead: python -m pipeline run CONFIG --input PATH "
        "(JSONL, Parquet or blank-line separated text; make demo INPUT=PATH does the same)"
    )
    if hub_is_offline():
        raise SourceUnavailable(hint.format(why="but HF_HUB_OFFLINE=1"))
    from huggingface_hub import HfApi

    try:
        HfApi().dataset_info(source.dataset, timeout=15)
    except Exception as err:  # any failure to reach the hub has the same remedy
        why = f"but the hub cannot be reached ({type(err).__name__}: {err})"
        raise SourceUnavailable(hint.format(why=why)) from err


def source_files(source: SourceConfig) -> list[Path]:
    """The files a local source reads, sorted (the reader's own glob)."""
    path = Path(source.path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.glob(source.glob or DEFAULT_GLOBS[source.kind]) if p.is_file())


def input_listing(sources: list[SourceConfig]) -> dict[str, list]:
    """source → [name, size, mtime] of every file it reads: part of 01_ingest's fingerprint, so a new, removed or
    rewritten input file makes the stage stale instead of reusing the old completion markers."""
    listing = {}
    for source in sources:
        if source.kind == "hf":
            continue
        root = Path(source.path) if Path(source.path).is_dir() else Path(source.path).parent
        listing[source.name] = [[str(f.relative_to(root)), f.stat().st_size, f.stat().st_mtime_ns]
                                for f in source_files(source)]
    return listing


def build_reader(source: SourceConfig, ingest: IngestConfig) -> BaseReader:
    checks = dict(source_name=source.name, max_doc_chars=ingest.max_doc_chars, strict=ingest.strict)
    keys = dict(text_key=source.text_key, id_key=source.id_key, limit=source.limit)
    if source.kind == "hf":
        check_hub_source(source)
        options = {"split": source.split} | ({"name": source.subset} if source.subset else {})
        return CheckedHubReader(
            source.dataset, dataset_options=options, streaming=source.streaming, **checks, **keys
        )
    if os.path.isfile(source.path):
        folder, glob = os.path.dirname(os.path.abspath(source.path)), os.path.basename(source.path)
    else:
        folder, glob = source.path, source.glob or DEFAULT_GLOBS[source.kind]
    reader_class = {"jsonl": CheckedJsonlReader, "parquet": CheckedParquetReader, "text": CheckedTextReader}
    return reader_class[source.kind](folder, glob_pattern=glob, **checks, **keys)
