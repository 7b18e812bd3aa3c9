"""Abuse lexicon filter for Devanagari Hindi, romanised Hindi and English (lexicon: pipeline/filter/lexicons/toxicity).

One Aho-Corasick automaton finds every lexicon term in one pass over the lower-cased text; a match counts only
when it is a whole word, and a Devanagari word includes its combining marks, so an abusive root inside a longer
innocent word (गांड in गांडीव, "gand" in "gandhi") is not a match.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import ahocorasick
from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter

from pipeline.filter.settings import ToxicitySettings
from pipeline.lean_filter import LeanFilter

BUNDLED_LEXICON = Path(__file__).parent / "lexicons" / "toxicity"


def load_lexicon(folder: str | Path = BUNDLED_LEXICON) -> dict[str, str]:
    """term → category (the file name) from every `<category>.txt` in `folder`."""
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no <category>.txt lexicon file")
    lexicon = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            term = unicodedata.normalize("NFC", line.split("#", 1)[0].strip()).lower()
            if term:
                lexicon[term] = path.stem
    return lexicon


def _is_word_char(char: str) -> bool:
    # Letters, digits and combining marks (matra, nukta, anusvara, halant: category M*) belong to a word.
    return char.isalnum() or unicodedata.category(char)[0] == "M"


class AbuseLexicon:
    def __init__(self, lexicon: dict[str, str]):
        self.automaton = ahocorasick.Automaton()
        for term, category in lexicon.items():
            self.automaton.add_word(term, (len(term), category))
        self.automaton.make_automaton()

    def hits(self, text: str) -> Counter:
        """Whole-word matches per category."""
        lowered = text.lower()
        found: Counter = Counter()
        for end, (length, category) in self.automaton.iter(lowered):
            start = end - length + 1
            before = lowered[start - 1] if start else " "
            after = lowered[end + 1] if end + 1 < len(lowered) else " "
            if not _is_word_char(before) and not _is_word_char(after):
                found[category] += 1
        return found


class ToxicityFilter(LeanFilter):
    name = "🤬 Toxicity"

    def __init__(self, settings: ToxicitySettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings
        self.lexicon = AbuseLexicon(load_lexicon(settings.lexicon_dir or BUNDLED_LEXICON))

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        hits = self.lexicon.hits(doc.text)
        if not hits:
            doc.metadata["toxicity_density"] = 0.0
            return True
        density = sum(hits.values()) / max(1, len(doc.text.split()))
        doc.metadata["toxicity_hits"] = dict(hits)
        doc.metadata["toxicity_density"] = round(density, 4)
        return (False, "abusive_language") if density > self.settings.max_density else True
