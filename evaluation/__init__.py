"""Evaluation: held-out tasks, bits per byte and multiple choice, lm-eval task files, SFT evaluation, the report.
It sits above the trainer and the model: it reads their checkpoints, they never import it."""
