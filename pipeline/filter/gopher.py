"""datatrove's Gopher quality and Gopher repetition rules, the same decisions for every document at a fraction of
their Python cost per word (they were a third of 02_filter's time; docs/benchmarks.md has the profile).

- Quality: a word's classes (only punctuation? holds a letter?) are looked up in a table filled the first time
  the word is met, instead of a generator over its characters for every occurrence.
- Repetition: the n-gram checks first take upper bounds from hashes of every n-gram in numpy
  (pipeline/filter/ngram_bounds.py); where a bound passes a threshold the document passes it. Where it does not,
  the exact count runs: n-grams are slices of the document's words joined once (the same strings datatrove's
  `"".join(words[i:i+n])` and `" ".join(...)` build), counted by `Counter` in C; the greedy scan for repeated
  n-grams runs only when some n-gram occurs twice (with none it counts nothing, as datatrove's loop does).

tests/test_filters.py checks both against datatrove's own filters on corpus documents.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cached_property
from itertools import accumulate
from operator import itemgetter

from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
from datatrove.utils.text import PUNCTUATION_SET, split_into_words

from pipeline.filter.ngram_bounds import ngram_hashes

_PUNCTUATION = "".join(PUNCTUATION_SET)  # single characters: str.strip removes them from both ends
_WORD_CLASSES_LIMIT = 1 << 20  # distinct words remembered (a few tens of MB at most); then it starts again


class FastGopherQuality(GopherQualityFilter):
    """GopherQualityFilter.filter, rule for rule, with the word classes remembered and summed in C."""

    # word → (its length if it is not only punctuation else 0, 1 if not only punctuation, 1 if it holds a letter)
    _classes: dict[str, tuple[int, int, int]] = {}

    def _word_classes(self, words: list[str]) -> list[tuple[int, int, int]]:
        classes = self._classes
        if len(classes) > _WORD_CLASSES_LIMIT:
            classes.clear()
        out = []
        for word in words:
            found = classes.get(word)
            if found is None:
                not_symbol = word.strip(_PUNCTUATION) != ""
                found = classes[word] = (len(word) * not_symbol, int(not_symbol), int(any(c.isalpha() for c in word)))
            out.append(found)
        return out

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        words = split_into_words(text, self.language)
        n_words = len(words)
        classes = self._word_classes(words)
        symbol_free = sum(map(itemgetter(1), classes))  # datatrove's non-symbol words
        if self.min_doc_words and symbol_free < self.min_doc_words:
            return False, "gopher_short_doc"
        if self.max_doc_words and symbol_free > self.max_doc_words:
            return False, "gopher_long_doc"
        # np.mean of their lengths, exactly: the same integer sum over the same count
        average = sum(map(itemgetter(0), classes)) / symbol_free if symbol_free else float("nan")
        if self.min_avg_word_length and average < self.min_avg_word_length:
            return False, "gopher_below_avg_threshold"
        if self.max_avg_word_length and average > self.max_avg_word_length:
            return False, "gopher_above_avg_threshold"
        return self._line_and_word_rules(text, words, n_words, sum(map(itemgetter(2), classes)))

    def _line_and_word_rules(self, text: str, words: list[str], n_words: int,
                             alphabetic: int) -> bool | tuple[bool, str]:
        """`alphabetic`: words holding a letter."""
        if self.max_symbol_word_ratio and text.count("#") / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_hashes"
        if self.max_symbol_word_ratio and (text.count("...") + text.count("…")) / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_ellipsis"
        lines = text.splitlines()
        if (
            self.max_bullet_lines_ratio
            and sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines) > self.max_bullet_lines_ratio
        ):
            return False, "gopher_too_many_bullets"
        if (
            self.max_ellipsis_lines_ratio
            and sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines) > self.max_ellipsis_lines_ratio
        ):
            return False, "gopher_too_many_end_ellipsis"
        if self.max_non_alpha_words_ratio and alphabetic / n_words < (
            self.max_non_alpha_words_ratio
        ):
            return False, "gopher_below_alpha_threshold"
        if self.min_stop_words and len(self.stop_words.intersection(words)) < self.min_stop_words:
            return False, "gopher_enough_stop_words"
        return True


class NGrams:
    """datatrove's two n-gram measures of a word list. Exact: every n-gram as datatrove builds it, sliced from the
    words joined once. From BOUNDS_FROM_WORDS words on, also upper bounds from n-gram hashes in numpy
    (pipeline/filter/ngram_bounds.py): a document whose bound passes a threshold passes it exactly, so the exact
    count runs only where a bound cannot decide (of the corpus's 9,224 documents of 150+ words, 50 to 388 per n)."""

    BOUNDS_FROM_WORDS = 64  # below it the exact count costs less than the numpy calls of the bounds

    def __init__(self, words: list[str]):
        self.words = words
        self.count = len(words)
        self._hashes = ngram_hashes(words) if self.count >= self.BOUNDS_FROM_WORDS else None

    @cached_property
    def _glued(self) -> tuple[str, list[int]]:  # the words joined, where each word ends
        return "".join(self.words), [0, *accumulate(map(len, self.words))]

    @cached_property
    def _spaced(self) -> tuple[str, list[int]]:
        return " ".join(self.words), [0, *accumulate(len(w) + 1 for w in self.words)]

    def glued_grams(self, n: int) -> list[str]:  # "".join(words[i:i+n])
        text, ends = self._glued
        return [text[a:b] for a, b in zip(ends, ends[n:], strict=False)]

    def spaced_grams(self, n: int) -> list[str]:  # " ".join(words[i:i+n])
        text, ends = self._spaced
        return [text[a : b - 1] for a, b in zip(ends, ends[n:], strict=False)]

    def top_bound(self, n: int, enough: float) -> float:
        """At least top_duplicate_chars(spaced_grams(n)), the cheapest bound when it is at most `enough`;
        infinite where no bound is computed."""
        return self._hashes[0].top_bound(n, enough) if self._hashes else math.inf

    def duplicate_bound(self, n: int, enough: float) -> float:
        """At least all_duplicate_chars(glued_grams(n), n), the cheapest bound when it is at most `enough`;
        infinite where no bound is computed."""
        return self._hashes[1].duplicate_bound(n, enough) if self._hashes else math.inf


def top_duplicate_chars(grams: list[str]) -> int:
    """datatrove's find_top_duplicate: characters of the most frequent n-gram (the first met among equals)."""
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def all_duplicate_chars(grams: list[str], n: int) -> int:
    """datatrove's find_all_duplicate on the n-grams: characters of repeated n-grams, skipping past each."""
    if len(set(grams)) == len(grams):
        return 0
    seen: set[str] = set()
    repeated, index = 0, 0
    while index < len(grams):
        gram = grams[index]
        if gram in seen:
            repeated += len(gram)
            index += n
        else:
            seen.add(gram)
            index += 1
    return repeated


class FastGopherRepetition(GopherRepetitionFilter):
    """GopherRepetitionFilter.filter, rule for rule, with n-grams sliced from the words joined once."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text = doc.text
        if not text:
            return False, "empty"
        for parts, frac, char_frac, name in (
            (self.paragraph_exp.split(text.strip()), self.dup_para_frac, self.dup_para_char_frac, "para"),
            (self._line_splitter.split(text), self.dup_line_frac, self.dup_line_char_frac, "line"),
        ):
            # datatrove's loop counts a part met before: every part but the first of each kind
            distinct = set(parts)
            duplicates = len(parts) - len(distinct)
            duplicate_chars = sum(map(len, parts)) - sum(map(len, distinct))
            if frac and duplicates / len(parts) > frac:
                return False, f"dup_{name}_frac"
            if char_frac and duplicate_chars / len(text) > char_frac:
                return False, f"dup_{name}_char_frac"
        if not (self.top_n_grams or self.dup_n_grams):
            return True
        grams = NGrams(split_into_words(text, self.language))
        # a bound at or under a threshold decides; above it, the exact measure does (bound >= exact)
        for n, n_frac in self.top_n_grams:
            if n <= grams.count and grams.top_bound(n, n_frac * len(text)) / len(text) > n_frac:
                if top_duplicate_chars(grams.spaced_grams(n)) / len(text) > n_frac:
                    return False, f"top_{n}_gram"
        for n, n_frac in self.dup_n_grams:
            if grams.duplicate_bound(n, n_frac * len(text)) / len(text) > n_frac:
                if all_duplicate_chars(grams.glued_grams(n), n) / len(text) > n_frac:
                    return False, f"duplicated_{n}_n_grams"
        return True
