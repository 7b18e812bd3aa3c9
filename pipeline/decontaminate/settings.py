"""Settings of the decontamination stage (configs/local.yaml documents them next to their defaults)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.decontaminate.eval_sets import EvalSet


@dataclass
class DecontaminateConfig:
    """Stage 05b_decontaminate: set aside training documents that share a word n-gram with an evaluation set."""

    # the held-out sets; none: the stage passes every document through (and its card says so)
    eval_sets: list[EvalSet] = field(default_factory=list)
    # Words per n-gram. Measured on ../shared/corpus (docs/ablations.md, "Decontamination"): Hindi words are short
    # (GPT-3's 13 English words carry ~2x the text of 13 Hindi ones) and Hindi prose repeats function-word
    # phrases ("के बारे में", "के साथ ही साथ"): 8 words set aside no unrelated document that 13 would keep
    # where 5 set aside common phrases.
    n_words: int = 8

    def __post_init__(self) -> None:
        if self.n_words < 3:
            raise ValueError(f"n_words {self.n_words} is below 3: every document shares such n-grams with any set")
        names = [s.name for s in self.eval_sets]
        if len(names) != len(set(names)):
            raise ValueError(f"evaluation set names must be unique, got {names}")
