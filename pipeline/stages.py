"""The stage chain. Each stage's builder turns its own settings into a datatrove pipeline (a list of steps, or of
Phases) that reads the previous stage's output folder, so any stage can be run again alone; this registry hands
each builder its part of the run config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep

from pipeline.config import RunConfig
from pipeline.decontaminate.stage import DECONTAMINATE_NOTES, build_decontaminate
from pipeline.dedup.stage import DEDUP_NOTES, build_dedup
from pipeline.filter.hinglish_model import detector_path
from pipeline.filter.stage import FILTER_NOTES, build_filter
from pipeline.hinglish.stage import HINGLISH_NOTES, build_hinglish
from pipeline.ingest.stage import INGEST_NOTES, build_ingest
from pipeline.phase import Phase
from pipeline.pii.stage import PII_NOTES, build_pii
from pipeline.tokenize.stage import TOKENIZE_NOTES, build_tokenize, finish_tokenize, tokenizer_file
from pipeline.typed_config import ConfigError
from pipeline.workdir import StagePaths, stage_paths

StageBuilder = Callable[[RunConfig, StagePaths, "StagePaths | None"], "list[PipelineStep] | list[Phase]"]


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    build: StageBuilder
    summary: str  # one line for the card and `--help`
    notes: dict  # card text: languages, personal_information, limitations (list), score_fields (histograms)
    finish: Callable[[RunConfig, StagePaths], None] | None = None  # after all tasks, before the books and card
    suffix: str = ""  # a stage placed between two numbered ones: 05b_decontaminate

    @property
    def folder(self) -> str:
        return f"{self.number:02d}{self.suffix}_{self.name}"

    def paths(self, config: RunConfig) -> StagePaths:
        return stage_paths(config.run_dir, self.folder)


STAGES: list[Stage] = [
    Stage(
        1,
        "ingest",
        lambda config, paths, _: build_ingest(config.stages.ingest, config.sources, paths),
        "read sources, set aside bad records, normalise Unicode and Hindi, give stable ids",
        INGEST_NOTES,
    ),
    Stage(
        2,
        "filter",
        lambda config, paths, previous: build_filter(config.stages.filter, detector_path(config), paths, previous),
        "keep Hindi (and romanised Hindi) that reads well: language ID, mojibake, quality, repetition, abuse",
        FILTER_NOTES,
    ),
    Stage(
        3,
        "dedup",
        lambda config, paths, previous: build_dedup(config.stages.dedup, paths, previous),
        "remove exact duplicates (normalised-text hash) and near duplicates (MinHash on word 5-grams, matras kept)",
        DEDUP_NOTES,
    ),
    Stage(
        4,
        "pii",
        lambda _, paths, previous: build_pii(paths, previous),
        "replace e-mail, UPI, public IP, card, Aadhaar, phone and PAN numbers by typed placeholders",
        PII_NOTES,
    ),
    Stage(
        5,
        "hinglish",
        lambda config, paths, previous: build_hinglish(config.stages.hinglish, paths, previous),
        "add romanised and code-mixed copies of a seeded share of the Devanagari Hindi documents",
        HINGLISH_NOTES,
    ),
    Stage(
        5,
        "decontaminate",
        lambda config, paths, previous: build_decontaminate(config.stages.decontaminate, paths, previous),
        "set aside documents (with their Hinglish copies) that share a word n-gram with an evaluation set",
        DECONTAMINATE_NOTES,
        suffix="b",
    ),
    Stage(
        6,
        "tokenize",
        lambda config, paths, previous: build_tokenize(config.stages.tokenize, tokenizer_file(config), paths, previous),
        "encode documents into uint16 shards for the trainer: split by root document, train rehydrated",
        TOKENIZE_NOTES,
        finish_tokenize,
    ),
]


def get_stage(name: str) -> Stage:
    for stage in STAGES:
        if name in (stage.name, stage.folder):
            return stage
    raise ConfigError(f"no stage {name!r}; stages are: {', '.join(s.name for s in STAGES)}")


def previous_stage(stage: Stage) -> Stage | None:
    index = STAGES.index(stage)
    return STAGES[index - 1] if index else None
