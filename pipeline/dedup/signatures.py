"""datatrove's MinHash signatures, the same bytes at less cost (the signature phase is most of 03_dedup's time).

- Shingles: the text simplified and split as datatrove does it, at less cost (pipeline/dedup/normalise.py,
  pipeline/word_split.py); the word 5-grams are slices of the words joined once with spaces (the strings
  datatrove's `" ".join(ngram)` builds), hashed by xxhash directly rather than through a wrapper per shingle.
- Signature: `(shingle * a + b) mod p` in place in one array (no temporaries; folding by the Mersenne prime
  measured slower than numpy's remainder).
- Writing: datatrove packs and writes one record per document and bucket (160,000 Python-level writes per
  thousand documents with 40 buckets); the records of a block of documents go to each bucket file in one write,
  the same bytes in the same order. datatrove's own run then sorts and verifies the files it finds complete.
The numeric part (160 hashes per shingle against stock's 112) stays most of the cost.

tests/test_dedup.py compares the shingles, signatures and bucket files with datatrove's own on corpus documents.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import xxhash
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature, _mersenne_prime
from datatrove.utils.logging import logger
from datatrove.utils.typeshelper import StatHints

from pipeline.dedup.normalise import handled, simplify
from pipeline.word_split import HINDI, normalised_hindi_words

_P = np.uint64(_mersenne_prime)
BLOCK_DOCUMENTS = 4096  # signatures held before each bucket file is appended to: 5 MB with 160 hashes


class HindiMinhashSignature(MinhashDedupSignature):
    """MinhashDedupSignature with datatrove's output, computed faster (64-bit xxhash only)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.hash_config.precision != 64 or self.config.hash_config.hash_fc != "xxhash":
            raise ValueError("HindiMinhashSignature computes 64-bit xxhash signatures only")
        self._fast_words = handled(self.config.norm_config) and self.language == HINDI
        # datatrove's run, called once the bucket files are written, sorts files it finds complete
        self.skip_existing_sigs = True
        fields = [(f"field{i + 1}", "<u8") for i in range(self.config.hashes_per_bucket)]
        self._record = np.dtype([*fields, (f"field{len(fields) + 1}", "<u4")])  # struct "<4QI", unpadded

    def get_shingles(self, text: str) -> np.ndarray:
        text = simplify(text, self.config.norm_config)
        words = normalised_hindi_words(text) if self._fast_words else self.word_tokenizer.word_tokenize(text)
        n = self.config.n_grams
        spaced = " ".join(words)
        ends = [0, *accumulate(len(w) + 1 for w in words)]
        hash64 = xxhash.xxh64_intdigest
        hashes = [hash64(spaced[a : b - 1]) for a, b in zip(ends, ends[n:], strict=False)]
        return np.fromiter(hashes, dtype=np.uint64, count=len(hashes)).reshape((-1, 1))

    def _minimum_hashes(self, shingles: np.ndarray) -> np.ndarray:
        a, b = self.parameters
        permuted = shingles * a  # uint64 wrap-around, as datatrove's
        permuted += b
        np.remainder(permuted, _P, out=permuted)
        return permuted.min(axis=0)

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        return self._minimum_hashes(shingles).reshape(self.config.num_buckets, -1).tolist()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:  # consumes, as datatrove's
        buckets = [self.output_folder.open(f"bucket_{bi:03d}/{rank:05d}.minhash.sig", mode="wb")
                   for bi in range(self.config.num_buckets)]
        try:
            with self.track_time():
                block, indices = [], []
                for doc_idx, doc in enumerate(data):
                    self.stat_update(StatHints.total)
                    shingles = self.get_shingles(doc.text)
                    if shingles.size != 0:
                        block.append(self._minimum_hashes(shingles))
                        indices.append(doc_idx)
                    if len(block) == BLOCK_DOCUMENTS:
                        self._write_block(buckets, block, indices)
                        block, indices = [], []
                self._write_block(buckets, block, indices)
        finally:
            for file in buckets:
                file.close()
        logger.info("Signatures written; datatrove's run sorts and verifies the bucket files")
        super().run(iter(()), rank, world_size)

    def _write_block(self, buckets: list, block: list[np.ndarray], indices: list[int]) -> None:
        if not block:
            return
        hashes = np.stack(block).reshape(len(block), self.config.num_buckets, self.config.hashes_per_bucket)
        records = np.empty(len(block), dtype=self._record)
        names = self._record.names
        records[names[-1]] = indices
        for bucket, file in enumerate(buckets):
            for i, name in enumerate(names[:-1]):
                records[name] = hashes[:, bucket, i]
            file.write(records.tobytes())
