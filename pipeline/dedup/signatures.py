"""datatrove's MinHash signatures, the same bytes at less cost (the signature phase is most of 03_dedup's time).

- Shingles: the word 5-grams are slices of the normalised words joined once with spaces (the strings datatrove's
  `" ".join(ngram)` builds), hashed by xxhash directly rather than through a wrapper per shingle.
- Signature: `(shingle * a + b) mod p` in place in one array (no temporaries; folding by the Mersenne prime
  measured slower than numpy's remainder); the buckets are rows of one reshaped array, not np.split's pieces.
The numeric part (160 hashes per shingle against stock's 112) stays most of the cost.

tests/test_dedup.py compares the signatures with datatrove's own on corpus documents.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import xxhash
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature, _mersenne_prime
from datatrove.utils.text import simplify_text

_P = np.uint64(_mersenne_prime)


class HindiMinhashSignature(MinhashDedupSignature):
    """MinhashDedupSignature with datatrove's output, computed faster (64-bit xxhash only)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.hash_config.precision != 64 or self.config.hash_config.hash_fc != "xxhash":
            raise ValueError("HindiMinhashSignature computes 64-bit xxhash signatures only")

    def get_shingles(self, text: str) -> np.ndarray:
        words = self.word_tokenizer.word_tokenize(simplify_text(text, self.config.norm_config))
        n = self.config.n_grams
        spaced = " ".join(words)
        ends = [0, *accumulate(len(w) + 1 for w in words)]
        hash64 = xxhash.xxh64_intdigest
        hashes = [hash64(spaced[a : b - 1]) for a, b in zip(ends, ends[n:], strict=False)]
        return np.fromiter(hashes, dtype=np.uint64, count=len(hashes)).reshape((-1, 1))

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        a, b = self.parameters
        permuted = shingles * a  # uint64 wrap-around, as datatrove's
        permuted += b
        np.remainder(permuted, _P, out=permuted)
        return permuted.min(axis=0).reshape(self.config.num_buckets, -1).tolist()
