"""What a step worked out from a document's text, kept for the steps after it.

Each filter takes a batch of documents from the step before and filters them all before the next step gets them
(pipeline/lean_filter.py), so a text comes back to the next filter up to a few batches later, not right after.
A memo keeps the values of the last few batches' texts, by identity: 02_filter's mojibake check and line cleaning
read the same code points, line cleaning counts the letters the language step asks for, and the Gopher quality,
FineWeb quality and repetition filters split the same text into words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")
# Four of LeanFilter's batches (BATCH in pipeline/lean_filter.py, not imported: script.py's light users would load
# datatrove): enough for texts two filters apart with a batch held in the one between. A text that left longer
# ago is worked out again, at no other cost.
MEMO_SIZE = 512


class TextMemo(Generic[Value]):
    """A value per text, for the very same string object only (an equal string is another document's, and costs
    nothing to tell apart). The memo holds the texts it has values for, so no other string can take their ids;
    past `size` texts the oldest goes."""

    def __init__(self, size: int = MEMO_SIZE):
        self.size = size
        self._entries: dict[int, tuple[str, Value]] = {}

    def get(self, text: str) -> Value | None:
        entry = self._entries.get(id(text))
        return entry[1] if entry is not None else None

    def put(self, text: str, value: Value) -> Value:
        entries = self._entries
        if len(entries) >= self.size and id(text) not in entries:
            del entries[next(iter(entries))]  # dicts keep insertion order: the oldest
        entries[id(text)] = (text, value)
        return value

    def of(self, text: str, work_out: Callable[[str], Value]) -> Value:
        """The remembered value of `text`, else work_out(text), remembered."""
        value = self.get(text)
        return value if value is not None else self.put(text, work_out(text))
