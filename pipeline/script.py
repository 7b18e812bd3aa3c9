"""Devanagari and Latin script facts that the stages share: letter and word patterns, the Devanagari share of a
text, Devanagari digits."""

from __future__ import annotations

import re

import numpy as np

# Letters proper (independent vowels, consonants, nukta forms, avagraha, om), without vowel signs or digits.
DEVANAGARI_LETTER = re.compile(r"[\u0904-\u0939\u093d\u0950\u0958-\u0961\u0972-\u097f]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# A word: letters with their vowel signs, halant, nukta and nasal marks; dandas, digits and ॰ end it.
DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097f]+")
# Any run of the block, dandas and digits included ("है।" is one run).
DEVANAGARI_RUN = re.compile(r"[\u0900-\u097f]+")
DEVANAGARI_DIGITS_TO_ASCII = str.maketrans("०१२३४५६७८९", "0123456789")


def _letter_classes() -> np.ndarray:
    """Code point → 1 for a DEVANAGARI_LETTER, 2 for a LATIN_LETTER, else 0; the last entry stands for every code
    point past the Devanagari block."""
    table = np.zeros(0x981, dtype=np.uint8)
    for code in range(0x980):
        table[code] = 1 if DEVANAGARI_LETTER.match(chr(code)) else 2 if LATIN_LETTER.match(chr(code)) else 0
    return table


_LETTER_CLASSES = _letter_classes()


# (text, its letter_counts) handed on by the one who counted them last: 02_filter's line cleaning counts a
# document's letters line by line, and the language step asks for the same document's right after.
_remembered: tuple[str, tuple[int, int]] = ("", (0, 0))


def remember_letter_counts(text: str, counts: tuple[int, int]) -> None:
    """The next letter_counts of this very string (not an equal one) returns `counts`."""
    global _remembered
    _remembered = (text, counts)


def letter_counts(text: str) -> tuple[int, int]:
    """(Devanagari letters, Latin letters) of `text`, as DEVANAGARI_LETTER and LATIN_LETTER count them, in one
    numpy pass over its code points: the patterns' `findall` builds a list of every letter (3.6 times slower on
    the corpus). Meant for whole documents: on a short line numpy's set-up costs more than the regex."""
    if text is _remembered[0]:
        return _remembered[1]
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    counts = np.bincount(_LETTER_CLASSES[np.minimum(codes, len(_LETTER_CLASSES) - 1)], minlength=3)
    return int(counts[1]), int(counts[2])


def line_letter_counts(text: str) -> list[tuple[int, int]]:
    """letter_counts of each line of text.split("\n"), from one pass over the text's code points: the line breaks
    cut running totals (a line break is no letter)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _LETTER_CLASSES[np.minimum(codes, len(_LETTER_CLASSES) - 1)]
    cuts = np.concatenate(([0], np.flatnonzero(codes == 10), [len(codes)]))
    devanagari = np.diff(np.concatenate(([0], np.cumsum(classes == 1)))[cuts])
    latin = np.diff(np.concatenate(([0], np.cumsum(classes == 2)))[cuts])
    return list(zip(devanagari.tolist(), latin.tolist(), strict=True))


def devanagari_share(text: str) -> float:
    """Devanagari letters / (Devanagari + Latin letters); 0 for a text with neither."""
    if DEVANAGARI_LETTER.search(text) is None:
        return 0.0  # whatever its Latin letters; finding none costs less than counting (half the corpus is Latin)
    devanagari, latin = letter_counts(text)
    return devanagari / (devanagari + latin) if devanagari + latin else 0.0
