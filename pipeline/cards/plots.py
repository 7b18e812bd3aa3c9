"""The cards' PNG plots (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402


def plot_lengths(kept: pl.DataFrame, rejected: pl.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    all_chars = [f["chars"].to_numpy() for f in (kept, rejected) if not f.is_empty()]
    top = max((c.max() for c in all_chars), default=10)
    bins = np.logspace(0, np.log10(max(top, 10)) + 0.1, 40)
    for frame, label in ((kept, "kept"), (rejected, "set aside")):
        if not frame.is_empty():
            ax.hist(
                np.maximum(frame["chars"].to_numpy(), 1),
                bins=bins,
                alpha=0.6,
                label=f"{label} ({len(frame)})",
            )
    ax.set_xscale("log")
    ax.set_xlabel("document length (characters, log scale)")
    ax.set_ylabel("documents")
    ax.legend()
    _save(fig, path)


def plot_script_mix(kept: pl.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = np.linspace(0, 1, 21)
    for column, label in (
        ("script_devanagari", "Devanagari"),
        ("script_latin", "Latin"),
        ("script_other", "other"),
    ):
        if not kept.is_empty():
            ax.hist(kept[column].to_numpy(), bins=bins, histtype="step", linewidth=2, label=label)
    ax.set_xlabel("share of a document's letters, digits and marks in the script")
    ax.set_ylabel("documents")
    ax.legend()
    _save(fig, path)


def plot_scores(kept: pl.DataFrame, rejected: pl.DataFrame, scores: tuple[str, ...], path: Path) -> None:
    """One histogram per score a stage records, kept and set-aside documents overlaid."""
    scores = tuple(n for n in scores if any(n in f.columns and f[n].drop_nulls().len() for f in (kept, rejected)))
    if not scores:
        return
    fig, axes = plt.subplots(len(scores), 1, figsize=(7, 2.4 * len(scores)), squeeze=False)
    for ax, name in zip(axes[:, 0], scores, strict=True):
        for frame, label in ((kept, "kept"), (rejected, "set aside")):
            values = frame[name].drop_nulls().to_numpy() if name in frame.columns else np.array([])
            if len(values):
                ax.hist(values, bins=40, alpha=0.6, label=f"{label} ({len(values)})")
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("documents")
        ax.legend(fontsize=8)
    _save(fig, path)


def plot_s_curve(dedup, path: Path) -> None:
    """MinHash's S-curve for the configured buckets × hashes: P(a pair is caught) against its Jaccard similarity."""
    from pipeline.dedup.steps import catch_probability

    similarity = np.linspace(0, 1, 101)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    caught = [catch_probability(s, dedup.num_buckets, dedup.hashes_per_bucket) for s in similarity]
    ax.plot(similarity, caught, label=f"{dedup.num_buckets} buckets × {dedup.hashes_per_bucket} hashes")
    ax.set_xlabel(f"Jaccard similarity of word {dedup.n_grams}-grams")
    ax.set_ylabel("P(caught as duplicates)")
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def plot_set_aside(reasons: dict[str, int], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.4 * len(reasons) + 1)))
    names = list(reasons) or ["(nothing set aside)"]
    ax.barh(names, [reasons.get(n, 0) for n in names], color="#c0504d")
    ax.set_xlabel("documents set aside")
    ax.invert_yaxis()
    _save(fig, path)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
