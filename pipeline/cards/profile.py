"""Per-document numbers for the cards, computed with polars over a stage's JSONL output and rejects."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.documents import read_documents

# A card describes the data, it does not need all of it: past this many documents per folder it samples
# the first ones of every file, and says so.
MAX_PROFILED_DOCS = 200_000


def profile_folder(folder: Path, limit: int = MAX_PROFILED_DOCS, scores: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per document: id, source, reason (for rejects), characters, bytes, script shares, and the
    metadata `scores` a stage records (null where a document has none)."""
    rows = [
        {
            "id": doc.id,
            "text": doc.text,
            "source": doc.metadata.get("source", "?"),
            "reason": doc.metadata.get("filter_reason"),
            "where": _where(doc.metadata),
            **{name: _number(doc.metadata.get(name)) for name in scores},
        }
        for doc in read_documents([folder], limit, missing_ok=True)
    ]
    schema = {
        "id": pl.String,
        "text": pl.String,
        "source": pl.String,
        "reason": pl.String,
        "where": pl.String,
        **{name: pl.Float64 for name in scores},
    }
    frame = pl.DataFrame(rows, schema=schema)
    text = pl.col("text")
    written = text.str.count_matches(r"[\p{L}\p{M}\p{N}]")
    # The card's script mix is its own measure (letters, marks and digits), named apart from the scores a stage
    # recorded: the filter's `devanagari_share` (letters only) must reach the card as the filter used it.
    return frame.with_columns(
        chars=text.str.len_chars(),
        bytes=text.str.len_bytes(),
        words=text.str.count_matches(r"\S+"),
        script_devanagari=_share(text.str.count_matches(r"\p{Devanagari}"), written),
        script_latin=_share(text.str.count_matches(r"\p{Latin}"), written),
    ).with_columns(script_other=(1 - pl.col("script_devanagari") - pl.col("script_latin")).clip(0, 1))


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def score_quantiles(frame: pl.DataFrame, scores: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """p10/p50/p90 and count of each recorded score."""
    out = {}
    for name in scores:
        values = frame[name].drop_nulls() if name in frame.columns else pl.Series([], dtype=pl.Float64)
        if len(values):
            out[name] = {"documents": len(values)} | {
                f"p{q}": round(float(values.quantile(q / 100, "nearest")), 4) for q in (10, 50, 90)
            }
    return out


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole).otherwise(0.0)


def _where(metadata: dict) -> str:
    return f"{metadata['file']}:{metadata['line']}" if "file" in metadata and "line" in metadata else ""


def length_quantiles(frame: pl.DataFrame) -> dict[str, float]:
    if frame.is_empty():
        return {}
    chars = frame["chars"]
    return {f"p{q}": float(chars.quantile(q / 100, "nearest")) for q in (1, 10, 50, 90, 99)} | {
        "max": float(chars.max())
    }


def script_mix(frame: pl.DataFrame) -> dict[str, float]:
    if frame.is_empty():
        return {}
    return {
        "mean_devanagari_share": round(float(frame["script_devanagari"].mean()), 4),
        "mean_latin_share": round(float(frame["script_latin"].mean()), 4),
        "mean_other_share": round(float(frame["script_other"].mean()), 4),
        "documents_mostly_devanagari": int((frame["script_devanagari"] >= 0.5).sum()),
        "documents_mostly_latin": int((frame["script_latin"] >= 0.5).sum()),
    }


def by_source(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    if frame.is_empty():
        return {}
    grouped = frame.group_by("source").agg(
        documents=pl.len(), characters=pl.col("chars").sum(), bytes=pl.col("bytes").sum()
    )
    return {
        row["source"]: {k: int(row[k]) for k in ("documents", "characters", "bytes")}
        for row in grouped.sort("source").iter_rows(named=True)
    }
