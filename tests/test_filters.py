"""Stage 02_filter's filters on hand-written fixtures: one keep and one set-aside case per rule."""

from __future__ import annotations

import re

import pytest
from datatrove.data import Document

from pipeline.filter.language_id import HindiLanguageFilter, LocalFT176LID, bundled_lid176
from pipeline.filter.mojibake import MojibakeFilter
from pipeline.filter.quality import HindiGopherQuality, HindiRepetition, HinglishQualityFilter
from pipeline.filter.settings import (
    FilterConfig,
    GopherQualitySettings,
    HinglishQualitySettings,
    LanguageSettings,
    MojibakeSettings,
    RepetitionSettings,
    ToxicitySettings,
)
from pipeline.filter.toxicity import ToxicityFilter

HINDI_ARTICLE = (
    "महात्मा गांधी का जन्म दो अक्टूबर 1869 को पोरबंदर में हुआ था। उन्होंने London में कानून की पढ़ाई की और "
    "फिर दक्षिण अफ्रीका में वकालत की। भारत लौटने के बाद वे स्वतंत्रता आंदोलन के सबसे बड़े नेता बने। "
    "उनका मानना था कि सत्य और अहिंसा से कोई भी लड़ाई जीती जा सकती है। आज भी दुनिया भर में लोग उनके "
    "विचारों को पढ़ते हैं और उनके जीवन से प्रेरणा लेते हैं।"
)


def doc(text: str, **metadata) -> Document:
    return Document(text=text, id="t", metadata=dict(metadata))


def verdict(step, document: Document):
    result = step.filter(document)
    return result if result is True else result[1]


@pytest.fixture(scope="module")
def language_filter():
    return HindiLanguageFilter(LanguageSettings(), hinglish_model=None)


def test_bundled_lid176_predicts_with_this_numpy():
    (label, score), pairs = LocalFT176LID(bundled_lid176(), languages=["hi"]).predict(doc(HINDI_ARTICLE))
    assert label == "hi" and score > 0.9 and pairs["hi"] == score


def test_hindi_article_with_english_names_is_kept_as_devanagari_hindi(language_filter):
    article = doc(HINDI_ARTICLE)
    assert verdict(language_filter, article) is True
    assert article.metadata["language"] == "hi_Deva"
    assert article.metadata["devanagari_share"] > 0.9


def test_code_mixed_hindi_is_kept_as_hinglish_without_a_detector(language_filter):
    for text in ("मुझे यह decision बिल्कुल पसंद नहीं आया, but let's see",
                 "यार कल movie देखने चलते हैं, tickets मैंने book कर दिए\nसच में? awesome, मैं ready हूँ"):
        mixed = doc(text)
        assert verdict(language_filter, mixed) is True, text
        assert mixed.metadata["language"] == "hi_mixed"


def test_an_english_page_with_hindi_paragraphs_is_not_code_mixed(language_filter):
    # a partly translated help page: its English and its Hindi stand on lines of their own
    page = doc("Programming with LibreOffice Basic\nThis section describes the basic syntax elements of the "
               "language and how the editor works.\nSee the Basic IDE for details on dialogs and modules.\n"
               "यह वह स्थल है जहाँ आप मॅक्रोज़ के साथ कार्य करना सीख सकते हैं।")
    assert verdict(language_filter, page) == "mostly_latin_script"


def test_english_text_is_not_hindi(language_filter):
    english = doc("The Debian Administrator's Handbook explains how to configure RAID and LVM on a server.")
    assert verdict(language_filter, english) == "not_hindi"


def test_lid176_scores_only_the_devanagari_documents_it_decides_on(language_filter):
    article, english = doc(HINDI_ARTICLE), doc("The Debian Administrator's Handbook explains RAID and LVM setups.")
    mixed = doc("मुझे यह decision बिल्कुल पसंद नहीं आया, but let's see")
    for document in (article, english, mixed):
        language_filter.filter(document)
    assert article.metadata["lid176_hi_score"] > 0.9
    assert "lid176_hi_score" not in english.metadata and english.metadata["devanagari_share"] == 0
    assert "lid176_hi_score" not in mixed.metadata and mixed.metadata["language"] == "hi_mixed"


def test_english_help_page_with_hindi_menu_labels_is_set_aside(language_filter):
    page = doc(
        "To insert a table, choose तालिका - तालिका सम्मिलित करें. You can then set the number of rows and "
        "columns in the dialog that opens, and choose a style from the list before you click OK to insert it."
    )
    assert verdict(language_filter, page) == "mostly_latin_script"


