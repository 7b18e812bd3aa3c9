"""datatrove's hin_Deva word split (indic-nlp's trivial tokenizer, then every word stripped and the empty ones
dropped), the same words at about half its cost. 02_filter's Gopher and FineWeb rules split every Devanagari
document with it, and 03_dedup every normalised one.

indic-nlp puts spaces around its punctuation with a regex substitution (a Python call per mark), squeezes runs of
spaces, glues number groups such as "12 , 345" back together and splits at spaces; datatrove then strips and
filters every word twice. Here the marks are set apart by splitting at them and joining with spaces, and the words
are stripped and filtered once, in C. Squeezing matters only to the number gluing, so a text where a digit, a
separator and a digit stand close together goes to indic-nlp itself. tests/test_filters.py and tests/test_dedup.py
compare both functions with datatrove's on corpus documents and planted edge cases.
"""

from __future__ import annotations

import re

from datatrove.utils.word_tokenizers import load_word_tokenizer
from indicnlp.tokenize.indic_tokenize import triv_tokenizer_indic_pat

HINDI = "hin_Deva"
_NUMBER_GROUP = re.compile(r"[0-9][ \t]*[,.:/][ \t]*[0-9]")  # what indic-nlp's number gluing can match, and more
# indic-nlp's marks are string.punctuation (without the backslash) and these Indic ones; datatrove's text
# normalisation removes every other, so a normalised text has only these left to split off.
INDIC_MARKS_KEPT_BY_NORMALISATION = "।॥\u1c7e\u1c7f\uaaf0\uaaf1\uabeb\uabec\uabed\uabee\uabef"


def hindi_words(text: str) -> list[str]:
    """datatrove's `load_word_tokenizer("hin_Deva").word_tokenize(text)`."""
    if _NUMBER_GROUP.search(text) is not None:
        return load_word_tokenizer(HINDI).word_tokenize(text)
    spaced = " ".join(triv_tokenizer_indic_pat.split(text.replace("\t", " ")))  # the pattern captures the mark
    return list(filter(None, map(str.strip, spaced.split(" "))))


def normalised_hindi_words(normalised: str) -> list[str]:
    """`hindi_words` of a text datatrove's `simplify_text` returned with punctuation removed and whitespace
    squeezed: no tab, no space run, no number group is left, only the Indic marks above to set apart."""
    for mark in INDIC_MARKS_KEPT_BY_NORMALISATION:
        if mark in normalised:
            normalised = normalised.replace(mark, f" {mark} ")
    return normalised.split()
