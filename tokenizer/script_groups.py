"""Which script group a line of text belongs to: Devanagari Hindi, romanised Hindi (Hinglish), English.

A line is `hindi` when Devanagari letters are most of its letters, `hinglish` when it is Latin and holds
romanised Hindi function words at a rate English text never reaches, `english` when Latin otherwise, and
`other` when neither script leads. The word list is a stand-in for the trained romanised-Hindi detector of the
Hinglish issue: enough to balance a tokenizer sample, not a language-ID model.
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
