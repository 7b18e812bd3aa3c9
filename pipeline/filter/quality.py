"""datatrove's Gopher and FineWeb quality filters with Hindi settings, and light checks for romanised Hindi.
The Gopher rules run as pipeline/filter/gopher.py computes them: datatrove's decisions at less cost.

The datatrove filters run on `hi_Deva` documents with language code `hin_Deva` (indic-nlp's word tokenizer;
the code `hi` would load a Stanza Kurmanji tokenizer). Romanised and code-mixed Hindi (`hi_Latn`, `hi_mixed`) pass
them untouched and meet `HinglishQualityFilter` instead: their stop words, word lengths and line shapes are not
Devanagari Hindi's.
"""

from __future__ import annotations

from dataclasses import asdict

from datatrove.data import Document
from datatrove.pipeline.filters import FineWebQualityFilter
from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.text import TERMINAL_PUNCTUATION
from datatrove.utils.word_tokenizers import WordTokenizer, load_word_tokenizer

from pipeline.filter.gopher import FastGopherQuality, FastGopherRepetition
from pipeline.filter.language_id import HINDI_DEVANAGARI, HINGLISH
from pipeline.filter.settings import (
    FineWebQualitySettings,
    GopherQualitySettings,
    HinglishQualitySettings,
    RepetitionSettings,
)
from pipeline.lean_filter import LeanFilter
from pipeline.text_memo import TextMemo
from pipeline.word_split import HINDI, hindi_words


class RememberingWordTokenizer(WordTokenizer):
    """datatrove's hin_Deva word tokenizer (indic-nlp), its words computed at less cost (pipeline/word_split.py) and
    remembered (pipeline/text_memo.py): the Gopher quality, FineWeb quality and repetition filters each split the
    same document into words, and the splitting is most of their cost."""

    def __init__(self):
        super().__init__(HINDI)
        self.tokenizer = load_word_tokenizer(HINDI)
        self._words: TextMemo[list[str]] = TextMemo()

    def word_tokenize(self, text: str) -> list[str]:
        return self._words.of(text, hindi_words)

    def sent_tokenize(self, text: str) -> list[str]:
        return self.tokenizer.sent_tokenize(text)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.span_tokenize(text)


# One instance for the three filters, so that they share the remembered split.
HINDI_WORDS = RememberingWordTokenizer()
# A line ends a sentence with । ॥ . ? ! (datatrove's terminal punctuation has the dandas), also when a closing
# quote or bracket follows, as in Hindi news: …कहा।"
HINDI_LINE_ENDINGS = tuple(TERMINAL_PUNCTUATION) + tuple(p + q for p in "।॥.?!" for q in "\"'”’)")


class _DevanagariOnly(LeanFilter):
    """Applies the wrapped filter to Devanagari Hindi; other documents pass (their own checks come later)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("language", HINDI_DEVANAGARI) != HINDI_DEVANAGARI:
            return True
        return super().filter(doc)


class HindiGopherQuality(_DevanagariOnly, FastGopherQuality):
    def __init__(self, settings: GopherQualitySettings, exclusion_writer: DiskWriter | None = None):
        # The settings' fields are GopherQualityFilter's own keyword arguments.
        super().__init__(**asdict(settings), exclusion_writer=exclusion_writer, language=HINDI_WORDS)


class HindiFineWebQuality(_DevanagariOnly, FineWebQualityFilter):
    def __init__(self, settings: FineWebQualitySettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(
            exclusion_writer=exclusion_writer,
            line_punct_thr=settings.line_punct_thr,
            stop_chars=HINDI_LINE_ENDINGS,
            short_line_thr=settings.short_line_thr,
            char_duplicates_ratio=settings.char_duplicates_ratio,
            new_line_ratio=settings.new_line_ratio,
            line_punct_exclude_zero=settings.line_punct_exclude_zero,
            language=HINDI_WORDS,
        )


class HindiRepetition(_DevanagariOnly, FastGopherRepetition):
    """Gopher repetition with FineWeb-2's line value. The n-gram checks measure characters in repeated
    n-grams against the document's length, so a short news item whose headline is repeated in its first
    sentence fails them; they run from `ngram_min_words` words on, the line and paragraph checks always."""

    def __init__(self, settings: RepetitionSettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(dup_line_frac=settings.dup_line_frac, exclusion_writer=exclusion_writer, language=HINDI_WORDS)
        self.ngram_min_words = settings.ngram_min_words
        self._ngram_checks = (self.top_n_grams, self.dup_n_grams)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        # split no further than the words counted: whether there are that many is all that is asked
        long_enough = len(doc.text.split(None, self.ngram_min_words - 1)) >= self.ngram_min_words
        self.top_n_grams, self.dup_n_grams = self._ngram_checks if long_enough else ((), ())
        return super().filter(doc)


class HinglishQualityFilter(LeanFilter):
    """Romanised and code-mixed Hindi: enough words, and not one line repeated over and over."""

    name = "🔤 Hinglish quality"

    def __init__(self, settings: HinglishQualitySettings, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.settings = settings

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("language") not in HINGLISH:
            return True
        if len(doc.text.split()) < self.settings.min_words:
            return False, "too_few_words"
        lines = [line for line in doc.text.splitlines() if line.strip()]
        duplicated, _ = find_duplicates(lines)
        if duplicated / len(lines) > self.settings.max_dup_line_frac:
            return False, "repeated_lines"
        return True
