"""Unicode and Hindi normalisation for stage 01_ingest.

Rules, in the order they run (each is counted per document it changes, and the card lists the counts):

1. line_endings: CR LF, CR and the Unicode line/paragraph separators become LF.
2. invisible_chars: C0/C1 control characters (not LF or tab), BOMs, soft hyphens, word joiners, zero-width
   spaces and bidi marks are removed: they carry no text and split words for a tokenizer.
3. nfc: Unicode NFC, so that one spelling has one code point sequence.
4. zero_width_joiners: ZWNJ/ZWJ are kept only where they change how Devanagari renders: right after a halant
   before a consonant (क्‍ष half form, क्‌ष explicit halant) and as ZWJ between र and a halant (eyelash ra).
   Everywhere else (inside Latin words, between words, doubled) they are removed. They are never stripped
   blindly, which indic-nlp's normaliser would do.
5. indic_nlp: indic-nlp-library's Devanagari normaliser: nukta letters to base + nukta, the chosen nasal mode,
   chandra-a. Its English-punctuation rewrites (curly quotes, dashes, ellipsis), its `|` → danda and `:` →
   visarga rules would also rewrite Latin text and labels such as "समय: 10 बजे", so those characters are
   shielded from it and handled by rules 6 and 7. NFC is applied again after it (it leaves ऩ decomposed).
6. danda: `|` and `||` (and `।।`) written right after Devanagari become । and ॥.
7. visarga: a colon between two Devanagari letters (दु:ख) becomes visarga (दुःख); a colon before a space or
   digit stays a colon.
8. digits: only with devanagari_digits=ascii, ०-९ become 0-9.
9. unicode_spaces: tabs, no-break and other Unicode spaces become a plain space.
10. whitespace: runs of spaces collapse, lines lose edge spaces, three or more line breaks become one blank
    line, the document is stripped.

Rules 1, 2, 4 and 9 only touch characters that `str.isprintable` rejects, so a text without any skips them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from indicnlp.normalize.indic_normalize import DevanagariNormalizer

from pipeline.script import DEVANAGARI_DIGITS_TO_ASCII

HALANT = "\u094d"
ZWNJ, ZWJ = "\u200c", "\u200d"
DEVANAGARI_CONSONANT = "[\u0915-\u0939\u0958-\u095f\u0978-\u097f]"

_LINE_ENDINGS = re.compile(r"\r\n?|[\u2028\u2029]")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\ufffe]"
)
_JOINER = re.compile(
    f"({HALANT}[{ZWNJ}{ZWJ}](?={DEVANAGARI_CONSONANT})|\u0930{ZWJ}(?={HALANT}))|[{ZWNJ}{ZWJ}]"
)
# Patterns start with the character they look for, so the regex engine can skip ahead to it.
_PIPES_OR_DOUBLE_DANDA = re.compile(r"\|\|?|।।")
_VISARGA = re.compile(r":(?<=[\u0900-\u0963]:)(?=[\u0900-\u0963])")
_OTHER_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUNS = re.compile(" {2,}")
_EDGE_SPACES = re.compile(r" +\n *|\n +")
_BLANK_RUNS = re.compile(r"\n{3,}")

# Characters indic-nlp would rewrite outside Devanagari, mapped to private-use stand-ins around its call.
_SHIELDED = "\"'„“”‚‘’´–—…|:" + ZWNJ + ZWJ + "\u00a0"
_SHIELD_BASE = 0xF0000  # Supplementary Private Use Area-A: absent from real text
_SHIELD = str.maketrans({c: chr(_SHIELD_BASE + i) for i, c in enumerate(_SHIELDED)})
_UNSHIELD = str.maketrans({chr(_SHIELD_BASE + i): c for i, c in enumerate(_SHIELDED)})
# What indic-nlp changes in Devanagari with nasals=do_nothing: nukta letters and Marathi chandra-a. Texts
# without them skip the call (it is the costliest rule); the nasal modes also need nasal consonant + halant.
_INDIC_TARGETS = "\u0929\u0931\u0934\u0958\u0959\u095a\u095b\u095c\u095d\u095e\u095f\u0972"
_NASAL_HALANT = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d")
_SHIELD_CHARS = re.compile(f"[{chr(_SHIELD_BASE)}-{chr(_SHIELD_BASE + len(_SHIELDED))}]")


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _is_devanagari_letter(char: str) -> bool:
    return "\u0900" <= char <= "\u0963" or "\u0970" <= char <= "\u097f"


def _danda(text: str) -> str:
    """।। is always ॥; | and || become । and ॥ only right after Devanagari (one space allowed between)."""

    def replace(match: re.Match) -> str:
        if match.group() == "।।":
            return "॥"
        start = match.start()
        before = text[start - 2 : start] if start > 1 else text[:start]
        previous = before[-2:-1] if before.endswith(" ") else before[-1:]
        if previous and _is_devanagari_letter(previous):
            return "।" if match.group() == "|" else "॥"
        return match.group()

    return _PIPES_OR_DOUBLE_DANDA.sub(replace, text)


def _whitespace(text: str) -> str:
    # `in` tests are C-speed scans; most documents need none of the regexes.
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _EDGE_SPACES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def _when(markers: str | tuple[str, ...], rule: Callable[[str], str]) -> Callable[[str], str]:
    """Run `rule` only on texts holding one of the `markers` (characters or substrings)."""
    return lambda text: rule(text) if any(m in text for m in markers) else text


@dataclass(frozen=True)
class Rule:
    name: str
    apply: Callable[[str], str]
    # True for rules that only touch control, format and space characters other than " " and LF: a text
    # with none (str.isprintable, at C speed) skips them.
    unprintable_only: bool = False


class HindiTextNormalizer:
    """The rules above as a plain callable: `normalize(text) -> (text, names of rules that changed it)`."""

    def __init__(self, nasals: str = "do_nothing", devanagari_digits: str = "keep"):
        indic = DevanagariNormalizer("hi", nasals_mode=nasals)

        def indic_nlp(text: str) -> str:
            targeted = (
                any(c in text for c in _INDIC_TARGETS)
                or nasals != "do_nothing"
                and _NASAL_HALANT.search(text)
            )
            if not targeted or _SHIELD_CHARS.search(text):  # a private-use stand-in would be unshielded
                return text
            return _nfc(indic.normalize(text.translate(_SHIELD)).translate(_UNSHIELD))

        self.rules = [
            Rule("line_endings", lambda t: _LINE_ENDINGS.sub("\n", t), unprintable_only=True),
            Rule("invisible_chars", lambda t: _INVISIBLE.sub("", t), unprintable_only=True),
            Rule("nfc", _nfc),
            Rule(
                "zero_width_joiners",
                lambda t: _JOINER.sub(lambda m: m.group(1) or "", t),
                unprintable_only=True,
            ),
            Rule("indic_nlp", indic_nlp),
            Rule("danda", _when(("|", "।।"), _danda)),
            Rule("visarga", _when(":", lambda t: _VISARGA.sub("ः", t))),
        ]
        if devanagari_digits == "ascii":
            self.rules.append(Rule("digits", lambda t: t.translate(DEVANAGARI_DIGITS_TO_ASCII)))
        self.rules += [
            Rule("unicode_spaces", lambda t: _OTHER_SPACES.sub(" ", t), unprintable_only=True),
            Rule("whitespace", _whitespace),
        ]

    def normalize(self, text: str) -> tuple[str, list[str]]:
        printable = text.replace("\n", "").isprintable()
        changed = []
        for rule in self.rules:
            if printable and rule.unprintable_only:
                continue
            new = rule.apply(text)
            if new != text:
                changed.append(rule.name)
                text = new
        return text, changed


class NormalizeHindiText(PipelineStep):
    """Applies `HindiTextNormalizer` to every good document (records flagged by a reader pass untouched);
    counts documents changed per rule."""

    type = "✍️ - NORMALIZER"
    name = "🔤 Hindi text normalisation"

    def __init__(self, nasals: str = "do_nothing", devanagari_digits: str = "keep"):
        super().__init__()
        self.normalizer = HindiTextNormalizer(nasals, devanagari_digits)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # Counted locally and recorded once per task: datatrove's per-call stat updates cost more than
        # most of the rules.
        changed: Counter[str] = Counter()
        documents = chars_removed = 0
        for document in data:
            if "ingest_error" not in document.metadata:
                before = len(document.text)
                document.text, rules = self.normalizer.normalize(document.text)
                changed.update(rules)
                chars_removed += before - len(document.text)
                documents += 1
            yield document
        self.stat_update("documents", value=documents)
        self.stat_update("chars_removed", value=chars_removed)
        for rule, count in changed.items():
            self.stat_update(f"changed_{rule}", value=count)
