"""Supervised fine-tuning on conversations through the pretraining loop: the conversation data set (data.py,
sources.py), its batches (batches.py) and LoRA adapters (lora.py)."""
