"""Which group of the tokenizer's sample a line belongs to: Devanagari Hindi, romanised Hindi (Hinglish),
English.

A document the pipeline wrote carries its language decision, and all its lines go to that group. For other
files (an English corpus, plain text) each line is classified by script: a line is `hindi` when Devanagari
letters are most of its letters, `hinglish` when it is Latin and holds romanised Hindi function words at a rate
English text never reaches, `english` when Latin otherwise, and `other` when neither script leads. The word list
balances a sample of files the pipeline did not label; it is not a language-ID model.
"""

from __future__ import annotations

import re

GROUPS = ("hindi", "hinglish", "english")

# Frequent romanised Hindi words that are not English words (so "to", "me", "is", "the", "main" are left out).
HINGLISH_MARKERS = frozenset(
    "hai hain ka ki ke ko se mein nahi nahin kya kyu kyun aur bhi tha thi ho hoga raha rahi rahe"
    " kar karo karna kuch koi yeh ye woh wo mujhe tujhe tum aap hum kaise kab kahan abhi bahut accha acha"
    " yaar bhai kal aaj ek sab apna apne wala wali tera mera meri teri".split()
)
_WORD = re.compile(r"[a-z]+")
# The pipeline's `language` values (pipeline/filter/language_id.py) and the sample group each feeds.
LANGUAGE_GROUPS = {"hi_Deva": "hindi", "hi_Latn": "hinglish", "hi_mixed": "hinglish"}


def group_of_language(language: str | None) -> str | None:
    """The group of a document the pipeline labelled, or None when it carries no label."""
    return LANGUAGE_GROUPS.get(language) if language else None


def script_group(line: str) -> str:
    devanagari = sum("\u0900" <= c <= "\u097f" for c in line)
    latin = sum(c.isascii() and c.isalpha() for c in line)
    if devanagari >= latin and devanagari:
        return "hindi"
    if not latin or latin < 0.5 * sum(c.isalpha() for c in line):
        return "other"
    words = _WORD.findall(line.lower())
    markers = sum(w in HINGLISH_MARKERS for w in words)
    return "hinglish" if markers and markers >= 0.1 * len(words) else "english"
