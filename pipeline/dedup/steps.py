"""Stage 03_dedup's steps: exact duplicates by a hash of the normalised text, then near duplicates with datatrove's
four MinHash stages on word 5-grams, with a normaliser that keeps Devanagari's combining marks.

datatrove's default MinHash normalisation decomposes the text (NFD) and drops every combining mark (Mn), so में
becomes म, हैं becomes ह and कि becomes क: different texts would share shingles. `HINDI_TEXT_NORM` keeps them
(and so keeps matras, halant, nukta, anusvara and candrabindu), and still lower-cases, drops punctuation and
maps numbers to 0, so that a copy with other numbers or punctuation still matches as a near duplicate.
An exact duplicate is the same text up to case, whitespace and punctuation (`EXACT_TEXT_NORM` keeps numbers):
year pages "1278 ईसा पूर्व …" and "1905 ईसा पूर्व …" differ, and MinHash decides whether they are near duplicates.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.text import TextNormConfig

from pipeline.dedup.normalise import simplify
from pipeline.lean_filter import LeanFilter

HINDI_TEXT_NORM = TextNormConfig(norm_unicode_diacritics=False)  # MinHash's: numbers become 0
EXACT_TEXT_NORM = TextNormConfig(norm_unicode_diacritics=False, norm_numbers=False)
NEAR_DUPLICATE = "near_duplicate"  # the reason MinHash-removed documents carry


@dataclass
class DedupConfig:
    """Stage 03_dedup. A copy with 5% of its words dropped and another header and footer has a word-5-gram
    Jaccard of 0.43-0.75 with its original (median 0.63; one dropped word breaks five 5-grams), measured on corpus
    news. datatrove's and FineWeb's 14 buckets of 8 hashes catch J 0.6 with probability 0.21. 40 buckets of 4
    hashes catch J 0.5 with 0.92, 0.6 with 0.996, and J 0.2 (unrelated news on the same topic) with 0.06; the card
    plots the whole S-curve. 160 hashes cost more signature time than 112."""

    n_grams: int = 5
    num_buckets: int = 40
    hashes_per_bucket: int = 4
    seed: int = 1
    # Rehydration (FineWeb-2): a kept document's weight by the size of the cluster it stood for; the key is the
    # smallest cluster size the weight applies to. Stored in metadata["rehydration_weight"] for the sampler.
    rehydration_weights: dict = field(default_factory=lambda: {1: 1, 2: 2, 5: 3, 100: 1})

    def minhash(self) -> MinhashConfig:
        return MinhashConfig(
            n_grams=self.n_grams,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=self.seed,
            norm_config=HINDI_TEXT_NORM,
        )

    def weight(self, cluster_size: int) -> int:
        by_size = sorted(self.rehydration_weights.items(), reverse=True)
        return next((weight for size, weight in by_size if cluster_size >= size), 1)


def catch_probability(similarity: float, buckets: int, hashes_per_bucket: int) -> float:
    """P(a pair with this Jaccard similarity shares at least one bucket): the MinHash S-curve."""
    return 1 - (1 - similarity**hashes_per_bucket) ** buckets


def normalised_text(text: str, config: TextNormConfig = HINDI_TEXT_NORM) -> str:
    return simplify(text, config, drop_dandas=True)  # dandas are not in datatrove's punctuation list


def exact_hash(text: str) -> str:
    """The key of exact duplicates: the text up to case, whitespace and punctuation (numbers count)."""
    return hashlib.sha1(normalised_text(text, EXACT_TEXT_NORM).encode()).hexdigest()


# Exact dedup in three sharded phases, none on a single task. A document is named by its place, (task, index in
# the task's input), never by its id: ids hash the source's own `id` field, which nothing makes unique, and a
# unique document sharing an id with a copy of another must not be dropped with it. Every phase that reads the
# input reads the same files in the same order per task (as datatrove's MinHash filter relies on too).
#   ExactHashes (task r of W)    hashes/<p>/<r>.tsv for p = hash prefix mod W: "hash index id" per document
#   ExactGroups (task p of W)    groups partition p: the first document (by task, then index) is kept;
#                                decisions/<r>/<p>.tsv: "index removed <kept id>" or "index copies <n>"
#   DropExactDuplicates (task r) reads decisions/<r>/*: the removals and copy counts of its own documents only
# Memory per task is one partition's hashes (N / W records) or one task's decisions, so it falls with W.


def _partition_file(folder: str, partition: int, rank: int) -> str:
    return f"{folder}/{partition:05d}/{rank:05d}.tsv"


class ExactHashes(PipelineStep):
    """Writes (`exact_hash`, index, id) of every document into the partition its hash prefix names."""

    type = "🫂 - DEDUP"
    name = "#️⃣ exact hashes"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        folder = get_datafolder(self.folder)
        outs = [folder.open(_partition_file("hashes", p, rank), "wt") for p in range(world_size)]
        try:
            for index, doc in enumerate(data):
                self.stat_update("documents")
                key = exact_hash(doc.text)
                outs[int(key[:8], 16) % world_size].write(f"{key}\t{index}\t{json.dumps(doc.id)}\n")
        finally:
            for out in outs:
                out.close()
        yield from ()


class ExactGroups(PipelineStep):
    """Task p groups partition p's hashes; the first document of each group (by task, then index) is kept, and
    every other one is set aside naming it. Holds one record per document of its partition."""

    type = "🫂 - DEDUP"
    name = "#️⃣ exact groups"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        folder = get_datafolder(self.folder)
        keeper: dict[str, tuple[int, int, str]] = {}  # hash → (task, index, id) of the kept document
        removed: dict[int, list[str]] = defaultdict(list)  # task → decision lines
        copies: dict[tuple[int, int], int] = defaultdict(int)
        for name in sorted(folder.list_files(subdirectory=f"hashes/{rank:05d}", glob_pattern="*.tsv")):
            source = int(name.rsplit("/", 1)[-1].removesuffix(".tsv"))
            with folder.open(name, "rt") as f:
                for line in f:
                    key, index, doc_id = line.rstrip("\n").split("\t", 2)
                    kept = keeper.setdefault(key, (source, int(index), doc_id))
                    if kept[:2] != (source, int(index)):
                        removed[source].append(f"{index}\tremoved\t{kept[2]}\n")
                        copies[kept[:2]] += 1
        self.stat_update("exact_duplicates", value=sum(len(lines) for lines in removed.values()))
        for (source, index), n in copies.items():
            removed[source].append(f"{index}\tcopies\t{n}\n")
        for source, lines in removed.items():
            with folder.open(_partition_file("decisions", source, rank), "wt") as f:
                f.writelines(lines)
        yield from ()


class DropExactDuplicates(LeanFilter):
    """Sets aside the documents `ExactGroups` found to be copies, naming the kept one in `duplicate_of`; keepers
    get `exact_copies`."""

    name = "#️⃣ Exact duplicates"

    def __init__(self, folder: str, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.folder = folder
        self._removed: dict[int, str] = {}
        self._copies: dict[int, int] = {}
        self._index = 0

    def _load(self, rank: int) -> None:
        folder = get_datafolder(self.folder)
        for name in folder.list_files(subdirectory=f"decisions/{rank:05d}", glob_pattern="*.tsv"):
            with folder.open(name, "rt") as f:
                for line in f:
                    index, what, value = line.rstrip("\n").split("\t", 2)
                    if what == "removed":
                        self._removed[int(index)] = json.loads(value)
                    else:
                        self._copies[int(index)] = int(value)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._load(rank)
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        index, self._index = self._index, self._index + 1
        kept = self._removed.get(index)
        if kept is not None:
            doc.metadata["duplicate_of"] = kept
            return False, "exact_duplicate"
        doc.metadata["exact_copies"] = self._copies.get(index, 0)
        return True


class RehydrationWeight(PipelineStep):
    """A kept document's cluster size (itself + near duplicates + exact copies) and its rehydration weight."""

    type = "✂️ - MODIFY"
    name = "⚖️ Cluster size"

    def __init__(self, config: DedupConfig):
        super().__init__()
        self.config = config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            size = doc.metadata.get("minhash_cluster_size", 1) + doc.metadata.get("exact_copies", 0)
            doc.metadata["duplicate_cluster_size"] = size
            doc.metadata["rehydration_weight"] = self.config.weight(size)
            yield doc
