"""What replies are generated with: a checkpoint decoded by PyTorch (model/generate.py) or a GGUF file decoded by
llama.cpp (model/gguf/backend.py). Both give the same surface, so chat, the CLI and the web app never ask which
they hold: a vocabulary in sentencepiece's terms, each token's bytes, the context, and `generate`, which decodes
one prompt token by token with the sampling of model/generate.py (one `choose_next` for both)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Protocol

import sentencepiece as spm
import torch

from model.errors import ModelInputError
from model.generate import generate
from model.hf import from_hf, tokenizer_of
from model.sampling import Sampling
from model.text_stream import sentencepiece_bytes


class Vocabulary(Protocol):
    """The part of sentencepiece's processor that rendering a conversation needs (model/chat_format.py)."""

    def encode(self, text: str) -> list[int]: ...
    def bos_id(self) -> int: ...
    def eos_id(self) -> int: ...
    def unk_id(self) -> int: ...
    def piece_to_id(self, piece: str) -> int: ...
    def get_piece_size(self) -> int: ...


class Backend(Protocol):
    vocab: Vocabulary
    context: int  # positions a prompt and its reply may take together
    source: Path  # the checkpoint folder or GGUF file
    parallel: int  # `generate` calls that may run at once (from as many threads), decoded together

    def token_bytes(self, token: int) -> bytes: ...

    def close(self) -> None:
        """Free what the backend holds outside Python (threads, llama.cpp's memory)."""
        ...

    def generate(self, prompt: list[int], max_new_tokens: int, sampling: Sampling, stop_ids: Collection[int],
                 on_token: Callable[[int], None] | None = None) -> list[int]:
        """The new ids after `prompt`, ending with the stop id when one of `stop_ids` came; `on_token(id)` sees
        each as it comes (an exception it raises ends decoding)."""
        ...


class TorchBackend:
    """A checkpoint (or Hugging Face Gemma 3 folder) in PyTorch, with its SentencePiece tokenizer. One sequence
    at a time: its KV cache and decoding loop serve one request."""

    parallel = 1

    def __init__(self, module, sp: spm.SentencePieceProcessor, source: str | Path = "", compile: bool = False):
        self.module, self.vocab, self.source, self.compile = module, sp, Path(source), compile
        self.context = module.config.max_position_embeddings
        self.token_bytes = sentencepiece_bytes(sp)

    def close(self) -> None:
        """Nothing to free: the weights are Python objects."""

    @classmethod
    def load(cls, checkpoint: str | Path, tokenizer: str | Path | None = None, device: str = "cpu",
             compile: bool = False) -> TorchBackend:
        return cls(from_hf(checkpoint).to(device).eval(), tokenizer_of(checkpoint, tokenizer), checkpoint, compile)

    def generate(self, prompt: list[int], max_new_tokens: int, sampling: Sampling, stop_ids: Collection[int],
                 on_token: Callable[[int], None] | None = None) -> list[int]:
        new: list[int] = []

        def collect(token: torch.Tensor) -> None:
            new.append(int(token[0]))
            if on_token is not None:
                on_token(new[-1])

        device = next(self.module.parameters()).device
        generate(self.module, torch.tensor([prompt], device=device), max_new_tokens,
                 temperature=sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p,
                 repetition_penalty=sampling.repetition_penalty, seed=sampling.seed, on_token=collect,
                 eos_token_id=sorted(stop_ids) or [-1], vocab_limit=self.vocab.get_piece_size(),
                 compile=self.compile)
        return new


def load_backend(path: str | Path, tokenizer: str | Path | None = None, device: str = "cpu",
                 threads: int | None = None, compile: bool = False, context: int | None = None,
                 parallel: int = 1) -> Backend:
    """A `.gguf` file through llama.cpp (its tokenizer is in the file), else a checkpoint folder in PyTorch.
    `threads`: llama.cpp's threads (PyTorch's are set process-wide by the caller); `context`: llama.cpp's context
    per sequence (default: the file's, capped); `parallel`: requests llama.cpp decodes together; `compile`:
    PyTorch only."""
    if Path(path).suffix == ".gguf":
        if tokenizer:
            raise ModelInputError("a GGUF file carries its own tokenizer: leave out --tokenizer")
        from model.gguf.backend import LlamaCppBackend

        return LlamaCppBackend(path, threads=threads, context=context, parallel=parallel)
    if parallel != 1:
        raise ModelInputError(f"a PyTorch checkpoint decodes one request at a time: --parallel {parallel} needs a "
                              "GGUF file (python -m model export-gguf)")
    return TorchBackend.load(path, tokenizer, device, compile)