def test_marathi_in_devanagari_is_not_hindi(language_filter):
    marathi = doc("महाराष्ट्र हे भारतातील एक राज्य आहे. मुंबई ही महाराष्ट्राची राजधानी आहे आणि ते देशाचे आर्थिक केंद्र आहे.")
    assert verdict(language_filter, marathi) == "low_hindi_score"


def test_without_the_hinglish_classifier_romanised_hindi_is_set_aside(language_filter):
    assert verdict(language_filter, doc("kal movie dekhne chalein? mujhe bahut pasand hai")) == "not_hindi"


def test_a_romanised_hindi_classifier_keeps_hinglish_as_hi_latn(tmp_path):
    import fasttext

    lines = ["__label__hi_Latn kal movie dekhne chalein yaar", "__label__hi_Latn mujhe yeh bahut pasand hai"] * 50
    lines += ["__label__en we will watch a movie tomorrow", "__label__en i like this very much indeed"] * 50
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    model = fasttext.train_supervised(str(tmp_path / "train.txt"), epoch=20, minn=2, maxn=4, verbose=0)
    model.save_model(str(tmp_path / "hinglish.bin"))
    language = HindiLanguageFilter(LanguageSettings(), hinglish_model=tmp_path / "hinglish.bin")
    hinglish = doc("kal movie dekhne chalein? mujhe pasand hai yaar")
    assert verdict(language, hinglish) is True and hinglish.metadata["language"] == "hi_Latn"
    assert verdict(language, doc("we will watch this movie tomorrow")) == "not_hindi"


@pytest.fixture(scope="module")
def mojibake():
    return MojibakeFilter(MojibakeSettings())


def test_krutidev_legacy_font_text_is_set_aside(mojibake):
    assert verdict(mojibake, doc("Hkkjr ,d fo'kky ns'k gSA ;gk¡ vusd Hkk\"kk,¡ cksyh tkrh gSaA")) == "legacy_font"


def test_utf8_devanagari_read_as_latin1_is_set_aside(mojibake):
    garbled = "भारत एक देश है".encode().decode("latin-1")
    assert verdict(mojibake, doc(f"{garbled} {garbled} {garbled}")) == "legacy_font"


def test_a_chat_message_with_one_krutidev_lookalike_is_kept(mojibake):
    assert verdict(mojibake, doc("dk se milna hai kal")) is True


def test_broken_devanagari_from_pdf_conversion_is_set_aside(mojibake):
    broken = "प्ृश्र्द्यीैूश् ण्श्र्श्ट ऽऽर्र्र्र्र्र्र्र ्रउद्धव ि के रंग में ेरँग"
    assert verdict(mojibake, doc(broken)) == "broken_devanagari"


def test_clean_hindi_and_a_lone_avagraha_are_kept(mojibake):
    assert verdict(mojibake, doc(HINDI_ARTICLE + " सोऽहम् कहा गया ऽ फिर")) is True


def test_broken_devanagari_is_measured_as_the_pattern_finds_it():
    """broken_devanagari_per_1000 runs the pattern only where a numpy pre-check finds neighbours that can start a
    match: on texts built to hold every branch, their near misses and the block's neighbours, it must give what the
    pattern alone gives."""
    import random

    from pipeline.filter.mojibake import _BROKEN_DEVANAGARI, broken_devanagari_per_1000

    def by_pattern(text: str) -> float:
        devanagari = len(re.findall("[\u0900-\u097f]", text))
        return 1000 * len(_BROKEN_DEVANAGARI.findall(text)) / devanagari if devanagari else 0.0

    neighbours = "भारत। ॐ १२ ੴ ગુ ঙ ࠀ ࿿ abc à¤ \u08ff\u0980 \U0001d538 \ud800"
    alphabet = "कखषसहक़ज़ािीुेैोौ़्ंःँऽअआइउएओॐ।०\u0962\u0963\u0900\u097fàÝÀÿ¿a \n.\u0980\u08ff"
    rng = random.Random(7)
    texts = [neighbours, HINDI_ARTICLE, "प्ृश्र्द्यीैूश् ण्श्र्श्ट ऽऽर्र्र्र्र्र्र्र ्रउद्धव", "स्क्ष्ट्र्य", "ा", "aa", ""]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(20_000)]
    assert [broken_devanagari_per_1000(t) for t in texts] == [by_pattern(t) for t in texts]
    assert sum(by_pattern(t) == 0 for t in texts) > 1000  # both sides of the pre-check are exercised


