"""GPU speed of the gemma3-270m preset at 2048 tokens in bf16: FlexAttention against SDPA.

Runs on a CUDA machine (`python -m bench model_gpu`); elsewhere it says so and reports nothing.
- attention alone, the shapes of one sliding layer (BATCH × 2048 tokens, 4 query heads, 1 KV head of 256,
  window 512), forward + backward in bf16: FlexAttention (compiled; its block mask skips the blocks outside
  the window) against SDPA with the cached boolean sliding-window mask (what backend "sdpa" does past the
  window). For scale, in the details: SDPA's causal kernel over the whole sequence, what a full layer costs.
- the model's training step (vocab 50,048): forward + fused loss + backward + fused AdamW under bf16 autocast,
  BATCH × 2048 tokens, attention "flex" against "sdpa", eager and compiled (`module.compile()`); tokens/s,
  and MFU from trainer/evaluation.py's FLOPs per token over the GPU's dense bf16 peak.
Timed with CUDA events after warm-up (compilation and autotuning happen there); median of REPEATS.
"""

from __future__ import annotations

import copy

import torch

from bench.results_table import BenchResult
from bench.timing import cuda_median_ms
from model.attention import causal_attention
from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from trainer.evaluation import flops_per_token, peak_flops

CONFIG = preset("gemma3-270m")
BLOCK, BATCH = 2048, 8
REPEATS = 10


def _attention_pass(backend: str, window: int | None):
    generator = torch.Generator("cuda").manual_seed(0)

    def draw(heads: int) -> torch.Tensor:
        shape = (BATCH, heads, BLOCK, CONFIG.head_dim)
        return torch.randn(shape, device="cuda", dtype=torch.bfloat16, generator=generator).requires_grad_()

    q, k, v = draw(CONFIG.num_heads), draw(CONFIG.num_kv_heads), draw(CONFIG.num_kv_heads)
    upstream = torch.randn_like(q)
    scale = CONFIG.query_pre_attn_scalar**-0.5

    def run():
        out = causal_attention(q, k, v, scale, window, backend)
        torch.autograd.grad(out, (q, k, v), upstream)

    return run


def _attention() -> BenchResult:
    window = CONFIG.sliding_window
    flex = cuda_median_ms(_attention_pass("flex", window), REPEATS)
    masked = cuda_median_ms(_attention_pass("sdpa", window), REPEATS)
    causal = cuda_median_ms(_attention_pass("sdpa", None), REPEATS)
    tokens = BATCH * BLOCK
    return BenchResult("attention_sliding_gpu_bf16", tokens / flex * 1e3, "tokens/s", tokens / masked * 1e3,
                       "SDPA with the boolean sliding-window mask, forward + backward",
                       details={"batch": BATCH, "block": BLOCK, "window": window, "flex_ms": round(flex, 3),
                                "sdpa_masked_ms": round(masked, 3), "sdpa_causal_full_sequence_ms": round(causal, 3),
                                "device": torch.cuda.get_device_name()})


def _train_step(module: Gemma3ForCausalLM):
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    ids = torch.randint(0, CONFIG.vocab_size, (BATCH, BLOCK + 1), device="cuda")
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = module(inputs, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def _step_ms(base: Gemma3ForCausalLM, backend: str, compiled: bool) -> float:
    module = copy.deepcopy(base)
    module.set_attention_backend(backend)
    if compiled:
        module.compile()
    ms = cuda_median_ms(_train_step(module), REPEATS)
    del module
    torch.cuda.empty_cache()
    return ms


def _training(base: Gemma3ForCausalLM, compiled: bool) -> BenchResult:
    flex, sdpa = _step_ms(base, "flex", compiled), _step_ms(base, "sdpa", compiled)
    tokens = BATCH * BLOCK
    flops = flops_per_token(CONFIG, BLOCK, base.parameter_counts()["total"])
    peak = peak_flops(torch.device("cuda"), 0.0)

    def mfu(ms: float) -> float | None:
        return round(flops * tokens / (ms / 1e3) / peak, 4) if peak else None

    name = "model_train_step_gpu_bf16" + ("_compiled" if compiled else "")
    return BenchResult(name, tokens / flex * 1e3, "tokens/s", tokens / sdpa * 1e3,
                       f"the same step with attention 'sdpa' (boolean mask){', compiled' if compiled else ''}",
                       details={"batch": BATCH, "block": BLOCK, "flex_ms": round(flex, 2), "sdpa_ms": round(sdpa, 2),
                                "mfu_flex": mfu(flex), "mfu_sdpa": mfu(sdpa), "flops_per_token": flops,
                                "device": torch.cuda.get_device_name()})


def run() -> list[BenchResult]:
    if not torch.cuda.is_available():
        print("model_gpu: no CUDA device here; nothing measured")
        return []
    torch.manual_seed(0)
    base = Gemma3ForCausalLM(CONFIG).cuda().train()
    results = [_attention(), _training(base, compiled=False), _training(base, compiled=True)]
    for r in results:
        print(f"{r.name}: flex {r.value:,.0f} {r.unit}, sdpa {r.baseline:,.0f}, ratio {r.ratio:.2f}; {r.details}")
    return results
