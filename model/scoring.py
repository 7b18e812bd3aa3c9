"""Bits per byte of held-out text: what a model is worth, in a figure that does not depend on its tokenizer.

Every document is scored whole: <bos> then its tokens, each token predicted from the ones before it, <bos>
itself and no <eos> counted (as lm-evaluation-harness's `loglikelihood_rolling` does). A document longer than
the context is scored with a sliding window: the first window scores its `context` tokens, each next one moves
by `stride` tokens and scores only those, seeing the `context - stride` tokens before them. Bytes are the UTF-8
bytes of the text as written (not of its tokens), so two tokenizers are compared on the same denominator.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import sentencepiece as spm
import torch
from tqdm import tqdm

from model.errors import ModelInputError
from model.loss import IGNORE_INDEX


def byte_lengths(sp: spm.SentencePieceProcessor, vocab_size: int) -> torch.Tensor:
    """UTF-8 bytes each id stands for (a byte piece is one byte, a control token none): bits per byte of
    token windows (the trainer's val shards), where the text itself is not at hand."""
    lengths = torch.zeros(vocab_size, dtype=torch.float64)
    for i in range(sp.get_piece_size()):
        if sp.is_byte(i):
            lengths[i] = 1
        elif not (sp.is_control(i) or sp.is_unknown(i)):
            lengths[i] = len(sp.id_to_piece(i).replace("▁", " ").encode("utf-8"))
    return lengths


def bits_per_byte(nats: float, num_bytes: float) -> float:
    return nats / math.log(2) / max(num_bytes, 1.0)


@dataclass
class TextScore:
    """Totals over one set of documents; the figures are derived from them."""

    name: str
    documents: int = 0
    tokens: int = 0
    bytes: int = 0
    words: int = 0
    nats: float = 0.0

    @property
    def bits_per_byte(self) -> float:
        return bits_per_byte(self.nats, self.bytes)

    def as_dict(self) -> dict:
        return asdict(self) | {"bits_per_byte": self.bits_per_byte, "nats_per_token": self.nats / max(self.tokens, 1),
                               "tokens_per_word": self.tokens / max(self.words, 1)}


def windows(targets: int, context: int, stride: int) -> list[tuple[int, int, int]]:
    """(start, end, first scored) over a document's `targets` predicted positions: every position is scored in
    exactly one window, with at least `context - stride` positions of context unless it is among the first."""
    if not 0 < stride <= context:
        raise ModelInputError(f"stride {stride} must be in 1..context ({context})")
    first = min(targets, context)
    spans, scored = [(0, first, 0)], first
    while scored < targets:
        end = min(scored + stride, targets)
        spans.append((end - context, end, scored))
        scored = end
    return spans


def _window_rows(ids: list[int], context: int, stride: int) -> list[tuple[list[int], list[int]]]:
    """(inputs, targets) per window of one document's ids (<bos> first); targets not scored are IGNORE_INDEX."""
    rows = []
    for start, end, scored in windows(len(ids) - 1, context, stride):
        targets = ids[start + 1 : end + 1]
        rows.append((ids[start:end], [IGNORE_INDEX] * (scored - start) + targets[scored - start :]))
    return rows


@torch.no_grad()
def score_documents(module, sp: spm.SentencePieceProcessor, documents: list[str], name: str = "text",
                    context: int = 2048, stride: int | None = None, batch_size: int = 8, device="cpu",
                    progress: bool = True) -> TextScore:
    """Summed negative log-likelihood of `documents` under `module` (a model, or its DDP/FSDP wrapper: its
    forward with targets is the mean cross-entropy), in batches of windows padded on the right."""
    stride = stride or max(1, context // 2)
    score = TextScore(name, documents=len(documents))
    rows = []
    for text in documents:
        ids = [sp.bos_id()] + sp.encode(text)
        score.tokens += len(ids) - 1
        score.bytes += len(text.encode("utf-8"))
        score.words += len(text.split())
        rows += _window_rows(ids, context, stride) if len(ids) > 1 else []
    rows.sort(key=lambda row: -len(row[0]))  # similar lengths together: little padding
    was_training = module.training
    module.eval()
    for first in tqdm(range(0, len(rows), batch_size), desc=f"bpb {name}", unit="batch", disable=not progress):
        batch = rows[first : first + batch_size]
        width = len(batch[0][0])
        # any id pads: attention is causal, so padding on the right changes nothing before it
        inputs = torch.tensor([r[0] + [0] * (width - len(r[0])) for r in batch])
        targets = torch.tensor([r[1] + [IGNORE_INDEX] * (width - len(r[1])) for r in batch])
        counted = int((targets != IGNORE_INDEX).sum())
        if counted:
            score.nats += float(module(inputs.to(device), targets.to(device)).float()) * counted
    module.train(was_training)
    return score