def test_letters_are_counted_as_the_patterns_count_them():
    """`letter_counts` classifies code points through a table; every code point counts as the patterns say, in a
    whole text and line by line."""
    from pipeline.script import DEVANAGARI_LETTER, LATIN_LETTER, letter_counts, line_letter_counts

    every = "".join(map(chr, range(0x3000))) + "\U0001d538 \ud800 " + HINDI_ARTICLE
    assert letter_counts(every) == (len(DEVANAGARI_LETTER.findall(every)), len(LATIN_LETTER.findall(every)))
    assert letter_counts("") == (0, 0) and letter_counts("ऽ ॐ Ā z") == (2, 2)
    lines = ("\n" + every + "\n\nHindi: " + HINDI_ARTICLE + "\r\n\n").split("\n")
    assert line_letter_counts("\n".join(lines)) == [letter_counts(line) for line in lines]
    assert line_letter_counts("") == [(0, 0)] and line_letter_counts("a\nऽ") == [(0, 1), (1, 0)]


@pytest.fixture(scope="module")
def toxicity():
    return ToxicityFilter(ToxicitySettings())


def test_abusive_root_inside_an_innocent_longer_word_is_not_a_match(toxicity):
    epic = doc("अर्जुन ने गांडीव उठाया और युद्ध के लिए तैयार हुए। गांधी जी ने सत्याग्रह किया। mahatma gandhi ki jai")
    assert verdict(toxicity, epic) is True
    assert "toxicity_hits" not in epic.metadata


@pytest.mark.parametrize(
    "text",
    ["tu chutiya hai bhenchod", "अबे मादरचोद यहाँ से निकल", "you are a fucking bitch"],
    ids=["romanised", "devanagari", "english"],
)
def test_abuse_is_set_aside_with_hits_recorded(toxicity, text):
    abusive = doc(text)
    assert verdict(toxicity, abusive) == "abusive_language"
    assert sum(abusive.metadata["toxicity_hits"].values()) >= 1


def test_a_long_article_quoting_one_abusive_word_is_kept_and_flagged(toxicity):
    article = doc(HINDI_ARTICLE * 3 + " अदालत ने कहा कि 'हरामी' कहना अपराध है।")
    assert verdict(toxicity, article) is True
    assert article.metadata["toxicity_hits"] == {"insults": 1}


def test_a_matra_changes_the_word_so_nothing_matches(toxicity):
    # गांड + ी is another word (गांडी); the lexicon's गांड must not match inside it.
    assert verdict(toxicity, doc("गांडी")) is True


@pytest.fixture(scope="module")
def gopher():
    return HindiGopherQuality(GopherQualitySettings())


def test_hindi_prose_passes_gopher_quality_with_hindi_stop_words(gopher):
    assert verdict(gopher, doc(HINDI_ARTICLE, language="hi_Deva")) is True


def test_a_helpline_directory_fails_gopher_quality(gopher):
    directory = doc(
        "सीडीओ- 9454465461\nनगर आयुक्त- 9415005006\nकंट्रोल रूम - 0522- 2230688, 0522- 2230955, 0522- 2230691\n"
        "जिलाधिकारी- 9415005000, 9415005001, 9415005002",
        language="hi_Deva",
    )
    assert verdict(gopher, directory) == "gopher_below_alpha_threshold"


def test_romanised_hindi_skips_the_devanagari_quality_filters(gopher):
    assert verdict(gopher, doc("kya haal hai", language="hi_Latn")) is True


def test_a_page_of_repeated_lines_fails_the_repetition_filter():
    spam = "\n".join(["सस्ते दाम पर मोबाइल खरीदें अभी कॉल करें"] * 6 + [HINDI_ARTICLE])
    assert verdict(HindiRepetition(RepetitionSettings()), doc(spam, language="hi_Deva")) == "dup_line_frac"


def test_a_short_news_item_repeating_its_headline_passes_repetition():
    headline = "पश्चिम बंगाल में लॉकडाउन धीरे-धीरे कमजोर पड़ रहा"
    item = doc(f"{headline}\nगृह मंत्रालय ने बताया कि {headline} है और पुलिस सख्ती करेगी।", language="hi_Deva")
    assert verdict(HindiRepetition(RepetitionSettings()), item) is True


def test_hinglish_quality_keeps_chat_and_sets_aside_one_word_and_spam():
    check = HinglishQualityFilter(HinglishQualitySettings())
    assert verdict(check, doc("kal movie dekhne chalein?", language="hi_Latn")) is True
    assert verdict(check, doc("hello", language="hi_Latn")) == "too_few_words"
    assert verdict(check, doc("\n".join(["free recharge yaha click karo"] * 4), language="hi_Latn")) == (
        "repeated_lines"
    )


def test_every_filter_setting_has_a_default():
    config = FilterConfig()
    assert config.gopher_quality.stop_words[:3] == ["के", "में", "है"]
    assert config.language.min_devanagari_share == 0.5


