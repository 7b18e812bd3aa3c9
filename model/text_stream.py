"""Generated ids to text as they come, for everything that streams a reply (the CLI, chat, the web app, the
trainer's samples).

A token is a piece of text or, for characters the vocabulary lacks, one byte of their UTF-8 (byte fallback): a
Devanagari letter may arrive as three tokens. The stream keeps the bytes of an unfinished character until its last
byte comes, so no replacement character is ever shown for a character still being written, and each token costs
the same whatever the length of the text before it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable

import sentencepiece as spm


def sentencepiece_bytes(sp: spm.SentencePieceProcessor) -> Callable[[int], bytes]:
    """Each id's bytes as sentencepiece's `decode` joins them: `▁` is a space, `<0xE0>` the byte E0, control
    and unused pieces (`<bos>`, `<end_of_turn>`) nothing; ids beyond the vocabulary (embedding padding) nothing."""
    table = []
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        if sp.is_byte(i):
            table.append(bytes([int(piece[3:5], 16)]))
        elif sp.is_control(i) or sp.is_unused(i):
            table.append(b"")
        elif sp.is_unknown(i):
            table.append(sp.decode([i]).encode())  # sentencepiece shows " ⁇ "
        else:
            table.append(piece.replace("\u2581", " ").encode())

    def token_bytes(token: int) -> bytes:
        return table[token] if 0 <= token < len(table) else b""

    return token_bytes


class TextStream:
    """`add(token)` returns the text that token completes (often "", sometimes several characters); `finish()`
    the rest once no token follows (an unfinished character then shows as U+FFFD, as `decode` would show it)."""

    def __init__(self, token_bytes: Callable[[int], bytes]):
        self._bytes = token_bytes
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []

    @property
    def text(self) -> str:
        """The text so far (without the bytes of an unfinished character)."""
        return "".join(self._parts)

    def add(self, token: int) -> str:
        delta = self._utf8.decode(self._bytes(token))
        self._parts.append(delta)
        return delta

    def finish(self) -> str:
        delta = self._utf8.decode(b"", final=True)
        self._parts.append(delta)
        return delta

    def extend(self, tokens: Iterable[int]) -> str:
        """All of `tokens`, then finished: the whole text."""
        for token in tokens:
            self.add(token)
        self.finish()
        return self.text
