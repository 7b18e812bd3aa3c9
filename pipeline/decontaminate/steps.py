"""The decontamination stage's two steps. FindContamination (phase `find`) lists, per task, the root documents of
which some member (the document or a Hinglish copy) shares an n-gram with an evaluation set; DropContaminated
(phase `filter`) sets aside every document whose root is listed, so that a story and its romanised and
code-mixed copies go together, whichever of them matched and whichever task read it.
"""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from pipeline.decontaminate.eval_sets import EvalSet, build_index
from pipeline.lean_filter import LeanFilter

CONTAMINATED = "contaminated"


def root_of(doc: Document) -> str:
    """The document a Hinglish copy was made from (`parent_id`), else the document itself."""
    return doc.metadata.get("parent_id") or doc.id


class FindContamination(PipelineStep):
    type = "🔍 - DECONT"
    name = "🧪 Find contamination"

    def __init__(self, sets: list[EvalSet], n_words: int, folder: str | Path):
        super().__init__()
        self.sets, self.n_words, self.folder = sets, n_words, Path(folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        index = build_index(self.sets, self.n_words)
        self.folder.mkdir(parents=True, exist_ok=True)
        if rank == 0:
            summary = {"n_words": self.n_words, "ngrams_per_set": index.ngrams_per_set}
            (self.folder / "index.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        found = self.folder / f"{rank:05d}.jsonl"
        partial = found.with_suffix(".jsonl.tmp")  # a killed task leaves no half list behind
        with partial.open("w", encoding="utf-8") as out:
            for doc in data:
                self.stat_update("documents")
                with self.track_time():
                    match = index.first_match(doc.text) if index.owners else None
                if match is not None:
                    self.stat_update(f"matched_{match[0]}")
                    record = {"root": root_of(doc), "id": doc.id, "eval_set": match[0], "ngram": match[1]}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        partial.replace(found)
        return
        yield  # a generator that yields nothing: this phase only writes the lists


def read_contaminated_roots(folder: str | Path) -> dict[str, dict]:
    """root id → the first match found for it (in task order), from every task's list."""
    roots: dict[str, dict] = {}
    for path in sorted(Path(folder).glob("[0-9]*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            roots.setdefault(record["root"], record)
    return roots


class DropContaminated(LeanFilter):
    name = "🧪 Decontamination"

    def __init__(self, folder: str | Path, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.folder = Path(folder)
        self.roots: dict[str, dict] | None = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self.roots is None:  # read in the worker, after the find phase has written every list
            self.roots = read_contaminated_roots(self.folder)
        match = self.roots.get(root_of(doc))
        if match is None:
            return True
        doc.metadata |= {"eval_set": match["eval_set"], "contamination_ngram": match["ngram"],
                         "contamination_found_in": match["id"]}
        self.stat_update(f"{CONTAMINATED}_{match['eval_set']}")
        return False, CONTAMINATED