def _gopher_test_texts() -> list[str]:
    from pipeline.documents import read_documents
    from tests.conftest import corpus_path

    texts = [d.text for d in read_documents([corpus_path("hi_wiki_or_news"), corpus_path("hi_web_like")])]
    texts = texts[::7][:2500]  # every seventh: news, literature, sentences, help pages, catalogs
    # Repeats at every scale, so that each rule decides some documents
    para = HINDI_ARTICLE.split("। ")
    texts += ["\n\n".join([HINDI_ARTICLE] * 3), "\n".join(para + para[:2]), (para[0] + " ") * 12, "- a\n- b\n" * 4,
              "… …\n" * 5, "### # #", ""]
    return texts


def test_the_fast_gopher_rules_decide_as_datatrove_does():
    """pipeline/filter/gopher.py recomputes datatrove's Gopher quality and repetition rules; on corpus documents
    and planted repeats, with datatrove's thresholds and with strict ones, every verdict is datatrove's own."""
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    from pipeline.filter.gopher import FastGopherQuality, FastGopherRepetition
    from pipeline.filter.quality import HINDI_WORDS

    strict = {"dup_line_frac": 0.05, "dup_para_frac": 0.05, "dup_line_char_frac": 0.05, "dup_para_char_frac": 0.05,
              "top_n_grams": ((2, 0.02), (3, 0.02), (4, 0.02)), "dup_n_grams": tuple((n, 0.01) for n in range(5, 11))}
    quality = {"stop_words": GopherQualitySettings().stop_words, "min_doc_words": 5, "max_non_alpha_words_ratio": 0.6}
    pairs = [(GopherQualityFilter(language=HINDI_WORDS, **quality), FastGopherQuality(language=HINDI_WORDS, **quality)),
             (GopherQualityFilter(language=HINDI_WORDS), FastGopherQuality(language=HINDI_WORDS)),
             (GopherRepetitionFilter(language=HINDI_WORDS), FastGopherRepetition(language=HINDI_WORDS)),
             (GopherRepetitionFilter(language=HINDI_WORDS, **strict),
              FastGopherRepetition(language=HINDI_WORDS, **strict))]
    for stock, fast in pairs:
        verdicts = [(verdict(stock, doc(t)), verdict(fast, doc(t))) for t in _gopher_test_texts() if t.strip() or
                    isinstance(stock, GopherRepetitionFilter)]
        assert all(a == b for a, b in verdicts), [v for v in verdicts if v[0] != v[1]][:5]
        assert len({a for a, _ in verdicts}) >= 3  # the rules decided differently on different documents


def test_the_ngram_hash_bounds_are_never_below_datatroves_measures():
    """A bound under a threshold lets a document pass without the exact count, so it must never be under the exact
    measure: on word lists with few distinct words (many repeats, and glued n-grams equal across word boundaries:
    "ab"+"c" and "a"+"bc") and on a Hindi article, for every n the filter asks about."""
    import math
    import random

    from pipeline.filter.gopher import NGrams, all_duplicate_chars, top_duplicate_chars
    from pipeline.filter.ngram_bounds import ngram_hashes

    rng = random.Random(0)
    alphabets = (["a", "ab", "b", "bc", "c"], ["a", "ab", "b", "bc", "c", "है", "में", "भारत", "x", "y"])
    lists = [[rng.choice(alphabets[i % 2]) for _ in range(rng.randint(64, 400))] for i in range(200)]
    lists += [HINDI_ARTICLE.split() * 2, ["a b", "a", "b"] * 40]  # words holding a space: "a b"+"a" = "a"+"b a"
    repeated = tight = 0
    for words in lists:
        grams, cheap = NGrams(words), NGrams(words)
        for n in (2, 3, 4):  # the group-wise bound, and the cheapest one (when enough), asked in the filter's order
            exact, bound = top_duplicate_chars(grams.spaced_grams(n)), grams.top_bound(n, enough=-1)
            assert exact <= bound <= cheap.top_bound(n, enough=math.inf), (n, words)
            tight += exact == bound
        for n in range(5, 11):
            exact, bound = all_duplicate_chars(grams.glued_grams(n), n), grams.duplicate_bound(n, enough=-1)
            assert exact <= bound <= grams.duplicate_bound(n, enough=math.inf), (n, words)
            assert bound <= len("".join(words))
            repeated += exact > 0
    assert repeated > 200  # the lists do repeat n-grams
    assert tight > 200  # and a bound is often the measure itself
    spaced, glued = ngram_hashes(["a", "b", "c"])  # fewer words than n: no n-gram, nothing repeated
    assert spaced.top_bound(5) == glued.duplicate_bound(5) == 0 and spaced.top_bound(3) == len("a b c")
