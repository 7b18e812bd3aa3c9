"""SFT through the pretraining loop: conversations as padded rows whose targets are the model's turns only.

Each row holds one conversation rendered in Gemma 3's turns (model/chat_format.py), right-padded: causal
attention never lets a conversation see another one or the padding, so a batch gives the loss of its
conversations run one by one (tested). Targets outside the model's replies (user turns, the template,
padding) are IGNORE_INDEX. Rows are padded to a power of two (at least 64, at most block_size + 1 tokens of
ids): few shapes for torch.compile, little padding for short conversations.

Batches are a pure function of (seed, step, micro-batch): conversation k of the run is the k-th of a
permutation drawn per epoch, so a resumed run sees what the uninterrupted one would have.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch

from model.chat import generate_reply
from model.chat_format import render_chat
from model.loss import IGNORE_INDEX
from pipeline.errors import UserError

MIN_ROW = 64


class SFTDataError(UserError):
    """Conversations that cannot be trained on (malformed, or none fits the block); says what to rebuild."""


def conversation_rows(sp: spm.SentencePieceProcessor, path: Path, max_ids: int) -> tuple[list[tuple], int]:
    """(ids, mask) of every conversation in a JSONL file of `messages`, and how many were longer than `max_ids`
    (left out: a cut conversation would teach replies that never end). A malformed one names its line."""
    rows, too_long = [], 0
    with path.open(encoding="utf-8") as f:
        for line_number, line in enumerate(f, 1):
            try:
                ids, mask = render_chat(sp, json.loads(line)["messages"])
            except (ValueError, KeyError, TypeError) as err:
                raise SFTDataError(f"{path}:{line_number}: not a conversation ({err}); rebuild it with "
                                 f"python -m trainer sft-data") from None
            if len(ids) > max_ids:
                too_long += 1
            elif any(mask):
                rows.append((ids, mask))
    return rows, too_long


class ConversationBatches:
    """Padded rows of whole conversations from `<sft_data>/<split>.jsonl`, as (inputs, targets) of shape (B, T)."""

    def __init__(self, sft_data: str | Path, split: str, sp: spm.SentencePieceProcessor, block_size: int, seed: int,
                 micro_batches_per_step: int, shuffle: bool):
        path = Path(sft_data) / f"{split}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: run python -m trainer sft-data CONFIG (make sft-data)")
        self.rows, self.too_long = conversation_rows(sp, path, block_size + 1)
        if self.too_long:
            warnings.warn(f"{path}: {self.too_long} of {self.too_long + len(self.rows)} conversations are longer than "
                          f"block_size + 1 = {block_size + 1} ids and are left out", stacklevel=2)
        if not self.rows:
            raise SFTDataError(f"{path}: no conversation fits block_size + 1 = {block_size + 1} tokens "
                             f"({self.too_long} longer): raise block_size")
        self.block_size, self.seed, self.shuffle = block_size, seed, shuffle
        self.micro_batches, self.pad_id = micro_batches_per_step, sp.pad_id()
        self._epoch, self._permutation = -1, np.arange(len(self.rows))

    def _order(self, epoch: int) -> np.ndarray:
        """Epoch `epoch`'s order of the conversations (val keeps file order)."""
        if self.shuffle and epoch != self._epoch:
            self._epoch = epoch
            self._permutation = np.random.default_rng([self.seed, epoch]).permutation(len(self.rows))
        return self._permutation

    def batch(self, batch_size: int, step: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        first = (step * self.micro_batches + index) * batch_size  # the run's position, in conversations
        n = len(self.rows)
        chosen = [self.rows[self._order(k // n)[k % n]] for k in range(first, first + batch_size)]
        return pad_rows(chosen, self.pad_id, self.block_size)


def pad_rows(rows: list[tuple[list[int], list[bool]]], pad_id: int, block_size: int) -> tuple[torch.Tensor, ...]:
    """(inputs, targets) (B, T): inputs are ids[:-1], targets ids[1:] where the mask trains, else IGNORE_INDEX."""
    longest = max(len(ids) for ids, _ in rows) - 1
    width = min(block_size, max(MIN_ROW, 1 << (longest - 1).bit_length()))
    inputs = torch.full((len(rows), width), pad_id, dtype=torch.long)
    targets = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    for r, (ids, mask) in enumerate(rows):
        ids_t, mask_t = torch.tensor(ids), torch.tensor(mask)
        inputs[r, : len(ids) - 1] = ids_t[:-1]
        targets[r, : len(ids) - 1] = torch.where(mask_t[1:], ids_t[1:], IGNORE_INDEX)
    return inputs, targets


def chat_samples(module, sp: spm.SentencePieceProcessor, prompts: list[str], new_tokens: int) -> dict:
    """A seeded reply to each prompt as a user turn, and whether it ended with <end_of_turn>."""
    out = {}
    for prompt in prompts:
        reply = generate_reply(module, sp, [{"role": "user", "content": prompt}], max_new_tokens=new_tokens,
                               temperature=0.8, top_k=50, top_p=0.95, repetition_penalty=1.2, seed=0)
        out[prompt] = reply.text + ("" if reply.ended else " […]")
    return out
