"""A Gemma-3-style decoder: presets, the model, attention kernels, KV-cached generation, HF interop.

Knows nothing of training: `trainer/` imports it, never the other way round.
"""
