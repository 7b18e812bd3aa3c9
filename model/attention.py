"""Causal attention with an optional sliding window, behind one function and four interchangeable kernels.

Window semantics are Hugging Face's: key k is visible from query q when q - W < k <= q.

- "sdpa":      torch's scaled_dot_product_attention. `is_causal` when every key of the window fits (T <= W or
               no window); otherwise a boolean mask, built once per (T, W, device) and cached.
- "flex":      FlexAttention with a block mask cached per (T, W, device), compiled; for CUDA, where it skips
               the masked blocks instead of computing and discarding them.
- "reference": plain matmul + softmax, the definition the others are tested against.
- "auto":      flex on CUDA, sdpa elsewhere.

Shapes: q (B, H, T, D), k and v (B, Hkv, S, D) with H a multiple of Hkv (grouped-query attention).
"""

from __future__ import annotations

from functools import cache, lru_cache

import torch
import torch.nn.functional as F

BACKENDS = ("auto", "sdpa", "flex", "reference")


def sliding_causal_mask(t: int, window: int | None, device: torch.device | str = "cpu") -> torch.Tensor:
    """(T, T) boolean, True where query row q may see key column k."""
    q = torch.arange(t, device=device)[:, None]
    k = torch.arange(t, device=device)[None, :]
    visible = k <= q
    if window is not None:
        visible &= k > q - window
    return visible


@lru_cache(maxsize=16)
def _cached_mask(t: int, window: int, device: torch.device) -> torch.Tensor:
    return sliding_causal_mask(t, window, device)


def _once_per_shape(cached, *key):
    """`cached(*key)` (an lru_cache'd builder) when eager. Inside a compiled module the mask is built in the
    graph instead: reading a cache that fills during the first step would make dynamo guard on it, and the whole
    model would compile a second time at the second step (70 s for the 270M preset on an H100)."""
    return cached.__wrapped__(*key) if torch.compiler.is_compiling() else cached(*key)


def reference_attention(q, k, v, scale: float, mask: torch.Tensor | None) -> torch.Tensor:
    groups = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(groups, dim=1)
    v = v.repeat_interleave(groups, dim=1)
    scores = (q @ k.transpose(-2, -1)) * scale  # (B, H, T, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v


@cache
def _flex_block_mask(t: int, window: int | None, device: torch.device):
    from torch.nn.attention.flex_attention import create_block_mask

    def visible(b, h, q_idx, kv_idx):
        inside = q_idx >= kv_idx
        return inside & (q_idx - kv_idx < window) if window is not None else inside

    return create_block_mask(visible, B=None, H=None, Q_LEN=t, KV_LEN=t, device=device)


@lru_cache(maxsize=1)
def _compiled_flex_attention():
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False)


def _flex_attention(q, k, v, scale: float, window: int | None) -> torch.Tensor:
    from torch.nn.attention.flex_attention import flex_attention

    block_mask = _once_per_shape(_flex_block_mask, q.shape[-2], window, q.device)
    # inside a compiled module FlexAttention is traced into the module's graph; eager, it runs compiled
    attend = flex_attention if torch.compiler.is_compiling() else _compiled_flex_attention()
    return attend(q, k, v, block_mask=block_mask, scale=scale, enable_gqa=True)


def causal_attention(q, k, v, scale: float, window: int | None, backend: str = "auto") -> torch.Tensor:
    """Self-attention of a whole sequence (training and prefill without padding)."""
    t = q.shape[-2]
    if backend == "auto":
        backend = "flex" if q.is_cuda else "sdpa"
    fits_window = window is None or t <= window
    if backend == "reference":
        return reference_attention(q, k, v, scale, sliding_causal_mask(t, window, q.device))
    if backend == "flex" and not fits_window:
        return _flex_attention(q, k, v, scale, window)
    if fits_window:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, enable_gqa=True)
    mask = _once_per_shape(_cached_mask, t, window, q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=True)


def masked_attention(q, k, v, scale: float, mask: torch.Tensor | None) -> torch.Tensor:
    """Attention with an explicit (B, 1, T, S) boolean mask, or none: decoding from a KV cache."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=True)
