"""Evaluation: held-out tasks, bits per byte, multiple choice, the report, and ablations (evaluation/ablation/)."""
