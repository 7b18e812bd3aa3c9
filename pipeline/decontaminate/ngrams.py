"""Word n-grams for decontamination, normalised so that spelling variants of one text meet.

Devanagari words (a word: letters with their signs, pipeline/script.py) lose the nukta (ज़ ज, फ़ फ), candrabindu and
a nasal consonant before another consonant become anusvara (हिन्दी हिंदी, हँसी हंसी): writers and normalisers
differ on exactly these. Latin words are lower-cased and folded where Hinglish writers vary: ph → f, w → v,
z → j, q → k, ee → i, oo → u, doubled letters merged, a final n after a vowel dropped; so nahi/nahin/nahee,
mein/mei and bhai/bhaai give one key. Vowels stay: without them short Hindi words (ke, ki, ko, ka) collapse into
one letter and unrelated English text matches romanised stories. Numbers and punctuation are not words: dates and
scores change between copies of one text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from pipeline.script import DEVANAGARI_WORD

LATIN_WORD = re.compile(r"[a-z]+")
WORD = re.compile(rf"{DEVANAGARI_WORD.pattern}|[A-Za-z]+")
NUKTA, CANDRABINDU, ANUSVARA = "\u093c", "\u0901", "\u0902"
# a nasal consonant + halant before a consonant (panchamakshar) is written as anusvara by half of all writers
NASAL_CLUSTER = re.compile(r"[ङञणनम]\u094d(?=[\u0915-\u0939])")
LATIN_FOLDS = [(re.compile(r"ph"), "f"), (re.compile(r"w"), "v"), (re.compile(r"z"), "j"), (re.compile(r"q"), "k"),
               (re.compile(r"ee"), "i"), (re.compile(r"oo"), "u"), (re.compile(r"(.)\1+"), r"\1"),
               (re.compile(r"(?<=[aeiou])n$"), "")]


# Words repeat (a few thousand make most of any text): each is folded once, not eight regex passes per occurrence.
@lru_cache(maxsize=1 << 17)
def devanagari_key(word: str) -> str:
    word = word.replace(NUKTA, "").replace(CANDRABINDU, ANUSVARA)
    return NASAL_CLUSTER.sub(ANUSVARA, word)


@lru_cache(maxsize=1 << 17)
def latin_key(word: str) -> str:
    key = word.lower()
    for pattern, replacement in LATIN_FOLDS:
        key = pattern.sub(replacement, key)
    return key


def normalised_words(text: str) -> list[str]:
    """The text's words as decontamination compares them."""
    return [latin_key(w) if w.isascii() else devanagari_key(w) for w in WORD.findall(text)]


def ngrams(words: list[str], n: int) -> Iterator[tuple[int, str]]:
    """(position, n-gram) of every run of `n` words; none for a text shorter than `n` words (too short to tell
    a quotation from a common phrase)."""
    for start in range(len(words) - n + 1):
        yield start, " ".join(words[start : start + n])
