"""Stage 05b_decontaminate: set aside every training document that shares a word n-gram with an evaluation set named
in the run config, together with its Hinglish copies (root-aware), with reason `contaminated`.

Why here: after 05_hinglish, because the copies must be checked (a romanised copy of a held-out story is as much a
leak as the story) and go with their originals; before 06_tokenize, because the tokenizer's sample and the shards
must not hold held-out text. It is "05b" rather than a new 06 so that 06_tokenize, which the Makefile, the shards'
meta.json and existing work folders name, keeps its number.

Phases:
  find (tasks)    read → FindContamination        contamination/NNNNN.jsonl (root, id, eval set, n-gram), index.json
  filter (tasks)  read → DropContaminated → output  (set aside → rejected/decontaminate/; this phase's books)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from datatrove.pipeline.readers import JsonlReader

from pipeline.decontaminate.eval_sets import present_sets
from pipeline.decontaminate.settings import DecontaminateConfig
from pipeline.decontaminate.steps import DropContaminated, FindContamination
from pipeline.documents import input_files
from pipeline.phase import Phase
from pipeline.stage_writers import stage_writer
from pipeline.workdir import StagePaths

DECONTAMINATE_NOTES = {
    "languages": "As the previous stage, less the documents that quote an evaluation set.",
    "personal_information": "As the previous stage (redacted in 04_pii).",
    "limitations": [
        "A match is one shared run of `n_words` normalised words (numbers and punctuation are not words): a "
        "paraphrase, a translation or a quotation shorter than that passes.",
        "Latin-script words are compared as consonant skeletons (nahi, nahin and nahiin are one key), so two "
        "different romanised sentences with the same consonants match: at 8 words this happens rarely (see "
        "docs/ablations.md).",
        "Evaluation texts shorter than `n_words` words (a short option of a multiple-choice item) are not "
        "looked for; the item's context with the option is.",
        "Every task builds the n-gram index of all evaluation sets in memory (about 100 bytes per n-gram).",
    ],
}


def eval_sets_identity(settings: DecontaminateConfig) -> dict:
    """name → sha256 of the set's files (or 'absent' for a skipped optional set): part of the stage's
    fingerprint, so that a changed evaluation set makes the stage and what follows it stale."""
    present_sets(settings.eval_sets)  # a missing set that is not optional is a config error before anything runs
    identity = {}
    for eval_set in settings.eval_sets:
        if not Path(eval_set.path).exists():
            identity[eval_set.name] = "absent"
            continue
        digest = hashlib.sha256()
        for file in input_files([eval_set.path]):
            digest.update(file.name.encode() + file.read_bytes())
        identity[eval_set.name] = digest.hexdigest()[:16]
    return identity


def build_decontaminate(settings: DecontaminateConfig, paths: StagePaths, previous: StagePaths) -> list[Phase]:
    sets = present_sets(settings.eval_sets)
    found = paths.root / "contamination"

    def read():
        return JsonlReader(str(previous.output), glob_pattern="*.jsonl.gz")

    return [
        Phase("find", [read(), FindContamination(sets, settings.n_words, found)]),
        Phase("filter", [read(), DropContaminated(found, stage_writer(paths.rejected_by("decontaminate"))),
                         stage_writer(paths.output)]),
    ]
