"""What the loop measures besides the loss: validation loss and bits per byte (on val shards and on fixed held-out
texts), samples, model FLOPs utilisation."""

from __future__ import annotations

import sentencepiece as spm
import torch

from model.config import ModelConfig
from model.generate import generate
from model.loss import IGNORE_INDEX
from model.scoring import bits_per_byte, score_documents

# Dense bf16 peak of common GPUs, TFLOP/s; `peak_tflops` in the config overrides (and is needed elsewhere).
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
               "RTX 4090": 165.0}


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
        scored = targets[targets != IGNORE_INDEX]  # SFT: the model's turns only
        total_loss += loss * scored.numel()
        total_bytes += float(lengths[scored].sum())
        tokens += scored.numel()
    model.train(was_training)
    return {"val_loss": total_loss / tokens, "val_bpb": bits_per_byte(total_loss, total_bytes)}


def heldout_bits_per_byte(model, sp: spm.SentencePieceProcessor, texts: dict[str, list[str]], block_size: int,
                          batch_size: int, device, autocast) -> dict:
    """`heldout_bpb/<name>` of each fixed held-out text set (config `eval_texts`), scored whole as `python -m
    evaluation evaluate` scores it, with the run's context."""
    with autocast:
        return {f"heldout_bpb/{name}": score_documents(model, sp, documents, name, block_size, batch_size=batch_size,
                                                       device=device, progress=False).bits_per_byte
                for name, documents in texts.items()}


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
