"""Linear warmup, then cosine decay to a floor: the learning rate of step s (0-based)."""

from __future__ import annotations

import math


def learning_rate(step: int, peak: float, floor: float, warmup: int, total: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))
