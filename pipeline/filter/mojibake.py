"""Hindi that a font or a converter broke: legacy-font text exported as Latin letters, and Devanagari with
sequences no writer produces.

- `legacy_font`: KrutiDev (and similar 8-bit Hindi fonts) store Devanagari glyphs in Latin code points, so
  "भारत एक देश है" arrives as "Hkkjr ,d ns'k gS". Frequent Hindi words have fixed KrutiDev spellings that are
  not English words; their share among a page's Latin words gives it away. UTF-8 Devanagari decoded as
  Latin-1 ("à¤­à¤¾") is counted the same way, and so are Latin-1 letters glued to Devanagari (Chanakya-style
  leftovers such as "सÝं").
- `broken_devanagari`: PDF extraction and OCR leave vowel signs or halants at the start of a word, two vowel
  signs in a row, a halant before a vowel sign, runs of avagraha (ऽऽ), an independent vowel followed by a
  vowel sign (अा for आ) and runs of four or more half letters. A lone ऽ is not counted: the LTRC literature
  uses it where a danda belongs, and the text around it reads fine.
"""

from __future__ import annotations

import re

import numpy as np
from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter

from pipeline.filter.settings import MojibakeSettings
from pipeline.lean_filter import LeanFilter
from pipeline.script import code_points

_DEVANAGARI = "\u0900-\u097f"
_VOWEL_SIGN = "\u093e-\u094c\u0962\u0963"
_CONSONANT = "\u0915-\u0939\u0958-\u095f"
# Each branch starts with a character class rather than a lookbehind, so that re skips most positions fast.
_BROKEN_DEVANAGARI = re.compile(
    "|".join(
        (
            rf"[{_VOWEL_SIGN}\u094d](?<![{_DEVANAGARI}][{_VOWEL_SIGN}\u094d])",  # vowel sign or halant starts a word
            rf"[{_VOWEL_SIGN}][{_VOWEL_SIGN}]",  # two vowel signs
            rf"\u094d[{_VOWEL_SIGN}\u094d]",  # halant before a vowel sign or halant
            "\u093d{2,}",  # ऽऽ
            rf"[\u0905-\u0914][{_VOWEL_SIGN}]",  # अा
            rf"\u094d(?:[{_CONSONANT}]\u093c?\u094d){{3,}}",  # four or more half letters in a row
            rf"[\u00c0-\u00ff](?:(?=[{_DEVANAGARI}])|(?<=[{_DEVANAGARI}].))",  # Latin-1 letter glued to Devanagari
        )
    )
)
_LATIN_WORD = re.compile(r"[A-Za-z\u00a1-\u00ff;,'\[\]{}~^&|\\/-]+")

# KrutiDev spellings of frequent Hindi words: है gS, हैं gSa, में esa, और vkSj, का dk, के ds, की dh, को dks,
# से ls, कि fd, यह ;g, भी Hkh, पर ij, था Fkk, थी Fkh, कर dj, जो tks, एक ,d, इस bl, नहीं ugha, लिए fy,
# तथा rFkk, अपने vius, किया fd;k, गया x;k, साथ lkFk, बाद ckn, लोग yksx, भारत Hkkjr.
KRUTIDEV_WORDS = frozenset(
    "gS gSa esa vkSj dk ds dh dks ls fd ;g Hkh ij Fkk Fkh dj tks ,d bl ugha fy, fy;s rFkk vius fd;k x;k "
    "lkFk ckn yksx Hkkjr gSaA gSA FkkA".split()
)
_UTF8_AS_LATIN1 = re.compile("à¤|à¥")


# Classes of code points for a pre-check of _BROKEN_DEVANAGARI in numpy: every branch of the pattern starts with a
# pair of neighbours of these classes (or is a run of half letters), so a text without such a pair has no match.
# 98% of the corpus's documents have none: the measure costs 0.50 CPU s on the corpus instead of 0.80.
_OTHER, _DEVANAGARI_OTHER, _SIGN, _HALANT, _AVAGRAHA, _VOWEL, _LATIN1 = range(7)
_DEVANAGARI_CLASSES = [_DEVANAGARI_OTHER, _SIGN, _HALANT, _AVAGRAHA, _VOWEL]


