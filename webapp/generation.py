"""The model the server answers with: chat replies through `model.chat` (Gemma 3 turns, stop at <end_of_turn>)
and plain continuations through the backend, streamed as text, cut at stop strings, and abandoned when the
client goes away (the text callback raises, which unwinds the decoding loop)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model.backend import Backend
from model.chat import fit_to_context, generate_reply
from model.errors import ModelInputError
from model.sampling import OPENAI_DEFAULTS, Sampling
from model.text_stream import TextStream
from webapp.stop_text import StopText, check_stop_strings


class GenerationCancelled(Exception):
    """Raised from the streaming callback when the client has gone: decoding stops at the next token."""


class _StopStringReached(Exception):
    """Raised from the streaming callback when a stop string appears: the reply ends before it."""


@dataclass(frozen=True)
class GenerationRequest:
    """One request's settings: how many tokens, how they are chosen, where the text stops."""

    max_tokens: int
    sampling: Sampling = OPENAI_DEFAULTS
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_stop_strings(self.stop)


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn, EOS or a stop string) or "length" (max_tokens reached)


class ServedModel:
    """What the server answers with: a backend (a PyTorch checkpoint or a GGUF file run by llama.cpp; the server
    does not know which) and the model id clients name."""

    def __init__(self, backend: Backend, name: str):
        self.backend, self.name, self.checkpoint = backend, name, backend.source
        self.context = backend.context

    def check_chat(self, messages: list[dict], max_tokens: int) -> int:
        """Prompt tokens of the conversation, or a ModelInputError naming the bad message (before it is queued)."""
        if max_tokens >= self.context:
            raise ModelInputError(f"max_tokens {max_tokens} leaves no room for a prompt in a context of {self.context}")
        return len(fit_to_context(self.backend.vocab, messages, self.context - max_tokens)[0])

    def completion_prompt(self, prompt: str, max_tokens: int) -> list[int]:
        """<bos> + the prompt's ids (as `python -m model generate` does), or a ModelInputError when it does not fit."""
        vocab = self.backend.vocab
        ids = [vocab.bos_id(), *vocab.encode(prompt)]
        if len(ids) + max_tokens > self.context:
            raise ModelInputError(f"the prompt takes {len(ids)} tokens and max_tokens is {max_tokens}: more than the "
                             f"model's context of {self.context}; shorten the prompt or lower max_tokens")
        return ids

    def chat(self, messages: list[dict], request: GenerationRequest, emit: Callable[[str], None]) -> Completion:
        """The model's next turn, streamed to `emit` (which raises GenerationCancelled to stop it)."""
        stop = StopText(request.stop)
        prompt_tokens = self.check_chat(messages, request.max_tokens)
        tokens = 0

        def on_text(delta: str) -> None:
            emit(stop.feed(delta))
            if stop.stopped:
                raise _StopStringReached

        def count(token: int) -> None:  # the reply's tokens so far, for usage when a stop string cuts it
            nonlocal tokens
            tokens += 1
            emit("")  # a client that left is noticed at every token, also at tokens that add no text

        try:
            reply = generate_reply(self.backend, messages, request.max_tokens, request.sampling, on_text,
                                   on_token=count)
        except _StopStringReached:
            return Completion(stop.text, prompt_tokens, tokens, "stop")
        emit(stop.flush())
        finish = "length" if len(reply.token_ids) >= request.max_tokens else "stop"
        return Completion(stop.text, reply.prompt_tokens, len(reply.token_ids), finish)

    def complete(self, prompt: str, request: GenerationRequest, emit: Callable[[str], None]) -> Completion:
        """A continuation of `prompt` until EOS, a stop string or max_tokens, streamed to `emit`."""
        ids = self.completion_prompt(prompt, request.max_tokens)
        stop, stream = StopText(request.stop), TextStream(self.backend.token_bytes)
        eos, tokens = self.backend.vocab.eos_id(), 0

        def on_token(token: int) -> None:
            nonlocal tokens
            tokens += token != eos
            emit(stop.feed(stream.add(token)))  # incomplete characters wait for their last byte
            if stop.stopped:
                raise _StopStringReached

        try:
            new = self.backend.generate(ids, request.max_tokens, request.sampling, {eos}, on_token)
        except _StopStringReached:
            return Completion(stop.text, len(ids), tokens, "stop")
        emit(stop.feed(stream.finish()))
        if stop.stopped:
            return Completion(stop.text, len(ids), tokens, "stop")
        emit(stop.flush())
        finished = bool(new) and new[-1] == eos
        return Completion(stop.text, len(ids), tokens, "stop" if finished else "length")
