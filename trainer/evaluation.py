"""What the loop measures besides the loss: validation loss and bits per byte, samples, model FLOPs utilisation."""

from __future__ import annotations

import math

import sentencepiece as spm
import torch

from model.config import ModelConfig
from model.generate import generate

# Dense bf16 peak of common GPUs, TFLOP/s; `peak_tflops` in the config overrides (and is needed elsewhere).
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
               "RTX 4090": 165.0}


def byte_lengths(sp: spm.SentencePieceProcessor, vocab_size: int) -> torch.Tensor:
    """UTF-8 bytes each id stands for (a byte piece is one byte, a control token none), for bits per byte."""
    lengths = torch.zeros(vocab_size, dtype=torch.float64)
    for i in range(sp.get_piece_size()):
        if sp.is_byte(i):
            lengths[i] = 1
        elif not (sp.is_control(i) or sp.is_unknown(i)):
            lengths[i] = len(sp.id_to_piece(i).replace("▁", " ").encode("utf-8"))
    return lengths


@torch.no_grad()
def validation(model, windows, batches: int, batch_size: int, device, autocast, lengths) -> dict:
    """Mean loss (nats per token) and bits per byte on the same `batches` windows every time."""
    was_training = model.training
    model.eval()
    total_loss, total_bytes, tokens = 0.0, 0.0, 0
    for index in range(batches):
        inputs, targets = windows.batch(batch_size, step=0, index=index)
        with autocast:
            loss = model(inputs.to(device), targets.to(device)).float().item()
        total_loss += loss * targets.numel()
        total_bytes += float(lengths[targets].sum())
        tokens += targets.numel()
    model.train(was_training)
    return {"val_loss": total_loss / tokens, "val_bpb": total_loss / math.log(2) / max(total_bytes, 1.0)}


def samples(module, sp: spm.SentencePieceProcessor, prompts: list[str], new_tokens: int, device) -> dict:
    """A continuation of each prompt (seeded top-p sampling with the seeds' repetition penalty)."""
    out = {}
    for prompt in prompts:
        ids = torch.tensor([[sp.bos_id()] + sp.encode(prompt)], device=device)
        generated = generate(module, ids, new_tokens, temperature=0.8, top_k=50, top_p=0.95, repetition_penalty=1.2,
                             seed=0, vocab_limit=sp.get_piece_size())
        out[prompt] = sp.decode([t for t in generated[0, ids.shape[1] :].tolist() if t < sp.get_piece_size()])
    return out


def flops_per_token(config: ModelConfig, block_size: int, parameters: int) -> float:
    """Training FLOPs per token: 6 per parameter (the tied embedding counted once, as the LM head) plus the
    attention scores and values, 12 · heads · head_dim · context per layer, context capped at the window."""
    attention = sum(12 * config.num_heads * config.head_dim * (block_size if kind == "full" else
                                                                min(block_size, config.sliding_window))
                    for kind in config.layer_types)
    return 6 * parameters + attention


def peak_flops(device: torch.device, override_tflops: float) -> float | None:
    if override_tflops:
        return override_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((tflops * 1e12 for key, tflops in PEAK_TFLOPS.items() if key in name), None)
