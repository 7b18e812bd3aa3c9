"""Devanagari and Latin script facts that the stages share: letter and word patterns, the Devanagari share of a
text, Devanagari digits."""

from __future__ import annotations

import re

# Letters proper (independent vowels, consonants, nukta forms, avagraha, om), without vowel signs or digits.
DEVANAGARI_LETTER = re.compile(r"[\u0904-\u0939\u093d\u0950\u0958-\u0961\u0972-\u097f]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# A word: letters with their vowel signs, halant, nukta and nasal marks; dandas, digits and ॰ end it.
DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097f]+")
# Any run of the block, dandas and digits included ("है।" is one run).
DEVANAGARI_RUN = re.compile(r"[\u0900-\u097f]+")
DEVANAGARI_DIGITS_TO_ASCII = str.maketrans("०१२३४५६७८९", "0123456789")


def devanagari_share(text: str) -> float:
    """Devanagari letters / (Devanagari + Latin letters); 0 for a text with neither."""
    devanagari = len(DEVANAGARI_LETTER.findall(text))
    latin = len(LATIN_LETTER.findall(text))
    return devanagari / (devanagari + latin) if devanagari + latin else 0.0
