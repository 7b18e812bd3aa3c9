"""The report's plots of a run's log: loss, learning rate, bits per byte and throughput over steps, as PNG files."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI
import matplotlib.pyplot as plt  # noqa: E402


def _plot(path: Path, title: str, ylabel: str, series: dict[str, tuple[list, list]], log_y: bool = False) -> Path:
    figure, axes = plt.subplots(figsize=(6.4, 3.2), dpi=100)
    for label, (steps, values) in series.items():
        axes.plot(steps, values, label=label, marker="o" if len(steps) < 30 else None, markersize=3)
    axes.set(title=title, xlabel="step", ylabel=ylabel)
    if log_y:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    if len(series) > 1:
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def _series(records: list[dict], key: str) -> tuple[list, list]:
    points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), int | float)]
    return [s for s, _ in points], [v for _, v in points]


def training_plots(steps: list[dict], evals: list[dict], folder: Path) -> dict[str, Path]:
    """title → PNG file in `folder`, for the plots the log has data for."""
    folder.mkdir(parents=True, exist_ok=True)
    bpb = {"val shards": _series(evals, "val_bpb")}
    for key in sorted({k for r in evals for k in r if k.startswith("heldout_bpb/")}):
        bpb[key.removeprefix("heldout_bpb/")] = _series(evals, key)
    plots = {
        "Training loss": ("loss", "nats per token", {"train": _series(steps, "loss")}, True),
        "Learning rate": ("lr", "learning rate", {"lr": _series(steps, "lr")}, False),
        "Validation bits per byte": ("bpb", "bits per byte", bpb, False),
        "Throughput": ("tokens_per_s", "tokens per second", {"tokens/s": _series(steps, "tokens_per_s")}, False),
    }
    return {title: _plot(folder / f"{name}.png", title, ylabel, series, log_y)
            for title, (name, ylabel, series, log_y) in plots.items() if any(s[0] for s in series.values())}
