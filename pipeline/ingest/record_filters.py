"""The filter that sets aside records the readers flagged and documents that normalisation emptied."""

from __future__ import annotations

from datatrove.data import Document

from pipeline.lean_filter import LeanFilter


class DropBadRecords(LeanFilter):
    """Drops records a `CheckedRecords` reader flagged (`metadata["ingest_error"]`: malformed_json,
    invalid_utf8, no_text, empty, too_long, not_an_object) and documents with no text left after
    normalisation (`empty_after_normalisation`). One filter for both keeps the per-document cost low."""

    name = "🧯 Bad records"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        reason = doc.metadata.get("ingest_error")
        if reason:
            return False, reason
        return (False, "empty_after_normalisation") if not doc.text else True
