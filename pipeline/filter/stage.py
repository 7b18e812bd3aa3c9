"""Stage 02_filter: keep Hindi (Devanagari, and romanised Hindi once its classifier is trained) that reads well.

JsonlReader(01_ingest output) → Mojibake → Line cleaning → Hindi language ID → Gopher quality → FineWeb quality →
Gopher repetition → Hinglish quality → Toxicity → JsonlWriter(output)
Mojibake runs first so that KrutiDev pages are named as such rather than as "not Hindi". Line cleaning
(pipeline/filter/line_cleaning.py) then takes the lines that are not Hindi prose out of Hindi documents (English
template lines, navigation lists, infobox facts), so that the document decisions judge the prose. Every filter writes
what it sets aside to rejected/<filter>/ with `filter_reason` and its scores in the metadata.
"""

from __future__ import annotations

from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

from pipeline.filter.language_id import HindiLanguageFilter, bundled_lid176
from pipeline.filter.line_cleaning import LineCleaning
from pipeline.filter.mojibake import MojibakeFilter
from pipeline.filter.quality import HindiFineWebQuality, HindiGopherQuality, HindiRepetition, HinglishQualityFilter
from pipeline.filter.settings import FilterConfig
from pipeline.filter.toxicity import BUNDLED_LEXICON, ToxicityFilter
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

FILTER_NOTES = {
    "languages": "Hindi in Devanagari (`hi_Deva`: lid.176 P(hi) and the Devanagari share of letters), code-mixed "
    "Hindi with English words in Latin letters (`hi_mixed`) and, with the romanised-Hindi detector "
    "(`stages.filter.language.hinglish_model`, named below), Hindi in Latin letters (`hi_Latn`). "
    "Every kept document carries `language` in its metadata. lid.176's scores (`lid176_hi_score`, "
    "`lid176_language`, `lid176_score`) exist only for documents at least 50% Devanagari by letters that are not "
    "code-mixed: lid.176 runs where it decides, so Latin-script and code-mixed documents have none.",
    "personal_information": "Not redacted yet: stage 04_pii does that. The toxicity filter records lexicon "
    "matches per category (`toxicity_hits`), not who they were aimed at.",
    "limitations": [
        "Line cleaning removes, from Hindi documents, lines under 31 characters without a sentence end: short "
        "headlines, headings and captions go with the debris. English sentences stay where they are more than a "
        "third of the Hindi prose's letters (the document then goes as mostly_latin_script when English leads).",
        "lid.176 confuses short Hindi lists and tables with Marathi and Nepali; those are set aside as "
        "low_hindi_score together with real Marathi and Nepali.",
        "A run without the romanised-Hindi detector (`hinglish_model: none`) sets every Latin-script document, "
        "Hinglish included, aside as not_hindi.",
        "The abuse lexicon matches words, not meaning: sarcasm, veiled abuse and new spellings pass, and a "
        "quoted slur counts like a used one (the density threshold keeps long articles that quote one).",
        "A lone avagraha (ऽ) used as a danda by legacy-font conversions is left in the text; only sequences no "
        "writer produces count as broken Devanagari.",
    ],
    "score_fields": [
        "lid176_hi_score",
        "devanagari_share",
        "hinglish_score",
        "broken_devanagari_per_1000",
        "toxicity_density",
    ],
}


def filter_rule_files(settings: FilterConfig) -> list[Path]:
    """The files besides the detector whose content decides what the stage keeps: the abuse lexicon and the
    language-ID model."""
    lexicon = Path(settings.toxicity.lexicon_dir or BUNDLED_LEXICON)
    return sorted(lexicon.glob("*.txt")) + [Path(settings.language.lid_model or bundled_lid176())]


def build_filter(settings: FilterConfig, detector: Path | None, paths: StagePaths,
                 previous: StagePaths) -> list[PipelineStep]:
    """`detector`: the romanised-Hindi model (pipeline/filter/hinglish_model.py), None for none."""

    def rejected(name: str):
        return stage_writer(paths.rejected_by(name))

    return [
        JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz"),
        MojibakeFilter(settings.mojibake, rejected("mojibake")),
        LineCleaning(settings.lines, settings.language.code_mixed_function_words, rejected("lines")),
        HindiLanguageFilter(settings.language, detector, rejected("language")),
        HindiGopherQuality(settings.gopher_quality, rejected("gopher_quality")),
        HindiFineWebQuality(settings.fineweb_quality, rejected("fineweb_quality")),
        HindiRepetition(settings.repetition, rejected("repetition")),
        HinglishQualityFilter(settings.hinglish_quality, rejected("hinglish_quality")),
        ToxicityFilter(settings.toxicity, rejected("toxicity")),
        stage_writer(paths.output),
    ]
