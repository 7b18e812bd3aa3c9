"""Line-level cleaning before the document decisions of 02_filter (as C4 and FineWeb do): lines of a Hindi
document that are not Hindi prose (English lines, navigation lists, wiki markup, "key - value" infobox facts,
repeated headings) are removed, so that language, quality and repetition judge the prose that is left.

Lines are only removed from *Hindi documents*: those with more Devanagari than Latin letters, or whose Devanagari
prose lines (`hindi_prose`) hold at least `min_prose_share` of their letters (an article with an English infobox).
Romanised Hindi (all Latin), code-mixed chats (Latin letters lead, Hindi function words on the mixed lines) and
English pages with Hindi menu labels are left whole for the language step to decide on. A line of Hindi prose is
never removed; a document that was only residue is set aside as `only_residue`. Every document records what
went in `metadata["lines_removed"]`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter

from pipeline.filter.settings import LineCleaningSettings
from pipeline.lean_filter import LeanFilter
from pipeline.script import (
    DEVANAGARI_LETTER,
    DEVANAGARI_RUN,
    LATIN_LETTER,
    line_letter_counts,
    remember_letter_counts,
)

LATIN_LINE, NAVIGATION, WIKI_MARKUP, KEY_VALUE, FRAGMENT, REPEATED = (
    "latin_line", "navigation_list", "wiki_markup", "key_value", "fragment", "repeated_line")
# A sentence ends with a danda anywhere, or . ? ! before a space, a quote or the end of the line.
_SENTENCE_END = re.compile(r"[।॥]|[.?!](?=[\s\"'”’)]|$)")
_NAV_SEPARATOR = re.compile(r"\s*[·•|।]\s*")
_COMMA = re.compile(r"\s*,\s*")
MIN_SENTENCE_WORDS = 3
_WIKI_MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|^\s*(?:\{\||\|\}|\|-|\||!|==.*==\s*$)|^\s*(?:साँचा|श्रेणी|चित्र):")
_KEY_VALUE = re.compile(r"^([^-–—:=]{1,40}?)(?:\s[-–—:=]\s?|(?<!\d)[:=]\s*)(\S.*)$")  # not 12:45
KEY_WORDS = 3  # "क्षेत्रफल", "राज्य कोड", "1789 ई॰": a key is a name, not a clause
EXAMPLE_CHARS = 160  # an example line kept in metadata, cut to this


def _letters(line: str) -> tuple[int, int]:  # for one line; clean_lines counts a document's lines at once
    return len(DEVANAGARI_LETTER.findall(line)), len(LATIN_LETTER.findall(line))


def _prose(line: str, min_words: int, letters: tuple[int, int]) -> tuple[bool, bool]:
    """(Hindi prose, English prose) of a line with `letters` (Devanagari, Latin). Hindi prose: `min_words` words or
    more, sentence ends with three words or more per sentence on average (a list of names separated by dandas has
    one or two), and mostly Devanagari letters; English prose: as many words, a sentence end, and mostly Latin
    letters."""
    devanagari, latin = letters
    words = len(line.split())
    if words < min_words:
        return False, False
    ends = len(_SENTENCE_END.findall(line))
    return (devanagari > latin and ends > 0 and words >= MIN_SENTENCE_WORDS * ends,
            latin > devanagari and ends > 0)


def hindi_prose(line: str, min_words: int = 5) -> bool:
    return _prose(line, min_words, _letters(line))[0]


@dataclass
class Verdict:
    """What may go from a document: residue lines when it is Hindi (Devanagari letters lead, or Hindi prose
    lines hold `min_prose_share` of its letters); English sentences as well when they are a small part of it
    (a partly translated help page is half English prose)."""

    hindi: bool
    english_sentences_go: bool


def judge_document(letters: list[tuple[int, int]], prose: list[tuple[bool, bool]],
                   settings: LineCleaningSettings) -> Verdict:
    """`letters` and `prose`: (Devanagari, Latin) letters and `_prose` of each line."""
    hindi = english = devanagari = latin = 0
    for (line_devanagari, line_latin), (hindi_line, english_line) in zip(letters, prose, strict=True):
        devanagari, latin = devanagari + line_devanagari, latin + line_latin
        if hindi_line:
            hindi += line_devanagari + line_latin
        elif english_line:
            english += line_devanagari + line_latin
    is_hindi = devanagari > latin or (hindi > 0 and hindi >= settings.min_prose_share * (devanagari + latin))
    return Verdict(is_hindi, is_hindi and english <= settings.max_english_prose_ratio * hindi)


def residue(line: str, letters: tuple[int, int], prose: tuple[bool, bool], settings: LineCleaningSettings,
            function_words: frozenset[str], english_sentences_go: bool = True) -> str | None:
    """Why a line of a Hindi document is not Hindi prose, or None when it stays; `letters` and `prose` are the
    line's (Devanagari, Latin) letters and its `_prose`."""
    hindi_line, english_line = prose
    if hindi_line:
        return None
    if _WIKI_MARKUP.search(line):
        return WIKI_MARKUP
    devanagari, latin = letters
    if latin > devanagari and not any(w in function_words for w in DEVANAGARI_RUN.findall(line)):
        # English (with a Hindi name at most); a code-mixed line keeps its Hindi function words
        return LATIN_LINE if english_sentences_go or not english_line else None
    if _navigation(line, settings, function_words):
        return NAVIGATION
    fact = _KEY_VALUE.match(line)
    value = fact.group(2) if fact else ""
    short_or_numbers = len(value.split()) <= settings.max_key_value_words or not DEVANAGARI_LETTER.search(value)
    if (fact and len(fact.group(1).split()) <= KEY_WORDS and short_or_numbers and not _SENTENCE_END.search(line)
            and not any(w in function_words for w in line.split())):
        return KEY_VALUE  # a headline "दिल्ली: दो चिकित्सकों पर हमला" has function words, a fact line none
    if (len(line.split()) <= settings.max_fragment_words or len(line.strip()) <= settings.max_fragment_chars) and (
            not _SENTENCE_END.search(line)):
        return FRAGMENT  # a caption, a heading, a numbered list item, a lone ऽ
    return None


