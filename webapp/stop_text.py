"""A streamed reply cut at the first of its stop strings, in time linear in the text and the stop strings.

Each stop string is matched by its own Knuth-Morris-Pratt automaton fed one character at a time: its state is
the longest prefix of the stop string that the text ends with, which is also the tail that must be held back
(it may still grow into the stop string). Rescanning the whole text or trying every prefix per token, as a naive
`endswith` loop does, made a 600 KB stop string take 20 s for three tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.errors import ModelInputError

MAX_STOP_CHARS = 1_000  # longest stop string accepted (OpenAI sets no figure; llama.cpp's server none either)


def _failure(pattern: str) -> list[int]:
    """KMP's failure function: for each prefix, the length of its longest proper border."""
    border, k = [0] * len(pattern), 0
    for i in range(1, len(pattern)):
        while k and pattern[i] != pattern[k]:
            k = border[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        border[i] = k
    return border


class _Matcher:
    def __init__(self, pattern: str):
        self.pattern, self.border, self.state = pattern, _failure(pattern), 0

    def feed(self, char: str) -> bool:
        """One more character of the text; True when the text now ends with the whole pattern."""
        pattern, k = self.pattern, self.state
        while k and char != pattern[k]:
            k = self.border[k - 1]
        if char == pattern[k]:
            k += 1
        self.state = k
        return k == len(pattern)


def check_stop_strings(stops: tuple[str, ...]) -> None:
    """Refuse an over-long stop string (before a request is queued)."""
    for index, stop in enumerate(stops):
        if len(stop) > MAX_STOP_CHARS:
            raise ModelInputError(f"stop[{index}] has {len(stop):,} characters, over the limit of "
                                  f"{MAX_STOP_CHARS:,}")


@dataclass
class StopText:
    """The reply's text cut at the first of `stops`. `feed` returns what may be streamed now: a tail that could
    still turn into a stop string is held back until it cannot (so no part of a stop string is ever sent)."""

    stops: tuple[str, ...]
    stopped: bool = False
    _parts: list[str] = field(default_factory=list)  # the text so far, up to the stop string once found
    _held: str = ""  # fed but not yet sent
    _matchers: list[_Matcher] = field(init=False)

    def __post_init__(self) -> None:
        check_stop_strings(self.stops)
        self._matchers = [_Matcher(stop) for stop in self.stops if stop]  # an empty one never stops anything

    @property
    def text(self) -> str:
        return "".join(self._parts) + self._held

    def feed(self, delta: str) -> str:
        if self.stopped:
            return ""
        held = self._held
        for position, char in enumerate(delta):
            if any([matcher.feed(char) for matcher in self._matchers]):  # a list: every automaton sees the char
                longest = max(len(m.pattern) for m in self._matchers if m.state == len(m.pattern))
                kept = len(held) + position + 1 - longest  # where the stop string begins in held + delta
                self._held, self.stopped = (held + delta[: position + 1])[:kept], True
                return self.flush()
        held += delta
        keep = max((m.state for m in self._matchers), default=0)  # the longest tail that may become a stop
        ready, self._held = held[: len(held) - keep], held[len(held) - keep :]
        self._parts.append(ready)
        return ready

    def flush(self) -> str:
        """Everything not yet sent (at the end of the reply, or once a stop string was found)."""
        rest, self._held = self._held, ""
        self._parts.append(rest)
        return rest
