"""pipeline/word_split.py: datatrove's hin_Deva word split at less cost, word for word."""

from __future__ import annotations

from datatrove.utils.text import PUNCTUATION, simplify_text
from datatrove.utils.word_tokenizers import load_word_tokenizer
from indicnlp.tokenize.indic_tokenize import triv_tokenizer_indic_pat

from pipeline.dedup.steps import HINDI_TEXT_NORM
from pipeline.word_split import INDIC_MARKS_KEPT_BY_NORMALISATION, hindi_words, normalised_hindi_words
from tests.test_dedup import EDGE_TEXTS, dedup_test_texts

# tabs, number groups indic-nlp glues back ("12 , 345", also at the start of a text, where it does not), a line
# break or a bracket inside a group, the backslash its pattern leaves out, marks in runs, blank texts
NUMBER_AND_SPACE_TEXTS = ["a\tb , c", "12 , 345 और 6 : 30 बजे", "वर्ष 1 , 2", "1\n, 2", "1 ) , 2", "a\\b",
                          "x  ।  y।।z", "", " ", "\t", "12/03/2026\t,\t5"]


def test_the_marks_left_after_normalisation_are_indic_nlp_s_beyond_datatrove_s_punctuation():
    split_off = {chr(code) for code in range(0x110000) if triv_tokenizer_indic_pat.fullmatch(chr(code))}
    assert split_off - set(PUNCTUATION) == set(INDIC_MARKS_KEPT_BY_NORMALISATION)


def test_words_are_datatrove_s_own():
    words = load_word_tokenizer("hin_Deva")
    texts = dedup_test_texts() + EDGE_TEXTS + NUMBER_AND_SPACE_TEXTS
    assert [hindi_words(t) for t in texts] == [words.word_tokenize(t) for t in texts]
    normalised = [simplify_text(t, HINDI_TEXT_NORM) for t in texts]
    assert [normalised_hindi_words(t) for t in normalised] == [words.word_tokenize(t) for t in normalised]
    assert hindi_words("वर्ष 12 , 345 में") == ["वर्ष", "12,345", "में"]
