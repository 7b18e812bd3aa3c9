"""Upper bounds on Gopher repetition's n-gram measures from hashes of every n-gram, computed in numpy, so that the
exact Python count (pipeline/filter/gopher.py) runs only for the few documents a bound cannot clear.

An n-gram's hash is a polynomial in its characters modulo 2**64, taken from prefix sums of the text it is a slice
of, plus a multiple of its length. Equal strings have equal hashes; unequal strings may share one, which only
merges groups and so raises a bound. So a bound is never below the exact measure, and a document whose bound
passes a threshold passes it exactly: the filter's decisions stay datatrove's.
"""

from __future__ import annotations

import numpy as np

_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_LENGTH_FACTOR = np.uint64(0xD6E8FEB86659FD93)


def _powers(base: int, count: int) -> np.ndarray:
    powers = np.full(count, base, np.uint64)
    powers[0] = 1
    np.multiply.accumulate(powers, out=powers)  # wraps modulo 2**64, as intended
    return powers


class _Powers:
    """base**i and base**-i modulo 2**64 for i below `size`, grown by doubling when a longer text comes."""

    def __init__(self):
        self.size = 0
        self.up = self.down = np.ones(0, np.uint64)

    def at_least(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        if size > self.size:
            self.size = max(size, 2 * self.size, 1 << 16)
            self.up = _powers(_BASE, self.size)
            self.down = _powers(pow(_BASE, -1, 1 << 64), self.size)
        return self.up, self.down


_POWERS = _Powers()


class NGramHashes:
    """Hashes of the n-grams of `text` whose character spans start at starts[i] and end at ends[i + n]:
    the words glued ("".join, starts = ends) or spaced (" ".join, each end before the space)."""

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray):
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
        up, self._down = _POWERS.at_least(len(codes) + 1)
        self._prefix = np.zeros(len(codes) + 1, np.uint64)
        np.cumsum(codes * up[: len(codes)], out=self._prefix[1:])
        self.starts, self.ends = starts, ends
        self.words = len(starts)

    def spans(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.starts[: self.words - n + 1], self.ends[n - 1 :]

    def hashes(self, n: int) -> np.ndarray:
        a, b = self.spans(n)
        with np.errstate(over="ignore"):
            return (self._prefix[b] - self._prefix[a]) * self._down[a] + (b - a).astype(np.uint64) * _LENGTH_FACTOR

    def top_bound(self, n: int) -> int:
        """At least datatrove's find_top_duplicate: the largest count × length over groups of equal hashes."""
        a, b = self.spans(n)
        if not len(a):
            return 0
        hashes = self.hashes(n)
        order = np.argsort(hashes)
        ordered = hashes[order]
        firsts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(np.append(firsts, len(ordered)))
        return int((counts * np.maximum.reduceat((b - a)[order], firsts)).max())

    def duplicate_bound(self, n: int) -> int:
        """At least datatrove's find_all_duplicate: the characters covered by n-grams whose hash an earlier n-gram
        has. The n-grams datatrove counts are such n-grams and do not overlap (it skips n words past each)."""
        hashes = self.hashes(n)
        ordered = np.sort(hashes)
        if not (ordered[1:] == ordered[:-1]).any():
            return 0
        order = np.argsort(hashes, kind="stable")  # among equal hashes, the earliest first
        later = np.sort(order[1:][hashes[order][1:] == hashes[order][:-1]])
        a, b = self.spans(n)
        starts, ends = a[later], b[later]
        # spans sorted by start have ascending ends, so each adds what lies past the one before it
        return int(np.maximum(0, ends - np.maximum(starts, np.concatenate(([0], ends[:-1])))).sum())


def ngram_hashes(words: list[str]) -> tuple[NGramHashes, NGramHashes]:
    """(spaced, glued) n-gram hashes of `words`."""
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    glued_ends = np.concatenate(([0], np.cumsum(lengths)))
    spaced_ends = glued_ends + np.arange(len(words) + 1)  # a space after every word before
    spaced = NGramHashes(" ".join(words), spaced_ends[:-1], spaced_ends[1:] - 1)
    glued = NGramHashes("".join(words), glued_ends[:-1], glued_ends[1:])
    return spaced, glued
