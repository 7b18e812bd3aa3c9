"""Devanagari Hindi → Hindi in Latin letters the way people type it (Hinglish), not a formal transliteration.

ITRANS or IAST write कमरा as "kamarA"/"kamarā"; people write "kamra". The rules, in order (data in
pipeline/hinglish/lexicons/romanization/):
1. words.tsv: frequent words whose usual spelling no rule gives (में mein, हैं hain, नहीं nahi, क्या kya);
   loanwords.tsv: English words written in Devanagari go back to English (फ़िल्म film, मूवी movie).
2. letters.tsv: each letter's common spellings (ख kh, छ chh, फ़ f, ज़ z, ड़ d), no diacritics.
3. Schwa deletion (right to left): a consonant's inherent "a" is dropped at the end of a word (not from य र व
   after a half letter: राज्य rajya, मित्र mitra) and between a vowel and a consonant that has a vowel of its own
   (कमरा kamra, सकता sakta, समझना samajhna).
4. Vowel length: ा ी ू are written long (aa ee oo) only inside a one-syllable word (काम kaam, ठीक theek,
   दूध doodh) and short everywhere else (रहा raha, लड़की ladki), as Hinglish writers mostly do.
5. Nasals: anusvara and candrabindu become "n" ("m" before प फ ब भ म); final ें is "ein" (बातें baatein).
   ए after a vowel becomes "ye" (लिए liye), ई after an inherent a "yi" (गई gayi); च्च and च्छ become "cch";
   a final फ is "f" (सिर्फ sirf). No schwa is dropped right after a nasal (ज़िंदगी zindagi).
The deterministic mode takes the first spelling everywhere; with a seed, each word samples among the listed
variants (nahi/nahin, mein/me, ph/f), since real Hinglish varies.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.script import DEVANAGARI_DIGITS_TO_ASCII, DEVANAGARI_WORD

DATA = Path(__file__).parent / "lexicons" / "romanization"
HALANT, NUKTA, ANUSVARA, CANDRABINDU, VISARGA = "\u094d", "\u093c", "\u0902", "\u0901", "\u0903"
LABIALS = set("पफबभम")
_PUNCTUATION = str.maketrans({"।": ".", "॥": "."})


def _read_tsv(name: str) -> dict[str, list[str]]:
    table = {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, *rest = line.split("\t")
            table[unicodedata.normalize("NFC", key)] = rest[-1].split(",")
    return table


@cache
def _tables() -> tuple[dict[str, tuple[str, list[str]]], dict[str, list[str]]]:
    letters = {}
    for line in (DATA / "letters.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            letter, kind, spellings = line.split("\t")
            letters[unicodedata.normalize("NFC", letter)] = (kind, spellings.split(","))
    words = _read_tsv("words.tsv") | _read_tsv("loanwords.tsv")
    return letters, words


@dataclass
class _Syllable:
    consonant: str  # "" for an independent vowel
    vowel: str | None  # None: halant (no vowel); "a": the inherent vowel, which schwa deletion may drop
    inherent: bool = False
    long_vowel: tuple[str, str] | None = None  # (short, long) spellings of ा ी ू
    nasal: bool = False
    letter: str = ""


def _syllables(word: str, pick) -> list[_Syllable]:
    letters, _ = _tables()
    out: list[_Syllable] = []
    i = 0
    while i < len(word):
        char = word[i]
        if i + 1 < len(word) and word[i + 1] == NUKTA and char + NUKTA in letters:
            char, i = char + NUKTA, i + 1
        kind, spellings = letters.get(char, ("?", [char]))
        if kind == "C":
            out.append(_Syllable(pick(spellings), "a", inherent=True, letter=char))
        elif kind == "V":
            glide = None
            if out and out[-1].vowel is not None:  # लिए liye, गए gaye; गई gayi but कोई koi, भाई bhai
                glide = "ye" if char == "ए" else "yi" if char == "ई" and out[-1].inherent else None
            out.append(_Syllable("", glide or pick(spellings), letter=char))
        elif kind == "M" and out:
            out[-1].vowel, out[-1].inherent = pick(spellings[:1]), False
            if char in "ाीू":
                out[-1].long_vowel = (spellings[0], {"ा": "aa", "ी": "ee", "ू": "oo"}[char])
        elif char == HALANT and out:
            out[-1].vowel, out[-1].inherent = None, False
        elif char in (ANUSVARA, CANDRABINDU) and out:
            out[-1].nasal = True
        elif char == VISARGA and out:
            out.append(_Syllable("h", None))
        i += 1
    return out


def _delete_schwas(syllables: list[_Syllable]) -> None:
    if not syllables:  # a stray sign with no letter to carry it
        return
    last = syllables[-1]
    # A final य र व after a half letter keeps its a (राज्य rajya, मित्र mitra, विश्व vishva); other clusters
    # lose it (दोस्त dost, धर्म dharm, सिर्फ sirf).
    after_conjunct = len(syllables) > 1 and syllables[-2].vowel is None and last.letter in "यरव"
    if len(syllables) > 1 and last.inherent and not last.nasal and not after_conjunct:
        last.vowel = None
    for i in range(len(syllables) - 2, 0, -1):
        here, before, after = syllables[i], syllables[i - 1], syllables[i + 1]
        # Not after a nasal: that would leave three consonants together (ज़िंदगी zindagi, not zindgi).
        if here.inherent and not here.nasal and before.vowel and not before.nasal and after.consonant and after.vowel:
            here.vowel = None


def _spell(syllables: list[_Syllable]) -> str:
    voiced = sum(s.vowel is not None for s in syllables)
    parts = []
    for i, s in enumerate(syllables):
        vowel = s.vowel or ""
        final = i == len(syllables) - 1
        if s.long_vowel and voiced == 1 and not final:
            vowel = s.long_vowel[1]
        consonant = "f" if s.letter == "फ" and final and not vowel else s.consonant  # सिर्फ sirf, साफ saaf
        if i and syllables[i - 1].letter == "च" and syllables[i - 1].vowel is None and s.letter in "चछ":
            parts[-1], consonant = "c", "ch"  # बच्चा bachcha → baccha is rarer; च्छ cch (अच्छा accha)
        parts.append(consonant + vowel)
        if s.nasal:
            following = syllables[i + 1].letter if i + 1 < len(syllables) else ""
            parts.append("ein" if final and vowel == "e" else "m" if following in LABIALS else "n")
            if final and vowel == "e":
                parts[-2] = consonant
    return "".join(parts)


def romanize_word(word: str, rng: random.Random | None = None) -> str:
    """One Devanagari word in Hinglish spelling; `rng` samples among common variants."""

    def pick(options: list[str]) -> str:
        return rng.choice(options) if rng is not None else options[0]

    word = unicodedata.normalize("NFC", word)
    _, words = _tables()
    if word in words:
        return pick(words[word])
    syllables = _syllables(word, pick)
    _delete_schwas(syllables)
    return _spell(syllables)


def romanize(text: str, seed: int | None = None) -> str:
    """Every Devanagari word of `text` romanised; Latin text, digits and spacing kept (। becomes '.')."""
    rng = random.Random(seed) if seed is not None else None
    text = unicodedata.normalize("NFC", text)
    romanised = DEVANAGARI_WORD.sub(lambda m: romanize_word(m.group(), rng), text)
    return romanised.translate(DEVANAGARI_DIGITS_TO_ASCII).translate(_PUNCTUATION)
