"""The fused LM-head cross-entropy and the hand-written RMSNorm backward give autograd's numbers."""

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

import model.loss
from model.config import preset
from model.loss import IGNORE_INDEX, fused_linear_cross_entropy
from model.rms_norm import RMSNorm
from tests.model_helpers import random_model


class OpShapes(TorchDispatchMode):
    """Records the shape of every tensor an operator returns, and counts the matrix multiplications."""

    def __init__(self):
        super().__init__()
        self.shapes, self.matmuls = set(), 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.matmuls += func.__name__.split(".")[0] in ("mm", "addmm", "addmm_")
        if isinstance(out, torch.Tensor):
            self.shapes.add(tuple(out.shape))
        return out


def plain_and_fused(hidden, weight, targets):
    """(loss, grad hidden, grad weight) the plain way and the fused way."""
    results = []
    for fused in (False, True):
        h, w = hidden.clone().requires_grad_(), weight.clone().requires_grad_()
        loss = fused_linear_cross_entropy(h, w, targets) if fused else F.cross_entropy(h @ w.T, targets)
        loss.backward()
        results.append((loss.detach(), h.grad, w.grad))
    return results


def test_fused_cross_entropy_matches_the_plain_one_across_chunks_and_ignored_targets(monkeypatch):
    # 7 rows a chunk: several chunks and a ragged last one
    monkeypatch.setitem(model.loss.CHUNK_ELEMENTS, "cpu", 7 * 300)
    generator = torch.Generator().manual_seed(0)
    hidden, weight = torch.randn(50, 32, generator=generator), torch.randn(300, 32, generator=generator) * 0.3
    targets = torch.randint(0, 300, (50,), generator=generator)
    targets[::4] = IGNORE_INDEX
    (loss, grad_h, grad_w), (fused, fused_h, fused_w) = plain_and_fused(hidden, weight, targets)
    assert torch.allclose(loss, fused, atol=1e-5)
    assert torch.allclose(grad_h, fused_h, atol=1e-6) and torch.allclose(grad_w, fused_w, atol=1e-6)
    assert fused_h[::4].abs().max() == 0, "an ignored target must not pull on its hidden state"


def test_fused_cross_entropy_under_no_grad_is_the_loss_alone():
    # a trainable (tied) weight, as in evaluation: its requires_grad must not make the loss compute gradients
    hidden, targets = torch.randn(6, 8), torch.randint(0, 20, (6,))
    weight = torch.randn(20, 8, requires_grad=True)
    with torch.no_grad(), OpShapes() as ops:
        loss = fused_linear_cross_entropy(hidden, weight, targets)
    assert not loss.requires_grad
    assert ops.matmuls == 1, "only the logits matmul: no hidden or weight gradient"
    assert (20, 8) not in ops.shapes, "no (V, C) weight-gradient buffer"
    assert torch.allclose(loss, F.cross_entropy(hidden @ weight.T, targets))


def test_fused_cross_entropy_refuses_mismatched_targets():
    with pytest.raises(ValueError, match="5 hidden rows but 4 targets"):
        fused_linear_cross_entropy(torch.randn(5, 8), torch.randn(20, 8), torch.zeros(4, dtype=torch.long))


def test_model_loss_equals_cross_entropy_of_its_logits():
    config = preset("tiny")
    module = random_model(config)
    ids = torch.randint(0, config.vocab_size, (2, 3 * config.sliding_window + 1))
    inputs, targets = ids[:, :-1], ids[:, 1:]
    expected = F.cross_entropy(module(inputs).flatten(0, 1), targets.flatten())
    assert torch.allclose(module(inputs, targets), expected, atol=1e-5)


def test_rms_norm_gradients_equal_autograd_through_the_formula():
    norm = RMSNorm(16, eps=1e-6)
    with torch.no_grad():
        norm.weight.normal_(0.0, 0.5)
    x = torch.randn(3, 5, 16, requires_grad=True)
    upstream = torch.randn(3, 5, 16)
    norm(x).backward(upstream)
    ours = (x.grad.clone(), norm.weight.grad.clone())
    x.grad, norm.weight.grad = None, None
    formula = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * (1.0 + norm.weight)
    formula.backward(upstream)
    assert torch.allclose(ours[0], x.grad, atol=1e-5) and torch.allclose(ours[1], norm.weight.grad, atol=1e-5)
