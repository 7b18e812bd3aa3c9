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
    """Hashes of the n-grams whose character spans in a text (its code points `codes`) start at starts[i] and end
    at ends[i + n - 1]: the words glued ("".join, starts = ends) or spaced (" ".join, each end before the space).

    hash = (prefix[end] - prefix[start]) * base**-start + (end - start) * length factor; the terms that depend on
    one end only are taken once per word, so that an n costs four array operations (numpy's integer arrays wrap
    modulo 2**64 without a warning)."""

    def __init__(self, codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, prefix_closed: bool = False):
        """`prefix_closed`: equal (n+1)-grams have equal n-gram prefixes, so that no n-gram occurs more often than
        the most frequent shorter one (true of words joined by a space none of them holds; glued words can
        split one string two ways: "ab"+"c", "a"+"bc")."""
        up, down = _POWERS.at_least(len(codes) + 1)
        prefix = np.zeros(len(codes) + 1, np.uint64)
        np.cumsum(codes * up[: len(codes)], out=prefix[1:])
        self._at_start, self._scale, self._at_end = prefix[starts], down[starts], prefix[ends]
        self._start_length = starts.astype(np.uint64) * _LENGTH_FACTOR
        self._end_length = ends.astype(np.uint64) * _LENGTH_FACTOR
        self.starts, self.ends = starts, ends
        self.words = len(starts)
        self._prefix_closed = prefix_closed
        self._largest_group: tuple[int, int] = (0, 0)  # (n, largest group of equal hashes), once an n is sorted

    def spans(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.starts[: max(self.words - n + 1, 0)], self.ends[n - 1 :]

    def hashes(self, n: int) -> np.ndarray:
        first = max(self.words - n + 1, 0)
        return ((self._at_end[n - 1 :] - self._at_start[:first]) * self._scale[:first] + self._end_length[n - 1 :]
                - self._start_length[:first])

    def top_bound(self, n: int, enough: float = -1) -> int:
        """At least datatrove's find_top_duplicate (count × length of the most frequent n-gram). The cheapest of
        these that is at most `enough`: a shorter n-gram's largest group (prefix-closed hashes) × the longest
        n-gram (no hashing); the largest group of equal hashes × the longest n-gram (a sort); else the largest
        count × length over the groups (an argsort, several times the cost)."""
        a, b = self.spans(n)
        if not len(a):
            return 0
        longest = int((b - a).max())
        shorter, largest = self._largest_group
        if self._prefix_closed and 0 < shorter <= n and largest * longest <= enough:
            return largest * longest
        hashes = self.hashes(n)
        ordered = np.sort(hashes)
        firsts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(np.append(firsts, len(ordered)))
        self._largest_group = (n, int(counts.max()))
        if self._largest_group[1] * longest <= enough:
            return self._largest_group[1] * longest
        order = np.argsort(hashes)  # hashes[order] is `ordered`: its groups are those counted
        return int((counts * np.maximum.reduceat((b - a)[order], firsts)).max())

    def duplicate_bound(self, n: int, enough: float = -1) -> int:
        """At least datatrove's find_all_duplicate: the n-grams whose hash an earlier n-gram has × the longest
        n-gram when that is at most `enough`, else the characters they cover. The n-grams datatrove counts are
        such n-grams and do not overlap (it skips n words past each)."""
        hashes = self.hashes(n)
        ordered = np.sort(hashes)
        repeats = int(np.count_nonzero(ordered[1:] == ordered[:-1]))
        if not repeats:
            return 0
        a, b = self.spans(n)
        bound = repeats * int((b - a).max())
        if bound <= enough:
            return bound
        order = np.argsort(hashes, kind="stable")  # among equal hashes, the earliest first
        later = np.sort(order[1:][hashes[order][1:] == hashes[order][:-1]])
        starts, ends = a[later], b[later]
        # spans sorted by start have ascending ends, so each adds what lies past the one before it
        return int(np.maximum(0, ends - np.maximum(starts, np.concatenate(([0], ends[:-1])))).sum())


def ngram_hashes(words: list[str]) -> tuple[NGramHashes, NGramHashes]:
    """(spaced, glued) n-gram hashes of `words`."""
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    glued_ends = np.concatenate(([0], np.cumsum(lengths)))
    spaced_ends = glued_ends + np.arange(len(words) + 1)  # a space after every word before
    spaced = np.frombuffer(" ".join(words).encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    glued = np.delete(spaced, spaced_ends[1:-1] - 1)  # the same code points without the spaces between words
    no_word_spaced = np.count_nonzero(spaced == 32) == max(len(words) - 1, 0)  # only the joins are spaces
    return (NGramHashes(spaced, spaced_ends[:-1], spaced_ends[1:] - 1, prefix_closed=no_word_spaced),
            NGramHashes(glued, glued_ends[:-1], glued_ends[1:]))
