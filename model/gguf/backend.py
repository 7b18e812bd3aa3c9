"""A GGUF file served through llama.cpp: the same `Backend` as a PyTorch checkpoint (model/backend.py).

llama.cpp computes the logits (its tokenizer, from the file, encodes prompts); the token is chosen from them by
model/generate.py's `choose_next`, so temperature, top-k, top-p, repetition penalty (over prompt and reply, as
ours) and seeds mean exactly what they mean in PyTorch: a seed draws the same tokens from the same logits.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Collection
from pathlib import Path

import gguf
import torch

from model.errors import ModelInputError
from model.generate import choose_next
from model.gguf.runtime import LlamaCppModel
from model.gguf.vocabulary import CHAT_CONTROL_PIECES
from model.sampling import Sampling

_TURN_MARKER = re.compile("(" + "|".join(map(re.escape, CHAT_CONTROL_PIECES)) + ")")
MAX_CONTEXT = 8_192  # positions a context holds by default: the KV cache is allocated whole when the file loads
PREFILL_BATCH = 512  # prompt positions per llama_decode (its logits buffer is this many vocabulary rows)
ALL_F32 = 0  # general.file_type of an f32 file


def _header_numbers(gguf_file: Path, *keys: str) -> list[int | None]:
    """Integer metadata of a GGUF file, read from its header (None where a key is absent)."""
    reader = gguf.GGUFReader(gguf_file)
    values = []
    for key in keys:
        field = reader.get_field(key)
        values.append(None if field is None else int(field.parts[field.data[0]][0]))
    return values


class LlamaCppVocabulary:
    """The file's vocabulary in sentencepiece's terms, so that model/chat_format.py renders turns with it."""

    def __init__(self, runtime: LlamaCppModel):
        api, vocab = runtime.api, runtime.vocab
        self._runtime = runtime
        pieces = [api.llama_vocab_get_text(vocab, i).decode("utf-8", "replace") for i in range(runtime.n_vocab)]
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            self._ids.setdefault(piece, i)
        unused = api.LLAMA_TOKEN_ATTR_UNUSED
        real = [i for i in range(runtime.n_vocab) if not api.llama_vocab_get_attr(vocab, i) & unused]
        self._size = real[-1] + 1 if real else 0  # rows past the pieces pad the embedding
        self._bos, self._eos = api.llama_vocab_bos(vocab), api.llama_vocab_eos(vocab)
        self._unk = int(runtime.metadata("tokenizer.ggml.unknown_token_id") or -1)

    def encode(self, text: str) -> list[int]:
        """As sentencepiece encodes: the turn markers (user-defined pieces there, control tokens in the file) are
        tokens wherever they appear; `<bos>` or `<eos>` written in the text are text."""
        ids: list[int] = []
        for part in _TURN_MARKER.split(text):
            if part in CHAT_CONTROL_PIECES:
                ids.append(self._ids[part])
            elif part:
                ids += self._runtime.tokenize(part, add_bos=False, parse_special=False)
        return ids

    def bos_id(self) -> int:
        return self._bos

    def eos_id(self) -> int:
        return self._eos

    def unk_id(self) -> int:
        return self._unk

    def piece_to_id(self, piece: str) -> int:
        return self._ids.get(piece, self._unk)

    def get_piece_size(self) -> int:
        return self._size


class LlamaCppBackend:
    """One GGUF file and one llama.cpp context, decoding one sequence at a time (the web app's queue does too).
    An f32 file keeps its KV cache in f32 (llama.cpp's default is f16), so that it decodes as PyTorch does."""

    def __init__(self, gguf_file: str | Path, threads: int | None = None, context: int | None = None):
        self.source = Path(gguf_file)
        if not self.source.is_file():
            raise FileNotFoundError(f"{gguf_file} is not a file: give a GGUF file written by "
                                    "python -m model export-gguf")
        trained, file_type = _header_numbers(self.source, "gemma3.context_length", "general.file_type")
        f32 = file_type == ALL_F32
        self.context = min(context or MAX_CONTEXT, trained or MAX_CONTEXT)
        self.runtime = LlamaCppModel(self.source, self.context, threads, f32_cache=f32,
                                     n_batch=min(PREFILL_BATCH, self.context))
        self.vocab = LlamaCppVocabulary(self.runtime)
        self._piece = ctypes.create_string_buffer(256)
        self._turn_markers = {self.vocab.piece_to_id(piece) for piece in CHAT_CONTROL_PIECES}

    def token_bytes(self, token: int) -> bytes:
        """The token's bytes as sentencepiece's `decode` gives them: control tokens nothing, byte tokens their
        byte, the turn markers their text (they are control tokens in the file, user-defined in sentencepiece)."""
        api = self.runtime.api
        special = token in self._turn_markers
        n = api.llama_token_to_piece(self.runtime.vocab, token, self._piece, len(self._piece), 0, special)
        return self._piece.raw[: max(n, 0)]

    def generate(self, prompt: list[int], max_new_tokens: int, sampling: Sampling, stop_ids: Collection[int],
                 on_token: Callable[[int], None] | None = None) -> list[int]:
        if len(prompt) + max_new_tokens > self.context:
            raise ModelInputError(f"{len(prompt)} prompt tokens and {max_new_tokens} new ones do not fit the "
                                  f"context of {self.context}")
        generator = torch.Generator().manual_seed(sampling.seed) if sampling.seed is not None else None
        seen = torch.zeros(1, self.runtime.n_vocab, dtype=torch.bool)
        seen[0, prompt] = True
        limit, stops, new = self.vocab.get_piece_size(), set(stop_ids), []
        logits = self.runtime.start(prompt, max_new_tokens)
        for step in range(max_new_tokens):
            row = torch.from_numpy(logits)[None]
            row[:, limit:] = float("-inf")
            token = int(choose_next(row, seen, sampling.temperature, sampling.top_k, sampling.top_p,
                                    sampling.repetition_penalty, generator)[0])
            new.append(token)
            if on_token is not None:
                on_token(token)
            seen[0, token] = True
            if token in stops or step + 1 == max_new_tokens:
                break
            logits = self.runtime.next_logits(token, len(prompt) + step)
        return new
