"""Settings of stage 05_hinglish, with the reason for every default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HinglishConfig:
    """Stage 05_hinglish: romanised and code-mixed copies of Devanagari Hindi documents."""

    seed: int = 0
    # Share of hi_Deva documents that get a romanised copy, and (chosen independently) a code-mixed one. 0.1
    # each adds about a fifth to the Hindi text while keeping Devanagari the bulk of it.
    romanised_fraction: float = 0.1
    code_mixed_fraction: float = 0.1
    # Share of the lexicon's words, where they occur, that a code-mixed copy puts in English.
    english_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("romanised_fraction", "code_mixed_fraction", "english_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
