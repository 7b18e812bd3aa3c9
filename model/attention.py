"""Causal attention with an optional sliding window, behind one function and four interchangeable kernels.

Window semantics are Hugging Face's: key k is visible from query q when q - W < k <= q.

- "sdpa":      torch's scaled_dot_product_attention. `is_causal` when every key of the window fits (T <= W or
               no window); otherwise a boolean mask, built once per (T, W, device) and cached.
- "flex":      FlexAttention with a block mask cached per (T, W, device), compiled; for CUDA, where it skips
               the masked blocks instead of computing and discarding them. Verified, not assumed: its compiled
               kernels are generated per machine, and on CPUs without AVX-512 (torch 2.13, or any CPU under
               ATEN_CPU_CAPABILITY=avx2) they return NaN or outputs 0.4-2.8 off, even for contiguous inputs.
               Eager, its first output per (device, dtype, shape) is compared with SDPA in fp32 on the same
               inputs; a model checks it on a probe before it is compiled (`flex_agrees`). Where it disagrees,
               "flex" is refused with ModelInputError and "auto" falls back to sdpa.
- "reference": plain matmul + softmax, the definition the others are tested against.
- "auto":      flex on CUDA where it agrees with sdpa, sdpa elsewhere.

Shapes: q (B, H, T, D), k and v (B, Hkv, S, D) with H a multiple of Hkv (grouped-query attention).
"""

from __future__ import annotations

import math
import warnings
from functools import cache, lru_cache

import torch
import torch.nn.functional as F

from model import kernel_check
from model.errors import ModelInputError

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
    if q.device.type == "cpu":  # CPU FlexAttention (torch 2.13) reads a strided query wrongly: 0.34 off
        q = q.contiguous()
    # inside a compiled module FlexAttention is traced into the module's graph; eager, it runs compiled
    attend = flex_attention if torch.compiler.is_compiling() else _compiled_flex_attention()
    return attend(q, k, v, block_mask=block_mask, scale=scale, enable_gqa=True)


_flex_differences: dict[tuple, float] = {}  # (device, dtype, H, T, D, Hkv, window) -> difference found


@torch.no_grad()
def _flex_difference(q, k, v, scale: float, window: int, out: torch.Tensor) -> float:
    """How far FlexAttention's `out` is from fp32 SDPA, relative to max |v| (outputs are convex combinations of
    v's rows); inf for NaN (seen in one sequence of a batch only, so the whole batch is compared)."""
    mask = sliding_causal_mask(q.shape[-2], window, q.device)
    expected = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask, scale=scale,
                                              enable_gqa=True)
    difference = (out.float() - expected).abs().max().item() / max(v.abs().max().item(), 1e-6)
    return math.inf if math.isnan(difference) else difference


def _flex_key(q, k, window: int) -> tuple:
    return (q.device, q.dtype, *q.shape[1:], k.shape[1], window)


def _flex_verdict(q, k, v, scale: float, window: int, out: torch.Tensor) -> bool:
    key = _flex_key(q, k, window)
    if key not in _flex_differences:
        _flex_differences[key] = _flex_difference(q, k, v, scale, window, out)
    return kernel_check.agrees(_flex_differences[key], q.dtype)


def flex_refusal(device: torch.device, dtype: torch.dtype) -> ModelInputError:
    difference = max(d for key, d in _flex_differences.items() if key[:2] == (device, dtype))
    return ModelInputError(
        f"attention backend 'flex' gives wrong results on this machine ({kernel_check.where(device)}, {dtype}): "
        f"{difference:.3g} (relative to max |v|) away from scaled_dot_product_attention; use attention: sdpa "
        f"(or auto, which falls back to it)")


def flex_agrees(device: torch.device, dtype: torch.dtype, heads: int, kv_heads: int, length: int, head_dim: int,
                window: int, scale: float) -> bool:
    """FlexAttention against SDPA on a random probe of this shape: for a model about to be compiled, whose
    attention outputs cannot be checked from inside the graph."""
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, h, length, head_dim, generator=generator).to(device, dtype)
               for h in (heads, kv_heads, kv_heads))
    return _flex_verdict(q, k, v, scale, window, _flex_attention(q, k, v, scale, window))


@cache
def _warn_flex_fallback(device: torch.device, dtype: torch.dtype) -> None:
    warnings.warn(f"{flex_refusal(device, dtype)}: attention 'auto' uses sdpa here", stacklevel=3)


def _verified_flex(q, k, v, scale: float, window: int, required: bool) -> torch.Tensor | None:
    """FlexAttention's output, or None where it disagrees with SDPA on this machine and `auto` chose it;
    ModelInputError where the user asked for it. Compiled, the check happened before (Gemma3ForCausalLM.compile)."""
    out = _flex_attention(q, k, v, scale, window)
    if torch.compiler.is_compiling() or _flex_verdict(q, k, v, scale, window, out):
        return out
    if required:
        raise flex_refusal(q.device, q.dtype)
    _warn_flex_fallback(q.device, q.dtype)
    return None


def causal_attention(q, k, v, scale: float, window: int | None, backend: str = "auto") -> torch.Tensor:
    """Self-attention of a whole sequence (training and prefill without padding)."""
    t = q.shape[-2]
    chosen = backend
    if backend == "auto":
        chosen = "flex" if q.is_cuda else "sdpa"
    fits_window = window is None or t <= window
    if chosen == "reference":
        return reference_attention(q, k, v, scale, sliding_causal_mask(t, window, q.device))
    if chosen == "flex" and not fits_window:
        out = _verified_flex(q, k, v, scale, window, required=backend == "flex")
        if out is not None:
            return out
    if fits_window:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, enable_gqa=True)
    mask = _once_per_shape(_cached_mask, t, window, q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=True)


def masked_attention(q, k, v, scale: float, mask: torch.Tensor | None) -> torch.Tensor:
    """Attention with an explicit (B, 1, T, S) boolean mask, or none: decoding from a KV cache."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=True)
