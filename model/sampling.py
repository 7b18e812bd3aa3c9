"""How the next token is chosen, one settings object for every place that samples: `python -m model generate` and
`chat`, the trainer's samples, the web app and API, the Ollama Modelfile. Meanings as in model/generate.py
(Hugging Face's order: repetition penalty, then temperature, top-k, top-p; temperature 0 is greedy)."""

from __future__ import annotations

from dataclasses import dataclass

from model.errors import ModelInputError

# The sampler divides float32 logits by the temperature and compares float32 probabilities with top_p: a
# positive value below these would be 0 there (1e-300 is) and sample from NaNs.
MIN_TEMPERATURE = 1e-5  # 0 is greedy decoding
MIN_TOP_P = 1e-5
MIN_REPETITION_PENALTY, MAX_REPETITION_PENALTY = 1e-3, 1e3


@dataclass(frozen=True)
class Sampling:
    """The project's defaults: 0.8 / 50 / 0.95, and a repetition penalty of 1.2, which kept the small models
    trained here out of loops."""

    temperature: float = 0.8
    top_k: int | None = 50  # None or 0: off
    top_p: float | None = 0.95  # None or 1: off
    repetition_penalty: float = 1.2  # 1: off
    seed: int | None = None  # None: a different draw every time

    def __post_init__(self) -> None:
        if not (self.temperature == 0 or self.temperature >= MIN_TEMPERATURE):
            raise ModelInputError(f"temperature must be 0 (greedy) or at least {MIN_TEMPERATURE}, "
                                  f"got {self.temperature}")
        if not MIN_REPETITION_PENALTY <= self.repetition_penalty <= MAX_REPETITION_PENALTY:
            raise ModelInputError(f"repetition_penalty must be in [{MIN_REPETITION_PENALTY}, "
                                  f"{MAX_REPETITION_PENALTY}], got {self.repetition_penalty}")
        if self.top_p is not None and not MIN_TOP_P <= self.top_p <= 1:
            raise ModelInputError(f"top_p must be in [{MIN_TOP_P}, 1], got {self.top_p}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


GREEDY = Sampling(temperature=0.0, top_k=None, top_p=None, repetition_penalty=1.0)
# What OpenAI's API does when a request gives no setting: temperature 1, no truncation, no penalty.
OPENAI_DEFAULTS = Sampling(temperature=1.0, top_k=None, top_p=None, repetition_penalty=1.0)
