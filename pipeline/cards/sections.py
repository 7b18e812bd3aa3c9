"""Card sections of single stages: the lines 02_filter's line cleaning removed, by reason with examples, and
03_dedup's largest duplicate clusters with an example from each, so a person sees which templates collapsed."""

from __future__ import annotations

from pathlib import Path

from pipeline.documents import read_documents
from pipeline.filter.line_cleaning import removed_totals
from pipeline.markdown import markdown_table

# Documents scanned for examples and clusters; the counts come from the books and are complete.
MAX_SCANNED_DOCS = 200_000


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def lines_removed(steps: list[dict], folders: list[Path], per_reason: int = 3) -> list[dict]:
    """[{reason, lines, characters, examples}] from the books and the removed-line examples in metadata."""
    totals = removed_totals(steps)
    if not totals:  # a stage without line cleaning
        return []
    examples: dict[str, list[str]] = {reason: [] for reason in totals}
    for doc in read_documents(folders, MAX_SCANNED_DOCS, missing_ok=True):
        for reason, entry in doc.metadata.get("lines_removed", {}).items():
            shown = examples.get(reason, [])
            if len(shown) < per_reason and entry["example"] not in shown:
                shown.append(entry["example"])
        if all(len(shown) >= per_reason for shown in examples.values()):
            break
    return [{"reason": reason, **counts, "examples": examples.get(reason, [])} for reason, counts in totals.items()]


def largest_clusters(output: Path, removed: Path, n: int = 10) -> list[dict]:
    """The `n` kept documents standing for the most duplicates: cluster size, exact copies, near duplicates,
    the kept text and one removed member's text."""
    kept = sorted(
        (doc for doc in read_documents([output], MAX_SCANNED_DOCS, missing_ok=True)
         if doc.metadata.get("duplicate_cluster_size", 1) > 1),
        key=lambda doc: -doc.metadata["duplicate_cluster_size"],
    )[:n]
    by_cluster = {doc.metadata["minhash_cluster_id"]: doc.id for doc in kept
                  if doc.metadata.get("minhash_cluster_id", -1) != -1}
    member: dict[str, str] = {}
    for doc in read_documents([removed], MAX_SCANNED_DOCS, missing_ok=True):
        keeper = doc.metadata.get("duplicate_of") or by_cluster.get(doc.metadata.get("minhash_cluster_id", -1))
        if keeper is not None and keeper not in member:
            member[keeper] = doc.text
    return [
        {
            "id": doc.id,
            "size": doc.metadata["duplicate_cluster_size"],
            "exact_copies": doc.metadata.get("exact_copies", 0),
            "near_duplicates": doc.metadata.get("minhash_cluster_size", 1) - 1,
            "kept": _snippet(doc.text),
            "removed_example": _snippet(member.get(doc.id, "")),
        }
        for doc in kept
    ]


def lines_removed_markdown(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    lines = ["## Lines removed", "",
             "Lines of Hindi documents that are not Hindi prose, removed before the document decisions "
             "(`metadata.lines_removed` of each document says which of its lines went):", ""]
    cells = [[row["reason"], f"{row.get('lines', 0):,}", f"{row.get('characters', 0):,}",
              " · ".join(f"`{e}`" for e in row["examples"])] for row in rows]
    return lines + markdown_table(["reason", "lines", "characters", "examples"], cells) + [""]


def largest_clusters_markdown(rows: list[dict]) -> list[str]:
    if not rows:
        return ["No document had a duplicate.", ""]
    lines = ["Largest clusters (exact: the same text up to case, whitespace and punctuation; near: MinHash, numbers "
             "ignored):", ""]
    cells = [[f"{row['size']:,}", f"{row['exact_copies']:,}", f"{row['near_duplicates']:,}",
              f"`{row['id']}` {row['kept']}", row["removed_example"]] for row in rows]
    header = ["cluster size", "exact copies", "near duplicates", "kept", "a removed member"]
    return lines + markdown_table(header, cells) + [""]
