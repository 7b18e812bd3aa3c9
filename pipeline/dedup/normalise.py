"""datatrove's text normalisation as 03_dedup uses it, the same strings at a third of its cost (it was most of the
exact-hash phase and a quarter of the signatures'; pipeline/word_split.py then splits the result into words).

datatrove's `simplify_text` turns punctuation into spaces with `str.translate`, which looks every character up
in a dict (slow on Devanagari), then squeezes whitespace in a second pass; one regex over punctuation and
whitespace together does both (a punctuation character became a space the squeeze merged). Lower-casing and
numbers come first, as in datatrove (the separators of "1.5" are punctuation).
tests/test_dedup.py compares it with datatrove's own on corpus documents and planted edge cases.
"""

from __future__ import annotations

import re

from datatrove.utils.text import NUMBERS_PATTERN, PUNCTUATION, TextNormConfig, simplify_text

DANDAS = "।॥"
_DANDAS_TO_SPACES = str.maketrans(DANDAS, "  ")


def _punctuation_or_space(extra: str = "") -> re.Pattern:
    return re.compile("[" + "".join(map(re.escape, sorted(set(PUNCTUATION) | set(extra)))) + r"\s]+")


_PUNCTUATION_OR_SPACE = _punctuation_or_space()
_PUNCTUATION_DANDA_OR_SPACE = _punctuation_or_space(DANDAS)


def handled(config: TextNormConfig) -> bool:
    """Whether `simplify` computes this config itself (03_dedup's two) rather than calling datatrove's."""
    return (config.lowercase and config.remove_punctuation and config.norm_whitespace
            and not (config.norm_unicode_diacritics or config.norm_weekdays or config.norm_monthnames))


def simplify(text: str, config: TextNormConfig, drop_dandas: bool = False) -> str:
    """`simplify_text(text, config)`, with the dandas first turned into spaces when `drop_dandas`. Configs that
    fold diacritics, weekdays or months, or keep case, punctuation or whitespace, go to datatrove's own."""
    if not handled(config):
        return simplify_text(text.translate(_DANDAS_TO_SPACES) if drop_dandas else text, config)
    text = text.lower()
    if config.norm_numbers:
        text = NUMBERS_PATTERN.sub("0", text)
    pattern = _PUNCTUATION_DANDA_OR_SPACE if drop_dandas else _PUNCTUATION_OR_SPACE
    return pattern.sub(" ", text).strip(" ")
