"""A GGUF file run by llama.cpp itself (llama.h through `llama-cpp-python`'s low-level ctypes bindings), for the
export's checks and the CPU benchmark.

Only the C API is used: load, tokenize, decode a batch with the logits of every position, greedy decoding of one
token per `llama_decode` as llama.cpp's own CLI decodes, and batches that carry several sequences at once (each in
its own part of the KV cache) for serving concurrent requests (model/gguf/batching.py).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from model.errors import ModelInputError


def _silence(llama_cpp) -> None:
    """llama.cpp logs every load to stderr; the callback must outlive the library, so it is kept on the module."""
    if not hasattr(llama_cpp, "_hindi_slm_quiet"):
        llama_cpp._hindi_slm_quiet = llama_cpp.llama_log_callback(lambda *_: None)
        llama_cpp.llama_log_set(llama_cpp._hindi_slm_quiet, ctypes.c_void_p(0))


def _has_amx() -> bool:
    """Whether the CPU has Intel AMX, on which ggml repacks q8_0 (and q4_0/q4_1) matrices for its AMX kernels.
    Those kernels crashed llama_decode with a segmentation fault on an AMX Xeon here (llama-cpp-python 0.3.36,
    in a container), so such matrices stay in the file's layout there, on ggml's AVX-512 kernels."""
    try:
        return "amx_int8" in Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux
        return False


class LlamaCppModel:
    """One model and one context of `n_ctx` positions per sequence, for `sequences` sequences (each has a KV cache
    of its own: llama.cpp's non-unified cache); the single-sequence calls start from an empty cache. `f32_cache`:
    keys and values in fp32 instead of llama.cpp's default fp16, for exact comparisons."""

    def __init__(self, gguf_file: str | Path, n_ctx: int = 1024, threads: int | None = None,
                 f32_cache: bool = False, n_batch: int | None = None, sequences: int = 1):
        try:
            import llama_cpp
        except ImportError:
            raise ModelInputError("running a GGUF file needs llama-cpp-python, which make setup installs") from None

        self.api = api = llama_cpp
        if not 1 <= sequences <= api.llama_max_parallel_sequences():
            raise ModelInputError(f"llama.cpp decodes 1 to {api.llama_max_parallel_sequences()} sequences at once, "
                                  f"not {sequences}")
        _silence(api)
        api.llama_backend_init()
        model_params = api.llama_model_default_params()
        model_params.use_extra_bufts = not _has_amx()
        self.model = api.llama_model_load_from_file(str(gguf_file).encode(), model_params)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {gguf_file}")
        params = api.llama_context_default_params()
        # n_batch: most positions one llama_decode takes (its logits buffer holds that many rows)
        params.n_ctx, params.n_batch = n_ctx * sequences, min(n_batch or n_ctx, n_ctx)
        params.n_ubatch = params.n_batch
        params.n_seq_max, params.kv_unified = sequences, False
        params.n_threads = params.n_threads_batch = threads or os.cpu_count() or 1
        if f32_cache:
            params.type_k = params.type_v = api.GGML_TYPE_F32
        self.ctx = api.llama_init_from_model(self.model, params)
        if not self.ctx:
            api.llama_model_free(self.model)
            raise RuntimeError(f"llama.cpp could not make a context of {n_ctx} × {sequences} for {gguf_file}")
        self.vocab = api.llama_model_get_vocab(self.model)
        self.n_vocab = api.llama_vocab_n_tokens(self.vocab)
        self.n_ctx, self.n_batch = n_ctx, params.n_batch

    def close(self) -> None:
        if self.ctx:
            self.api.llama_free(self.ctx)
            self.api.llama_model_free(self.model)
            self.ctx = self.model = None

    def __enter__(self) -> LlamaCppModel:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def metadata(self, key: str) -> str | None:
        """A GGUF metadata value as llama.cpp read it (None when absent)."""
        buffer = ctypes.create_string_buffer(1 << 16)
        n = self.api.llama_model_meta_val_str(self.model, key.encode(), buffer, len(buffer))
        return None if n < 0 else buffer.value.decode()

    def chat_prompt(self, messages: list[dict]) -> str:
        """The conversation rendered by llama.cpp's own chat code (what llama-cli and llama-server do without
        --jinja) from the file's chat template, ending in the model's turn."""
        api = self.api
        template = api.llama_model_chat_template(self.model, None)
        chat = (api.llama_chat_message * len(messages))(
            *[api.llama_chat_message(role=m["role"].encode(), content=m["content"].encode()) for m in messages])
        size = 256 + 2 * sum(len(m["content"].encode()) for m in messages)
        buffer = ctypes.create_string_buffer(size)
        n = api.llama_chat_apply_template(template, chat, len(messages), True, buffer, size)
        if n < 0 or n > size:
            raise ModelInputError("llama.cpp does not know this file's chat template")
        return buffer.raw[:n].decode()

    def tokenize(self, text: str, add_bos: bool = True, parse_special: bool = True) -> list[int]:
        data = text.encode()
        room = len(data) + 8
        tokens = (self.api.llama_token * room)()
        n = self.api.llama_tokenize(self.vocab, data, len(data), tokens, room, add_bos, parse_special)
        if n < 0:
            raise RuntimeError(f"llama_tokenize needed {-n} tokens for {len(data)} bytes")
        return list(tokens[:n])

    def decode(self, parts: list[tuple[int, list[int], int]], all_logits: bool = False) -> list[np.ndarray]:
        """One llama_decode of `parts` (sequence, ids, position of the first): the logits after each part's last
        id (V,) in order, or with `all_logits` (one part) after every id (T, V). At most n_batch ids in all."""
        api, size = self.api, sum(len(ids) for _, ids, _ in parts)
        batch = api.llama_batch_init(size, 0, 1)
        try:
            batch.n_tokens, i = size, 0
            for sequence, ids, start in parts:
                for j, token in enumerate(ids):
                    batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + j, 1
                    batch.seq_id[i][0] = sequence
                    batch.logits[i] = all_logits or j == len(ids) - 1
                    i += 1
            if (code := api.llama_decode(self.ctx, batch)) != 0:
                raise RuntimeError(f"llama_decode failed with code {code}")
        finally:
            api.llama_batch_free(batch)
        if all_logits:
            return [np.stack([self._row(i) for i in range(size)])]
        ends = np.cumsum([len(ids) for _, ids, _ in parts]) - 1
        return [self._row(int(i)) for i in ends]

    def forget(self, sequence: int) -> None:
        """Empty one sequence's KV cache, for the next request that takes its place."""
        self.api.llama_memory_seq_rm(self.api.llama_get_memory(self.ctx), sequence, -1, -1)

    def _decode(self, ids: list[int], start: int, all_logits: bool) -> np.ndarray:
        return self.decode([(0, ids, start)], all_logits)[0]

    def _row(self, i: int) -> np.ndarray:
        pointer = self.api.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,)).copy()

    def _reset(self, length: int) -> None:
        if length > self.n_ctx:
            raise ModelInputError(f"{length} positions do not fit the context of {self.n_ctx}")
        self.api.llama_memory_clear(self.api.llama_get_memory(self.ctx), True)

    def start(self, ids: list[int], room: int) -> np.ndarray:
        """An empty cache, then `ids` decoded in batches of at most n_batch: the logits after the last (V,).
        `room`: the new tokens that will follow (refused here if the context cannot hold them)."""
        self._reset(len(ids) + room)
        for start in range(0, len(ids), self.n_batch):
            last = self._decode(ids[start : start + self.n_batch], start, all_logits=False)
        return last

    def logits(self, ids: list[int]) -> np.ndarray:
        """Next-token logits after every prefix of `ids`: (T, V) fp32, in one batch."""
        self._reset(len(ids))
        return self._decode(ids, 0, all_logits=True)

    def greedy(self, ids: list[int], new_tokens: int, vocab_limit: int | None = None) -> list[int]:
        """`new_tokens` argmax tokens after `ids`; no stop at EOS, so that runs compare position by position."""
        row = self.start(ids, new_tokens)
        out: list[int] = []
        for step in range(new_tokens):
            out.append(int(np.argmax(row[:vocab_limit])))
            if step + 1 < new_tokens:
                row = self._decode(out[-1:], len(ids) + step, all_logits=False)
        return out
