"""Code-mixed Hinglish from Devanagari Hindi: a share of content words become their English equivalents, the
rest is romanised, so Hindi grammar and function words stay ("मुझे यह फ़ैसला पसंद है" → "mujhe yeh decision pasand
hai").

The English–Hindi lexicon (pipeline/hinglish/lexicons/code_mixing/hi_en.tsv) was written for this project: frequent
nouns with their inflected forms, adjectives that do not inflect, and the nouns of "N करना" verbs (कोशिश करना →
try karna). Limits: a word is swapped only in a listed form (no morphology), plural nouns come out singular
("फ़ैसलों" → decision), and no verb or postposition is ever swapped, so the English share stays lower and
more regular than in real code-mixed text, where whole English phrases appear.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache
from pathlib import Path

from pipeline.hinglish.romanize import romanize
from pipeline.script import DEVANAGARI_WORD

LEXICON = Path(__file__).parent / "lexicons" / "code_mixing" / "hi_en.tsv"


@cache
def english_for() -> dict[str, str]:
    """Every listed Hindi form → its English word."""
    lexicon = {}
    for line in LEXICON.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            forms, english = line.split("\t")
            for form in forms.split(","):
                lexicon[unicodedata.normalize("NFC", form.strip())] = english.strip()
    return lexicon


def code_mix(text: str, share: float, seed: int) -> str:
    """Romanised `text` with about `share` of the lexicon's words (where they occur) in English."""
    rng = random.Random(seed)
    lexicon = english_for()

    def swap(match: re.Match) -> str:
        word = match.group()
        return lexicon[word] if word in lexicon and rng.random() < share else word

    return romanize(DEVANAGARI_WORD.sub(swap, unicodedata.normalize("NFC", text)), seed=seed)
