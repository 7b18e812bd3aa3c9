"""Ablations: the same small model, tokenizer, recipe and token budget on several data variants (stage outputs of a
pipeline run, or the run with other settings), each with several seeds, compared on held-out evaluation."""
