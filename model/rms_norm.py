"""Gemma's RMSNorm, x · rsqrt(mean(x²) + eps) · (1 + w) in fp32, with a hand-written backward.

Autograd through the formula keeps four (…, C) intermediates and runs about a dozen elementwise passes;
this keeps the normalised x and the per-row scale, and its backward is five passes. That makes the norms,
25 per token in the 270M model, about a third cheaper (fwd + bwd, measured on a 2-core CPU), the same maths.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class _RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        rstd = torch.rsqrt(x.square().mean(-1, keepdim=True).add_(eps))  # (..., 1)
        normed = x * rstd
        ctx.save_for_backward(normed, rstd, weight)
        return normed * (1.0 + weight)

    @staticmethod
    def backward(ctx, grad_out):
        normed, rstd, weight = ctx.saved_tensors
        grad_weight = (grad_out * normed).flatten(0, -2).sum(0)
        grad_normed = grad_out * (1.0 + weight)
        # d(normed)/dx projects out the component along normed, then scales by rstd
        grad_x = (grad_normed - normed * (grad_normed * normed).mean(-1, keepdim=True)).mul_(rstd)
        return grad_x, grad_weight, None


class RMSNorm(nn.Module):
    """x · rsqrt(mean(x²) + eps) · (1 + w), computed in fp32; w starts at zero."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _RMSNormFunction.apply(x.float(), self.weight.float(), self.eps).type_as(x)
