"""Requests served in the order they came by as many generation threads as the backend decodes at once; a
bounded number wait.

A PyTorch checkpoint decodes one sequence at a time: one thread, since two generations at once would only
interleave. A GGUF file served by llama.cpp decodes up to `--parallel` requests together in one batch per step
(model/gguf/batching.py): that many threads, each streaming its own request. Each job streams its text back to
the event loop of the request that made it; cancelling a job (its client went away) makes its next text callback
raise, so its thread moves on to the next job within one token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

from webapp.api_errors import APIError
from webapp.generation import GenerationCancelled

log = logging.getLogger(__name__)


class QueueFull(APIError):
    """As many requests wait as the server allows: answered 429."""

    def __init__(self, message: str):
        super().__init__(429, message, code="queue_full")


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


    async def result(self, disconnected: Callable[[], Awaitable[object]]) -> object:
        """The work's result once done (text pieces dropped); None when the client left first: `disconnected()`
        returns once the client has gone, and the job is then cancelled at its next token. A failure is raised
        again here."""
        client_gone = asyncio.ensure_future(disconnected())
        try:
            while True:
                next_item = asyncio.ensure_future(self._events.get())
                await asyncio.wait((next_item, client_gone), return_when=asyncio.FIRST_COMPLETED)
                if not next_item.done():
                    next_item.cancel()
                    self.cancel()
                    return None
                item = next_item.result()
                if isinstance(item, _Finished):
                    if item.error is not None:
                        raise item.error
                    return item.result
        finally:
            client_gone.cancel()


class GenerationQueue:
    """`threads` generation threads; at most `max_waiting` jobs wait behind those they run (0: none wait, a
    request is served only when a thread is free). A request holds its place from `admit` on, while it is checked
    and tokenised off the event loop, so that a request beyond the limit is refused before any work is done for it."""

    def __init__(self, max_waiting: int, threads: int = 1):
        if max_waiting < 0 or threads < 1:
            raise ValueError(f"max_waiting must be 0 or more and threads 1 or more, not {max_waiting}, {threads}")
        self._waiting: queue.Queue[GenerationJob | None] = queue.Queue()
        self._places = threading.BoundedSemaphore(max_waiting + threads)  # the running jobs' and those waiting
        self.max_waiting = max_waiting
        self.counts = {"served": 0, "cancelled": 0, "failed": 0}
        self.running = 0  # jobs being generated now
        self._count_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._serve, name=f"generation {i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    @contextlib.contextmanager
    def admit(self) -> Iterator[Callable[[Callable[[Callable[[str], None]], object]], GenerationJob]]:
        """A place in the queue, or QueueFull; yields `submit(work)`. A place not used for a job (the request
        was refused) is given back on leaving the block; a job's place, once the thread has run it."""
        if not self._places.acquire(blocking=False):
            raise QueueFull(f"{self.max_waiting} requests are already waiting: try again shortly" if self.max_waiting
                            else "every generation thread is busy and this server lets none wait: try again shortly")
        submitted: list[GenerationJob] = []

        def submit(work: Callable[[Callable[[str], None]], object]) -> GenerationJob:
            submitted.append(GenerationJob(work, asyncio.get_running_loop()))
            self._waiting.put_nowait(submitted[-1])
            return submitted[-1]

        try:
            yield submit
        finally:
            if not submitted:
                self._places.release()

    def status(self) -> dict:
        return {"running": self.running, "waiting": self._waiting.qsize(), "max_waiting": self.max_waiting,
                **self.counts}

    def close(self) -> None:
        for _ in self._threads:
            self._waiting.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _serve(self) -> None:
        while (job := self._waiting.get()) is not None:
            with self._count_lock:
                self.running += 1
            try:
                outcome = job.run()  # a failure is an outcome: it does not raise
                with self._count_lock:
                    self.counts[outcome] += 1
            finally:
                with self._count_lock:
                    self._places.release()  # first: a status that says not running has its place back
                    self.running -= 1
