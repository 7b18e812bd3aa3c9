"""The one Markdown table: every card, report and command that prints a table (stage cards, the tokenizer card
and its comparison, the SFT data card, the training report) writes it here."""

from __future__ import annotations

from collections.abc import Iterable


def markdown_table(header: Iterable[str], rows: Iterable[Iterable]) -> list[str]:
    """The lines of a table: a header, its rule, a row each; a '|' in a cell is escaped so it stays one cell."""
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
