"""Encoding through a cache of words: the same ids as SentencePiece on the whole text, several times faster.

The model is trained with split_by_whitespace and no dummy prefix, so no piece joins a word to the space that
follows it: a text's ids are the ids of its words (each with the spaces before it) one after the other. Text is
Zipfian, so most words are seen before; only the new ones go to SentencePiece, in one multi-threaded batch.
Tests and the benchmark check that the ids equal `sp.encode(text)`.

Two caches, so that the common case costs no string building: `spaced` maps a bare word to the ids of
" " + word (every word after the first, when the text has no run of spaces, split with str.split), and `exact`
maps a unit as it stands (a text's first word; every unit of a text with runs of spaces, cut by _UNITS).
"""

from __future__ import annotations

import re
from itertools import chain

import sentencepiece as spm

_UNITS = re.compile(r" *[^ ]+| +$")  # a word with the spaces before it, or the spaces that end the text


class WordCachedEncoder:
    def __init__(self, sp: spm.SentencePieceProcessor, threads: int = 1, max_words: int = 500_000):
        self.sp, self.threads, self.max_words = sp, threads, max_words
        self.exact: dict[str, list[int]] = {}
        self.spaced: dict[str, list[int]] = {}

    def encode(self, texts: list[str]) -> list[list[int]]:
        split = [(_UNITS.findall(text), []) if "  " in text else self._first_and_rest(text) for text in texts]
        exact_words = set(chain.from_iterable(units for units, _ in split))
        spaced_words = set().union(*(rest for _, rest in split))
        if len(self.exact) + len(self.spaced) + len(exact_words) + len(spaced_words) > self.max_words:
            self.exact.clear()  # bounded memory; the next batches refill the caches with what is frequent
            self.spaced.clear()
        self._learn(self.exact, list(exact_words - self.exact.keys()), "")
        self._learn(self.spaced, list(spaced_words - self.spaced.keys()), " ")
        exact, spaced = self.exact.__getitem__, self.spaced.__getitem__
        return [[*chain.from_iterable(map(exact, units)), *chain.from_iterable(map(spaced, rest))]
                for units, rest in split]

    @staticmethod
    def _first_and_rest(text: str) -> tuple[list[str], list[str]]:
        first, *rest = text.split(" ")
        return [first], rest

    def _learn(self, cache: dict[str, list[int]], words: list[str], prefix: str) -> None:
        encoded = self.sp.encode([prefix + word for word in words] if prefix else words, num_threads=self.threads)
        cache.update(zip(words, encoded, strict=True))
