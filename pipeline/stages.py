"""The stage chain. Each stage's builder turns its own settings into a datatrove pipeline (a list of steps, or of
Phases) that reads the previous stage's output folder, so any stage can be run again alone; this registry hands
each builder its part of the run config. What is particular to a stage (the inputs besides its settings that decide
its output, what must exist before it runs, what it needs from the config) is a hook on its entry here: the runner
and the cards never ask a stage's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep

from pipeline.config import RunConfig
from pipeline.dedup.stage import DEDUP_NOTES, build_dedup
from pipeline.filter.hinglish_model import detector_identity, detector_path, ensure_detector
from pipeline.filter.stage import FILTER_NOTES, build_filter, filter_rule_files
from pipeline.hashing import rule_file_checksums
from pipeline.hinglish.stage import HINGLISH_NOTES, build_hinglish, hinglish_rule_files
from pipeline.ingest.sources import input_listing
from pipeline.ingest.stage import INGEST_NOTES, build_ingest
from pipeline.phase import Phase
from pipeline.pii.stage import PII_NOTES, build_pii
from pipeline.tokenize.stage import TOKENIZE_NOTES, build_tokenize, finish_tokenize, tokenizer_file, tokenizer_identity
from pipeline.typed_config import ConfigError
from pipeline.workdir import StagePaths, stage_paths

StageBuilder = Callable[[RunConfig, StagePaths, "StagePaths | None"], "list[PipelineStep] | list[Phase]"]


def _nothing(config: RunConfig) -> dict:
    return {}


def _ready(config: RunConfig) -> str | None:
    return None


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    build: StageBuilder
    summary: str  # one line for the card and `--help`
    notes: dict  # card text: languages, personal_information, limitations (list), score_fields (histograms)
    finish: Callable[[RunConfig, StagePaths], None] | None = None  # after all tasks, before the books and card
    # What besides its settings and input decides the output (models, word lists, input files), for the fingerprint
    identity: Callable[[RunConfig], dict] = _nothing
    # Makes what the stage reads besides its input (the filter's detector), before the fingerprint is recorded
    prepare: Callable[[RunConfig, StagePaths], None] | None = None
    # Why this config cannot run the stage (the tokenize stage needs a tokenizer), or None
    missing: Callable[[RunConfig], str | None] = _ready

    @property
    def folder(self) -> str:
        return f"{self.number:02d}_{self.name}"

    def paths(self, config: RunConfig) -> StagePaths:
        return stage_paths(config.run_dir, self.folder)


STAGES: list[Stage] = [
    Stage(
        1,
        "ingest",
        lambda config, paths, _: build_ingest(config.stages.ingest, config.sources, paths),
        "read sources, set aside bad records, normalise Unicode and Hindi, give stable ids",
        INGEST_NOTES,
        identity=lambda config: {"input_files": input_listing(config.sources)},
    ),
    Stage(
        2,
        "filter",
        lambda config, paths, previous: build_filter(
            config.stages.filter, detector_path(config.stages.filter.language, config.workdir), paths, previous
        ),
        "keep Hindi (and romanised Hindi) that reads well: language ID, mojibake, quality, repetition, abuse",
        FILTER_NOTES,
        identity=lambda config: {
            "hinglish_detector": detector_identity(config.stages.filter.language, config.workdir),
            "rule_files": rule_file_checksums(filter_rule_files(config.stages.filter)),
        },
        prepare=lambda config, previous: ensure_detector(config.stages.filter.language, config.workdir, previous),
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
        identity=lambda config: {"rule_files": rule_file_checksums(hinglish_rule_files())},
    ),
    Stage(
        6,
        "tokenize",
        lambda config, paths, previous: build_tokenize(config.stages.tokenize, tokenizer_file(config), paths, previous),
        "encode documents into uint16 shards for the trainer: split by root document, train rehydrated",
        TOKENIZE_NOTES,
        finish_tokenize,
        identity=lambda config: {"tokenizer_sha256": tokenizer_identity(config)},
        missing=lambda config: None if config.stages.tokenize.tokenizer else (
            "no stages.tokenize.tokenizer; `make tokenizer shards` trains one and runs the stage"),
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