def _navigation(line: str, settings: LineCleaningSettings, function_words: frozenset[str]) -> bool:
    """Names separated by · • | or dandas (a few may hold a function word: "बेदों का बेरा"), or a longer
    comma-separated list of names with none; short sentences in a row ("हाँ। ठीक है। चलो।") have them."""
    for separator, min_items, max_function_share in ((_NAV_SEPARATOR, settings.min_navigation_items, 0.25),
                                                     (_COMMA, settings.min_comma_list_items, 0.0)):
        items = [item.split() for item in separator.split(line) if item.strip()]
        if (len(items) >= min_items and sum(map(len, items)) <= settings.max_navigation_item_words * len(items)
                and sum(any(w in function_words for w in item) for item in items) <= max_function_share * len(items)):
            return True
    return False


def clean_lines(text: str, settings: LineCleaningSettings, function_words: frozenset[str]) -> tuple[str, dict]:
    """(text without its residue lines, {reason: {"lines", "characters", "example"}}); unchanged when the
    text is not a Hindi document."""
    if DEVANAGARI_LETTER.search(text) is None:
        return text, {}  # judge_document cannot call it Hindi: no line is Devanagari prose, no letter leads
    lines = text.split("\n")
    letters = line_letter_counts(text)
    prose = [_prose(line, settings.min_prose_words, counts) for line, counts in zip(lines, letters, strict=True)]
    verdict = judge_document(letters, prose, settings)
    if not verdict.hindi:
        remember_letter_counts(text, (sum(d for d, _ in letters), sum(la for _, la in letters)))
        return text, {}
    kept, removed = [], {}
    kept_devanagari = kept_latin = 0
    seen_short: set[str] = set()
    for line, counts, line_prose in zip(lines, letters, prose, strict=True):
        if line_prose[0]:  # residue() keeps every line of Hindi prose
            kept.append(line)
            kept_devanagari, kept_latin = kept_devanagari + counts[0], kept_latin + counts[1]
            continue
        reason = (residue(line, counts, line_prose, settings, function_words, verdict.english_sentences_go)
                  if line.strip() else None)
        key = " ".join(line.split())
        if reason is None and key:
            reason = REPEATED if key in seen_short else None  # a heading or caption met again
            seen_short.add(key)
        if reason is None:
            kept.append(line)
            kept_devanagari, kept_latin = kept_devanagari + counts[0], kept_latin + counts[1]
            continue
        entry = removed.setdefault(reason, {"lines": 0, "characters": 0, "example": line.strip()[:EXAMPLE_CHARS]})
        entry["lines"] += 1
        entry["characters"] += len(line)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    # the language step counts the letters of the document's text next: with nothing removed it stays `text`
    remember_letter_counts(cleaned if removed else text, (kept_devanagari, kept_latin))
    return cleaned, removed


class LineCleaning(LeanFilter):
    """Removes the lines of Hindi documents that are not Hindi prose; a document that was nothing else (a list
    of names, an infobox) is set aside as `only_residue`, with its original text."""

    name = "✂️ Line cleaning"

    def __init__(self, settings: LineCleaningSettings, function_words: list[str],
                 exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings
        self.function_words = frozenset(function_words)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text, removed = clean_lines(doc.text, self.settings, self.function_words)
        if not removed:
            return True
        doc.metadata["lines_removed"] = removed
        for reason, entry in removed.items():
            self.stat_update(f"changed_{reason}")  # documents (the card's "What was changed")
            self.stat_update(f"lines_removed_{reason}", value=entry["lines"])
            self.stat_update(f"characters_removed_{reason}", value=entry["characters"])
        if not text.strip():
            return False, "only_residue"
        doc.text = text
        return True


def removed_totals(steps: list[dict]) -> dict[str, dict[str, int]]:
    """{reason: {"lines", "characters"}} from a stage's merged task stats (accounting.merged_task_stats)."""
    totals: dict[str, Counter] = {}
    for step in steps:
        for key, value in step["stats"].items():
            for unit in ("lines", "characters"):
                if key.startswith(f"{unit}_removed_"):
                    count = value["total"] if isinstance(value, dict) else value
                    totals.setdefault(key.removeprefix(f"{unit}_removed_"), Counter())[unit] += int(count)
    return {reason: dict(counts) for reason, counts in sorted(totals.items())}
