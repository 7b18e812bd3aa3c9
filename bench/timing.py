"""Timing implementations fairly: on a shared CPU, in turn and best of several; on a GPU, with CUDA events."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def timed(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    fn()
    return clock() - start


def best_alternating(
    ours: Callable, theirs: Callable, repeats: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, float]:
    """Best times of two functions timed in turn after one warm-up each, so that a slow spell of the machine
    hits both sides rather than one. `clock=time.process_time` times single-threaded work in CPU seconds, which
    other jobs on a shared machine move much less than wall time."""
    ours(), theirs()
    times = [(timed(ours, clock), timed(theirs, clock)) for _ in range(repeats)]
    return min(t for t, _ in times), min(t for _, t in times)


def cuda_median_ms(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median milliseconds of `fn` on the current CUDA device, timed with events after `warmup` calls (which
    take compilation and autotuning out of the figure)."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)
