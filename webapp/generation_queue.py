"""Requests served one at a time, in the order they came, by one generation thread; a bounded number wait.

The model is one set of weights on one device: running two generations at once would only interleave them.
Each job streams its text back to the event loop of the request that made it; cancelling a job (its client went
away) makes its next text callback raise, so the thread moves on to the next job within one token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from webapp.generation import GenerationCancelled

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """As many requests wait as the server allows (answered 429)."""


@dataclass
class _Finished:
    result: object = None
    error: BaseException | None = None


class GenerationJob:
    """One request's generation: `work(emit)` runs on the generation thread; `emit(text)` streams text to the
    request's event loop and raises GenerationCancelled once the job is cancelled."""

    def __init__(self, work: Callable[[Callable[[str], None]], object], loop: asyncio.AbstractEventLoop):
        self._work, self._loop = work, loop
        self._events: asyncio.Queue = asyncio.Queue()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def emit(self, text: str) -> None:
        if self.cancelled.is_set():
            raise GenerationCancelled
        if text:
            self._loop.call_soon_threadsafe(self._events.put_nowait, text)

    def run(self) -> str:
        """On the generation thread: 'served', 'cancelled' or 'failed'."""
        if self.cancelled.is_set():
            return "cancelled"  # its client left while it waited
        outcome, finished = "served", _Finished()
        try:
            finished.result = self._work(self.emit)
        except GenerationCancelled:
            outcome = "cancelled"
        except Exception as err:  # a bug: logged with its traceback here, a one-line error for the client
            log.exception("generation failed")
            outcome, finished.error = "failed", err
        with contextlib.suppress(RuntimeError):  # the event loop has closed: the server is shutting down
            self._loop.call_soon_threadsafe(self._events.put_nowait, finished)
        return outcome

    async def stream(self) -> AsyncIterator[str | _Finished]:
        """Text pieces as they come, then the _Finished marker with the work's result or error."""
        while True:
            item = await self._events.get()
            yield item
            if isinstance(item, _Finished):
                return


    async def result(self, disconnected: Callable[[], Awaitable[bool]], poll_s: float = 0.25) -> object:
        """The work's result once done (text pieces dropped); None when the client left first (the job is then
        cancelled). A failure is raised again here."""
        while True:
            try:
                item = await asyncio.wait_for(self._events.get(), poll_s)
            except asyncio.TimeoutError:
                if await disconnected():
                    self.cancel()
                    return None
                continue
            if isinstance(item, _Finished):
                if item.error is not None:
                    raise item.error
                return item.result


class GenerationQueue:
    """One generation thread; at most `max_waiting` jobs wait behind the one it runs."""

    def __init__(self, max_waiting: int):
        self._waiting: queue.Queue[GenerationJob | None] = queue.Queue(maxsize=max_waiting)
        self.max_waiting = max_waiting
        self.counts = {"served": 0, "cancelled": 0, "failed": 0}
        self.running = False
        self._thread = threading.Thread(target=self._serve, name="generation", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Callable[[str], None]], object]) -> GenerationJob:
        """Queue `work`; raises QueueFull when `max_waiting` jobs already wait."""
        job = GenerationJob(work, asyncio.get_running_loop())
        try:
            self._waiting.put_nowait(job)
        except queue.Full:
            raise QueueFull(f"{self.max_waiting} requests are already waiting: try again shortly") from None
        return job

    def status(self) -> dict:
        return {"running": self.running, "waiting": self._waiting.qsize(), "max_waiting": self.max_waiting,
                **self.counts}

    def close(self) -> None:
        self._waiting.put(None)
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        while (job := self._waiting.get()) is not None:
            self.running = True
            self.counts[job.run()] += 1
            self.running = False
