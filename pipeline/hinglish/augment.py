"""Stage 05_hinglish's step: for a share of the Devanagari Hindi documents, add a romanised copy and/or a
code-mixed copy next to the original, so that the corpus holds Hinglish the way people write it.

Which documents get a copy, and the spelling variants and swapped words in it, depend only on the seed and the
document id: a re-run, or a run with other tasks, adds the same copies.
"""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from pipeline.filter.language_id import HINDI_DEVANAGARI, HINDI_LATIN
from pipeline.hashing import unit_hash
from pipeline.hinglish.code_mixing import code_mix
from pipeline.hinglish.romanize import romanize
from pipeline.hinglish.settings import HinglishConfig


class AddHinglishCopies(PipelineStep):
    type = "➕ - AUGMENT"
    name = "🔤 Hinglish copies"

    def __init__(self, config: HinglishConfig):
        super().__init__()
        self.config = config

    def copies(self, doc: Document) -> list[Document]:
        if doc.metadata.get("language") != HINDI_DEVANAGARI:
            return []
        config, out = self.config, []
        seed = int(unit_hash(config.seed, "seed", doc.id) * 2**31)
        if unit_hash(config.seed, "romanised", doc.id) < config.romanised_fraction:
            out.append(self._copy(doc, "romanised", romanize(doc.text, seed=seed)))
        if unit_hash(config.seed, "code_mixed", doc.id) < config.code_mixed_fraction:
            out.append(self._copy(doc, "code_mixed", code_mix(doc.text, config.english_share, seed)))
        return out

    @staticmethod
    def _copy(doc: Document, kind: str, text: str) -> Document:
        metadata = {**doc.metadata, "hinglish": kind, "parent_id": doc.id, "language": HINDI_LATIN}
        return Document(text=text, id=f"{doc.id}-{kind}", metadata=metadata)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("documents")
            yield doc
            with self.track_time():
                copies = self.copies(doc)
            for copy in copies:
                self.stat_update(f"added_{copy.metadata['hinglish']}")
                yield copy
