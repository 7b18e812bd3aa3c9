"""Data cards: `<cards_dir>/<run>/<NN_stage>.md` + `.json` + PNG plots, one per stage and run.

Headings follow the Hugging Face dataset card where they apply; the numbers come from the stage's books
(stats.json) and from profiling its output and rejected folders.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipeline.cards.plots import plot_lengths, plot_s_curve, plot_scores, plot_script_mix, plot_set_aside
from pipeline.cards.profile import (
    MAX_PROFILED_DOCS,
    by_source,
    length_quantiles,
    profile_folder,
    score_quantiles,
    script_mix,
)
from pipeline.cards.render import render_markdown
from pipeline.cards.sections import largest_clusters, lines_removed
from pipeline.config import RunConfig
from pipeline.decontaminate.card import decontamination_summary
from pipeline.documents import read_documents


def card_dir(config: RunConfig) -> Path:
    return Path(config.cards_dir) / config.run


def write_stage_card(config: RunConfig, stage, summary: dict) -> Path:
    """Write the card of one finished stage; returns the Markdown file."""
    paths = stage.paths(config)
    out = card_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    scores = tuple(stage.notes.get("score_fields", ()))
    kept = profile_folder(paths.output, scores=scores)
    rejected = pl.concat([profile_folder(folder, scores=scores) for folder in (paths.rejected, paths.removed)])
    reasons = {
        f"{name}: {reason}": count
        for name, by_reason in summary["set_aside_by_filter"].items()
        for reason, count in by_reason.items()
    }
    tokens = _shard_meta(paths.output)
    plots = {"set_aside": f"{stage.folder}_set_aside.png"}
    # a stage whose output is token shards has no documents to plot: its input is profiled in the card before it
    if tokens is None:
        plots |= {"lengths": f"{stage.folder}_lengths.png", "script_mix": f"{stage.folder}_script_mix.png"}
        plot_lengths(kept, rejected, out / plots["lengths"])
        plot_script_mix(kept, out / plots["script_mix"])
    plot_set_aside(reasons, out / plots["set_aside"])
    if stage.notes.get("s_curve"):  # a MinHash stage: P(caught) against similarity for its settings
        plots["s_curve"] = f"{stage.folder}_s_curve.png"
        plot_s_curve(config.stages.dedup, out / plots["s_curve"])
    if scores:
        plots["scores"] = f"{stage.folder}_scores.png"
        plot_scores(kept, rejected, scores, out / plots["scores"])  # only the scores some document has
    card = {
        "run": config.run,
        "stage": stage.folder,
        "summary_line": stage.summary,
        "accounting": {k: v for k, v in summary.items() if k != "steps"},
        "profiled": {
            "documents_kept": len(kept),
            "documents_set_aside": len(rejected),
            "bytes_kept": int(kept["bytes"].sum()) if len(kept) else 0,
            "at_most": MAX_PROFILED_DOCS,
        },
        "length_quantiles_chars": length_quantiles(kept),
        "script_mix": script_mix(kept),
        "scores": {"kept": score_quantiles(kept, scores), "set_aside": score_quantiles(rejected, scores)},
        "sources": [
            {"name": s.name, "kind": s.kind, "location": s.dataset or s.path, "license": s.license}
            for s in config.sources
        ],
        "kept_by_source": by_source(kept),
        "set_aside_by_source": by_source(rejected),
        "examples_kept": _examples(kept, 3),
        "examples_set_aside": _examples_per_reason(rejected),
        "added_examples": _added_examples(paths.output) if summary.get("documents_added") else [],
        "tokens": tokens,
        "lines_removed": lines_removed(summary["steps"], [paths.output, paths.rejected]),
        "largest_clusters": largest_clusters(paths.output, paths.removed) if stage.notes.get("s_curve") else [],
        "decontamination": decontamination_summary(config.stages.decontaminate, paths, summary["steps"])
        if stage.name == "decontaminate" else None,
        "plots": plots,
        "notes": stage.notes,
        "made_from": json.loads(paths.fingerprint.read_text()) if paths.fingerprint.exists() else {},
    }
    (out / f"{stage.folder}.json").write_text(json.dumps(card, ensure_ascii=False, indent=2))
    markdown = out / f"{stage.folder}.md"
    markdown.write_text(render_markdown(card))
    return markdown


def _shard_meta(folder: Path) -> dict | None:
    """A token stage's meta.json (tokens per split, before and after rehydration), else None."""
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        return None
    meta = json.loads(meta_file.read_text())
    return {k: meta[k] for k in ("tokenizer", "tokenizer_sha256", "vocab_size", "totals", "rehydration")}


def _snippet(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def _examples(frame, n: int) -> list[dict]:
    return [
        {"id": r["id"], "source": r["source"], "text": _snippet(r["text"])} for r in frame.head(n).iter_rows(named=True)
    ]


def _added_examples(folder: Path, per_kind: int = 3, scan: int = 20_000) -> list[dict]:
    """Copies a stage added (metadata `parent_id`) beside their originals, a few of each kind."""
    documents = list(read_documents([folder], scan, missing_ok=True))
    texts = {doc.id: doc.text for doc in documents}
    shown: dict[str, int] = {}
    examples = []
    for doc in documents:
        kind, parent = doc.metadata.get("hinglish"), doc.metadata.get("parent_id")
        if kind and parent in texts and shown.get(kind, 0) < per_kind:
            shown[kind] = shown.get(kind, 0) + 1
            examples.append({"kind": kind, "original": _snippet(texts[parent], 160), "copy": _snippet(doc.text, 160)})
    return examples


def _examples_per_reason(frame) -> list[dict]:
    if frame.is_empty():
        return []
    firsts = frame.group_by("reason", maintain_order=True).first()
    return [
        {"reason": r["reason"], "where": r["where"], "source": r["source"], "text": _snippet(r["text"], 160)}
        for r in firsts.iter_rows(named=True)
    ]
