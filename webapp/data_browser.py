"""What a pipeline run kept and set aside, read from its work folder as it is (never written to).

A run is `<workdir>/<run>/<NN_stage>/` (pipeline/workdir.py): `stats.json` holds the stage's books, `output/`
the kept documents, `rejected/<filter>/` and `removed/<kind>/` the documents set aside, each with its reason,
source file and line in its metadata; they are read through the pipeline's one reader (pipeline/documents.py).
The cards (`<cards>/<run>/<NN_stage>.json|.md|*.png`) add plots.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.documents import Document, read_documents
from pipeline.workdir import StagePaths, stage_paths

STAGE_FOLDER = re.compile(r"^\d\d_[a-z0-9_]+$")
SAFE_NAME = re.compile(r"^[\w.-]+$")  # a run, stage, folder or file name: no separators, no '..' alone
# The metadata that says where a document came from and why it went; everything numeric besides is a score.
PROVENANCE = ("source", "file", "line", "filter_reason", "ingest_error", "ingest_error_detail", "duplicate_of")
SNIPPET_CHARS = 400


class NotFound(LookupError):
    """A run, stage, set or record the work folder does not hold (the page answers 404 with this message)."""


def safe_name(name: str, what: str) -> str:
    """`name` if it is one plain path component (no separators, not . or ..); else NotFound."""
    if not SAFE_NAME.match(name) or name in (".", ".."):
        raise NotFound(f"{what} {name!r} is not a plain folder or file name")
    return name


@dataclass(frozen=True)
class DocumentQuery:
    """Which documents of a set to list: those with `reason` (any when empty) whose text, id or source file
    contains `text` (case-insensitive), from the `offset`-th match on, `limit` of them."""

    reason: str = ""
    text: str = ""
    offset: int = 0
    limit: int = 20

    def matches(self, doc: Document) -> bool:
        if self.reason and doc.metadata.get("filter_reason") != self.reason:
            return False
        needle = self.text.casefold()
        haystack = (doc.text, doc.id, str(doc.metadata.get("file", "")))
        return not needle or any(needle in value.casefold() for value in haystack)


def describe(doc: Document, shard: str, full_text: bool) -> dict:
    """A document as the page shows it: where it came from (file, line), why it went, its scores, its text."""
    meta, text = doc.metadata, doc.text
    scores = {k: v for k, v in meta.items() if isinstance(v, int | float) and not isinstance(v, bool)
              and k not in PROVENANCE}
    return {
        "id": doc.id,
        "shard": shard,
        "shard_line": doc.line,
        "reason": meta.get("filter_reason"),
        "source": meta.get("source"),
        "file": meta.get("file"),
        "line": meta.get("line"),
        "detail": meta.get("ingest_error_detail") or (f"duplicate of {meta['duplicate_of']}"
                                                      if meta.get("duplicate_of") else ""),
        "scores": scores,
        "characters": len(text),
        "text": text if full_text else text[:SNIPPET_CHARS],
        "truncated": not full_text and len(text) > SNIPPET_CHARS,
        "metadata": meta if full_text else None,
    }


class WorkFolder:
    """The pipeline runs under `workdir` and their cards under `cards_dir`."""

    def __init__(self, workdir: str | Path, cards_dir: str | Path):
        self.root, self.cards_root = Path(workdir), Path(cards_dir)

    def runs(self) -> list[str]:
        """Folders of the work folder that hold at least one stage with its books (stats.json)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self._stage_folders(p))

    def _stage_folders(self, run_dir: Path) -> list[Path]:
        return sorted(p for p in run_dir.iterdir() if STAGE_FOLDER.match(p.name) and (p / "stats.json").is_file())

    def run_dir(self, run: str) -> Path:
        path = self.root / safe_name(run, "run")
        if not path.is_dir() or not self._stage_folders(path):
            raise NotFound(f"no pipeline run {run!r} in {self.root} (runs there: {', '.join(self.runs()) or 'none'})")
        return path

    def stage(self, run: str, stage: str) -> StagePaths:
        paths = stage_paths(self.run_dir(run), safe_name(stage, "stage"))
        if not paths.stats.is_file():
            raise NotFound(f"run {run!r} has no finished stage {stage!r}")
        return paths

    def run_summary(self, run: str) -> dict:
        """Every stage's books, card (plots, summary line) and document sets, in stage order."""
        return {"run": run, "stages": [self._stage_summary(run, p) for p in self._stage_folders(self.run_dir(run))]}

    def _stage_summary(self, run: str, folder: Path) -> dict:
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
        card_json = self.cards_root / run / f"{folder.name}.json"
        card = json.loads(card_json.read_text(encoding="utf-8")) if card_json.is_file() else {}
        card_md = self.cards_root / run / f"{folder.name}.md"
        plots = {kind: name for kind, name in (card.get("plots") or {}).items()
                 if (self.cards_root / run / name).is_file()}
        books = {k: stats.get(k) for k in ("documents_in", "documents_out", "documents_set_aside", "documents_added",
                                           "balanced", "characters_in", "characters_out", "tasks",
                                           "tasks_completed")}
        return {
            "stage": folder.name,
            "summary_line": card.get("summary_line", ""),
            "books": books,
            "set_aside_by_filter": stats.get("set_aside_by_filter", {}),
            "added_by_step": stats.get("added_by_step", {}),
            "changed_by_step": stats.get("changed_by_step", {}),
            "plots": plots,
            "card_markdown": card_md.name if card_md.is_file() else None,
            "sets": self._document_sets(stage_paths(folder.parent, folder.name), stats),
        }

    @staticmethod
    def _document_sets(paths: StagePaths, stats: dict) -> list[dict]:
        """`output` (kept), then `rejected/<filter>` and `removed/<kind>`, with the reasons stats.json lists."""
        listed: dict[str, set[str]] = {}
        for record in stats.get("set_aside_records", []):
            listed.setdefault(record.get("filter", ""), set()).add(record.get("reason", ""))
        sets = [{"set": "output", "kind": "kept", "reasons": []}] if paths.output.is_dir() else []
        for root, kind in ((paths.rejected, "rejected"), (paths.removed, "removed")):
            if root.is_dir():
                sets += [{"set": f"{kind}/{p.name}", "kind": kind, "reasons": sorted(listed.get(p.name, ()))}
                         for p in sorted(root.iterdir()) if p.is_dir()]
        return sets

    def set_folder(self, run: str, stage: str, document_set: str) -> Path:
        paths = self.stage(run, stage)
        kind, _, name = document_set.partition("/")
        if document_set == "output":
            folder = paths.output
        elif kind in ("rejected", "removed") and name:
            folder = paths.root / kind / safe_name(name, "set")
        else:
            raise NotFound(f"set {document_set!r} is not 'output', 'rejected/<filter>' or 'removed/<kind>'")
        if not folder.is_dir():
            raise NotFound(f"stage {stage!r} of run {run!r} has no {document_set}/ folder")
        return folder

    @staticmethod
    def _documents(folder: Path) -> Iterator[tuple[str, Document]]:
        """(shard file relative to the set folder, document) in file order, through the pipeline's one reader: a
        shard still being written or a line that is not a document is a BadRecordError naming file and line."""
        for doc in read_documents([folder], missing_ok=True):
            yield Path(doc.file).relative_to(folder).as_posix(), doc

    def documents(self, run: str, stage: str, document_set: str, query: DocumentQuery) -> dict:
        """One page of the set's documents that match `query`; `has_more` says whether another page follows.
        Reads the shards from the start on each call and stops after the page, so no index is kept."""
        folder = self.set_folder(run, stage, document_set)
        page: list[dict] = []
        matched = 0
        for shard, doc in self._documents(folder):
            if not query.matches(doc):
                continue
            if matched >= query.offset + query.limit:
                return {"documents": page, "offset": query.offset, "has_more": True}
            if matched >= query.offset:
                page.append(describe(doc, shard, full_text=False))
            matched += 1
        return {"documents": page, "offset": query.offset, "has_more": False}

    def document(self, run: str, stage: str, document_set: str, shard: str, shard_line: int) -> dict:
        """The whole document at `shard`:`shard_line` of a set, with all its metadata."""
        folder = self.set_folder(run, stage, document_set)
        path = folder.joinpath(*(safe_name(part, "shard") for part in shard.split("/")))
        if not path.is_file():
            raise NotFound(f"{document_set}/{shard} is not a shard of stage {stage!r}")
        for doc in read_documents([path]):
            if doc.line == shard_line:
                return describe(doc, shard, full_text=True)
        raise NotFound(f"{document_set}/{shard} has fewer than {shard_line} lines")

    def card_file(self, run: str, name: str) -> Path:
        """A card's Markdown or plot, for the page to show."""
        path = self.cards_root / safe_name(run, "run") / safe_name(name, "card file")
        if path.suffix not in (".png", ".md", ".json") or not path.is_file():
            raise NotFound(f"no card file {name!r} for run {run!r} in {self.cards_root}")
        return path
