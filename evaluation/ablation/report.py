"""The ablation's outputs: ablation.json (every unit and the summary), ablation.md and a self-contained
ablation.html (the table), ablation_bpb.png (held-out bits per byte over training tokens, one line per arm)."""

from __future__ import annotations

import base64
import html
import json
import platform
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt  # noqa: E402

from evaluation.ablation.table import NO_SPREAD, comparison_table  # noqa: E402

PLOT = "ablation_bpb.png"


def machine() -> str:
    """The CPU's model name and core count (lscpu's), for every figure's provenance."""
    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        name = f"{names[0]}, {len(names)} cores" if names else name
    return name


def plot_curves(units: list[dict], arms: list[str], path: Path, text: str = "heldout_hi") -> None:
    """Mean over seeds of `text`'s bits per byte at each evaluation, against training tokens."""
    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=100)
    for arm in arms:
        points: dict[int, list[float]] = {}
        for unit in (u for u in units if u["arm"] == arm):
            for point in unit["curve"]:
                if text in point:
                    points.setdefault(point["tokens"], []).append(point[text])
        tokens = sorted(points)
        if not tokens:
            continue
        axes.plot(tokens, [statistics.fmean(points[t]) for t in tokens], marker="o", markersize=3, label=arm)
    axes.set(title=f"held-out bits per byte ({text}), mean over seeds", xlabel="training tokens",
             ylabel="bits per byte")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _intro(record: dict) -> list[str]:
    partial = record["units_finished"] < record["units_total"]
    status = f" **Partial: {record['units_finished']} of {record['units_total']} units finished.**" if partial else ""
    return [f"Ablation `{record['name']}`: {len(record['arms'])} arms × seeds {record['seeds']}, baseline "
            f"`{record['baseline']}`; {record['parameters']:,} parameters, {record['tokens_per_unit']:,} training "
            f"tokens per unit; measured on {record['machine']}, {record['finished']}.{status}", "",
            "Each cell: mean ± standard deviation over seeds, then Δ against the baseline and the verdict (better or "
            "worse when |Δ| > 2 × the larger of the two arms' spreads). bpb: bits per byte (lower is better); "
            "acc_norm: next-sentence accuracy per character (chance 0.25).", ""]


def write_reports(out: Path, record: dict) -> None:
    (out / "ablation.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    plot_curves(record["units"], list(record["arms"]), out / PLOT)
    table = comparison_table(record["summary"], record["baseline"])
    (out / "ablation.md").write_text("\n".join([f"# Ablation {record['name']}", "", *_intro(record), *table, "",
                                                f"![held-out bits per byte over training tokens]({PLOT})", ""]))
    (out / "ablation.html").write_text(render_html(record, out / PLOT))


def render_html(record: dict, plot: Path) -> str:
    summary = record["summary"]
    metrics = sorted({m for arm in summary.values() for m in arm["metrics"]})
    head = "".join(f"<th>{html.escape(m)}</th>" for m in ["arm", "tokens (epochs)", *metrics])
    rows = []
    for arm, row in summary.items():
        cells = [f"<td>{html.escape(arm)}{' (baseline)' if arm == record['baseline'] else ''}</td>",
                 f"<td>{row['tokens']:,} ({row['epochs']:.2f})</td>"]
        for metric in metrics:
            cell = row["metrics"].get(metric)
            if cell is None:
                cells.append("<td></td>")
                continue
            kind = cell.get("verdict", "").replace(" ", "-") if cell.get("verdict") != NO_SPREAD else ""
            spread = f" ± {cell['spread']:.4f}" if cell["spread"] is not None else ""
            delta = f"<br><small>Δ {cell['delta']:+.4f} · {cell['verdict']}</small>" if "delta" in cell else ""
            cells.append(f"<td class='{kind}'>{cell['mean']:.4f}{spread}{delta}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    image = base64.b64encode(plot.read_bytes()).decode() if plot.exists() else ""
    intro = "".join(f"<p>{html.escape(line)}</p>" for line in _intro(record) if line)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Ablation {html.escape(record['name'])}"
            "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px "
            "solid #ccc;padding:4px 8px;text-align:right}.better{background:#e3f6e3}.worse{background:#fbe3e3}"
            f"</style></head><body><h1>Ablation {html.escape(record['name'])}</h1>{intro}<table><tr>{head}</tr>"
            f"{''.join(rows)}</table><p><img alt='held-out bits per byte over training tokens' "
            f"src='data:image/png;base64,{image}'></p></body></html>")


def finished_at() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
