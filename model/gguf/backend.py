"""A GGUF file served through llama.cpp: the same `Backend` as a PyTorch checkpoint (model/backend.py).

llama.cpp computes the logits (its tokenizer, from the file, encodes prompts), for several requests at once in
one batch (model/gguf/batching.py); the token is chosen from them by model/generate.py's `choose_next`, so
temperature, top-k, top-p, repetition penalty (over prompt and reply, as ours) and seeds mean exactly what they
mean in PyTorch: a seed draws the same tokens from the same logits.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Collection
from contextlib import closing
from pathlib import Path

import gguf

from model.errors import ModelInputError
from model.gguf.batching import BatchScheduler
from model.gguf.runtime import LlamaCppModel
from model.gguf.vocabulary import CHAT_CONTROL_PIECES
from model.sampling import Sampling

_TURN_MARKER = re.compile("(" + "|".join(map(re.escape, CHAT_CONTROL_PIECES)) + ")")
MAX_CONTEXT = 8_192  # positions a context holds by default: the KV cache is allocated whole when the file loads
GGUF_PARALLEL = 4  # requests the web app lets llama.cpp decode together unless told (--parallel)
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
    """One GGUF file and one llama.cpp context that decodes up to `parallel` requests together, one batch per step
    (model/gguf/batching.py); `generate` may be called from that many threads at once. An f32 file keeps its KV
    cache in f32 (llama.cpp's default is f16), so that it decodes as PyTorch does."""

    def __init__(self, gguf_file: str | Path, threads: int | None = None, context: int | None = None,
                 parallel: int = 1):
        self.source = Path(gguf_file)
        if not self.source.is_file():
            raise FileNotFoundError(f"{gguf_file} is not a file: give a GGUF file written by "
                                    "python -m model export-gguf")
        trained, file_type = _header_numbers(self.source, "gemma3.context_length", "general.file_type")
        f32 = file_type == ALL_F32
        self.context = min(context or MAX_CONTEXT, trained or MAX_CONTEXT)
        self.runtime = LlamaCppModel(self.source, self.context, threads, f32_cache=f32,
                                     n_batch=min(PREFILL_BATCH, self.context), sequences=parallel)
        self.vocab = LlamaCppVocabulary(self.runtime)
        self.parallel = parallel
        self.scheduler = BatchScheduler(self.runtime, parallel, self.vocab.get_piece_size())
        self._turn_markers = {self.vocab.piece_to_id(piece) for piece in CHAT_CONTROL_PIECES}

    def close(self) -> None:
        """Stop the batch thread (a request still decoding ends with an error), then free llama.cpp's model."""
        self.scheduler.close()
        self.runtime.close()

    def token_bytes(self, token: int) -> bytes:
        """The token's bytes as sentencepiece's `decode` gives them: control tokens nothing, byte tokens their
        byte, the turn markers their text (they are control tokens in the file, user-defined in sentencepiece)."""
        api = self.runtime.api
        special = token in self._turn_markers
        piece = ctypes.create_string_buffer(256)  # one per call: requests stream on several threads at once
        n = api.llama_token_to_piece(self.runtime.vocab, token, piece, len(piece), 0, special)
        return piece.raw[: max(n, 0)]

    def generate(self, prompt: list[int], max_new_tokens: int, sampling: Sampling, stop_ids: Collection[int],
                 on_token: Callable[[int], None] | None = None) -> list[int]:
        if len(prompt) + max_new_tokens > self.context:
            raise ModelInputError(f"{len(prompt)} prompt tokens and {max_new_tokens} new ones do not fit the "
                                  f"context of {self.context}")
        new: list[int] = []
        # closing: an exception from on_token ends the sequence now, not when the generator is collected
        with closing(self.scheduler.generate(prompt, max_new_tokens, sampling, stop_ids)) as tokens:
            for token in tokens:
                new.append(token)
                if on_token is not None:
                    on_token(token)
        return new
