"""The ablation's comparison: per arm and metric the mean and spread over seeds, the difference against the
baseline arm, and a verdict. Verdict rule: an arm is better or worse than the baseline when |Δ| > 2 × spread, where
spread is the larger of the two arms' standard deviations over seeds (sample, n - 1); otherwise within noise.
With one seed there is no spread and no verdict."""

from __future__ import annotations

import statistics

from pipeline.markdown import markdown_table

BETTER, WORSE, NOISE, NO_SPREAD = "better", "worse", "within noise", "one seed: no verdict"


def lower_is_better(metric: str) -> bool:
    return metric.startswith("bpb/")


def spread(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def verdict(delta: float, arm_spread: float | None, baseline_spread: float | None, lower_better: bool) -> str:
    if arm_spread is None or baseline_spread is None:
        return NO_SPREAD
    if abs(delta) <= 2 * max(arm_spread, baseline_spread):
        return NOISE
    return BETTER if (delta < 0) == lower_better else WORSE


def summarize(units: list[dict], arms: list[str], baseline: str) -> dict:
    """{arm: {metric: {mean, spread, seeds, delta, verdict}}} plus tokens, epochs, parameters, seconds per arm."""
    by_arm = {arm: [u for u in units if u["arm"] == arm] for arm in arms}
    metrics = sorted({m for u in units for m in u["metrics"]})

    def stats(arm: str, metric: str) -> dict:
        values = [u["metrics"][metric] for u in by_arm[arm] if metric in u["metrics"]]
        return {"mean": statistics.fmean(values), "spread": spread(values), "seeds": len(values)}

    table = {}
    for arm in (a for a in arms if by_arm[a]):
        rows = {}
        for metric in metrics:
            row, base = stats(arm, metric), stats(baseline, metric) if by_arm[baseline] else None
            if base is not None and arm != baseline:
                row["delta"] = row["mean"] - base["mean"]
                row["verdict"] = verdict(row["delta"], row["spread"], base["spread"], lower_is_better(metric))
            rows[metric] = row
        units_of = by_arm[arm]
        table[arm] = {"metrics": rows, "tokens": units_of[0]["tokens"],
                      "epochs": statistics.fmean(u["epochs"] for u in units_of),
                      "train_tokens_available": units_of[0]["train_tokens_available"],
                      "parameters": units_of[0]["parameters"],
                      "seconds": sum(u["seconds"] for u in units_of)}
    return table


def _cell(row: dict, metric: str) -> str:
    digits = 4 if lower_is_better(metric) else 3
    text = f"{row['mean']:.{digits}f}" + (f" ± {row['spread']:.{digits}f}" if row["spread"] is not None else "")
    if "delta" in row:
        text += f" (Δ {row['delta']:+.{digits}f}, {row['verdict']})"
    return text


def comparison_table(summary: dict, baseline: str) -> list[str]:
    """The Markdown table: a row per arm, a column per metric."""
    metrics = sorted({m for arm in summary.values() for m in arm["metrics"]})
    rows = [[f"{arm} (baseline)" if arm == baseline else arm, f"{row['tokens']:,} ({row['epochs']:.2f})",
             *(_cell(row["metrics"][m], m) if m in row["metrics"] else "" for m in metrics)]
            for arm, row in summary.items()]
    return markdown_table(["arm", "tokens (epochs)", *metrics], rows)