def _code_classes() -> np.ndarray:
    """Code point → class; the last entry stands for every code point past the Devanagari block."""
    table = np.full(0x981, _OTHER, dtype=np.uint8)
    table[0x900:0x980] = _DEVANAGARI_OTHER
    table[0x93E:0x94D] = table[0x962:0x964] = _SIGN
    table[0x94D], table[0x93D] = _HALANT, _AVAGRAHA
    table[0x905:0x915] = _VOWEL
    table[0xC0:0x100] = _LATIN1
    return table


def _breaking_pairs() -> np.ndarray:
    """`previous * 8 + next` for the neighbouring classes that start a match of _BROKEN_DEVANAGARI; a text's first
    character follows an _OTHER."""
    pairs = [(before, mark) for before in (_OTHER, _LATIN1) for mark in (_SIGN, _HALANT)]  # a mark starts a word
    pairs += [(_SIGN, _SIGN), (_HALANT, _SIGN), (_HALANT, _HALANT), (_AVAGRAHA, _AVAGRAHA), (_VOWEL, _SIGN)]
    pairs += [pair for devanagari in _DEVANAGARI_CLASSES for pair in ((_LATIN1, devanagari), (devanagari, _LATIN1))]
    return np.array(sorted({before * 8 + after for before, after in pairs}))


_CODE_CLASSES, _BREAKING_PAIRS = _code_classes(), _breaking_pairs()


def _half_letter_run(classes: np.ndarray) -> bool:
    """Whether four halants stand two or three characters apart in a row, as in a run of four half letters."""
    gaps = np.diff(np.flatnonzero(classes == _HALANT))
    close = (gaps == 2) | (gaps == 3)
    return bool((close[:-2] & close[1:-1] & close[2:]).any())


def broken_devanagari_per_1000(text: str) -> float:
    """Matches of _BROKEN_DEVANAGARI per 1,000 characters of the Devanagari block (U+0900–U+097F)."""
    if text.isascii():
        return 0.0  # no Devanagari; CPython keeps the answer, so asking costs nothing
    codes = code_points(text)
    classes = np.zeros(len(codes) + 1, dtype=np.uint8)  # classes[0]: the _OTHER before the first character
    np.take(_CODE_CLASSES, np.minimum(codes, len(_CODE_CLASSES) - 1), out=classes[1:])
    pairs = np.bincount((classes[:-1] << 3) | classes[1:], minlength=64)
    devanagari = int(pairs.reshape(8, 8)[:, _DEVANAGARI_CLASSES].sum())  # each character once, as a pair's second
    if not devanagari:
        return 0.0
    if not pairs[_BREAKING_PAIRS].any() and not _half_letter_run(classes):
        return 0.0
    return 1000 * len(_BROKEN_DEVANAGARI.findall(text)) / devanagari


def legacy_font_words(text: str) -> tuple[int, int]:
    """(Latin words that are KrutiDev Hindi or Devanagari UTF-8 read as Latin-1, all Latin words)."""
    words = _LATIN_WORD.findall(text)
    legacy = sum(map(KRUTIDEV_WORDS.__contains__, words))
    if "à" in text:  # the KrutiDev words are ASCII, so no word is counted twice
        legacy += sum(_UTF8_AS_LATIN1.search(w) is not None for w in words)
    return legacy, len(words)


class MojibakeFilter(LeanFilter):
    name = "🔣 Mojibake"

    def __init__(self, settings: MojibakeSettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        legacy, latin = legacy_font_words(doc.text)
        share = legacy / latin if latin else 0.0
        broken = broken_devanagari_per_1000(doc.text)
        doc.metadata["legacy_font_share"] = round(share, 4)
        doc.metadata["broken_devanagari_per_1000"] = round(broken, 2)
        if legacy >= self.settings.min_legacy_font_words and share > self.settings.max_legacy_font_share:
            return False, "legacy_font"
        if broken > self.settings.max_broken_per_1000:
            return False, "broken_devanagari"
        return True
