"""Stage 05_hinglish: Devanagari Hindi documents pass through, and a seeded share of them gets a romanised and/or a
code-mixed copy (metadata `hinglish`: romanised | code_mixed, `parent_id`, `language`: hi_Latn).

JsonlReader(previous stage's output) → AddHinglishCopies → JsonlWriter(output)
"""

from __future__ import annotations

from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

from pipeline.hinglish.augment import AddHinglishCopies
from pipeline.hinglish.code_mixing import LEXICON as CODE_MIXING_LEXICON
from pipeline.hinglish.romanize import DATA as ROMANIZATION_LEXICONS
from pipeline.hinglish.settings import HinglishConfig
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

HINGLISH_NOTES = {
    "languages": "Everything the previous stage kept, plus romanised (`hi_Latn`) and code-mixed copies of a share of "
    "the Devanagari Hindi documents, written the way people type Hindi in Latin letters "
    "(pipeline/hinglish/romanize.py, pipeline/hinglish/code_mixing.py).",
    "personal_information": "Copies carry whatever their originals carry; run this stage after PII redaction.",
    "limitations": [
        "Copies are machine-made: their spelling follows the romaniser's rules and word lists (98% common "
        "spellings on frequent words), not one writer's habits.",
        "Code-mixing swaps only listed nouns and adjectives, in listed forms, for English; real code-mixed text "
        "also switches whole phrases and verbs.",
        "A copy shares its original's content, so a model sees that content two or three times.",
    ],
}


def hinglish_rule_files() -> list[Path]:
    """The word lists the copies are made with: the romaniser's and the code-mixing lexicon."""
    return sorted(ROMANIZATION_LEXICONS.glob("*.tsv")) + [CODE_MIXING_LEXICON]


def build_hinglish(settings: HinglishConfig, paths: StagePaths, previous: StagePaths) -> list[PipelineStep]:
    return [
        JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz"),
        AddHinglishCopies(settings),
        stage_writer(paths.output),
    ]
