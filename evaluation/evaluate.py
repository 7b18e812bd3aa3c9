"""Every figure of one model on the held-out sets: bits per byte per text set (model/scoring.py scores the
tokens) and accuracy per multiple-choice set (evaluation/multiple_choice.py)."""

from __future__ import annotations

import sentencepiece as spm

from evaluation.multiple_choice import accuracy, option_loglikelihoods
from model.scoring import score_documents


def evaluate(module, sp: spm.SentencePieceProcessor, texts: dict[str, list[str]], choices: dict[str, list[dict]],
             context: int, stride: int | None = None, batch_size: int = 8, device="cpu") -> dict:
    """Every figure of one model: bits per byte (and the rest) per text set, accuracy per multiple-choice set."""
    return {
        "context": context, "stride": stride or max(1, context // 2),
        "texts": {name: score_documents(module, sp, docs, name, context, stride, batch_size, device).as_dict()
                  for name, docs in texts.items()},
        "choices": {name: accuracy(items, option_loglikelihoods(module, sp, items, batch_size, device))
                    for name, items in choices.items()},
    }
