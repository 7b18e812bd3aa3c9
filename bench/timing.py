"""Timing two implementations fairly on a shared machine: in turn, best of several."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_alternating(ours: Callable, theirs: Callable, repeats: int) -> tuple[float, float]:
    """Best times of two functions timed in turn after one warm-up each, so that a slow spell of the machine
    hits both sides rather than one."""
    ours(), theirs()
    times = [(timed(ours), timed(theirs)) for _ in range(repeats)]
    return min(t for t, _ in times), min(t for _, t in times)
