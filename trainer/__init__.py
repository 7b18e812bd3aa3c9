"""Pretraining on the uint16 shards: data, loop, checkpoints, logging, distributed launch."""
