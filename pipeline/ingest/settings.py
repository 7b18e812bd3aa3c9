"""Settings of stage 01_ingest, with the reason for every default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class IngestConfig:
    """Stage 01_ingest: read, validate, normalise, give stable ids."""

    # keep: Devanagari digits (०-९) are real Hindi orthography, and the PII stage must find numbers written
    # in them without touching digits elsewhere; `ascii` maps them to 0-9 for corpora that want one digit set.
    devanagari_digits: Literal["keep", "ascii"] = "keep"
    # indic-nlp's nasal modes. do_nothing: हिन्दी and हिंदी are both standard spellings and the model should
    # read and write both; to_anusvaara_strict merges panchamakshar into anusvara. Candrabindu is never
    # turned into anusvara (हँस "laughs" and हंस "swan" are different words).
    nasals: Literal["do_nothing", "to_anusvaara_strict", "to_anusvaara_relaxed", "to_nasal_consonants"] = "do_nothing"
    # 2M characters is ~50 times a long Wikipedia article; larger records are dumps or concatenation bugs.
    max_doc_chars: int = 2_000_000
    strict: bool = False  # stop at the first bad record instead of counting it and going on
