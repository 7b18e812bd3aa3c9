"""Several requests decoded together by one llama.cpp context: continuous batching, as llama-server does.

Decoding one token costs about as much as reading every weight once, whether the batch carries one sequence or
twenty, so a server that decodes its concurrent requests in one batch per step serves many times the tokens per
second of one that takes them in turn. One thread (the scheduler) owns the context: each step it puts the next
token of every running sequence, and as much of the prompts just admitted as the batch has room for, into one
`llama_decode`, then chooses each sequence's next token from its logits with model/generate.py's `choose_next`
(the request's own temperature, top-k, top-p, repetition penalty and seeded generator) and hands it to the
request's thread, which streams it. A sequence ends at a stop id, at its token limit, or when its request
abandons it (the client left, a stop string came); its place in the KV cache then goes to the next request.

llama.cpp's matrix kernels depend on the batch, so logits of a request decoded beside others can differ from a
lone request's in the last bits: a seed repeats a sampled reply exactly when requests do not overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from model.errors import ModelInputError
from model.generate import choose_next
from model.gguf.runtime import LlamaCppModel
from model.sampling import Sampling


@dataclass
class _Sequence:
    """One request's decoding: what it still has to feed the model, how it chooses, where its tokens go."""

    prompt: list[int]
    max_new_tokens: int
    sampling: Sampling
    stop_ids: frozenset[int]
    vocab_limit: int
    n_vocab: int
    tokens: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)  # ids, then None or an exception
    abandoned: threading.Event = field(default_factory=threading.Event)
    slot: int = -1
    fed: int = 0  # ids of prompt + new ones already in the KV cache
    new: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        seed = self.sampling.seed
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.seen = torch.zeros(1, self.n_vocab, dtype=torch.bool)
        self.seen[0, self.prompt] = True

    def unfed(self) -> list[int]:
        """The ids not yet in the KV cache: the rest of the prompt while it is being read, then the newest id
        (sliced, not the prompt copied again each step)."""
        if self.fed < len(self.prompt):
            return self.prompt[self.fed:] + self.new
        return self.new[self.fed - len(self.prompt):]

    def choose(self, logits: np.ndarray) -> int:
        row = torch.from_numpy(logits)[None]
        row[:, self.vocab_limit:] = float("-inf")  # the embedding's padding rows are no tokens
        s = self.sampling
        token = int(choose_next(row, self.seen, s.temperature, s.top_k, s.top_p, s.repetition_penalty,
                                self.generator)[0])
        self.seen[0, token] = True
        self.new.append(token)
        return token

    def finished(self) -> bool:
        return bool(self.new) and (self.new[-1] in self.stop_ids or len(self.new) == self.max_new_tokens)


class BatchScheduler:
    """Decodes up to `slots` requests at once (the runtime holds a KV cache for each); more wait for a place, in
    order. Request threads only add to `_waiting` (under `_wake`); the running sequences and the free places
    belong to the scheduler's thread."""

    def __init__(self, runtime: LlamaCppModel, slots: int, vocab_limit: int):
        self.runtime, self.vocab_limit = runtime, vocab_limit
        self._free = list(range(slots))
        self._waiting: list[_Sequence] = []
        self._running: list[_Sequence] = []
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="llama.cpp batches", daemon=True)
        self._thread.start()

    def generate(self, prompt: list[int], max_new_tokens: int, sampling: Sampling,
                 stop_ids: Collection[int]) -> Iterator[int]:
        """The new ids as they are chosen, ending with a stop id when one comes. Leaving the iteration early (an
        exception in the consumer) gives the sequence's place up at the scheduler's next step."""
        if not prompt or max_new_tokens < 1:
            raise ModelInputError("decoding needs a prompt of at least one token and at least one new token")
        sequence = _Sequence(prompt, max_new_tokens, sampling, frozenset(stop_ids), self.vocab_limit,
                             self.runtime.n_vocab)
        with self._wake:
            if self._closed:
                raise RuntimeError("the llama.cpp backend was closed")
            self._waiting.append(sequence)
            self._wake.notify()
        try:
            while (item := sequence.tokens.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            sequence.abandoned.set()
            with self._wake:
                self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._closed or self._waiting or self._running)
                if self._closed:  # the requests still here end with an error rather than wait forever
                    for sequence in self._waiting + self._running:
                        sequence.tokens.put(RuntimeError("the llama.cpp backend was closed"))
                    return
                self._admit()
            self._step()

    def _admit(self) -> None:
        """Waiting sequences take the free places, first come first; abandoned ones leave (under the lock)."""
        for sequence in [s for s in self._running if s.abandoned.is_set()]:
            self._release(sequence)
        self._waiting = [s for s in self._waiting if not s.abandoned.is_set()]
        while self._waiting and self._free:
            sequence = self._waiting.pop(0)
            sequence.slot = self._free.pop(0)
            self._running.append(sequence)

    def _release(self, sequence: _Sequence) -> None:
        self._running.remove(sequence)
        self.runtime.forget(sequence.slot)
        self._free.append(sequence.slot)

    def _batch(self) -> list[tuple[_Sequence, list[int]]]:
        """This step's sequences and the ids each feeds: every decoding sequence's one new id first, then prompts
        in the order they came, as far as the batch's room goes (a long prompt in chunks)."""
        room, chosen = self.runtime.n_batch, []
        for sequence in sorted(self._running, key=lambda s: s.fed < len(s.prompt)):
            ids = sequence.unfed()[:room]
            if ids:
                chosen.append((sequence, ids))
                room -= len(ids)
        return chosen

    def _step(self) -> None:
        chosen = self._batch()
        if not chosen:
            return
        parts = [(s.slot, ids, s.fed) for s, ids in chosen]
        try:
            rows = self.runtime.decode(parts)
        except Exception as err:  # llama.cpp refused the batch: every sequence in it fails, the server goes on
            for sequence, _ in chosen:
                sequence.tokens.put(err)
                self._release(sequence)
            return
        for (sequence, ids), row in zip(chosen, rows, strict=True):
            sequence.fed += len(ids)
            if sequence.fed < len(sequence.prompt):  # a prompt chunk: its logits are not the end of the prompt
                continue
            sequence.tokens.put(sequence.choose(row))
            if sequence.finished():
                sequence.tokens.put(None)
                self._release(sequence)
