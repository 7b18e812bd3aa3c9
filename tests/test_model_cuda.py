"""The model on a CUDA GPU, where FlexAttention is the default: its output and gradients against the fp64
reference past the window, bf16 training with each backend, and the compiled module. Skipped without CUDA
(CI has no GPU); `pytest tests/test_model_cuda.py` on a GPU machine runs them."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from model.attention import causal_attention, reference_attention, sliding_causal_mask
from model.config import preset
from tests.model_helpers import random_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CONFIG = preset("gemma3-270m")
# the 270M preset's attention and widths, 4 layers (the 4th full) and a small vocabulary: quick to compile
SHORT = replace(CONFIG, num_layers=4, full_attention_every=4, layer_types=(), vocab_size=4096)


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out.double() - ref).norm() / ref.norm()).item()


@pytest.mark.parametrize("backend", ["flex", "sdpa"])
@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1e-4), (torch.bfloat16, 1e-2)])
def test_attention_matches_the_fp64_reference_past_the_window(backend, dtype, tolerance):
    generator = torch.Generator("cuda").manual_seed(0)
    t, window, d = 3 * CONFIG.sliding_window, CONFIG.sliding_window, CONFIG.head_dim

    def draw(heads):
        return torch.randn(2, heads, t, d, device="cuda", generator=generator, dtype=dtype).requires_grad_()

    q, k, v = draw(CONFIG.num_heads), draw(CONFIG.num_kv_heads), draw(CONFIG.num_kv_heads)
    upstream = torch.randn(q.shape, device="cuda", generator=generator, dtype=dtype)
    scale = CONFIG.query_pre_attn_scalar**-0.5

    out = causal_attention(q, k, v, scale, window, backend)
    grads = torch.autograd.grad(out, (q, k, v), upstream)
    exact = [x.detach().double().requires_grad_() for x in (q, k, v)]
    ref = reference_attention(*exact, scale, sliding_causal_mask(t, window, "cuda"))
    ref_grads = torch.autograd.grad(ref, exact, upstream.double())

    assert out.dtype == dtype and not out.isnan().any()
    assert relative_error(out, ref) <= tolerance
    for name, grad, ref_grad in zip("qkv", grads, ref_grads, strict=True):
        assert relative_error(grad, ref_grad) <= tolerance, f"gradient of {name}"


def _loss_and_grads(module, ids, compiled: bool = False):
    module.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = (module.forward if not compiled else module)(ids[:, :-1], ids[:, 1:])
    loss.backward()
    return loss.item(), torch.cat([p.grad.flatten().float() for p in module.parameters()])


def test_bf16_training_agrees_between_flex_sdpa_and_the_compiled_module():
    module = random_model(SHORT).cuda().train()
    ids = torch.randint(0, SHORT.vocab_size, (2, 2 * SHORT.sliding_window + 1), device="cuda")
    results = {}
    for backend in ("sdpa", "flex"):
        module.set_attention_backend(backend)
        results[backend] = _loss_and_grads(module, ids)
    module.compile()
    results["compiled flex"] = _loss_and_grads(module, ids, compiled=True)

    loss, grads = results["sdpa"]
    for name in ("flex", "compiled flex"):
        other_loss, other_grads = results[name]
        assert abs(other_loss - loss) <= 1e-2 * abs(loss), name
        assert ((other_grads - grads).norm() / grads.norm()).item() <= 3e-2, name


def test_a_few_bf16_steps_with_flex_attention_fit_a_batch():
    module = random_model(SHORT, norm_std=0.0).cuda().train()
    module.set_attention_backend("flex")
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3, fused=True)
    ids = torch.randint(0, SHORT.vocab_size, (4, 2 * SHORT.sliding_window + 1), device="cuda")
    losses = []
    for _ in range(20):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = module(ids[:, :-1], ids[:, 1:])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.5 * losses[0], losses
