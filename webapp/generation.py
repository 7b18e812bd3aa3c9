"""The checkpoint the server answers with: chat replies through `model.chat` (Gemma 3 turns, stop at
<end_of_turn>) and plain continuations through `model.generate`, streamed as text, cut at stop strings, and
abandoned when the client goes away (the text callback raises, which unwinds the decoding loop)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sentencepiece as spm
import torch

from model.chat import fit_to_context, generate_reply
from model.errors import ModelInputError
from model.generate import generate
from model.hf import from_hf


class GenerationCancelled(Exception):
    """Raised from the streaming callback when the client has gone: decoding stops at the next token."""


class _StopStringReached(Exception):
    """Raised from the streaming callback when a stop string appears: the reply ends before it."""


@dataclass(frozen=True)
class Sampling:
    max_tokens: int
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn, EOS or a stop string) or "length" (max_tokens reached)


@dataclass
class StopText:
    """The reply's text cut at the first of `stops`. `feed` returns what may be streamed now: a tail that could
    still turn into a stop string is held back until it cannot (so no part of a stop string is ever sent)."""

    stops: tuple[str, ...]
    text: str = ""
    sent: int = 0
    stopped: bool = field(default=False)

    def feed(self, delta: str) -> str:
        self.text += delta
        found = [i for i in (self.text.find(s) for s in self.stops if s) if i >= 0]
        if found:
            self.text, self.stopped = self.text[: min(found)], True
            return self.flush()
        held = max((n for s in self.stops for n in range(1, len(s)) if self.text.endswith(s[:n])), default=0)
        ready = self.text[self.sent : len(self.text) - held]
        self.sent += len(ready)
        return ready

    def flush(self) -> str:
        rest, self.sent = self.text[self.sent :], len(self.text)
        return rest


class ServedModel:
    """A checkpoint (or Hugging Face Gemma 3 directory) and its SentencePiece tokenizer, in eval mode."""

    def __init__(self, checkpoint: str | Path, name: str, device: str = "cpu", tokenizer: str | Path | None = None):
        path = Path(tokenizer or Path(checkpoint) / "tokenizer.model")
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer at {path}: pass --tokenizer FILE.model")
        self.name, self.checkpoint = name, Path(checkpoint)
        self.sp = spm.SentencePieceProcessor(model_file=str(path))
        self.module = from_hf(checkpoint).to(device).eval()
        self.context = self.module.config.max_position_embeddings

    def check_chat(self, messages: list[dict], max_tokens: int) -> int:
        """Prompt tokens of the conversation, or a ValueError naming the bad message (before it is queued)."""
        if max_tokens >= self.context:
            raise ModelInputError(f"max_tokens {max_tokens} leaves no room for a prompt in a context of {self.context}")
        return len(fit_to_context(self.sp, messages, self.context - max_tokens)[0])

    def completion_prompt(self, prompt: str, max_tokens: int) -> list[int]:
        """<bos> + the prompt's ids (as `python -m model generate` does), or a ValueError when it does not fit."""
        ids = [self.module.config.bos_token_id, *self.sp.encode(prompt)]
        if len(ids) + max_tokens > self.context:
            raise ModelInputError(f"the prompt takes {len(ids)} tokens and max_tokens is {max_tokens}: more than the "
                             f"model's context of {self.context}; shorten the prompt or lower max_tokens")
        return ids

    def chat(self, messages: list[dict], sampling: Sampling, emit: Callable[[str], None]) -> Completion:
        """The model's next turn, streamed to `emit` (which raises GenerationCancelled to stop it)."""
        stop = StopText(sampling.stop)

        def on_text(delta: str) -> None:
            emit(stop.feed(delta))
            if stop.stopped:
                raise _StopStringReached

        prompt_tokens = self.check_chat(messages, sampling.max_tokens)
        try:
            reply = generate_reply(self.module, self.sp, messages, max_new_tokens=sampling.max_tokens,
                                   temperature=sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p,
                                   repetition_penalty=sampling.repetition_penalty, seed=sampling.seed, on_text=on_text)
        except _StopStringReached:
            # the reply's ids are not returned when it is cut short: count the tokens of the text up to the stop
            return Completion(stop.text, prompt_tokens, len(self.sp.encode(stop.text)), "stop")
        emit(stop.flush())
        finish = "length" if len(reply.token_ids) >= sampling.max_tokens else "stop"
        return Completion(stop.text, reply.prompt_tokens, len(reply.token_ids), finish)

    def complete(self, prompt: str, sampling: Sampling, emit: Callable[[str], None]) -> Completion:
        """A continuation of `prompt` until EOS, a stop string or max_tokens, streamed to `emit`."""
        ids = self.completion_prompt(prompt, sampling.max_tokens)
        stop, new = StopText(sampling.stop), []
        eos = self.module.config.eos_token_id

        def on_token(token: torch.Tensor) -> None:
            new.append(int(token[0]))
            text = self.sp.decode(new) if new[-1] != eos else stop.text  # whole-text decode, as model.chat does
            if len(text) > len(stop.text):
                emit(stop.feed(text[len(stop.text) :]))
            if stop.stopped:
                raise _StopStringReached

        device = next(self.module.parameters()).device
        try:
            generate(self.module, torch.tensor([ids], device=device), sampling.max_tokens,
                     temperature=sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p,
                     repetition_penalty=sampling.repetition_penalty, seed=sampling.seed, on_token=on_token,
                     vocab_limit=self.sp.get_piece_size())
        except _StopStringReached:
            return Completion(stop.text, len(ids), len(new), "stop")
        emit(stop.flush())
        finished = bool(new) and new[-1] == eos
        return Completion(stop.text, len(ids), len(new) - finished, "stop" if finished else "length")
