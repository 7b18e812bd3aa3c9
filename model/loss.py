"""Cross-entropy of the tied LM head, fused with it and computed in row chunks.

The plain way, `F.cross_entropy(hidden @ W.T, targets)`, materialises (N, V) logits, a (N, V) log-softmax,
a zero-filled (N, V) gradient and the log-softmax backward: about a third of a small model's training step
goes there (see bench/model_speed.py). Here each chunk of rows makes its logits, turns them into their own
gradient in place (softmax − one-hot) and immediately folds that into the gradients of the hidden states and
of the weight, so nothing of size (N, V) ever exists and the backward pass is a multiply by a scalar.

The gradients are computed during the forward pass only when autograd will ask for them; under `no_grad`
(evaluation) this is the loss alone, chunked.
"""

from __future__ import annotations

import torch

IGNORE_INDEX = -100  # targets with this value add nothing to the loss (padding), as in F.cross_entropy
# Logits per chunk, rows = this // V. On a CPU, 8 MB of fp32 stays in cache. On a GPU, chunks that size would
# be 41 rows at V = 50k: hundreds of matmuls per step, each too thin to fill the chip. 512 MB of fp32 there.
CHUNK_ELEMENTS = {"cpu": 2**21, "cuda": 2**27}


def _chunk_rows(vocab: int, rows: int, device: str) -> int:
    return max(1, min(rows, CHUNK_ELEMENTS.get(device, CHUNK_ELEMENTS["cpu"]) // vocab))


class _FusedLinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk, grad_enabled):
        # hidden (N, C), weight (V, C), targets (N,): mean negative log-likelihood over targets != IGNORE_INDEX.
        # needs_input_grad follows requires_grad even under no_grad (a tied weight always reports True), so the
        # caller's grad mode decides too: evaluation must not pay for a (V, C) gradient and two more matmuls.
        want_hidden = grad_enabled and ctx.needs_input_grad[0]
        want_weight = grad_enabled and ctx.needs_input_grad[1]
        w = weight.to(hidden.dtype)
        valid = targets != IGNORE_INDEX
        safe_targets = targets.clamp(min=0)
        count = valid.sum().clamp(min=1)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.empty_like(hidden) if want_hidden else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if want_weight else None
        buffer = hidden.new_empty(min(chunk, hidden.shape[0]), weight.shape[0])  # reused: no fresh pages per chunk
        for start in range(0, hidden.shape[0], chunk):
            h, rows = hidden[start : start + chunk], slice(start, start + chunk)
            logits = torch.mm(h, w.T, out=buffer[: h.shape[0]]).float()  # (n, V)
            target_logit = logits.gather(1, safe_targets[rows, None]).squeeze(1)
            # log-sum-exp by hand, in place: the exponentials are the softmax the gradient needs
            peak = logits.amax(dim=-1, keepdim=True)
            exps = logits.sub_(peak).exp_()
            sums = exps.sum(dim=-1, keepdim=True)
            lse = (peak + sums.log()).squeeze(1)
            total += ((lse - target_logit) * valid[rows]).sum()
            if not (want_hidden or want_weight):
                continue
            # d(sum of losses)/d(logits) = softmax - one-hot, zero on ignored rows
            probs = exps.mul_(valid[rows, None] / sums)
            probs.scatter_add_(1, safe_targets[rows, None], -valid[rows, None].float())
            probs = probs.to(hidden.dtype)
            if want_hidden:
                grad_hidden[rows] = probs @ w  # (n, C)
            if want_weight:
                grad_weight.addmm_(probs.T, h) if h.dtype == grad_weight.dtype else grad_weight.add_(probs.T @ h)
        ctx.save_for_backward(grad_hidden, grad_weight, count)
        ctx.weight_dtype = weight.dtype
        return total / count

    @staticmethod
    def backward(ctx, grad_loss):
        grad_hidden, grad_weight, count = ctx.saved_tensors
        scale = grad_loss / count
        return (
            grad_hidden * scale.to(grad_hidden.dtype) if grad_hidden is not None else None,
            (grad_weight * scale).to(ctx.weight_dtype) if grad_weight is not None else None,
            None,
            None,
            None,
        )


def fused_linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of `hidden @ weight.T` against `targets`, without materialising the logits.

    hidden (..., C), weight (V, C), targets (...) of the same leading shape; IGNORE_INDEX targets are skipped.
    The matmuls run in autocast's dtype when autocast is on (else in hidden's); logits and softmax in fp32.
    """
    hidden, targets = hidden.reshape(-1, hidden.shape[-1]), targets.reshape(-1)
    if hidden.shape[0] != targets.shape[0]:
        raise ValueError(f"{hidden.shape[0]} hidden rows but {targets.shape[0]} targets")
    device = hidden.device.type
    if torch.is_autocast_enabled(device):
        hidden = hidden.to(torch.get_autocast_dtype(device))
    with torch.autocast(device, enabled=False):
        chunk = _chunk_rows(weight.shape[0], hidden.shape[0], device)
        return _FusedLinearCrossEntropy.apply(hidden, weight, targets, chunk, torch.is_grad_enabled())
