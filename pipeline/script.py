"""Devanagari and Latin script facts that the stages share: letter and word patterns, the Devanagari share of a
text, Devanagari digits."""

from __future__ import annotations

import re

import numpy as np

from pipeline.text_memo import TextMemo

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


_CODE_POINTS: TextMemo[np.ndarray] = TextMemo()  # 02_filter's mojibake check and line cleaning read the same


def code_points(text: str) -> np.ndarray:
    """`text`'s code points as uint32 (read-only), worked out once per text (pipeline/text_memo.py)."""
    return _CODE_POINTS.of(text, lambda t: np.frombuffer(t.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))


def _letter_class_of_each(codes: np.ndarray) -> np.ndarray:
    return _LETTER_CLASSES[np.minimum(codes, len(_LETTER_CLASSES) - 1)]


# letter_counts handed on by the one who counted them: 02_filter's line cleaning counts a document's letters line
# by line, and the language step asks for those of the text the document goes on with.
_LETTER_COUNTS: TextMemo[tuple[int, int]] = TextMemo()


def remember_letter_counts(text: str, counts: tuple[int, int]) -> None:
    """letter_counts of this very string (not an equal one) returns `counts` while the memo holds it."""
    _LETTER_COUNTS.put(text, counts)


def letter_counts(text: str) -> tuple[int, int]:
    """(Devanagari letters, Latin letters) of `text`, as DEVANAGARI_LETTER and LATIN_LETTER count them, in one
    numpy pass over its code points: the patterns' `findall` builds a list of every letter (3.6 times slower on
    the corpus). Meant for whole documents: on a short line numpy's set-up costs more than the regex."""
    remembered = _LETTER_COUNTS.get(text)
    if remembered is not None:
        return remembered
    counts = np.bincount(_letter_class_of_each(code_points(text)), minlength=3)
    return int(counts[1]), int(counts[2])


def line_letter_counts(text: str) -> list[tuple[int, int]]:
    """letter_counts of each line of text.split("\n"), in one pass over the text's code points: each code point's
    class is counted under its line's number (the line breaks before it), and a line break is no letter."""
    codes = code_points(text)
    line = np.zeros(len(codes), dtype=np.int64)
    np.cumsum(codes == 10, out=line)
    lines = int(line[-1]) + 1 if len(line) else 1
    counts = np.bincount(line * 3 + _letter_class_of_each(codes), minlength=3 * lines).reshape(lines, 3)
    return list(zip(counts[:, 1].tolist(), counts[:, 2].tolist(), strict=True))


def devanagari_share(text: str) -> float:
    """Devanagari letters / (Devanagari + Latin letters); 0 for a text with neither."""
    if DEVANAGARI_LETTER.search(text) is None:
        return 0.0  # whatever its Latin letters; finding none costs less than counting (half the corpus is Latin)
    devanagari, latin = letter_counts(text)
    return devanagari / (devanagari + latin) if devanagari + latin else 0.0
